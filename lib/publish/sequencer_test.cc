#include "lib/publish/sequencer.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <vector>

namespace twin {
namespace {

using Kind = Sequencer::Kind;
using Outcome = Sequencer::Outcome;

TEST_CASE("The first document is a state.full with sequence 1") {
  Sequencer s;
  CHECK(s.Next(Kind::kIncremental) == Kind::kFull);
  CHECK(s.sequence() == Sequence(1));
}

TEST_CASE(
    "An acknowledged state.full clears the debt; incrementals then follow in order") {
  Sequencer s;
  s.Sent(Kind::kFull, Outcome::kAcknowledged);
  CHECK(s.Next(Kind::kIncremental) == Kind::kIncremental);
  CHECK(s.sequence() == Sequence(2));
  s.Sent(Kind::kIncremental, Outcome::kAcknowledged);
  CHECK(s.sequence() == Sequence(3));
}

TEST_CASE("A send the broker did not store goes again under the same sequence") {
  Sequencer s;
  s.Sent(Kind::kFull, Outcome::kAcknowledged);
  s.Sent(Kind::kIncremental, Outcome::kNotStored);
  CHECK(s.sequence() == Sequence(2));
  CHECK(s.Next(Kind::kIncremental) == Kind::kIncremental);
}

TEST_CASE("A send in doubt burns its sequence and owes a state.full") {
  Sequencer s;
  s.Sent(Kind::kFull, Outcome::kAcknowledged);
  s.Sent(Kind::kIncremental, Outcome::kInDoubt);
  CHECK(s.sequence() == Sequence(3));
  CHECK(s.Next(Kind::kIncremental) == Kind::kFull);
}

TEST_CASE("A state.full owed by the caller comes next, then incrementals again") {
  Sequencer s;
  s.Sent(Kind::kFull, Outcome::kAcknowledged);
  s.OweFull();
  CHECK(s.Next(Kind::kIncremental) == Kind::kFull);
  s.Sent(Kind::kFull, Outcome::kAcknowledged);
  CHECK(s.Next(Kind::kIncremental) == Kind::kIncremental);
}

// Every run of up to 7 sends, each wanting a full or an incremental and
// ending in any of the three outcomes (6^7 = 279,936 runs), checked against
// what a consumer of Kafka may see: the documents that are, or may be, in
// Kafka (acknowledged or in doubt).
TEST_CASE("Every order of outcomes keeps the consumer's invariants") {
  const std::vector<Kind> kinds = {Kind::kFull, Kind::kIncremental};
  const std::vector<Outcome> outcomes = {Outcome::kAcknowledged, Outcome::kNotStored,
                                         Outcome::kInDoubt};
  constexpr int kLength = 7;
  int runs = 0;
  std::vector<int> choice(kLength, 0);
  for (;;) {
    Sequencer s;
    // sequence -> kind, of the sends that are or may be in Kafka.
    std::map<uint64_t, Kind> maybe_in_kafka;
    std::vector<std::pair<uint64_t, Kind>> acknowledged;
    std::set<uint64_t> in_doubt;
    bool first = true;
    for (int i = 0; i < kLength; ++i) {
      const Kind wanted = kinds[choice[i] % 2];
      const Outcome outcome = outcomes[choice[i] / 2];
      const Kind kind = s.Next(wanted);
      const uint64_t sequence = s.sequence().value();
      if (first) REQUIRE(kind == Kind::kFull);  // the first document is a full
      // Never two documents that may both be in Kafka with one sequence.
      REQUIRE(maybe_in_kafka.count(sequence) == 0);
      s.Sent(kind, outcome);
      if (outcome != Outcome::kNotStored) maybe_in_kafka[sequence] = kind;
      if (outcome == Outcome::kAcknowledged) {
        acknowledged.emplace_back(sequence, kind);
        first = false;
      }
      if (outcome == Outcome::kInDoubt) in_doubt.insert(sequence);
    }
    // Acknowledged sequences rise; a gap between two of them is only ever
    // in-doubt sequences, and the document after a gap is a state.full.
    for (size_t i = 1; i < acknowledged.size(); ++i) {
      const auto [previous, _] = acknowledged[i - 1];
      const auto [sequence, kind] = acknowledged[i];
      REQUIRE(sequence > previous);
      for (uint64_t missing = previous + 1; missing < sequence; ++missing) {
        REQUIRE(in_doubt.count(missing) == 1);
      }
      if (sequence != previous + 1) REQUIRE(kind == Kind::kFull);
    }
    ++runs;
    int i = 0;
    while (i < kLength && ++choice[i] == 6) choice[i++] = 0;
    if (i == kLength) break;
  }
  CHECK(runs == 279936);
}

}  // namespace
}  // namespace twin
