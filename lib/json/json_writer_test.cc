#include "lib/json/json_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "lib/testing/random_json.h"

namespace twin {
namespace {

using nlohmann::json;

TEST_CASE("objects are written compactly with keys in byte order") {
  json v = json::parse(R"({"b":1,"a":[true,null,"x"],"B":{"z":{}}})");
  CHECK(ToJsonText(v) == R"({"B":{"z":{}},"a":[true,null,"x"],"b":1})");
}

TEST_CASE("doubles use the shortest text that reads back to the same value") {
  CHECK(ToJsonText(json(0.1)) == "0.1");
  CHECK(ToJsonText(json(42.35)) == "42.35");
  CHECK(ToJsonText(json(1.0 / 3)) == "0.3333333333333333");
  CHECK(ToJsonText(json(100.0)) == "100");  // as JSON.stringify writes it
  CHECK(ToJsonText(json(-0.5)) == "-0.5");
  CHECK(ToJsonText(json(1e300)) == "1e+300");
  for (double d : {0.1, 13.3995, 1e-7, 123456789.123456789, 5e-324}) {
    CHECK(json::parse(ToJsonText(json(d))).get<double>() == d);
  }
}

TEST_CASE("integers keep every digit") {
  CHECK(ToJsonText(json(int64_t{-9007199254740993})) == "-9007199254740993");
  CHECK(ToJsonText(json(uint64_t{18446744073709551615u})) == "18446744073709551615");
}

TEST_CASE("strings escape only what JSON requires and keep UTF-8 as is") {
  CHECK(ToJsonText(json("a\"b\\c\n\t\x01")) == R"("a\"b\\c\n\t\u0001")");
  CHECK(ToJsonText(json("°C €")) == "\"°C €\"");
}

TEST_CASE("the writer agrees with nlohmann's reader on a round trip") {
  json v = json::parse(R"({"s":"x\u0000y","n":[1,-2,3.5,1e-9],"o":{"k":[{"a":null}]}})");
  CHECK(json::parse(ToJsonText(v)) == v);
}

TEST_CASE("AppendJson writes every value as the writer does, after what is there") {
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const json value = testing::RandomJson(&rng, i % 3);  // many bare scalars
    std::string out = "x";
    AppendJson(&out, value);
    CHECK(out == "x" + ToJsonText(value));
  }
  std::string out;
  AppendJson(&out, json(std::nan("")));
  AppendJson(&out, json(-0.0));
  AppendJson(&out, json(std::numeric_limits<int64_t>::min()));
  CHECK(out == "null-0-9223372036854775808");
}

}  // namespace
}  // namespace twin
