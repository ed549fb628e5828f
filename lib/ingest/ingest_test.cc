// The ingest loop (ingest.h) in simulated time: a FakeBroker for Kafka, a
// MemoryStore that can be taken down for Redis, a FakeProducer for the
// dead-letter topic. Each case scripts what happens when and asserts on
// what the store holds and what the group committed. The same behaviours
// run against a real broker and redis-server in tools/twin-ingest's tests.
#include "lib/ingest/ingest.h"

#include <catch2/catch.hpp>
#include <deque>

#include "lib/city/state_document.h"
#include "lib/kafka/fake_consumer.h"
#include "lib/kafka/fake_producer.h"
#include "lib/store/flaky_store.h"
#include "lib/testing/fake_clock.h"

namespace twin {
namespace {

using std::chrono::seconds;

const PartitionId kP0{"sensors.environmental", 0};
const PartitionId kP1{"sensors.environmental", 1};

CityState City() {
  Result<CityState> state = ParseCityState(R"({"cityId":"c","districts":[
    {"districtId":"d1","sensors":[{"sensorId":"s1","value":1},
                                  {"sensorId":"s2","value":1}]}]})");
  REQUIRE(state.ok());
  return std::move(state).value();
}

// A reading of `sensor`, `second` seconds into the test's hour.
FakeRecord Reading(int value, int second, const std::string& sensor = "s1") {
  return {R"({"districtId":"d1","sensorId":")" + sensor + R"(","value":)" +
              std::to_string(value) + "}",
          1765188000000 + second * 1000};
}

struct Harness {
  Harness() {
    options.city_id = "c";
    options.flush_interval_ms = 1000;
    options.kafka.properties = {{"session.timeout.ms", "6000"}};
  }

  Status Run() {
    IngestEnv env;
    env.clock = &clock;
    env.make_consumer = broker.MakeFactory();
    env.make_producer = producer.Factory();
    Ingestor ingestor(options, &store, env);
    Status status = ingestor.Run(&stop);
    metrics = ingestor.Metrics();
    CHECK_FALSE(broker.gave_up);
    return status;
  }

  // The stored value of sensor `id`, or -1.
  int Stored(const std::string& id = "s1") {
    Result<StoredState> stored = store.MemoryStore::Read();
    if (!stored.ok()) return -1;
    const Json* sensor = stored->state.Find({EntityKind::kSensor, "d1", id});
    return sensor == nullptr ? -1 : sensor->at("value").get<int>();
  }
  Positions StoredPositions() {
    Result<StoredState> stored = store.MemoryStore::Read();
    return stored.ok() ? stored->positions : Positions{};
  }
  uint64_t Count(const std::string& outcome) {
    auto it = metrics.messages.find({kP0.first, outcome});
    return it == metrics.messages.end() ? 0 : it->second;
  }

  FakeClock clock;
  std::atomic<bool> stop{false};
  FakeBroker broker{&clock, &stop};
  FlakyStore store;
  IngestOptions options;
  FakeProducer producer;  // the dead-letter topic's
  IngestMetrics metrics;
};

TEST_CASE("ingest writes what it applied with its positions, then commits them") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  for (int v = 2; v <= 4; ++v) h.broker.Append(kP0, Reading(v, v));
  h.broker.RebalanceAt(seconds(0), {kP0});
  Positions committed_at_flush;
  h.broker.At(seconds(3), [&] { committed_at_flush = h.broker.committed; });
  h.broker.StopAt(seconds(5));
  REQUIRE(h.Run().ok());
  CHECK(h.Stored() == 4);
  CHECK(h.StoredPositions() == Positions{{kP0, Offset(3)}});
  CHECK(committed_at_flush ==
        Positions{{kP0, Offset(3)}});  // committed by the periodic flush
  CHECK(h.Count("applied") == 3);
  CHECK(h.metrics.commits >= 1);
  CHECK(h.broker.closed);
}

TEST_CASE(
    "ingest exits at the end of its partitions with everything flushed and committed") {
  Harness h;
  h.options.exit_at_end = true;
  h.options.flush_interval_ms = 60000;  // only the final flush
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, Reading(7, 1));
  h.broker.RebalanceAt(seconds(0), {kP0});
  REQUIRE(h.Run().ok());
  CHECK(h.Stored() == 7);
  CHECK(h.broker.committed == Positions{{kP0, Offset(1)}});
  CHECK(h.broker.commits.size() == 1);
}

