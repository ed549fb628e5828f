#include "lib/publish/change_stream.h"

#include <algorithm>

namespace twin {

std::string SseEvent(Sequence id, const std::string& name, const std::string& data) {
  std::string out = "id: " + std::to_string(id.value()) + "\nevent: " + name + "\ndata: ";
  // SSE ends a data line at CR or LF; a JSON text has them only as
  // whitespace, which may go.
  for (char c : data) {
    if (c != '\n' && c != '\r') out += c;
  }
  out += "\n\n";
  return out;
}

std::optional<std::string> ChangeStream::Subscription::Next(
    std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, wait, [this] { return !queue_.empty() || dropped_ || closed_; });
  if (dropped_ || (closed_ && queue_.empty())) return std::nullopt;
  std::string out;
  while (!queue_.empty()) {
    out += queue_.front();
    queue_.pop_front();
  }
  queued_bytes_ = 0;
  return out;
}

bool ChangeStream::Subscription::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

std::shared_ptr<ChangeStream::Subscription> ChangeStream::Subscribe(
    std::optional<Sequence> after) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || subscriptions_.size() >= options_.max_clients) return nullptr;
  auto subscription = std::make_shared<Subscription>();
  // Missed: the client has a sequence and it is not the last published one
  // (older, or from before a restart that began again).
  const bool missed = after && (!published_ || *after != sequence_);
  const std::string hello = std::string("{\"sequence\":") +
                            (published_ ? std::to_string(sequence_.value()) : "null") +
                            ",\"missed\":" + (missed ? "true" : "false") + "}";
  subscription->queue_.push_back(SseEvent(sequence_, "hello", hello));
  subscription->queued_bytes_ = subscription->queue_.back().size();
  subscriptions_.push_back(subscription);
  return subscription;
}

void ChangeStream::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscriptions_.erase(
      std::remove(subscriptions_.begin(), subscriptions_.end(), subscription),
      subscriptions_.end());
}

void ChangeStream::Publish(Sequence sequence, const std::string& name,
                           const std::string& data) {
  const std::string event = SseEvent(sequence, name, data);
  std::lock_guard<std::mutex> lock(mutex_);
  sequence_ = sequence;
  published_ = true;
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    Subscription& s = **it;
    bool drop = false;
    {
      std::lock_guard<std::mutex> sub_lock(s.mutex_);
      // One event always queues, however large: a client that keeps up is
      // never dropped for the size of a tick.
      if (!s.queue_.empty() &&
          s.queued_bytes_ + event.size() > options_.max_queued_bytes) {
        s.dropped_ = true;
        s.queue_.clear();
        s.queued_bytes_ = 0;
        drop = true;
      } else {
        s.queue_.push_back(event);
        s.queued_bytes_ += event.size();
      }
    }
    s.ready_.notify_all();
    if (drop) {
      ++dropped_total_;
      it = subscriptions_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ChangeStream::has_clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !subscriptions_.empty();
}

void ChangeStream::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  for (auto& s : subscriptions_) {
    {
      std::lock_guard<std::mutex> sub_lock(s->mutex_);
      s->closed_ = true;
    }
    s->ready_.notify_all();
  }
  subscriptions_.clear();
}

size_t ChangeStream::clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_.size();
}

uint64_t ChangeStream::dropped_total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_total_;
}

}  // namespace twin
