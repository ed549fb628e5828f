#include "lib/ingest/ingest.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "lib/city/topic.h"
#include "lib/http/http_server.h"
#include "lib/http/prometheus.h"
#include "lib/ingest/dead_letters.h"
#include "lib/ingest/flush_schedule.h"
#include "lib/ingest/pending_changes.h"
#include "lib/kafka/producer.h"

namespace twin {

using Clock = std::chrono::steady_clock;

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

std::string IngestMetrics::ToPrometheus() const {
  std::string out =
      "# HELP twin_ingest_messages_total Input messages by topic and outcome.\n"
      "# TYPE twin_ingest_messages_total counter\n";
  for (const auto& [key, count] : messages) {
    out += "twin_ingest_messages_total{topic=\"" + key.first + "\",outcome=\"" +
           key.second + "\"} " + PrometheusNumber(static_cast<double>(count)) + "\n";
  }
  auto gauge = [&out](const char* name, const char* help, const char* type, double v) {
    AppendMetric(&out, name, help, type, v);
  };
  gauge("twin_ingest_flushes_total", "Flushes written to the store.", "counter", flushes);
  gauge("twin_ingest_flush_failures_total", "Flushes the store refused.", "counter",
        flush_failures);
  gauge("twin_ingest_commits_total", "Offset commits.", "counter", commits);
  gauge("twin_ingest_pending_entities", "Changed entities not yet flushed.", "gauge",
        pending_entities);
  gauge("twin_ingest_last_flush_seconds", "Duration of the last flush.", "gauge",
        last_flush_ms / 1000);
  gauge("twin_ingest_last_batch_seconds", "Duration of the last batch.", "gauge",
        last_batch_ms / 1000);
  flush_seconds.AppendTo(&out, "twin_ingest_flush_seconds",
                         "Duration of each flush the store accepted.");
  batch_seconds.AppendTo(&out, "twin_ingest_batch_seconds",
                         "Duration of each batch of consumed messages, rules applied.");
  gauge("twin_ingest_consumer_lag", "Messages behind the end of the assigned partitions.",
        "gauge", static_cast<double>(lag));
  gauge("twin_ingest_store_up", "1 if the last flush reached the store.", "gauge",
        store_ok);
  gauge("twin_ingest_fenced_flushes_total",
        "Flushes the store refused because another member holds a partition.", "counter",
        static_cast<double>(fenced_flushes));
  gauge("twin_ingest_reacquires_total",
        "Times the state was read again because it was replaced (a load).", "counter",
        static_cast<double>(reacquires));
  gauge("twin_ingest_store_rewrites_total",
        "Times the whole city was written from memory after the store lost it.",
        "counter", static_cast<double>(store_rewrites));
  gauge("twin_ingest_dead_letters_failed_total",
        "Dead letters that could not be delivered for a reason retrying does not cure.",
        "counter", static_cast<double>(dead_letters.failed));
  gauge("twin_ingest_dead_letters_dropped_total",
        "Dead letters dropped because too many were waiting for the broker.", "counter",
        static_cast<double>(dead_letters.dropped));
  gauge("twin_ingest_pending_dead_letters", "Dead letters sent, not yet acknowledged.",
        "gauge", static_cast<double>(dead_letters.waiting));
  return out;
}

IngestMetrics::Health IngestMetrics::ToHealth() const {
  if (!store_ok) return {503, R"({"status":"store unavailable"})"};
  if (dead_letters.failed + dead_letters.dropped > 0) {
    nlohmann::json body = {{"status", "degraded"},
                           {"deadLettersFailed", dead_letters.failed},
                           {"deadLettersDropped", dead_letters.dropped},
                           {"lastDeadLetterError", dead_letters.last_error}};
    return {200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  return {200, R"({"status":"ok"})"};
}

// One run of the loop: the Kafka consumer, the dead letters and what is not
// yet flushed or committed.
class IngestRun : public RdKafka::RebalanceCb {
 public:
  IngestRun(const IngestOptions& options, StateStore* store,
            Guarded<IngestMetrics>* metrics, const std::atomic<bool>* stop)
      : options_(options), store_(store), metrics_(metrics), stop_(stop) {}

  Status Run();

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

 private:
  bool Stopping() const { return stop_ != nullptr && stop_->load(); }
  Status Connect();
  void LoadState(const std::vector<RdKafka::TopicPartition*>& partitions);
  // Whether the group has a committed offset for any of `partitions`.
  bool HasCommits(const std::vector<RdKafka::TopicPartition*>& partitions);
  // One poll of the consumer: a message handled, a partition's end noted;
  // ends the batch (for its metrics) when due.
  void ConsumeOne();
  void Handle(const RdKafka::Message& message);
  // Back-pressure: past max_pending_entities unflushed (the store is down),
  // consumption pauses until a flush succeeds (ResumeIfPaused).
  void PauseIfBacklogged();
  void ResumeIfPaused();
  bool AllAssignedAtEnd() const;
  // After the loop: the final flush and commit (none after a fatal error).
  Status Finish();
  void SendDeadLetter(const RdKafka::Message& message, const std::string& reason);
  bool Flush();
  bool Commit();
  // Drops what is pending (changes and offsets): it is consumed again.
  void DropPending();
  // Takes new epochs, reads the state again and seeks every assigned
  // partition to its stored position (a flush found the state replaced).
  void Reacquire(const char* why);
  // The store lost the city: writes this member's whole city, with its
  // positions, as a new incarnation. False (retry) if that failed.
  bool RewriteWhole();
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
  Guarded<IngestMetrics>* metrics_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
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

namespace {

Result<std::unique_ptr<RdKafka::Conf>> ConsumerConf(const IngestOptions& options) {
  // Offsets are committed by hand, after each flush; -X may override the rest.
  // The fetch queue: a real broker fills each fetch up to fetch.max.bytes
  // (50 MB by default) and librdkafka queues up to 64 MiB, which took peak
  // RSS to 280-300 MB; 16 MiB queued and 8 MB fetches hold a second's work
  // at 150 MB and the same rate (BENCHMARKS.md). A message larger than a
  // fetch still comes whole (Kafka returns at least one record batch).
  return MakeKafkaConf(options.kafka, {{"group.id", options.group_id},
                                       {"enable.auto.commit", "false"},
                                       {"enable.auto.offset.store", "false"},
                                       {"enable.partition.eof", "true"},
                                       {"auto.offset.reset", "earliest"},
                                       {"queued.max.messages.kbytes", "16384"},
                                       {"fetch.max.bytes", "8388608"}});
}

// The -X properties go to both clients, except the consumer's own.
KafkaSettings ProducerSettings(const KafkaSettings& consumer) {
  static constexpr std::string_view kConsumerOnly[] = {"group.",
                                                       "session.",
                                                       "heartbeat.",
                                                       "auto.",
                                                       "enable.auto",
                                                       "max.poll",
                                                       "partition.assignment",
                                                       "fetch.",
                                                       "isolation.",
                                                       "enable.partition.eof",
                                                       "queued.",
                                                       "check.crcs"};
  KafkaSettings producer = consumer;
  producer.properties.clear();
  for (const auto& [key, value] : consumer.properties) {
    bool consumer_only = false;
    for (std::string_view prefix : kConsumerOnly) {
      consumer_only = consumer_only || key.rfind(prefix, 0) == 0;
    }
    if (!consumer_only) producer.properties.emplace_back(key, value);
  }
  return producer;
}

KafkaProperties DeadLetterProducerDefaults(const IngestOptions& options) {
  // A dead letter is any message the input accepted (state-rules.md §4):
  // the producer takes as much as the input, plus room for the key and
  // headers (a message that large may still be over the topic's limit:
  // then it is given up on, not retried for ever).
  const size_t max_bytes =
      std::max<size_t>(1000000, options.rules.max_message_bytes + 65536);
  return {{"acks", "all"},
          {"enable.idempotence", "true"},
          {"message.max.bytes", std::to_string(max_bytes)},
          // Dead letters are waited for only at a commit (which flushes the
          // producer): batching them spares the broker a request each (at
          // 1% rejects, 5 ms batches cost it 4-5 s of CPU per million input
          // messages; BENCHMARKS.md).
          {"linger.ms", "100"},
          // A dead-letter topic that does not exist holds commits this long
          // (librdkafka's default: 30 s).
          {"topic.metadata.propagation.max.ms", "5000"}};
}

}  // namespace

Status IngestRun::Connect() {
  TWIN_RETURN_IF_ERROR(Ingestor::CheckOptions(options_));
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, ConsumerConf(options_));
  std::string error;
  conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) return Status::Unavailable("Kafka consumer: " + error);
  if (!options_.dead_letter_topic.empty()) {
    const KafkaSettings settings = ProducerSettings(options_.kafka);
    const KafkaProperties defaults = DeadLetterProducerDefaults(options_);
    auto make = [&](Producer::DeliveryHandler on_delivery) {
      return MakeKafkaProducer(settings, defaults, std::move(on_delivery));
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
  std::vector<std::string> topics(kTopicNames.begin(), kTopicNames.end());
  if (consumer_->subscribe(topics) != RdKafka::ERR_NO_ERROR) {
    return Status::Unavailable("cannot subscribe to the input topics");
  }
  return Status::Ok();
}

void IngestRun::LoadState(const std::vector<RdKafka::TopicPartition*>& partitions) {
  // The store is the truth for entities another member may have written:
  // read it whenever partitions are assigned, retrying while Redis is down.
  // Until it is read, nothing may be flushed: an assignment during shutdown
  // once merged onto the old in-memory copy and wrote it whole (issue 18,
  // path 3). The epochs are taken first, so that the previous owner of these
  // partitions can write nothing after this read.
  state_read_ = false;
  epochs_.clear();
  std::vector<PartitionId> ids;
  for (const auto* tp : partitions) ids.emplace_back(tp->topic(), tp->partition());
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
      for (auto* tp : partitions) {
        auto it = read_positions_.find({tp->topic(), tp->partition()});
        if (it != read_positions_.end()) tp->set_offset(it->second);
      }
      return;
    }
    if (stored.status().code() == StatusCode::kNotFound) {
      if (HasCommits(partitions) && !options_.accept_empty_store) {
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
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(5000, 200 << std::min(attempt, 5))));
  }
}

void IngestRun::DropPending() {
  pending_.Clear();
  UpdateMetrics([&](IngestMetrics& m) { m.pending_entities = 0; });
}

void IngestRun::Reacquire(const char* why) {
  std::vector<RdKafka::TopicPartition*> parts;
  consumer_->assignment(parts);
  DropPending();
  LoadState(parts);
  if (!fatal_.ok() || !state_read_) {
    RdKafka::TopicPartition::destroy(parts);
    return;
  }
  // Partitions without a stored position go back to the group's commit
  // (or the beginning), as an assignment would.
  std::vector<RdKafka::TopicPartition*> unplaced;
  for (auto* tp : parts) {
    if (tp->offset() < 0) unplaced.push_back(tp);
  }
  if (!unplaced.empty() &&
      consumer_->committed(unplaced, 10000) != RdKafka::ERR_NO_ERROR) {
    for (auto* tp : unplaced) tp->set_offset(RdKafka::Topic::OFFSET_STORED);
  }
  for (auto* tp : parts) {
    if (tp->offset() < 0) tp->set_offset(RdKafka::Topic::OFFSET_BEGINNING);
    RdKafka::ErrorCode err = consumer_->seek(*tp, 5000);
    if (err != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("seek of {}[{}] to {} failed: {}", tp->topic(), tp->partition(),
                   tp->offset(), RdKafka::err2str(err));
    }
  }
  if (paused_ || fenced_) consumer_->resume(parts);
  paused_ = false;
  fenced_ = false;
  spdlog::warn("{}: read the state again and resumed {} partitions from its positions",
               why, parts.size());
  UpdateMetrics([&](IngestMetrics& m) { ++m.reacquires; });
  RdKafka::TopicPartition::destroy(parts);
}

bool IngestRun::RewriteWhole() {
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
    return false;
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
  return true;
}

bool IngestRun::HasCommits(const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<RdKafka::TopicPartition*> copy;
  for (const auto* tp : partitions) {
    copy.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition()));
  }
  bool any = false;
  if (consumer_->committed(copy, 10000) == RdKafka::ERR_NO_ERROR) {
    for (const auto* tp : copy) any = any || tp->offset() >= 0;
  }
  RdKafka::TopicPartition::destroy(copy);
  return any;
}

