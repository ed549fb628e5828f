// What every tool's commands share: the streams a command writes to, and
// reading a state document from a file or stdin with errors that name it.
// Nothing here exits; a tool's main() maps the Status to an exit code.
#ifndef TWIN_LIB_COMMANDS_STATE_FILES_H_
#define TWIN_LIB_COMMANDS_STATE_FILES_H_

#include <iosfwd>
#include <string>

#include "lib/base/status.h"
#include "lib/city/city_state.h"
#include "lib/city/positions.h"

namespace twin {

struct Io {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
  bool err_is_terminal = false;
};

// How errors name a path: "stdin" for "-", the path in quotes otherwise.
std::string DisplayName(const std::string& path);

// Reads and validates the state document at `path` ("-": stdin). Errors say
// "load '<path>': <first problem>".
Result<CityState> ReadStateFile(const std::string& path, std::istream& in);

// A saved state document and the Kafka positions it records (its
// kafkaPositions member, positions.h; empty when it has none).
struct SavedState {
  CityState state;
  Positions positions;
};
// ReadStateFile, with the positions taken out of the document's members.
// A malformed positions member is InvalidData naming it.
Result<SavedState> ReadSavedState(const std::string& path, std::istream& in);

}  // namespace twin

#endif  // TWIN_LIB_COMMANDS_STATE_FILES_H_
