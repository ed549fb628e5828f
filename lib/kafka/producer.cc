#include "lib/kafka/producer.h"

#include <librdkafka/rdkafkacpp.h>

namespace twin {
namespace {

// A delivery error that no retry can cure.
SendFailure Classify(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR_NO_ERROR:
      return SendFailure::kNone;
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_POLICY_VIOLATION:
    case RdKafka::ERR__INVALID_ARG:
      return SendFailure::kPermanent;
    default:
      return SendFailure::kRetriable;
  }
}

class KafkaProducer : public Producer, public RdKafka::DeliveryReportCb {
 public:
  explicit KafkaProducer(DeliveryHandler on_delivery)
      : on_delivery_(std::move(on_delivery)) {}

  Status Open(const KafkaSettings& settings, const KafkaProperties& defaults) {
    TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf,
                          MakeKafkaConf(settings, defaults));
    std::string error;
    conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), error);
    producer_.reset(RdKafka::Producer::create(conf.get(), error));
    if (!producer_) return Status::Unavailable("Kafka producer: " + error);
    return Status::Ok();
  }

  Delivery Produce(const OutgoingMessage& message) override {
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : message.headers) headers->add(name, value);
    while (true) {
      const RdKafka::ErrorCode err = producer_->produce(
          message.topic,
          message.partition >= 0 ? message.partition : RdKafka::Topic::PARTITION_UA,
          RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(message.value.data()),
          message.value.size(), message.key ? message.key->data() : nullptr,
          message.key ? message.key->size() : 0, message.timestamp_ms, headers,
          reinterpret_cast<void*>(static_cast<uintptr_t>(message.id)));
      if (err == RdKafka::ERR_NO_ERROR) {
        return {message.id, SendFailure::kNone, {}};  // it owns headers now
      }
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        Delivery refused{message.id, Classify(err), RdKafka::err2str(err)};
        refused.topic = message.topic;
        refused.too_large = err == RdKafka::ERR_MSG_SIZE_TOO_LARGE;
        return refused;
      }
      producer_->poll(100);
    }
  }

  void Poll(int timeout_ms) override { producer_->poll(timeout_ms); }

  bool Flush(int timeout_ms) override {
    for (int waited = 0; producer_->outq_len() > 0 && waited < timeout_ms;
         waited += 100) {
      producer_->flush(100);
    }
    return producer_->outq_len() == 0;
  }

  void dr_cb(RdKafka::Message& message) override {
    const RdKafka::ErrorCode err = message.err();
    Delivery delivery{reinterpret_cast<uintptr_t>(message.msg_opaque()), Classify(err),
                      err == RdKafka::ERR_NO_ERROR ? "" : message.errstr()};
    delivery.maybe_stored =
        err != RdKafka::ERR_NO_ERROR &&
        message.status() != RdKafka::Message::MSG_STATUS_NOT_PERSISTED;
    delivery.too_large = err == RdKafka::ERR_MSG_SIZE_TOO_LARGE;
    if (err != RdKafka::ERR_NO_ERROR) delivery.topic = message.topic_name();
    on_delivery_(delivery);
  }

  void LearnTopics(const std::vector<std::string>& topics) override {
    for (const std::string& name : topics) {
      std::string error;
      std::unique_ptr<RdKafka::Topic> topic(
          RdKafka::Topic::create(producer_.get(), name, nullptr, error));
      RdKafka::Metadata* metadata = nullptr;
      if (topic && producer_->metadata(false, topic.get(), &metadata, 5000) ==
                       RdKafka::ERR_NO_ERROR) {
        delete metadata;
      }
    }
  }

  std::optional<std::string> TopicConfig(const std::string& topic,
                                         const std::string& name) override {
    return DescribeTopicConfig(producer_.get(), topic, name, 5000);
  }

 private:
  DeliveryHandler on_delivery_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace

Result<std::unique_ptr<Producer>> MakeKafkaProducer(
    const KafkaSettings& settings, const KafkaProperties& defaults,
    Producer::DeliveryHandler on_delivery) {
  auto producer = std::make_unique<KafkaProducer>(std::move(on_delivery));
  TWIN_RETURN_IF_ERROR(producer->Open(settings, defaults));
  return std::unique_ptr<Producer>(std::move(producer));
}

}  // namespace twin
