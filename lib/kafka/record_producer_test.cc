#include "lib/kafka/record_producer.h"

#include <catch2/catch.hpp>

#include "lib/kafka/fake_producer.h"

namespace twin {
namespace {

// Records from a list, then the end (or an error, if given).
class ListSource : public RecordSource {
 public:
  explicit ListSource(std::vector<Record> records, Status end = Status::Ok())
      : records_(std::move(records)), end_(std::move(end)) {}
  Result<std::optional<Record>> Next() override {
    if (next_ == records_.size()) {
      if (!end_.ok()) return end_;
      return std::optional<Record>();
    }
    if (on_next) on_next(next_);
    return std::optional<Record>(records_[next_++]);
  }
  uint64_t Done() const override { return next_; }
  uint64_t Total() const override { return records_.size(); }
  std::function<void(size_t)> on_next;  // before record i is handed out

 private:
  std::vector<Record> records_;
  Status end_;
  size_t next_ = 0;
};

Record At(std::string topic, std::string value, int32_t partition = -1) {
  Record r;
  r.topic = std::move(topic);
  r.value = std::move(value);
  r.partition = partition;
  return r;
}

struct Run {
  Status status;
  uint64_t produced = 0;
};

Run Produce(RecordSource* source, FakeProducer* fake,
            const std::atomic<bool>* stop = nullptr) {
  Run run;
  run.status = ProduceRecords(source, KafkaSettings{"b:9092", "twin", {}}, {}, stop,
                              &run.produced, fake->Factory());
  return run;
}

TEST_CASE("every record goes to its topic and partition with its key, headers and time") {
  Record keyed = At("transport.gps", R"({"busId":"bus-1"})", 3);
  keyed.key = "bus-1";
  keyed.headers = {{"trace", std::string("\0x", 2)}};
  keyed.timestamp_ms = 1700000000123;
  ListSource source({keyed, At("traffic.graph", "{}")});
  FakeProducer fake;
  const Run run = Produce(&source, &fake);
  REQUIRE(run.status.ok());
  CHECK(run.produced == 2);
  REQUIRE(fake.sent.size() == 2);
  CHECK(fake.sent[0].topic == "transport.gps");
  CHECK(fake.sent[0].partition == 3);
  CHECK(fake.sent[0].key == std::optional<std::string>("bus-1"));
  CHECK(fake.sent[0].headers == keyed.headers);
  CHECK(fake.sent[0].timestamp_ms == 1700000000123);
  CHECK(fake.sent[0].value == keyed.value);
  // No partition: the partitioner's; no time: the producer's clock.
  CHECK(fake.sent[1].partition == -1);
  CHECK(fake.sent[1].timestamp_ms == 0);
  CHECK_FALSE(fake.sent[1].key.has_value());
}

TEST_CASE("a failed delivery stops the run and is named, counting only what was stored") {
  ListSource source({At("a", "1"), At("b", "2"), At("c", "3"), At("d", "4")});
  FakeProducer fake;
  source.on_next = [&](size_t i) {
    if (i == 1) fake.answer = SendFailure::kPermanent;  // the answer to b
  };
  const Run run = Produce(&source, &fake);
  CHECK(run.status.code() == StatusCode::kUnavailable);
  CHECK(run.status.message() == "delivery to b failed: broker says no");
  CHECK(run.produced == 1);
  CHECK(fake.sent.size() == 2);  // c and d never sent
}

TEST_CASE(
    "a send the producer refuses stops the run after what was sent is acknowledged") {
  ListSource source({At("a", "1"), At("b", "2"), At("c", "3")});
  FakeProducer fake;
  fake.silent = true;  // a's answer comes only with the final flush
  source.on_next = [&](size_t i) {
    if (i == 1) fake.refuse = SendFailure::kPermanent;
  };
  fake.on_flush = [&] { fake.silent = false; };
  const Run run = Produce(&source, &fake);
  CHECK(run.status.message() == "produce to b: refused");
  CHECK(run.produced == 1);
  CHECK(fake.flushes == 1);
}

TEST_CASE("messages the broker never acknowledges are counted in the error") {
  ListSource source({At("a", "1"), At("a", "2"), At("a", "3")});
  FakeProducer fake;
  fake.unanswered = {1, 2};
  const Run run = Produce(&source, &fake);
  CHECK(run.status.message() == "2 messages not acknowledged by b:9092");
  CHECK(run.produced == 1);
}

TEST_CASE("a stop ends the run as cancelled, after waiting for what was sent") {
  ListSource source({At("a", "1"), At("a", "2"), At("a", "3")});
  FakeProducer fake;
  fake.silent = true;
  fake.on_flush = [&] { fake.silent = false; };
  std::atomic<bool> stop{false};
  source.on_next = [&](size_t i) {
    if (i == 1) stop = true;  // while record 1 is handed out
  };
  const Run run = Produce(&source, &fake, &stop);
  CHECK(run.status.code() == StatusCode::kCancelled);
  CHECK(fake.sent.size() == 2);
  CHECK(run.produced == 2);
}

TEST_CASE("a source's error ends the run with it, after what was sent is stored") {
  ListSource source({At("a", "1")}, Status::InvalidData("line 2: not JSON"));
  FakeProducer fake;
  const Run run = Produce(&source, &fake);
  CHECK(run.status.message() == "line 2: not JSON");
  CHECK(run.produced == 1);
}

TEST_CASE("the producer is made idempotent unless the settings say otherwise") {
  ListSource source({});
  FakeProducer fake;
  KafkaProperties defaults;
  ProducerFactory forward = fake.Factory();
  uint64_t produced = 0;
  REQUIRE(ProduceRecords(&source, KafkaSettings{}, {}, nullptr, &produced,
                         [&](const KafkaSettings& s, const KafkaProperties& d,
                             Producer::DeliveryHandler h) {
                           defaults = d;
                           return forward(s, d, std::move(h));
                         })
              .ok());
  CHECK(defaults == KafkaProperties{{"enable.idempotence", "true"}});
}

}  // namespace
}  // namespace twin
