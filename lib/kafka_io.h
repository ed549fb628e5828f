// Kafka client configuration, and sending recorded messages to Kafka
// (twin-replay produce), with librdkafka. Reading is in kafka_source.h.
//
// Settings pass librdkafka properties through unchanged (kcat's -X model).
// Not synchronised; `stop` may be set from a signal handler.
#ifndef TWIN_LIB_KAFKA_IO_H_
#define TWIN_LIB_KAFKA_IO_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/rebuild.h"
#include "lib/status.h"

namespace RdKafka {
class Conf;
}

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
Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(const KafkaSettings& settings,
                                                     const KafkaProperties& defaults = {});

// Parses "key=value" (a -X argument).
Result<std::pair<std::string, std::string>> ParseKafkaProperty(const std::string& text);

struct ProduceOptions {
  double rate = 0;  // messages per second; 0: as fast as the broker takes them
};

// Sends every record of `source` to its topic: to its partition when it has
// one (else the producer's partitioner, by key), with its key, headers and
// timestamp. Returns once the broker acknowledged everything (or an error
// names the first failed delivery). *produced counts acknowledged messages.
Status ProduceRecords(RecordSource* source, const KafkaSettings& settings,
                      const ProduceOptions& options, const std::atomic<bool>* stop,
                      uint64_t* produced);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_IO_H_
