#include "lib/publish/change_event.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

CityState OneDistrict() {
  CityState state;
  bool created;
  District& d = state.EnsureDistrict("district-01", &created);
  d.fields = {{"name", "Centre"}};
  d.Of(EntityKind::kEdge)["E-1"] =
      Json{{"edgeId", "E-1"}, {"trafficConditions", {{"congestionLevel", "low"}}}};
  d.Of(EntityKind::kEdge)["E-2"] = Json{{"edgeId", "E-2"}};
  state.CityEntities(EntityKind::kBus)["bus-1"] = Json{{"busId", "bus-1"}, {"speed", 3}};
  return state;
}

TEST_CASE(
    "An incremental event lists each changed entity's new value by kind, with its "
    "district") {
  CityState state = OneDistrict();
  ChangeLog log;
  ApplyChange(
      {EntityKind::kEdge, "district-01", "E-1"},
      Json{{"edgeId", "E-1"}, {"trafficConditions", {{"congestionLevel", "severe"}}}},
      &state, &log);
  ApplyChange({EntityKind::kBus, "", "bus-9"}, Json{{"busId", "bus-9"}, {"speed", 30}},
              &state, &log);
  const Json event = Json::parse(IncrementalEventData(
      state, log, Sequence(8), Sequence(7), "2026-01-01T00:00:00.000Z"));
  CHECK(event.at("sequence") == 8);
  CHECK(event.at("previousSequence") == 7);
  CHECK(event.at("timestamp") == "2026-01-01T00:00:00.000Z");
  CHECK(event.at("districtsCreated") == Json::array());
  const Json& changed = event.at("changed");
  CHECK(changed.size() == 2);  // no entry for kinds that did not change
  REQUIRE(changed.at("edges").size() == 1);
  CHECK(changed.at("edges")[0].at("districtId") == "district-01");
  CHECK(
      changed.at("edges")[0].at("value").at("trafficConditions").at("congestionLevel") ==
      "severe");
  REQUIRE(changed.at("buses").size() == 1);
  CHECK(changed.at("buses")[0] ==
        Json{{"districtId", ""}, {"value", {{"busId", "bus-9"}, {"speed", 30}}}});
}

TEST_CASE("An incremental event lists a district created since, with its fields") {
  CityState state = OneDistrict();
  ChangeLog log;
  ApplyChange({EntityKind::kSensor, "district-07", "s-1"}, Json{{"sensorId", "s-1"}},
              &state, &log);
  const Json event =
      Json::parse(IncrementalEventData(state, log, Sequence(2), Sequence(1), "t"));
  REQUIRE(event.at("districtsCreated").size() == 1);
  CHECK(event.at("districtsCreated")[0].at("districtId") == "district-07");
  CHECK(event.at("districtsCreated")[0].at("name") == "District district-07");
  CHECK(event.at("changed").at("sensors")[0].at("districtId") == "district-07");
}

TEST_CASE("An entity changed and changed back is still listed, at its current value") {
  CityState state = OneDistrict();
  ChangeLog log;
  ApplyChange({EntityKind::kBus, "", "bus-1"}, Json{{"busId", "bus-1"}, {"speed", 9}},
              &state, &log);
  ApplyChange({EntityKind::kBus, "", "bus-1"}, Json{{"busId", "bus-1"}, {"speed", 3}},
              &state, &log);
  const Json event =
      Json::parse(IncrementalEventData(state, log, Sequence(2), Sequence(1), "t"));
  CHECK(event.at("changed").at("buses")[0].at("value").at("speed") == 3);
}

TEST_CASE("A re-read event says so, with the sequence and timestamp") {
  CHECK(Json::parse(RereadEventData(Sequence(5), "t\"x")) ==
        Json{{"sequence", 5}, {"timestamp", "t\"x"}, {"reread", true}});
}

}  // namespace
}  // namespace twin
