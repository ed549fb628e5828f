// The typed fields that state-rules.md §2 names, checked the same way in
// input messages and in state documents.
//
// `lastUpdated`, where present, must be an ISO-8601 date-time with a zone;
// the numeric fields of the design document (`value`, `currentOccupancy`,
// `totalCapacity`, `heading`, `speed`, `passengerCount`, `waitingPassengers`,
// `latitude`, `longitude` at top level or inside `location` /
// `currentLocation`, and the numbers of `readings` and
// `trafficConditions`) must be JSON numbers where present.
// Pure functions; thread-safe.
#ifndef TWIN_LIB_TYPED_FIELDS_H_
#define TWIN_LIB_TYPED_FIELDS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace twin {

struct FieldProblem {
  std::string field;  // dotted path inside the object: "readings.humidity"
  bool is_timestamp;  // true for a bad `lastUpdated`
  // The rejection reason code of state-rules.md §4:
  // "bad-timestamp:lastUpdated" or "bad-field:readings.humidity".
  std::string ReasonCode() const;
  // What the field should have been, for document errors.
  std::string Expected() const;
};

// The first typed field of `object` that breaks the rules, or nullopt.
// Precondition: `object` is a JSON object.
std::optional<FieldProblem> FindTypedFieldProblem(const nlohmann::json& object);

}  // namespace twin

#endif  // TWIN_LIB_TYPED_FIELDS_H_
