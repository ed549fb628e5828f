// What twin-publish has published, shared between its loop (the only
// writer) and the HTTP threads (readers): the last document, the newest one
// with its text, and the figures for /metrics. One mutex guards them all.
#ifndef TWIN_LIB_PUBLISH_PUBLISHED_STATE_H_
#define TWIN_LIB_PUBLISH_PUBLISHED_STATE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/timestamp.h"
#include "lib/city/city_state.h"
#include "lib/http/prometheus.h"
#include "lib/publish/sequence.h"

namespace twin {

// A document the broker acknowledged. Its text is set once: at once for a
// state.full, and for an incremental only when someone asks for it
// (Publisher::Readable()), since rendering the whole city costs in proportion
// to the city (about 700 ms at 10x), not to the change.
class PublishedDocument {
 public:
  PublishedDocument(Sequence sequence, Micros micros)
      : sequence(sequence), micros(micros), timestamp(FormatMicros(micros)) {}

  const Sequence sequence;
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

// The holder. Every method is thread-safe.
class PublishedState {
 public:
  using MetricsUpdate = std::function<void(PublishMetrics&)>;

  // The last document published (nullptr before the first), text or not.
  std::shared_ptr<const PublishedDocument> Last() const;
  // The last document published, with its text: asks the publisher to
  // render it (RenderWanted()) and waits up to `wait` for TextReady(). If
  // it came too late, the newest document that has a text is returned
  // instead. nullptr before the first publish.
  std::shared_ptr<const PublishedDocument> Readable(std::chrono::milliseconds wait) const;
  PublishMetrics Metrics() const;

  // `document` was acknowledged: it becomes Last() (and, with its text, the
  // answer to waiting readers), and `update` counts it, together.
  void Published(std::shared_ptr<const PublishedDocument> document,
                 const MetricsUpdate& update);
  // `document` has its text now: readers waiting in Readable() take it.
  void TextReady(std::shared_ptr<const PublishedDocument> document);
  // Whether a reader waits for the text of Last().
  bool RenderWanted() const;
  void UpdateMetrics(const MetricsUpdate& update);

 private:
  void TextReadyLocked(std::shared_ptr<const PublishedDocument> document);

  mutable std::mutex mutex_;
  mutable std::condition_variable rendered_;
  std::shared_ptr<const PublishedDocument> last_;
  std::shared_ptr<const PublishedDocument> last_with_text_;
  mutable bool render_wanted_ = false;
  PublishMetrics metrics_;
};

}  // namespace twin

#endif  // TWIN_LIB_PUBLISH_PUBLISHED_STATE_H_
