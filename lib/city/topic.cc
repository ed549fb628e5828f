#include "lib/city/topic.h"

namespace twin {

std::optional<Topic> TopicFromName(std::string_view name) {
  for (int i = 0; i < kTopicCount; ++i) {
    if (kTopicNames[i] == name) return static_cast<Topic>(i);
  }
  return std::nullopt;
}

bool IsDistrictTopic(Topic topic) {
  switch (topic) {
    case Topic::kSensorsEnvironmental:
    case Topic::kSensorsTraffic:
    case Topic::kBuildingsSensors:
    case Topic::kBuildingsOccupancy:
    case Topic::kWeatherStations:
      return true;
    default:
      return false;
  }
}

}  // namespace twin
