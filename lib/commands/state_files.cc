#include "lib/commands/state_files.h"

#include <istream>

#include "lib/base/file_io.h"
#include "lib/city/state_document.h"

namespace twin {

std::string DisplayName(const std::string& path) {
  return path == "-" ? "stdin" : "'" + path + "'";
}

Result<CityState> ReadStateFile(const std::string& path, std::istream& in) {
  const std::string context = "load " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<CityState> state = ParseCityState(*text);
  if (!state.ok()) return state.status().WithContext(context);
  return state;
}

Result<SavedState> ReadSavedState(const std::string& path, std::istream& in) {
  TWIN_ASSIGN_OR_RETURN(CityState state, ReadStateFile(path, in));
  Result<Positions> positions = TakePositionsMember(&state);
  if (!positions.ok()) return positions.status().WithContext("load " + DisplayName(path));
  return SavedState{std::move(state), std::move(*positions)};
}

}  // namespace twin
