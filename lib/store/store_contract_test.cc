// The StateStore contract (state_store.h), run alike against MemoryStore
// and RedisStore on a real redis-server: the fake that unit tests lean on
// must behave as the store it stands in for.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>

#include "lib/city/state_document.h"
#include "lib/store/memory_store.h"
#include "lib/store/redis_store.h"
#include "lib/testing/redis_server.h"

namespace twin {
namespace {

constexpr const char* kCity =
    R"({"cityId":"c1","name":"Test","timestamp":"2025-12-08T10:00:00Z",
  "districts":[{"districtId":"d1","name":"One","extra":[1,2],
                "sensors":[{"sensorId":"s1","value":1}],
                "cityGraph":{"edges":[{"edgeId":"e1"}],"nodes":[],"v":2}}],
  "publicTransport":{"buses":[{"busId":"b1"}],"stations":[],"operator":"AMA"},
  "emergencyServices":{"incidents":[],"units":[]},"region":"Abruzzo"})";

CityState City() { return std::move(ParseCityState(kCity)).value(); }

// Each case runs once per implementation, given a way to lose the store's
// data as a Redis restarted without persistence does.
void ForEachForgettingStore(
    const std::function<void(StateStore*, const std::function<void()>& forget)>& run) {
  SECTION("MemoryStore") {
    MemoryStore store;
    run(&store, [&store] { store.Forget(); });
  }
  SECTION("RedisStore") {
    testing::RedisServer server;
    REQUIRE(server.Start().ok());
    auto client = RedisClient::Connect(*RedisUrl::Parse(server.url()));
    REQUIRE(client.ok());
    RedisStore store(std::move(client).value(), "c1");
    run(&store, [&server] {
      auto admin = RedisClient::Connect(*RedisUrl::Parse(server.url()));
      REQUIRE(admin.ok());
      REQUIRE((*admin)->Command({"FLUSHALL"}).ok());
    });
  }
}

// Each case runs once per implementation.
void ForEachStore(const std::function<void(StateStore*)>& run) {
  ForEachForgettingStore(
      [&](StateStore* store, const std::function<void()>&) { run(store); });
}

ChangeBatch Sensor(const std::string& district, const std::string& id,
                   const std::string& json, Micros timestamp = Micros()) {
  ChangeBatch batch;
  batch.timestamp = timestamp;
  batch.entities.push_back({EntityRef{EntityKind::kSensor, district, id}, json});
  return batch;
}

TEST_CASE(
    "contract: a store with no city says NotFound, and a must-exist write writes "
    "nothing") {
  ForEachStore([](StateStore* store) {
    CHECK(store->Read().status().code() == StatusCode::kNotFound);
    ChangeBatch batch = Sensor("d1", "s1", R"({"sensorId":"s1"})");
    batch.city_must_exist = true;
    CHECK(store->Write(batch).code() == StatusCode::kNotFound);
    CHECK(store->Read().status().code() == StatusCode::kNotFound);
  });
}

TEST_CASE("contract: Replace then Read gives the same document back") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    Result<StoredState> read = store->Read();
    REQUIRE(read.ok());
    CHECK(SerializeCityState(read->state) == SerializeCityState(City()));
  });
}

TEST_CASE(
    "contract: a write is read back, keeps the newest timestamp and moves the feed") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    const FeedCursor start = store->Read()->cursor;
    REQUIRE(store
                ->Write(Sensor("d1", "s1", R"({"sensorId":"s1","value":7})",
                               MicrosSinceEpoch(1)))
                .ok());
    Result<StoredState> read = store->Read();
    REQUIRE(read.ok());
    CHECK(read->state.Find({EntityKind::kSensor, "d1", "s1"})->at("value") == 7);
    CHECK(read->state.timestamp == City().timestamp);  // an older one does not go back
    CHECK(read->cursor > start);
    Result<FeedRead> feed = store->ReadFeed(start, 100);
    REQUIRE(feed.ok());
    CHECK_FALSE(feed->reload);
    CHECK(feed->cursor == read->cursor);
    REQUIRE(feed->changed.size() == 1);
    CHECK(feed->changed[0] == EntityRef{EntityKind::kSensor, "d1", "s1"});
    // Up to date: nothing more.
    Result<FeedRead> again = store->ReadFeed(feed->cursor, 100);
    REQUIRE(again.ok());
    CHECK(again->changed.empty());
    CHECK(again->cursor == feed->cursor);
  });
}

