// The twin-ingest loop: Kafka consumer group -> update rules -> Redis, with
// at-least-once delivery (state-rules.md §2 and §4).
//
// Offsets are committed only after the state changes of the messages before
// them are in the store (a flush) and their rejections are acknowledged by
// the dead-letter topic. A crash at any moment therefore re-reads at most
// what was not committed, and re-applying it converges (the stale rule
// skips older messages, equal timestamps apply again).
// Each flush also writes the positions it covers, fenced by the epochs this
// member took at its assignment (state-rules.md §4, positions.h): a member
// resumes from the store's positions, and one that lost its partitions can
// write nothing. On a rebalance, revoked partitions are flushed and
// committed before they are given up (unless the assignment was lost), and
// the state is re-read from the store when partitions are assigned, so a
// member continues from what the previous owner wrote.
// When a flush finds the city gone from the store (Redis restarted empty),
// a member that read it rewrites its whole city from memory; one that never
// read it refuses to build a partial one. A flush that finds the state
// replaced (a load) reads it again and resumes from its positions.
// Run() is single-threaded; Metrics() may be read from other threads.
#ifndef TWIN_LIB_INGEST_H_
#define TWIN_LIB_INGEST_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "lib/base/guarded.h"
#include "lib/base/status.h"
#include "lib/city/update_rules.h"
#include "lib/http/prometheus.h"
#include "lib/ingest/dead_letters.h"
#include "lib/kafka/kafka_io.h"
#include "lib/store/state_store.h"

namespace twin {

struct IngestOptions {
  KafkaSettings kafka;
  std::string group_id = "state-manager-group";
  std::string city_id{kDefaultCityId};
  size_t batch_size = 1000;
  int flush_interval_ms = 1000;
  std::string dead_letter_topic = "twin.deadletter";  // empty: none
  RuleOptions rules;
  bool exit_at_end = false;
  // Start on a store that holds no city although the group has committed
  // offsets: the state those offsets cover is gone (Redis restarted without
  // persistence). Without it, Run() refuses, naming the ways to restore it.
  bool accept_empty_store = false;
  // Above this many unflushed changed entities (Redis down), consumption
  // pauses until a flush succeeds.
  size_t max_pending_entities = 200000;
};

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

class Ingestor {
 public:
  // What Run() would refuse at once: a cooperative partition assignor (the
  // rebalance handling is eager). InvalidArgument names the setting.
  static Status CheckOptions(const IngestOptions& options);

  Ingestor(IngestOptions options, StateStore* store)
      : options_(std::move(options)), store_(store) {}

  // Consumes until `stop` is set (or, with exit_at_end, until every
  // assigned partition is read to its end), then flushes and commits.
  // Transient Kafka and Redis failures are retried, not returned.
  Status Run(const std::atomic<bool>* stop);

  IngestMetrics Metrics() const { return metrics_.Get(); }

 private:
  IngestOptions options_;
  StateStore* store_;
  Guarded<IngestMetrics> metrics_;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_H_
