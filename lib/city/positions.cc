#include "lib/city/positions.h"

#include <charconv>

namespace twin {

std::string PartitionField(const PartitionId& partition) {
  return partition.first + ":" + std::to_string(partition.second);
}

std::optional<PartitionId> ParsePartitionField(std::string_view field) {
  const size_t colon = field.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == field.size()) {
    return std::nullopt;
  }
  int32_t partition = 0;
  const char* end = field.data() + field.size();
  auto r = std::from_chars(field.data() + colon + 1, end, partition);
  if (r.ec != std::errc() || r.ptr != end || partition < 0) return std::nullopt;
  return PartitionId{std::string(field.substr(0, colon)), partition};
}

void NotePosition(Positions* positions, const PartitionId& partition, Offset offset) {
  auto [it, inserted] = positions->emplace(partition, offset.Next());
  if (!inserted && it->second < offset.Next()) it->second = offset.Next();
}

Positions MergePositions(Positions base, const Positions& overlay) {
  for (const auto& [partition, offset] : overlay) base[partition] = offset;
  return base;
}

Json PositionsToJson(const Positions& positions) {
  Json out = Json::object();
  for (const auto& [partition, offset] : positions) {
    out[partition.first][std::to_string(partition.second)] = offset.value();
  }
  return out;
}

Result<Positions> PositionsFromJson(const Json& value) {
  const std::string where(kPositionsMember);
  if (!value.is_object()) return Status::InvalidData(where + ": expected an object");
  Positions positions;
  for (const auto& [topic, partitions] : value.items()) {
    const std::string at = where + "." + topic;
    if (topic.empty() || topic.find(':') != std::string::npos) {
      return Status::InvalidData(at + ": not a topic name");
    }
    if (!partitions.is_object()) return Status::InvalidData(at + ": expected an object");
    for (const auto& [number, offset] : partitions.items()) {
      std::optional<PartitionId> id = ParsePartitionField(topic + ":" + number);
      if (!id || std::to_string(id->second) != number) {
        return Status::InvalidData(at + "." + number + ": not a partition number");
      }
      if (!offset.is_number_integer() || offset.get<int64_t>() < 0) {
        return Status::InvalidData(at + "." + number +
                                   ": expected an offset (an integer >= 0)");
      }
      positions.emplace(std::move(*id), offset.get<int64_t>());
    }
  }
  return positions;
}

Result<Positions> TakePositionsMember(CityState* state) {
  const std::string key(kPositionsMember);
  auto it = state->extra_fields.find(key);
  if (it == state->extra_fields.end()) return Positions();
  Result<Positions> positions = PositionsFromJson(*it);
  if (positions.ok()) state->extra_fields.erase(key);
  return positions;
}

void PutPositionsMember(const Positions& positions, CityState* state) {
  if (positions.empty()) return;
  state->extra_fields[std::string(kPositionsMember)] = PositionsToJson(positions);
}

}  // namespace twin
