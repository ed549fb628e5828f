// The publisher's loop (publisher.h) in simulated time: a MemoryStore for
// Redis, a FakeProducer for the broker, a FakeClock whose scheduled actions
// change the store or the broker's answers at given seconds. Each case
// reads what was sent, in order: the sequences and headers state-rules.md
// §3 promises, and deltas that patch each document into the next. The
// same loop runs against Redis and Kafka in publisher_test and
// tools/twin-publish's tests.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "lib/json/json_diff.h"
#include "lib/kafka/fake_producer.h"
#include "lib/publish/envelope.h"
#include "lib/publish/publisher.h"
#include "lib/store/memory_store.h"
#include "lib/testing/fake_clock.h"

namespace twin {
namespace {

using std::chrono::milliseconds;

CityState City(int s4 = 4) {
  CityState city;
  city.city_id = "c1";
  bool created;
  District& district = city.EnsureDistrict("d1", &created);
  for (int i = 0; i < 5; ++i) {
    const std::string id = "s" + std::to_string(i);
    district.Of(EntityKind::kSensor)[id] =
        Json{{"sensorId", id}, {"value", i == 4 ? s4 : i}};
  }
  return city;
}

struct Harness {
  Harness() {
    options.city_id = "c1";
    options.full_interval_ms = 600000;
    options.incremental_interval_ms = 1000;
  }

  Status Run() {
    PublishEnv env;
    env.make_producer = producer.Factory();
    env.clock = &clock;
    Publisher publisher(options, &store, env);
    clock.At(milliseconds(3600000),
             [&] { stop = true; });  // a broken loop fails, not hangs
    Status status = publisher.Run(&stop);
    metrics = publisher.Metrics();
    return status;
  }

  // A flush of sensor `id`'s value at `second`, as twin-ingest writes it.
  void WriteAt(double second, const std::string& id, int value) {
    clock.At(milliseconds(static_cast<int>(second * 1000)), [this, id, value] {
      ChangeBatch batch;
      batch.entities.push_back({EntityRef{EntityKind::kSensor, "d1", id},
                                Json{{"sensorId", id}, {"value", value}}.dump()});
      REQUIRE(store.Write(batch).ok());
    });
  }
  void StopAt(double second) {
    clock.At(milliseconds(static_cast<int>(second * 1000)), [this] { stop = true; });
  }

  // What was sent: topic and sequence of each message, in order.
  std::vector<std::pair<std::string, std::string>> Sent() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const OutgoingMessage& m : producer.sent)
      out.emplace_back(m.topic, Header(m, "sequence"));
    return out;
  }
  static std::string Header(const OutgoingMessage& m, const std::string& name) {
    for (const auto& [key, value] : m.headers) {
      if (key == name) return value;
    }
    return "<none>";
  }
  Json Value(size_t i) const { return Json::parse(producer.sent_values.at(i)); }

  FakeClock clock;
  std::atomic<bool> stop{false};
  MemoryStore store;
  FakeProducer producer;
  PublishOptions options;
  PublishMetrics metrics;
};

using Sent = std::vector<std::pair<std::string, std::string>>;

TEST_CASE(
    "the first document is state.full 1, keyed by the city; a stop sends a last one") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.StopAt(1.5);
  REQUIRE(h.Run().ok());
  CHECK(h.Sent() == Sent{{"state.full", "1"}, {"state.full", "2"}});
  CHECK(h.producer.sent[0].headers == FullStateHeaders(Sequence(1)));
  CHECK(h.producer.sent[0].key == std::optional<std::string>("c1"));
  CHECK(h.Value(0)["districts"][0]["sensors"].size() == 5);
  CHECK(h.producer.learned_topics ==
        std::vector<std::string>{"state.full", "state.incremental"});
}

TEST_CASE("each tick's delta patches the last document into the next") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.WriteAt(1.5, "s3", 33);
  h.WriteAt(3.5, "s1", 11);
  h.WriteAt(3.6, "s3", 3);
  h.StopAt(5.5);
  REQUIRE(h.Run().ok());
  REQUIRE(h.Sent() == Sent{{"state.full", "1"},
                           {"state.incremental", "2"},
                           {"state.incremental", "3"},
                           {"state.full", "4"}});
  Json state = h.Value(0);
  for (size_t i : {1, 2}) {
    const OutgoingMessage& m = h.producer.sent[i];
    CHECK(m.headers ==
          IncrementalStateHeaders(Sequence(i + 1), Sequence(i), state["timestamp"]));
    const Json value = h.Value(i);
    CHECK(value["cityId"] == "c1");
    Result<Json> patched = Patch(state, value["delta"]);
    REQUIRE(patched.ok());
    state = std::move(*patched);
    CHECK(state["timestamp"] == value["timestamp"]);
  }
  Json last = h.Value(3);
  last.erase("timestamp");
  state.erase("timestamp");
  CHECK(state == last);
  CHECK(last["districts"][0]["sensors"][1]["value"] == 11);
  CHECK(last["districts"][0]["sensors"][3]["value"] == 3);
}

