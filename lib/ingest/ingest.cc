#include "lib/ingest/ingest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "lib/city/topic.h"
#include "lib/ingest/client_settings.h"
#include "lib/ingest/dead_letters.h"
#include "lib/ingest/flush_schedule.h"
#include "lib/ingest/pending_changes.h"

namespace twin {
namespace {

std::vector<PartitionId> PartitionsOf(const std::vector<PartitionStart>& starts) {
  std::vector<PartitionId> ids;
  for (const auto& start : starts) ids.push_back(start.partition);
  return ids;
}

}  // namespace

Status Ingestor::CheckOptions(const IngestOptions& options) {
  // The rebalance callback uses the eager assign and unassign; with a
  // cooperative assignor it would have to use incremental ones, and would
  // misbehave silently. Refused until supported (issue 18, path 6).
  for (const auto& [key, value] : options.kafka.properties) {
    if (key == "partition.assignment.strategy" &&
        value.find("cooperative") != std::string::npos) {
      return Status::InvalidArgument(
          "-X partition.assignment.strategy=" + value +
          ": twin-ingest supports the eager "
          "assignors (range, roundrobin), not cooperative-sticky");
    }
  }
  return Status::Ok();
}

// One run of the loop: the Kafka consumer, the dead letters and what is not
// yet flushed or committed.
class IngestRun : public RebalanceListener {
 public:
  IngestRun(const IngestOptions& options, StateStore* store, const IngestEnv& env,
            Guarded<IngestMetrics>* metrics, const std::atomic<bool>* stop)
      : options_(options),
        store_(store),
        env_(env),
        clock_(env.clock),
        metrics_(metrics),
        stop_(stop) {}

  Status Run();

  void OnAssigned(std::vector<PartitionStart>* partitions) override;
  void OnRevoked(const std::vector<PartitionId>& partitions, bool lost) override;

 private:
  bool Stopping() const { return stop_ != nullptr && stop_->load(); }
  Status Connect();
  // Reads the state and takes epochs for `partitions`, setting each one's
  // start to its stored position (left alone where the store has none).
  void LoadState(std::vector<PartitionStart>* partitions);
  // Whether the group has a committed offset for any of `partitions`.
  bool HasCommits(const std::vector<PartitionStart>& partitions);
  // One poll of the consumer: a message handled, a partition's end noted;
  // ends the batch (for its metrics) when due.
  void ConsumeOne();
  void Handle(const ConsumerEvent& message);
  // Back-pressure: past max_pending_entities unflushed (the store is down),
  // consumption pauses until a flush succeeds (ResumeIfPaused).
  void PauseIfBacklogged();
  void ResumeIfPaused();
  bool AllAssignedAtEnd() const;
  // After the loop: the final flush and commit (none after a fatal error).
  Status Finish();
  void SendDeadLetter(const ConsumerEvent& message, const std::string& reason);
  // Writes what is pending to the store. Not OK: nothing more may be
  // committed now, and the status says why (the store away, fenced, the
  // state replaced or lost); what to do about it is done already.
  Status Flush();
  // Commits the flushed offsets, once the dead letters are acknowledged.
  Status Commit();
  Status FlushAndCommit() {
    TWIN_RETURN_IF_ERROR(Flush());
    return Commit();
  }
  // Drops what is pending (changes and offsets): it is consumed again.
  void DropPending();
  // Takes new epochs, reads the state again and seeks every assigned
  // partition to its stored position (a flush found the state replaced).
  void Reacquire(const char* why);
  // The store lost the city: writes this member's whole city, with its
  // positions, as a new incarnation. Unavailable (retry) if that failed.
  Status RewriteWhole();
  // A flush was fenced: drop what is pending and pause until assigned again.
  void Fence();
  std::chrono::milliseconds FenceGrace() const {
    int session_ms = 45000;
    for (const auto& [key, value] : options_.kafka.properties) {
      if (key == "session.timeout.ms") session_ms = std::atoi(value.c_str());
    }
    return std::chrono::milliseconds(2 * std::max(session_ms, 1000));
  }
  template <typename F>
  void UpdateMetrics(F&& update) {
    metrics_->Update(std::forward<F>(update));
  }

