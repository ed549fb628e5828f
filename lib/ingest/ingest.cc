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

namespace twin {

using Clock = std::chrono::steady_clock;

// Dead letters waiting for the broker's acknowledgement, at most.
constexpr size_t kMaxPendingDeadLetters = 10000;
constexpr size_t kMaxPendingDeadLetterBytes = size_t{256} << 20;

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
        "counter", static_cast<double>(dead_letters_failed));
  gauge("twin_ingest_dead_letters_dropped_total",
        "Dead letters dropped because too many were waiting for the broker.", "counter",
        static_cast<double>(dead_letters_dropped));
  gauge("twin_ingest_pending_dead_letters", "Dead letters sent, not yet acknowledged.",
        "gauge", static_cast<double>(pending_dead_letters));
  return out;
}

IngestMetrics::Health IngestMetrics::ToHealth() const {
  if (!store_ok) return {503, R"({"status":"store unavailable"})"};
  if (dead_letters_failed + dead_letters_dropped > 0) {
    nlohmann::json body = {{"status", "degraded"},
                           {"deadLettersFailed", dead_letters_failed},
                           {"deadLettersDropped", dead_letters_dropped},
                           {"lastDeadLetterError", last_dead_letter_error}};
    return {200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  return {200, R"({"status":"ok"})"};
}

// One run of the loop: the Kafka handles and what is not yet flushed or
// committed.
class IngestRun : public RdKafka::RebalanceCb, public RdKafka::DeliveryReportCb {
 public:
  IngestRun(Ingestor* owner, const std::atomic<bool>* stop)
      : owner_(owner), options_(owner->options_), stop_(stop) {}

  Status Run();

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  // Dead letters are kept until the broker acknowledges them; a delivery
  // that failed for a passing reason is sent again before any commit, one
  // that cannot succeed is given up on (GiveUp).
  void dr_cb(RdKafka::Message& message) override {
    const uint64_t id = reinterpret_cast<uintptr_t>(message.msg_opaque());
    auto it = dead_letter_copies_.find(id);
    if (it == dead_letter_copies_.end()) return;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      pending_dead_letter_bytes_ -= it->second.value.size();
      dead_letter_copies_.erase(it);
      NotePendingDeadLetters();
    } else if (IsPermanent(message.err())) {
      GiveUp(it, message.errstr());
    } else {
      it->second.failed = true;
      spdlog::warn(
          "dead letter delivery failed: {}; it is sent again before the next commit",
          message.errstr());
    }
  }

 private:
  bool Stopping() const { return stop_ != nullptr && stop_->load(); }
  Status Connect();
  void LoadState(const std::vector<RdKafka::TopicPartition*>& partitions);
  // Whether the group has a committed offset for any of `partitions`.
  bool HasCommits(const std::vector<RdKafka::TopicPartition*>& partitions);
  void Handle(const RdKafka::Message& message);
  void DeadLetter(const RdKafka::Message& message, const std::string& reason);
  struct DeadLetterCopy {
    std::string source_topic;
    int32_t source_partition;
    int64_t source_offset;
    std::optional<std::string> key;
    std::string value;
    int64_t timestamp;
    std::string reason;
    bool failed = false;
  };
  void Send(uint64_t id, const DeadLetterCopy& copy);
  // Keeps the pending_dead_letters gauge at the number waiting: called at
  // every change of dead_letter_copies_ (DeadLetter, dr_cb, GiveUp).
  void NotePendingDeadLetters() {
    UpdateMetrics(
        [&](IngestMetrics& m) { m.pending_dead_letters = dead_letter_copies_.size(); });
  }
  // A delivery error that no retry can cure: the dead letter is too large
  // for the producer or the topic, the topic does not exist or is not
  // allowed. state-rules.md §4: such a dead letter must not stall the
  // consumer.
  static bool IsPermanent(RdKafka::ErrorCode err);
  void GiveUp(std::map<uint64_t, DeadLetterCopy>::iterator it, const std::string& error);
  bool Flush();
  bool Commit();
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
  void UpdateMetrics(const std::function<void(IngestMetrics&)>& f) {
    std::lock_guard<std::mutex> lock(owner_->metrics_mutex_);
    f(owner_->metrics_);
  }

  Ingestor* owner_;
  const IngestOptions& options_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Producer> dead_letters_;
  CityState state_;
  std::set<EntityRef> changed_;
  std::set<std::string> created_;
  Positions next_offsets_;  // processed, not committed
  std::set<PartitionId> assigned_, at_end_;
  std::map<uint64_t, DeadLetterCopy> dead_letter_copies_;  // not yet acknowledged
  size_t pending_dead_letter_bytes_ = 0;                   // their values
  uint64_t next_dead_letter_id_ = 1;
  bool paused_ = false;
  int failed_flushes_in_a_row_ = 0;
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

}  // namespace

Status IngestRun::Connect() {
  TWIN_RETURN_IF_ERROR(Ingestor::CheckOptions(options_));
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, ConsumerConf(options_));
  std::string error;
  conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) return Status::Unavailable("Kafka consumer: " + error);
  if (!options_.dead_letter_topic.empty()) {
    // -X properties go to both clients, except the consumer's own.
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
    KafkaSettings producer_settings = options_.kafka;
    producer_settings.properties.clear();
    for (const auto& [k, v] : options_.kafka.properties) {
      bool consumer_only = false;
      for (std::string_view prefix : kConsumerOnly) {
        consumer_only = consumer_only || k.rfind(prefix, 0) == 0;
      }
      if (!consumer_only) producer_settings.properties.emplace_back(k, v);
    }
    // A dead letter is any message the input accepted (state-rules.md §4):
    // the producer takes as much as the input, plus room for the key and
    // headers (a message that large may still be over the topic's limit:
    // then it is given up on, not retried for ever).
    const size_t max_bytes =
        std::max<size_t>(1000000, options_.rules.max_message_bytes + 65536);
    TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> pconf,
                          MakeKafkaConf(producer_settings,
                                        {{"acks", "all"},
                                         {"enable.idempotence", "true"},
                                         {"message.max.bytes", std::to_string(max_bytes)},
                                         // Dead letters are waited for only
                                         // at a commit (which flushes the
                                         // producer): batching them spares
                                         // the broker a request each (at
                                         // 1% rejects, 5 ms batches cost it
                                         // 4-5 s of CPU per million input
                                         // messages; BENCHMARKS.md).
                                         {"linger.ms", "100"},
                                         // A dead-letter topic that does not
                                         // exist holds commits this long
                                         // (librdkafka's default: 30 s).
                                         {"topic.metadata.propagation.max.ms", "5000"}}));
    pconf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), error);
    dead_letters_.reset(RdKafka::Producer::create(pconf.get(), error));
    if (!dead_letters_) return Status::Unavailable("dead-letter producer: " + error);
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
    Result<Epochs> epochs = owner_->store_->TakeEpochs(ids);
    Result<StoredState> stored = epochs.ok() ? owner_->store_->Read() : epochs.status();
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
  changed_.clear();
  created_.clear();
  next_offsets_.clear();
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
  const Positions positions =
      MergePositions(MergePositions(read_positions_, flushed_positions_), next_offsets_);
  Result<std::string> incarnation = owner_->store_->Replace(state_, positions);
  if (!incarnation.ok()) {
    spdlog::warn("the store lost the city; rewriting it whole failed ({}); retrying",
                 incarnation.status().message());
    return false;
  }
  std::vector<PartitionId> ids;
  for (const auto& [partition, epoch] : epochs_) ids.push_back(partition);
  Result<Epochs> epochs = owner_->store_->TakeEpochs(ids);
  incarnation_ = std::move(*incarnation);
  read_positions_ = positions;
  flushed_positions_.clear();
  changed_.clear();
  created_.clear();
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
    changed_.clear();
    created_.clear();
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
          changed_.size());
    } else if (!(Flush() && Commit())) {
      spdlog::warn(
          "partitions revoked with unflushed changes; their next owner re-reads them");
    }
    epochs_.clear();
    fenced_ = false;
    consumer->unassign();
    assigned_.clear();
    at_end_.clear();
    next_offsets_.clear();
    changed_.clear();
    created_.clear();
    paused_ = false;
    spdlog::info("revoked {} partitions", partitions.size());
  }
}

