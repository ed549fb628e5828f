#include "lib/ingest/dead_letters.h"

#include <catch2/catch.hpp>

#include "lib/kafka/fake_producer.h"

namespace twin {
namespace {

struct Harness {
  // `silent`: the broker answers nothing until told.
  explicit Harness(DeadLetterLimits limits = {}, bool silent = false) {
    auto made = DeadLetterProducer::Create(
        "twin.deadletter", limits,
        [this](
            Producer::DeliveryHandler on_delivery) -> Result<std::unique_ptr<Producer>> {
          auto fake = std::make_unique<FakeProducer>(std::move(on_delivery));
          producer = fake.get();
          return std::unique_ptr<Producer>(std::move(fake));
        },
        [this](const DeadLetterStats& stats) { last_stats = stats; });
    REQUIRE(made.ok());
    dead_letters = std::move(*made);
    producer->silent = silent;
  }
  FakeProducer* producer = nullptr;
  std::unique_ptr<DeadLetterProducer> dead_letters;
  DeadLetterStats last_stats;
};

DeadLetterLimits Bound(size_t count, size_t bytes) {
  DeadLetterLimits limits;
  limits.max_waiting = count;
  limits.max_waiting_bytes = bytes;
  return limits;
}

DeadLetter Letter(int64_t offset, std::string value = "{bad",
                  std::string reason = "invalid-json") {
  DeadLetter letter;
  letter.source_topic = "transport.gps";
  letter.source_partition = 2;
  letter.source_offset = offset;
  letter.key = "bus-1";
  letter.value = std::move(value);
  letter.timestamp_ms = 1765188000000;
  letter.reason = std::move(reason);
  return letter;
}

std::string Header(const OutgoingMessage& message, const std::string& name) {
  for (const auto& [key, value] : message.headers) {
    if (key == name) return value;
  }
  return "<none>";
}

TEST_CASE("a dead letter carries the message, its key and time, and where it came from") {
  Harness h;
  h.dead_letters->Add(Letter(17, "{bad", "missing-field:busId"));
  REQUIRE(h.producer->sent.size() == 1);
  const OutgoingMessage& sent = h.producer->sent[0];
  CHECK(sent.topic == "twin.deadletter");
  CHECK(h.producer->sent_values[0] == "{bad");
  CHECK(sent.key == std::optional<std::string>("bus-1"));
  CHECK(sent.timestamp_ms == 1765188000000);
  CHECK(Header(sent, "source-topic") == "transport.gps");
  CHECK(Header(sent, "source-partition") == "2");
  CHECK(Header(sent, "source-offset") == "17");
  CHECK(Header(sent, "error") == "missing-field:busId");
}

TEST_CASE("a commit waits for the acknowledgement of every dead letter") {
  Harness h;
  h.dead_letters->Add(Letter(1));
  CHECK(h.last_stats.waiting == 1);
  h.producer->silent = true;
  CHECK_FALSE(h.dead_letters->SettleForCommit());  // no answer: no commit
  h.producer->silent = false;
  CHECK(h.dead_letters->SettleForCommit());
  CHECK(h.last_stats.waiting == 0);
  CHECK(h.last_stats.failed == 0);
}

TEST_CASE("a delivery that failed for a passing reason is sent again before the commit") {
  Harness h;
  h.dead_letters->Add(Letter(1));
  h.producer->answer = SendFailure::kRetriable;
  h.dead_letters->Poll();
  CHECK(h.last_stats.waiting == 1);  // kept, not given up on
  CHECK(h.producer->sent.size() == 1);
  h.producer->answer = SendFailure::kNone;
  CHECK(h.dead_letters->SettleForCommit());
  CHECK(h.producer->sent.size() == 2);  // sent again
  CHECK(Header(h.producer->sent[1], "source-offset") == "1");
  CHECK(h.last_stats.failed == 0);
}

TEST_CASE("a delivery that cannot succeed is given up on, counted, and does not stall") {
  Harness h;
  h.dead_letters->Add(Letter(1));
  h.producer->answer = SendFailure::kPermanent;
  CHECK(h.dead_letters->SettleForCommit());  // the commit goes ahead
  CHECK(h.last_stats.failed == 1);
  CHECK(h.last_stats.last_error == "broker says no");
  CHECK(h.last_stats.waiting == 0);
  CHECK(h.producer->sent.size() == 1);  // never sent again
}

TEST_CASE("a dead letter the producer refuses at once is given up on or kept by why") {
  Harness h;
  h.producer->refuse = SendFailure::kPermanent;  // too large for the producer
  h.dead_letters->Add(Letter(1));
  CHECK(h.last_stats.failed == 1);
  CHECK(h.last_stats.waiting == 0);
  h.producer->refuse = SendFailure::kRetriable;
  h.dead_letters->Add(Letter(2));
  CHECK(h.last_stats.waiting == 1);
  h.producer->refuse = SendFailure::kNone;
  CHECK(h.dead_letters->SettleForCommit());  // sent again, then acknowledged
  CHECK(h.producer->sent.size() == 3);
}

TEST_CASE("past the bound on waiting dead letters a new one is dropped and counted") {
  Harness h(Bound(2, size_t{1} << 20), /*silent=*/true);
  for (int i = 0; i < 3; ++i) h.dead_letters->Add(Letter(i));
  CHECK(h.producer->sent.size() == 2);
  CHECK(h.last_stats.dropped == 1);
  CHECK(h.last_stats.waiting == 2);
  CHECK(h.last_stats.last_error == "too many dead letters waiting for the broker");
  h.producer->silent = false;
  CHECK(h.dead_letters->SettleForCommit());
  h.dead_letters->Add(Letter(9));  // room again
  CHECK(h.producer->sent.size() == 3);
}

TEST_CASE("the bound counts the bytes of the waiting values too") {
  Harness h(Bound(100, 10), /*silent=*/true);
  h.dead_letters->Add(Letter(1, "123456"));
  h.dead_letters->Add(Letter(2, "123456"));  // 12 bytes: over
  CHECK(h.last_stats.dropped == 1);
  h.producer->silent = false;
  h.dead_letters->Poll();  // acknowledged: its bytes are free again
  h.dead_letters->Add(Letter(3, "123456"));
  CHECK(h.last_stats.dropped == 1);
  CHECK(h.producer->sent.size() == 2);
}

TEST_CASE("a producer that cannot be made is an error naming why") {
  auto made = DeadLetterProducer::Create(
      "t", {},
      [](Producer::DeliveryHandler) -> Result<std::unique_ptr<Producer>> {
        return Status::Unavailable("no brokers");
      },
      nullptr);
  REQUIRE_FALSE(made.ok());
  CHECK(made.status().message().find("no brokers") != std::string::npos);
}

}  // namespace
}  // namespace twin
