// ISO-8601 date-times as the state rules use them (state-rules.md §2).
//
// An instant is a time point to the microsecond since the Unix epoch (UTC),
// a type of its own: a bare count of micro- or milliseconds does not pass
// for one, and a duration is added with its unit. Parsing
// accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)` and nothing else:
// a date-time without a zone is not an instant. Pure functions; thread-safe.
#ifndef TWIN_LIB_TIMESTAMP_H_
#define TWIN_LIB_TIMESTAMP_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twin {

// An instant, to the microsecond; Micros() is 1970-01-01T00:00:00Z.
using Micros =
    std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// The instant `count` microseconds after the epoch, and back.
constexpr Micros MicrosSinceEpoch(int64_t count) {
  return Micros(std::chrono::microseconds(count));
}
constexpr int64_t CountMicros(Micros t) { return t.time_since_epoch().count(); }
// Kafka's milliseconds: the instant `millis` after the epoch, and an
// instant's milliseconds (truncated towards zero).
constexpr Micros MicrosFromMillis(int64_t millis) {
  return Micros(std::chrono::milliseconds(millis));
}
constexpr int64_t CountMillis(Micros t) { return CountMicros(t) / 1000; }

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
