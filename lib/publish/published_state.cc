#include "lib/publish/published_state.h"

#include <utility>

namespace twin {

std::shared_ptr<const PublishedDocument> PublishedState::Last() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_;
}

std::shared_ptr<const PublishedDocument> PublishedState::Readable(
    std::chrono::milliseconds wait) const {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!last_ || last_->has_text()) return last_;
  render_wanted_ = true;
  rendered_.wait_for(lock, wait, [this] { return last_->has_text(); });
  return last_->has_text() ? last_ : last_with_text_;
}

PublishMetrics PublishedState::Metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return metrics_;
}

void PublishedState::Published(std::shared_ptr<const PublishedDocument> document,
                               const MetricsUpdate& update) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = document;
  if (document->has_text()) TextReadyLocked(std::move(document));
  update(metrics_);
}

void PublishedState::TextReady(std::shared_ptr<const PublishedDocument> document) {
  std::lock_guard<std::mutex> lock(mutex_);
  TextReadyLocked(std::move(document));
}

bool PublishedState::RenderWanted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return render_wanted_;
}

void PublishedState::UpdateMetrics(const MetricsUpdate& update) {
  std::lock_guard<std::mutex> lock(mutex_);
  update(metrics_);
}

void PublishedState::TextReadyLocked(std::shared_ptr<const PublishedDocument> document) {
  last_with_text_ = std::move(document);
  render_wanted_ = false;
  rendered_.notify_all();
}

}  // namespace twin
