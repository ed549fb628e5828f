#include "lib/kafka_io.h"

#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>

namespace twin {
namespace {

using Clock = std::chrono::steady_clock;

// Remembers the first failed delivery.
class DeliveryReport : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else if (first_error.empty()) {
      first_error = "delivery to " + message.topic_name() + " failed: " + message.errstr();
    }
  }
  uint64_t delivered = 0;
  std::string first_error;
};

}  // namespace

Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(const KafkaSettings& settings,
                                                     const KafkaProperties& defaults) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  KafkaProperties all = {{"bootstrap.servers", settings.brokers},
                         {"client.id", settings.client_id}};
  all.insert(all.end(), defaults.begin(), defaults.end());
  all.insert(all.end(), settings.properties.begin(), settings.properties.end());
  std::string error;
  for (const auto& [key, value] : all) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return Status::InvalidArgument("Kafka property '" + key + "': " + error);
    }
  }
  return conf;
}

Result<std::pair<std::string, std::string>> ParseKafkaProperty(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("-X expects key=value, got '" + text + "'");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Status ProduceRecords(RecordSource* source, const KafkaSettings& settings,
                      const ProduceOptions& options, const std::atomic<bool>* stop,
                      uint64_t* produced) {
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeKafkaConf(settings));
  DeliveryReport report;
  std::string error;
  conf->set("dr_cb", &report, error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) return Status::Unavailable("Kafka producer: " + error);

  const auto start = Clock::now();
  uint64_t sent = 0;
  Status status;
  while (true) {
    if (stop != nullptr && stop->load()) {
      status = Status::Cancelled("stopped by a signal");
      break;
    }
    Result<std::optional<Record>> next = source->Next();
    if (!next.ok()) {
      status = next.status();
      break;
    }
    if (!next->has_value()) break;
    Record& r = **next;
    if (options.rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(sent / options.rate)));
    }
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : r.headers) headers->add(name, value.data(), value.size());
    while (true) {
      const RdKafka::ErrorCode err = producer->produce(
          r.topic, r.partition >= 0 ? r.partition : RdKafka::Topic::PARTITION_UA,
          RdKafka::Producer::RK_MSG_COPY, r.value.data(), r.value.size(),
          r.key ? r.key->data() : nullptr, r.key ? r.key->size() : 0,
          r.timestamp_ms >= 0 ? r.timestamp_ms : 0, headers, nullptr);
      if (err == RdKafka::ERR_NO_ERROR) break;  // the producer owns headers now
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        return Status::Unavailable("produce to " + r.topic + ": " + RdKafka::err2str(err));
      }
      producer->poll(100);  // wait for room in the queue
    }
    ++sent;
    producer->poll(0);
    if (!report.first_error.empty()) break;
  }
  // Wait for the broker to acknowledge what was sent, even when stopping.
  for (int i = 0; i < 300 && producer->outq_len() > 0; ++i) producer->flush(100);
  *produced = report.delivered;
  if (!report.first_error.empty()) return Status::Unavailable(report.first_error);
  if (producer->outq_len() > 0) {
    return Status::Unavailable(std::to_string(producer->outq_len()) +
                               " messages not acknowledged by " + settings.brokers);
  }
  return status;
}

Status CaptureRecords(const KafkaSettings& settings, const CaptureOptions& options,
                      std::ostream& out, const std::atomic<bool>* stop, uint64_t* captured) {
  TWIN_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeKafkaConf(settings));
  std::string error;
  // librdkafka's consumer wants a group id; partitions are assigned by hand
  // and nothing is ever committed, so no group's offsets move.
  conf->set("group.id", "twin-replay-capture", error);
  conf->set("enable.auto.commit", "false", error);
  conf->set("enable.auto.offset.store", "false", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return Status::Unavailable("Kafka consumer: " + error);

  std::vector<RdKafka::TopicPartition*> assignment;
  std::map<std::pair<std::string, int32_t>, int64_t> end;  // exclusive end offsets
  for (const std::string& topic : options.topics) {
    RdKafka::Metadata* raw = nullptr;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
    if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR ||
        raw == nullptr) {
      return Status::Unavailable("metadata of '" + topic + "' from " + settings.brokers);
    }
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
      for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
        int64_t low = 0, high = 0;
        if (consumer->query_watermark_offsets(topic, p->id(), &low, &high, 10000) !=
            RdKafka::ERR_NO_ERROR) {
          return Status::Unavailable("offsets of '" + topic + "' from " + settings.brokers);
        }
        if (high <= low) continue;  // empty
        end[{topic, p->id()}] = high;
        assignment.push_back(RdKafka::TopicPartition::create(topic, p->id(), low));
      }
    }
  }
  if (options.from_ms && !assignment.empty()) {
    std::vector<RdKafka::TopicPartition*> times;
    for (auto* tp : assignment) {
      times.push_back(RdKafka::TopicPartition::create(tp->topic(), tp->partition(), *options.from_ms));
    }
    const bool looked_up = consumer->offsetsForTimes(times, 10000) == RdKafka::ERR_NO_ERROR;
    bool all_found = looked_up;
    for (size_t i = 0; i < times.size(); ++i) {
      if (looked_up && times[i]->offset() >= 0) {
        assignment[i]->set_offset(times[i]->offset());
      } else {
        all_found = false;
      }
    }
    if (!all_found) {
      spdlog::info("the broker cannot look offsets up by time: reading from the earliest "
                   "offset and skipping by message timestamp");
    }
    RdKafka::TopicPartition::destroy(times);
  }
  uint64_t written = 0;
  Status status;
  if (!assignment.empty() && consumer->assign(assignment) != RdKafka::ERR_NO_ERROR) {
    status = Status::Unavailable("cannot assign partitions");
  }
  size_t remaining = end.size();
  while (status.ok() && remaining > 0) {
    if (stop != nullptr && stop->load()) {
      status = Status::Cancelled("stopped by a signal");
      break;
    }
    std::unique_ptr<RdKafka::Message> message(consumer->consume(500));
    if (message->err() == RdKafka::ERR__TIMED_OUT || message->err() == RdKafka::ERR__PARTITION_EOF) {
      continue;
    }
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      status = Status::Unavailable("consume: " + message->errstr());
      break;
    }
    auto it = end.find({message->topic_name(), message->partition()});
    if (it == end.end() || message->offset() >= it->second) continue;
    Record r;
    r.topic = message->topic_name();
    r.partition = message->partition();
    r.offset = message->offset();
    r.timestamp_ms = message->timestamp().timestamp;
    if (message->key() != nullptr) r.key = *message->key();
    if (RdKafka::Headers* headers = message->headers()) {
      for (const RdKafka::Headers::Header& h : headers->get_all()) {
        r.headers.emplace_back(h.key(), std::string(static_cast<const char*>(h.value()), h.value_size()));
      }
    }
    r.value.assign(static_cast<const char*>(message->payload()), message->len());
    const bool in_window = !(options.from_ms && r.timestamp_ms < *options.from_ms) &&
                           !(options.to_ms && r.timestamp_ms > *options.to_ms);
    if (in_window) {
      out << FormatRecord(r) << '\n';
      if (!out) {
        status = Status::IoError("writing the capture failed");
        break;
      }
      ++written;
    }
    if (message->offset() + 1 >= it->second) --remaining;
  }
  out.flush();
  RdKafka::TopicPartition::destroy(assignment);
  consumer->close();
  *captured = written;
  return status;
}

}  // namespace twin