void IngestRun::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                             std::vector<RdKafka::TopicPartition*>& partitions) {
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    LoadState(partitions);  // sets each partition's offset to its stored position
    pending_.ForgetChanges();
    fenced_ = false;
    consumer->assign(partitions);
    assigned_.clear();
    at_end_.clear();
    for (auto* tp : partitions) assigned_.insert({tp->topic(), tp->partition()});
    spdlog::info("assigned {} partitions", partitions.size());
  } else {
    // Give nothing up before it is flushed and committed; if that fails the
    // next owner resumes from the store's positions (at least once). After
    // the assignment was lost (a stall past the session timeout) another
    // member may own them already: nothing is written (and the store's
    // fence would refuse it).
    if (consumer->assignment_lost()) {
      spdlog::warn(
          "assignment lost: {} unflushed changes dropped; the partitions' new owner "
          "resumes from the store's positions",
          pending_.entity_count());
    } else if (!(Flush() && Commit())) {
      spdlog::warn(
          "partitions revoked with unflushed changes; their next owner re-reads them");
    }
    epochs_.clear();
    fenced_ = false;
    consumer->unassign();
    assigned_.clear();
    at_end_.clear();
    pending_.Clear();
    paused_ = false;
    spdlog::info("revoked {} partitions", partitions.size());
  }
}

