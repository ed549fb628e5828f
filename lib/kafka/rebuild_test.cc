#include "lib/kafka/rebuild.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "lib/city/state_document.h"

namespace twin {
namespace {

Status RebuildText(const std::string& ndjson, const RebuildOptions& options,
                   CityState* state, OutcomeCounts* counts,
                   const std::atomic<bool>* stop = nullptr) {
  std::istringstream in(ndjson);
  NdjsonRecordSource source(&in, "input.ndjson");
  return Rebuild(&source, options, stop, state, counts);
}

TEST_CASE("rebuild applies input topics and counts every outcome") {
  CityState state;
  OutcomeCounts counts;
  const std::string input =
      R"({"topic":"transport.gps","timestamp":1000,"value":{"busId":"b1","speed":1}})"
      "\n"
      "\n"
      R"({"topic":"transport.gps","timestamp":500,"value":{"busId":"b1","speed":0}})"
      "\n"
      R"({"topic":"transport.gps","timestamp":2000,"value":"{oops"})"
      "\n"
      R"({"topic":"state.full","timestamp":2000,"value":{}})"
      "\n";
  REQUIRE(RebuildText(input, {}, &state, &counts).ok());
  CHECK(counts.applied == 1);
  CHECK(counts.stale == 1);
  CHECK(counts.ignored == 1);
  CHECK(counts.rejected == std::map<std::string, uint64_t>{{"invalid-json", 1}});
  CHECK(counts.ToText() ==
        "4 messages: 1 applied, 1 stale, 1 rejected (invalid-json 1), 1 ignored (not "
        "an input topic)");
  CHECK(state.CityEntities(EntityKind::kBus).at("b1")["speed"] == 1);
}

TEST_CASE("the time window skips messages outside it") {
  CityState state;
  OutcomeCounts counts;
  RebuildOptions options;
  options.from_ms = 1000;
  options.to_ms = 2000;
  const std::string input =
      R"({"topic":"transport.gps","timestamp":999,"value":{"busId":"early"}})"
      "\n"
      R"({"topic":"transport.gps","timestamp":1500,"value":{"busId":"inside"}})"
      "\n"
      R"({"topic":"transport.gps","timestamp":2001,"value":{"busId":"late"}})"
      "\n";
  REQUIRE(RebuildText(input, options, &state, &counts).ok());
  CHECK(counts.skipped == 2);
  CHECK(state.CityEntities(EntityKind::kBus).size() == 1);
  CHECK(state.CityEntities(EntityKind::kBus).count("inside") == 1);
}

TEST_CASE("a malformed recording line stops the rebuild and names the line") {
  CityState state;
  OutcomeCounts counts;
  Status status =
      RebuildText(R"({"topic":"transport.gps","timestamp":1,"value":{"busId":"b"}})"
                  "\n{broken\n",
                  {}, &state, &counts);
  CHECK(status.code() == StatusCode::kInvalidData);
  CHECK(status.message() == "input.ndjson:2: not a JSON line");
}

TEST_CASE("a set stop flag cancels the rebuild") {
  CityState state;
  OutcomeCounts counts;
  std::atomic<bool> stop{true};
  Status status =
      RebuildText(R"({"topic":"transport.gps","timestamp":1,"value":{"busId":"b"}})"
                  "\n",
                  {}, &state, &counts, &stop);
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK(counts.total() == 0);
}

// Ends its input as soon as a signal has arrived, as a pipe read interrupted
// by SIGINT can.
class InterruptedSource : public RecordSource {
 public:
  explicit InterruptedSource(std::atomic<bool>* stop) : stop_(stop) {}
  Result<std::optional<Record>> Next() override {
    stop_->store(true);
    return std::optional<Record>();
  }
  uint64_t Done() const override { return 0; }
  uint64_t Total() const override { return 0; }

 private:
  std::atomic<bool>* stop_;
};

TEST_CASE("a rebuild whose input ends because of a signal is cancelled, not complete") {
  std::atomic<bool> stop{false};
  InterruptedSource source(&stop);
  CityState state;
  OutcomeCounts counts;
  CHECK(Rebuild(&source, {}, &stop, &state, &counts).code() == StatusCode::kCancelled);
}

}  // namespace
}  // namespace twin
