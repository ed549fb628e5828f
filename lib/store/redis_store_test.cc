#include "lib/store/redis_store.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "bench/city_generator.h"
#include "lib/city/state_document.h"
#include "lib/city/update_rules.h"
#include "lib/testing/redis_server.h"

namespace twin {
namespace {

constexpr const char* kCity =
    R"({"cityId":"c1","name":"Test","timestamp":"2025-12-08T10:00:00Z",
  "districts":[{"districtId":"d1","name":"One","extra":[1,2],
                "sensors":[{"sensorId":"s1","value":1}],
                "cityGraph":{"edges":[{"edgeId":"e1"}],"nodes":[],"v":2}},
               {"districtId":"d:2","name":"Colon"}],
  "publicTransport":{"buses":[{"busId":"b1"}],"stations":[],"operator":"AMA"},
  "emergencyServices":{"incidents":[],"units":[]},"region":"Abruzzo"})";

CityState SmallCity() { return std::move(ParseCityState(kCity)).value(); }

std::unique_ptr<RedisStore> Store(const testing::RedisServer& server,
                                  const std::string& city = "c1",
                                  RedisStoreOptions options = {}) {
  auto client = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(client.ok());
  return std::make_unique<RedisStore>(std::move(client).value(), city, options);
}

std::string Saved(StateStore* store) {
  Result<StoredState> read = store->Read();
  REQUIRE(read.ok());
  return SerializeCityState(read->state);
}

// Applies one message to `state` and returns the batch that flushes it.
ChangeBatch Apply(CityState* state, Topic topic, const std::string& value) {
  ApplyResult r = ApplyMessage(state, InputMessage{topic, value, 1765188000000});
  REQUIRE(r.outcome == Outcome::kApplied);
  std::set<std::string> created;
  if (r.district_created) created.insert(r.target.district_id);
  return ChangeBatch::Collect(*state, {r.target}, created);
}

TEST_CASE("a loaded city saves back byte for byte, twice") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  const CityState city = SmallCity();
  REQUIRE(store->Replace(city).ok());
  CHECK(Saved(store.get()) == SerializeCityState(city));
  CHECK(Saved(store.get()) == Saved(store.get()));
}

TEST_CASE("the design-scale city round-trips through Redis") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server, "laquila-dt-001");
  const CityState city = GenerateCity(CityShape(), 1);
  REQUIRE(store->Replace(city).ok());
  CHECK(Saved(store.get()) == SerializeCityState(city));
}

TEST_CASE("a city with no state is NotFound; cities do not see each other") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  REQUIRE(Store(server, "c1")->Replace(SmallCity()).ok());
  Result<StoredState> other = Store(server, "c2")->Read();
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == StatusCode::kNotFound);
}

TEST_CASE("a write changes only its entities and is seen once through the feed") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  CityState city = SmallCity();
  REQUIRE(store->Replace(city).ok());
  const FeedCursor cursor = store->Read()->cursor;

  ChangeBatch batch = Apply(&city, Topic::kSensorsEnvironmental,
                            R"({"districtId":"d1","sensorId":"s1","value":9})");
  ChangeBatch second = Apply(&city, Topic::kTransportGps, R"({"busId":"b2"})");
  ChangeBatch third =
      Apply(&city, Topic::kSensorsTraffic, R"({"districtId":"d9","sensorId":"x"})");
  REQUIRE(store->Write(batch).ok());
  REQUIRE(store->Write(second).ok());
  REQUIRE(store->Write(third).ok());
  CHECK(Saved(store.get()) == SerializeCityState(city));

  Result<FeedRead> feed = store->ReadFeed(cursor, 100);
  REQUIRE(feed.ok());
  CHECK_FALSE(feed->reload);
  CHECK(feed->changed == std::vector<EntityRef>{{EntityKind::kSensor, "d1", "s1"},
                                                {EntityKind::kBus, "", "b2"},
                                                {EntityKind::kSensor, "d9", "x"}});
  CHECK(feed->new_districts == std::vector<std::string>{"d9"});
  CHECK(feed->cursor == FeedCursor(cursor.value() + 3));
  Result<FeedRead> again = store->ReadFeed(feed->cursor, 100);
  REQUIRE(again.ok());
  CHECK(again->changed.empty());
  CHECK_FALSE(again->reload);

  // Feed entries can be read a few at a time without losing any.
  Result<FeedRead> one = store->ReadFeed(cursor, 1);
  REQUIRE(one.ok());
  CHECK(one->changed.size() == 1);
  CHECK(one->cursor == FeedCursor(cursor.value() + 1));

  auto values = store->ReadEntities(
      {{EntityKind::kSensor, "d1", "s1"}, {EntityKind::kBus, "", "nope"}});
  REQUIRE(values.ok());
  CHECK(values->values[0]->at("value") == 9);
  CHECK_FALSE(values->values[1].has_value());
  auto meta = store->ReadDistrictMeta("d9");
  REQUIRE(meta.ok());
  CHECK((*meta)->fields["name"] == "District d9");
}

