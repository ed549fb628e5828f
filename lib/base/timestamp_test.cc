#include "lib/base/timestamp.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

TEST_CASE("UTC timestamps parse to microseconds since the epoch") {
  CHECK(ParseTimestamp("1970-01-01T00:00:00Z") == MicrosSinceEpoch(0));
  CHECK(ParseTimestamp("2025-12-08T10:30:00.000Z") == MicrosSinceEpoch(1765189800000000));
  CHECK(ParseTimestamp("2025-12-08T10:30:00.5Z") == MicrosSinceEpoch(1765189800500000));
  CHECK(ParseTimestamp("2025-12-08T10:30:00.123456789Z") ==
        MicrosSinceEpoch(1765189800123456));
}

TEST_CASE("zone offsets name the same instant as UTC") {
  CHECK(ParseTimestamp("2025-12-08T11:30:00+01:00") ==
        ParseTimestamp("2025-12-08T10:30:00Z"));
  CHECK(ParseTimestamp("2025-12-08T05:00:00-05:30") ==
        ParseTimestamp("2025-12-08T10:30:00Z"));
}

TEST_CASE("date-times without a zone or with impossible fields are refused") {
  for (const char* bad :
       {"2025-12-08T10:30:00", "2025-12-08", "2025-12-08 10:30:00Z",
        "2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-12-08T24:00:00Z",
        "2025-12-08T10:30:00.Z", "2025-12-08T10:30:00+0100", "yesterday", "",
        "2025-12-08T10:30:00Zjunk"}) {
    INFO(bad);
    CHECK_FALSE(ParseTimestamp(bad).has_value());
  }
  CHECK(ParseTimestamp("2024-02-29T00:00:00Z").has_value());  // leap year
  CHECK_FALSE(ParseTimestamp("2023-02-29T00:00:00Z").has_value());
}

TEST_CASE("milliseconds format as JavaScript's toISOString does") {
  CHECK(FormatMillis(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatMillis(1765189800123) == "2025-12-08T10:30:00.123Z");
  CHECK(FormatMillis(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatMicros(MicrosSinceEpoch(1765189800123999)) == "2025-12-08T10:30:00.123Z");
}

TEST_CASE("formatting and parsing round-trip") {
  for (int64_t ms : {int64_t{0}, int64_t{951782400000}, int64_t{1765189800123},
                     int64_t{4102444799999}}) {
    CHECK(ParseTimestamp(FormatMillis(ms)) == MicrosFromMillis(ms));
  }
}

}  // namespace
}  // namespace twin
