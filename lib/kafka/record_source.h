// Where recorded messages come from, one at a time: the interface that a
// rebuild, a replay and a produce read (an NDJSON recording here, a Kafka
// topic range in kafka_source.h), so that none of them knows which.
#ifndef TWIN_LIB_KAFKA_RECORD_SOURCE_H_
#define TWIN_LIB_KAFKA_RECORD_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "lib/base/status.h"
#include "lib/kafka/record.h"

namespace twin {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // The next record, nullopt at the end, or an error (a malformed line, a
  // lost connection).
  virtual Result<std::optional<Record>> Next() = 0;
  // Work done so far and in all, for progress ("bytes", "messages"): total
  // 0 means unknown.
  virtual uint64_t Done() const = 0;
  virtual uint64_t Total() const = 0;
};

// Hands each record of `source` to `f`, in order, until the source's end.
// Stops early and returns why: Cancelled when `stop` is set (looked at
// before each record), the source's error, or the first error `f` returns.
Status ForEachRecord(RecordSource* source, const std::atomic<bool>* stop,
                     const std::function<Status(const Record&)>& f);

// Reads NDJSON records from a stream the caller owns. Blank lines are
// skipped; a malformed line is an error naming its line number.
class NdjsonRecordSource : public RecordSource {
 public:
  // `total_bytes` is the stream's size if known, for progress.
  NdjsonRecordSource(std::istream* in, std::string name, uint64_t total_bytes = 0);
  Result<std::optional<Record>> Next() override;
  uint64_t Done() const override { return bytes_read_; }
  uint64_t Total() const override { return total_bytes_; }

 private:
  std::istream* in_;
  std::string name_;
  uint64_t total_bytes_;
  uint64_t bytes_read_ = 0;
  uint64_t line_number_ = 0;
  std::string line_;
};

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_RECORD_SOURCE_H_
