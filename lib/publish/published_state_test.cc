#include "lib/publish/published_state.h"

#include <catch2/catch.hpp>
#include <thread>

namespace twin {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<PublishedDocument> Document(uint64_t sequence, const char* text) {
  auto document =
      std::make_shared<PublishedDocument>(Sequence(sequence), MicrosSinceEpoch(1000));
  if (text != nullptr) document->SetText(text);
  return document;
}

TEST_CASE("before the first publish there is no document, and nothing is waited for") {
  PublishedState published;
  CHECK(published.Last() == nullptr);
  CHECK(published.Readable(1h) == nullptr);
  CHECK_FALSE(published.RenderWanted());
}

TEST_CASE("a published document is the last one, counted in the same step") {
  PublishedState published;
  published.Published(Document(1, "{}"), [](PublishMetrics& m) { m.full = 1; });
  CHECK(published.Last()->sequence == Sequence(1));
  CHECK(published.Metrics().full == 1);
  CHECK(published.Readable(1h)->text() == "{}");  // has its text: no wait
  CHECK_FALSE(published.RenderWanted());
}

TEST_CASE("a reader of a document without text asks for it and takes it when ready") {
  PublishedState published;
  published.Published(Document(1, "one"), [](PublishMetrics&) {});
  auto second = Document(2, nullptr);
  published.Published(second, [](PublishMetrics&) {});
  std::thread renderer([&] {
    while (!published.RenderWanted()) std::this_thread::sleep_for(1ms);
    second->SetText("two");
    published.TextReady(second);
  });
  const auto read = published.Readable(1h);  // returns once rendered
  renderer.join();
  CHECK(read->sequence == Sequence(2));
  CHECK(read->text() == "two");
  CHECK_FALSE(published.RenderWanted());
}

TEST_CASE("a reader that waits in vain gets the newest document that has a text") {
  PublishedState published;
  published.Published(Document(1, "one"), [](PublishMetrics&) {});
  published.Published(Document(2, nullptr), [](PublishMetrics&) {});
  const auto read = published.Readable(1ms);
  CHECK(read->sequence == Sequence(1));
  CHECK(read->text() == "one");
  CHECK(published.RenderWanted());  // still asked for
}

}  // namespace
}  // namespace twin
