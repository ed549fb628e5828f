#include "lib/kafka/consumer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

namespace twin {
namespace {

static_assert(kOffsetBeginning == RD_KAFKA_OFFSET_BEGINNING);
static_assert(kOffsetCommitted == RD_KAFKA_OFFSET_INVALID);

// Owns the TopicPartitions librdkafka's list calls take.
class PartitionList {
 public:
  PartitionList() = default;
  explicit PartitionList(const std::vector<PartitionId>& partitions) {
    for (const auto& [topic, partition] : partitions) {
      list_.push_back(RdKafka::TopicPartition::create(topic, partition));
    }
  }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(list_); }

  std::vector<RdKafka::TopicPartition*>& list() { return list_; }
  std::vector<PartitionId> ids() const {
    std::vector<PartitionId> out;
    for (const auto* tp : list_) out.emplace_back(tp->topic(), tp->partition());
    return out;
  }

 private:
  std::vector<RdKafka::TopicPartition*> list_;
};

class KafkaConsumer : public GroupConsumer, public RdKafka::RebalanceCb {
 public:
  explicit KafkaConsumer(RebalanceListener* listener) : listener_(listener) {}

  Status Open(const KafkaSettings& settings, const KafkaProperties& defaults) {
    TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf,
                          MakeKafkaConf(settings, defaults));
    std::string error;
    conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!consumer_) return Status::Unavailable("Kafka consumer: " + error);
    return Status::Ok();
  }

  Status Subscribe(const std::vector<std::string>& topics) override {
    const RdKafka::ErrorCode err = consumer_->subscribe(topics);
    if (err != RdKafka::ERR_NO_ERROR) {
      return Status::Unavailable("cannot subscribe to the input topics: " +
                                 RdKafka::err2str(err));
    }
    return Status::Ok();
  }

  const ConsumerEvent& Poll(std::chrono::milliseconds timeout) override {
    message_.reset(consumer_->consume(static_cast<int>(timeout.count())));
    event_.key.reset();
    event_.value = {};
    event_.error.clear();
    switch (message_->err()) {
      case RdKafka::ERR_NO_ERROR:
        event_.kind = ConsumerEvent::Kind::kMessage;
        event_.partition = {message_->topic_name(), message_->partition()};
        event_.offset = message_->offset();
        if (message_->key() != nullptr) event_.key = *message_->key();
        event_.value = {static_cast<const char*>(message_->payload()), message_->len()};
        event_.timestamp_ms = message_->timestamp().timestamp;
        break;
      case RdKafka::ERR__PARTITION_EOF:
        event_.kind = ConsumerEvent::Kind::kPartitionEnd;
        event_.partition = {message_->topic_name(), message_->partition()};
        break;
      case RdKafka::ERR__TIMED_OUT:
        event_.kind = ConsumerEvent::Kind::kNothing;
        break;
      default:
        event_.kind = ConsumerEvent::Kind::kError;
        event_.error = message_->errstr();
    }
    return event_;
  }

  std::vector<PartitionId> Assignment() override {
    PartitionList parts;
    consumer_->assignment(parts.list());
    return parts.ids();
  }

  void Pause(const std::vector<PartitionId>& partitions) override {
    PartitionList parts(partitions);
    consumer_->pause(parts.list());
  }

  void Resume(const std::vector<PartitionId>& partitions) override {
    PartitionList parts(partitions);
    consumer_->resume(parts.list());
  }

  Status Seek(const PartitionId& partition, int64_t offset) override {
    std::unique_ptr<RdKafka::TopicPartition> tp(
        RdKafka::TopicPartition::create(partition.first, partition.second, offset));
    const RdKafka::ErrorCode err = consumer_->seek(*tp, 5000);
    if (err != RdKafka::ERR_NO_ERROR) {
      return Status::Unavailable("seek of " + PartitionField(partition) + " to " +
                                 std::to_string(offset) + ": " + RdKafka::err2str(err));
    }
    return Status::Ok();
  }

  Result<Positions> Committed(const std::vector<PartitionId>& partitions) override {
    PartitionList parts(partitions);
    const RdKafka::ErrorCode err = consumer_->committed(parts.list(), 10000);
    if (err != RdKafka::ERR_NO_ERROR) {
      return Status::Unavailable("committed offsets: " + RdKafka::err2str(err));
    }
    Positions committed;
    for (const auto* tp : parts.list()) {
      if (tp->offset() >= 0)
        committed[{tp->topic(), tp->partition()}] = Offset(tp->offset());
    }
    return committed;
  }

  Status Commit(const Positions& offsets) override {
    PartitionList parts;
    for (const auto& [tp, offset] : offsets) {
      parts.list().push_back(
          RdKafka::TopicPartition::create(tp.first, tp.second, offset.value()));
    }
    const RdKafka::ErrorCode err = consumer_->commitSync(parts.list());
    if (err != RdKafka::ERR_NO_ERROR) {
      return Status::Unavailable("commit: " + RdKafka::err2str(err));
    }
    return Status::Ok();
  }

  std::optional<int64_t> HighWatermark(const PartitionId& partition) override {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(partition.first, partition.second, &low,
                                         &high) != RdKafka::ERR_NO_ERROR) {
      return std::nullopt;
    }
    return high;
  }

  void Close() override { consumer_->close(); }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::vector<PartitionStart> starts;
      for (const auto* tp : partitions) {
        starts.push_back({{tp->topic(), tp->partition()}, tp->offset()});
      }
      listener_->OnAssigned(&starts);
      for (size_t i = 0; i < partitions.size(); ++i) {
        partitions[i]->set_offset(starts[i].offset);
      }
      consumer->assign(partitions);
    } else {
      std::vector<PartitionId> ids;
      for (const auto* tp : partitions) ids.emplace_back(tp->topic(), tp->partition());
      listener_->OnRevoked(ids, consumer->assignment_lost());
      consumer->unassign();
    }
  }

 private:
  RebalanceListener* listener_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<RdKafka::Message> message_;
  ConsumerEvent event_;
};

}  // namespace

Result<std::unique_ptr<GroupConsumer>> MakeKafkaConsumer(const KafkaSettings& settings,
                                                         const KafkaProperties& defaults,
                                                         RebalanceListener* listener) {
  auto consumer = std::make_unique<KafkaConsumer>(listener);
  TWIN_RETURN_IF_ERROR(consumer->Open(settings, defaults));
  return std::unique_ptr<GroupConsumer>(std::move(consumer));
}

}  // namespace twin
