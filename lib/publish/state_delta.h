// The jsondiffpatch delta between two published states, computed from what
// changed instead of from the two whole documents: twin-publish's
// incremental path, whose cost follows the number of changed entities (plus
// one walk of each entity array that holds a change, to find indices).
//
// A ChangeLog remembers, for every entity changed since the last published
// state S(k-1), its value in S(k-1) (or that it was absent), and the
// districts S(k-1) did not have. ComposeDelta() then builds, for the current
// state S(k), the delta that Diff(S(k-1), S(k)) gives (state_document.h's
// layout; jsondiffpatch's array deltas with right-side indices), entity by
// entity: a changed entity is a nested Diff of its two values, a new one an
// insertion, a new district one insertion of the whole district. Indices
// come from an EntityRanks (O(log n) each once built). The entity diffs of a
// large change set are spread over the cores (lib/parallel.h). Most of that
// work can be done before it is needed: ChangeLog::Prepare() diffs the
// entities noted so far and keeps their deltas and indices,
// so that ComposeDelta() has only the rest to diff before it assembles; and a
// PublishedView puts a state that has moved on back to S(k-1) for a while (to render it).
//
// Precondition: S(k-1) and S(k) differ only in the logged entities and
// districts (and the timestamp); district fields, city fields and removals
// are outside it (a whole reload is; callers diff whole documents then).
// Not synchronised.
#ifndef TWIN_LIB_STATE_DELTA_H_
#define TWIN_LIB_STATE_DELTA_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/city/city_state.h"
#include "lib/json/json_diff.h"

namespace twin {

// Ranks (indices) of ids in entity arrays, from a sorted copy of each
// array's keys built on first use: O(log n) per lookup instead of a walk.
// Entries are keyed by the map's address and rebuilt when its size changed
// (entities are inserted, never deleted); Clear() when maps are replaced or
// destroyed (a reload), since an address can then be reused.
class EntityRanks {
 public:
  // The index of `id` among `map`'s keys (where it would go, if absent).
  size_t Rank(const EntityMap& map, std::string_view id);
  // Builds the entries of every array of `state` now, so that the first
  // ranks asked for later are as cheap as the rest.
  void Prepare(const CityState& state);
  void Clear() { keys_.clear(); }

 private:
  std::map<const EntityMap*, std::vector<const std::string*>> keys_;
};

class ChangeLog {
 public:
  // Records that `ref` changes; `before` is its value in the published state
  // (nullopt: it had none). Only the first note of a ref since Clear()
  // counts, so later changes keep the published value; each note forgets a
  // delta Prepare() made for the ref. Callers about to overwrite the value
  // can move it in.
  void Note(const EntityRef& ref, std::optional<Json> before);
  // Records that `district_id` is not in the published state.
  void NoteNewDistrict(const std::string& district_id);
  void Clear();
  bool empty() const { return entities_.empty() && new_districts_.empty(); }
  size_t size() const;

  // Calls f(district id or "" for city-wide kinds, kind, entity id) for each
  // logged entity, grouped by district and kind.
  template <typename F>
  void ForEachEntity(F&& f) const {
    for (const auto& [group, entries] : entities_) {
      for (const auto& entry : entries) f(group.first, group.second, entry.first);
    }
  }
  // The logged districts the published state did not have.
  const std::set<std::string, std::less<>>& new_districts() const {
    return new_districts_;
  }

  // Prepares now each logged entity noted since it was last prepared: finds
  // its index in `current` (`ranks`), and diffs it, on all cores, from its
  // logged value. ComposeDelta() (given `current`, `ranks` and the
  // same options) then finds that work done: twin-publish calls this
  // between ticks, as changes come, so that a tick mostly assembles. An index
  // stays good until its array grows. Returns how many entities it diffed.
  size_t Prepare(const CityState& current, EntityRanks* ranks,
                 const DiffOptions& options = {});

  // A logged entity: its published value and, once prepared, its index and
  // delta. Written by the log, read by ComposeDelta().
  struct Entry {
    std::optional<Json> before;        // nullopt: not in the published state
    bool prepared = false;             // the members below are of the current value
    size_t index = 0;                  // in its array, while the array has
    size_t array_size = 0;             //   this many entities
    std::optional<std::string> delta;  // its text; nullopt: no difference
  };
  // One (district, kind)'s logged entities, by id.
  using Group = std::map<std::string, Entry, std::less<>>;

 private:
  friend class PublishedView;
  friend std::optional<std::string> ComposeDelta(const CityState&, ChangeLog*,
                                                 const std::string&, const std::string&,
                                                 const DiffOptions&, EntityRanks*);
  // (district id, or "" for city-wide kinds; kind) -> its group.
  std::map<std::pair<std::string, EntityKind>, Group> entities_;
  std::set<std::string, std::less<>> new_districts_;
  // Entries noted since Prepare() last ran (map nodes do not move).
  struct Pending {
    const std::pair<std::string, EntityKind>* group;
    const std::string* id;
    Entry* entry;
  };
  std::vector<Pending> pending_;
};

// Puts a state back, for as long as the view lives, to the published state
// its log describes (S(k-1)): logged entities hold their logged values
// again, and the entities and districts created since are taken out. The
// destructor makes the state current again, exactly. It costs in
// proportion to the log, not to the city: a way to render S(k-1) from a
// mirror that has moved on. Neither the state nor the log may be used
// otherwise while the view lives.
class PublishedView {
 public:
  PublishedView(CityState* state, ChangeLog* log);
  ~PublishedView();
  PublishedView(const PublishedView&) = delete;
  PublishedView& operator=(const PublishedView&) = delete;

  const CityState& state() const { return *state_; }

 private:
  CityState* state_;
  ChangeLog* log_;
  std::vector<CityState::DistrictNode> districts_;  // created since S(k-1)
  // Entities created since, with the maps they go back in.
  std::vector<std::pair<EntityMap*, EntityMap::node_type>> entities_;
};

// Makes `value` the value of `ref` in `state`, first noting in `log` the
// value it replaces (moved in, not copied) or its absence, and a district it
// creates: how a mirror follows a change while keeping S(k-1) in the log.
void ApplyChange(const EntityRef& ref, Json value, CityState* state, ChangeLog* log);

// The text of the delta from the published state (described by `log`
// against `current`, with timestamp `before_timestamp`) to `current` (with
// timestamp `after_timestamp`), exactly as DeltaToText writes it; nullopt
// when no entity differs, whatever the timestamps. It first prepares the
// entities noted since the last Prepare() (the log keeps those deltas, so
// a publish that fails need not diff them again), then assembles the
// entities' delta texts, written as they were diffed (DiffText), not built
// as trees. `ranks` keeps array indices between calls; without it, they
// are built for this call alone (a walk of each array holding a change).
std::optional<std::string> ComposeDelta(const CityState& current, ChangeLog* log,
                                        const std::string& before_timestamp,
                                        const std::string& after_timestamp,
                                        const DiffOptions& options = {},
                                        EntityRanks* ranks = nullptr);

}  // namespace twin

#endif  // TWIN_LIB_STATE_DELTA_H_
