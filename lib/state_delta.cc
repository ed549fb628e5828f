#include "lib/state_delta.h"

#include "lib/state_document.h"

#include <algorithm>

namespace twin {
namespace {

// Where an array delta goes: `container`'s member `array`, or `object`'s own
// member when the kind has no container object inside `object`.
Json* Member(Json* object, std::string_view container) {
  if (container.empty()) return object;
  return &(*object)[std::string(container)];
}

using Changed = std::map<std::string, std::optional<Json>, std::less<>>;

// The array delta of one entity array: an insertion for each entity the
// published state lacked, a nested delta for each that changed, at its index
// in the current (right-hand) array. Empty when nothing differs.
Json EntityArrayDelta(const EntityMap& now, const Changed& changed, const DiffOptions& options,
                      EntityRanks* ranks) {
  Json delta = Json::object();
  for (const auto& [id, before] : changed) {
    auto entity = now.find(id);
    if (entity == now.end()) continue;  // cannot happen: nothing is deleted
    const std::string index = std::to_string(ranks->Rank(now, id));
    if (!before) {
      delta[index] = Json::array({entity->second});
    } else if (std::optional<Json> d = Diff(*before, entity->second, options)) {
      delta[index] = std::move(*d);
    }
  }
  if (!delta.empty()) delta["_t"] = "a";
  return delta;
}

void AddArrayDelta(Json* object, EntityKind kind, Json array_delta) {
  if (array_delta.empty()) return;
  const EntityKindInfo& info = Info(kind);
  (*Member(object, info.container))[std::string(info.array)] = std::move(array_delta);
}

}  // namespace

size_t EntityRanks::Rank(const EntityMap& map, std::string_view id) {
  auto [it, inserted] = keys_.try_emplace(&map);
  std::vector<const std::string*>& keys = it->second;
  if (inserted || keys.size() != map.size()) {
    keys.clear();
    keys.reserve(map.size());
    for (const auto& entry : map) keys.push_back(&entry.first);
  }
  return static_cast<size_t>(
      std::lower_bound(keys.begin(), keys.end(), id,
                       [](const std::string* key, std::string_view v) { return *key < v; }) -
      keys.begin());
}

void EntityRanks::Prepare(const CityState& state) {
  for (const auto& [id, district] : state.districts()) {
    for (const EntityMap& map : district.entities) Rank(map, "");
  }
  for (EntityKind kind : kAllEntityKinds) {
    if (!IsDistrictScoped(kind)) Rank(state.CityEntities(kind), "");
  }
}

void ChangeLog::Note(const EntityRef& ref, std::optional<Json> before) {
  const std::string& district = IsDistrictScoped(ref.kind) ? ref.district_id : "";
  entities_[{district, ref.kind}].try_emplace(ref.id, std::move(before));
}

void ChangeLog::NoteNewDistrict(const std::string& district_id) {
  new_districts_.insert(district_id);
}

void ChangeLog::Clear() {
  entities_.clear();
  new_districts_.clear();
}

size_t ChangeLog::size() const {
  size_t n = new_districts_.size();
  for (const auto& [key, group] : entities_) n += group.size();
  return n;
}

std::optional<Json> ComposeDelta(const CityState& current, const ChangeLog& changes,
                                 const std::string& before_timestamp,
                                 const std::string& after_timestamp,
                                 const DiffOptions& options, EntityRanks* ranks) {
  EntityRanks fresh;
  if (ranks == nullptr) ranks = &fresh;
  Json delta = Json::object();

  // Districts: new ones whole, changed ones member by member.
  std::map<std::string_view, std::vector<EntityKind>> changed_kinds;
  for (const auto& [key, group] : changes.entities_) {
    if (!key.first.empty()) changed_kinds[key.first].push_back(key.second);
  }
  Json districts = Json::object();
  size_t index = 0;
  for (const auto& [id, district] : current.districts()) {
    if (changes.new_districts_.count(id) != 0) {
      districts[std::to_string(index)] = Json::array({Json::parse(SerializeDistrict(district))});
    } else if (auto kinds = changed_kinds.find(id); kinds != changed_kinds.end()) {
      Json district_delta = Json::object();
      for (EntityKind kind : kinds->second) {
        AddArrayDelta(&district_delta, kind,
                      EntityArrayDelta(district.Of(kind),
                                       changes.entities_.at({id, kind}), options, ranks));
      }
      if (!district_delta.empty()) districts[std::to_string(index)] = std::move(district_delta);
    }
    ++index;
  }
  if (!districts.empty()) {
    districts["_t"] = "a";
    delta["districts"] = std::move(districts);
  }

  // City-wide kinds (publicTransport, emergencyServices).
  for (const auto& [key, group] : changes.entities_) {
    if (!key.first.empty()) continue;
    AddArrayDelta(&delta, key.second,
                  EntityArrayDelta(current.CityEntities(key.second), group, options, ranks));
  }

  if (delta.empty()) return std::nullopt;
  if (before_timestamp != after_timestamp) {
    delta["timestamp"] = Json::array({before_timestamp, after_timestamp});
  }
  return delta;
}

}  // namespace twin
