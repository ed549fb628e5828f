#include "lib/kafka/kafka_source.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

namespace twin {
namespace {

constexpr int kMetadataTimeoutMs = 10000;

// Owns a vector of librdkafka TopicPartitions.
struct Partitions {
  std::vector<RdKafka::TopicPartition*> list;
  ~Partitions() { RdKafka::TopicPartition::destroy(list); }
};

// Moves each partition's start to the first offset whose timestamp is at or
// after start_ms (every message before it is earlier). Where no message is
// that late, Kafka answers -1, and the partition starts at its end. Returns
// false, moving nothing, when the broker did not look anything up: the call
// failed, or every answer is -1, which is also what a broker without the
// lookup (librdkafka's mock) says; reading from the earliest offset and
// skipping by timestamp is right in both cases.
bool SeekToTime(RdKafka::KafkaConsumer* consumer, int64_t start_ms,
                const std::map<std::pair<std::string, int32_t>, int64_t>& ends,
                std::vector<RdKafka::TopicPartition*>* assignment) {
  Partitions times;
  for (const RdKafka::TopicPartition* tp : *assignment) {
    times.list.push_back(
        RdKafka::TopicPartition::create(tp->topic(), tp->partition(), start_ms));
  }
  if (consumer->offsetsForTimes(times.list, kMetadataTimeoutMs) !=
      RdKafka::ERR_NO_ERROR) {
    return false;
  }
  const bool any_found = std::any_of(
      times.list.begin(), times.list.end(), [](const RdKafka::TopicPartition* tp) {
        return tp->err() == RdKafka::ERR_NO_ERROR && tp->offset() >= 0;
      });
  if (!any_found) return false;
  for (size_t i = 0; i < times.list.size(); ++i) {
    RdKafka::TopicPartition* tp = (*assignment)[i];
    if (times.list[i]->err() != RdKafka::ERR_NO_ERROR) continue;  // keep the earliest
    const int64_t found = times.list[i]->offset();
    tp->set_offset(found >= 0 ? found : ends.at({tp->topic(), tp->partition()}));
  }
  return true;
}

// Adds every non-empty partition of `topic` to `assignment`, at its low
// watermark, with its high watermark in `end`. A topic that does not exist
// adds nothing.
Status ListPartitions(RdKafka::KafkaConsumer* consumer, const std::string& topic,
                      const std::string& brokers,
                      std::map<std::pair<std::string, int32_t>, int64_t>* end,
                      Partitions* assignment) {
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer, topic, nullptr, error));
  RdKafka::Metadata* raw = nullptr;
  if (!handle ||
      consumer->metadata(false, handle.get(), &raw, kMetadataTimeoutMs) !=
          RdKafka::ERR_NO_ERROR ||
      raw == nullptr) {
    return Status::Unavailable("no metadata for topic '" + topic + "' from " + brokers);
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
      spdlog::debug("topic '{}' does not exist: nothing to read", topic);
      continue;
    }
    if (t->err() != RdKafka::ERR_NO_ERROR) {
      return Status::Unavailable("metadata of topic '" + topic +
                                 "': " + RdKafka::err2str(t->err()));
    }
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      if (consumer->query_watermark_offsets(
              topic, p->id(), &low, &high, kMetadataTimeoutMs) != RdKafka::ERR_NO_ERROR) {
        return Status::Unavailable("offsets of '" + topic + "' from " + brokers);
      }
      if (high <= low) continue;  // empty
      (*end)[{topic, p->id()}] = high;
      assignment->list.push_back(RdKafka::TopicPartition::create(topic, p->id(), low));
    }
  }
  return Status::Ok();
}

}  // namespace

// Remembers since when librdkafka has reported every broker down; cleared
// when a message arrives. Called on the consuming thread (from consume()).
class KafkaRecordSource::BrokerWatch : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR &&
        event.err() == RdKafka::ERR__ALL_BROKERS_DOWN && !down_since) {
      spdlog::warn("reading Kafka: all brokers are down: {}", event.str());
      down_since = std::chrono::steady_clock::now();
    }
  }
  std::optional<std::chrono::steady_clock::time_point> down_since;
};