TEST_CASE("contract: a new district is in the feed once, and its members can be read") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    const FeedCursor start = store->Read()->cursor;
    District d2;
    d2.id = "d2";
    d2.fields = {{"name", "Two"}};
    ChangeBatch batch = Sensor("d2", "s9", R"({"sensorId":"s9"})");
    batch.new_districts.push_back({"d2", DistrictMetaJson(d2)});
    REQUIRE(store->Write(batch).ok());
    Result<FeedRead> feed = store->ReadFeed(start, 100);
    REQUIRE(feed.ok());
    CHECK(feed->new_districts == std::vector<std::string>{"d2"});
    Result<std::optional<District>> meta = store->ReadDistrictMeta("d2");
    REQUIRE(meta.ok());
    REQUIRE(meta->has_value());
    CHECK((*meta)->fields.at("name") == "Two");
    CHECK_FALSE(store->ReadDistrictMeta("d7")->has_value());
  });
}

TEST_CASE("contract: a reader behind a Replace is told to reload") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    const FeedCursor start = store->Read()->cursor;
    REQUIRE(store->Replace(City()).ok());
    Result<FeedRead> feed = store->ReadFeed(start, 100);
    REQUIRE(feed.ok());
    CHECK(feed->reload);
    CHECK(feed->cursor == store->Read()->cursor);
  });
}

TEST_CASE("contract: a value that is not JSON is reported, the others are read") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    REQUIRE(store->Write(Sensor("d1", "s2", "{not json")).ok());
    Result<EntityValues> values =
        store->ReadEntities({{EntityKind::kSensor, "d1", "s1"},
                             {EntityKind::kSensor, "d1", "s2"},
                             {EntityKind::kSensor, "d1", "s404"}});
    REQUIRE(values.ok());
    REQUIRE(values->values.size() == 3);
    CHECK(values->values[0]->at("value") == 1);
    CHECK_FALSE(values->values[1].has_value());
    CHECK_FALSE(values->values[2].has_value());
    CHECK(values->unreadable == std::vector<size_t>{1});
  });
}

const PartitionId kP0{"sensors.environmental", 0};
const PartitionId kP1{"sensors.environmental", 1};

// A batch fenced as a member that read `stored` and holds `epochs`.
ChangeBatch Fenced(ChangeBatch batch, const StoredState& stored, const Epochs& epochs) {
  batch.city_must_exist = true;
  batch.incarnation = stored.incarnation;
  batch.epochs = epochs;
  return batch;
}

TEST_CASE("contract: a write's positions are read back with the state it wrote") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City(), {{kP0, Offset(5)}}).ok());
    StoredState before = *store->Read();
    CHECK(before.positions == Positions{{kP0, Offset(5)}});
    const Epochs epochs = *store->TakeEpochs({kP0, kP1});
    ChangeBatch batch =
        Fenced(Sensor("d1", "s1", R"({"sensorId":"s1","value":9})"), before, epochs);
    batch.positions = {{kP1, Offset(40)}};
    REQUIRE(store->Write(batch).ok());
    StoredState after = *store->Read();
    CHECK(after.positions ==
          Positions{{kP0, Offset(5)}, {kP1, Offset(40)}});  // P0 untouched
    CHECK(after.state.Find({EntityKind::kSensor, "d1", "s1"})->at("value") == 9);
  });
}

TEST_CASE("contract: positions alone move no entity and append nothing to the feed") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    StoredState before = *store->Read();
    ChangeBatch batch = Fenced(ChangeBatch(), before, *store->TakeEpochs({kP0}));
    batch.positions = {{kP0, Offset(12)}};
    REQUIRE(store->Write(batch).ok());
    StoredState after = *store->Read();
    CHECK(after.positions == Positions{{kP0, Offset(12)}});
    CHECK(after.cursor == before.cursor);
    CHECK(SerializeCityState(after.state) == SerializeCityState(before.state));
  });
}

