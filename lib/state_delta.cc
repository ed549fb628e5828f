#include "lib/state_delta.h"

#include "lib/state_document.h"

namespace twin {
namespace {

// Where an array delta goes: `container`'s member `array`, or `object`'s own
// member when the kind has no container object inside `object`.
Json* Member(Json* object, std::string_view container) {
  if (container.empty()) return object;
  return &(*object)[std::string(container)];
}

// The array delta of one entity array: an insertion for each entity the
// published state lacked, a nested delta for each that changed, at its index
// in the current (right-hand) array. Empty when nothing differs.
Json EntityArrayDelta(const EntityMap& now,
                      const std::map<std::string, std::optional<Json>, std::less<>>& changed,
                      const DiffOptions& options) {
  Json delta = Json::object();
  size_t index = 0;
  auto entity = now.begin();
  auto change = changed.begin();
  while (entity != now.end() && change != changed.end()) {
    const int order = entity->first.compare(change->first);
    if (order < 0) {
      ++entity;
      ++index;
      continue;
    }
    if (order == 0) {
      if (!change->second) {
        delta[std::to_string(index)] = Json::array({entity->second});
      } else if (std::optional<Json> d = Diff(*change->second, entity->second, options)) {
        delta[std::to_string(index)] = std::move(*d);
      }
      ++entity;
      ++index;
    }
    ++change;  // (an id no longer present cannot happen: nothing is deleted)
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

void ChangeLog::Note(const EntityRef& ref, const Json* before) {
  const std::string& district = IsDistrictScoped(ref.kind) ? ref.district_id : "";
  Group& group = entities_[{district, ref.kind}];
  if (group.count(ref.id) != 0) return;
  group.emplace(ref.id, before ? std::optional<Json>(*before) : std::nullopt);
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
                                 const DiffOptions& options) {
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
                                       changes.entities_.at({id, kind}), options));
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
                  EntityArrayDelta(current.CityEntities(key.second), group, options));
  }

  if (delta.empty()) return std::nullopt;
  if (before_timestamp != after_timestamp) {
    delta["timestamp"] = Json::array({before_timestamp, after_timestamp});
  }
  return delta;
}

}  // namespace twin
