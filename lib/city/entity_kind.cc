#include "lib/city/entity_kind.h"

namespace twin {
namespace {

constexpr std::array<EntityKindInfo, kEntityKindCount> kInfo = {{
    {"sensors", "sensorId", "", "sensors"},
    {"buildings", "buildingId", "", "buildings"},
    {"weatherStations", "stationId", "", "weatherStations"},
    {"nodes", "nodeId", "cityGraph", "nodes"},
    {"edges", "edgeId", "cityGraph", "edges"},
    {"buses", "busId", "publicTransport", "buses"},
    {"stations", "stationId", "publicTransport", "stations"},
    {"incidents", "incidentId", "emergencyServices", "incidents"},
    {"units", "unitId", "emergencyServices", "units"},
}};

}  // namespace

const EntityKindInfo& Info(EntityKind kind) { return kInfo[static_cast<int>(kind)]; }

std::optional<EntityKind> EntityKindFromName(std::string_view name) {
  for (EntityKind kind : kAllEntityKinds) {
    if (Info(kind).name == name) return kind;
  }
  return std::nullopt;
}

}  // namespace twin
