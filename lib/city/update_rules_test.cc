#include "lib/city/update_rules.h"

#include <catch2/catch.hpp>

#include "lib/city/state_document.h"

namespace twin {
namespace {

constexpr const char* kCity = R"({
  "districts": [
    {"districtId": "d1", "name": "One",
     "sensors": [{"sensorId": "s1", "value": 1, "lastUpdated": "2025-12-08T10:00:00Z",
                  "location": {"latitude": 42.3, "longitude": 13.4},
                  "metadata": {"model": "AQ"}}],
     "buildings": [{"buildingId": "b1", "totalCapacity": 500, "name": "Hall"}],
     "cityGraph": {"nodes": [], "edges": [
        {"edgeId": "e1", "length": 10, "trafficConditions": {"averageSpeed": 30},
         "lastUpdated": "2025-12-08T10:00:00Z"}]}},
    {"districtId": "d2", "cityGraph": {"edges": [{"edgeId": "e2"}]}}
  ]})";

CityState City() {
  Result<CityState> state = ParseCityState(kCity);
  REQUIRE(state.ok());
  return std::move(state).value();
}

ApplyResult Apply(CityState* state, Topic topic, const std::string& value,
                  int64_t timestamp_ms = 1765188000000) {
  return ApplyMessage(state, InputMessage{topic, value, timestamp_ms});
}

const Json& Entity(const CityState& state, EntityKind kind, const std::string& district,
                   const std::string& id) {
  const Json* e = state.Find(EntityRef{kind, district, id});
  REQUIRE(e != nullptr);
  return *e;
}

std::string Reason(CityState* state, Topic topic, const std::string& value) {
  const std::string before = SerializeCityState(*state);
  ApplyResult r = Apply(state, topic, value);
  CHECK(r.outcome == Outcome::kRejected);
  CHECK(SerializeCityState(*state) == before);  // a rejection changes nothing
  return r.reason;
}

TEST_CASE("a sensor update merges shallowly and keeps absent fields") {
  CityState s = City();
  ApplyResult r = Apply(&s, Topic::kSensorsEnvironmental,
                        R"({"districtId":"d1","sensorId":"s1","value":7,
                            "lastUpdated":"2025-12-08T10:05:00Z","location":{"latitude":1}})");
  REQUIRE(r.outcome == Outcome::kApplied);
  CHECK(r.target == EntityRef{EntityKind::kSensor, "d1", "s1"});
  const Json& sensor = Entity(s, EntityKind::kSensor, "d1", "s1");
  CHECK(sensor["value"] == 7);
  CHECK(sensor["metadata"]["model"] == "AQ");          // absent: kept
  CHECK(sensor["location"] == Json{{"latitude", 1}});  // present: replaced whole
  CHECK_FALSE(sensor.contains("districtId"));          // routing field not stored
}

TEST_CASE("a message for an unknown sensor inserts it") {
  CityState s = City();
  for (Topic topic : {Topic::kSensorsTraffic, Topic::kBuildingsSensors}) {
    ApplyResult r =
        Apply(&s, topic, R"({"districtId":"d1","sensorId":"new","buildingId":"b1"})");
    REQUIRE(r.outcome == Outcome::kApplied);
  }
  const Json& sensor = Entity(s, EntityKind::kSensor, "d1", "new");
  CHECK(sensor["buildingId"] == "b1");  // building sensors keep their building
  CHECK(sensor["sensorId"] == "new");
}

TEST_CASE("a message without lastUpdated gets the Kafka timestamp") {
  CityState s = City();
  REQUIRE(Apply(&s, Topic::kTransportGps, R"({"busId":"bus-1","speed":3})", 1765189800123)
              .outcome == Outcome::kApplied);
  CHECK(Entity(s, EntityKind::kBus, "", "bus-1")["lastUpdated"] ==
        "2025-12-08T10:30:00.123Z");
  CHECK(FormatMicros(s.timestamp) == "2025-12-08T10:30:00.123Z");
}

TEST_CASE("without lastUpdated or a message timestamp the message is rejected") {
  CityState s = City();
  const std::string before = SerializeCityState(s);
  ApplyResult r =
      ApplyMessage(&s, InputMessage{Topic::kTransportGps, R"({"busId":"x"})", -1});
  CHECK(r.reason == "missing-timestamp");
  CHECK(SerializeCityState(s) == before);
}