TEST_CASE(
    "many entities read at once come back in order; a corrupt one is a clear error") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  CityState city = SmallCity();
  std::vector<EntityRef> refs;
  bool created;
  EntityMap& sensors = city.EnsureDistrict("d1", &created).Of(EntityKind::kSensor);
  for (int i = 0; i < 1200; ++i) {  // enough to be parsed on several threads
    const std::string id = "s" + std::to_string(1000 + i);
    sensors[id] = Json{{"sensorId", id}, {"value", i}};
    refs.push_back({EntityKind::kSensor, "d1", id});
  }
  refs.push_back({EntityKind::kSensor, "d1", "absent"});
  REQUIRE(store->Replace(city).ok());
  auto values = store->ReadEntities(refs);
  REQUIRE(values.ok());
  for (int i = 0; i < 1200; ++i) {
    REQUIRE(values->values[i].has_value());
    CHECK(values->values[i]->at("value") == i);
  }
  CHECK_FALSE(values->values.back().has_value());
  CHECK(values->unreadable.empty());

  auto raw = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(raw.ok());
  REQUIRE((*raw)->Command({"HSET", "twin:{c1}:sensors", "2:d1s1700", "{not json"}).ok());
  // One bad value is reported by its index; the others are read.
  auto corrupt = store->ReadEntities(refs);
  REQUIRE(corrupt.ok());
  CHECK(corrupt->unreadable == std::vector<size_t>{700});
  CHECK_FALSE(corrupt->values[700].has_value());
  CHECK(corrupt->values[699]->at("value") == 699);
  CHECK(corrupt->values[701]->at("value") == 701);
}

TEST_CASE("a reader that fell behind the feed, or saw a load, must reload") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  RedisStoreOptions options;
  options.feed_max_entries = 5;
  auto store = Store(server, "c1", options);
  CityState city = SmallCity();
  REQUIRE(store->Replace(city).ok());
  const FeedCursor start = store->Read()->cursor;
  for (int i = 0; i < 10; ++i) {
    REQUIRE(store
                ->Write(Apply(&city, Topic::kTransportGps,
                              R"({"busId":"b)" + std::to_string(i) + "\"}"))
                .ok());
  }
  Result<FeedRead> behind = store->ReadFeed(start, 100);
  REQUIRE(behind.ok());
  CHECK(behind->reload);
  Result<FeedRead> recent = store->ReadFeed(FeedCursor(start.value() + 7), 100);
  REQUIRE(recent.ok());
  CHECK_FALSE(recent->reload);
  CHECK(recent->changed.size() == 3);

  REQUIRE(store->Replace(SmallCity()).ok());
  Result<FeedRead> after_load = store->ReadFeed(recent->cursor, 100);
  REQUIRE(after_load.ok());
  CHECK(after_load->reload);
}

TEST_CASE("a feed entry that is not a change list forces a reload, never an exception") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server, "c1");
  REQUIRE(store->Replace(SmallCity()).ok());
  const FeedCursor cursor = store->Read()->cursor;
  auto raw = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(raw.ok());
  // Written by hand: a change whose id is a number (get<std::string> threw).
  const std::string next = std::to_string(cursor.Next().value());
  REQUIRE((*raw)
              ->Command({"XADD", "twin:{c1}:feed", next + "-1", "changes",
                         R"({"d":[],"e":[["sensors","d1",7]]})"})
              .ok());
  REQUIRE((*raw)->Command({"SET", "twin:{c1}:seq", next}).ok());
  Result<FeedRead> read = store->ReadFeed(cursor, 100);
  REQUIRE(read.ok());
  CHECK(read->reload);
  CHECK(read->cursor == FeedCursor(cursor.value() + 1));
}

TEST_CASE("two loads at once take turns: the city ends as one of them, whole") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  CityShape shape;
  shape.districts = 2;
  shape.edges_per_district = 400;
  const CityState a = GenerateCity(shape, 1);
  const CityState b = GenerateCity(shape, 2);
  REQUIRE(SerializeCityState(a) != SerializeCityState(b));
  // write_chunk 5: each load is hundreds of pipelines long, so the two overlap.
  RedisStoreOptions small_chunks;
  small_chunks.write_chunk = 5;
  auto first = Store(server, "c1", small_chunks);
  auto second = Store(server, "c1", small_chunks);
  Status sa, sb;
  std::thread ta([&] { sa = first->Replace(a); });
  std::thread tb([&] { sb = second->Replace(b); });
  ta.join();
  tb.join();
  CHECK(sa.ok());
  CHECK(sb.ok());
  const std::string saved = Saved(first.get());
  CHECK((saved == SerializeCityState(a) || saved == SerializeCityState(b)));
}

