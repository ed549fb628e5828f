#include "lib/publish/document_sink.h"

#include <spdlog/spdlog.h>

namespace twin {

Result<std::unique_ptr<DocumentSink>> DocumentSink::Create(const ProducerFactory& make,
                                                           const KafkaSettings& settings,
                                                           std::string key,
                                                           Clock* clock) {
  // A design-scale state.full is 7-8 MB: compressed by default, and allowed
  // past librdkafka's 1 MB default up to its maximum, 1 GB (librdkafka
  // checks the uncompressed size): the broker's own limit, on the
  // compressed batch, is the one that matters, and its refusal is an error
  // that names it (Send).
  // gzip, because every Kafka client reads it without a plugin (kafkajs,
  // the design document's consumers, needs one for zstd, lz4 and snappy),
  // and it brings the design-scale city to about 0.8 MB (state-rules.md §3).
  const KafkaProperties defaults = {{"acks", "all"},
                                    {"enable.idempotence", "true"},
                                    {"compression.type", "gzip"},
                                    {"message.max.bytes", "1000000000"}};
  // The codec in force: the default unless -X names another (the last wins,
  // as in MakeKafkaConf).
  std::string codec;
  for (const KafkaProperties* list : {&defaults, &settings.properties}) {
    for (const auto& [name, value] : *list) {
      if (name == "compression.type" || name == "compression.codec") codec = value;
    }
  }
  std::unique_ptr<DocumentSink> sink(new DocumentSink(std::move(key), codec, clock));
  DocumentSink* self = sink.get();
  TWIN_ASSIGN_OR_RETURN(sink->producer_,
                        make(settings, defaults, [self](const Delivery& delivery) {
                          self->Delivered(delivery);
                        }));
  return sink;
}

void DocumentSink::Delivered(const Delivery& delivery) {
  // A report for a message given up on earlier is not this send's.
  if (delivery.id == send_id_) delivery_ = delivery;
}

SendReport DocumentSink::Send(const std::string& topic, std::string_view value,
                              const Headers& headers) {
  delivery_.reset();
  OutgoingMessage message;
  message.topic = topic;
  message.key = key_;
  message.value = value;
  message.headers = headers;
  message.id = ++send_id_;
  const Delivery queued = producer_->Produce(message);
  if (queued.failure != SendFailure::kNone) {
    spdlog::error(
        "publish to {} refused: {} ({} bytes; raise message.max.bytes with -X and "
        "the topic's max.message.bytes)",
        topic, queued.error, value.size());
    return {Sequencer::Outcome::kNotStored};
  }
  const Clock::time_point sent = clock_->Now();
  for (std::chrono::milliseconds waited{0}; waited < ack_timeout_ && !delivery_;
       waited += std::chrono::milliseconds(100)) {
    producer_->Flush(100);
  }
  if (delivery_ && delivery_->failure == SendFailure::kNone) {
    return {Sequencer::Outcome::kAcknowledged, clock_->Now() - sent};
  }
  if (delivery_ && delivery_->too_large) {
    // state-rules.md §3: a refused document names its size and the limit.
    const std::optional<std::string> limit =
        producer_->TopicConfig(topic, "max.message.bytes");
    spdlog::error(
        "publish to {} refused by the broker: the {}-byte document is larger, "
        "compressed ({}), than the topic's max.message.bytes ({}). Raise the "
        "topic's max.message.bytes (the broker's message.max.bytes for new "
        "topics), and consumers' fetch.max.bytes and max.partition.fetch.bytes; "
        "see twin-publish(1)",
        topic, value.size(), codec_,
        limit ? *limit + " bytes" : "unknown: the broker did not say");
    return {Sequencer::Outcome::kNotStored};
  }
  spdlog::error("publish to {} failed: {} ({} bytes)", topic,
                delivery_ ? delivery_->error : "no acknowledgement", value.size());
  if (!delivery_ || delivery_->maybe_stored) return {Sequencer::Outcome::kInDoubt};
  return {Sequencer::Outcome::kNotStored};
}

}  // namespace twin