void IngestRun::DeadLetter(const RdKafka::Message& message, const std::string& reason) {
  if (!dead_letters_) return;
  DeadLetterCopy copy;
  copy.source_topic = message.topic_name();
  copy.source_partition = message.partition();
  copy.source_offset = message.offset();
  if (message.key() != nullptr) copy.key = *message.key();
  copy.value.assign(static_cast<const char*>(message.payload()), message.len());
  copy.timestamp = message.timestamp().timestamp;
  copy.reason = reason;
  // Bounded: while the broker does not acknowledge, dead letters wait here,
  // and past the bound a new one is dropped (counted, and /healthz says so)
  // rather than held without limit.
  if (dead_letter_copies_.size() >= kMaxPendingDeadLetters ||
      pending_dead_letter_bytes_ + copy.value.size() > kMaxPendingDeadLetterBytes) {
    spdlog::warn(
        "dead letter for {}[{}]@{} dropped: {} dead letters ({} bytes) are already "
        "waiting for the broker",
        copy.source_topic, copy.source_partition, copy.source_offset,
        dead_letter_copies_.size(), pending_dead_letter_bytes_);
    UpdateMetrics([&](IngestMetrics& m) {
      ++m.dead_letters_dropped;
      m.last_dead_letter_error = "too many dead letters waiting for the broker";
    });
    return;
  }
  pending_dead_letter_bytes_ += copy.value.size();
  const uint64_t id = next_dead_letter_id_++;
  Send(id, dead_letter_copies_.emplace(id, std::move(copy)).first->second);
  NotePendingDeadLetters();
}