TEST_CASE("a change undone before the tick sends nothing") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.WriteAt(1.2, "s3", 33);
  h.WriteAt(1.4, "s3", 3);
  h.StopAt(2.5);
  REQUIRE(h.Run().ok());
  CHECK(h.Sent() == Sent{{"state.full", "1"}, {"state.full", "2"}});
}

TEST_CASE("a document the broker did not store goes again with the same sequence") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.WriteAt(1.5, "s3", 33);
  h.clock.At(milliseconds(1500), [&] { h.producer.answer = SendFailure::kRetriable; });
  h.clock.At(milliseconds(2500), [&] { h.producer.answer = SendFailure::kNone; });
  h.StopAt(3.5);
  REQUIRE(h.Run().ok());
  CHECK(h.Sent() == Sent{{"state.full", "1"},
                         {"state.incremental", "2"},
                         {"state.incremental", "2"},
                         {"state.full", "3"}});
  CHECK(h.producer.sent_values[1] ==
        h.producer.sent_values[2]);  // the delta from S1 again
  CHECK(h.metrics.failures == 1);
}

TEST_CASE("a document in doubt burns its sequence, and a state.full closes the gap") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.WriteAt(1.5, "s3", 33);
  h.clock.At(milliseconds(1500), [&] {
    h.producer.answer = SendFailure::kRetriable;
    h.producer.answer_maybe_stored = true;
  });
  h.clock.At(milliseconds(2500), [&] { h.producer.answer = SendFailure::kNone; });
  h.StopAt(3.5);
  REQUIRE(h.Run().ok());
  CHECK(h.Sent() == Sent{{"state.full", "1"},
                         {"state.incremental", "2"},
                         {"state.full", "3"},
                         {"state.full", "4"}});
  CHECK(h.Value(2)["districts"][0]["sensors"][3]["value"] == 33);
  CHECK(h.metrics.failures == 1);
  CHECK(h.metrics.sequence == 4);
}

TEST_CASE("a store without the city publishes nothing until the city is there") {
  Harness h;
  size_t sent_before = 99;
  h.clock.At(milliseconds(2900), [&] { sent_before = h.producer.sent.size(); });
  h.clock.At(milliseconds(3000), [&] { REQUIRE(h.store.Replace(City()).ok()); });
  h.StopAt(8);
  REQUIRE(h.Run().ok());
  CHECK(sent_before == 0);
  REQUIRE_FALSE(h.producer.sent.empty());
  CHECK(h.Sent()[0] == std::pair<std::string, std::string>{"state.full", "1"});
  CHECK(h.metrics.store_has_city);
}

TEST_CASE("after the state is replaced, the next delta diffs the whole documents") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.clock.At(milliseconds(1500), [&] { REQUIRE(h.store.Replace(City(44)).ok()); });
  h.StopAt(2.5);
  REQUIRE(h.Run().ok());
  REQUIRE(h.Sent() ==
          Sent{{"state.full", "1"}, {"state.incremental", "2"}, {"state.full", "3"}});
  Result<Json> patched = Patch(h.Value(0), h.Value(1)["delta"]);
  REQUIRE(patched.ok());
  CHECK((*patched)["districts"][0]["sensors"][4]["value"] == 44);
  CHECK(h.metrics.reloads == 2);
}

TEST_CASE("with the feed read only at ticks, nothing is read or diffed between them") {
  Harness h;
  h.options.follow_interval_ms = 0;
  h.options.incremental_interval_ms = 2000;
  REQUIRE(h.store.Replace(City()).ok());
  h.WriteAt(1.0, "s3", 33);
  h.WriteAt(2.5, "s3", 34);  // after the tick at 2 s, before the one at 4 s
  size_t sent_before_second_tick = 99;
  h.clock.At(milliseconds(3900),
             [&] { sent_before_second_tick = h.producer.sent.size(); });
  h.StopAt(4.5);
  REQUIRE(h.Run().ok());
  CHECK(sent_before_second_tick == 2);  // state.full 1 and the delta of 2 s
  CHECK(h.metrics.prepared == 0);
  CHECK(h.Value(2)["delta"]["districts"]["0"]["sensors"]["3"]["value"] == Json{33, 34});
}

}  // namespace
}  // namespace twin
