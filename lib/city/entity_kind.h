// The nine kinds of entity in a city state (state-rules.md §1) and where each
// lives in the state document.
//
// Five kinds live inside a district (sensors, buildings, weather stations,
// graph nodes and edges); four live at city level (buses, transport
// stations, incidents, units). Constant tables; thread-safe.
#ifndef TWIN_LIB_ENTITY_KIND_H_
#define TWIN_LIB_ENTITY_KIND_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace twin {

enum class EntityKind {
  kSensor = 0,
  kBuilding,
  kWeatherStation,
  kNode,
  kEdge,
  kBus,
  kTransportStation,
  kIncident,
  kUnit,
};

inline constexpr int kEntityKindCount = 9;
inline constexpr int kDistrictKindCount = 5;  // kSensor .. kEdge
inline constexpr int kCityKindCount = 4;      // kBus .. kUnit

inline constexpr std::array<EntityKind, kEntityKindCount> kAllEntityKinds = {
    EntityKind::kSensor,
    EntityKind::kBuilding,
    EntityKind::kWeatherStation,
    EntityKind::kNode,
    EntityKind::kEdge,
    EntityKind::kBus,
    EntityKind::kTransportStation,
    EntityKind::kIncident,
    EntityKind::kUnit};

struct EntityKindInfo {
  std::string_view name;       // stable short name: "sensors", "edges", ...
  std::string_view id_field;   // "sensorId", "edgeId", ...
  std::string_view container;  // object holding the array: "", "cityGraph",
                               // "publicTransport", "emergencyServices"
  std::string_view array;      // array name inside the container
};

const EntityKindInfo& Info(EntityKind kind);

inline bool IsDistrictScoped(EntityKind kind) {
  return static_cast<int>(kind) < kDistrictKindCount;
}

// Index of a district kind in District::entities (0..4), or of a city kind in
// CityState::entities (0..3).
inline int ScopedIndex(EntityKind kind) {
  const int i = static_cast<int>(kind);
  return i < kDistrictKindCount ? i : i - kDistrictKindCount;
}

// The kind whose Info().name is `name`, or nullopt.
std::optional<EntityKind> EntityKindFromName(std::string_view name);

}  // namespace twin

#endif  // TWIN_LIB_ENTITY_KIND_H_
