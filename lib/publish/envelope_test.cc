#include "lib/publish/envelope.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace twin {
namespace {

TEST_CASE("a state.full carries its type, version and sequence") {
  CHECK(FullStateHeaders(Sequence(7)) ==
        Headers{{"type", "full-state"}, {"version", "1.0"}, {"sequence", "7"}});
}

TEST_CASE("a state.incremental names the document its delta applies to") {
  CHECK(IncrementalStateHeaders(Sequence(8), Sequence(6), "2026-12-02T10:00:00.000Z") ==
        Headers{{"type", "incremental-state"},
                {"version", "1.0"},
                {"sequence", "8"},
                {"previousSequence", "6"},
                {"previousTimestamp", "2026-12-02T10:00:00.000Z"}});
}

TEST_CASE("an incremental value holds the city, the delta as it is, and the time") {
  const std::string value = IncrementalStateValue(
      "city \"7\"", R"({"timestamp":["a","b"]})", "2026-12-02T10:00:00.000Z");
  CHECK(value == R"({"cityId":"city \"7\"","delta":{"timestamp":["a","b"]},)"
                 R"("timestamp":"2026-12-02T10:00:00.000Z"})");
  const nlohmann::json parsed = nlohmann::json::parse(value);
  CHECK(parsed["cityId"] == "city \"7\"");
  CHECK(parsed["delta"]["timestamp"][1] == "b");
}

}  // namespace
}  // namespace twin
