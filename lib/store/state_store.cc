#include "lib/store/state_store.h"

#include "lib/json/json_parse.h"
#include "lib/json/json_writer.h"

namespace twin {

ChangeBatch ChangeBatch::Collect(const CityState& state,
                                 const std::set<EntityRef>& changed,
                                 const std::set<std::string>& created) {
  ChangeBatch batch;
  batch.timestamp = state.timestamp;
  for (const std::string& id : created) {
    if (const District* district = state.FindDistrict(id)) {
      batch.new_districts.emplace_back(id, DistrictMetaJson(*district));
    }
  }
  batch.entities.reserve(changed.size());
  for (const EntityRef& ref : changed) {
    if (const Json* entity = state.Find(ref)) {
      batch.entities.emplace_back(ref, ToJsonText(*entity));
    }
  }
  return batch;
}

std::string DistrictMetaJson(const District& district) {
  return ToJsonText(Json{{"fields", district.fields}, {"graph", district.graph_fields}});
}

Status ApplyDistrictMetaJson(std::string_view text, District* district) {
  Json meta;
  if (!ParseJson(text, &meta) || !meta.is_object() || !meta["fields"].is_object() ||
      !meta["graph"].is_object()) {
    return Status::InvalidData("district '" + district->id +
                               "': stored meta is not valid");
  }
  district->fields = std::move(meta["fields"]);
  district->graph_fields = std::move(meta["graph"]);
  return Status::Ok();
}

}  // namespace twin
