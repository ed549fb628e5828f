#include "lib/ingest/client_settings.h"

#include <algorithm>
#include <string_view>

namespace twin {

KafkaProperties ConsumerDefaults(const IngestOptions& options) {
  // Offsets are committed by hand, after each flush; -X may override the rest.
  // The fetch queue: a real broker fills each fetch up to fetch.max.bytes
  // (50 MB by default) and librdkafka queues up to 64 MiB, which took peak
  // RSS to 280-300 MB; 16 MiB queued and 8 MB fetches hold a second's work
  // at 150 MB and the same rate (BENCHMARKS.md). A message larger than a
  // fetch still comes whole (Kafka returns at least one record batch).
  return {{"group.id", options.group_id},        {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
          {"auto.offset.reset", "earliest"},     {"queued.max.messages.kbytes", "16384"},
          {"fetch.max.bytes", "8388608"}};
}

// The -X properties go to both clients, except the consumer's own.
KafkaSettings ProducerSettings(const KafkaSettings& consumer) {
  static constexpr std::string_view kConsumerOnly[] = {"group.",
                                                       "session.",
                                                       "heartbeat.",
                                                       "auto.",
                                                       "enable.auto",
                                                       "max.poll",
                                                       "partition.assignment",
                                                       "fetch.",
                                                       "isolation.",
                                                       "enable.partition.eof",
                                                       "queued.",
                                                       "check.crcs"};
  KafkaSettings producer = consumer;
  producer.properties.clear();
  for (const auto& [key, value] : consumer.properties) {
    bool consumer_only = false;
    for (std::string_view prefix : kConsumerOnly) {
      consumer_only = consumer_only || key.rfind(prefix, 0) == 0;
    }
    if (!consumer_only) producer.properties.emplace_back(key, value);
  }
  return producer;
}

KafkaProperties DeadLetterProducerDefaults(const IngestOptions& options) {
  // A dead letter is any message the input accepted (state-rules.md §4):
  // the producer takes as much as the input, plus room for the key and
  // headers (a message that large may still be over the topic's limit:
  // then it is given up on, not retried for ever).
  const size_t max_bytes =
      std::max<size_t>(1000000, options.rules.max_message_bytes + 65536);
  return {{"acks", "all"},
          {"enable.idempotence", "true"},
          {"message.max.bytes", std::to_string(max_bytes)},
          // Dead letters are waited for only at a commit (which flushes the
          // producer): batching them spares the broker a request each (at
          // 1% rejects, 5 ms batches cost it 4-5 s of CPU per million input
          // messages; BENCHMARKS.md).
          {"linger.ms", "100"},
          // A dead-letter topic that does not exist holds commits this long
          // (librdkafka's default: 30 s).
          {"topic.metadata.propagation.max.ms", "5000"}};
}

}  // namespace twin
