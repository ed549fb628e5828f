#include "lib/typed_fields.h"

#include <array>
#include <string_view>

#include "lib/timestamp.h"

namespace twin {
namespace {

constexpr std::array<std::string_view, 9> kTopNumbers = {
    "value",          "currentOccupancy", "totalCapacity",
    "heading",        "speed",            "passengerCount",
    "waitingPassengers", "latitude",      "longitude"};
constexpr std::array<std::string_view, 2> kPositionObjects = {"location",
                                                              "currentLocation"};
constexpr std::array<std::string_view, 2> kCoordinates = {"latitude", "longitude"};
constexpr std::array<std::string_view, 6> kReadingNumbers = {
    "temperature", "humidity", "pressure", "windSpeed", "windDirection",
    "precipitation"};
constexpr std::array<std::string_view, 3> kTrafficNumbers = {
    "averageSpeed", "vehicleCount", "travelTime"};

template <size_t N>
std::optional<FieldProblem> CheckNumbers(const nlohmann::json& object,
                                         const std::array<std::string_view, N>& names,
                                         std::string_view prefix) {
  for (std::string_view name : names) {
    auto it = object.find(name);
    if (it != object.end() && !it->is_number()) {
      std::string field(prefix);
      field += name;
      return FieldProblem{std::move(field), false};
    }
  }
  return std::nullopt;
}

template <size_t N>
std::optional<FieldProblem> CheckNested(const nlohmann::json& object,
                                        std::string_view member,
                                        const std::array<std::string_view, N>& names) {
  auto it = object.find(member);
  if (it == object.end() || !it->is_object()) return std::nullopt;
  std::string prefix(member);
  prefix += '.';
  return CheckNumbers(*it, names, prefix);
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
  auto last = object.find("lastUpdated");
  if (last != object.end() &&
      (!last->is_string() ||
       !ParseTimestamp(last->get_ref<const std::string&>()))) {
    return FieldProblem{"lastUpdated", true};
  }
  if (auto p = CheckNumbers(object, kTopNumbers, "")) return p;
  for (std::string_view member : kPositionObjects) {
    if (auto p = CheckNested(object, member, kCoordinates)) return p;
  }
  if (auto p = CheckNested(object, "readings", kReadingNumbers)) return p;
  if (auto p = CheckNested(object, "trafficConditions", kTrafficNumbers)) return p;
  return std::nullopt;
}

}  // namespace twin
