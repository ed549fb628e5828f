#include "lib/ingest/pending_changes.h"

namespace twin {

void PendingChanges::NoteApplied(const ApplyResult& result) {
  if (result.outcome != Outcome::kApplied) return;
  changed_.insert(result.target);
  if (result.district_created) created_.insert(result.target.district_id);
}

void PendingChanges::NoteConsumed(const PartitionId& partition, int64_t offset) {
  offsets_[partition] = Offset(offset).Next();
}

ChangeBatch PendingChanges::Batch(const CityState& state) const {
  ChangeBatch batch = ChangeBatch::Collect(state, changed_, created_);
  batch.positions = offsets_;
  return batch;
}

void PendingChanges::ForgetChanges() {
  changed_.clear();
  created_.clear();
}

}  // namespace twin