bool IngestRun::IsPermanent(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_POLICY_VIOLATION:
    case RdKafka::ERR__INVALID_ARG:
      return true;
    default:
      return false;
  }
}

void IngestRun::GiveUp(std::map<uint64_t, DeadLetterCopy>::iterator it,
                       const std::string& error) {
  const DeadLetterCopy& copy = it->second;
  spdlog::warn(
      "dead letter for {}[{}]@{} ({}, {} bytes) cannot be delivered to {}: {}; it is "
      "counted and passed, and its offset is committed",
      copy.source_topic, copy.source_partition, copy.source_offset, copy.reason,
      copy.value.size(), options_.dead_letter_topic, error);
  UpdateMetrics([&](IngestMetrics& m) {
    ++m.dead_letters_failed;
    m.last_dead_letter_error = error;
  });
  pending_dead_letter_bytes_ -= copy.value.size();
  dead_letter_copies_.erase(it);
  NotePendingDeadLetters();
}

void IngestRun::Send(uint64_t id, const DeadLetterCopy& copy) {
  RdKafka::Headers* headers = RdKafka::Headers::create();
  headers->add("source-topic", copy.source_topic);
  headers->add("source-partition", std::to_string(copy.source_partition));
  headers->add("source-offset", std::to_string(copy.source_offset));
  headers->add("error", copy.reason);
  while (true) {
    const RdKafka::ErrorCode err = dead_letters_->produce(
        options_.dead_letter_topic, RdKafka::Topic::PARTITION_UA,
        RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(copy.value.data()),
        copy.value.size(), copy.key ? copy.key->data() : nullptr,
        copy.key ? copy.key->size() : 0, copy.timestamp, headers,
        reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
    if (err == RdKafka::ERR_NO_ERROR) return;  // the producer owns headers now
    if (err != RdKafka::ERR__QUEUE_FULL) {
      delete headers;
      auto it = dead_letter_copies_.find(id);
      if (IsPermanent(err)) {
        GiveUp(it, RdKafka::err2str(err));
      } else {
        it->second.failed = true;
        spdlog::warn("dead letter not sent: {}; it is sent again before the next commit",
                     RdKafka::err2str(err));
      }
      return;
    }
    dead_letters_->poll(100);
  }
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
      changed_.insert(r.target);
      if (r.district_created) created_.insert(r.target.district_id);
    } else if (r.outcome == Outcome::kRejected) {
      DeadLetter(message, r.reason);
      outcome = "rejected";
    }
  }
  next_offsets_[tp] = message.offset() + 1;
  UpdateMetrics([&](IngestMetrics& m) { ++m.messages[{message.topic_name(), outcome}]; });
}

