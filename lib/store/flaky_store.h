// FlakyStore: a MemoryStore that refuses as a Redis that went away would,
// for unit tests of the loops over a store: every call while `down`, and
// reads of entity values also while `entity_reads_down` (the feed was read,
// then the connection dropped). A refusal is Unavailable "store down".
// Not synchronised.
#ifndef TWIN_LIB_STORE_FLAKY_STORE_H_
#define TWIN_LIB_STORE_FLAKY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "lib/store/memory_store.h"

namespace twin {

class FlakyStore : public MemoryStore {
 public:
  bool down = false;
  bool entity_reads_down = false;

  using MemoryStore::Replace;
  Result<std::string> Replace(const CityState& state,
                              const Positions& positions) override {
    if (down) return Refusal();
    return MemoryStore::Replace(state, positions);
  }
  Result<Epochs> TakeEpochs(const std::vector<PartitionId>& partitions) override {
    if (down) return Refusal();
    return MemoryStore::TakeEpochs(partitions);
  }
  Result<StoredState> Read() override {
    if (down) return Refusal();
    return MemoryStore::Read();
  }
  Status Write(const ChangeBatch& batch) override {
    if (down) return Refusal();
    return MemoryStore::Write(batch);
  }
  Result<FeedRead> ReadFeed(FeedCursor cursor, size_t max_entries) override {
    if (down) return Refusal();
    return MemoryStore::ReadFeed(cursor, max_entries);
  }
  Result<EntityValues> ReadEntities(const std::vector<EntityRef>& refs) override {
    if (down || entity_reads_down) return Refusal();
    return MemoryStore::ReadEntities(refs);
  }
  Result<std::optional<District>> ReadDistrictMeta(const std::string& id) override {
    if (down) return Refusal();
    return MemoryStore::ReadDistrictMeta(id);
  }

 private:
  static Status Refusal() { return Status::Unavailable("store down"); }
};

}  // namespace twin

#endif  // TWIN_LIB_STORE_FLAKY_STORE_H_
