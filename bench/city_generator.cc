#include "bench/city_generator.h"

#include <cstdio>

#include "lib/base/timestamp.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

constexpr const char* kCongestion[] = {"low", "moderate", "high", "severe"};
constexpr const char* kSensorTypes[] = {"air_quality", "noise", "temperature",
                                        "traffic_flow"};
constexpr const char* kUnits[] = {"AQI", "dB", "°C", "vehicles/hour"};
constexpr const char* kRoadClasses[] = {"primary", "secondary", "residential"};

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string Id(const char* pattern, int a, int b = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, pattern, a, b);
  return buf;
}

std::string DistrictId(int d) { return Id("district-%02d", d + 1); }
std::string SensorId(int d, int i) { return Id("sensor-%02d-%04d", d + 1, i); }
std::string BuildingId(int d, int i) { return Id("building-%02d-%04d", d + 1, i); }
std::string WeatherId(int d, int i) { return Id("weather-%02d-%02d", d + 1, i); }
std::string NodeId(int d, int i) { return Id("N-%02d-%05d", d + 1, i); }
std::string EdgeId(int d, int i) { return Id("E-%02d-%05d", d + 1, i); }
std::string BusId(int i) { return Id("bus-%04d", i); }
std::string StationId(int i) { return Id("station-%04d", i); }
std::string IncidentId(int i) { return Id("incident-%05d", i); }
std::string UnitId(int i) { return Id("unit-%04d", i); }

// Rounds to a few decimals, as real sensors report.
double Round(double v, double scale) {
  return static_cast<double>(static_cast<int64_t>(v * scale)) / scale;
}

struct Rng {
  uint64_t state;
  double Uniform() { return (SplitMix(&state) >> 11) * 0x1.0p-53; }
  int Below(int n) { return static_cast<int>(SplitMix(&state) % uint64_t(n)); }
};

Json Point(Rng* rng, double lat, double lon) {
  return {{"latitude", Round(lat + rng->Uniform() * 0.02, 1e6)},
          {"longitude", Round(lon + rng->Uniform() * 0.02, 1e6)}};
}

Json Traffic(Rng* rng) {
  return {{"averageSpeed", Round(10 + rng->Uniform() * 50, 10)},
          {"congestionLevel", kCongestion[rng->Below(4)]},
          {"vehicleCount", rng->Below(200)},
          {"travelTime", Round(1 + rng->Uniform() * 20, 10)},
          {"incidents", Json::array()}};
}

Json Readings(Rng* rng) {
  return {{"temperature", Round(5 + rng->Uniform() * 25, 10)},
          {"humidity", rng->Below(100)},
          {"pressure", Round(990 + rng->Uniform() * 40, 100)},
          {"windSpeed", Round(rng->Uniform() * 30, 10)},
          {"windDirection", rng->Below(360)},
          {"precipitation", Round(rng->Uniform() * 5, 10)}};
}

// The buses, stations, incidents and units, drawn from `rng` after the
// districts (the order keeps every seed's city as it was).
void AddCityWideEntities(const CityShape& shape, Rng* rng, const std::string& updated,
                         CityState* city) {
  for (int i = 0; i < shape.buses; ++i) {
    city->CityEntities(EntityKind::kBus)[BusId(i)] = {
        {"busId", BusId(i)},
        {"routeId", "route-" + std::to_string(i % 12)},
        {"currentLocation", Point(rng, 42.3, 13.3)},
        {"heading", rng->Below(360)},
        {"speed", Round(rng->Uniform() * 50, 10)},
        {"passengerCount", rng->Below(80)},
        {"status", "in_service"},
        {"lastUpdated", updated}};
  }
  for (int i = 0; i < shape.stations; ++i) {
    city->CityEntities(EntityKind::kTransportStation)[StationId(i)] = {
        {"stationId", StationId(i)},          {"name", "Station " + std::to_string(i)},
        {"location", Point(rng, 42.3, 13.3)}, {"waitingPassengers", rng->Below(40)},
        {"nextArrivals", Json::array()},      {"lastUpdated", updated}};
  }
  for (int i = 0; i < shape.incidents; ++i) {
    city->CityEntities(EntityKind::kIncident)[IncidentId(i)] = {
        {"incidentId", IncidentId(i)}, {"type", "accident"},
        {"severity", "medium"},        {"location", Point(rng, 42.3, 13.3)},
        {"status", "reported"},        {"assignedUnits", Json::array()},
        {"reportedAt", updated},       {"lastUpdated", updated}};
  }
  for (int i = 0; i < shape.units; ++i) {
    city->CityEntities(EntityKind::kUnit)[UnitId(i)] = {
        {"unitId", UnitId(i)},
        {"type", "ambulance"},
        {"status", "available"},
        {"currentLocation", Point(rng, 42.3, 13.3)},
        {"lastUpdated", updated}};
  }
}

}  // namespace

CityShape CityShape::Scaled(int factor) const {
  CityShape s = *this;
  s.districts *= factor;
  return s;
}

