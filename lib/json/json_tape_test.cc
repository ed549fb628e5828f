#include "lib/json/json_tape.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <random>

#include "lib/testing/random_json.h"

namespace twin {
namespace {

using nlohmann::json;

// Whether a refusal is about a number: a tape refuses numbers it cannot
// hold exactly as written (integers beyond 64 bits, exponents out of a
// double's range) where nlohmann reads them as doubles; callers fall back
// to nlohmann for those.
bool IsAboutANumber(const Status& status) {
  std::string message = status.message();
  for (char& c : message)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return message.find("number") != std::string::npos ||
         message.find("integer") != std::string::npos;
}

TEST_CASE("a tape holds what nlohmann reads, and writes the same text") {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const json value = testing::RandomJson(&rng, 4);
    const std::string text = value.dump();
    Result<JsonTape> tape = JsonTape::Parse(text);
    REQUIRE(tape.ok());
    CHECK(tape->ToJson(JsonTape::kRoot) == value);
    std::string written;
    tape->AppendText(JsonTape::kRoot, &written);
    CHECK(written == ToJsonText(value));
  }
}

TEST_CASE("members in any order and repeated keys are held canonically") {
  const JsonTape tape =
      JsonTape::Parse(R"({"b":1,"a":{"y":1,"x":[2,{"d":0,"c":1}]},"b":3})").value();
  std::string text;
  tape.AppendText(JsonTape::kRoot, &text);
  CHECK(text == R"({"a":{"x":[2,{"c":1,"d":0}],"y":1},"b":3})");
  CHECK(tape.count(JsonTape::kRoot) == 2);
}

TEST_CASE("equal values are identical runs of words across tapes sharing keys") {
  auto keys = std::make_shared<JsonKeys>();
  const JsonTape a = JsonTape::Parse(R"([{"x":1,"s":"t"},{"y":[1,2]}])", keys).value();
  const JsonTape b =
      JsonTape::Parse(R"({"k":[{"y":[1,2]},{"s":"t","x":1}]})", keys).value();
  const JsonTape::Index a0 = a.first(JsonTape::kRoot), a1 = a.next(a0);
  const JsonTape::Index bk = b.first(JsonTape::kRoot), barray = b.next(bk);
  const JsonTape::Index b0 = b.first(barray), b1 = b.next(b0);
  CHECK(a.Identical(a0, b, b1));
  CHECK(a.Identical(a1, b, b0));
  CHECK_FALSE(a.Identical(a0, b, b0));
  // Tapes with dictionaries of their own are never identical.
  const JsonTape c = JsonTape::Parse(R"([{"x":1,"s":"t"},{"y":[1,2]}])").value();
  CHECK_FALSE(a.Identical(a0, c, c.first(JsonTape::kRoot)));
}

TEST_CASE("a tape refuses what nlohmann refuses, whatever the damage") {
  std::mt19937 rng(11);
  int accepted_damaged = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = testing::Damage(testing::RandomJson(&rng, 3).dump(), &rng);
    const json expected = json::parse(text, nullptr, /*allow_exceptions=*/false);
    Result<JsonTape> tape = JsonTape::Parse(text);
    INFO(text);
    if (expected.is_discarded()) {
      CHECK_FALSE(tape.ok());
    } else if (tape.ok()) {
      ++accepted_damaged;
      CHECK(tape->ToJson(JsonTape::kRoot) == expected);
    } else {
      CHECK(IsAboutANumber(tape.status()));
    }
  }
  CHECK(accepted_damaged > 100);  // the edits leave some texts valid
}

TEST_CASE("trailing content and empty texts are refused") {
  for (const char* text :
       {"", "   ", "[1] 2", "{\"a\":1}{\"b\":2}", "[1]]", "1 2", "{} x", "[1,]",
        "{\"a\" 1}", "[1 2]", "nul", "tru", "\"abc", "{\"a\":1"}) {
    INFO(text);
    CHECK(JsonTape::Parse(text).status().code() == StatusCode::kInvalidData);
  }
  CHECK(JsonTape::Parse(" [1] \n").ok());
}

TEST_CASE("ParseConsuming frees the text it read, and keeps a text it refused") {
  std::string good = R"({"a":[1,2,3]})";
  REQUIRE(JsonTape::ParseConsuming(&good).ok());
  CHECK(good.capacity() <= std::string().capacity());
  std::string bad = R"({"a":[1,2,3})";
  CHECK_FALSE(JsonTape::ParseConsuming(&bad).ok());
  CHECK(bad == R"({"a":[1,2,3})");
}

}  // namespace
}  // namespace twin
