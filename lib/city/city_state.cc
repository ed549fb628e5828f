#include "lib/city/city_state.h"

namespace twin {

District* CityState::FindDistrict(std::string_view id) {
  auto it = districts_.find(id);
  return it == districts_.end() ? nullptr : &it->second;
}

const District* CityState::FindDistrict(std::string_view id) const {
  auto it = districts_.find(id);
  return it == districts_.end() ? nullptr : &it->second;
}

District& CityState::EnsureDistrict(std::string_view id, bool* created) {
  auto it = districts_.find(id);
  if (it != districts_.end()) {
    *created = false;
    return it->second;
  }
  *created = true;
  District district;
  district.id = std::string(id);
  // Nothing in a message decides these values (state-rules.md §2), so the
  // district looks the same whichever message created it.
  district.fields = {
      {"name", "District " + district.id},
      {"location",
       {{"centerLatitude", 0},
        {"centerLongitude", 0},
        {"boundaries", {{"north", 0}, {"south", 0}, {"east", 0}, {"west", 0}}}}}};
  return districts_.emplace(district.id, std::move(district)).first->second;
}

void CityState::PutDistrict(District district) {
  if (District* old = FindDistrict(district.id)) {
    for (const auto& [edge_id, edge] : old->Of(EntityKind::kEdge)) {
      edge_district_.erase(edge_id);
    }
  }
  for (const auto& [edge_id, edge] : district.Of(EntityKind::kEdge)) {
    edge_district_[edge_id] = district.id;
  }
  std::string id = district.id;
  districts_.insert_or_assign(std::move(id), std::move(district));
}

CityState::DistrictNode CityState::TakeDistrict(std::string_view id) {
  auto it = districts_.find(id);
  if (it == districts_.end()) return {};
  DistrictNode node = districts_.extract(it);
  for (const auto& [edge_id, edge] : node.mapped().Of(EntityKind::kEdge)) {
    auto indexed = edge_district_.find(edge_id);
    if (indexed != edge_district_.end() && indexed->second == node.key()) {
      edge_district_.erase(indexed);
    }
  }
  return node;
}

void CityState::RestoreDistrict(DistrictNode node) {
  if (node.empty()) return;
  for (const auto& [edge_id, edge] : node.mapped().Of(EntityKind::kEdge)) {
    edge_district_[edge_id] = node.key();
  }
  districts_.insert(std::move(node));
}

Json* CityState::FindEdge(std::string_view edge_id, std::string* district_id) {
  auto it = edge_district_.find(std::string(edge_id));
  if (it == edge_district_.end()) return nullptr;
  District* district = FindDistrict(it->second);
  if (district == nullptr) return nullptr;
  EntityMap& edges = district->Of(EntityKind::kEdge);
  auto edge = edges.find(edge_id);
  if (edge == edges.end()) return nullptr;
  if (district_id != nullptr) *district_id = district->id;
  return &edge->second;
}

const Json* CityState::Find(const EntityRef& ref) const {
  const EntityMap* map = nullptr;
  if (IsDistrictScoped(ref.kind)) {
    const District* district = FindDistrict(ref.district_id);
    if (district == nullptr) return nullptr;
    map = &district->Of(ref.kind);
  } else {
    map = &CityEntities(ref.kind);
  }
  auto it = map->find(ref.id);
  return it == map->end() ? nullptr : &it->second;
}

size_t CityState::Count(EntityKind kind) const {
  if (!IsDistrictScoped(kind)) return CityEntities(kind).size();
  size_t n = 0;
  for (const auto& [id, district] : districts_) n += district.Of(kind).size();
  return n;
}

}  // namespace twin
