#include "lib/json/json_parse.h"

#include <catch2/catch.hpp>
#include <random>

#include "lib/testing/random_json.h"

namespace twin {
namespace {

using nlohmann::json;

TEST_CASE("the fast parser builds the same values as nlohmann's") {
  for (const char* text :
       {R"({"a":1,"b":[true,false,null],"c":{"d":"é\u0041\n"},"e":-2.5e-3})", "[]", "{}",
        "0", "1e308", "18446744073709551615", "-9223372036854775808", R"("\ud83d\ude00")",
        R"({"k":1,"k":2})", "123456789012345678901234567890"}) {
    INFO(text);
    json fast;
    REQUIRE(ParseJson(text, &fast));
    const json slow = json::parse(text);
    CHECK(fast == slow);
    CHECK(fast.type() == slow.type());
  }
}

TEST_CASE("minus zero reads as integer zero, as text and value") {
  json fast;
  REQUIRE(ParseJson("-0", &fast));
  CHECK(fast == json::parse("-0"));
  CHECK(fast.dump() == "0");
}

TEST_CASE("NestsDeeperThan counts containers outside strings") {
  CHECK_FALSE(NestsDeeperThan("1", 0));
  CHECK(NestsDeeperThan("[]", 0));
  CHECK_FALSE(NestsDeeperThan("[{}]", 2));
  CHECK(NestsDeeperThan("[{}]", 1));
  CHECK_FALSE(NestsDeeperThan(R"(["[[[", {"a":"{\"{"}])", 2));
  CHECK_FALSE(NestsDeeperThan("[][][][]", 1));  // siblings, not nesting
  CHECK(NestsDeeperThan(std::string(300000, '['), kDocumentMaxDepth));
  CHECK_FALSE(NestsDeeperThan("]]]]", 0));  // unbalanced text stays in bounds
}

TEST_CASE("empty text, even a null view, is not JSON; nor is text with a raw NUL") {
  nlohmann::json out;
  CHECK_FALSE(
      ParseJson(std::string_view("{}\0garbage", 10), &out));  // found by diff_fuzz
  CHECK_FALSE(ParseJson(std::string_view(), &out));
  CHECK_FALSE(ParseJson("", &out));
}

TEST_CASE("PrecheckJson names what refuses a text: a NUL byte, or depth past the limit") {
  CHECK(PrecheckJson("[[1]]", 2) == JsonPrecheck::kOk);
  CHECK(PrecheckJson("[[1]]", 1) == JsonPrecheck::kTooDeep);
  CHECK(PrecheckJson(std::string_view("[1]\0", 4), 64) == JsonPrecheck::kNulByte);
  CHECK(PrecheckJsonText(std::string_view("{}\0x", 4)).message() ==
        "invalid JSON: a NUL byte at offset 2");
  CHECK(PrecheckJsonText("[[]]", 1).message().find("nested deeper than 1 levels") == 0);
}

TEST_CASE("ParseJson refuses a document nested deeper than the document limit") {
  nlohmann::json out;
  const std::string at_limit =
      std::string(kDocumentMaxDepth, '[') + std::string(kDocumentMaxDepth, ']');
  CHECK(ParseJson(at_limit, &out));
  const std::string deeper = "[" + at_limit + "]";
  CHECK_FALSE(ParseJson(deeper, &out));
}

TEST_CASE("ParseJsonText returns the value of a JSON text") {
  Result<json> parsed = ParseJsonText(R"({"a":[1,2.5,"x"],"b":null})");
  REQUIRE(parsed.ok());
  CHECK(*parsed == json::parse(R"({"a":[1,2.5,"x"],"b":null})"));
  // Beyond 64 bits: nlohmann's double, not a refusal.
  Result<json> big = ParseJsonText("123456789012345678901234567890");
  REQUIRE(big.ok());
  CHECK(big->is_number_float());
}

TEST_CASE("ParseJsonText says where a syntax error is, as invalid data") {
  Result<json> parsed = ParseJsonText(R"({"a": })");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == StatusCode::kInvalidData);
  INFO(parsed.status().message());
  CHECK(parsed.status().message().rfind("invalid JSON: parse error at line 1, column 7",
                                        0) == 0);
}

TEST_CASE("ParseJsonText refuses a number out of range without throwing") {
  Result<json> parsed = ParseJsonText("[1e400]");  // found by tape_fuzz
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == StatusCode::kInvalidData);
  CHECK(parsed.status().message().rfind("invalid JSON: ", 0) == 0);
}

TEST_CASE("ParseJsonText refuses a NUL byte and depth past the document limit") {
  CHECK(ParseJsonText(std::string_view("{}\0x", 4)).status().message() ==
        "invalid JSON: a NUL byte at offset 2");
  const std::string deeper =
      std::string(kDocumentMaxDepth + 1, '[') + std::string(kDocumentMaxDepth + 1, ']');
  CHECK(ParseJsonText(deeper).status().code() == StatusCode::kInvalidData);
}

TEST_CASE("the fast parser refuses what nlohmann refuses") {
  for (const char* text :
       {"", "{", R"({"a":})", "[1,]", "nul", "\"\xff\"", R"("\ud800")", "{} x", "01"}) {
    INFO(text);
    json out;
    CHECK_FALSE(ParseJson(text, &out));
    CHECK(json::parse(text, nullptr, false).is_discarded());
  }
}

TEST_CASE("on random and damaged texts the fast parser agrees with nlohmann") {
  // simdjson reads; where it refuses, nlohmann has the last word. So what
  // is checked is that simdjson never accepts what nlohmann refuses, nor
  // reads a value nlohmann reads otherwise.
  std::mt19937 rng(13);
  for (int i = 0; i < 4000; ++i) {
    std::string text = testing::RandomJson(&rng, 3).dump();
    if (i % 2 == 1) text = testing::Damage(text, &rng);
    INFO(text);
    const json expected = json::parse(text, nullptr, /*allow_exceptions=*/false);
    json fast;
    const bool accepted = ParseJson(text, &fast);
    CHECK(accepted == !expected.is_discarded());
    if (accepted && !expected.is_discarded()) CHECK(fast == expected);
  }
}

}  // namespace
}  // namespace twin
