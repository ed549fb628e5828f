#include "lib/publish/change_stream.h"

#include <catch2/catch.hpp>
#include <thread>

namespace twin {
namespace {

using std::chrono::milliseconds;

TEST_CASE("An SSE event carries its id, name and data on one line") {
  CHECK(SseEvent(Sequence(7), "full", "{\"a\":\n1}") ==
        "id: 7\nevent: full\ndata: {\"a\":1}\n\n");
}

TEST_CASE("A new client is greeted with the last sequence and nothing missed") {
  ChangeStream stream;
  stream.Publish(Sequence(4), "full", "{}");
  auto client = stream.Subscribe(std::nullopt);
  REQUIRE(client);
  CHECK(client->Next(milliseconds(0)) ==
        "id: 4\nevent: hello\ndata: {\"sequence\":4,\"missed\":false}\n\n");
}

TEST_CASE("A reconnecting client is told whether it missed a document") {
  ChangeStream stream;
  stream.Publish(Sequence(5), "incremental", "{}");
  stream.Publish(Sequence(6), "incremental", "{}");
  CHECK(stream.Subscribe(Sequence(6))->Next(milliseconds(0))->find("\"missed\":false") !=
        std::string::npos);
  CHECK(stream.Subscribe(Sequence(5))->Next(milliseconds(0))->find("\"missed\":true") !=
        std::string::npos);
  // A sequence from before a restart that counted again is missed too.
  CHECK(stream.Subscribe(Sequence(900))->Next(milliseconds(0))->find("\"missed\":true") !=
        std::string::npos);
}

TEST_CASE("Before the first publish, a client that has a sequence missed something") {
  ChangeStream stream;
  CHECK(stream.Subscribe(Sequence(3))->Next(milliseconds(0)) ==
        "id: 0\nevent: hello\ndata: {\"sequence\":null,\"missed\":true}\n\n");
}

TEST_CASE("Events reach every client in order") {
  ChangeStream stream;
  auto a = stream.Subscribe(std::nullopt);
  auto b = stream.Subscribe(std::nullopt);
  a->Next(milliseconds(0));
  b->Next(milliseconds(0));
  stream.Publish(Sequence(1), "full", "{\"sequence\":1}");
  stream.Publish(Sequence(2), "incremental", "{\"sequence\":2}");
  const std::string both =
      "id: 1\nevent: full\ndata: {\"sequence\":1}\n\n"
      "id: 2\nevent: incremental\ndata: {\"sequence\":2}\n\n";
  CHECK(a->Next(milliseconds(0)) == both);
  CHECK(b->Next(milliseconds(0)) == both);
}

TEST_CASE("Next waits for an event and says so with an empty string when none came") {
  ChangeStream stream;
  auto client = stream.Subscribe(std::nullopt);
  client->Next(milliseconds(0));
  CHECK(client->Next(milliseconds(1)) == "");
  std::thread publisher([&] { stream.Publish(Sequence(1), "full", "{}"); });
  std::optional<std::string> got;
  // Bounded: the event arrives well within this, or the check fails.
  for (int i = 0; i < 100 && (!got || got->empty()); ++i)
    got = client->Next(milliseconds(100));
  publisher.join();
  CHECK(got == "id: 1\nevent: full\ndata: {}\n\n");
}

TEST_CASE("A client that falls behind past its bound is dropped, the others are not") {
  ChangeStream stream(ChangeStreamOptions{8, 200});
  auto slow = stream.Subscribe(std::nullopt);
  auto fast = stream.Subscribe(std::nullopt);
  const std::string data(60, 'x');
  for (uint64_t s = 1; s <= 5; ++s) {
    stream.Publish(Sequence(s), "incremental", data);
    fast->Next(milliseconds(0));  // keeps up
  }
  CHECK(slow->dropped());
  CHECK(slow->Next(milliseconds(0)) == std::nullopt);
  CHECK_FALSE(fast->dropped());
  CHECK(stream.clients() == 1);
  CHECK(stream.dropped_total() == 1);
}

TEST_CASE("An event larger than the bound still reaches a client that keeps up") {
  ChangeStream stream(ChangeStreamOptions{8, 100});
  auto client = stream.Subscribe(std::nullopt);
  client->Next(milliseconds(0));
  stream.Publish(Sequence(1), "incremental", std::string(500, 'x'));
  CHECK_FALSE(client->dropped());
  CHECK(client->Next(milliseconds(0))->size() > 500);
  stream.Publish(Sequence(2), "incremental", std::string(500, 'y'));
  stream.Publish(Sequence(3), "incremental",
                 "{}");  // the 500 bytes still queued: over the bound
  CHECK(client->dropped());
}

TEST_CASE("Past max_clients a subscription is refused") {
  ChangeStream stream(ChangeStreamOptions{2, 1000});
  auto a = stream.Subscribe(std::nullopt);
  auto b = stream.Subscribe(std::nullopt);
  CHECK(stream.Subscribe(std::nullopt) == nullptr);
  stream.Unsubscribe(a);
  CHECK(stream.Subscribe(std::nullopt) != nullptr);
}

TEST_CASE("Close ends every stream once its queue is read") {
  ChangeStream stream;
  auto client = stream.Subscribe(std::nullopt);
  stream.Close();
  CHECK(client->Next(milliseconds(0))->find("hello") != std::string::npos);
  CHECK(client->Next(milliseconds(0)) == std::nullopt);
  CHECK_FALSE(stream.has_clients());
  CHECK(stream.Subscribe(std::nullopt) == nullptr);
}

}  // namespace
}  // namespace twin
