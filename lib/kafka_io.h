// Moving recorded messages in and out of Kafka (twin-replay produce and
// capture), with librdkafka.
//
// Settings pass librdkafka properties through unchanged (kcat's -X model).
// Capture uses no consumer group (partitions are assigned, offsets never
// committed), so it never moves a service's offsets. Not synchronised;
// `stop` may be set from a signal handler.
#ifndef TWIN_LIB_KAFKA_IO_H_
#define TWIN_LIB_KAFKA_IO_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
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

struct CaptureOptions {
  std::vector<std::string> topics;
  std::optional<int64_t> from_ms;  // skip earlier messages
  std::optional<int64_t> to_ms;    // skip later messages
};

// Writes every message of `topics`, up to the end offsets they had when the
// capture started, to `out` as NDJSON records. Where the broker cannot look
// offsets up by time, it reads from the earliest offset and skips by message
// timestamp (and logs that it does).
Status CaptureRecords(const KafkaSettings& settings, const CaptureOptions& options,
                      std::ostream& out, const std::atomic<bool>* stop, uint64_t* captured);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_IO_H_