bool IngestRun::Flush() {
  // After a refusal (the store lost the city) nothing is written, not even
  // by the revoke that close() runs: that would start a partial city.
  if (!fatal_.ok() || fenced_) return false;
  if (!state_read_ && (!changed_.empty() || !created_.empty())) {
    if (Stopping()) {
      // The stop cut the assignment's read short: these changes rest on a
      // state this member never read. Dropped with their offsets (nothing
      // is committed for them); the next owner reads them again.
      spdlog::info(
          "stopping before the state was read: {} changes dropped, not written; "
          "their messages are read again from the store's positions",
          changed_.size());
      DropPending();
      return true;
    }
    spdlog::warn(
        "the state was not read since the last assignment: {} changes not written",
        changed_.size());
    return false;
  }
  if (changed_.empty() && created_.empty() && next_offsets_.empty()) {
    failed_flushes_in_a_row_ = 0;
    return true;
  }
  const auto start = Clock::now();
  ChangeBatch batch = ChangeBatch::Collect(state_, changed_, created_);
  batch.positions = next_offsets_;
  batch.city_must_exist = city_seen_;
  batch.incarnation = incarnation_;
  batch.epochs = epochs_;
  Status status = owner_->store_->Write(batch);
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
          status.message(), changed_.size());
      Fence();
      return false;
    default: {
      ++failed_flushes_in_a_row_;
      spdlog::warn("flush of {} entities failed ({}); keeping them", changed_.size(),
                   status.message());
      UpdateMetrics([&](IngestMetrics& m) {
        ++m.flush_failures;
        m.store_ok = false;
        m.pending_entities = changed_.size();
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
    spdlog::debug("flushed {} entities in {:.1f} ms", changed_.size(), ms);
    city_seen_ = true;
  }
  flushed_positions_ = MergePositions(std::move(flushed_positions_), next_offsets_);
  changed_.clear();
  created_.clear();
  failed_flushes_in_a_row_ = 0;
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
  if (dead_letters_) {
    // Send may give a copy up (erase it): step past it first.
    for (auto it = dead_letter_copies_.begin(); it != dead_letter_copies_.end();) {
      const uint64_t id = it->first;
      DeadLetterCopy& copy = it->second;
      ++it;
      if (copy.failed) {
        copy.failed = false;
        Send(id, copy);
      }
    }
    for (int i = 0; i < 100 && dead_letters_->outq_len() > 0; ++i)
      dead_letters_->flush(100);
    if (!dead_letter_copies_.empty()) {
      spdlog::warn("{} dead letters not acknowledged; not committing",
                   dead_letter_copies_.size());
      return false;
    }
  }
  if (next_offsets_.empty()) return true;
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const auto& [tp, offset] : next_offsets_) {
    offsets.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
  const RdKafka::ErrorCode err = consumer_->commitSync(offsets);
  // Lag from the locally known high watermarks (no broker round trip).
  int64_t lag = 0;
  for (const auto& [tp, offset] : next_offsets_) {
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
  next_offsets_.clear();
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
  auto last_flush = Clock::now();
  auto last_summary = Clock::now();
  auto batch_start = Clock::now();
  size_t in_batch = 0;
  uint64_t total = 0;
  int flush_backoff_ms = options_.flush_interval_ms;
  while (!Stopping() && fatal_.ok()) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(100));
    switch (message->err()) {
      case RdKafka::ERR_NO_ERROR:
        Handle(*message);
        ++in_batch;
        ++total;
        break;
      case RdKafka::ERR__PARTITION_EOF:
        at_end_.insert({message->topic_name(), message->partition()});
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      default:
        spdlog::warn("Kafka: {}", message->errstr());
    }
    if (dead_letters_) dead_letters_->poll(0);
    const auto now = Clock::now();
    if (in_batch >= options_.batch_size ||
        (in_batch > 0 && message->err() != RdKafka::ERR_NO_ERROR)) {
      const double ms =
          std::chrono::duration<double, std::milli>(now - batch_start).count();
      spdlog::debug("Processed batch of {} messages in {:.1f} ms", in_batch, ms);
      UpdateMetrics([&](IngestMetrics& m) {
        m.last_batch_ms = ms;
        m.batch_seconds.Observe(ms / 1000);
      });
      in_batch = 0;
      batch_start = now;
    }
    if (now - last_flush >= std::chrono::milliseconds(flush_backoff_ms)) {
      last_flush = now;
      if (Flush() && Commit()) {
        flush_backoff_ms = options_.flush_interval_ms;
        if (paused_) {
          std::vector<RdKafka::TopicPartition*> parts;
          consumer_->assignment(parts);
          consumer_->resume(parts);
          RdKafka::TopicPartition::destroy(parts);
          paused_ = false;
          spdlog::info("store is back; consuming again");
        }
      } else {
        flush_backoff_ms = std::min(10000, flush_backoff_ms * 2);
      }
    }
    // A member fenced by mistake (an old member took its epochs back before
    // it heard of its own loss) would wait for ever: past twice the session
    // timeout, one still assigned takes its partitions back.
    if (fenced_ && now - fenced_since_ >= FenceGrace()) {
      Reacquire("fenced for twice the session timeout without a new assignment");
    }
    if (!paused_ && changed_.size() > options_.max_pending_entities) {
      std::vector<RdKafka::TopicPartition*> parts;
      consumer_->assignment(parts);
      consumer_->pause(parts);
      RdKafka::TopicPartition::destroy(parts);
      paused_ = true;
      spdlog::warn("{} unflushed entities: pausing consumption until the store is back",
                   changed_.size());
    }
    if (now - last_summary >= std::chrono::seconds(10)) {
      last_summary = now;
      spdlog::info("{} messages consumed, {} entities pending", total, changed_.size());
    }
    if (options_.exit_at_end && !assigned_.empty() &&
        at_end_.size() == assigned_.size() &&
        std::includes(at_end_.begin(), at_end_.end(), assigned_.begin(),
                      assigned_.end())) {
      spdlog::info("every assigned partition read to its end");
      break;
    }
  }
  if (!fatal_.ok()) {
    consumer_->close();
    spdlog::info("stopped after {} messages", total);
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
  spdlog::info("stopped after {} messages", total);
  if (!done) return Status::Unavailable("could not flush and commit before stopping");
  return Status::Ok();
}

Status Ingestor::Run(const std::atomic<bool>* stop) {
  IngestRun run(this, stop);
  return run.Run();
}

}  // namespace twin
