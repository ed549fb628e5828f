#include "lib/publish/document_sink.h"

#include <catch2/catch.hpp>

#include "lib/kafka/fake_producer.h"
#include "lib/testing/fake_clock.h"

namespace twin {
namespace {

using Outcome = Sequencer::Outcome;

struct Harness {
  Harness() {
    KafkaSettings settings;
    auto made = DocumentSink::Create(producer.Factory(), settings, "city-7", &clock);
    REQUIRE(made.ok());
    sink = std::move(*made);
  }
  Outcome Send() {
    return sink->Send("state.full", "{}", FullStateHeaders(Sequence(1))).outcome;
  }

  FakeClock clock;
  FakeProducer producer;
  std::unique_ptr<DocumentSink> sink;
};

TEST_CASE("a document the broker stored is acknowledged, keyed by the city") {
  Harness h;
  CHECK(h.Send() == Outcome::kAcknowledged);
  REQUIRE(h.producer.sent.size() == 1);
  CHECK(h.producer.sent[0].topic == "state.full");
  CHECK(h.producer.sent[0].key == std::optional<std::string>("city-7"));
  CHECK(h.producer.sent_values[0] == "{}");
  CHECK(h.producer.sent[0].headers == FullStateHeaders(Sequence(1)));
}

TEST_CASE("a document the producer refused was not stored") {
  Harness h;
  h.producer.refuse = SendFailure::kPermanent;
  CHECK(h.Send() == Outcome::kNotStored);
}

TEST_CASE("a failure the broker surely did not store is not stored") {
  Harness h;
  h.producer.answer = SendFailure::kRetriable;
  CHECK(h.Send() == Outcome::kNotStored);
}

TEST_CASE("a failure after which the broker may hold the document is in doubt") {
  Harness h;
  h.producer.answer = SendFailure::kRetriable;
  h.producer.answer_maybe_stored = true;
  CHECK(h.Send() == Outcome::kInDoubt);
}

TEST_CASE(
    "a document too large for the topic is not stored, and the limit is asked for") {
  Harness h;
  h.producer.answer = SendFailure::kPermanent;
  h.producer.answer_too_large = true;
  CHECK(h.Send() == Outcome::kNotStored);
}

TEST_CASE("no answer within the ack timeout is in doubt") {
  Harness h;
  h.sink->set_ack_timeout(std::chrono::seconds(2));
  h.producer.silent = true;
  CHECK(h.Send() == Outcome::kInDoubt);
  CHECK(h.producer.flushes == 20);  // waited 2 s, in 100 ms steps
}

TEST_CASE("a late answer to an earlier document is not taken for this one's") {
  Harness h;
  h.sink->set_ack_timeout(std::chrono::seconds(1));
  h.producer.silent = true;
  REQUIRE(h.Send() == Outcome::kInDoubt);  // message 1, still in flight
  h.producer.silent = false;
  h.producer.unanswered = {2};  // message 1 is acknowledged now, 2 never
  CHECK(h.Send() == Outcome::kInDoubt);
  CHECK(h.producer.in_flight == std::deque<uint64_t>{2});
}

TEST_CASE("an acknowledgement reports how long the broker took") {
  Harness h;
  h.producer.silent = true;
  h.clock.At(h.clock.elapsed() + std::chrono::milliseconds(350),
             [&] { h.producer.silent = false; });
  // The fake producer does not sleep: the test moves the clock per wait.
  h.producer.on_flush = [&] { h.clock.Advance(std::chrono::milliseconds(100)); };
  const SendReport report =
      h.sink->Send("state.full", "{}", FullStateHeaders(Sequence(1)));
  CHECK(report.outcome == Outcome::kAcknowledged);
  CHECK(report.ack_wait == std::chrono::milliseconds(400));
}

}  // namespace
}  // namespace twin
