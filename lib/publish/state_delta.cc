#include "lib/publish/state_delta.h"

#include <algorithm>
#include <utility>

#include "lib/base/parallel.h"
#include "lib/city/state_document.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

// Where an array delta goes: `container`'s member `array`, or `object`'s own
// member when the kind has no container object inside `object`.
Json* Member(Json* object, std::string_view container) {
  if (container.empty()) return object;
  return &(*object)[std::string(container)];
}

// The text of an entity's delta from `before` (nullopt: absent) to `now`:
// a nested diff, or an insertion. nullopt when they do not differ.
std::optional<std::string> EntityDelta(const std::optional<Json>& before, const Json& now,
                                       const DiffOptions& options) {
  if (before) return DiffText(*before, now, options);
  return "[" + ToJsonText(now) + "]";
}

// A part's text, held in the skeleton as DeltaToText copies it (a binary
// value).
Json Raw(std::string_view text) {
  return Json::binary(std::vector<uint8_t>(text.begin(), text.end()));
}

// The array delta object of `kind` in `object` (a district's delta or the
// city's), made empty if absent.
Json* ArrayDelta(Json* object, EntityKind kind) {
  const EntityKindInfo& info = Info(kind);
  return &(*Member(object, info.container))[std::string(info.array)];
}

// Puts the prepared deltas of one array's logged entities in `array_delta`,
// each at its index in `now`: the one Prepare() found while the array has
// not grown since, else looked up again.
void AddArray(const EntityMap& now, const ChangeLog::Group& changed, Json* array_delta,
              EntityRanks* ranks) {
  for (const auto& [id, entry] : changed) {
    // Unprepared: not in `now`, which cannot happen (nothing is deleted).
    if (!entry.prepared || !entry.delta) continue;
    const size_t index =
        entry.array_size == now.size() ? entry.index : ranks->Rank(now, id);
    (*array_delta)[std::to_string(index)] = Raw(*entry.delta);
  }
}

// Removes `member` from `object` if it is an empty object; else marks it as
// an array delta.
void KeepArrayDelta(Json* object, const std::string& member) {
  auto it = object->find(member);
  if (it == object->end()) return;
  if (it->empty()) {
    object->erase(it);
  } else {
    (*it)["_t"] = "a";
  }
}

// Drops what the queued arrays left empty (every entity changed back) and
// marks the rest, in `object` (a district delta or the city's).
void FinishArrays(Json* object, const std::vector<EntityKind>& kinds) {
  for (EntityKind kind : kinds) {
    const EntityKindInfo& info = Info(kind);
    if (info.container.empty()) {
      KeepArrayDelta(object, std::string(info.array));
      continue;
    }
    auto container = object->find(std::string(info.container));
    if (container == object->end()) continue;
    KeepArrayDelta(&*container, std::string(info.array));
    if (container->empty()) object->erase(container);
  }
}

// The map that holds the entities of a ChangeLog group, or nullptr.
const EntityMap* GroupMap(const CityState& state, const std::string& district_id,
                          EntityKind kind) {
  if (!IsDistrictScoped(kind)) return &state.CityEntities(kind);
  const District* district = state.FindDistrict(district_id);
  return district == nullptr ? nullptr : &district->Of(kind);
}
EntityMap* GroupMap(CityState* state, const std::string& district_id, EntityKind kind) {
  return const_cast<EntityMap*>(GroupMap(std::as_const(*state), district_id, kind));
}

// Exchanges each logged value with the current one in `state`; entities the
// log saw created are left alone. Twice is the identity.
void SwapLogged(CityState* state,
                std::map<std::pair<std::string, EntityKind>, ChangeLog::Group>* logged) {
  for (auto& [key, group] : *logged) {
    EntityMap* map = GroupMap(state, key.first, key.second);
    if (map == nullptr) continue;  // a district created since: taken out whole
    for (auto& [id, entry] : group) {
      if (!entry.before) continue;
      auto entity = map->find(id);
      if (entity != map->end()) std::swap(entity->second, *entry.before);
    }
  }
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
      std::lower_bound(
          keys.begin(), keys.end(), id,
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
  auto group = entities_.try_emplace({district, ref.kind}).first;
  auto [it, inserted] = group->second.try_emplace(ref.id);
  Entry& entry = it->second;
  if (inserted) {
    entry.before = std::move(before);
  } else if (!entry.prepared) {
    return;  // pending already
  }
  entry.prepared = false;
  entry.delta.reset();
  pending_.push_back({&group->first, &it->first, &entry});
}

size_t ChangeLog::Prepare(const CityState& current, EntityRanks* ranks,
                          const DiffOptions& options) {
  // Lookups first, on this thread (EntityRanks is not thread-safe).
  std::vector<std::pair<Entry*, const Json*>> work;  // entry, its current value
  work.reserve(pending_.size());
  for (const Pending& p : pending_) {
    const EntityMap* map = GroupMap(current, p.group->first, p.group->second);
    if (map == nullptr) continue;
    auto entity = map->find(*p.id);
    if (entity == map->end()) continue;  // not the log's state: it stays unprepared
    p.entry->index = ranks->Rank(*map, *p.id);
    p.entry->array_size = map->size();
    work.emplace_back(p.entry, &entity->second);
  }
  pending_.clear();
  ParallelFor(work.size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto [entry, now] = work[i];
      entry->delta = EntityDelta(entry->before, *now, options);
      entry->prepared = true;
    }
  });
  return work.size();
}

