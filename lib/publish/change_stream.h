// What twin-publish tells browsers after each published document, as
// Server-Sent Events (GET /api/stream, "Option 4" in twin-publish(1)).
//
// The publisher calls Publish() once a document is acknowledged: an event
// named "incremental" (the changed entities' new values) or "full" (re-read
// /api/state), its `id` the document's sequence. Each client is a
// Subscription with its own bounded queue: a client that falls behind by
// more than `max_queued_bytes` is dropped (its stream ends; an EventSource
// reconnects), never buffered without limit.
//
// A new subscription first gets a "hello" event, {"sequence":S,"missed":M}:
// S is the last published sequence, M whether the client missed anything
// since the sequence it says it has (its Last-Event-ID, or ?after=): then
// it must re-read /api/state. Thread-safe.
#ifndef TWIN_LIB_CHANGE_STREAM_H_
#define TWIN_LIB_CHANGE_STREAM_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/publish/sequence.h"

namespace twin {

struct ChangeStreamOptions {
  size_t max_clients = 8;                     // past it, Subscribe() refuses
  size_t max_queued_bytes = 8 * 1024 * 1024;  // per client, before it is dropped
};

// One SSE event as it goes on the wire: "id: ...\nevent: ...\ndata: ...\n\n".
std::string SseEvent(Sequence id, const std::string& name, const std::string& data);

class ChangeStream {
 public:
  class Subscription {
   public:
    // The next bytes to send: waits up to `wait` for an event. An empty
    // string means nothing came (send a keep-alive); nullopt means the
    // stream ended: the client was dropped, or the stream closed.
    std::optional<std::string> Next(std::chrono::milliseconds wait);
    bool dropped() const;

   private:
    friend class ChangeStream;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> queue_;
    size_t queued_bytes_ = 0;
    bool dropped_ = false;
    bool closed_ = false;
  };

  explicit ChangeStream(ChangeStreamOptions options = {}) : options_(options) {}

  // A new client, or nullptr when max_clients are connected. `after`: the
  // last sequence the client has (nullopt: it has none, it reads
  // /api/state first; it is not told it missed anything).
  std::shared_ptr<Subscription> Subscribe(std::optional<Sequence> after);
  // Ends a client's subscription (it disconnected).
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

  // Queues an event for every client; drops a client whose queue would pass
  // max_queued_bytes. `data` is one line of JSON.
  void Publish(Sequence sequence, const std::string& name, const std::string& data);
  // Whether anyone listens: the publisher skips building events otherwise.
  bool has_clients() const;
  // Ends every stream (twin-publish stopping).
  void Close();

  size_t clients() const;
  uint64_t dropped_total() const;

 private:
  ChangeStreamOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  Sequence sequence_;  // of the last Publish(); 0 before the first
  bool published_ = false;
  uint64_t dropped_total_ = 0;
  bool closed_ = false;
};

}  // namespace twin

#endif  // TWIN_LIB_CHANGE_STREAM_H_
