// The twin-publish loop: state.full and state.incremental as state-rules.md
// §3 says.
//
// The publisher keeps a mirror of the city current from the store's change
// feed, and, for each entity changed since the last document the broker
// really acknowledged, S(k-1), its value there and its delta (a ChangeLog).
// Between ticks it reads the feed every 100 ms (follow_interval_ms) and
// diffs what changed, so that a tick reads and diffs only the last few
// changes. An incremental
// message k carries the delta composed from those entities alone
// (state_delta.h), equal to the jsondiffpatch-compatible Diff(S(k-1), S(k)),
// so jsondiffpatch.patch(S(k-1), delta) deep-equals S(k) and a tick costs in
// proportion to what changed. After the feed says `reload` (the mirror is
// read whole again), the next delta diffs the two whole documents instead.
// A publish the broker surely did not store does not use up its sequence
// number; one that it may have stored (in doubt) does, and a state.full
// follows. Either way the next delta is again computed from S(k-1).
//
// Run() is single-threaded; Last(), Readable() and Metrics() may be called
// from other threads (the HTTP server).
#ifndef TWIN_LIB_PUBLISHER_H_
#define TWIN_LIB_PUBLISHER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/base/clock.h"
#include "lib/base/status.h"
#include "lib/base/timestamp.h"
#include "lib/city/city_state.h"
#include "lib/http/prometheus.h"
#include "lib/kafka/kafka_io.h"
#include "lib/kafka/producer.h"
#include "lib/publish/change_stream.h"
#include "lib/publish/published_state.h"
#include "lib/store/state_store.h"

namespace twin {

struct PublishOptions {
  KafkaSettings kafka;
  std::string city_id{kDefaultCityId};
  int full_interval_ms = 60000;
  int incremental_interval_ms = 5000;
  std::string full_topic = "state.full";
  std::string incremental_topic = "state.incremental";
  // Between ticks, read the change feed and diff what changed this often,
  // so that a tick has only the last changes to read and diff; 0: only at
  // ticks (less work for an entity that changes often, slower ticks).
  int follow_interval_ms = 100;
  bool once = false;  // publish one state.full and return
  // /api/stream (lib/change_stream.h): clients at once, and how far (bytes
  // of events) one may fall behind before it is dropped.
  ChangeStreamOptions stream;
};

// What the loop runs on: librdkafka's producer and the real clock, or
// fakes in unit tests (publish_loop_test: FakeProducer, FakeClock).
struct PublishEnv {
  ProducerFactory make_producer = MakeKafkaProducer;
  Clock* clock = RealClock();
};

class Publisher {
 public:
  Publisher(PublishOptions options, StateStore* store, PublishEnv env = {})
      : options_(std::move(options)),
        store_(store),
        env_(std::move(env)),
        stream_(options_.stream) {}

  // Publishes until `stop` is set (a final state.full then), or once.
  Status Run(const std::atomic<bool>* stop);

  // The last document published, its text on request, and the figures
  // (published_state.h). Thread-safe.
  std::shared_ptr<const PublishedDocument> Last() const { return published_.Last(); }
  std::shared_ptr<const PublishedDocument> Readable(
      std::chrono::milliseconds wait) const {
    return published_.Readable(wait);
  }
  PublishMetrics Metrics() const { return published_.Metrics(); }
  // The events after each published document, for /api/stream; closed
  // when Run() returns. Thread-safe.
  ChangeStream& Stream() const { return stream_; }

 private:
  PublishOptions options_;
  StateStore* store_;
  PublishEnv env_;
  mutable PublishedState published_;
  mutable ChangeStream stream_;
};

}  // namespace twin

#endif  // TWIN_LIB_PUBLISHER_H_