void IngestRun::SendDeadLetter(const RdKafka::Message& message,
                               const std::string& reason) {
  if (!dead_letters_) return;
  DeadLetter letter;
  letter.source_topic = message.topic_name();
  letter.source_partition = message.partition();
  letter.source_offset = message.offset();
  if (message.key() != nullptr) letter.key = *message.key();
  letter.value.assign(static_cast<const char*>(message.payload()), message.len());
  letter.timestamp_ms = message.timestamp().timestamp;
  letter.reason = reason;
  dead_letters_->Add(std::move(letter));
}

void IngestRun::Handle(const RdKafka::Message& message) {
  const PartitionId tp{message.topic_name(), message.partition()};
  at_end_.erase(tp);
  std::optional<Topic> topic = TopicFromName(message.topic_name());
  std::string outcome = "ignored";
  if (topic) {
    const std::string_view value(static_cast<const char*>(message.payload()),
                                 message.len());
    ApplyResult r =
        ApplyMessage(&state_, InputMessage{*topic, value, message.timestamp().timestamp},
                     options_.rules);
    outcome = std::string(OutcomeName(r.outcome));
    if (r.outcome == Outcome::kApplied) {
      pending_.NoteApplied(r);
    } else if (r.outcome == Outcome::kRejected) {
      SendDeadLetter(message, r.reason);
      outcome = "rejected";
    }
  }
  pending_.NoteConsumed(tp, message.offset());
  UpdateMetrics([&](IngestMetrics& m) { ++m.messages[{message.topic_name(), outcome}]; });
}