Result<std::unique_ptr<KafkaRecordSource>> KafkaRecordSource::Open(
    const KafkaSettings& settings, const KafkaReadOptions& options,
    const std::atomic<bool>* stop) {
  // librdkafka's consumer wants a group id, but with partitions assigned by
  // hand and nothing committed the group never joins and no offsets move.
  //
  // The queue: once the pre-fetched messages exceed queued.min.messages
  // (default 100,000), librdkafka 2.0 stops fetching and looks again only
  // about once a second. A reader that drains 100,000 messages in 0.4 s then
  // waits 0.6 s of every second (measured: 8.5 s instead of 3 s for 1M
  // messages). Here the count is lifted, so the byte cap
  // (queued.max.messages.kbytes, 64 MiB by default, about 400,000 messages
  // of the city's topics) decides, which holds more than a second's work.
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf,
                        MakeKafkaConf(settings, {{"group.id", "twin-replay-reader"},
                                                 {"enable.auto.commit", "false"},
                                                 {"enable.auto.offset.store", "false"},
                                                 {"enable.partition.eof", "false"},
                                                 {"queued.min.messages", "10000000"}}));
  std::string error;
  std::unique_ptr<KafkaRecordSource> source(new KafkaRecordSource());
  source->options_ = options;
  source->brokers_ = settings.brokers;
  source->stop_ = stop;
  source->watch_ = std::make_unique<BrokerWatch>();
  conf->set("event_cb", static_cast<RdKafka::EventCb*>(source->watch_.get()), error);
  source->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!source->consumer_) return Status::Unavailable("Kafka consumer: " + error);
  RdKafka::KafkaConsumer* consumer = source->consumer_.get();

  Partitions assignment;
  for (const std::string& topic : options.topics) {
    TWIN_RETURN_IF_ERROR(
        ListPartitions(consumer, topic, settings.brokers, &source->end_, &assignment));
  }
  // Partitions with a start position begin exactly there; the time applies
  // to the others.
  std::vector<RdKafka::TopicPartition*> by_time;  // owned by assignment
  for (RdKafka::TopicPartition* tp : assignment.list) {
    auto start = options.start_offsets.find({tp->topic(), tp->partition()});
    if (start == options.start_offsets.end()) {
      by_time.push_back(tp);
      continue;
    }
    if (start->second.value() < tp->offset()) {
      spdlog::warn(
          "{}[{}]: the messages from offset {} to {} are gone (retention): the "
          "rebuild cannot include them",
          tp->topic(), tp->partition(), start->second.value(), tp->offset());
    } else {
      tp->set_offset(start->second.value());
    }
  }
  if (options.start_ms && !by_time.empty()) {
    if (SeekToTime(consumer, *options.start_ms, source->end_, &by_time)) {
      spdlog::info(
          "looked offsets up by time: starting each partition at its first message "
          "from {} ms",
          *options.start_ms);
    } else {
      spdlog::info(
          "the broker cannot look offsets up by time: reading from the earliest "
          "offset and skipping by message timestamp");
    }
  }
  // Partitions whose start is already at their end have nothing to read.
  Partitions to_read;
  for (RdKafka::TopicPartition*& tp : assignment.list) {
    const int64_t end = source->end_[{tp->topic(), tp->partition()}];
    if (tp->offset() >= end) {
      source->end_.erase({tp->topic(), tp->partition()});
      continue;
    }
    source->total_ += static_cast<uint64_t>(end - tp->offset());
    to_read.list.push_back(tp);
    tp = nullptr;
  }
  source->unfinished_ = to_read.list.size();
  spdlog::info("reading {} messages from {} partitions of {} topics", source->total_,
               to_read.list.size(), options.topics.size());
  if (!to_read.list.empty() && consumer->assign(to_read.list) != RdKafka::ERR_NO_ERROR) {
    return Status::Unavailable("cannot assign the partitions to read");
  }
  return source;
}

KafkaRecordSource::~KafkaRecordSource() {
  if (consumer_) consumer_->close();
}

Result<std::optional<Record>> KafkaRecordSource::Next() {
  while (unfinished_ > 0) {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      return Status::Cancelled("stopped by a signal");
    }
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(500));
    if (message->err() == RdKafka::ERR__TIMED_OUT ||
        message->err() == RdKafka::ERR__PARTITION_EOF) {
      if (watch_->down_since &&
          std::chrono::steady_clock::now() - *watch_->down_since >
              std::chrono::milliseconds(options_.broker_down_timeout_ms)) {
        return Status::Unavailable(
            "reading Kafka: every broker of " + brokers_ + " has been down for " +
            std::to_string(options_.broker_down_timeout_ms / 1000) + " s");
      }
      continue;
    }
    if (message->err() == RdKafka::ERR__TRANSPORT) {
      // One lost connection: librdkafka reconnects and fetches again.
      spdlog::warn("reading Kafka: {} (retrying)", message->errstr());
      continue;
    }
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      const std::string where =
          message->topic_name().empty() ? "Kafka" : "'" + message->topic_name() + "'";
      return Status::Unavailable("reading " + where + ": " + message->errstr());
    }
    watch_->down_since.reset();
    Record r;
    r.topic = message->topic_name();  // a new string at each call: once
    auto it = end_.find({r.topic, message->partition()});
    if (it == end_.end() || message->offset() >= it->second) continue;
    ++read_;
    if (message->offset() + 1 >= it->second) {
      --unfinished_;
      // Stop fetching it: a partition at its end would otherwise be polled
      // again and again, costing the broker more than the reading does.
      Partitions done;
      done.list.push_back(RdKafka::TopicPartition::create(r.topic, message->partition()));
      consumer_->pause(done.list);
    }
    r.partition = message->partition();
    r.offset = message->offset();
    r.timestamp_ms = message->timestamp().timestamp;
    if (message->key() != nullptr) r.key = *message->key();
    if (options_.with_headers) {
      if (RdKafka::Headers* headers = message->headers()) {
        for (const RdKafka::Headers::Header& h : headers->get_all()) {
          r.headers.emplace_back(
              h.key(), std::string(static_cast<const char*>(h.value()), h.value_size()));
        }
      }
    }
    r.value.assign(static_cast<const char*>(message->payload()), message->len());
    return std::optional<Record>(std::move(r));
  }
  return std::optional<Record>();
}

Status CaptureRecords(const KafkaSettings& settings, const CaptureOptions& options,
                      std::ostream& out, const std::atomic<bool>* stop,
                      uint64_t* captured) {
  *captured = 0;
  KafkaReadOptions read;
  read.topics = options.topics;
  read.start_ms = options.from_ms;
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<KafkaRecordSource> source,
                        KafkaRecordSource::Open(settings, read, stop));
  while (true) {
    TWIN_ASSIGN_OR_RETURN(std::optional<Record> record, source->Next());
    if (!record) break;
    if (!InTimeWindow(record->timestamp_ms, options.from_ms, options.to_ms)) continue;
    out << FormatRecord(*record) << '\n';
    if (!out) return Status::IoError("writing the capture failed");
    ++*captured;
  }
  out.flush();
  if (!out) return Status::IoError("writing the capture failed");
  return Status::Ok();
}

}  // namespace twin
