#include "lib/city/positions.h"

#include <catch2/catch.hpp>

#include "lib/city/state_document.h"

namespace twin {
namespace {

TEST_CASE("a partition field splits at its last colon and refuses anything else") {
  CHECK(PartitionField({"traffic.graph", 3}) == "traffic.graph:3");
  CHECK(ParsePartitionField("traffic.graph:3") == PartitionId{"traffic.graph", 3});
  for (const char* bad : {"", ":", "t:", ":3", "t:-1", "t:3x", "t", "t:99999999999"}) {
    CHECK_FALSE(ParsePartitionField(bad).has_value());
  }
}

TEST_CASE("a position is the next offset, and never goes back") {
  Positions p;
  NotePosition(&p, {"t", 0}, Offset(7));
  NotePosition(&p, {"t", 0}, Offset(3));
  NotePosition(&p, {"t", 1}, Offset(0));
  CHECK(p == Positions{{{"t", 0}, Offset(8)}, {{"t", 1}, Offset(1)}});
  CHECK(MergePositions(p, {{{"t", 1}, Offset(5)}}) ==
        Positions{{{"t", 0}, Offset(8)}, {{"t", 1}, Offset(5)}});
}

TEST_CASE("positions round-trip through their document member") {
  const Positions p{
      {{"a", 0}, Offset(10)}, {{"a", 2}, Offset(0)}, {{"b.c", 1}, Offset(123456789012)}};
  CHECK(*PositionsFromJson(PositionsToJson(p)) == p);
  CHECK(PositionsToJson(p).dump() == R"({"a":{"0":10,"2":0},"b.c":{"1":123456789012}})");
}

TEST_CASE("a malformed positions member is refused, naming where") {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "kafkaPositions: expected an object"},
      {R"({"a":1})", "kafkaPositions.a: expected an object"},
      {R"({"a":{"x":1}})", "kafkaPositions.a.x: not a partition number"},
      {R"({"a":{"01":1}})", "kafkaPositions.a.01: not a partition number"},
      {R"({"a":{"0":-1}})", "kafkaPositions.a.0: expected an offset"},
      {R"({"a":{"0":1.5}})", "kafkaPositions.a.0: expected an offset"},
      {R"({"a":{"0":"1"}})", "kafkaPositions.a.0: expected an offset"},
      {R"({"a:b":{"0":1}})", "kafkaPositions.a:b: not a topic name"},
  };
  for (const auto& [text, message] : cases) {
    Result<Positions> p = PositionsFromJson(Json::parse(text));
    INFO(text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().message().rfind(message, 0) == 0);
  }
}

TEST_CASE(
    "a saved document carries its positions among its members, and loads without them") {
  CityState state =
      *ParseCityState(R"({"cityId":"c","name":"n","districts":[],"zone":1})");
  PutPositionsMember({{{"t", 0}, Offset(4)}}, &state);
  const std::string text = SerializeCityState(state);
  CHECK(text.find(R"("kafkaPositions":{"t":{"0":4}})") != std::string::npos);
  CityState loaded = *ParseCityState(text);
  CHECK(*TakePositionsMember(&loaded) == Positions{{{"t", 0}, Offset(4)}});
  CHECK(loaded.extra_fields == Json{{"zone", 1}});
  CityState none = *ParseCityState(R"({"cityId":"c","districts":[]})");
  CHECK(TakePositionsMember(&none)->empty());
  PutPositionsMember({}, &none);
  CHECK(SerializeCityState(none).find("kafkaPositions") == std::string::npos);
}

}  // namespace
}  // namespace twin
