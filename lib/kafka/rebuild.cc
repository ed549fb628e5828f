#include "lib/kafka/rebuild.h"

#include "lib/city/topic.h"

namespace twin {

ApplyResult RecordApplier::Apply(const Record& record) {
  return Apply(record.topic, record.value, record.timestamp_ms);
}

ApplyResult RecordApplier::Apply(std::string_view topic, std::string_view value,
                                 int64_t timestamp_ms) {
  std::optional<Topic> input_topic = TopicFromName(topic);
  if (!input_topic) {
    ++counts_.ignored;
    ApplyResult ignored;
    ignored.reason = "not-an-input-topic";
    return ignored;
  }
  ApplyResult result =
      ApplyMessage(state_, InputMessage{*input_topic, value, timestamp_ms}, options_);
  counts_.Add(result);
  return result;
}

Status Rebuild(RecordSource* source, const RebuildOptions& options,
               const std::atomic<bool>* stop, CityState* state, OutcomeCounts* counts,
               Positions* positions) {
  RecordApplier applier(state, options.rules);
  OutcomeCounts skipped;  // records outside the time window
  uint64_t seen = 0;
  const Status status = ForEachRecord(source, stop, [&](const Record& record) {
    const bool placed = record.partition >= 0 && record.offset >= 0 &&
                        TopicFromName(record.topic).has_value();
    auto resume = placed ? options.resume.find({record.topic, record.partition})
                         : options.resume.end();
    const bool resumed = resume != options.resume.end();
    if (resumed && Offset(record.offset) < resume->second) {
      ++skipped.skipped;  // already in the base
    } else if (InTimeWindow(record.timestamp_ms, resumed ? std::nullopt : options.from_ms,
                            options.to_ms)) {
      applier.Apply(record);
    } else {
      ++skipped.skipped;
    }
    if (placed && positions != nullptr) {
      NotePosition(positions, {record.topic, record.partition}, Offset(record.offset));
    }
    if (options.progress && ++seen % 65536 == 0) {
      options.progress(*source, applier.counts());
    }
    return Status::Ok();
  });
  *counts = applier.counts();
  counts->Merge(skipped);
  // A signal can also end the input early (a read interrupted on a pipe):
  // whatever the source said, a stopped rebuild is incomplete.
  if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
    return Status::Cancelled("stopped by a signal");
  }
  return status;
}

}  // namespace twin
