#include "lib/json/json_text.h"

#include <catch2/catch.hpp>
#include <string>

namespace twin {
namespace {

TEST_CASE("MemberText gives a member's bytes as written, members in their order") {
  const std::string line =
      R"({"topic":"t", "value" : {"z":1,"a":[1.50, "x,}]"],"m":{}} ,"key":"k"})";
  REQUIRE(MemberText(line, "value"));
  CHECK(*MemberText(line, "value") == R"({"z":1,"a":[1.50, "x,}]"],"m":{}})");
  CHECK(*MemberText(line, "topic") == R"("t")");
  CHECK(*MemberText(line, "key") == R"("k")");
  CHECK_FALSE(MemberText(line, "nope"));
  CHECK(*MemberText(R"({"n": -1.0e5 })", "n") == "-1.0e5");
}

TEST_CASE(
    "MemberText skips nested members of the same name and takes the last at the top") {
  CHECK(*MemberText(R"({"a":{"value":1},"value":2})", "value") == "2");
  CHECK(*MemberText(R"({"value":1,"value":[3]})", "value") == "[3]");
  CHECK(*MemberText(R"({"s":"say \"value\":","value":true})", "value") == "true");
}

TEST_CASE(
    "MemberText of what is not an object is nothing, and never reads past the text") {
  CHECK_FALSE(MemberText("[1]", "value"));
  CHECK_FALSE(MemberText("", "value"));
  CHECK_FALSE(MemberText(R"({"value")", "value"));
  CHECK(MemberText(R"({"value":[[[)", "value"));  // truncated: some text, within bounds
  CHECK(MemberText(R"({"value":"abc)", "value"));
}

TEST_CASE("MinifyJson drops white space between tokens, not inside strings") {
  CHECK(MinifyJson(" { \"a b\" : [ 1 , 2.50 ] ,\n\t\"c\":\"x \\\" y\" } ") ==
        R"({"a b":[1,2.50],"c":"x \" y"})");
}

TEST_CASE("deep nesting costs no stack") {
  const std::string deep =
      "{\"value\":" + std::string(300000, '[') + std::string(300000, ']') + "}";
  REQUIRE(MemberText(deep, "value"));
  CHECK(MemberText(deep, "value")->size() == 600000);
  CHECK(MinifyJson(deep).size() == deep.size());
}

}  // namespace
}  // namespace twin