int PartitionForKey(const std::string& key, int partitions) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return static_cast<int>(h % static_cast<uint32_t>(partitions));
}

CityState GenerateCity(const CityShape& shape, uint64_t seed) {
  Rng rng{seed};
  CityState city;
  const std::string updated = FormatMillis(shape.start_ms);
  city.timestamp = MicrosFromMillis(shape.start_ms);
  for (int d = 0; d < shape.districts; ++d) {
    District district;
    district.id = DistrictId(d);
    const double lat = 42.30 + 0.02 * (d % 10), lon = 13.30 + 0.02 * (d / 10);
    district.fields = {{"name", "District " + std::to_string(d + 1)},
                       {"location",
                        {{"centerLatitude", lat + 0.01},
                         {"centerLongitude", lon + 0.01},
                         {"boundaries",
                          {{"north", lat + 0.02},
                           {"south", lat},
                           {"east", lon + 0.02},
                           {"west", lon}}}}}};
    for (int i = 0; i < shape.sensors_per_district; ++i) {
      const int type = rng.Below(4);
      district.Of(EntityKind::kSensor)[SensorId(d, i)] = {
          {"sensorId", SensorId(d, i)},
          {"type", kSensorTypes[type]},
          {"value", Round(rng.Uniform() * 100, 10)},
          {"unit", kUnits[type]},
          {"status", "active"},
          {"lastUpdated", updated},
          {"location", Point(&rng, lat, lon)},
          {"metadata",
           {{"manufacturer", "SensorTech"}, {"model", "M-" + std::to_string(type)}}}};
    }
    for (int i = 0; i < shape.buildings_per_district; ++i) {
      const int capacity = 50 + rng.Below(950);
      const int occupancy = rng.Below(capacity);
      district.Of(EntityKind::kBuilding)[BuildingId(d, i)] = {
          {"buildingId", BuildingId(d, i)},
          {"name", "Building " + std::to_string(i)},
          {"type", i % 3 == 0 ? "residential" : "commercial"},
          {"location", Point(&rng, lat, lon)},
          {"currentOccupancy", occupancy},
          {"totalCapacity", capacity},
          {"occupancyRate", static_cast<double>(occupancy) / capacity},
          {"sensors", Json::array()},
          {"lastUpdated", updated}};
    }
    for (int i = 0; i < shape.weather_stations_per_district; ++i) {
      district.Of(EntityKind::kWeatherStation)[WeatherId(d, i)] = {
          {"stationId", WeatherId(d, i)},
          {"location", Point(&rng, lat, lon)},
          {"readings", Readings(&rng)},
          {"status", "active"},
          {"lastUpdated", updated}};
    }
    const int nodes = shape.edges_per_district / 2 + 1;
    for (int i = 0; i < nodes; ++i) {
      district.Of(EntityKind::kNode)[NodeId(d, i)] = {
          {"nodeId", NodeId(d, i)},
          {"type", "intersection"},
          {"location", Point(&rng, lat, lon)}};
    }
    for (int i = 0; i < shape.edges_per_district; ++i) {
      const int from = rng.Below(nodes), to = rng.Below(nodes);
      const double x = lon + rng.Uniform() * 0.02, y = lat + rng.Uniform() * 0.02;
      district.Of(EntityKind::kEdge)[EdgeId(d, i)] = {
          {"edgeId", EdgeId(d, i)},
          {"roadSegmentId", Id("RS-%02d-%05d", d + 1, i)},
          {"fromNode", NodeId(d, from)},
          {"toNode", NodeId(d, to)},
          {"name", "Via " + std::to_string(i)},
          {"class", kRoadClasses[rng.Below(3)]},
          {"length", Round(20 + rng.Uniform() * 500, 10)},
          {"speedLimit", 30 + 10 * rng.Below(4)},
          {"lanes", 1 + rng.Below(3)},
          {"trafficConditions", Traffic(&rng)},
          {"lastUpdated", updated},
          {"geometry",
           {{"type", "LineString"},
            {"coordinates",
             {{Round(x, 1e6), Round(y, 1e6)},
              {Round(x + 0.001, 1e6), Round(y + 0.001, 1e6)}}}}}};
    }
    city.PutDistrict(std::move(district));
  }
  AddCityWideEntities(shape, &rng, updated, &city);
  return city;
}

StreamGenerator::StreamGenerator(const CityShape& city, const StreamShape& stream,
                                 uint64_t seed)
    : city_(city), stream_(stream), state_(seed) {}

uint64_t StreamGenerator::NextRandom() { return SplitMix(&state_); }

