// CityState: the in-memory city of state-rules.md §1, indexed for the rules.
//
// Entities are open JSON objects kept in std::maps keyed by id, so every
// entity array is always in ascending byte order of its id and a lookup costs
// O(log n). Edges are also indexed by id across districts, so a
// `traffic.graph` message finds its edge without scanning the city.
// Not synchronised: one writer at a time.
#ifndef TWIN_LIB_CITY_STATE_H_
#define TWIN_LIB_CITY_STATE_H_

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "lib/base/timestamp.h"
#include "lib/city/entity_kind.h"

namespace twin {

using Json = nlohmann::json;
using EntityMap = std::map<std::string, Json, std::less<>>;

inline constexpr std::string_view kDefaultCityId = "laquila-dt-001";
inline constexpr std::string_view kDefaultCityName = "L'Aquila Digital Twin";

// Names one entity: its kind, its district (empty for city-level kinds) and id.
struct EntityRef {
  EntityKind kind;
  std::string district_id;
  std::string id;

  friend bool operator<(const EntityRef& a, const EntityRef& b) {
    return std::tie(a.kind, a.district_id, a.id) < std::tie(b.kind, b.district_id, b.id);
  }
  friend bool operator==(const EntityRef& a, const EntityRef& b) {
    return a.kind == b.kind && a.district_id == b.district_id && a.id == b.id;
  }
};

struct District {
  std::string id;
  // Every member of the district object except `districtId`, the entity
  // arrays and `cityGraph` (name, location, and whatever else it carries).
  Json fields = Json::object();
  // Members of `cityGraph` other than `nodes` and `edges`.
  Json graph_fields = Json::object();
  std::array<EntityMap, kDistrictKindCount> entities;

  EntityMap& Of(EntityKind kind) { return entities[ScopedIndex(kind)]; }
  const EntityMap& Of(EntityKind kind) const { return entities[ScopedIndex(kind)]; }
};

class CityState {
 public:
  CityState() = default;

  std::string city_id{kDefaultCityId};
  std::string name{kDefaultCityName};
  // Top-level members the rules do not name, kept as they came.
  Json extra_fields = Json::object();
  Json transport_fields = Json::object();  // publicTransport's other members
  Json emergency_fields = Json::object();  // emergencyServices's other members

  // The instant this state describes: the latest `lastUpdated` of any
  // applied message (or the loaded document's `timestamp`, if later). It is
  // derived from the data, never from a clock, so that equal inputs give
  // byte-identical documents.
  Micros timestamp;  // the epoch until a message or document sets it
  void AdvanceTimestamp(Micros t) {
    if (t > timestamp) timestamp = t;
  }

  const std::map<std::string, District, std::less<>>& districts() const {
    return districts_;
  }

  District* FindDistrict(std::string_view id);
  const District* FindDistrict(std::string_view id) const;

  // Returns the district `id`, creating it as state-rules.md §2 says
  // ("District <id>", zero location, empty arrays) if absent. Sets *created.
  District& EnsureDistrict(std::string_view id, bool* created);

  // Inserts `district` (replacing one with the same id) and indexes its edges.
  void PutDistrict(District district);

  using DistrictNode = std::map<std::string, District, std::less<>>::node_type;
  // Takes the district `id` out, with its edges' index entries (an empty
  // node if absent). RestoreDistrict() puts it back where it was in memory,
  // so that pointers into it stay valid.
  DistrictNode TakeDistrict(std::string_view id);
  void RestoreDistrict(DistrictNode node);

  // The entity map of a city-level kind (buses, stations, incidents, units).
  EntityMap& CityEntities(EntityKind kind) { return city_entities_[ScopedIndex(kind)]; }
  const EntityMap& CityEntities(EntityKind kind) const {
    return city_entities_[ScopedIndex(kind)];
  }

  // The edge `edge_id` in whichever district holds it, or nullptr. Sets
  // *district_id to that district's id when found.
  Json* FindEdge(std::string_view edge_id, std::string* district_id);

  // The entity `ref` names, or nullptr.
  const Json* Find(const EntityRef& ref) const;

  // Counts entities of one kind across the city.
  size_t Count(EntityKind kind) const;

 private:
  std::map<std::string, District, std::less<>> districts_;
  std::array<EntityMap, kCityKindCount> city_entities_;
  std::unordered_map<std::string, std::string> edge_district_;
};

}  // namespace twin

#endif  // TWIN_LIB_CITY_STATE_H_
