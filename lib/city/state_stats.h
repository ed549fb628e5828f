// Entity counts and size of a state document (twin-snapshot stats).
// Pure functions; thread-safe.
#ifndef TWIN_LIB_STATE_STATS_H_
#define TWIN_LIB_STATE_STATS_H_

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lib/city/city_state.h"

namespace twin {

struct StateStats {
  std::string city_id;
  std::string timestamp;
  uint64_t districts = 0;
  std::array<uint64_t, kEntityKindCount> entities{};  // by EntityKind
  uint64_t bytes = 0;                                 // size of the canonical document

  // {"cityId","timestamp","districts","sensors",...,"units","bytes"}
  nlohmann::json ToJson() const;
  // One "name value" line per figure, aligned, for people.
  std::string ToText() const;
};

// Counts `state`; `document_bytes` is the size of its canonical document.
StateStats ComputeStats(const CityState& state, uint64_t document_bytes);

}  // namespace twin

#endif  // TWIN_LIB_STATE_STATS_H_