TEST_CASE(
    "while the store is down nothing is committed; once it is back the flush lands") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(1), [&] {
    h.store.down = true;
    h.broker.Append(kP0, Reading(5, 1));
  });
  Positions committed_while_down = {{kP1, Offset(-7)}};
  h.broker.At(seconds(19), [&] { committed_while_down = h.broker.committed; });
  h.broker.At(seconds(20), [&] { h.store.down = false; });
  h.broker.StopAt(seconds(40));
  REQUIRE(h.Run().ok());
  CHECK(committed_while_down.empty());
  CHECK(h.Stored() == 5);
  CHECK(h.broker.committed == Positions{{kP0, Offset(1)}});
  CHECK(h.metrics.flush_failures >= 2);
  CHECK(h.metrics.store_ok);
}

TEST_CASE("a stop while the store is down returns an error and commits nothing") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(1), [&] {
    h.store.down = true;
    h.broker.Append(kP0, Reading(5, 1));
  });
  h.broker.StopAt(seconds(5));
  const Status status = h.Run();
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message().find("store down") != std::string::npos);  // the cause
  CHECK(h.broker.commits.empty());
  h.store.down = false;
  CHECK(h.Stored() == 1);
}

TEST_CASE(
    "an assigned partition resumes from the store's position, not the group's commit") {
  Harness h;
  h.options.exit_at_end = true;
  REQUIRE(h.store.Replace(City(), {{kP0, Offset(2)}}).ok());
  h.broker.committed[kP0] = Offset(0);
  for (int v = 1; v <= 3; ++v) h.broker.Append(kP0, Reading(v, v));
  h.broker.RebalanceAt(seconds(0), {kP0});
  REQUIRE(h.Run().ok());
  REQUIRE(h.broker.assignments.size() == 1);
  CHECK(h.broker.assignments[0][0].offset == 2);
  CHECK(h.Count("applied") == 1);
  CHECK(h.Stored() == 3);
}

TEST_CASE("a partition the store has no position for resumes from the group's commit") {
  Harness h;
  h.options.exit_at_end = true;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.committed[kP0] = Offset(1);
  for (int v = 1; v <= 3; ++v) h.broker.Append(kP0, Reading(v, v));
  h.broker.RebalanceAt(seconds(0), {kP0});
  REQUIRE(h.Run().ok());
  CHECK(h.broker.assignments[0][0].offset == kOffsetCommitted);
  CHECK(h.Count("applied") == 2);
}

TEST_CASE(
    "a store without the city, though the group committed, stops ingest untouched") {
  Harness h;
  h.broker.committed[kP0] = Offset(1);
  h.broker.Append(kP0, Reading(1, 1));
  h.broker.Append(kP0, Reading(2, 2));
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.StopAt(seconds(10));
  const Status status = h.Run();
  CHECK(status.code() == StatusCode::kNotFound);
  CHECK(status.message().find("--accept-empty-store") != std::string::npos);
  CHECK(h.broker.commits.empty());
  CHECK_FALSE(h.store.MemoryStore::Read().ok());
}

TEST_CASE(
    "a rejected message's offset is committed only once its dead letter is stored") {
  Harness h;
  h.producer.silent = true;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, {"{bad", 1765188000000, "k"});
  h.broker.RebalanceAt(seconds(0), {kP0});
  Positions committed_unacknowledged = {{kP1, Offset(-7)}};
  h.broker.At(seconds(8), [&] { committed_unacknowledged = h.broker.committed; });
  h.broker.At(seconds(9), [&] { h.producer.silent = false; });
  h.broker.StopAt(seconds(20));
  REQUIRE(h.Run().ok());
  CHECK(committed_unacknowledged.empty());
  CHECK(h.broker.committed == Positions{{kP0, Offset(1)}});
  CHECK(h.producer.sent_values == std::deque<std::string>{"{bad"});
  CHECK(h.Count("rejected") == 1);
}

TEST_CASE(
    "a fenced member writes nothing, pauses, and after the grace resumes from the "
    "store") {
  Harness h;
  REQUIRE(h.store.Replace(City(), {{kP0, Offset(0)}}).ok());
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(1), [&] {
    REQUIRE(h.store.TakeEpochs({kP0}).ok());  // another member took kP0
    h.broker.Append(kP0, Reading(5, 1));
  });
  int stored_while_fenced = 0;
  bool paused_while_fenced = false;
  h.broker.At(seconds(6), [&] {
    stored_while_fenced = h.Stored();
    paused_while_fenced = h.broker.paused.count(kP0) == 1;
  });
  h.broker.StopAt(seconds(30));  // the grace is twice the 6 s session timeout
  REQUIRE(h.Run().ok());
  CHECK(stored_while_fenced == 1);
  CHECK(paused_while_fenced);
  CHECK(h.metrics.fenced_flushes == 1);
  CHECK(h.metrics.reacquires == 1);
  CHECK(h.broker.seeks == std::vector<std::pair<PartitionId, int64_t>>{{kP0, 0}});
  CHECK(h.Stored() == 5);  // read again from position 0 and written
  CHECK(h.StoredPositions() == Positions{{kP0, Offset(1)}});
}

