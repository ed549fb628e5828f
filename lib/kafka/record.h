// Recorded Kafka messages: the NDJSON format of cli.md (twin-replay).
//
// One message a line: {"topic", "partition"?, "offset"?, "timestamp"?,
// "key"?, "headers"?, "value"}. A `value` that is a JSON string is the raw
// payload bytes; any other JSON value stands for its compact serialisation.
// `timestamp` is milliseconds since the epoch (or an ISO-8601 string on
// input). `headers` is an object of string values, or an array of
// [name, value] pairs when names repeat. A payload that is not valid UTF-8
// cannot be a JSON string; it is written as `"valueBase64"` instead of
// `"value"`, and such a key as `"keyBase64"` (extensions of cli.md's format,
// read back the same way). Header values must be UTF-8; other bytes in them
// are written as U+FFFD.
// Pure functions; thread-safe.
#ifndef TWIN_LIB_RECORD_H_
#define TWIN_LIB_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"

namespace twin {

struct Record {
  std::string topic;
  int32_t partition = -1;     // -1: unknown / let the producer choose
  int64_t offset = -1;        // -1: unknown
  int64_t timestamp_ms = -1;  // -1: unknown
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string value;  // payload bytes

  friend bool operator==(const Record& a, const Record& b) {
    return a.topic == b.topic && a.partition == b.partition && a.offset == b.offset &&
           a.timestamp_ms == b.timestamp_ms && a.key == b.key && a.headers == b.headers &&
           a.value == b.value;
  }
};

// Parses one NDJSON line. InvalidData says what is wrong with it.
Result<Record> ParseRecord(std::string_view line);

// The NDJSON line of `record` (no newline). The payload is always written as
// a JSON string (or base64), so that its bytes survive exactly; unknown
// partition, offset and timestamp are left out.
std::string FormatRecord(const Record& record);

// True if `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// `bytes` if well-formed UTF-8; otherwise each non-ASCII byte becomes U+FFFD.
std::string ValidUtf8OrReplaced(std::string_view bytes);

}  // namespace twin

#endif  // TWIN_LIB_RECORD_H_
