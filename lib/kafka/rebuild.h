// Rebuilding a city state from a stream of recorded messages: the offline
// path through exactly the rules twin-ingest applies.
//
// Rebuild reads a RecordSource (record_source.h) and applies each record whose topic is
// an input topic and whose timestamp lies in the window, counting every outcome. Not
// synchronised; `stop` may be set from a signal handler.
#ifndef TWIN_LIB_REBUILD_H_
#define TWIN_LIB_REBUILD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lib/base/status.h"
#include "lib/city/city_state.h"
#include "lib/city/outcome_counts.h"
#include "lib/city/positions.h"
#include "lib/city/update_rules.h"
#include "lib/kafka/record.h"
#include "lib/kafka/record_source.h"

namespace twin {

// Applies records to a state, counting outcomes. Used by rebuild and ingest.
class RecordApplier {
 public:
  RecordApplier(CityState* state, RuleOptions options)
      : state_(state), options_(options) {}

  // Applies one record. Records of other topics count as ignored.
  ApplyResult Apply(const Record& record);
  ApplyResult Apply(std::string_view topic, std::string_view value, int64_t timestamp_ms);

  const OutcomeCounts& counts() const { return counts_; }

 private:
  CityState* state_;
  RuleOptions options_;
  OutcomeCounts counts_;
};

// True if `timestamp_ms` lies in [from_ms, to_ms]; a missing bound is open.
inline bool InTimeWindow(int64_t timestamp_ms, const std::optional<int64_t>& from_ms,
                         const std::optional<int64_t>& to_ms) {
  return !(from_ms && timestamp_ms < *from_ms) && !(to_ms && timestamp_ms > *to_ms);
}

struct RebuildOptions {
  RuleOptions rules;
  std::optional<int64_t> from_ms;  // skip records with an earlier timestamp
  std::optional<int64_t> to_ms;    // skip records with a later timestamp
  // Partitions whose messages before this offset are already in the state
  // (a base snapshot's positions): those are skipped, and from_ms does not
  // apply to the rest of them.
  Positions resume;
  // Called now and then with the source, for progress reports.
  std::function<void(const RecordSource&, const OutcomeCounts&)> progress;
};

// Applies every record of `source` to `*state`. Returns Cancelled if `stop`
// became true, leaving `*state` part-way (callers discard it). With
// `positions`, notes the position of every input-topic record that names
// its partition and offset (NotePosition), applied or not.
Status Rebuild(RecordSource* source, const RebuildOptions& options,
               const std::atomic<bool>* stop, CityState* state, OutcomeCounts* counts,
               Positions* positions = nullptr);

}  // namespace twin

#endif  // TWIN_LIB_REBUILD_H_