TEST_CASE("a store that lost the city is rewritten whole from the member's memory") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, Reading(2, 1, "s2"));
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(3), [&] {
    h.store.Forget();  // Redis restarted without persistence
    h.broker.Append(kP0, Reading(3, 3));
  });
  h.broker.StopAt(seconds(10));
  REQUIRE(h.Run().ok());
  CHECK(h.metrics.store_rewrites == 1);
  CHECK(h.Stored("s2") == 2);  // flushed before the loss, rewritten from memory
  CHECK(h.Stored("s1") == 3);
  CHECK(h.StoredPositions() == Positions{{kP0, Offset(2)}});
}

TEST_CASE(
    "a state replaced under the member (a load) is read again, from its positions") {
  Harness h;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, Reading(2, 1));
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(3), [&] {
    CityState loaded = City();
    (*loaded.FindDistrict("d1")->Of(EntityKind::kSensor).find("s2")).second["value"] = 9;
    REQUIRE(h.store.Replace(loaded, {{kP0, Offset(1)}}).ok());
    h.broker.Append(kP0, Reading(3, 3));
  });
  h.broker.StopAt(seconds(10));
  REQUIRE(h.Run().ok());
  CHECK(h.metrics.reacquires == 1);
  CHECK(h.broker.seeks == std::vector<std::pair<PartitionId, int64_t>>{{kP0, 1}});
  CHECK(h.Stored("s2") == 9);  // the loaded state, not the member's old copy
  CHECK(h.Stored("s1") == 3);  // the message after the load's position, applied to it
}

TEST_CASE("past max_pending_entities consumption pauses until the store takes a flush") {
  Harness h;
  h.options.max_pending_entities = 1;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.At(seconds(1), [&] {
    h.store.down = true;
    h.broker.Append(kP0, Reading(2, 1, "s1"));
    h.broker.Append(kP0, Reading(2, 1, "s2"));
  });
  bool paused_while_down = false;
  h.broker.At(seconds(5), [&] { paused_while_down = h.broker.paused.count(kP0) == 1; });
  h.broker.At(seconds(6), [&] { h.store.down = false; });
  h.broker.StopAt(seconds(30));
  REQUIRE(h.Run().ok());
  CHECK(paused_while_down);
  CHECK(h.broker.paused.empty());
  CHECK(h.broker.resumes >= 1);
  CHECK(h.Stored("s2") == 2);
}

TEST_CASE("a revoke flushes and commits before the partitions go") {
  Harness h;
  h.options.flush_interval_ms = 60000;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, Reading(4, 1));
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.RebalanceAt(seconds(2), {kP1});
  Positions committed_after_revoke;
  int stored_after_revoke = 0;
  h.broker.At(seconds(3), [&] {
    committed_after_revoke = h.broker.committed;
    stored_after_revoke = h.Stored();
  });
  h.broker.StopAt(seconds(5));
  REQUIRE(h.Run().ok());
  CHECK(committed_after_revoke == Positions{{kP0, Offset(1)}});
  CHECK(stored_after_revoke == 4);
}

TEST_CASE("a lost assignment writes and commits nothing of what was pending") {
  Harness h;
  h.options.flush_interval_ms = 60000;
  REQUIRE(h.store.Replace(City()).ok());
  h.broker.Append(kP0, Reading(4, 1));
  h.broker.RebalanceAt(seconds(0), {kP0});
  h.broker.RebalanceAt(seconds(2), {kP1}, /*lost=*/true);
  h.broker.StopAt(seconds(5));
  REQUIRE(h.Run().ok());
  CHECK(h.broker.committed.count(kP0) == 0);
  CHECK(h.Stored() == 1);
}

TEST_CASE("a cooperative assignor is refused before anything is consumed") {
  Harness h;
  h.options.kafka.properties.push_back(
      {"partition.assignment.strategy", "cooperative-sticky"});
  const Status status = h.Run();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(h.broker.subscribed.empty());
}

}  // namespace
}  // namespace twin