TEST_CASE("an older message is stale and changes nothing; an equal one applies") {
  CityState s = City();
  const std::string before = SerializeCityState(s);
  ApplyResult stale = Apply(&s, Topic::kSensorsEnvironmental,
                            R"({"districtId":"d1","sensorId":"s1","value":99,
                                "lastUpdated":"2025-12-08T09:59:59.999Z"})");
  CHECK(stale.outcome == Outcome::kStale);
  CHECK(SerializeCityState(s) == before);
  // Same instant written with an offset: not earlier, so it applies again.
  ApplyResult equal = Apply(&s, Topic::kSensorsEnvironmental,
                            R"({"districtId":"d1","sensorId":"s1","value":5,
                                "lastUpdated":"2025-12-08T11:00:00+01:00"})");
  CHECK(equal.outcome == Outcome::kApplied);
  CHECK(Entity(s, EntityKind::kSensor, "d1", "s1")["value"] == 5);
}

TEST_CASE("the stale rule compares against the Kafka timestamp default too") {
  CityState s = City();
  ApplyResult r = Apply(&s, Topic::kSensorsEnvironmental,
                        R"({"districtId":"d1","sensorId":"s1","value":2})",
                        1765180000000);  // before the sensor's 10:00
  CHECK(r.outcome == Outcome::kStale);
}

TEST_CASE("an unknown district is created with neutral values") {
  CityState s = City();
  ApplyResult r =
      Apply(&s, Topic::kWeatherStations,
            R"({"districtId":"d9","stationId":"w1","readings":{"temperature":3},
                            "lastUpdated":"2025-12-08T10:00:00Z"})");
  REQUIRE(r.outcome == Outcome::kApplied);
  CHECK(r.district_created);
  const District* d = s.FindDistrict("d9");
  REQUIRE(d != nullptr);
  CHECK(d->fields["name"] == "District d9");
  CHECK(d->fields["location"] == Json::parse(R"({"centerLatitude":0,"centerLongitude":0,
                        "boundaries":{"north":0,"south":0,"east":0,"west":0}})"));
  CHECK(d->Of(EntityKind::kWeatherStation).size() == 1);
  CHECK(d->Of(EntityKind::kSensor).empty());
}

TEST_CASE("weather readings are replaced whole") {
  CityState s = City();
  Apply(
      &s, Topic::kWeatherStations,
      R"({"districtId":"d1","stationId":"w","readings":{"temperature":1,"humidity":50}})");
  Apply(&s, Topic::kWeatherStations,
        R"({"districtId":"d1","stationId":"w","readings":{"temperature":2}})");
  CHECK(Entity(s, EntityKind::kWeatherStation, "d1", "w")["readings"] ==
        Json{{"temperature", 2}});
}

TEST_CASE("occupancy sets occupancyRate from the merged capacity") {
  CityState s = City();
  Apply(&s, Topic::kBuildingsOccupancy,
        R"({"districtId":"d1","buildingId":"b1","currentOccupancy":250})");
  const Json& b1 = Entity(s, EntityKind::kBuilding, "d1", "b1");
  CHECK(b1["occupancyRate"] == 0.5);
  CHECK(b1["name"] == "Hall");
  CHECK_FALSE(b1.contains("sensors"));  // only new buildings get sensors: []

  Apply(&s, Topic::kBuildingsOccupancy,
        R"({"districtId":"d1","buildingId":"b2","currentOccupancy":3})");
  const Json& b2 = Entity(s, EntityKind::kBuilding, "d1", "b2");
  CHECK(b2["occupancyRate"].is_null());  // no capacity known
  CHECK(b2["sensors"] == Json::array());

  Apply(
      &s, Topic::kBuildingsOccupancy,
      R"({"districtId":"d1","buildingId":"b3","currentOccupancy":3,"totalCapacity":0})");
  CHECK(Entity(s, EntityKind::kBuilding, "d1", "b3")["occupancyRate"].is_null());
}

