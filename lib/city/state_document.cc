#include "lib/city/state_document.h"

#include <functional>
#include <utility>

#include "lib/city/typed_fields.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

// Collects problems while a document is read.
class Problems {
 public:
  explicit Problems(std::vector<std::string>* sink) : sink_(sink) {}

  void Add(const std::string& path, std::string_view what) {
    std::string line = path.empty() ? "document" : path;
    line += ": ";
    line += what;
    if (count_ == 0) first_ = line;
    ++count_;
    if (sink_ != nullptr && count_ <= kMaxReportedProblems) {
      sink_->push_back(std::move(line));
    }
  }

  bool empty() const { return count_ == 0; }

  Status ToStatus() const {
    if (sink_ != nullptr && count_ > kMaxReportedProblems) {
      sink_->push_back("... and " + std::to_string(count_ - kMaxReportedProblems) +
                       " more");
    }
    std::string message = first_;
    if (count_ > 1) message += " (and " + std::to_string(count_ - 1) + " more)";
    return Status::InvalidData(std::move(message));
  }

 private:
  std::vector<std::string>* sink_;
  size_t count_ = 0;
  std::string first_;
};

std::string Member(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

std::string Element(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

bool IsNonEmptyString(const Json& v) {
  return v.is_string() && !v.get_ref<const std::string&>().empty();
}

// Reads the entity array `name` of `container` into `out`.
void ReadEntities(const Json& container, const std::string& container_path,
                  EntityKind kind, EntityMap* out, Problems* problems) {
  const auto& info = Info(kind);
  auto it = container.find(info.array);
  if (it == container.end()) return;
  const std::string path = Member(container_path, info.array);
  if (!it->is_array()) {
    problems->Add(path, "expected an array");
    return;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entity = (*it)[i];
    const std::string entity_path = Element(path, i);
    if (!entity.is_object()) {
      problems->Add(entity_path, "expected an object");
      continue;
    }
    auto id = entity.find(info.id_field);
    if (id == entity.end() || !IsNonEmptyString(*id)) {
      problems->Add(Member(entity_path, info.id_field), "expected a non-empty string");
      continue;
    }
    if (auto problem = FindTypedFieldProblem(entity)) {
      problems->Add(Member(entity_path, problem->field), problem->Expected());
    }
    const std::string& key = id->get_ref<const std::string&>();
    if (!out->emplace(key, entity).second) {
      problems->Add(Member(entity_path, info.id_field), "duplicate id '" + key + "'");
    }
  }
}

// Members of `object` other than `known`, as an object.
Json OtherMembers(const Json& object, std::initializer_list<std::string_view> known) {
  Json rest = Json::object();
  for (const auto& [key, value] : object.items()) {
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || key == k;
    if (!is_known) rest[key] = value;
  }
  return rest;
}

// A container object (`cityGraph`, `publicTransport`, `emergencyServices`):
// returns nullptr, after reporting, when present but not an object.
const Json* ReadContainer(const Json& parent, const std::string& parent_path,
                          std::string_view name, Problems* problems) {
  auto it = parent.find(name);
  if (it == parent.end()) return nullptr;
  if (!it->is_object()) {
    problems->Add(Member(parent_path, name), "expected an object");
    return nullptr;
  }
  return &*it;
}

void ReadDistrict(const Json& object, const std::string& path, CityState* state,
                  std::map<std::string, std::string>* edge_owner, Problems* problems) {
  if (!object.is_object()) {
    problems->Add(path, "expected an object");
    return;
  }
  auto id = object.find("districtId");
  if (id == object.end() || !IsNonEmptyString(*id)) {
    problems->Add(Member(path, "districtId"), "expected a non-empty string");
    return;
  }
  District district;
  district.id = id->get<std::string>();
  if (state->FindDistrict(district.id) != nullptr) {
    problems->Add(Member(path, "districtId"), "duplicate id '" + district.id + "'");
    return;
  }
  district.fields = OtherMembers(
      object, {"districtId", "sensors", "buildings", "weatherStations", "cityGraph"});
  if (auto name = district.fields.find("name");
      name != district.fields.end() && !name->is_string()) {
    problems->Add(Member(path, "name"), "expected a string");
  }
  if (auto loc = district.fields.find("location");
      loc != district.fields.end() && !loc->is_object()) {
    problems->Add(Member(path, "location"), "expected an object");
  }
  for (EntityKind kind :
       {EntityKind::kSensor, EntityKind::kBuilding, EntityKind::kWeatherStation}) {
    ReadEntities(object, path, kind, &district.Of(kind), problems);
  }
  if (const Json* graph = ReadContainer(object, path, "cityGraph", problems)) {
    const std::string graph_path = Member(path, "cityGraph");
    district.graph_fields = OtherMembers(*graph, {"nodes", "edges"});
    ReadEntities(*graph, graph_path, EntityKind::kNode, &district.Of(EntityKind::kNode),
                 problems);
    ReadEntities(*graph, graph_path, EntityKind::kEdge, &district.Of(EntityKind::kEdge),
                 problems);
  }
  // traffic.graph addresses an edge by id alone, so an edge id must name one
  // edge in the whole city.
  for (const auto& [edge_id, edge] : district.Of(EntityKind::kEdge)) {
    auto [it, inserted] = edge_owner->emplace(edge_id, district.id);
    if (!inserted) {
      problems->Add(Member(path, "cityGraph.edges"),
                    "edge id '" + edge_id + "' is also in district '" + it->second + "'");
    }
  }
  state->PutDistrict(std::move(district));
}

using MemberWriter = std::function<void()>;

// Writes an object holding `extra`'s members and the `fixed` ones (sorted by
// name, and never among `extra`'s), all in byte order of their names.
void WriteMergedObject(
    JsonWriter* w, const Json& extra,
    const std::vector<std::pair<std::string_view, MemberWriter>>& fixed) {
  w->Raw('{');
  bool first = true;
  const auto& members = extra.get_ref<const Json::object_t&>();
  auto extra_it = members.begin();
  size_t f = 0;
  while (extra_it != members.end() || f < fixed.size()) {
    if (!first) w->Raw(',');
    first = false;
    if (extra_it == members.end() ||
        (f < fixed.size() && fixed[f].first < std::string_view(extra_it->first))) {
      w->String(fixed[f].first);
      w->Raw(':');
      fixed[f].second();
      ++f;
    } else {
      w->String(extra_it->first);
      w->Raw(':');
      w->Value(extra_it->second);
      ++extra_it;
    }
  }
  w->Raw('}');
}

void WriteEntities(JsonWriter* w, const EntityMap& entities) {
  w->Raw('[');
  bool first = true;
  for (const auto& [id, entity] : entities) {
    if (!first) w->Raw(',');
    first = false;
    w->Value(entity);
  }
  w->Raw(']');
}

void WriteDistrict(JsonWriter* w, const District& d) {
  auto entities = [w, &d](EntityKind kind) {
    return [w, &d, kind] { WriteEntities(w, d.Of(kind)); };
  };
  WriteMergedObject(w, d.fields,
                    {{"buildings", entities(EntityKind::kBuilding)},
                     {"cityGraph",
                      [w, &d, &entities] {
                        WriteMergedObject(w, d.graph_fields,
                                          {{"edges", entities(EntityKind::kEdge)},
                                           {"nodes", entities(EntityKind::kNode)}});
                      }},
                     {"districtId", [w, &d] { w->String(d.id); }},
                     {"sensors", entities(EntityKind::kSensor)},
                     {"weatherStations", entities(EntityKind::kWeatherStation)}});
}

}  // namespace

Result<CityState> CityStateFromJson(const Json& document,
                                    std::vector<std::string>* problem_sink) {
  Problems problems(problem_sink);
  CityState state;
  if (!document.is_object()) {
    problems.Add("", "expected a JSON object");
    return problems.ToStatus();
  }
  for (auto [field, target] :
       {std::pair{"cityId", &state.city_id}, std::pair{"name", &state.name}}) {
    auto it = document.find(field);
    if (it == document.end()) continue;
    if (!IsNonEmptyString(*it)) {
      problems.Add(field, "expected a non-empty string");
    } else {
      *target = it->get<std::string>();
    }
  }
  if (auto ts = document.find("timestamp"); ts != document.end()) {
    std::optional<Micros> t;
    if (ts->is_string()) t = ParseTimestamp(ts->get_ref<const std::string&>());
    if (!t) {
      problems.Add("timestamp", "expected an ISO-8601 date-time with a zone");
    } else {
      state.timestamp = *t;
    }
  }
  state.extra_fields = OtherMembers(document, {"cityId", "name", "timestamp", "districts",
                                               "publicTransport", "emergencyServices"});
  std::map<std::string, std::string> edge_owner;
  auto districts = document.find("districts");
  if (districts == document.end() || !districts->is_array()) {
    problems.Add("districts", "expected an array");
  } else {
    for (size_t i = 0; i < districts->size(); ++i) {
      ReadDistrict((*districts)[i], Element("districts", i), &state, &edge_owner,
                   &problems);
    }
  }
  if (const Json* transport = ReadContainer(document, "", "publicTransport", &problems)) {
    state.transport_fields = OtherMembers(*transport, {"buses", "stations"});
    for (EntityKind kind : {EntityKind::kBus, EntityKind::kTransportStation}) {
      ReadEntities(*transport, "publicTransport", kind, &state.CityEntities(kind),
                   &problems);
    }
  }
  if (const Json* emergency =
          ReadContainer(document, "", "emergencyServices", &problems)) {
    state.emergency_fields = OtherMembers(*emergency, {"incidents", "units"});
    for (EntityKind kind : {EntityKind::kIncident, EntityKind::kUnit}) {
      ReadEntities(*emergency, "emergencyServices", kind, &state.CityEntities(kind),
                   &problems);
    }
  }
  if (!problems.empty()) return problems.ToStatus();
  return state;
}

Result<CityState> ParseCityState(std::string_view text,
                                 std::vector<std::string>* problems) {
  TWIN_ASSIGN_OR_RETURN(Json document, ParseJsonText(text));
  return CityStateFromJson(document, problems);
}

std::string SerializeCityState(const CityState& state) {
  std::string out;
  size_t entities = 0;
  for (EntityKind kind : kAllEntityKinds) entities += state.Count(kind);
  out.reserve(4096 + entities * 512);  // above the typical entity size
  JsonWriter w(&out);
  auto city_entities = [&w, &state](EntityKind kind) {
    return [&w, &state, kind] { WriteEntities(&w, state.CityEntities(kind)); };
  };
  WriteMergedObject(
      &w, state.extra_fields,
      {{"cityId", [&] { w.String(state.city_id); }},
       {"districts",
        [&] {
          w.Raw('[');
          bool first = true;
          for (const auto& [id, district] : state.districts()) {
            if (!first) w.Raw(',');
            first = false;
            WriteDistrict(&w, district);
          }
          w.Raw(']');
        }},
       {"emergencyServices",
        [&] {
          WriteMergedObject(&w, state.emergency_fields,
                            {{"incidents", city_entities(EntityKind::kIncident)},
                             {"units", city_entities(EntityKind::kUnit)}});
        }},
       {"name", [&] { w.String(state.name); }},
       {"publicTransport",
        [&] {
          WriteMergedObject(&w, state.transport_fields,
                            {{"buses", city_entities(EntityKind::kBus)},
                             {"stations", city_entities(EntityKind::kTransportStation)}});
        }},
       {"timestamp", [&] { w.String(FormatMicros(state.timestamp)); }}});
  w.Flush();
  return out;
}

std::string SerializeDistrict(const District& district) {
  std::string out;
  JsonWriter w(&out);
  WriteDistrict(&w, district);
  w.Flush();
  return out;
}

Json CityStateToJson(const CityState& state) {
  return Json::parse(SerializeCityState(state));
}

}  // namespace twin