bool IngestRun::Flush() {
  // After a refusal (the store lost the city) nothing is written, not even
  // by the revoke that close() runs: that would start a partial city.
  if (!fatal_.ok() || fenced_) return false;
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
      return true;
    }
    spdlog::warn(
        "the state was not read since the last assignment: {} changes not written",
        pending_.entity_count());
    return false;
  }
  if (pending_.empty()) {
    return true;
  }
  const auto start = Clock::now();
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
      return false;
    case StatusCode::kFailedPrecondition:
      // A load, or another member's whole rewrite: this member's copy is
      // out of date. Its pending changes are dropped, not written: they are
      // consumed again from the new state's positions.
      spdlog::warn("flush refused: {}", status.message());
      Reacquire("the state was replaced");
      return false;
    case StatusCode::kAborted:
      // Another member holds a partition of ours: this one lost its
      // assignment (a stall past the session timeout, a split) and has not
      // heard yet. Write nothing more until the next assignment.
      spdlog::warn(
          "flush fenced: {}; {} changes dropped, consumption paused until the next "
          "assignment",
          status.message(), pending_.entity_count());
      Fence();
      return false;
    default: {
      spdlog::warn("flush of {} entities failed ({}); keeping them",
                   pending_.entity_count(), status.message());
      UpdateMetrics([&](IngestMetrics& m) {
        ++m.flush_failures;
        m.store_ok = false;
        m.pending_entities = pending_.entity_count();
      });
      return false;
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
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
  return true;
}

