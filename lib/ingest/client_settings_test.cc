#include "lib/ingest/client_settings.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

std::string Value(const KafkaProperties& properties, const std::string& key) {
  for (const auto& [k, v] : properties) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST_CASE("the producer gets every -X property but the consumer's own") {
  KafkaSettings consumer;
  consumer.brokers = "b1:9092,b2:9092";
  consumer.properties = {{"security.protocol", "SASL_SSL"},
                         {"group.instance.id", "m1"},
                         {"session.timeout.ms", "6000"},
                         {"heartbeat.interval.ms", "500"},
                         {"auto.offset.reset", "latest"},
                         {"enable.auto.commit", "true"},
                         {"max.poll.interval.ms", "60000"},
                         {"partition.assignment.strategy", "range"},
                         {"fetch.max.bytes", "1000"},
                         {"isolation.level", "read_committed"},
                         {"enable.partition.eof", "false"},
                         {"queued.max.messages.kbytes", "100"},
                         {"check.crcs", "true"},
                         {"sasl.username", "twin"},
                         {"message.timeout.ms", "1000"}};
  const KafkaSettings producer = ProducerSettings(consumer);
  CHECK(producer.brokers == "b1:9092,b2:9092");
  CHECK(producer.properties == KafkaProperties{{"security.protocol", "SASL_SSL"},
                                               {"sasl.username", "twin"},
                                               {"message.timeout.ms", "1000"}});
}

TEST_CASE("the consumer commits by hand, from the earliest offset, in its group") {
  IngestOptions options;
  options.group_id = "g7";
  const KafkaProperties defaults = ConsumerDefaults(options);
  CHECK(Value(defaults, "group.id") == "g7");
  CHECK(Value(defaults, "enable.auto.commit") == "false");
  CHECK(Value(defaults, "enable.auto.offset.store") == "false");
  CHECK(Value(defaults, "enable.partition.eof") == "true");
  CHECK(Value(defaults, "auto.offset.reset") == "earliest");
}

TEST_CASE("the dead-letter producer takes the largest message the input accepts") {
  IngestOptions options;
  options.rules.max_message_bytes = 4 << 20;
  const KafkaProperties defaults = DeadLetterProducerDefaults(options);
  CHECK(Value(defaults, "message.max.bytes") == std::to_string((4 << 20) + 65536));
  CHECK(Value(defaults, "acks") == "all");
  CHECK(Value(defaults, "enable.idempotence") == "true");
  options.rules.max_message_bytes = 1000;  // never below librdkafka's default
  CHECK(Value(DeadLetterProducerDefaults(options), "message.max.bytes") == "1000000");
}

}  // namespace
}  // namespace twin
