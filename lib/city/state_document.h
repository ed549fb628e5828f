// The state document of state-rules.md §1: reading it into a CityState with
// errors that name the JSON path, and writing a CityState back out in
// canonical form.
//
// Canonical form: compact JSON, object members in byte order of their keys,
// entity arrays in byte order of their ids, numbers in shortest round-trip
// form. Equal states therefore serialise to identical bytes.
// Pure functions; thread-safe.
#ifndef TWIN_LIB_STATE_DOCUMENT_H_
#define TWIN_LIB_STATE_DOCUMENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/city/city_state.h"

namespace twin {

// Problems past this many are summarised as "... and N more".
inline constexpr size_t kMaxReportedProblems = 100;

// Builds the state a parsed document describes. On success the state holds
// every entity of the document. On failure returns InvalidData whose message
// names the first problem by its JSON path; when `problems` is given, every
// problem found is appended to it as "<path>: <what is wrong>".
// Missing `cityId` / `name` keep CityState's defaults; missing arrays and
// containers are empty.
Result<CityState> CityStateFromJson(const Json& document,
                                    std::vector<std::string>* problems = nullptr);

// ParseJsonText (lib/json/json_parse.h) then CityStateFromJson.
Result<CityState> ParseCityState(std::string_view text,
                                 std::vector<std::string>* problems = nullptr);

// The canonical document text of `state` (no trailing newline).
std::string SerializeCityState(const CityState& state);

// One district object as SerializeCityState writes it inside `districts`.
std::string SerializeDistrict(const District& district);

// The document as a JSON value (for diffing and HTTP), equal to parsing
// SerializeCityState(state).
Json CityStateToJson(const CityState& state);

}  // namespace twin

#endif  // TWIN_LIB_STATE_DOCUMENT_H_
