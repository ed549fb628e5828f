// Kafka client configuration with librdkafka, and a topic's configuration
// as the broker states it. Sending recorded messages is in
// record_producer.h, reading them in kafka_source.h.
//
// Settings pass librdkafka properties through unchanged (kcat's -X model).
#ifndef TWIN_LIB_KAFKA_IO_H_
#define TWIN_LIB_KAFKA_IO_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"

namespace RdKafka {
class Conf;
class Handle;
}  // namespace RdKafka

namespace twin {

struct KafkaSettings {
  std::string brokers = "localhost:9092";
  std::string client_id = "state-manager";
  std::vector<std::pair<std::string, std::string>> properties;  // -X key=value, in order
};

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// A librdkafka global configuration: bootstrap.servers and client.id from
// `settings`, then `defaults`, then the -X properties, which override both.
// InvalidArgument names a property librdkafka refuses.
Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const KafkaSettings& settings, const KafkaProperties& defaults = {});

// Whether a librdkafka property holds a secret (sasl.password,
// ssl.key.password, ...): its value is never put in an error or a log.
bool IsSecretProperty(std::string_view key);

// The properties of a kcat-style config file (-F, KAFKA_CONFIG_FILE): one
// key=value a line, '#' comments and blank lines skipped, in order. Errors
// name the file and a line's number, never its text (it may be a secret).
Result<KafkaProperties> ReadKafkaConfigFile(const std::string& path);

// Parses "key=value" (a -X argument).
Result<std::pair<std::string, std::string>> ParseKafkaProperty(const std::string& text);

// The value of one of `topic`'s configs as the broker reports it
// (DescribeConfigs), through any client handle; nullopt when the broker
// does not answer within `timeout_ms` or has no such config (librdkafka's
// mock cluster has no DescribeConfigs at all). For error messages that name
// a limit (max.message.bytes), so best effort by design.
std::optional<std::string> DescribeTopicConfig(RdKafka::Handle* handle,
                                               const std::string& topic,
                                               const std::string& name, int timeout_ms);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_IO_H_
