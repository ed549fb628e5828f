// The nine input topics of state-rules.md §2.
//
// Constant tables; thread-safe.
#ifndef TWIN_LIB_TOPIC_H_
#define TWIN_LIB_TOPIC_H_

#include <array>
#include <optional>
#include <string_view>

namespace twin {

enum class Topic {
  kSensorsEnvironmental = 0,
  kSensorsTraffic,
  kBuildingsSensors,
  kBuildingsOccupancy,
  kWeatherStations,
  kTrafficGraph,
  kTransportGps,
  kTransportStations,
  kEmergencyIncidents,
};

inline constexpr int kTopicCount = 9;

inline constexpr std::array<std::string_view, kTopicCount> kTopicNames = {
    "sensors.environmental", "sensors.traffic",    "buildings.sensors",
    "buildings.occupancy",   "weather.stations",   "traffic.graph",
    "transport.gps",         "transport.stations", "emergency.incidents"};

inline std::string_view TopicName(Topic topic) {
  return kTopicNames[static_cast<int>(topic)];
}

// The topic named `name`, or nullopt for any other topic.
std::optional<Topic> TopicFromName(std::string_view name);

// True for the topics whose messages are routed by `districtId`.
bool IsDistrictTopic(Topic topic);

}  // namespace twin

#endif  // TWIN_LIB_TOPIC_H_
