// The Kafka group consumer as a seam: what twin-ingest asks of its consumer,
// without librdkafka's types, so that the ingest loop runs in unit tests
// against a scripted fake (lib/kafka/fake_consumer.h). MakeKafkaConsumer is
// the real one.
//
// Rebalances are reported to the RebalanceListener given at creation, from
// inside Poll() and Close() and only there (never from another thread);
// the listener may call the consumer's other methods meanwhile.
#ifndef TWIN_LIB_KAFKA_CONSUMER_H_
#define TWIN_LIB_KAFKA_CONSUMER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/city/positions.h"
#include "lib/kafka/kafka_io.h"

namespace twin {

// Start offsets that are not offsets (librdkafka's logical offsets).
inline constexpr int64_t kOffsetBeginning = -2;  // the partition's first message
inline constexpr int64_t kOffsetCommitted =
    -1001;  // the group's commit, else auto.offset.reset

// A partition given to this member and the offset it starts at.
struct PartitionStart {
  PartitionId partition;
  int64_t offset = kOffsetCommitted;
};

class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // `partitions` are this member's now; each starts at the offset the
  // listener leaves in it.
  virtual void OnAssigned(std::vector<PartitionStart>* partitions) = 0;
  // `partitions` are taken away once this returns. `lost`: the assignment
  // was lost (a stall past the session timeout), and another member may
  // own them already.
  virtual void OnRevoked(const std::vector<PartitionId>& partitions, bool lost) = 0;
};

// What one Poll() found. Its views stay valid until the next Poll().
struct ConsumerEvent {
  enum class Kind {
    kMessage,       // a message of `partition` at `offset`
    kPartitionEnd,  // `partition` is read to its end, for now
    kNothing,       // the timeout passed
    kError,         // a client-level error, in `error`; the consumer goes on
  };
  Kind kind = Kind::kNothing;
  PartitionId partition;
  int64_t offset = 0;
  std::optional<std::string_view> key;
  std::string_view value;
  int64_t timestamp_ms = 0;
  std::string error;
};

class GroupConsumer {
 public:
  virtual ~GroupConsumer() = default;
  virtual Status Subscribe(const std::vector<std::string>& topics) = 0;
  // The next message or event, waiting up to `timeout` for one.
  virtual const ConsumerEvent& Poll(std::chrono::milliseconds timeout) = 0;
  virtual std::vector<PartitionId> Assignment() = 0;
  virtual void Pause(const std::vector<PartitionId>& partitions) = 0;
  virtual void Resume(const std::vector<PartitionId>& partitions) = 0;
  // The next Poll() of `partition` starts at `offset` (or a logical one).
  virtual Status Seek(const PartitionId& partition, int64_t offset) = 0;
  // The group's committed offsets of `partitions`; one with none is absent.
  virtual Result<Positions> Committed(const std::vector<PartitionId>& partitions) = 0;
  // Commits `offsets` (each the next offset to read), waiting for the answer.
  virtual Status Commit(const Positions& offsets) = 0;
  // The partition's end as last heard from the broker (no round trip).
  virtual std::optional<int64_t> HighWatermark(const PartitionId& partition) = 0;
  // Leaves the group (revoking the assignment through the listener).
  virtual void Close() = 0;
};

// Makes a consumer: MakeKafkaConsumer, or a fake in tests.
using ConsumerFactory = std::function<Result<std::unique_ptr<GroupConsumer>>(
    const KafkaSettings& settings, const KafkaProperties& defaults,
    RebalanceListener* listener)>;

// The librdkafka consumer, configured from `settings` over `defaults`.
// `listener` must outlive it.
Result<std::unique_ptr<GroupConsumer>> MakeKafkaConsumer(const KafkaSettings& settings,
                                                         const KafkaProperties& defaults,
                                                         RebalanceListener* listener);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_CONSUMER_H_
