// FakeBroker and FakeConsumer: the GroupConsumer seam (consumer.h) for unit
// tests of the ingest loop, in simulated time (FakeClock).
//
// The test owns a FakeBroker: the partitions' logs, the group's committed
// offsets, and a script of actions due at simulated times (a rebalance, a
// store that goes away, a stop). The consumer the loop makes (Factory())
// reads it: each Poll() first runs the actions that are due, then returns
// the next message of an assigned, unpaused partition, or that partition's
// end once it has read it all, or, with nothing to give, sleeps the timeout
// on the clock. What the loop did (commits, seeks, pauses) is kept in the
// broker for the test to assert on after the loop returned.
// A run that is still going an hour of simulated time after its start sets
// `gave_up` and the stop flag, so a broken loop fails its test, not hangs.
// Not synchronised: the loop runs on the test's thread.
#ifndef TWIN_LIB_KAFKA_FAKE_CONSUMER_H_
#define TWIN_LIB_KAFKA_FAKE_CONSUMER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/clock.h"
#include "lib/kafka/consumer.h"

namespace twin {

struct FakeRecord {
  std::string value;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key = {};
};

class FakeBroker {
 public:
  FakeBroker(Clock* clock, std::atomic<bool>* stop)
      : clock_(clock), stop_(stop), started_(clock->Now()) {}
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  // Appends a message to a partition's log; returns its offset.
  int64_t Append(const PartitionId& partition, FakeRecord record) {
    auto& log = logs_[partition];
    log.push_back(std::move(record));
    return static_cast<int64_t>(log.size()) - 1;
  }
  // Runs `action` at the first Poll() `after` the start.
  void At(Clock::duration after, std::function<void()> action) {
    script_.emplace(started_ + after, std::move(action));
  }
  // A rebalance at `after`: the assignment is revoked (if any) and then
  // `partitions` assigned. `lost`: the old assignment was lost.
  void RebalanceAt(Clock::duration after, std::vector<PartitionId> partitions,
                   bool lost = false) {
    At(after, [this, partitions = std::move(partitions), lost] {
      if (!assignment_.empty()) Revoke(lost);
      Assign(partitions);
    });
  }
  void StopAt(Clock::duration after) {
    At(after, [this] { stop_->store(true); });
  }

  // The consumer a loop makes; one at a time.
  ConsumerFactory MakeFactory();

  // What the loop did.
  Positions committed;             // the group's offsets
  std::vector<Positions> commits;  // every Commit(), in order
  std::vector<std::pair<PartitionId, int64_t>> seeks;
  std::vector<std::vector<PartitionStart>> assignments;  // as the listener left them
  std::set<PartitionId> paused;
  int pauses = 0;   // Pause() calls
  int resumes = 0;  // Resume() calls
  bool closed = false;
  bool gave_up = false;
  std::vector<std::string> subscribed;

  const std::vector<PartitionId>& assignment() const { return assignment_; }

  // The group's side, for FakeConsumer.
  void Assign(const std::vector<PartitionId>& partitions) {
    std::vector<PartitionStart> starts;
    for (const auto& p : partitions) starts.push_back({p, kOffsetCommitted});
    listener_->OnAssigned(&starts);
    assignments.push_back(starts);
    assignment_ = partitions;
    at_end_reported_.clear();
    for (const auto& start : starts) {
      int64_t offset = start.offset;
      if (offset == kOffsetCommitted) {
        auto it = committed.find(start.partition);
        offset =
            it == committed.end() ? 0 : it->second.value();  // auto.offset.reset=earliest
      }
      if (offset == kOffsetBeginning) offset = 0;
      next_[start.partition] = offset;
    }
  }
  void Revoke(bool lost) {
    listener_->OnRevoked(assignment_, lost);
    assignment_.clear();
    paused.clear();
  }
  void RunDueActions() {
    while (!script_.empty() && script_.begin()->first <= clock_->Now()) {
      auto action = std::move(script_.begin()->second);
      script_.erase(script_.begin());
      action();
    }
    if (clock_->Now() - started_ > std::chrono::hours(1) && !gave_up) {
      gave_up = true;
      stop_->store(true);
    }
  }

