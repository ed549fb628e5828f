#include "lib/kafka/record_source.h"

#include <utility>

namespace twin {

Status ForEachRecord(RecordSource* source, const std::atomic<bool>* stop,
                     const std::function<Status(const Record&)>& f) {
  while (true) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      return Status::Cancelled("stopped by a signal");
    }
    Result<std::optional<Record>> next = source->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return Status::Ok();
    TWIN_RETURN_IF_ERROR(f(**next));
  }
}

NdjsonRecordSource::NdjsonRecordSource(std::istream* in, std::string name,
                                       uint64_t total_bytes)
    : in_(in), name_(std::move(name)), total_bytes_(total_bytes) {}

Result<std::optional<Record>> NdjsonRecordSource::Next() {
  while (std::getline(*in_, line_)) {
    ++line_number_;
    bytes_read_ += line_.size() + 1;
    if (line_.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<Record> record = ParseRecord(line_);
    if (!record.ok()) {
      return record.status().WithContext(name_ + ":" + std::to_string(line_number_));
    }
    return std::optional<Record>(std::move(record).value());
  }
  if (in_->bad()) return Status::IoError("reading " + name_ + " failed");
  return std::optional<Record>();
}

}  // namespace twin
