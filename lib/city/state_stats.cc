#include "lib/city/state_stats.h"

#include <cstdio>

namespace twin {

StateStats ComputeStats(const CityState& state, uint64_t document_bytes) {
  StateStats stats;
  stats.city_id = state.city_id;
  stats.timestamp = FormatMicros(state.timestamp);
  stats.districts = state.districts().size();
  for (EntityKind kind : kAllEntityKinds) {
    stats.entities[static_cast<int>(kind)] = state.Count(kind);
  }
  stats.bytes = document_bytes;
  return stats;
}

nlohmann::json StateStats::ToJson() const {
  nlohmann::json j = {
      {"cityId", city_id}, {"timestamp", timestamp}, {"districts", districts}};
  for (EntityKind kind : kAllEntityKinds) {
    j[std::string(Info(kind).name)] = entities[static_cast<int>(kind)];
  }
  j["bytes"] = bytes;
  return j;
}

std::string StateStats::ToText() const {
  std::string out;
  auto line = [&out](std::string_view name, const std::string& value) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-16.*s %s\n", static_cast<int>(name.size()),
                  name.data(), value.c_str());
    out += buf;
  };
  line("cityId", city_id);
  line("timestamp", timestamp);
  line("districts", std::to_string(districts));
  for (EntityKind kind : kAllEntityKinds) {
    line(Info(kind).name, std::to_string(entities[static_cast<int>(kind)]));
  }
  line("bytes", std::to_string(bytes));
  return out;
}

}  // namespace twin