TEST_CASE("contract: a Replace sets the positions whole, and a new incarnation") {
  ForEachStore([](StateStore* store) {
    Result<std::string> first =
        store->Replace(City(), {{kP0, Offset(5)}, {kP1, Offset(6)}});
    REQUIRE(first.ok());
    CHECK(store->Read()->incarnation == *first);
    Result<std::string> second = store->Replace(City(), {});
    REQUIRE(second.ok());
    CHECK(*second != *first);
    StoredState read = *store->Read();
    CHECK(read.incarnation == *second);
    CHECK(read.positions.empty());  // a city definition: the group's commits apply
  });
}

TEST_CASE("contract: epochs grow with each take, per partition, and survive a Replace") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    CHECK(*store->TakeEpochs({kP0}) == Epochs{{kP0, Epoch(1)}});
    CHECK(*store->TakeEpochs({kP0, kP1}) == Epochs{{kP0, Epoch(2)}, {kP1, Epoch(1)}});
    REQUIRE(store->Replace(City()).ok());
    CHECK(*store->TakeEpochs({kP0}) == Epochs{{kP0, Epoch(3)}});
  });
}

TEST_CASE(
    "contract: a member whose partition was taken by another is fenced, writing "
    "nothing") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City(), {{kP0, Offset(5)}}).ok());
    StoredState read = *store->Read();
    const Epochs old_member = *store->TakeEpochs({kP0});
    const Epochs new_member = *store->TakeEpochs({kP0});
    ChangeBatch stale = Fenced(Sensor("d1", "s1", R"({"sensorId":"s1","value":"stale"})"),
                               read, old_member);
    stale.positions = {{kP0, Offset(99)}};
    Status status = store->Write(stale);
    CHECK(status.code() == StatusCode::kAborted);
    CHECK(status.message().find("sensors.environmental:0") != std::string::npos);
    StoredState after = *store->Read();
    CHECK(after.positions == Positions{{kP0, Offset(5)}});
    CHECK(after.cursor == read.cursor);
    CHECK(after.state.Find({EntityKind::kSensor, "d1", "s1"})->at("value") == 1);
    ChangeBatch current = stale;
    current.epochs = new_member;
    CHECK(store->Write(current).ok());
  });
}

TEST_CASE(
    "contract: a writer that read a replaced state is refused until it reads again") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    StoredState read = *store->Read();
    const Epochs epochs = *store->TakeEpochs({kP0});
    REQUIRE(store->Replace(City()).ok());  // a load while the member runs
    ChangeBatch batch =
        Fenced(Sensor("d1", "s1", R"({"sensorId":"s1","value":2})"), read, epochs);
    CHECK(store->Write(batch).code() == StatusCode::kFailedPrecondition);
    CHECK(store->Read()->state.Find({EntityKind::kSensor, "d1", "s1"})->at("value") == 1);
    batch.incarnation = store->Read()->incarnation;
    CHECK(store->Write(batch).ok());
  });
}

TEST_CASE(
    "contract: an epoch the store does not hold (it lost them) asks the writer to read "
    "again") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    StoredState read = *store->Read();
    ChangeBatch batch =
        Fenced(Sensor("d1", "s1", R"({"sensorId":"s1"})"), read, {{kP0, Epoch(4)}});
    CHECK(store->Write(batch).code() == StatusCode::kFailedPrecondition);
  });
}

TEST_CASE("contract: the feed names the incarnation its entries apply to") {
  ForEachStore([](StateStore* store) {
    REQUIRE(store->Replace(City()).ok());
    StoredState read = *store->Read();
    REQUIRE(store->Write(Sensor("d1", "s1", R"({"sensorId":"s1"})")).ok());
    Result<FeedRead> feed = store->ReadFeed(read.cursor, 100);
    REQUIRE(feed.ok());
    CHECK(feed->incarnation == read.incarnation);
    REQUIRE(store->Replace(City()).ok());
    CHECK(store->ReadFeed(read.cursor, 100)->incarnation != read.incarnation);
  });
}