TEST_CASE("traffic updates find their edge in any district") {
  CityState s = City();
  ApplyResult r = Apply(&s, Topic::kTrafficGraph,
                        R"({"edgeId":"e2","trafficConditions":{"averageSpeed":12},
                            "lastUpdated":"2025-12-08T10:01:00Z"})");
  REQUIRE(r.outcome == Outcome::kApplied);
  CHECK(r.target == EntityRef{EntityKind::kEdge, "d2", "e2"});
  Apply(&s, Topic::kTrafficGraph,
        R"({"edgeId":"e1","trafficConditions":{"vehicleCount":4},
            "lastUpdated":"2025-12-08T10:01:00Z"})");
  const Json& e1 = Entity(s, EntityKind::kEdge, "d1", "e1");
  CHECK(e1["trafficConditions"] == Json{{"vehicleCount", 4}});  // replaced whole
  CHECK(e1["length"] == 10);
}

TEST_CASE("traffic for an edge that no city definition made is rejected") {
  CityState s = City();
  CHECK(Reason(&s, Topic::kTrafficGraph, R"({"edgeId":"nope","trafficConditions":{}})") ==
        "unknown-edge");
}

TEST_CASE("transport and emergency messages upsert city-level entities") {
  CityState s = City();
  Apply(&s, Topic::kTransportStations, R"({"stationId":"st","waitingPassengers":4})");
  Apply(&s, Topic::kEmergencyIncidents, R"({"incidentId":"i1","severity":"high"})");
  Apply(&s, Topic::kEmergencyIncidents, R"({"unitId":"u1","status":"available"})");
  CHECK(s.CityEntities(EntityKind::kTransportStation).count("st") == 1);
  CHECK(s.CityEntities(EntityKind::kIncident).count("i1") == 1);
  CHECK(s.CityEntities(EntityKind::kUnit).count("u1") == 1);
  // An incident that names its units is still an incident.
  ApplyResult r =
      Apply(&s, Topic::kEmergencyIncidents, R"({"incidentId":"i2","unitId":"u9"})");
  CHECK(r.target.kind == EntityKind::kIncident);
}

TEST_CASE("every rejection reason") {
  CityState s = City();
  using T = Topic;
  CHECK(Reason(&s, T::kTransportGps, "{\"busId\":") == "invalid-json");
  CHECK(Reason(&s, T::kTransportGps, "{\"busId\":\"b\xff\"}") == "invalid-json");
  CHECK(Reason(&s, T::kTransportGps, "[1,2]") == "not-an-object");
  CHECK(Reason(&s, T::kSensorsEnvironmental, R"({"sensorId":"s"})") ==
        "missing-field:districtId");
  CHECK(Reason(&s, T::kSensorsEnvironmental, R"({"districtId":"d1"})") ==
        "missing-field:sensorId");
  CHECK(Reason(&s, T::kSensorsEnvironmental, R"({"districtId":"d1","sensorId":null})") ==
        "missing-field:sensorId");
  CHECK(Reason(&s, T::kSensorsEnvironmental, R"({"districtId":"d1","sensorId":""})") ==
        "bad-field:sensorId");
  CHECK(Reason(&s, T::kSensorsTraffic, R"({"districtId":4,"sensorId":"s"})") ==
        "bad-field:districtId");
  CHECK(Reason(&s, T::kBuildingsOccupancy, R"({"districtId":"d1","buildingId":"b"})") ==
        "missing-field:currentOccupancy");
  CHECK(Reason(&s, T::kBuildingsOccupancy,
               R"({"districtId":"d1","buildingId":"b","currentOccupancy":"9"})") ==
        "bad-field:currentOccupancy");
  CHECK(Reason(&s, T::kWeatherStations, R"({"districtId":"d1","stationId":"w"})") ==
        "missing-field:readings");
  CHECK(Reason(&s, T::kWeatherStations,
               R"({"districtId":"d1","stationId":"w","readings":[1]})") ==
        "bad-field:readings");
  CHECK(Reason(&s, T::kWeatherStations,
               R"({"districtId":"d1","stationId":"w","readings":{"humidity":"wet"}})") ==
        "bad-field:readings.humidity");
  CHECK(Reason(&s, T::kTrafficGraph, R"({"edgeId":"e1"})") ==
        "missing-field:trafficConditions");
  CHECK(Reason(&s, T::kTrafficGraph,
               R"({"edgeId":"e1","trafficConditions":{"travelTime":"long"}})") ==
        "bad-field:trafficConditions.travelTime");
  CHECK(Reason(&s, T::kTransportGps, R"({"busId":"b","speed":"fast"})") ==
        "bad-field:speed");
  CHECK(Reason(&s, T::kTransportGps,
               R"({"busId":"b","currentLocation":{"latitude":null}})") ==
        "bad-field:currentLocation.latitude");
  CHECK(Reason(&s, T::kTransportStations,
               R"({"stationId":"st","location":{"longitude":"e"}})") ==
        "bad-field:location.longitude");
  CHECK(Reason(&s, T::kTransportGps, R"({"busId":"b","lastUpdated":"10:30"})") ==
        "bad-timestamp:lastUpdated");
  CHECK(Reason(&s, T::kTransportGps, R"({"busId":"b","lastUpdated":1765189800000})") ==
        "bad-timestamp:lastUpdated");
  CHECK(Reason(&s, T::kTransportGps,
               R"({"busId":"b","lastUpdated":"2025-12-08T10:30:00"})") ==
        "bad-timestamp:lastUpdated");
  CHECK(Reason(&s, T::kEmergencyIncidents, R"({"type":"fire"})") ==
        "missing-field:incidentId|unitId");
  CHECK(Reason(&s, T::kEmergencyIncidents, R"({"incidentId":5})") ==
        "bad-field:incidentId");
  CHECK(Reason(&s, T::kTransportStations, R"({})") == "missing-field:stationId");
}

