// What a twin-ingest member has applied but not yet written to the store
// (changed entities, created districts) or committed to the group (the
// next offset of each partition it consumed from). A flush writes the
// changes with the offsets as the store's positions (ChangeBatch), then
// forgets the changes; a commit then forgets the offsets. Not thread-safe.
#ifndef TWIN_LIB_INGEST_PENDING_CHANGES_H_
#define TWIN_LIB_INGEST_PENDING_CHANGES_H_

#include <cstdint>
#include <set>
#include <string>

#include "lib/city/city_state.h"
#include "lib/city/positions.h"
#include "lib/city/update_rules.h"
#include "lib/store/state_store.h"

namespace twin {

class PendingChanges {
 public:
  // Notes what an applied message changed (other outcomes change nothing).
  void NoteApplied(const ApplyResult& result);
  // Notes that the message at `offset` of `partition` was consumed, whatever
  // its outcome: the partition resumes after it.
  void NoteConsumed(const PartitionId& partition, int64_t offset);

  // The batch that writes the pending changes, as `state` holds them now,
  // and the offsets as positions. The caller adds the fence.
  ChangeBatch Batch(const CityState& state) const;

  // The changes were written (or are dropped); the offsets stay, for the
  // commit.
  void ForgetChanges();
  // The offsets were committed (or are dropped).
  void ForgetOffsets() { offsets_.clear(); }
  // Drops everything: what was pending will be consumed again.
  void Clear() {
    ForgetChanges();
    ForgetOffsets();
  }

  size_t entity_count() const { return changed_.size(); }
  bool has_changes() const { return !changed_.empty() || !created_.empty(); }
  bool empty() const { return !has_changes() && offsets_.empty(); }
  // The next offset of each partition consumed from since the last commit.
  const Positions& offsets() const { return offsets_; }

 private:
  std::set<EntityRef> changed_;
  std::set<std::string> created_;
  Positions offsets_;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_PENDING_CHANGES_H_
