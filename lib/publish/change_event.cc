#include "lib/publish/change_event.h"

#include <map>
#include <vector>

#include "lib/json/json_writer.h"

namespace twin {

std::string IncrementalEventData(const CityState& state, const ChangeLog& log,
                                 Sequence sequence, Sequence previous_sequence,
                                 const std::string& timestamp) {
  // Kinds in a fixed order, so that equal changes give equal text.
  std::map<EntityKind, std::vector<std::pair<const std::string*, const Json*>>> by_kind;
  log.ForEachEntity(
      [&](const std::string& district, EntityKind kind, const std::string& id) {
        const Json* value = state.Find(EntityRef{kind, district, id});
        if (value) by_kind[kind].emplace_back(&district, value);
      });
  std::string out;
  {
    JsonWriter w(&out);
    w.Raw("{\"sequence\":");
    w.Uint64(sequence.value());
    w.Raw(",\"previousSequence\":");
    w.Uint64(previous_sequence.value());
    w.Raw(",\"timestamp\":");
    w.String(timestamp);
    w.Raw(",\"districtsCreated\":[");
    bool first = true;
    for (const std::string& id : log.new_districts()) {
      const District* district = state.FindDistrict(id);
      if (!district) continue;
      if (!first) w.Raw(',');
      first = false;
      w.Raw("{\"districtId\":");
      w.String(id);
      for (const auto& [name, value] : district->fields.items()) {
        w.Raw(',');
        w.String(name);
        w.Raw(':');
        w.Value(value);
      }
      w.Raw('}');
    }
    w.Raw("],\"changed\":{");
    first = true;
    for (const auto& [kind, entities] : by_kind) {
      if (!first) w.Raw(',');
      first = false;
      w.String(Info(kind).name);
      w.Raw(":[");
      for (size_t i = 0; i < entities.size(); ++i) {
        if (i) w.Raw(',');
        w.Raw("{\"districtId\":");
        w.String(*entities[i].first);
        w.Raw(",\"value\":");
        w.Value(*entities[i].second);
        w.Raw('}');
      }
      w.Raw(']');
    }
    w.Raw("}}");
  }
  return out;
}

std::string RereadEventData(Sequence sequence, const std::string& timestamp) {
  std::string out =
      "{\"sequence\":" + std::to_string(sequence.value()) + ",\"timestamp\":";
  AppendJsonString(&out, timestamp);
  out += ",\"reread\":true}";
  return out;
}

}  // namespace twin
