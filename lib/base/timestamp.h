// ISO-8601 date-times as the state rules use them (state-rules.md §2).
//
// An instant is held as microseconds since the Unix epoch (UTC). Parsing
// accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)` and nothing else:
// a date-time without a zone is not an instant. Pure functions; thread-safe.
#ifndef TWIN_LIB_TIMESTAMP_H_
#define TWIN_LIB_TIMESTAMP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twin {

using Micros = int64_t;  // microseconds since 1970-01-01T00:00:00Z

// Returns the instant `text` names, or nullopt if it is not a valid ISO-8601
// date-time with a zone (including impossible dates such as 2025-02-30).
// Digits past microseconds are truncated.
std::optional<Micros> ParseTimestamp(std::string_view text);

// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form
// JavaScript's Date.toISOString() writes and Kafka timestamps map to.
std::string FormatMillis(int64_t millis);

// FormatMillis of an instant, truncated to milliseconds.
std::string FormatMicros(Micros micros);

}  // namespace twin

#endif  // TWIN_LIB_TIMESTAMP_H_
