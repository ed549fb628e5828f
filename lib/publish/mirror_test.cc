#include "lib/publish/mirror.h"

#include <catch2/catch.hpp>

#include "lib/city/state_document.h"
#include "lib/json/json_diff.h"
#include "lib/store/flaky_store.h"

namespace twin {
namespace {

constexpr Micros kPublished = MicrosSinceEpoch(1765188000000000);  // 2025-12-08T10:00:00Z

CityState City() {
  CityState city;
  city.city_id = "c1";
  city.timestamp = kPublished;
  bool created;
  District& district = city.EnsureDistrict("d1", &created);
  for (int i = 0; i < 3; ++i) {
    const std::string id = "s" + std::to_string(i);
    district.Of(EntityKind::kSensor)[id] = Json{{"sensorId", id}, {"value", i}};
  }
  return city;
}

void WriteSensor(StateStore* store, const std::string& id, const std::string& json) {
  ChangeBatch batch;
  batch.entities.push_back({EntityRef{EntityKind::kSensor, "d1", id}, json});
  REQUIRE(store->Write(batch).ok());
}
void WriteSensor(StateStore* store, const std::string& id, int value) {
  WriteSensor(store, id, Json{{"sensorId", id}, {"value", value}}.dump());
}

const Json& Sensor(const Mirror& mirror, const std::string& id) {
  return mirror.state().districts().at("d1").Of(EntityKind::kSensor).at(id);
}

// A mirror of `store`'s state, in step with it as if just published.
struct Fixture {
  Fixture() {
    REQUIRE(store.Replace(City()).ok());
    mirror.Replace(*store.Read());
    mirror.InStep();
  }
  FlakyStore store;
  Mirror mirror{&store};
};

TEST_CASE("the mirror follows the feed and logs what changed") {
  Fixture f;
  WriteSensor(&f.store, "s1", 10);
  const FeedCursor before = f.mirror.cursor();
  const Mirror::FollowResult followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kCurrent);
  CHECK(Sensor(f.mirror, "s1")["value"] == 10);
  CHECK(f.mirror.changes().size() == 1);
  CHECK(f.mirror.changed());
  CHECK(f.mirror.cursor() > before);
  // Nothing new: current, nothing more logged.
  CHECK(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  CHECK(f.mirror.changes().size() == 1);
}

TEST_CASE("the published text is the state before the changes, however many") {
  Fixture f;
  const std::string published = SerializeCityState(f.mirror.state());
  WriteSensor(&f.store, "s1", 10);
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  WriteSensor(&f.store, "s1", 11);
  WriteSensor(&f.store, "s2", 12);
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  f.mirror.Stamp(kPublished + std::chrono::seconds(5));
  CHECK(f.mirror.PublishedText(kPublished) == published);
  CHECK(f.mirror.state().timestamp == kPublished + std::chrono::seconds(5));  // put back
  f.mirror.InStep();
  CHECK_FALSE(f.mirror.changed());
  CHECK(f.mirror.PublishedText(kPublished + std::chrono::seconds(5)) ==
        SerializeCityState(f.mirror.state()));
}

TEST_CASE("the composed delta patches the published document into the mirror") {
  Fixture f;
  const Json published = CityStateToJson(f.mirror.state());
  WriteSensor(&f.store, "s0", 7);
  WriteSensor(&f.store, "s3", 3);  // a new sensor
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  CHECK(f.mirror.PrepareChanges() == 2);
  const Micros now = kPublished + std::chrono::seconds(1);
  f.mirror.Stamp(now);
  const std::optional<std::string> delta =
      f.mirror.ComposeDelta(FormatMicros(kPublished), FormatMicros(now));
  REQUIRE(delta.has_value());
  Result<Json> patched = Patch(published, Json::parse(*delta));
  REQUIRE(patched.ok());
  CHECK(*patched == CityStateToJson(f.mirror.state()));
}

TEST_CASE("a value changed and changed back composes no delta") {
  Fixture f;
  WriteSensor(&f.store, "s1", 10);
  WriteSensor(&f.store, "s1", 1);
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  f.mirror.Stamp(kPublished + std::chrono::seconds(1));
  CHECK_FALSE(f.mirror.ComposeDelta(FormatMicros(kPublished),
                                    FormatMicros(kPublished + std::chrono::seconds(1))));
}

TEST_CASE("a new district comes with its members, and is logged as new") {
  Fixture f;
  District d2;
  d2.id = "d2";
  d2.fields = Json{{"name", "Two"}};
  ChangeBatch batch;
  batch.new_districts.push_back({"d2", DistrictMetaJson(d2)});
  batch.entities.push_back(
      {EntityRef{EntityKind::kSensor, "d2", "t1"}, R"({"sensorId":"t1"})"});
  REQUIRE(f.store.Write(batch).ok());
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  REQUIRE(f.mirror.state().districts().count("d2") == 1);
  CHECK(f.mirror.state().districts().at("d2").fields == d2.fields);
  CHECK(f.mirror.changes().new_districts().count("d2") == 1);
}

TEST_CASE("a Replace under the mirror needs a reload, and leaves the mirror as it was") {
  Fixture f;
  CityState other = City();
  bool created;
  other.EnsureDistrict("d1", &created).Of(EntityKind::kSensor)["s0"]["value"] = 99;
  REQUIRE(f.store.Replace(other).ok());
  const Mirror::FollowResult followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kReloadNeeded);
  CHECK(followed.why == "the change feed says reload");
  CHECK(Sensor(f.mirror, "s0")["value"] == 0);
  f.mirror.Replace(*f.store.Read());
  CHECK(f.mirror.reloaded());
  CHECK(f.mirror.changed());
  CHECK(Sensor(f.mirror, "s0")["value"] == 99);
  CHECK(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  f.mirror.InStep();
  CHECK_FALSE(f.mirror.reloaded());
}

TEST_CASE("a rewritten store whose feed caught up with the cursor needs a reload") {
  Fixture f;
  WriteSensor(&f.store, "s1", 10);
  REQUIRE(f.mirror.Follow().outcome == Mirror::Followed::kCurrent);
  f.store.Forget();  // Redis restarted empty
  REQUIRE(f.store.Replace(City()).ok());
  for (int i = 0; i < 3; ++i) WriteSensor(&f.store, "s2", 20 + i);
  const Mirror::FollowResult followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kReloadNeeded);
  CHECK(followed.why == "the state was replaced under the change feed's cursor");
  CHECK(Sensor(f.mirror, "s2")["value"] == 2);  // not the new feed's entries
}

TEST_CASE("a stored value that is not JSON is skipped and counted; the others apply") {
  Fixture f;
  WriteSensor(&f.store, "s1", "{not json");
  WriteSensor(&f.store, "s2", 12);
  const Mirror::FollowResult followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kCurrent);
  CHECK(followed.unreadable == 1);
  CHECK(Sensor(f.mirror, "s1")["value"] == 1);
  CHECK(Sensor(f.mirror, "s2")["value"] == 12);
}

TEST_CASE(
    "a store that fails leaves the mirror where it was; the next follow catches up") {
  Fixture f;
  WriteSensor(&f.store, "s1", 10);
  const FeedCursor cursor = f.mirror.cursor();
  f.store.entity_reads_down = true;  // the feed read, then the entities refused
  Mirror::FollowResult followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kFailed);
  CHECK(followed.why == "store down");
  CHECK(f.mirror.cursor() == cursor);
  CHECK(Sensor(f.mirror, "s1")["value"] == 1);
  CHECK_FALSE(f.mirror.changed());
  f.store.entity_reads_down = false;
  f.store.down = true;
  CHECK(f.mirror.Follow().outcome == Mirror::Followed::kFailed);
  f.store.down = false;
  followed = f.mirror.Follow();
  CHECK(followed.outcome == Mirror::Followed::kCurrent);
  CHECK(Sensor(f.mirror, "s1")["value"] == 10);
}

}  // namespace
}  // namespace twin
