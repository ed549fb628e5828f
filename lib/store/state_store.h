// StateStore: where the city state lives between processes (Redis in
// production, see redis_store.h), behind an interface so that the ingest
// and publish loops can be unit-tested with an in-memory fake (MemoryStore,
// memory_store.h; store_contract_test holds both to this contract).
//
// The contract every implementation keeps:
// - Write() makes a batch of entity writes visible all at once and costs
//   O(batch), whatever the size of the city;
// - every Write() and Replace() appends one entry to a change feed, numbered
//   by a cursor that only grows; ReadFeed() returns the entities changed
//   after a cursor, or says `reload` when the reader fell behind the feed's
//   retention or the state was replaced;
// - Read() returns the whole state with the cursor it corresponds to, the
//   Kafka positions it reflects and the incarnation it belongs to;
// - a Write() carries the positions it brings the state to, written in the
//   same transaction as its entities, and a fence: it is refused, writing
//   nothing, when the city is gone (NotFound), when the state was replaced
//   since the writer read it (FailedPrecondition), or when another member
//   took one of its partitions (Aborted) (state-rules.md §4);
// - Replace() gives the state a new incarnation, so that every writer that
//   read the old one is refused until it reads again.
// Implementations are not synchronised: one instance per thread.
#ifndef TWIN_LIB_STATE_STORE_H_
#define TWIN_LIB_STATE_STORE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/base/named_type.h"
#include "lib/base/status.h"
#include "lib/city/city_state.h"
#include "lib/city/positions.h"

namespace twin {

// A position in the change feed: the number of the last entry a reader has
// (0: none). Numbers only grow, by one an entry, until the store loses its
// data.
using FeedCursor = NamedType<uint64_t, struct FeedCursorTag>;

// What one flush writes: the changed entities as JSON text, the districts
// created since the last flush, and the state's timestamp.
struct ChangeBatch {
  Micros timestamp;
  // Set by a writer that has seen the city in the store (it loaded it, or
  // wrote to it): Write then refuses with NotFound, writing nothing, when
  // the city's state is gone (Redis restarted without persistence), instead
  // of starting a partial city (state-rules.md §4).
  bool city_must_exist = false;
  std::vector<std::pair<std::string, std::string>> new_districts;  // id, meta
  std::vector<std::pair<EntityRef, std::string>> entities;         // ref, JSON
  // The positions this batch brings the state to (only partitions that
  // moved need be named). A batch of positions alone changes no entity and
  // appends nothing to the change feed.
  Positions positions;
  // The fence, checked when city_must_exist: the incarnation the writer
  // read, and the epochs it holds.
  std::string incarnation;
  Epochs epochs;

  bool empty() const {
    return new_districts.empty() && entities.empty() && positions.empty();
  }
  bool changes_entities() const { return !new_districts.empty() || !entities.empty(); }

  // Collects the current values of `changed` entities and `created`
  // districts from `state`. Refs that name nothing are skipped.
  static ChangeBatch Collect(const CityState& state, const std::set<EntityRef>& changed,
                             const std::set<std::string>& created);
};

// A district's own members (all but its entities), as stored: JSON text of
// {"fields": {...}, "graph": {...}}.
std::string DistrictMetaJson(const District& district);
Status ApplyDistrictMetaJson(std::string_view text, District* district);

struct StoredState {
  CityState state;
  FeedCursor cursor;    // the feed position this state includes
  Positions positions;  // the Kafka positions this state reflects
  // Which Replace() this state descends from: a writer passes it back in
  // its batches (empty for a state written before incarnations existed).
  std::string incarnation;
};

// What StateStore::ReadEntities found, by ref, in the refs' order.
struct EntityValues {
  std::vector<std::optional<Json>> values;  // nullopt where absent or unreadable
  std::vector<size_t> unreadable;           // refs whose stored value is not JSON
};

struct FeedRead {
  bool reload = false;  // fell behind or the state was replaced: Read() again
  FeedCursor cursor;    // pass to the next ReadFeed()
  // The incarnation of the state the entries apply to. A reader whose state
  // has another one must Read() again: after Redis lost its data and a
  // member rewrote the city, the new feed's cursors restart from 1 and can
  // catch up with an old reader's cursor.
  std::string incarnation;
  std::vector<EntityRef> changed;  // may repeat a ref
  std::vector<std::string> new_districts;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Makes `state`, with `positions`, the city's whole state, atomically:
  // readers see the old state or the new one. On failure the old state is
  // intact. Returns the new incarnation.
  virtual Result<std::string> Replace(const CityState& state,
                                      const Positions& positions) = 0;
  // A state without positions (a city definition): members resume from the
  // consumer group's commits.
  Status Replace(const CityState& state) { return Replace(state, {}).status(); }

  // Takes a new epoch for each of `partitions` (each one more than the last
  // taken, in any incarnation) and returns them: from now on, writes that
  // name an older epoch of these partitions are refused.
  virtual Result<Epochs> TakeEpochs(const std::vector<PartitionId>& partitions) = 0;

  // The whole state. NotFound if the city has no state.
  virtual Result<StoredState> Read() = 0;

  // Applies `batch` atomically and appends it to the change feed, unless
  // its fence refuses it (see the contract above).
  virtual Status Write(const ChangeBatch& batch) = 0;

  // Changes after `cursor`, at most `max_entries` feed entries.
  virtual Result<FeedRead> ReadFeed(FeedCursor cursor, size_t max_entries) = 0;

  // Current values of `refs`. A stored value that is not JSON is reported
  // in the result, not as an error, so that one bad value does not hold up
  // the rest.
  virtual Result<EntityValues> ReadEntities(const std::vector<EntityRef>& refs) = 0;

  // A district's stored members, or nullopt.
  virtual Result<std::optional<District>> ReadDistrictMeta(const std::string& id) = 0;
};

}  // namespace twin

#endif  // TWIN_LIB_STATE_STORE_H_
