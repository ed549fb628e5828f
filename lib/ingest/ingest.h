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

#include "lib/base/clock.h"
#include "lib/base/guarded.h"
#include "lib/base/status.h"
#include "lib/ingest/ingest_metrics.h"
#include "lib/ingest/ingest_options.h"
#include "lib/kafka/consumer.h"
#include "lib/kafka/producer.h"
#include "lib/store/state_store.h"

namespace twin {

// What the loop runs on: librdkafka's clients and the real clock, or fakes
// in unit tests (ingest_test: FakeBroker, FakeProducer, FakeClock).
struct IngestEnv {
  ConsumerFactory make_consumer = MakeKafkaConsumer;
  ProducerFactory make_producer = MakeKafkaProducer;  // the dead letters'
  Clock* clock = RealClock();
};

class Ingestor {
 public:
  // What Run() would refuse at once: a cooperative partition assignor (the
  // rebalance handling is eager). InvalidArgument names the setting.
  static Status CheckOptions(const IngestOptions& options);

  Ingestor(IngestOptions options, StateStore* store, IngestEnv env = {})
      : options_(std::move(options)), store_(store), env_(std::move(env)) {}

  // Consumes until `stop` is set (or, with exit_at_end, until every
  // assigned partition is read to its end), then flushes and commits.
  // Transient Kafka and Redis failures are retried, not returned.
  Status Run(const std::atomic<bool>* stop);

  IngestMetrics Metrics() const { return metrics_.Get(); }

 private:
  IngestOptions options_;
  StateStore* store_;
  IngestEnv env_;
  Guarded<IngestMetrics> metrics_;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_H_
