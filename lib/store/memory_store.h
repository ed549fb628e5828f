// MemoryStore: the StateStore contract (state_store.h) in memory, for unit
// tests of the loops that use a store, without a redis-server. It keeps what
// RedisStore keeps: entity values as the text written (so that a value that
// is not JSON is reported by ReadEntities, as Redis would hold it), district
// members, the city's own fields, and a change feed that only grows,
// trimmed to `feed_retention` entries (a reader behind that is told to
// reload, as is one behind a Replace). The store_state_contract_test runs
// the same cases against it and against Redis. Not synchronised.
#ifndef TWIN_LIB_MEMORY_STORE_H_
#define TWIN_LIB_MEMORY_STORE_H_

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "lib/store/state_store.h"

namespace twin {

class MemoryStore : public StateStore {
 public:
  explicit MemoryStore(size_t feed_retention = 100000)
      : feed_retention_(feed_retention) {}

  using StateStore::Replace;
  Result<std::string> Replace(const CityState& state,
                              const Positions& positions) override;
  Result<Epochs> TakeEpochs(const std::vector<PartitionId>& partitions) override;
  Result<StoredState> Read() override;
  Status Write(const ChangeBatch& batch) override;
  Result<FeedRead> ReadFeed(FeedCursor cursor, size_t max_entries) override;
  Result<EntityValues> ReadEntities(const std::vector<EntityRef>& refs) override;
  Result<std::optional<District>> ReadDistrictMeta(const std::string& id) override;

  // As a Redis restarted without persistence: the city, its positions,
  // epochs and feed gone, the cursor back at 0.
  void Forget();

 private:
  struct FeedEntry {
    FeedCursor cursor;
    bool reload;  // a Replace
    std::vector<EntityRef> changed;
    std::vector<std::string> new_districts;
  };
  void Append(FeedEntry entry);

  size_t feed_retention_;
  bool has_city_ = false;
  CityState fields_;  // the city's own members and timestamp; no districts or entities
  std::map<std::string, std::string> district_meta_;  // id -> DistrictMetaJson
  std::map<EntityRef, std::string> entities_;         // ref -> JSON text as written
  Positions positions_;
  Epochs epochs_;
  std::string incarnation_;
  uint64_t replacements_ = 0;  // for incarnation names
  FeedCursor cursor_;
  std::deque<FeedEntry> feed_;
};

}  // namespace twin

#endif  // TWIN_LIB_MEMORY_STORE_H_
