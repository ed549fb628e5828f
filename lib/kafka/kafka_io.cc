#include "lib/kafka/kafka_io.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <fstream>
#include <memory>

namespace twin {

Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(const KafkaSettings& settings,
                                                     const KafkaProperties& defaults) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  KafkaProperties all = {{"bootstrap.servers", settings.brokers},
                         {"client.id", settings.client_id}};
  all.insert(all.end(), defaults.begin(), defaults.end());
  all.insert(all.end(), settings.properties.begin(), settings.properties.end());
  std::string error;
  for (const auto& [key, value] : all) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      // librdkafka's message quotes the value: not for a secret.
      if (IsSecretProperty(key)) error = "invalid value (not shown: a secret)";
      return Status::InvalidArgument("Kafka property '" + key + "': " + error);
    }
  }
  return conf;
}

bool IsSecretProperty(std::string_view key) {
  for (std::string_view word : {"password", "secret", "sasl.jaas", "key.pem", "token"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

Result<KafkaProperties> ReadKafkaConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Status::InvalidArgument("Kafka config file '" + path + "': cannot be read");
  KafkaProperties properties;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(start, end - start + 1);
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      // The line may hold a secret: named by its number only.
      return Status::InvalidArgument("Kafka config file '" + path + "', line " +
                                     std::to_string(number) + ": expected key=value");
    }
    properties.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return properties;
}

Result<std::pair<std::string, std::string>> ParseKafkaProperty(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument(
        "-X expects key=value, got '" +
        (IsSecretProperty(text) ? std::string("(a secret)") : text) + "'");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

std::optional<std::string> DescribeTopicConfig(RdKafka::Handle* handle,
                                               const std::string& topic,
                                               const std::string& name, int timeout_ms) {
  rd_kafka_t* rk = handle->c_ptr();
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, error, sizeof error);
  rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  std::optional<std::string> value;
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 1000);
  if (event && rd_kafka_event_type(event) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT &&
      !rd_kafka_event_error(event)) {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event), &n);
    for (size_t i = 0; i < n && !value; ++i) {
      if (rd_kafka_ConfigResource_error(results[i])) continue;
      size_t count = 0;
      const rd_kafka_ConfigEntry_t** entries =
          rd_kafka_ConfigResource_configs(results[i], &count);
      for (size_t j = 0; j < count; ++j) {
        const char* value_text = rd_kafka_ConfigEntry_value(entries[j]);
        if (name == rd_kafka_ConfigEntry_name(entries[j]) && value_text) {
          value = value_text;
          break;
        }
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  return value;
}

}  // namespace twin
