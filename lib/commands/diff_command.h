// twin-diff's one command: diff, patch, unpatch or reverse saved documents
// and deltas, jsondiffpatch-compatible.
#ifndef TWIN_LIB_COMMANDS_DIFF_COMMAND_H_
#define TWIN_LIB_COMMANDS_DIFF_COMMAND_H_

#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/commands/state_files.h"
#include "lib/json/json_diff.h"

namespace twin {

// twin-diff: what to do with its files.
struct DiffCommand {
  enum class Mode { kDiff, kPatch, kUnpatch, kReverse } mode = Mode::kDiff;
  std::vector<std::string> files;  // LEFT RIGHT | DOC DELTA | DELTA
  DiffOptions options;
  // DELTA is a whole state.incremental message value ({"cityId",
  // "timestamp", "delta"}): its "delta" member is used. Without it a DELTA
  // is always a delta, whatever its members are called.
  bool message = false;
};

// Runs twin-diff. Returns whether the inputs differ (kDiff only: the delta
// is printed on io.out; nothing when equal). Errors name the file and the
// JSON path. An empty DELTA (only white space: what kDiff prints for equal
// documents) is the empty delta: kPatch and kUnpatch print DOC unchanged,
// kReverse prints nothing.
Result<bool> RunDiffCommand(const DiffCommand& command, const Io& io);

}  // namespace twin

#endif  // TWIN_LIB_COMMANDS_DIFF_COMMAND_H_