  const IngestOptions& options_;
  StateStore* store_;
  const IngestEnv& env_;
  Clock* clock_;
  Guarded<IngestMetrics>* metrics_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<GroupConsumer> consumer_;
  std::unique_ptr<DeadLetterProducer> dead_letters_;  // none without a topic
  CityState state_;
  PendingChanges pending_;
  std::set<PartitionId> assigned_, at_end_;
  bool paused_ = false;
  uint64_t consumed_ = 0;  // messages, in all
  size_t in_batch_ = 0;    // messages in the current batch
  Clock::time_point batch_start_, last_summary_;
  // The city was in the store when last read, or this run wrote it: a flush
  // must then find it there (ChangeBatch::city_must_exist).
  bool city_seen_ = false;
  // The store was read since the last assignment (LoadState finished).
  bool state_read_ = true;
  // Set when the run must stop without committing: the store lost its state.
  Status fatal_ = Status::Ok();
  // The fence (state-rules.md §4): the epochs this member holds for its
  // partitions and the incarnation of the state it read.
  Epochs epochs_;
  std::string incarnation_;
  Positions read_positions_;     // read with the state at the last assignment
  Positions flushed_positions_;  // written by this member's flushes since
  bool fenced_ = false;
  Clock::time_point fenced_since_;
};

Status IngestRun::Connect() {
  TWIN_RETURN_IF_ERROR(Ingestor::CheckOptions(options_));
  TWIN_ASSIGN_OR_RETURN(
      consumer_, env_.make_consumer(options_.kafka, ConsumerDefaults(options_), this));
  if (!options_.dead_letter_topic.empty()) {
    const KafkaSettings settings = ProducerSettings(options_.kafka);
    const KafkaProperties defaults = DeadLetterProducerDefaults(options_);
    auto make = [&](Producer::DeliveryHandler on_delivery) {
      return env_.make_producer(settings, defaults, std::move(on_delivery));
    };
    Result<std::unique_ptr<DeadLetterProducer>> dead_letters = DeadLetterProducer::Create(
        options_.dead_letter_topic, DeadLetterLimits{}, make,
        [this](const DeadLetterStats& stats) {
          UpdateMetrics([&](IngestMetrics& m) { m.dead_letters = stats; });
        });
    if (!dead_letters.ok())
      return dead_letters.status().WithContext("dead-letter producer");
    dead_letters_ = std::move(*dead_letters);
  }
  return consumer_->Subscribe(
      std::vector<std::string>(kTopicNames.begin(), kTopicNames.end()));
}

void IngestRun::LoadState(std::vector<PartitionStart>* partitions) {
  // The store is the truth for entities another member may have written:
  // read it whenever partitions are assigned, retrying while Redis is down.
  // Until it is read, nothing may be flushed: an assignment during shutdown
  // once merged onto the old in-memory copy and wrote it whole (issue 18,
  // path 3). The epochs are taken first, so that the previous owner of these
  // partitions can write nothing after this read.
  state_read_ = false;
  epochs_.clear();
  const std::vector<PartitionId> ids = PartitionsOf(*partitions);
  for (int attempt = 0; !Stopping(); ++attempt) {
    Result<Epochs> epochs = store_->TakeEpochs(ids);
    Result<StoredState> stored = epochs.ok() ? store_->Read() : epochs.status();
    if (stored.ok()) {
      epochs_ = std::move(*epochs);
      state_ = std::move(stored->state);
      incarnation_ = std::move(stored->incarnation);
      read_positions_ = std::move(stored->positions);
      city_seen_ = true;
      state_read_ = true;
      // Resume where the state is (state-rules.md §4); a partition the store
      // has no position for resumes from the group's commit.
      for (auto& start : *partitions) {
        auto it = read_positions_.find(start.partition);
        if (it != read_positions_.end()) start.offset = it->second.value();
      }
      return;
    }
    if (stored.status().code() == StatusCode::kNotFound) {
      if (HasCommits(*partitions) && !options_.accept_empty_store) {
        fatal_ = Status::NotFound(
            "Redis holds no state for city '" + options_.city_id + "', but group '" +
            options_.group_id +
            "' has committed offsets: the state they cover is gone "
            "(Redis restarted without persistence?). Restore it with `twin-snapshot load "
            "CITY.json` and `twin-replay rebuild --base CITY.json --into-redis`, or "
            "start "
            "with --accept-empty-store to build from the committed offsets on");
        return;
      }
      epochs_ = std::move(*epochs);
      state_ = CityState();
      state_.city_id = options_.city_id;
      incarnation_.clear();
      read_positions_.clear();
      city_seen_ = false;
      state_read_ = true;
      return;
    }
    spdlog::warn("cannot read the state ({}); retrying", stored.status().message());
    clock_->SleepFor(
        std::chrono::milliseconds(std::min(5000, 200 << std::min(attempt, 5))));
  }
}

void IngestRun::DropPending() {
  pending_.Clear();
  UpdateMetrics([&](IngestMetrics& m) { m.pending_entities = 0; });
}

void IngestRun::Reacquire(const char* why) {
  std::vector<PartitionStart> parts;
  for (auto& id : consumer_->Assignment())
    parts.push_back({std::move(id), kOffsetCommitted});
  DropPending();
  LoadState(&parts);
  if (!fatal_.ok() || !state_read_) return;
  // Partitions without a stored position go back to the group's commit
  // (or the beginning), as an assignment would.
  std::vector<PartitionId> unplaced;
  for (const auto& start : parts) {
    if (start.offset < 0) unplaced.push_back(start.partition);
  }
  Result<Positions> committed = Positions{};
  if (!unplaced.empty()) committed = consumer_->Committed(unplaced);
  for (auto& start : parts) {
    if (start.offset < 0) {
      start.offset = kOffsetBeginning;
      if (committed.ok()) {
        auto it = committed->find(start.partition);
        if (it != committed->end()) start.offset = it->second.value();
      }
    }
    if (Status sought = consumer_->Seek(start.partition, start.offset); !sought.ok()) {
      spdlog::warn("{}", sought.message());
    }
  }
  if (paused_ || fenced_) consumer_->Resume(PartitionsOf(parts));
  paused_ = false;
  fenced_ = false;
  spdlog::warn("{}: read the state again and resumed {} partitions from its positions",
               why, parts.size());
  UpdateMetrics([&](IngestMetrics& m) { ++m.reacquires; });
}

Status IngestRun::RewriteWhole() {
  // state-rules.md §4: the store lost the city, and this member has all of
  // it in memory: what it read at its assignment (consistent with the
  // positions read with it) plus what it applied since. Written whole, with
  // those positions, as a new incarnation: the other members then read it
  // again and resume from its positions for their partitions.
  const Positions positions = MergePositions(
      MergePositions(read_positions_, flushed_positions_), pending_.offsets());
  Result<std::string> incarnation = store_->Replace(state_, positions);
  if (!incarnation.ok()) {
    spdlog::warn("the store lost the city; rewriting it whole failed ({}); retrying",
                 incarnation.status().message());
    return incarnation.status().WithContext("rewriting the lost city whole");
  }
  std::vector<PartitionId> ids;
  for (const auto& [partition, epoch] : epochs_) ids.push_back(partition);
  Result<Epochs> epochs = store_->TakeEpochs(ids);
  incarnation_ = std::move(*incarnation);
  read_positions_ = positions;
  flushed_positions_.clear();
  pending_.ForgetChanges();
  if (!epochs.ok()) {
    // Written, but not holding the partitions: read again before writing more.
    spdlog::warn("taking epochs after the rewrite failed ({})",
                 epochs.status().message());
    epochs_.clear();
  } else {
    epochs_ = std::move(*epochs);
  }
  size_t entities = 0;
  for (EntityKind kind : kAllEntityKinds) entities += state_.Count(kind);
  spdlog::warn(
      "Redis had lost the state of city '{}' (restarted without persistence?): "
      "wrote the whole city from memory ({} districts, {} entities, positions of {} "
      "partitions)",
      options_.city_id, state_.districts().size(), entities, positions.size());
  UpdateMetrics([&](IngestMetrics& m) { ++m.store_rewrites; });
  return Status::Ok();
}

bool IngestRun::HasCommits(const std::vector<PartitionStart>& partitions) {
  const Result<Positions> committed = consumer_->Committed(PartitionsOf(partitions));
  return committed.ok() && !committed->empty();
}

void IngestRun::OnAssigned(std::vector<PartitionStart>* partitions) {
  LoadState(partitions);  // sets each partition's start to its stored position
  pending_.ForgetChanges();
  fenced_ = false;
  assigned_.clear();
  at_end_.clear();
  for (const auto& start : *partitions) assigned_.insert(start.partition);
  spdlog::info("assigned {} partitions", partitions->size());
}

void IngestRun::OnRevoked(const std::vector<PartitionId>& partitions, bool lost) {
  // Give nothing up before it is flushed and committed; if that fails the
  // next owner resumes from the store's positions (at least once). After
  // the assignment was lost (a stall past the session timeout) another
  // member may own them already: nothing is written (and the store's
  // fence would refuse it).
  if (lost) {
    spdlog::warn(
        "assignment lost: {} unflushed changes dropped; the partitions' new owner "
        "resumes from the store's positions",
        pending_.entity_count());
  } else if (!FlushAndCommit().ok()) {
    spdlog::warn(
        "partitions revoked with unflushed changes; their next owner re-reads them");
  }
  epochs_.clear();
  fenced_ = false;
  assigned_.clear();
  at_end_.clear();
  pending_.Clear();
  paused_ = false;
  spdlog::info("revoked {} partitions", partitions.size());
}

void IngestRun::SendDeadLetter(const ConsumerEvent& message, const std::string& reason) {
  if (!dead_letters_) return;
  DeadLetter letter;
  letter.source_topic = message.partition.first;
  letter.source_partition = message.partition.second;
  letter.source_offset = message.offset;
  if (message.key) letter.key = std::string(*message.key);
  letter.value.assign(message.value);
  letter.timestamp_ms = message.timestamp_ms;
  letter.reason = reason;
  dead_letters_->Add(std::move(letter));
}

void IngestRun::Handle(const ConsumerEvent& message) {
  const PartitionId& tp = message.partition;
  at_end_.erase(tp);
  std::optional<Topic> topic = TopicFromName(tp.first);
  std::string outcome = "ignored";
  if (topic) {
    ApplyResult r =
        ApplyMessage(&state_, InputMessage{*topic, message.value, message.timestamp_ms},
                     options_.rules);
    outcome = std::string(OutcomeName(r.outcome));
    if (r.outcome == Outcome::kApplied) {
      pending_.NoteApplied(r);
    } else if (r.outcome == Outcome::kRejected) {
      SendDeadLetter(message, r.reason);
      outcome = "rejected";
    }
  }
  pending_.NoteConsumed(tp, message.offset);
  UpdateMetrics([&](IngestMetrics& m) { ++m.messages[{tp.first, outcome}]; });
}

Status IngestRun::Flush() {
  // After a refusal (the store lost the city) nothing is written, not even
  // by the revoke that close() runs: that would start a partial city.
  if (!fatal_.ok()) return fatal_;
  if (fenced_) return Status::Aborted("fenced: waiting for the next assignment");
  if (!state_read_ && pending_.has_changes()) {
    if (Stopping()) {
      // The stop cut the assignment's read short: these changes rest on a
      // state this member never read. Dropped with their offsets (nothing
      // is committed for them); the next owner reads them again.
      spdlog::info(
          "stopping before the state was read: {} changes dropped, not written; "
          "their messages are read again from the store's positions",
          pending_.entity_count());
      DropPending();
      return Status::Ok();
    }
    spdlog::warn(
        "the state was not read since the last assignment: {} changes not written",
        pending_.entity_count());
    return Status::Unavailable("the state was not read since the last assignment");
  }
  if (pending_.empty()) return Status::Ok();
  const auto start = clock_->Now();
  ChangeBatch batch = pending_.Batch(state_);
  batch.city_must_exist = city_seen_;
  batch.incarnation = incarnation_;
  batch.epochs = epochs_;
  Status status = store_->Write(batch);
  switch (status.code()) {
    case StatusCode::kOk:
      break;
    case StatusCode::kNotFound:
      if (city_seen_ && state_read_) return RewriteWhole();
      // state-rules.md §4: never build a partial city on a store that lost
      // its state. Stop without committing: the offsets since the last
      // flush stay where they were, and a restart refuses until it is
      // restored.
      fatal_ = Status::NotFound(
          status.message() +
          "; stopping without committing. Restore "
          "the city with `twin-snapshot load CITY.json` and `twin-replay "
          "rebuild --base CITY.json --into-redis`, then start again");
      return fatal_;
    case StatusCode::kFailedPrecondition:
      // A load, or another member's whole rewrite: this member's copy is
      // out of date. Its pending changes are dropped, not written: they are
      // consumed again from the new state's positions.
      spdlog::warn("flush refused: {}", status.message());
      Reacquire("the state was replaced");
      return status;
    case StatusCode::kAborted:
      // Another member holds a partition of ours: this one lost its
      // assignment (a stall past the session timeout, a split) and has not
      // heard yet. Write nothing more until the next assignment.
      spdlog::warn(
          "flush fenced: {}; {} changes dropped, consumption paused until the next "
          "assignment",
          status.message(), pending_.entity_count());
      Fence();
      return status;
    default: {
      spdlog::warn("flush of {} entities failed ({}); keeping them",
                   pending_.entity_count(), status.message());
      UpdateMetrics([&](IngestMetrics& m) {
        ++m.flush_failures;
        m.store_ok = false;
        m.pending_entities = pending_.entity_count();
      });
      return status.WithContext("flush");
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(clock_->Now() - start).count();
  UpdateMetrics([&](IngestMetrics& m) {
    if (batch.changes_entities()) {
      ++m.flushes;
      m.last_flush_ms = ms;
      m.flush_seconds.Observe(ms / 1000);
    }
    m.store_ok = true;
    m.pending_entities = 0;
  });
  if (batch.changes_entities()) {
    spdlog::debug("flushed {} entities in {:.1f} ms", pending_.entity_count(), ms);
    city_seen_ = true;
  }
  flushed_positions_ = MergePositions(std::move(flushed_positions_), pending_.offsets());
  pending_.ForgetChanges();
  return Status::Ok();
}

void IngestRun::Fence() {
  DropPending();
  state_read_ = false;
  fenced_ = true;
  fenced_since_ = clock_->Now();
  UpdateMetrics([&](IngestMetrics& m) { ++m.fenced_flushes; });
  consumer_->Pause(consumer_->Assignment());
}

Status IngestRun::Commit() {
  // Rejections must be in the dead-letter topic before their offsets are
  // committed.
  if (dead_letters_ && !dead_letters_->SettleForCommit()) {
    return Status::Unavailable("dead letters not yet acknowledged by the broker");
  }
  if (pending_.offsets().empty()) return Status::Ok();
  const Status committed = consumer_->Commit(pending_.offsets());
  // Lag from the locally known high watermarks (no broker round trip).
  int64_t lag = 0;
  for (const auto& [tp, offset] : pending_.offsets()) {
    const std::optional<int64_t> high = consumer_->HighWatermark(tp);
    if (high && *high > offset.value()) lag += *high - offset.value();
  }
  if (!committed.ok()) {
    spdlog::warn("{}", committed.message());
    return committed;
  }
  pending_.ForgetOffsets();
  UpdateMetrics([&](IngestMetrics& m) {
    ++m.commits;
    m.lag = lag;
  });
  return Status::Ok();
}

Status IngestRun::Run() {
  TWIN_RETURN_IF_ERROR(Connect());
  // No state is read here: every assignment reads it (OnAssigned), and
  // nothing is consumed before the first one.
  FlushSchedule flushes(std::chrono::milliseconds(options_.flush_interval_ms),
                        clock_->Now());
  last_summary_ = batch_start_ = clock_->Now();
  while (!Stopping() && fatal_.ok()) {
    ConsumeOne();
    if (dead_letters_) dead_letters_->Poll();
    const auto now = clock_->Now();
    if (flushes.Due(now)) {
      if (FlushAndCommit().ok()) {
        flushes.Succeeded(now);
        ResumeIfPaused();
      } else {
        flushes.Failed(now);
      }
    }
    // A member fenced by mistake (an old member took its epochs back before
    // it heard of its own loss) would wait for ever: past twice the session
    // timeout, one still assigned takes its partitions back.
    if (fenced_ && now - fenced_since_ >= FenceGrace()) {
      Reacquire("fenced for twice the session timeout without a new assignment");
    }
    PauseIfBacklogged();
    if (now - last_summary_ >= std::chrono::seconds(10)) {
      last_summary_ = now;
      spdlog::info("{} messages consumed, {} entities pending", consumed_,
                   pending_.entity_count());
    }
    if (options_.exit_at_end && AllAssignedAtEnd()) {
      spdlog::info("every assigned partition read to its end");
      break;
    }
  }
  return Finish();
}

void IngestRun::ConsumeOne() {
  const ConsumerEvent& event = consumer_->Poll(std::chrono::milliseconds(100));
  switch (event.kind) {
    case ConsumerEvent::Kind::kMessage:
      Handle(event);
      ++in_batch_;
      ++consumed_;
      break;
    case ConsumerEvent::Kind::kPartitionEnd:
      at_end_.insert(event.partition);
      break;
    case ConsumerEvent::Kind::kNothing:
      break;
    case ConsumerEvent::Kind::kError:
      spdlog::warn("Kafka: {}", event.error);
  }
  // A batch ends at its size, or when the consumer has nothing more now.
  if (in_batch_ >= options_.batch_size ||
      (in_batch_ > 0 && event.kind != ConsumerEvent::Kind::kMessage)) {
    const auto now = clock_->Now();
    const double ms =
        std::chrono::duration<double, std::milli>(now - batch_start_).count();
    spdlog::debug("Processed batch of {} messages in {:.1f} ms", in_batch_, ms);
    UpdateMetrics([&](IngestMetrics& m) {
      m.last_batch_ms = ms;
      m.batch_seconds.Observe(ms / 1000);
    });
    in_batch_ = 0;
    batch_start_ = now;
  }
}

void IngestRun::PauseIfBacklogged() {
  if (paused_ || pending_.entity_count() <= options_.max_pending_entities) return;
  consumer_->Pause(consumer_->Assignment());
  paused_ = true;
  spdlog::warn("{} unflushed entities: pausing consumption until the store is back",
               pending_.entity_count());
}

void IngestRun::ResumeIfPaused() {
  if (!paused_) return;
  consumer_->Resume(consumer_->Assignment());
  paused_ = false;
  spdlog::info("store is back; consuming again");
}

bool IngestRun::AllAssignedAtEnd() const {
  return !assigned_.empty() && at_end_.size() == assigned_.size() &&
         std::includes(at_end_.begin(), at_end_.end(), assigned_.begin(),
                       assigned_.end());
}

Status IngestRun::Finish() {
  if (!fatal_.ok()) {
    consumer_->Close();
    spdlog::info("stopped after {} messages", consumed_);
    return fatal_;
  }
  // Orderly stop: final flush and commit, retried for a while. The consumer
  // keeps being served meanwhile: a rebalance (another member leaving, say)
  // only completes through Poll(), and commits fail until it does.
  Status done = Status::Unavailable("not tried");
  for (int attempt = 0; attempt < 40; ++attempt) {
    done = FlushAndCommit();
    if (done.ok()) break;
    const ConsumerEvent& event = consumer_->Poll(std::chrono::milliseconds(250));
    if (event.kind == ConsumerEvent::Kind::kMessage) Handle(event);
  }
  consumer_->Close();
  spdlog::info("stopped after {} messages", consumed_);
  if (!done.ok()) {
    return Status::Unavailable("could not flush and commit before stopping: " +
                               done.message());
  }
  return Status::Ok();
}

Status Ingestor::Run(const std::atomic<bool>* stop) {
  IngestRun run(options_, store_, env_, &metrics_, stop);
  return run.Run();
}

}  // namespace twin
