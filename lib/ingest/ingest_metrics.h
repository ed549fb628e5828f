// IngestMetrics: what twin-ingest reports on /metrics (Prometheus text) and
// /healthz. A value type: the loop updates one behind a mutex (Guarded) and
// the HTTP thread reads copies.
#ifndef TWIN_LIB_INGEST_INGEST_METRICS_H_
#define TWIN_LIB_INGEST_INGEST_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "lib/http/prometheus.h"
#include "lib/ingest/dead_letters.h"

namespace twin {

// Figures for /metrics, updated by Run().
struct IngestMetrics {
  std::map<std::pair<std::string, std::string>, uint64_t> messages;  // topic, outcome
  uint64_t flushes = 0;
  uint64_t flush_failures = 0;
  uint64_t commits = 0;
  uint64_t pending_entities = 0;
  double last_flush_ms = 0;
  double last_batch_ms = 0;
  LatencyHistogram flush_seconds;  // every flush the store accepted
  LatencyHistogram batch_seconds;  // every batch of consumed messages
  int64_t lag = 0;                 // messages behind the end of the assigned partitions
  bool store_ok = true;
  uint64_t fenced_flushes = 0;  // refused: another member holds a partition
  uint64_t reacquires = 0;      // state read again after a replacement
  uint64_t store_rewrites = 0;  // the whole city written after the store lost it
  // Dead letters given up on (state-rules.md §4): a delivery that retrying
  // cannot cure (too large, no such topic, not authorised), or one past the
  // bound on unacknowledged dead letters. Their offsets are committed all the
  // same: bad input never stalls the consumer.
  DeadLetterStats dead_letters;

  std::string ToPrometheus() const;
  // /healthz: 503 while the store is unreachable; 200 "degraded" (with the
  // reason) once a dead letter was given up on; else 200 "ok".
  struct Health {
    int code;
    std::string body;  // JSON
  };
  Health ToHealth() const;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_INGEST_METRICS_H_
