#include "lib/kafka/record.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

TEST_CASE(
    "a string value is the raw payload, anything else its compact JSON in the file's "
    "order") {
  Result<Record> raw = ParseRecord(R"({"topic":"t","value":"{not json"})");
  REQUIRE(raw.ok());
  CHECK(raw->value == "{not json");
  Result<Record> object = ParseRecord(R"({"topic":"t","value":{"b":1, "a":[1, 2]}})");
  REQUIRE(object.ok());
  CHECK(object->value == R"({"b":1,"a":[1,2]})");
  Result<Record> numbers = ParseRecord(R"({"value":{"z":30.0,"y":1e21},"topic":"t"})");
  REQUIRE(numbers.ok());
  CHECK(numbers->value == R"({"z":30.0,"y":1e21})");
}

TEST_CASE("optional members are read when present") {
  Result<Record> r = ParseRecord(
      R"({"topic":"t","partition":3,"offset":99,"timestamp":1765189800123,
          "key":"k1","headers":{"h":"v"},"value":"x"})");
  REQUIRE(r.ok());
  CHECK(r->partition == 3);
  CHECK(r->offset == 99);
  CHECK(r->timestamp_ms == 1765189800123);
  CHECK(r->key == "k1");
  CHECK(r->headers == std::vector<std::pair<std::string, std::string>>{{"h", "v"}});
  Result<Record> iso =
      ParseRecord(R"({"topic":"t","timestamp":"2025-12-08T10:30:00.123Z","value":1})");
  REQUIRE(iso.ok());
  CHECK(iso->timestamp_ms == 1765189800123);
  CHECK(iso->partition == -1);
  CHECK_FALSE(iso->key.has_value());
}

TEST_CASE(
    "offsets and timestamps below -1 (unknown) are refused: they could not be written "
    "back") {
  // Found by record_fuzz: accepted, then left out by FormatRecord.
  CHECK_FALSE(ParseRecord(R"({"topic":"t","timestamp":-765188300,"value":"x"})").ok());
  CHECK_FALSE(
      ParseRecord(R"({"topic":"t","timestamp":"1960-01-01T00:00:00Z","value":"x"})")
          .ok());
  CHECK_FALSE(ParseRecord(R"({"topic":"t","offset":-2,"value":"x"})").ok());
  CHECK(ParseRecord(R"({"topic":"t","timestamp":-1,"offset":-1,"value":"x"})").ok());
}

TEST_CASE("a recording line with a raw NUL byte is refused, not read up to the NUL") {
  const std::string line("{\"topic\":\"t\",\"value\":\"x\"}\0junk", 33);
  CHECK_FALSE(ParseRecord(line).ok());
}

TEST_CASE("malformed lines say what is wrong") {
  CHECK(ParseRecord("nope").status().message() == "not a JSON line");
  CHECK(ParseRecord(R"({"value":1})").status().message() ==
        "\"topic\": expected a non-empty string");
  CHECK(ParseRecord(R"({"topic":"t"})").status().message() == "\"value\": missing");
  CHECK(ParseRecord(R"({"topic":"t","partition":"x","value":1})").status().message() ==
        "\"partition\": expected an integer");
  CHECK(ParseRecord(R"({"topic":"t","headers":{"h":1},"value":1})").status().code() ==
        StatusCode::kInvalidData);
}

TEST_CASE("format and parse round-trip every field, even non-UTF-8 bytes") {
  Record r;
  r.topic = "sensors.traffic";
  r.partition = 2;
  r.offset = 17;
  r.timestamp_ms = 1765189800123;
  r.key = std::string("k\xff", 2);
  r.headers = {{"a", "1"}, {"a", "2"}};  // repeated names survive
  for (std::string value : {std::string("{\"x\":1}"), std::string("plain text"),
                            std::string("\xff\xfe\x00 bin", 7), std::string()}) {
    r.value = value;
    Result<Record> back = ParseRecord(FormatRecord(r));
    REQUIRE(back.ok());
    CHECK(*back == r);
  }
}

TEST_CASE("UTF-8 validation refuses overlongs, surrogates and truncation") {
  CHECK(IsValidUtf8("°C €"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace twin