TEST_CASE("a load waits for another's lock, then fails clearly; the state stays") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  RedisStoreOptions impatient;
  impatient.load_lock_wait_ms = 600;
  auto store = Store(server, "c1", impatient);
  REQUIRE(store->Replace(SmallCity()).ok());
  const std::string before = Saved(store.get());
  auto raw = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(raw.ok());
  REQUIRE((*raw)
              ->Command({"SET", "twin:{c1}:load-lock", "someone-else", "PX", "60000"})
              .ok());
  Status status = store->Replace(SmallCity());
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("another load of this city is in progress") !=
        std::string::npos);
  CHECK(Saved(store.get()) == before);
  // The other load's lock is not ours to release.
  CHECK((*raw)->Command({"GET", "twin:{c1}:load-lock"})->str == "someone-else");
}

TEST_CASE("a writer that saw the city writes nothing once Redis has lost it") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server, "c1");
  CityState city = SmallCity();
  REQUIRE(store->Replace(city).ok());
  ChangeBatch batch = Apply(&city, Topic::kTransportGps, R"({"busId":"after-loss"})");
  batch.city_must_exist = true;
  auto raw = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(raw.ok());
  REQUIRE((*raw)->Command({"FLUSHALL"}).ok());  // as a restart without persistence
  Status status = store->Write(batch);
  CHECK(status.code() == StatusCode::kNotFound);
  CHECK((*raw)->Command({"DBSIZE"})->integer == 0);  // not a partial city
  CHECK(store->Read().status().code() == StatusCode::kNotFound);
  // A writer that never saw the city (a first start) still creates it.
  batch.city_must_exist = false;
  REQUIRE(store->Write(batch).ok());
  CHECK(store->Read().ok());
}

TEST_CASE(
    "after Redis lost its data, a new feed that caught up with a reader's cursor names "
    "another incarnation") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server, "c1");
  CityState city = SmallCity();
  REQUIRE(store->Replace(city).ok());
  for (int i = 0; i < 2; ++i) {
    REQUIRE(store->Write(Apply(&city, Topic::kTransportGps, R"({"busId":"b"})")).ok());
  }
  StoredState reader = *store->Read();  // cursor 3
  auto raw = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  REQUIRE(raw.ok());
  REQUIRE((*raw)->Command({"FLUSHALL"}).ok());  // as a restart without persistence
  REQUIRE(store->Replace(city).ok());           // a member's rewrite: cursor 1
  for (int i = 0; i < 3; ++i) {
    REQUIRE(store->Write(Apply(&city, Topic::kTransportGps, R"({"busId":"b"})")).ok());
  }
  Result<FeedRead> feed = store->ReadFeed(reader.cursor, 100);
  REQUIRE(feed.ok());
  CHECK_FALSE(feed->reload);  // the cursor alone cannot tell
  CHECK(feed->incarnation != reader.incarnation);
  CHECK(feed->incarnation == store->Read()->incarnation);
}

TEST_CASE("ParseFeedChanges takes exactly the change-list shape") {
  std::vector<std::string> districts;
  std::vector<EntityRef> changed;
  CHECK(RedisStore::ParseFeedChanges(
      R"({"d":["d9"],"e":[["sensors","d1","s1"],["buses","","b1"]]})", &districts,
      &changed));
  CHECK(districts == std::vector<std::string>{"d9"});
  REQUIRE(changed.size() == 2);
  CHECK(changed[1].kind == EntityKind::kBus);
  for (const char* bad :
       {"", "[]", "{}", R"({"d":{},"e":[]})", R"({"d":[1],"e":[]})",
        R"({"d":[],"e":[["sensors","d1"]]})", R"({"d":[],"e":[["nope","d","i"]]})",
        R"({"d":[],"e":[["sensors","d1","s"],7]})", "{\"d\":[],\"e\":[\"\xff\"]}"}) {
    INFO(bad);
    CHECK_FALSE(RedisStore::ParseFeedChanges(bad, &districts, &changed));
  }
  CHECK(changed.size() == 2);  // nothing appended by a refusal
}

