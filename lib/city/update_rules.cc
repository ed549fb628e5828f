#include "lib/city/update_rules.h"

#include <optional>

#include "lib/base/timestamp.h"
#include "lib/city/typed_fields.h"
#include "lib/json/json_parse.h"

namespace twin {
namespace {

ApplyResult Reject(std::string reason) {
  ApplyResult r;
  r.outcome = Outcome::kRejected;
  r.reason = std::move(reason);
  return r;
}

bool IsAbsent(const Json& object, std::string_view field) {
  auto it = object.find(field);
  return it == object.end() || it->is_null();
}

// Checks that `field` is a non-empty string; returns the rejection reason or
// an empty string.
std::string CheckId(const Json& object, std::string_view field) {
  if (IsAbsent(object, field)) return "missing-field:" + std::string(field);
  const Json& v = *object.find(field);
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    return "bad-field:" + std::string(field);
  }
  return {};
}

const std::string& Str(const Json& object, std::string_view field) {
  return object.find(field)->get_ref<const std::string&>();
}

// What a topic's message targets, once its id fields are known good.
struct Target {
  EntityKind kind;
  std::string_view id_field;
};

// Validates the topic-specific required fields; on success sets *target.
std::string CheckRequired(Topic topic, const Json& msg, Target* target) {
  std::string reason;
  if (IsDistrictTopic(topic)) {
    if (reason = CheckId(msg, "districtId"); !reason.empty()) return reason;
  }
  switch (topic) {
    case Topic::kSensorsEnvironmental:
    case Topic::kSensorsTraffic:
    case Topic::kBuildingsSensors:
      *target = {EntityKind::kSensor, "sensorId"};
      break;
    case Topic::kBuildingsOccupancy:
      *target = {EntityKind::kBuilding, "buildingId"};
      break;
    case Topic::kWeatherStations:
      *target = {EntityKind::kWeatherStation, "stationId"};
      break;
    case Topic::kTrafficGraph:
      *target = {EntityKind::kEdge, "edgeId"};
      break;
    case Topic::kTransportGps:
      *target = {EntityKind::kBus, "busId"};
      break;
    case Topic::kTransportStations:
      *target = {EntityKind::kTransportStation, "stationId"};
      break;
    case Topic::kEmergencyIncidents:
      if (!IsAbsent(msg, "incidentId")) {
        *target = {EntityKind::kIncident, "incidentId"};
      } else if (!IsAbsent(msg, "unitId")) {
        *target = {EntityKind::kUnit, "unitId"};
      } else {
        return "missing-field:incidentId|unitId";
      }
      break;
  }
  if (reason = CheckId(msg, target->id_field); !reason.empty()) return reason;

  auto require = [&msg](std::string_view field,
                        bool (Json::*is)() const noexcept) -> std::string {
    if (IsAbsent(msg, field)) return "missing-field:" + std::string(field);
    if (!(msg.find(field).value().*is)()) return "bad-field:" + std::string(field);
    return {};
  };
  switch (topic) {
    case Topic::kBuildingsOccupancy:
      return require("currentOccupancy", &Json::is_number);
    case Topic::kWeatherStations:
      return require("readings", &Json::is_object);
    case Topic::kTrafficGraph:
      return require("trafficConditions", &Json::is_object);
    default:
      return {};
  }
}

// The message's fields replace the entity's; routing fields stay out.
void ShallowMerge(Json::object_t&& fields, bool strip_district, Json* entity) {
  for (auto& [key, value] : fields) {
    if (strip_district && key == "districtId") continue;
    (*entity)[key] = std::move(value);
  }
}

void UpdateOccupancyRate(Json* building) {
  const Json& current = (*building)["currentOccupancy"];
  auto capacity = building->find("totalCapacity");
  if (capacity != building->end() && capacity->is_number() &&
      capacity->get<double>() > 0) {
    (*building)["occupancyRate"] = current.get<double>() / capacity->get<double>();
  } else {
    (*building)["occupancyRate"] = nullptr;
  }
}

bool IsStale(const Json& entity, Micros message_time) {
  auto last = entity.find("lastUpdated");
  if (last == entity.end() || !last->is_string()) return false;
  std::optional<Micros> entity_time = ParseTimestamp(last->get_ref<const std::string&>());
  return entity_time && message_time < *entity_time;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplied:
      return "applied";
    case Outcome::kStale:
      return "stale";
    case Outcome::kRejected:
      return "rejected";
  }
  return "unknown";
}

