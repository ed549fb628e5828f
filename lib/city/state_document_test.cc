#include "lib/city/state_document.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

constexpr const char* kCity = R"({
  "cityId": "test-city", "name": "Test", "timestamp": "2025-12-08T10:00:00Z",
  "districts": [
    {"districtId": "d2", "name": "Two", "location": {"centerLatitude": 1},
     "sensors": [{"sensorId": "s-b", "value": 2}, {"sensorId": "s-a", "value": 1}],
     "cityGraph": {"nodes": [{"nodeId": "n1"}], "edges": [{"edgeId": "e1"}],
                   "version": 3}},
    {"districtId": "d1", "name": "One", "custom": true}
  ],
  "publicTransport": {"buses": [{"busId": "b1"}], "stations": []},
  "emergencyServices": {"incidents": [], "units": [{"unitId": "u1"}]},
  "operator": "city hall"
})";

TEST_CASE("a document loads every entity and keeps unknown members") {
  Result<CityState> state = ParseCityState(kCity);
  REQUIRE(state.ok());
  CHECK(state->city_id == "test-city");
  CHECK(state->districts().size() == 2);
  CHECK(state->Count(EntityKind::kSensor) == 2);
  CHECK(state->Count(EntityKind::kEdge) == 1);
  CHECK(state->Count(EntityKind::kUnit) == 1);
  CHECK(state->extra_fields["operator"] == "city hall");
  CHECK(state->FindDistrict("d1")->fields["custom"] == true);
  CHECK(state->FindDistrict("d2")->graph_fields["version"] == 3);
}

TEST_CASE("serialisation sorts districts, entities and keys") {
  Result<CityState> state = ParseCityState(kCity);
  REQUIRE(state.ok());
  const std::string text = SerializeCityState(*state);
  CHECK(text.find(R"("districtId":"d1")") < text.find(R"("districtId":"d2")"));
  CHECK(text.find(R"("sensorId":"s-a")") < text.find(R"("sensorId":"s-b")"));
  CHECK(text.rfind(R"({"cityId":"test-city","districts":)", 0) == 0);
  CHECK(text.find(R"("timestamp":"2025-12-08T10:00:00.000Z")") != std::string::npos);
  CHECK(
      text.find(
          R"("cityGraph":{"edges":[{"edgeId":"e1"}],"nodes":[{"nodeId":"n1"}],"version":3})") !=
      std::string::npos);
}

TEST_CASE("serialisation is a fixed point: load and save again gives the same bytes") {
  Result<CityState> first = ParseCityState(kCity);
  REQUIRE(first.ok());
  const std::string once = SerializeCityState(*first);
  Result<CityState> second = ParseCityState(once);
  REQUIRE(second.ok());
  CHECK(SerializeCityState(*second) == once);
  CHECK(CityStateToJson(*second) == nlohmann::json::parse(once));
}

TEST_CASE("a document without optional parts gets defaults") {
  Result<CityState> state = ParseCityState(R"({"districts": []})");
  REQUIRE(state.ok());
  CHECK(state->city_id == kDefaultCityId);
  CHECK(
      SerializeCityState(*state) ==
      R"({"cityId":"laquila-dt-001","districts":[],"emergencyServices":{"incidents":[],"units":[]},"name":"L'Aquila Digital Twin","publicTransport":{"buses":[],"stations":[]},"timestamp":"1970-01-01T00:00:00.000Z"})");
}

TEST_CASE("problems are named by their JSON path") {
  std::vector<std::string> problems;
  Result<CityState> state = ParseCityState(R"({
    "timestamp": "yesterday",
    "districts": [
      {"districtId": "d1", "sensors": [{"sensorId": "s1"}, {"sensorId": 7},
                                       {"sensorId": "s1"}, {"sensorId": "s3", "value": "high"}]},
      {"districtId": "d1"},
      {"districtId": "d2", "cityGraph": {"edges": [{"edgeId": "e1", "lastUpdated": "noon"}]}},
      "nope"
    ],
    "publicTransport": []
  })",
                                           &problems);
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().code() == StatusCode::kInvalidData);
  CHECK(problems == std::vector<std::string>{
                        "timestamp: expected an ISO-8601 date-time with a zone",
                        "districts[0].sensors[1].sensorId: expected a non-empty string",
                        "districts[0].sensors[2].sensorId: duplicate id 's1'",
                        "districts[0].sensors[3].value: expected a number",
                        "districts[1].districtId: duplicate id 'd1'",
                        "districts[2].cityGraph.edges[0].lastUpdated: expected an "
                        "ISO-8601 date-time with a zone",
                        "districts[3]: expected an object",
                        "publicTransport: expected an object"});
  CHECK(state.status().message() ==
        "timestamp: expected an ISO-8601 date-time with a zone (and 7 more)");
}

TEST_CASE("an edge id may name only one edge in the city") {
  std::vector<std::string> problems;
  Result<CityState> state = ParseCityState(R"({"districts": [
      {"districtId": "a", "cityGraph": {"edges": [{"edgeId": "e1"}]}},
      {"districtId": "b", "cityGraph": {"edges": [{"edgeId": "e1"}]}}]})",
                                           &problems);
  REQUIRE_FALSE(state.ok());
  CHECK(problems ==
        std::vector<std::string>{"districts[1].cityGraph.edges: edge id 'e1' is also in "
                                 "district 'a'"});
}

TEST_CASE("text that is not JSON or not an object is refused") {
  Result<CityState> bad_json = ParseCityState("{\"districts\": [");
  REQUIRE_FALSE(bad_json.ok());
  CHECK(bad_json.status().message().rfind("invalid JSON: parse error at line 1", 0) == 0);
  Result<CityState> array = ParseCityState("[]");
  REQUIRE_FALSE(array.ok());
  CHECK(array.status().message() == "document: expected a JSON object");
  CHECK_FALSE(ParseCityState(R"({"name": "x"})").ok());  // no districts
}

}  // namespace
}  // namespace twin
