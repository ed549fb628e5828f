#include "lib/publish/envelope.h"

#include "lib/json/json_writer.h"

namespace twin {

Headers FullStateHeaders(Sequence sequence) {
  return {{"type", "full-state"},
          {"version", "1.0"},
          {"sequence", std::to_string(sequence.value())}};
}

Headers IncrementalStateHeaders(Sequence sequence, Sequence previous_sequence,
                                const std::string& previous_timestamp) {
  return {{"type", "incremental-state"},
          {"version", "1.0"},
          {"sequence", std::to_string(sequence.value())},
          {"previousSequence", std::to_string(previous_sequence.value())},
          {"previousTimestamp", previous_timestamp}};
}

std::string IncrementalStateValue(std::string_view city_id, std::string_view delta,
                                  std::string_view timestamp) {
  std::string value;
  JsonWriter w(&value);
  w.Raw("{\"cityId\":");
  w.String(city_id);
  w.Raw(",\"delta\":");
  w.Raw(delta);
  w.Raw(",\"timestamp\":");
  w.String(timestamp);
  w.Raw('}');
  return value;
}

}  // namespace twin