TEST_CASE(
    "contract: a reader that read a state rewritten after the data was lost follows "
    "its feed without reloading") {
  ForEachForgettingStore([](StateStore* store, const std::function<void()>& forget) {
    REQUIRE(store->Replace(City()).ok());
    for (int i = 0; i < 3; ++i)
      REQUIRE(store->Write(Sensor("d1", "s1", R"({"sensorId":"s1"})")).ok());
    const StoredState before = *store->Read();
    forget();
    CHECK(store->Read().status().code() == StatusCode::kNotFound);
    REQUIRE(store->Replace(City()).ok());  // a member rewrites the city
    // The reader reads the rewritten state, then follows from its cursor.
    const StoredState read = *store->Read();
    CHECK(read.incarnation != before.incarnation);
    Result<FeedRead> feed = store->ReadFeed(read.cursor, 100);
    REQUIRE(feed.ok());
    CHECK_FALSE(feed->reload);
    CHECK(feed->incarnation == read.incarnation);
    CHECK(feed->changed.empty());
    REQUIRE(store->Write(Sensor("d1", "s1", R"({"sensorId":"s1","value":2})")).ok());
    feed = store->ReadFeed(read.cursor, 100);
    REQUIRE(feed.ok());
    CHECK_FALSE(feed->reload);
    CHECK(feed->incarnation == read.incarnation);
    CHECK(feed->changed.size() == 1);
    // And from there on, nothing more.
    feed = store->ReadFeed(feed->cursor, 100);
    REQUIRE(feed.ok());
    CHECK_FALSE(feed->reload);
    CHECK(feed->changed.empty());
  });
}

TEST_CASE(
    "MemoryStore: a restarted feed that caught up with a reader's cursor names another "
    "incarnation") {
  MemoryStore store;
  REQUIRE(store.Replace(City()).ok());
  for (int i = 0; i < 2; ++i)
    REQUIRE(store.Write(Sensor("d1", "s1", R"({"sensorId":"s1"})")).ok());
  StoredState reader = *store.Read();  // cursor 3
  store.Forget();
  REQUIRE(store.Replace(City()).ok());  // a member's rewrite: cursor 1
  for (int i = 0; i < 3; ++i)
    REQUIRE(store.Write(Sensor("d1", "s1", R"({"sensorId":"s1"})")).ok());
  Result<FeedRead> feed = store.ReadFeed(reader.cursor, 100);
  REQUIRE(feed.ok());
  CHECK_FALSE(feed->reload);  // the cursor alone cannot tell
  CHECK(feed->incarnation != reader.incarnation);
}

TEST_CASE("MemoryStore: a reader behind the retained feed is told to reload") {
  MemoryStore store(/*feed_retention=*/2);
  REQUIRE(store.Replace(City()).ok());
  const FeedCursor start = store.Read()->cursor;
  for (int i = 0; i < 3; ++i)
    REQUIRE(store.Write(Sensor("d1", "s1", R"({"sensorId":"s1"})")).ok());
  Result<FeedRead> feed = store.ReadFeed(start, 100);
  REQUIRE(feed.ok());
  CHECK(feed->reload);
}

TEST_CASE("MemoryStore: Forget is a Redis restarted empty") {
  MemoryStore store;
  REQUIRE(store.Replace(City(), {{kP0, Offset(3)}}).ok());
  const FeedCursor cursor = store.Read()->cursor;
  REQUIRE(store.TakeEpochs({kP0}).ok());
  store.Forget();
  CHECK(store.Read().status().code() == StatusCode::kNotFound);
  CHECK(store.ReadFeed(cursor, 100)->reload);
  CHECK(*store.TakeEpochs({kP0}) == Epochs{{kP0, Epoch(1)}});
}

}  // namespace
}  // namespace twin