std::string Nested(size_t depth) {  // {"districtId":"d1","sensorId":"s","x":[[...]]}
  return R"({"districtId":"d1","sensorId":"s","lastUpdated":"2025-12-08T10:00:00Z","x":)" +
         std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
}

TEST_CASE("a message nested deeper than 64 levels is rejected as too-deep, 64 applies") {
  CityState state = City();
  CHECK(Apply(&state, Topic::kSensorsEnvironmental, Nested(64)).outcome ==
        Outcome::kApplied);
  CHECK(Reason(&state, Topic::kSensorsEnvironmental, Nested(65)) == "too-deep");
  // The issue's crash: 300,000 levels, under the 1 MiB cap.
  CHECK(Reason(&state, Topic::kSensorsEnvironmental, Nested(300000)) == "too-deep");
  // Brackets inside strings are not nesting.
  CHECK(
      Apply(
          &state, Topic::kSensorsEnvironmental,
          R"({"districtId":"d1","sensorId":"s","lastUpdated":"2025-12-08T10:00:01Z","x":")" +
              std::string(1000, '[') + R"("})")
          .outcome == Outcome::kApplied);
}

TEST_CASE("a message over the size limit is rejected before it is parsed") {
  CityState s = City();
  const std::string big = R"({"busId":"b","pad":")" + std::string(2000, 'x') + "\"}";
  ApplyResult r =
      ApplyMessage(&s, InputMessage{Topic::kTransportGps, big, 0}, RuleOptions{1000});
  CHECK(r.outcome == Outcome::kRejected);
  CHECK(r.reason == "oversized");
  CHECK(ApplyMessage(&s, InputMessage{Topic::kTransportGps, big, 0}).outcome ==
        Outcome::kApplied);  // the default limit is 1 MiB
}

TEST_CASE("the order of messages for different entities does not matter") {
  const std::vector<std::pair<Topic, std::string>> messages = {
      {Topic::kSensorsEnvironmental, R"({"districtId":"d5","sensorId":"z","value":1})"},
      {Topic::kBuildingsOccupancy,
       R"({"districtId":"d5","buildingId":"a","currentOccupancy":1,"totalCapacity":4})"},
      {Topic::kTransportGps, R"({"busId":"b2"})"},
      {Topic::kTransportGps, R"({"busId":"b1"})"},
  };
  CityState forward = City(), backward = City();
  for (const auto& [t, v] : messages) Apply(&forward, t, v);
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    Apply(&backward, it->first, it->second);
  }
  CHECK(SerializeCityState(forward) == SerializeCityState(backward));
}

}  // namespace
}  // namespace twin