void IngestRun::Fence() {
  DropPending();
  state_read_ = false;
  fenced_ = true;
  fenced_since_ = Clock::now();
  UpdateMetrics([&](IngestMetrics& m) { ++m.fenced_flushes; });
  std::vector<RdKafka::TopicPartition*> parts;
  consumer_->assignment(parts);
  consumer_->pause(parts);
  RdKafka::TopicPartition::destroy(parts);
}

bool IngestRun::Commit() {
  // Rejections must be in the dead-letter topic before their offsets are
  // committed.
  if (dead_letters_ && !dead_letters_->SettleForCommit()) return false;
  if (pending_.offsets().empty()) return true;
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, offset] : pending_.offsets()) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
  const RdKafka::ErrorCode err = consumer_->commitSync(offsets);
  // Lag from the locally known high watermarks (no broker round trip).
  int64_t lag = 0;
  for (const auto& [tp, offset] : pending_.offsets()) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(tp.first, tp.second, &low, &high) ==
            RdKafka::ERR_NO_ERROR &&
        high > offset) {
      lag += high - offset;
    }
  }
  RdKafka::TopicPartition::destroy(offsets);
  if (err != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("commit failed: {}", RdKafka::err2str(err));
    return false;
  }
  pending_.ForgetOffsets();
  UpdateMetrics([&](IngestMetrics& m) {
    ++m.commits;
    m.lag = lag;
  });
  return true;
}

Status IngestRun::Run() {
  TWIN_RETURN_IF_ERROR(Connect());
  // No state is read here: every assignment reads it (rebalance_cb), and
  // nothing is consumed before the first one.
  FlushSchedule flushes(std::chrono::milliseconds(options_.flush_interval_ms),
                        Clock::now());
  last_summary_ = batch_start_ = Clock::now();
  while (!Stopping() && fatal_.ok()) {
    ConsumeOne();
    if (dead_letters_) dead_letters_->Poll();
    const auto now = Clock::now();
    if (flushes.Due(now)) {
      if (Flush() && Commit()) {
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
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(100));
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR:
      Handle(*message);
      ++in_batch_;
      ++consumed_;
      break;
    case RdKafka::ERR__PARTITION_EOF:
      at_end_.insert({message->topic_name(), message->partition()});
      break;
    case RdKafka::ERR__TIMED_OUT:
      break;
    default:
      spdlog::warn("Kafka: {}", message->errstr());
  }
  // A batch ends at its size, or when the consumer has nothing more now.
  if (in_batch_ >= options_.batch_size ||
      (in_batch_ > 0 && message->err() != RdKafka::ERR_NO_ERROR)) {
    const auto now = Clock::now();
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
  std::vector<RdKafka::TopicPartition*> parts;
  consumer_->assignment(parts);
  consumer_->pause(parts);
  RdKafka::TopicPartition::destroy(parts);
  paused_ = true;
  spdlog::warn("{} unflushed entities: pausing consumption until the store is back",
               pending_.entity_count());
}

void IngestRun::ResumeIfPaused() {
  if (!paused_) return;
  std::vector<RdKafka::TopicPartition*> parts;
  consumer_->assignment(parts);
  consumer_->resume(parts);
  RdKafka::TopicPartition::destroy(parts);
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
    consumer_->close();
    spdlog::info("stopped after {} messages", consumed_);
    return fatal_;
  }
  // Orderly stop: final flush and commit, retried for a while. The consumer
  // keeps being served meanwhile: a rebalance (another member leaving, say)
  // only completes through consume(), and commits fail until it does.
  bool done = false;
  for (int attempt = 0; attempt < 40 && !done; ++attempt) {
    done = Flush() && Commit();
    if (done) break;
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(250));
    if (message->err() == RdKafka::ERR_NO_ERROR) Handle(*message);
  }
  consumer_->close();
  spdlog::info("stopped after {} messages", consumed_);
  if (!done) return Status::Unavailable("could not flush and commit before stopping");
  return Status::Ok();
}

Status Ingestor::Run(const std::atomic<bool>* stop) {
  IngestRun run(options_, store_, &metrics_, stop);
  return run.Run();
}

}  // namespace twin
