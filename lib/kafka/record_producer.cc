#include "lib/kafka/record_producer.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace twin {
namespace {

// How long the end of a run waits for the broker's acknowledgements.
constexpr int kAcknowledgeTimeoutMs = 30000;

// What the broker answered: the acknowledged count and the first failure.
struct Answers {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  std::string first_error;
};

}  // namespace

Status ProduceRecords(RecordSource* source, const KafkaSettings& settings,
                      const ProduceOptions& options, const std::atomic<bool>* stop,
                      uint64_t* produced, const ProducerFactory& make_producer) {
  Answers answers;
  TWIN_ASSIGN_OR_RETURN(
      std::unique_ptr<Producer> producer,
      make_producer(settings, {{"enable.idempotence", "true"}}, [&](const Delivery& d) {
        if (d.failure == SendFailure::kNone) {
          ++answers.delivered;
          return;
        }
        ++answers.failed;
        if (answers.first_error.empty())
          answers.first_error = "delivery to " + d.topic + " failed: " + d.error;
      }));

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t sent = 0;
  const Status status = ForEachRecord(source, stop, [&](const Record& r) {
    if (options.rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(sent / options.rate)));
    }
    OutgoingMessage message;
    message.topic = r.topic;
    message.partition = r.partition;
    message.key = r.key;
    message.value = r.value;
    message.timestamp_ms = r.timestamp_ms >= 0 ? r.timestamp_ms : 0;
    message.headers = r.headers;
    message.id = sent;
    const Delivery queued = producer->Produce(message);
    if (queued.failure != SendFailure::kNone) {
      return Status::Unavailable("produce to " + r.topic + ": " + queued.error);
    }
    ++sent;
    producer->Poll(0);
    // A failed delivery ends the run; it is the error returned below.
    if (!answers.first_error.empty()) return Status::Unavailable(answers.first_error);
    return Status::Ok();
  });
  // Wait for the broker to acknowledge what was sent, even when stopping.
  producer->Flush(kAcknowledgeTimeoutMs);
  *produced = answers.delivered;
  if (!answers.first_error.empty()) return Status::Unavailable(answers.first_error);
  if (const uint64_t unanswered = sent - answers.delivered - answers.failed;
      unanswered > 0) {
    return Status::Unavailable(std::to_string(unanswered) +
                               " messages not acknowledged by " + settings.brokers);
  }
  return status;
}

}  // namespace twin
