#include <catch2/catch.hpp>
#include <sstream>

#include "lib/kafka/kafka_source.h"
#include "lib/kafka/mock_broker.h"
#include "lib/kafka/record_producer.h"

namespace twin {
namespace {

std::vector<Record> Captured(const std::string& text) {
  std::vector<Record> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(*ParseRecord(line));
  return out;
}

TEST_CASE(
    "produce then capture round-trips keys, headers, timestamps, partitions, bytes") {
  auto broker = MockBroker::Start({});
  REQUIRE(broker.ok());
  KafkaSettings settings;
  settings.brokers = (*broker)->bootstraps();
  std::vector<Record> records;
  for (int i = 0; i < 40; ++i) {
    Record r;
    r.topic = i % 2 ? "transport.gps" : "sensors.traffic";
    r.partition = i % 4;
    r.timestamp_ms = 1765188000000 + i;
    if (i % 3) r.key = "key-" + std::to_string(i);
    if (i % 5 == 0) r.headers = {{"source", "test"}, {"n", std::to_string(i)}};
    r.value = i == 7 ? std::string("\xff\x00not json", 10)
                     : R"({"busId":"b)" + std::to_string(i) + "\"}";
    records.push_back(r);
  }
  std::string ndjson;
  for (const Record& r : records) ndjson += FormatRecord(r) + "\n";
  std::istringstream in(ndjson);
  NdjsonRecordSource source(&in, "test");
  uint64_t produced = 0;
  REQUIRE(ProduceRecords(&source, settings, {}, nullptr, &produced).ok());
  CHECK(produced == 40);

  std::ostringstream out;
  uint64_t captured = 0;
  CaptureOptions capture;
  capture.topics = {"sensors.traffic", "transport.gps"};
  REQUIRE(CaptureRecords(settings, capture, out, nullptr, &captured).ok());
  CHECK(captured == 40);
  std::vector<Record> back = Captured(out.str());
  REQUIRE(back.size() == 40);
  // Offsets are the broker's; everything else must be what was produced.
  std::map<std::pair<std::string, int64_t>, Record> by_time;
  for (Record r : back) {
    CHECK(r.offset >= 0);
    r.offset = -1;
    by_time[{r.topic, r.timestamp_ms}] = r;
  }
  for (const Record& r : records) CHECK(by_time[{r.topic, r.timestamp_ms}] == r);
}

TEST_CASE("capture skips by timestamp where the broker cannot look offsets up by time") {
  auto broker = MockBroker::Start({});
  REQUIRE(broker.ok());
  KafkaSettings settings;
  settings.brokers = (*broker)->bootstraps();
  std::string ndjson;
  for (int i = 0; i < 10; ++i) {
    ndjson += R"({"topic":"transport.gps","partition":0,"timestamp":)" +
              std::to_string(1000 + i) +
              R"(,"value":"x"})"
              "\n";
  }
  std::istringstream in(ndjson);
  NdjsonRecordSource source(&in, "test");
  uint64_t produced = 0;
  REQUIRE(ProduceRecords(&source, settings, {}, nullptr, &produced).ok());
  std::ostringstream out;
  uint64_t captured = 0;
  CaptureOptions capture;
  capture.topics = {"transport.gps"};
  capture.from_ms = 1003;
  capture.to_ms = 1005;
  REQUIRE(CaptureRecords(settings, capture, out, nullptr, &captured).ok());
  CHECK(captured == 3);
}

// Produces `count` GPS messages to partition 0 with timestamps from `first`.
void ProduceGps(const KafkaSettings& settings, int count, int first) {
  std::string ndjson;
  for (int i = 0; i < count; ++i) {
    ndjson += R"({"topic":"transport.gps","partition":0,"timestamp":)" +
              std::to_string(first + i) +
              R"(,"value":{"busId":"b"}})"
              "\n";
  }
  std::istringstream in(ndjson);
  NdjsonRecordSource source(&in, "test");
  uint64_t produced = 0;
  REQUIRE(ProduceRecords(&source, settings, {}, nullptr, &produced).ok());
}

TEST_CASE("a Kafka source reads to the end offsets it found at open, not beyond") {
  auto broker = MockBroker::Start({});
  REQUIRE(broker.ok());
  KafkaSettings settings;
  settings.brokers = (*broker)->bootstraps();
  ProduceGps(settings, 5, 1000);
  KafkaReadOptions read;
  read.topics = {"transport.gps", "no.such.topic"};  // an unknown topic is skipped
  auto source = KafkaRecordSource::Open(settings, read, nullptr);
  REQUIRE(source.ok());
  CHECK((*source)->Total() == 5);
  ProduceGps(settings, 3, 2000);  // after the open: a live topic
  std::vector<int64_t> timestamps;
  while (true) {
    auto next = (*source)->Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    timestamps.push_back((*next)->timestamp_ms);
  }
  CHECK(timestamps == std::vector<int64_t>{1000, 1001, 1002, 1003, 1004});
  CHECK((*source)->Done() == 5);
}

TEST_CASE("a set stop flag makes a Kafka source return Cancelled") {
  auto broker = MockBroker::Start({});
  REQUIRE(broker.ok());
  KafkaSettings settings;
  settings.brokers = (*broker)->bootstraps();
  ProduceGps(settings, 3, 1000);
  std::atomic<bool> stop{true};
  KafkaReadOptions read;
  read.topics = {"transport.gps"};
  auto source = KafkaRecordSource::Open(settings, read, &stop);
  REQUIRE(source.ok());
  CHECK((*source)->Next().status().code() == StatusCode::kCancelled);
}

TEST_CASE("an unreachable broker is a clear error, not a hang") {
  KafkaSettings settings;
  settings.brokers = "127.0.0.1:1";
  settings.properties = {{"message.timeout.ms", "2000"}};
  std::istringstream in(R"({"topic":"transport.gps","value":"x"})"
                        "\n");
  NdjsonRecordSource source(&in, "test");
  uint64_t produced = 0;
  Status status = ProduceRecords(&source, settings, {}, nullptr, &produced);
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(produced == 0);
}

TEST_CASE("-X properties are key=value") {
  CHECK(ParseKafkaProperty("compression.type=zstd")->second == "zstd");
  CHECK(ParseKafkaProperty("a=b=c")->second == "b=c");
  CHECK_FALSE(ParseKafkaProperty("novalue").ok());
  KafkaSettings settings;
  settings.properties = {{"no.such.property", "1"}};
  std::istringstream in("");
  NdjsonRecordSource source(&in, "test");
  uint64_t produced = 0;
  CHECK(ProduceRecords(&source, settings, {}, nullptr, &produced).code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace twin
