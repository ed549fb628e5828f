#include "lib/ingest/pending_changes.h"

#include <catch2/catch.hpp>

#include "lib/city/state_document.h"
#include "lib/city/topic.h"

namespace twin {
namespace {

CityState City() {
  Result<CityState> state = ParseCityState(R"({"cityId":"c","districts":[
    {"districtId":"d1","sensors":[{"sensorId":"s1","value":1}]}]})");
  REQUIRE(state.ok());
  return std::move(state).value();
}

ApplyResult Apply(CityState* state, const std::string& value) {
  ApplyResult r = ApplyMessage(
      state, InputMessage{Topic::kSensorsEnvironmental, value, 1765188000000});
  return r;
}

const PartitionId kP0{"sensors.environmental", 0};
const PartitionId kP1{"sensors.environmental", 1};

// One applied change of s1, consumed at offset 3 of kP0.
PendingChanges OneChange(CityState* city) {
  PendingChanges pending;
  pending.NoteApplied(Apply(city, R"({"districtId":"d1","sensorId":"s1","value":2})"));
  pending.NoteConsumed(kP0, 3);
  return pending;
}

TEST_CASE("nothing noted is empty and writes an empty batch") {
  PendingChanges pending;
  CHECK(pending.empty());
  CHECK_FALSE(pending.has_changes());
  CHECK(pending.Batch(City()).empty());
}

TEST_CASE("an applied message's entity and the district it created are in the batch") {
  CityState city = City();
  PendingChanges pending;
  pending.NoteApplied(Apply(&city, R"({"districtId":"d1","sensorId":"s1","value":2})"));
  pending.NoteApplied(Apply(&city, R"({"districtId":"d9","sensorId":"s9","value":9})"));
  pending.NoteConsumed(kP0, 41);
  CHECK(pending.entity_count() == 2);
  const ChangeBatch batch = pending.Batch(city);
  REQUIRE(batch.entities.size() == 2);
  CHECK(batch.entities[0].second.find("\"value\":2") != std::string::npos);
  REQUIRE(batch.new_districts.size() == 1);
  CHECK(batch.new_districts[0].first == "d9");
  CHECK(batch.positions == Positions{{kP0, Offset(42)}});  // the next offset
}

TEST_CASE("a stale or rejected message changes nothing, but its offset moves on") {
  CityState city = City();
  PendingChanges pending;
  pending.NoteApplied(Apply(&city, "{not json"));
  pending.NoteConsumed(kP1, 7);
  CHECK_FALSE(pending.has_changes());
  CHECK_FALSE(pending.empty());  // the position must still be written
  const ChangeBatch batch = pending.Batch(city);
  CHECK(batch.entities.empty());
  CHECK(batch.positions == Positions{{kP1, Offset(8)}});
}

TEST_CASE("the same entity changed twice is written once, with its latest value") {
  CityState city = City();
  PendingChanges pending;
  pending.NoteApplied(Apply(&city, R"({"districtId":"d1","sensorId":"s1","value":2})"));
  pending.NoteApplied(Apply(&city, R"({"districtId":"d1","sensorId":"s1","value":3})"));
  const ChangeBatch batch = pending.Batch(city);
  REQUIRE(batch.entities.size() == 1);
  CHECK(batch.entities[0].second.find("\"value\":3") != std::string::npos);
}

TEST_CASE("a later offset of a partition replaces the earlier one") {
  PendingChanges pending;
  pending.NoteConsumed(kP0, 1);
  pending.NoteConsumed(kP0, 5);
  pending.NoteConsumed(kP1, 2);
  CHECK(pending.offsets() == Positions{{kP0, Offset(6)}, {kP1, Offset(3)}});
}

TEST_CASE("after a flush the offsets wait for the commit; after it nothing is left") {
  CityState city = City();
  PendingChanges pending = OneChange(&city);
  pending.ForgetChanges();
  CHECK_FALSE(pending.has_changes());
  CHECK(pending.offsets() == Positions{{kP0, Offset(4)}});
  pending.ForgetOffsets();
  CHECK(pending.empty());
}

TEST_CASE("clearing drops the changes and the offsets together") {
  CityState city = City();
  PendingChanges pending = OneChange(&city);
  pending.Clear();
  CHECK(pending.empty());
  CHECK(pending.entity_count() == 0);
}

}  // namespace
}  // namespace twin
