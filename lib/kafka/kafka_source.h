// Reading topics from Kafka as a RecordSource, without a consumer group:
// the read path of twin-replay capture and rebuild.
//
// Open() takes each partition's watermarks once: the source yields every
// message from the start (the earliest offset, or the first at or after
// `start_ms`) up to the end offset the partition had at Open(), then ends.
// Messages produced later are not read, so a rebuild of a live topic
// terminates. Partitions are assigned by hand and nothing is committed, so no
// consumer group's offsets ever move.
//
// Start time: where the broker answers offsetsForTimes, reading starts at
// the offset it gives; where it cannot (librdkafka's mock broker returns -1),
// reading starts at the earliest offset, and one log line says so. The
// source does not filter by timestamp: callers keep their window with
// InTimeWindow (CreateTime timestamps need not grow within a partition, and
// the earliest-offset start yields earlier messages too).
//
// Order: messages of one partition come in offset order; partitions
// interleave as the broker delivers them, as in twin-ingest. Not
// synchronised; `stop` may be set from a signal handler, and makes Next()
// return Cancelled within about half a second.
//
// Errors: a lost connection is retried (librdkafka reconnects). When all
// brokers have been down for `broker_down_timeout_ms` with nothing read, or
// on any other consumer error, Next() returns Unavailable naming it.
#ifndef TWIN_LIB_KAFKA_SOURCE_H_
#define TWIN_LIB_KAFKA_SOURCE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/status.h"
#include "lib/city/positions.h"
#include "lib/kafka/kafka_io.h"
#include "lib/kafka/rebuild.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace twin {

struct KafkaReadOptions {
  std::vector<std::string> topics;  // topics the broker does not know are skipped
  std::optional<int64_t> start_ms;  // start at the first message at or after
  // Partitions that start at exactly this offset instead (a base snapshot's
  // positions); start_ms applies to the others.
  Positions start_offsets;
  bool with_headers = true;  // false: leave Record::headers empty (faster)
  int broker_down_timeout_ms = 10000;
};

class KafkaRecordSource : public RecordSource {
 public:
  // Connects, reads the watermarks and assigns the partitions. Unavailable
  // when the broker cannot be reached or refuses the metadata request.
  static Result<std::unique_ptr<KafkaRecordSource>> Open(const KafkaSettings& settings,
                                                         const KafkaReadOptions& options,
                                                         const std::atomic<bool>* stop);
  ~KafkaRecordSource() override;

  Result<std::optional<Record>> Next() override;
  // Messages read and to read in all.
  uint64_t Done() const override { return read_; }
  uint64_t Total() const override { return total_; }

 private:
  KafkaRecordSource() = default;

  class BrokerWatch;
  std::unique_ptr<BrokerWatch> watch_;  // before consumer_: it outlives it
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  KafkaReadOptions options_;
  std::string brokers_;
  const std::atomic<bool>* stop_ = nullptr;
  std::map<std::pair<std::string, int32_t>, int64_t> end_;  // exclusive end offsets
  size_t unfinished_ = 0;  // partitions not yet read to their end
  uint64_t read_ = 0;
  uint64_t total_ = 0;
};

struct CaptureOptions {
  std::vector<std::string> topics;
  std::optional<int64_t> from_ms;  // skip earlier messages
  std::optional<int64_t> to_ms;    // skip later messages
};

// twin-replay capture: writes the topics' messages in the window, up to the
// end offsets they had at the start, to `out` as NDJSON records; *captured
// counts them.
Status CaptureRecords(const KafkaSettings& settings, const CaptureOptions& options,
                      std::ostream& out, const std::atomic<bool>* stop,
                      uint64_t* captured);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_SOURCE_H_
