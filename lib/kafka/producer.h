// The Kafka producer as a seam: what a service sends and how it hears back,
// without librdkafka's types, so that the logic above it (dead letters, for
// one) runs in unit tests against a fake. MakeKafkaProducer is the real one.
//
// Deliveries are reported to the handler given at creation, from inside
// Produce(), Poll() and Flush() and only there (never from another thread).
#ifndef TWIN_LIB_KAFKA_PRODUCER_H_
#define TWIN_LIB_KAFKA_PRODUCER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"
#include "lib/kafka/kafka_io.h"

namespace twin {

// Why a message was not stored. kRetriable: sending it again may succeed
// (a broker away, a timeout); kPermanent: it cannot (too large for the
// producer or the topic, no such topic, not authorised, refused by policy).
enum class SendFailure { kNone, kRetriable, kPermanent };

struct OutgoingMessage {
  std::string topic;
  int32_t partition = -1;  // -1: the producer's partitioner chooses, by key
  std::optional<std::string> key;
  std::string_view value;  // copied by Produce()
  int64_t timestamp_ms = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t id = 0;  // named again in its Delivery
};

struct Delivery {
  uint64_t id = 0;
  SendFailure failure = SendFailure::kNone;  // kNone: the broker stored it
  std::string error;                         // why, when it failed
  std::string topic = {};                    // the message's, when it failed
  // A failure after which the broker may hold the message all the same (a
  // request timed out in flight; librdkafka's PossiblyPersisted).
  bool maybe_stored = false;
  bool too_large = false;  // refused for its size, by the producer or the broker
};

class Producer {
 public:
  using DeliveryHandler = std::function<void(const Delivery&)>;
  virtual ~Producer() = default;
  // Queues `message`, serving deliveries while the local queue is full. A
  // failure means it was not queued (and no Delivery follows for it).
  virtual Delivery Produce(const OutgoingMessage& message) = 0;
  // Serves the deliveries that are due, waiting up to `timeout_ms` for one.
  virtual void Poll(int timeout_ms) = 0;
  // Waits up to `timeout_ms` for every queued message's delivery. True when
  // none is left in flight.
  virtual bool Flush(int timeout_ms) = 0;
  // Best effort: learns the topics' leaders now, so that the first send to
  // each does not wait for them.
  virtual void LearnTopics(const std::vector<std::string>& topics) { (void)topics; }
  // A topic's configuration value as the broker states it (for error
  // messages: max.message.bytes), or nullopt.
  virtual std::optional<std::string> TopicConfig(const std::string& topic,
                                                 const std::string& name) {
    (void)topic, (void)name;
    return std::nullopt;
  }
};

// Makes a producer: MakeKafkaProducer, or a fake in tests.
using ProducerFactory = std::function<Result<std::unique_ptr<Producer>>(
    const KafkaSettings& settings, const KafkaProperties& defaults,
    Producer::DeliveryHandler on_delivery)>;

// The librdkafka producer, configured from `settings` over `defaults`.
Result<std::unique_ptr<Producer>> MakeKafkaProducer(
    const KafkaSettings& settings, const KafkaProperties& defaults,
    Producer::DeliveryHandler on_delivery);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_PRODUCER_H_
