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
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/status.h"
#include "lib/base/timestamp.h"
#include "lib/city/city_state.h"
#include "lib/http/prometheus.h"
#include "lib/kafka/kafka_io.h"
#include "lib/publish/change_stream.h"
#include "lib/store/state_store.h"

namespace twin {

struct PublishOptions {
  KafkaSettings kafka;
  std::string city_id = "laquila-dt-001";
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

// A document the broker acknowledged. Its text is set once: at once for a
// state.full, and for an incremental only when someone asks for it
// (Publisher::Readable()), since rendering the whole city costs in proportion
// to the city (about 700 ms at 10x), not to the change.
class PublishedDocument {
 public:
  PublishedDocument(uint64_t sequence, Micros micros)
      : sequence(sequence), micros(micros), timestamp(FormatMicros(micros)) {}

  const uint64_t sequence;
  const Micros micros;
  const std::string timestamp;  // `micros` as the document states it

  bool has_text() const { return has_text_.load(std::memory_order_acquire); }
  // Requires has_text().
  const std::string& text() const { return text_; }
  // `text` parsed, on first use (thread-safe). Requires has_text().
  const Json& Document() const {
    std::call_once(parsed_, [this] { document_ = Json::parse(text_); });
    return document_;
  }
  // Once, by the publisher, before or after the document is shared.
  void SetText(std::string text) {
    text_ = std::move(text);
    has_text_.store(true, std::memory_order_release);
  }

 private:
  std::string text_;
  std::atomic<bool> has_text_{false};
  mutable std::once_flag parsed_;
  mutable Json document_;
};

struct PublishMetrics {
  uint64_t full = 0, incremental = 0, failures = 0, reloads = 0;
  uint64_t unreadable = 0;  // changed entities whose stored value is not JSON
  uint64_t prepared = 0;    // entity deltas made between ticks
  uint64_t sequence = 0;
  size_t last_full_bytes = 0, last_delta_bytes = 0;
  double last_publish_ms = 0;     // tick start (feed read) to the broker's ack
  LatencyHistogram tick_seconds;  // each acknowledged publish, tick start to ack
  LatencyHistogram ack_seconds;   // each acknowledged publish, send to ack
  // False while the store holds no state for the city (Redis restarted
  // empty, say): nothing is published then (state-rules.md §3).
  bool store_has_city = true;
  std::string ToPrometheus() const;
};

class Publisher {
 public:
  Publisher(PublishOptions options, StateStore* store)
      : options_(std::move(options)), store_(store), stream_(options_.stream) {}

  // Publishes until `stop` is set (a final state.full then), or once.
  Status Run(const std::atomic<bool>* stop);

  // The last document published (nullptr before the first), text or not.
  std::shared_ptr<const PublishedDocument> Last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
  }
  // The last document published, with its text: asks the publisher to
  // render it and waits up to `wait`. The publisher renders it from its
  // mirror, put back to that document by the change log, unless the mirror
  // was read whole since (then the document that follows has its text at
  // once). If it could not in time, the newest document that has a text is
  // returned instead. nullptr before the first publish.
  std::shared_ptr<const PublishedDocument> Readable(std::chrono::milliseconds wait) const;
  PublishMetrics Metrics() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return metrics_;
  }
  // The events after each published document, for /api/stream; closed
  // when Run() returns. Thread-safe.
  ChangeStream& Stream() const { return stream_; }

 private:
  friend class PublishRun;
  // `document` has its text: requests waiting in Readable() may take it.
  // Called with mutex_ held.
  void TextReady(std::shared_ptr<const PublishedDocument> document);

  PublishOptions options_;
  StateStore* store_;
  mutable std::mutex mutex_;
  mutable std::condition_variable rendered_;
  std::shared_ptr<const PublishedDocument> last_;
  std::shared_ptr<const PublishedDocument> last_with_text_;
  mutable bool render_wanted_ = false;
  PublishMetrics metrics_;
  mutable ChangeStream stream_;
};

}  // namespace twin

#endif  // TWIN_LIB_PUBLISHER_H_
