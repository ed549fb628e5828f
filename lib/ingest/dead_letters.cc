#include "lib/ingest/dead_letters.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace twin {

Result<std::unique_ptr<DeadLetterProducer>> DeadLetterProducer::Create(
    std::string topic, DeadLetterLimits limits, const MakeProducer& make,
    StatsChanged on_change) {
  std::unique_ptr<DeadLetterProducer> dead_letters(
      new DeadLetterProducer(std::move(topic), limits, std::move(on_change)));
  DeadLetterProducer* self = dead_letters.get();
  TWIN_ASSIGN_OR_RETURN(dead_letters->producer_, make([self](const Delivery& delivery) {
                          self->Delivered(delivery);
                        }));
  return dead_letters;
}

void DeadLetterProducer::Add(DeadLetter letter) {
  if (waiting_.size() >= limits_.max_waiting ||
      waiting_bytes_ + letter.value.size() > limits_.max_waiting_bytes) {
    spdlog::warn(
        "dead letter for {}[{}]@{} dropped: {} dead letters ({} bytes) are already "
        "waiting for the broker",
        letter.source_topic, letter.source_partition, letter.source_offset,
        waiting_.size(), waiting_bytes_);
    ++stats_.dropped;
    stats_.last_error = "too many dead letters waiting for the broker";
    Changed();
    return;
  }
  waiting_bytes_ += letter.value.size();
  const uint64_t id = next_id_++;
  waiting_.emplace(id, Waiting{std::move(letter)});
  Changed();
  Send(id);
}

void DeadLetterProducer::Poll() { producer_->Poll(0); }

bool DeadLetterProducer::SettleForCommit() {
  // Send may give a copy up (erase it): step past it first.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const uint64_t id = it->first;
    const bool failed = it->second.failed;
    ++it;
    if (failed) Send(id);
  }
  producer_->Flush(limits_.settle_timeout_ms);
  if (!waiting_.empty()) {
    spdlog::warn("{} dead letters not acknowledged; not committing", waiting_.size());
    return false;
  }
  return true;
}

void DeadLetterProducer::Send(uint64_t id) {
  auto it = waiting_.find(id);
  Waiting& waiting = it->second;
  waiting.failed = false;
  const DeadLetter& letter = waiting.letter;
  OutgoingMessage message;
  message.topic = topic_;
  message.key = letter.key;
  message.value = letter.value;
  message.timestamp_ms = letter.timestamp_ms;
  message.headers = {{"source-topic", letter.source_topic},
                     {"source-partition", std::to_string(letter.source_partition)},
                     {"source-offset", std::to_string(letter.source_offset)},
                     {"error", letter.reason}};
  message.id = id;
  const Delivery queued = producer_->Produce(message);
  if (queued.failure == SendFailure::kPermanent) {
    GiveUp(it, queued.error);
  } else if (queued.failure == SendFailure::kRetriable) {
    waiting.failed = true;
    spdlog::warn("dead letter not sent: {}; it is sent again before the next commit",
                 queued.error);
  }
}

void DeadLetterProducer::Delivered(const Delivery& delivery) {
  auto it = waiting_.find(delivery.id);
  if (it == waiting_.end()) return;
  switch (delivery.failure) {
    case SendFailure::kNone:
      Forget(it);
      break;
    case SendFailure::kPermanent:
      GiveUp(it, delivery.error);
      break;
    case SendFailure::kRetriable:
      it->second.failed = true;
      spdlog::warn(
          "dead letter delivery failed: {}; it is sent again before the next commit",
          delivery.error);
      break;
  }
}

void DeadLetterProducer::GiveUp(std::map<uint64_t, Waiting>::iterator it,
                                const std::string& error) {
  const DeadLetter& letter = it->second.letter;
  spdlog::warn(
      "dead letter for {}[{}]@{} ({}, {} bytes) cannot be delivered to {}: {}; it is "
      "counted and passed, and its offset is committed",
      letter.source_topic, letter.source_partition, letter.source_offset, letter.reason,
      letter.value.size(), topic_, error);
  ++stats_.failed;
  stats_.last_error = error;
  Forget(it);
}

void DeadLetterProducer::Forget(std::map<uint64_t, Waiting>::iterator it) {
  waiting_bytes_ -= it->second.letter.value.size();
  waiting_.erase(it);
  Changed();
}

void DeadLetterProducer::Changed() {
  stats_.waiting = waiting_.size();
  if (on_change_) on_change_(stats_);
}

}  // namespace twin