  Clock* clock_;
  RebalanceListener* listener_ = nullptr;
  std::map<PartitionId, std::vector<FakeRecord>> logs_;
  std::vector<PartitionId> assignment_;
  std::map<PartitionId, int64_t> next_;  // the next offset each partition reads
  std::set<PartitionId> at_end_reported_;

 private:
  std::atomic<bool>* stop_;
  Clock::time_point started_;
  std::multimap<Clock::time_point, std::function<void()>> script_;
};

class FakeConsumer : public GroupConsumer {
 public:
  FakeConsumer(FakeBroker* broker, RebalanceListener* listener) : broker_(broker) {
    broker_->listener_ = listener;
  }

  Status Subscribe(const std::vector<std::string>& topics) override {
    broker_->subscribed = topics;
    return Status::Ok();
  }

  const ConsumerEvent& Poll(std::chrono::milliseconds timeout) override {
    broker_->RunDueActions();
    event_ = ConsumerEvent();
    for (const auto& partition : broker_->assignment_) {
      if (broker_->paused.count(partition) != 0) continue;
      const auto& log = broker_->logs_[partition];
      int64_t& next = broker_->next_[partition];
      if (next < static_cast<int64_t>(log.size())) {
        const FakeRecord& record = log[next];
        event_.kind = ConsumerEvent::Kind::kMessage;
        event_.partition = partition;
        event_.offset = next++;
        if (record.key) event_.key = *record.key;
        event_.value = record.value;
        event_.timestamp_ms = record.timestamp_ms;
        broker_->at_end_reported_.erase(partition);
        return event_;
      }
      if (broker_->at_end_reported_.insert(partition).second) {
        event_.kind = ConsumerEvent::Kind::kPartitionEnd;
        event_.partition = partition;
        return event_;
      }
    }
    broker_->clock_->SleepFor(timeout);
    return event_;
  }

  std::vector<PartitionId> Assignment() override { return broker_->assignment_; }
  void Pause(const std::vector<PartitionId>& partitions) override {
    ++broker_->pauses;
    broker_->paused.insert(partitions.begin(), partitions.end());
  }
  void Resume(const std::vector<PartitionId>& partitions) override {
    ++broker_->resumes;
    for (const auto& p : partitions) broker_->paused.erase(p);
  }
  Status Seek(const PartitionId& partition, int64_t offset) override {
    broker_->seeks.emplace_back(partition, offset);
    broker_->next_[partition] = offset == kOffsetBeginning ? 0 : offset;
    broker_->at_end_reported_.erase(partition);
    return Status::Ok();
  }
  Result<Positions> Committed(const std::vector<PartitionId>& partitions) override {
    Positions out;
    for (const auto& p : partitions) {
      auto it = broker_->committed.find(p);
      if (it != broker_->committed.end()) out.insert(*it);
    }
    return out;
  }
  Status Commit(const Positions& offsets) override {
    broker_->commits.push_back(offsets);
    for (const auto& [p, offset] : offsets) broker_->committed[p] = offset;
    return Status::Ok();
  }
  std::optional<int64_t> HighWatermark(const PartitionId& partition) override {
    return static_cast<int64_t>(broker_->logs_[partition].size());
  }
  void Close() override {
    if (!broker_->assignment_.empty()) broker_->Revoke(false);
    broker_->closed = true;
  }

 private:
  FakeBroker* broker_;
  ConsumerEvent event_;
};

inline ConsumerFactory FakeBroker::MakeFactory() {
  return [this](const KafkaSettings&, const KafkaProperties&,
                RebalanceListener* listener) -> Result<std::unique_ptr<GroupConsumer>> {
    return std::unique_ptr<GroupConsumer>(std::make_unique<FakeConsumer>(this, listener));
  };
}

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_FAKE_CONSUMER_H_