TEST_CASE("the cost of a write does not depend on the city: only its entities are sent") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  REQUIRE(store->Replace(GenerateCity(CityShape(), 1)).ok());
  auto client = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  const long long before = std::stoll(
      (*client)
          ->Command({"INFO", "stats"})
          ->str.substr(
              (*client)->Command({"INFO", "stats"})->str.find("total_net_input_bytes:") +
              22));
  CityState city = std::move(store->Read()).value().state;
  REQUIRE(
      store
          ->Write(Apply(&city, Topic::kTransportGps, R"({"busId":"bus-0001","speed":1})"))
          .ok());
  const std::string info = (*client)->Command({"INFO", "stats"})->str;
  const long long after =
      std::stoll(info.substr(info.find("total_net_input_bytes:") + 22));
  CHECK(after - before < 8000);  // the script and one bus, not 7.5 MB
}

TEST_CASE("a failed load leaves the previous state intact") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  REQUIRE(store->Replace(SmallCity()).ok());
  const std::string before = Saved(store.get());
  auto admin = RedisClient::Connect(*RedisUrl::Parse(server.url()));
  const std::string info = (*admin)->Command({"INFO", "memory"})->str;
  const long long used = std::stoll(info.substr(info.find("used_memory:") + 12));
  // A memory limit that the design-scale city cannot fit in: the load fails
  // half-way with an OOM error from the server.
  REQUIRE((*admin)
              ->Command({"CONFIG", "SET", "maxmemory", std::to_string(used + 2000000)})
              .ok());
  Status status = store->Replace(GenerateCity(CityShape(), 1));
  CHECK_FALSE(status.ok());
  REQUIRE((*admin)->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  CHECK(Saved(store.get()) == before);
  // The next load cleans up what the failed one left behind.
  REQUIRE(store->Replace(SmallCity()).ok());
  auto keys = (*admin)->Command({"KEYS", "*staging*"});
  CHECK(keys->elements.empty());
}

TEST_CASE(
    "Redis killed during a load: afterwards the state is the old or the new, whole") {
  testing::RedisServer server({"", /*append_only=*/true});
  REQUIRE(server.Start().ok());
  const CityState small = SmallCity();
  CityState big = GenerateCity(CityShape(), 1);
  big.city_id = "c1";
  const std::string old_doc = SerializeCityState(small);
  const std::string new_doc = SerializeCityState(big);
  REQUIRE(Store(server)->Replace(small).ok());
  // A killed load leaves its lock (AOF keeps it): the next load waits for
  // it to expire, here after 1 s.
  RedisStoreOptions quick_lock;
  quick_lock.load_lock_ms = 1000;
  for (int delay_ms : {5, 40, 150}) {
    auto store = Store(server, "c1", quick_lock);
    std::thread loader([&] { (void)store->Replace(big); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    server.Kill();
    loader.join();
    REQUIRE(server.Restart().ok());
    const std::string now = Saved(Store(server).get());
    CHECK((now == old_doc || now == new_doc));
    REQUIRE(Store(server, "c1", quick_lock)->Replace(small).ok());
  }
}

TEST_CASE("two writers on disjoint entities do not overwrite each other") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  REQUIRE(Store(server)->Replace(SmallCity()).ok());
  CityState expected = SmallCity();
  std::vector<ChangeBatch> a, b;
  for (int i = 0; i < 200; ++i) {
    a.push_back(Apply(&expected, Topic::kTransportGps,
                      R"({"busId":"a)" + std::to_string(i) + "\"}"));
    b.push_back(Apply(&expected, Topic::kSensorsEnvironmental,
                      R"({"districtId":"d1","sensorId":"b)" + std::to_string(i) + "\"}"));
  }
  auto run = [&server](const std::vector<ChangeBatch>* batches) {
    auto store = Store(server);
    for (const ChangeBatch& batch : *batches) REQUIRE(store->Write(batch).ok());
  };
  std::thread ta(run, &a), tb(run, &b);
  ta.join();
  tb.join();
  CHECK(Saved(Store(server).get()) == SerializeCityState(expected));
}

TEST_CASE("a store whose Redis went away reports Unavailable, then works again") {
  testing::RedisServer server;
  REQUIRE(server.Start().ok());
  auto store = Store(server);
  REQUIRE(store->Replace(SmallCity()).ok());
  server.Kill();
  CityState city = SmallCity();
  ChangeBatch batch = Apply(&city, Topic::kTransportGps, R"({"busId":"b9"})");
  Status status = store->Write(batch);
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message().find("write to city 'c1'") != std::string::npos);
  REQUIRE(server.Restart().ok());
  REQUIRE(store->Replace(SmallCity()).ok());  // no persistence: the state is gone
  CHECK(store->Write(batch).ok());
}

}  // namespace
}  // namespace twin
