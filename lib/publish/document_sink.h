// DocumentSink: how twin-publish sends one document and learns what became
// of it, in the terms the Sequencer needs (state-rules.md §3), over the
// Producer seam (lib/kafka/producer.h): MakeKafkaProducer in the service,
// FakeProducer in unit tests.
//
// Send() waits for the broker's answer to this message (up to the ack
// timeout) and says:
//   kAcknowledged  the broker stored it;
//   kNotStored     it surely did not (refused by the producer, too large
//                  for the topic, or failed before it was sent);
//   kInDoubt       it may have (a request timed out in flight, or no answer
//                  came in time): its sequence must not be used again.
// The reason is logged, naming the size and the topic's limit for a
// document too large. Not synchronised: owned by the publisher's loop.
#ifndef TWIN_LIB_PUBLISH_DOCUMENT_SINK_H_
#define TWIN_LIB_PUBLISH_DOCUMENT_SINK_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/clock.h"
#include "lib/base/status.h"
#include "lib/kafka/producer.h"
#include "lib/publish/envelope.h"
#include "lib/publish/sequencer.h"

namespace twin {

struct SendReport {
  Sequencer::Outcome outcome = Sequencer::Outcome::kNotStored;
  Clock::duration ack_wait{0};  // acknowledged: from the send to the answer
};

class DocumentSink {
 public:
  // A producer made by `make` from `settings` over twin-publish's defaults
  // (acks=all, idempotent, gzip, messages up to librdkafka's 1 GB), every
  // message keyed by `key` (the city id).
  static Result<std::unique_ptr<DocumentSink>> Create(const ProducerFactory& make,
                                                      const KafkaSettings& settings,
                                                      std::string key, Clock* clock);

  SendReport Send(const std::string& topic, std::string_view value,
                  const Headers& headers);
  // Serves the producer's deliveries that are due, without waiting.
  void Poll() { producer_->Poll(0); }
  // Best effort: learns the topics' leaders now (Producer::LearnTopics).
  void LearnTopics(const std::vector<std::string>& topics) {
    producer_->LearnTopics(topics);
  }
  void set_ack_timeout(std::chrono::milliseconds timeout) { ack_timeout_ = timeout; }
  // compression.type, as configured (for logs and errors).
  const std::string& codec() const { return codec_; }

 private:
  DocumentSink(std::string key, std::string codec, Clock* clock)
      : key_(std::move(key)), codec_(std::move(codec)), clock_(clock) {}
  void Delivered(const Delivery& delivery);

  std::string key_;
  std::string codec_;
  Clock* clock_;
  std::unique_ptr<Producer> producer_;
  std::chrono::milliseconds ack_timeout_{60000};
  uint64_t send_id_ = 0;
  std::optional<Delivery> delivery_;  // this send's, once it came
};

}  // namespace twin

#endif  // TWIN_LIB_PUBLISH_DOCUMENT_SINK_H_