ApplyResult ApplyMessage(CityState* state, const InputMessage& message,
                         const RuleOptions& options) {
  if (message.value.size() > options.max_message_bytes) return Reject("oversized");
  // One precheck at the message limit, then the parse without another.
  const JsonPrecheck precheck = PrecheckJson(message.value, kMessageMaxDepth);
  if (precheck == JsonPrecheck::kTooDeep) return Reject("too-deep");
  // Parsing also checks UTF-8: ill-formed bytes are refused.
  Json msg;
  if (precheck != JsonPrecheck::kOk || !ParsePrecheckedJson(message.value, &msg)) {
    return Reject("invalid-json");
  }
  if (!msg.is_object()) return Reject("not-an-object");

  Target target{};
  if (std::string reason = CheckRequired(message.topic, msg, &target); !reason.empty()) {
    return Reject(std::move(reason));
  }
  if (auto problem = FindTypedFieldProblem(msg)) return Reject(problem->ReasonCode());

  Micros message_time;
  if (auto last = msg.find("lastUpdated"); last != msg.end()) {
    message_time = *ParseTimestamp(last->get_ref<const std::string&>());
  } else if (message.timestamp_ms >= 0) {
    // Replaying the same messages must give the same state, so the default
    // comes from the message, not from a clock.
    message_time = MicrosFromMillis(message.timestamp_ms);
    msg["lastUpdated"] = FormatMillis(message.timestamp_ms);
  } else {
    return Reject("missing-timestamp");
  }

  ApplyResult result;
  result.target.kind = target.kind;
  result.target.id = Str(msg, target.id_field);
  const bool strip_district =
      IsDistrictTopic(message.topic) || message.topic == Topic::kTrafficGraph;

  if (target.kind == EntityKind::kEdge) {
    Json* edge = state->FindEdge(result.target.id, &result.target.district_id);
    if (edge == nullptr) return Reject("unknown-edge");
    if (IsStale(*edge, message_time)) {
      result.outcome = Outcome::kStale;
      return result;
    }
    ShallowMerge(std::move(msg.get_ref<Json::object_t&>()), strip_district, edge);
    state->AdvanceTimestamp(message_time);
    result.outcome = Outcome::kApplied;
    return result;
  }

  EntityMap* entities;
  if (IsDistrictScoped(target.kind)) {
    result.target.district_id = Str(msg, "districtId");
    District* district = state->FindDistrict(result.target.district_id);
    if (district == nullptr) {
      // Only a valid, applicable message may create a district; a new
      // district holds no entity, so this message cannot be stale.
      district =
          &state->EnsureDistrict(result.target.district_id, &result.district_created);
    }
    entities = &district->Of(target.kind);
  } else {
    entities = &state->CityEntities(target.kind);
  }

  auto it = entities->find(result.target.id);
  if (it == entities->end()) {
    Json entity = Json::object();
    if (target.kind == EntityKind::kBuilding) entity["sensors"] = Json::array();
    it = entities->emplace(result.target.id, std::move(entity)).first;
  } else if (IsStale(it->second, message_time)) {
    result.outcome = Outcome::kStale;
    return result;
  }
  ShallowMerge(std::move(msg.get_ref<Json::object_t&>()), strip_district, &it->second);
  if (target.kind == EntityKind::kBuilding) UpdateOccupancyRate(&it->second);
  state->AdvanceTimestamp(message_time);
  result.outcome = Outcome::kApplied;
  return result;
}

}  // namespace twin