void ApplyChange(const EntityRef& ref, Json value, CityState* state, ChangeLog* log) {
  EntityMap* entities;
  if (IsDistrictScoped(ref.kind)) {
    bool created;
    entities = &state->EnsureDistrict(ref.district_id, &created).Of(ref.kind);
    if (created) log->NoteNewDistrict(ref.district_id);
  } else {
    entities = &state->CityEntities(ref.kind);
  }
  auto [it, inserted] = entities->try_emplace(ref.id);
  log->Note(ref, inserted ? std::nullopt : std::optional<Json>(std::move(it->second)));
  it->second = std::move(value);
}

PublishedView::PublishedView(CityState* state, ChangeLog* log)
    : state_(state), log_(log) {
  for (const std::string& id : log->new_districts_) {
    if (CityState::DistrictNode district = state->TakeDistrict(id)) {
      districts_.push_back(std::move(district));
    }
  }
  for (const auto& [key, group] : log->entities_) {
    EntityMap* map = GroupMap(state, key.first, key.second);
    if (map == nullptr) continue;
    for (const auto& [id, entry] : group) {
      if (entry.before) continue;
      if (auto node = map->extract(id)) entities_.emplace_back(map, std::move(node));
    }
  }
  SwapLogged(state, &log->entities_);
}

PublishedView::~PublishedView() {
  SwapLogged(state_, &log_->entities_);
  for (auto& [map, node] : entities_) map->insert(std::move(node));
  for (CityState::DistrictNode& district : districts_)
    state_->RestoreDistrict(std::move(district));
}

void ChangeLog::NoteNewDistrict(const std::string& district_id) {
  new_districts_.insert(district_id);
}

void ChangeLog::Clear() {
  entities_.clear();
  new_districts_.clear();
  pending_.clear();
}

size_t ChangeLog::size() const {
  size_t n = new_districts_.size();
  for (const auto& [key, group] : entities_) n += group.size();
  return n;
}

std::optional<std::string> ComposeDelta(const CityState& current, ChangeLog* log,
                                        const std::string& before_timestamp,
                                        const std::string& after_timestamp,
                                        const DiffOptions& options, EntityRanks* ranks) {
  EntityRanks fresh;
  if (ranks == nullptr) ranks = &fresh;
  // The entity diffs not made yet, spread over the cores. Then the skeleton
  // of district and array deltas with the entities' texts at their indices;
  // what stayed empty (every entity changed back) is dropped, and the
  // skeleton written around the texts.
  log->Prepare(current, ranks, options);
  const ChangeLog& changes = *log;
  Json delta = Json::object();

  // Districts: new ones whole, changed ones member by member.
  std::map<std::string_view, std::vector<EntityKind>> changed_kinds;
  for (const auto& [key, group] : changes.entities_) {
    if (!key.first.empty()) changed_kinds[key.first].push_back(key.second);
  }
  Json& districts = delta["districts"];
  districts = Json::object();
  std::vector<std::pair<Json*, const std::vector<EntityKind>*>> district_deltas;
  size_t index = 0;
  for (const auto& [id, district] : current.districts()) {
    if (changes.new_districts_.count(id) != 0) {
      districts[std::to_string(index)] = Raw("[" + SerializeDistrict(district) + "]");
    } else if (auto kinds = changed_kinds.find(id); kinds != changed_kinds.end()) {
      Json* district_delta = &districts[std::to_string(index)];
      *district_delta = Json::object();
      for (EntityKind kind : kinds->second) {
        AddArray(district.Of(kind), changes.entities_.at({id, kind}),
                 ArrayDelta(district_delta, kind), ranks);
      }
      district_deltas.emplace_back(district_delta, &kinds->second);
    }
    ++index;
  }
  // City-wide kinds (publicTransport, emergencyServices).
  std::vector<EntityKind> city_kinds;
  for (const auto& [key, group] : changes.entities_) {
    if (!key.first.empty()) continue;
    AddArray(current.CityEntities(key.second), group, ArrayDelta(&delta, key.second),
             ranks);
    city_kinds.push_back(key.second);
  }

  for (const auto& [district_delta, kinds] : district_deltas)
    FinishArrays(district_delta, *kinds);
  for (auto it = districts.begin(); it != districts.end();) {
    it = it->empty() ? districts.erase(it) : std::next(it);
  }
  if (districts.empty()) {
    delta.erase("districts");
  } else {
    districts["_t"] = "a";
  }
  FinishArrays(&delta, city_kinds);

  if (delta.empty()) return std::nullopt;
  if (before_timestamp != after_timestamp) {
    delta["timestamp"] = Json::array({before_timestamp, after_timestamp});
  }
  return DeltaToText(delta);
}

}  // namespace twin
