#include "lib/city/typed_fields.h"

#include <string_view>

#include "lib/base/timestamp.h"

namespace twin {
namespace {

// What a member name means to the checks; looked up once per member, so a
// message costs one pass over its own fields.
enum class Rule { kNone, kNumber, kTimestamp, kPosition, kReadings, kTraffic };

Rule TopLevelRule(std::string_view name) {
  switch (name.size()) {
    case 5:
      if (name == "value" || name == "speed") return Rule::kNumber;
      break;
    case 7:
      if (name == "heading") return Rule::kNumber;
      break;
    case 8:
      if (name == "latitude") return Rule::kNumber;
      if (name == "location") return Rule::kPosition;
      if (name == "readings") return Rule::kReadings;
      break;
    case 9:
      if (name == "longitude") return Rule::kNumber;
      break;
    case 11:
      if (name == "lastUpdated") return Rule::kTimestamp;
      break;
    case 13:
      if (name == "totalCapacity") return Rule::kNumber;
      break;
    case 14:
      if (name == "passengerCount") return Rule::kNumber;
      break;
    case 15:
      if (name == "currentLocation") return Rule::kPosition;
      break;
    case 16:
      if (name == "currentOccupancy") return Rule::kNumber;
      break;
    case 17:
      if (name == "waitingPassengers" || name == "trafficConditions") {
        return name[0] == 'w' ? Rule::kNumber : Rule::kTraffic;
      }
      break;
  }
  return Rule::kNone;
}

bool IsNumberMember(Rule container, std::string_view name) {
  switch (container) {
    case Rule::kPosition:
      return name == "latitude" || name == "longitude";
    case Rule::kReadings:
      return name == "temperature" || name == "humidity" || name == "pressure" ||
             name == "windSpeed" || name == "windDirection" || name == "precipitation";
    case Rule::kTraffic:
      return name == "averageSpeed" || name == "vehicleCount" || name == "travelTime";
    default:
      return false;
  }
}

}  // namespace

std::string FieldProblem::ReasonCode() const {
  return (is_timestamp ? "bad-timestamp:" : "bad-field:") + field;
}

std::string FieldProblem::Expected() const {
  return is_timestamp ? "expected an ISO-8601 date-time with a zone"
                      : "expected a number";
}

std::optional<FieldProblem> FindTypedFieldProblem(const nlohmann::json& object) {
  // Members are visited in key order, so the first problem reported is the
  // same whatever order the message's fields arrived in.
  for (const auto& [name, value] : object.get_ref<const nlohmann::json::object_t&>()) {
    switch (TopLevelRule(name)) {
      case Rule::kNone:
        break;
      case Rule::kNumber:
        if (!value.is_number()) return FieldProblem{name, false};
        break;
      case Rule::kTimestamp:
        if (!value.is_string() || !ParseTimestamp(value.get_ref<const std::string&>())) {
          return FieldProblem{name, true};
        }
        break;
      case Rule::kPosition:
      case Rule::kReadings:
      case Rule::kTraffic: {
        if (!value.is_object()) break;  // the rules name only their numbers
        const Rule container = TopLevelRule(name);
        for (const auto& [member, inner] :
             value.get_ref<const nlohmann::json::object_t&>()) {
          if (IsNumberMember(container, member) && !inner.is_number()) {
            return FieldProblem{name + "." + member, false};
          }
        }
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace twin