Record StreamGenerator::Next() {
  const uint64_t i = index_++;
  Record record;
  record.timestamp_ms =
      city_.start_ms + 1000 + static_cast<int64_t>(i) * stream_.step_us / 1000;
  record.offset = -1;
  const bool is_new = Uniform() < stream_.new_entity_share;
  const int d = Below(city_.districts);
  Json msg;
  std::string key;
  const int pick = Below(100);
  Rng rng{NextRandom()};
  const double lat = 42.30 + 0.02 * (d % 10), lon = 13.30 + 0.02 * (d / 10);
  auto entity = [&](int count, int extra) {
    return is_new ? count + extra : Below(count);
  };
  if (pick < 40) {
    // sensors.environmental, sensors.traffic, buildings.sensors: a sensor's
    // topic follows from its id, so that every message for one sensor
    // travels through one partition, as state-rules.md §2 expects.
    const int s = entity(city_.sensors_per_district, Below(1000));
    static constexpr const char* kSensorTopics[] = {
        "sensors.environmental", "sensors.traffic", "buildings.sensors"};
    record.topic = kSensorTopics[s % 3];
    msg = {{"districtId", DistrictId(d)},
           {"sensorId", SensorId(d, s)},
           {"value", Round(rng.Uniform() * 100, 10)},
           {"status", "active"}};
    if (s % 3 == 2) msg["buildingId"] = BuildingId(d, s % city_.buildings_per_district);
    if (is_new) msg["location"] = Point(&rng, lat, lon);
    key = DistrictId(d);
  } else if (pick < 50) {
    record.topic = "buildings.occupancy";
    const int b = entity(city_.buildings_per_district, Below(1000));
    msg = {{"districtId", DistrictId(d)},
           {"buildingId", BuildingId(d, b)},
           {"currentOccupancy", rng.Below(900)}};
    if (is_new) msg["totalCapacity"] = 1000;
    key = DistrictId(d);
  } else if (pick < 55) {
    record.topic = "weather.stations";
    msg = {{"districtId", DistrictId(d)},
           {"stationId", WeatherId(d, entity(city_.weather_stations_per_district, 10))},
           {"readings", Readings(&rng)},
           {"status", "active"}};
    key = DistrictId(d);
  } else if (pick < 80) {
    record.topic = "traffic.graph";
    msg = {{"edgeId", EdgeId(d, Below(city_.edges_per_district))},
           {"trafficConditions", Traffic(&rng)}};
    key = msg["edgeId"].get<std::string>();
  } else if (pick < 92) {
    record.topic = "transport.gps";
    msg = {{"busId", BusId(entity(city_.buses, Below(1000)))},
           {"currentLocation", Point(&rng, 42.3, 13.3)},
           {"heading", rng.Below(360)},
           {"speed", Round(rng.Uniform() * 50, 10)},
           {"passengerCount", rng.Below(80)}};
    key = msg["busId"].get<std::string>();
  } else if (pick < 96) {
    record.topic = "transport.stations";
    msg = {{"stationId", StationId(entity(city_.stations, Below(1000)))},
           {"waitingPassengers", rng.Below(40)}};
    key = msg["stationId"].get<std::string>();
  } else if (pick < 98) {
    record.topic = "emergency.incidents";
    msg = {{"incidentId", IncidentId(entity(city_.incidents, Below(1000)))},
           {"status", rng.Below(2) ? "dispatched" : "in_progress"},
           {"severity", "high"}};
    key = msg["incidentId"].get<std::string>();
  } else {
    record.topic = "emergency.incidents";
    msg = {{"unitId", UnitId(entity(city_.units, Below(1000)))},
           {"status", "dispatched"},
           {"currentLocation", Point(&rng, 42.3, 13.3)}};
    key = msg["unitId"].get<std::string>();
  }
  const double roll = Uniform();
  if (roll < stream_.stale_share) {
    msg["lastUpdated"] = FormatMillis(city_.start_ms - 1000);  // before the city
  } else if (roll >= stream_.stale_share + stream_.no_timestamp_share) {
    msg["lastUpdated"] = FormatMillis(record.timestamp_ms);
  }
  record.key = key;
  record.partition = PartitionForKey(key, stream_.partitions);
  record.value = ToJsonText(msg);
  if (Uniform() < stream_.bad_share) Corrupt(&record);
  return record;
}

std::string StreamGenerator::Corrupt(Record* record) {
  switch (Below(6)) {
    case 0:  // invalid-json: cut short
      record->value.resize(record->value.size() / 2);
      return "invalid-json";
    case 1:  // not-an-object
      record->value = "[" + record->value + "]";
      return "not-an-object";
    case 2: {  // a mistyped number
      Json msg = Json::parse(record->value);
      msg["speed"] = "fast";
      record->value = ToJsonText(msg);
      return "bad-field:speed";
    }
    case 3: {  // a date without a zone
      Json msg = Json::parse(record->value);
      msg["lastUpdated"] = "2025-12-08 10:30:00";
      record->value = ToJsonText(msg);
      return "bad-timestamp:lastUpdated";
    }
    case 4:  // invalid UTF-8
      record->value.insert(record->value.size() / 2, "\xff");
      return "invalid-json";
    default: {  // traffic for an edge no city has, or a missing id
      if (record->topic == "traffic.graph") {
        Json msg = Json::parse(record->value);
        msg["edgeId"] = "E-unknown";
        record->value = ToJsonText(msg);
        return "unknown-edge";
      }
      record->value = R"({"note":"no ids"})";
      return "missing-field";
    }
  }
}

}  // namespace twin
