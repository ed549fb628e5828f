// The message path: decode, validate and apply one message (first byte: the
// topic) to a small city; then the city must serialise and read back to the
// same document (what a flush and a reload do).
#include <string>

#include "lib/city/state_document.h"
#include "lib/city/update_rules.h"
#include "lib/fuzz/fuzz_util.h"

namespace {

constexpr char kCity[] = R"({"cityId":"c","name":"n","timestamp":"2025-12-08T10:00:00Z",
  "districts":[{"districtId":"d1","name":"D1","sensors":[{"sensorId":"s1","value":1}],
    "buildings":[{"buildingId":"b1","totalCapacity":10}],
    "cityGraph":{"nodes":[{"nodeId":"n1"}],"edges":[{"edgeId":"e1","trafficConditions":{}}]}}],
  "publicTransport":{"buses":[{"busId":"bus1"}],"stations":[]},
  "emergencyServices":{"incidents":[],"units":[]}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const twin::CityState base = *twin::ParseCityState(kCity);
  twin::CityState state = base;
  const auto topic = static_cast<twin::Topic>(data[0] % 9);
  const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  twin::ApplyMessage(&state, twin::InputMessage{topic, value, 1765188000000});
  const std::string text = twin::SerializeCityState(state);
  twin::Result<twin::CityState> again = twin::ParseCityState(text);
  if (!again.ok()) twin::fuzz::Violated("the applied state does not read back");
  if (twin::SerializeCityState(*again) != text)
    twin::fuzz::Violated("the state does not round-trip");
  return 0;
}
