#include "lib/publish/mirror.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "lib/city/state_document.h"

namespace twin {
namespace {

// Feed entries read at a time.
constexpr size_t kFeedBatch = 1000;

}  // namespace

Mirror::FollowResult Mirror::Follow() {
  FollowResult result;
  auto failed = [&result](const Status& status) {
    result.outcome = Followed::kFailed;
    result.why = status.message();
    return result;
  };
  while (true) {
    Result<FeedRead> feed = store_->ReadFeed(cursor_, kFeedBatch);
    if (!feed.ok()) return failed(feed.status());
    if (feed->reload) {
      result.outcome = Followed::kReloadNeeded;
      result.why = "the change feed says reload";
      return result;
    }
    if (feed->incarnation != incarnation_) {
      // A new feed whose cursor caught up with ours (Redis lost its data and
      // twin-ingest rewrote the city): its entries are not about our state.
      result.outcome = Followed::kReloadNeeded;
      result.why = "the state was replaced under the change feed's cursor";
      return result;
    }
    if (feed->cursor == cursor_) return result;
    if (Status applied = ApplyNewDistricts(*feed); !applied.ok()) return failed(applied);
    Result<EntityValues> read = store_->ReadEntities(feed->changed);
    if (!read.ok()) return failed(read.status());
    for (size_t i : read->unreadable) {
      // Skipped, not waited for: the entity keeps its last good value until
      // a valid one is written, and the rest of the city is published.
      const EntityRef& ref = feed->changed[i];
      spdlog::warn(
          "the stored value of {} '{}'{} is not JSON: skipped; it keeps its last "
          "published value",
          Info(ref.kind).name, ref.id,
          ref.district_id.empty() ? "" : " in district '" + ref.district_id + "'");
    }
    result.unreadable += read->unreadable.size();
    for (size_t i = 0; i < feed->changed.size(); ++i) {
      std::optional<Json>& value = read->values[i];
      if (value) ApplyChange(feed->changed[i], std::move(*value), &state_, &changes_);
    }
    cursor_ = feed->cursor;
  }
}

Status Mirror::ApplyNewDistricts(const FeedRead& feed) {
  for (const std::string& id : feed.new_districts) {
    Result<std::optional<District>> meta = store_->ReadDistrictMeta(id);
    if (!meta.ok()) return meta.status();
    if (*meta) {
      bool created;
      District& district = state_.EnsureDistrict(id, &created);
      if (created) changes_.NoteNewDistrict(id);
      district.fields = (*meta)->fields;
      district.graph_fields = (*meta)->graph_fields;
    }
  }
  return Status::Ok();
}

void Mirror::Replace(StoredState stored) {
  ranks_.Clear();  // before the old maps go
  state_ = std::move(stored.state);
  cursor_ = stored.cursor;
  incarnation_ = std::move(stored.incarnation);
  changes_.Clear();
  reloaded_ = true;
  ranks_.Prepare(state_);  // here, not in the first tick
}

size_t Mirror::PrepareChanges() { return changes_.Prepare(state_, &ranks_); }

std::optional<std::string> Mirror::ComposeDelta(const std::string& from,
                                                const std::string& to) {
  return twin::ComposeDelta(state_, &changes_, from, to, {}, &ranks_);
}

std::string Mirror::PublishedText(Micros micros) {
  // The mirror may carry a later stamp (a tick whose changes cancelled out,
  // or a failed publish): render with the document's.
  const Micros now = state_.timestamp;
  state_.timestamp = micros;
  std::string text;
  {
    PublishedView published(&state_, &changes_);
    text = SerializeCityState(published.state());
  }
  state_.timestamp = now;
  return text;
}

void Mirror::InStep() {
  changes_.Clear();
  reloaded_ = false;
}

}  // namespace twin
