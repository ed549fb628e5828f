#include "lib/store/memory_store.h"

#include "lib/json/json_parse.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

// The city's own members and timestamp, without districts or entities.
void CopyCityFields(const CityState& from, CityState* to) {
  to->city_id = from.city_id;
  to->name = from.name;
  to->extra_fields = from.extra_fields;
  to->transport_fields = from.transport_fields;
  to->emergency_fields = from.emergency_fields;
  to->timestamp = from.timestamp;
}

}  // namespace

void MemoryStore::Append(FeedEntry entry) {
  feed_.push_back(std::move(entry));
  while (feed_.size() > feed_retention_) feed_.pop_front();
}

Result<std::string> MemoryStore::Replace(const CityState& state,
                                         const Positions& positions) {
  fields_ = CityState();
  CopyCityFields(state, &fields_);
  district_meta_.clear();
  entities_.clear();
  for (const auto& [id, district] : state.districts()) {
    district_meta_[id] = DistrictMetaJson(district);
    for (EntityKind kind : kAllEntityKinds) {
      if (!IsDistrictScoped(kind)) continue;
      for (const auto& [entity_id, value] : district.Of(kind)) {
        entities_[EntityRef{kind, id, entity_id}] = ToJsonText(value);
      }
    }
  }
  for (EntityKind kind : kAllEntityKinds) {
    if (IsDistrictScoped(kind)) continue;
    for (const auto& [id, value] : state.CityEntities(kind)) {
      entities_[EntityRef{kind, "", id}] = ToJsonText(value);
    }
  }
  has_city_ = true;
  positions_ = positions;
  incarnation_ = "memory-" + std::to_string(++replacements_);
  cursor_ = cursor_.Next();
  Append({cursor_, true, {}, {}});
  return incarnation_;
}

Result<Epochs> MemoryStore::TakeEpochs(const std::vector<PartitionId>& partitions) {
  Epochs taken;
  for (const PartitionId& partition : partitions) {
    epochs_[partition] = epochs_[partition].Next();
    taken[partition] = epochs_[partition];
  }
  return taken;
}

Result<StoredState> MemoryStore::Read() {
  if (!has_city_) return Status::NotFound("the city has no state in the memory store");
  StoredState stored;
  CityState& state = stored.state;
  CopyCityFields(fields_, &state);
  std::map<std::string, District, std::less<>> districts;
  for (const auto& [id, meta] : district_meta_) {
    District district;
    district.id = id;
    TWIN_RETURN_IF_ERROR(ApplyDistrictMetaJson(meta, &district));
    districts.emplace(id, std::move(district));
  }
  for (const auto& [ref, text] : entities_) {
    Json value;
    if (!ParseJson(text, &value)) {
      return Status::InvalidData("the stored value of " +
                                 std::string(Info(ref.kind).name) + " '" + ref.id +
                                 "' is not JSON");
    }
    if (!IsDistrictScoped(ref.kind)) {
      state.CityEntities(ref.kind).emplace(ref.id, std::move(value));
      continue;
    }
    auto d = districts.find(ref.district_id);
    if (d == districts.end()) {  // written before its district, as Redis allows
      District district;
      district.id = ref.district_id;
      d = districts.emplace(ref.district_id, std::move(district)).first;
    }
    d->second.Of(ref.kind).emplace(ref.id, std::move(value));
  }
  for (auto& [id, district] : districts) state.PutDistrict(std::move(district));
  stored.cursor = cursor_;
  stored.positions = positions_;
  stored.incarnation = incarnation_;
  return stored;
}

Status MemoryStore::Write(const ChangeBatch& batch) {
  if (batch.empty()) return Status::Ok();
  if (batch.city_must_exist && !has_city_) {
    return Status::NotFound(
        "the state of the city is gone from the memory store: nothing written");
  }
  if (batch.city_must_exist && batch.incarnation != incarnation_) {
    return Status::FailedPrecondition(
        "the state was replaced since this writer read it: "
        "nothing written");
  }
  for (const auto& [partition, epoch] : batch.epochs) {
    const auto held = epochs_.find(partition);
    if (held == epochs_.end()) {
      return Status::FailedPrecondition("no epoch of " + PartitionField(partition) +
                                        " is held in the store: nothing written");
    }
    if (held->second != epoch) {
      return Status::Aborted("partition " + PartitionField(partition) +
                             " is held by a newer member (epoch " +
                             std::to_string(held->second.value()) + "): nothing written");
    }
  }
  for (const auto& [partition, offset] : batch.positions) positions_[partition] = offset;
  if (!batch.changes_entities()) return Status::Ok();
  if (!has_city_) {  // as the feed script does: a city with the default name
    fields_ = CityState();
    has_city_ = true;
  }
  cursor_ = cursor_.Next();
  FeedEntry entry{cursor_, false, {}, {}};
  for (const auto& [id, meta] : batch.new_districts) {
    if (district_meta_.emplace(id, meta).second) entry.new_districts.push_back(id);
  }
  for (const auto& [ref, text] : batch.entities) {
    entities_[ref] = text;
    entry.changed.push_back(ref);
  }
  if (batch.timestamp > fields_.timestamp) fields_.timestamp = batch.timestamp;
  Append(std::move(entry));
  return Status::Ok();
}

Result<FeedRead> MemoryStore::ReadFeed(FeedCursor cursor, size_t max_entries) {
  FeedRead read;
  read.cursor = cursor;
  read.incarnation = incarnation_;
  if (cursor == cursor_) return read;
  // Behind the retained feed, ahead of the store (it forgot), or behind a
  // Replace: read the whole state again.
  if (cursor > cursor_ || feed_.empty() || feed_.front().cursor > cursor.Next()) {
    read.reload = true;
    read.cursor = cursor_;
    return read;
  }
  for (const FeedEntry& entry : feed_) {
    if (entry.cursor <= cursor) continue;
    if (max_entries-- == 0) break;
    if (entry.reload) {
      read.reload = true;
      read.cursor = cursor_;
      read.changed.clear();
      read.new_districts.clear();
      return read;
    }
    read.changed.insert(read.changed.end(), entry.changed.begin(), entry.changed.end());
    read.new_districts.insert(read.new_districts.end(), entry.new_districts.begin(),
                              entry.new_districts.end());
    read.cursor = entry.cursor;
  }
  return read;
}

Result<EntityValues> MemoryStore::ReadEntities(const std::vector<EntityRef>& refs) {
  EntityValues values;
  for (size_t i = 0; i < refs.size(); ++i) {
    const auto it = entities_.find(refs[i]);
    Json value;
    if (it == entities_.end()) {
      values.values.emplace_back(std::nullopt);
    } else if (ParseJson(it->second, &value)) {
      values.values.emplace_back(std::move(value));
    } else {
      values.values.emplace_back(std::nullopt);
      values.unreadable.push_back(i);
    }
  }
  return values;
}

Result<std::optional<District>> MemoryStore::ReadDistrictMeta(const std::string& id) {
  const auto it = district_meta_.find(id);
  if (it == district_meta_.end()) return std::optional<District>();
  District district;
  district.id = id;
  TWIN_RETURN_IF_ERROR(ApplyDistrictMetaJson(it->second, &district));
  return std::optional<District>(std::move(district));
}

void MemoryStore::Forget() {
  has_city_ = false;
  fields_ = CityState();
  district_meta_.clear();
  entities_.clear();
  feed_.clear();
  positions_.clear();
  epochs_.clear();
  incarnation_.clear();
  cursor_ = FeedCursor();
}

}  // namespace twin
