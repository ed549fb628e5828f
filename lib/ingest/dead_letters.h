// The dead letters of twin-ingest (state-rules.md §4): a copy of every
// rejected message, with why, to the dead-letter topic, acknowledged before
// the message's offset is committed.
//
// Copies wait here until the broker acknowledges them. One whose delivery
// failed for a passing reason is sent again before the next commit
// (SettleForCommit); one that cannot be delivered (too large, no such
// topic, not authorised) is given up on, counted, and must not stall the
// consumer. Past a bound on waiting copies (count or bytes) a new one is
// dropped, counted, rather than held without limit. Not thread-safe: the
// ingest loop owns it.
#ifndef TWIN_LIB_INGEST_DEAD_LETTERS_H_
#define TWIN_LIB_INGEST_DEAD_LETTERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lib/base/status.h"
#include "lib/kafka/producer.h"

namespace twin {

// A rejected input message and why.
struct DeadLetter {
  std::string source_topic;
  int32_t source_partition = 0;
  int64_t source_offset = 0;
  std::optional<std::string> key;
  std::string value;
  int64_t timestamp_ms = 0;
  std::string reason;
};

struct DeadLetterLimits {
  size_t max_waiting = 10000;                    // copies not yet acknowledged
  size_t max_waiting_bytes = size_t{256} << 20;  // their values
  int settle_timeout_ms = 10000;                 // SettleForCommit's wait
};

// What happened to dead letters so far, for /metrics and /healthz.
struct DeadLetterStats {
  uint64_t failed = 0;   // given up on: cannot be delivered
  uint64_t dropped = 0;  // past the bound on waiting copies
  uint64_t waiting = 0;  // sent, not yet acknowledged
  std::string last_error;
};

class DeadLetterProducer {
 public:
  using MakeProducer =
      std::function<Result<std::unique_ptr<Producer>>(Producer::DeliveryHandler)>;
  using StatsChanged = std::function<void(const DeadLetterStats&)>;

  // A producer to `topic` made by `make` (MakeKafkaProducer, or a fake),
  // telling `on_change` after every change of its stats.
  static Result<std::unique_ptr<DeadLetterProducer>> Create(std::string topic,
                                                            DeadLetterLimits limits,
                                                            const MakeProducer& make,
                                                            StatsChanged on_change);

  // Sends a copy of `letter`, or drops it past the bound.
  void Add(DeadLetter letter);
  // Serves the deliveries that are due (no wait).
  void Poll();
  // Before a commit: sends again what failed for a passing reason, then
  // waits (up to the limit) for every acknowledgement. True when no copy
  // waits any more: the offsets of their messages may be committed.
  bool SettleForCommit();
  const DeadLetterStats& stats() const { return stats_; }

 private:
  DeadLetterProducer(std::string topic, DeadLetterLimits limits, StatsChanged on_change)
      : topic_(std::move(topic)), limits_(limits), on_change_(std::move(on_change)) {}
  struct Waiting {
    DeadLetter letter;
    bool failed = false;  // to be sent again before the next commit
  };
  void Send(uint64_t id);
  void Delivered(const Delivery& delivery);
  void GiveUp(std::map<uint64_t, Waiting>::iterator it, const std::string& error);
  void Forget(std::map<uint64_t, Waiting>::iterator it);
  void Changed();

  std::string topic_;
  DeadLetterLimits limits_;
  StatsChanged on_change_;
  std::unique_ptr<Producer> producer_;
  std::map<uint64_t, Waiting> waiting_;
  size_t waiting_bytes_ = 0;
  uint64_t next_id_ = 1;
  DeadLetterStats stats_;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_DEAD_LETTERS_H_
