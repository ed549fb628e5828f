// Benchmark of the Redis store on a redis-server it starts on loopback:
// load and save of the generated city, and batch writes of N changed
// entities read back through the change feed, at 1x and 10x city size. The
// batches are written as twin-ingest's flush writes them: fenced by the
// epochs of 36 partitions (nine topics, four partitions), with their 36
// positions, in one script.
//   bazel run //bench:store_bench
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/city_generator.h"
#include "lib/city/state_document.h"
#include "lib/city/topic.h"
#include "lib/city/update_rules.h"
#include "lib/store/redis_store.h"
#include "lib/testing/redis_server.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::unique_ptr<twin::RedisStore> Open(const twin::testing::RedisServer& server) {
  auto client = twin::RedisClient::Connect(*twin::RedisUrl::Parse(server.url()));
  return std::make_unique<twin::RedisStore>(std::move(client).value(), "laquila-dt-001");
}

void Run(int scale) {
  twin::testing::RedisServer server;
  if (!server.Start().ok()) {
    std::printf("cannot start redis-server\n");
    return;
  }
  auto store = Open(server);
  const twin::CityShape shape = twin::CityShape().Scaled(scale);
  twin::CityState city = twin::GenerateCity(shape, 1);
  const std::string doc = twin::SerializeCityState(city);
  std::printf("== %dx city: %zu districts, %zu edges, %.1f MB\n", scale,
              city.districts().size(), city.Count(twin::EntityKind::kEdge),
              doc.size() / 1e6);

  std::vector<double> load, save;
  for (int i = 0; i < 3; ++i) {
    auto start = Clock::now();
    auto parsed = twin::ParseCityState(doc);  // what `twin-snapshot load` does
    if (!store->Replace(*parsed).ok()) return;
    load.push_back(Ms(start));
    start = Clock::now();
    auto read = store->Read();
    const size_t bytes = twin::SerializeCityState(read->state).size();
    save.push_back(Ms(start));
    if (bytes != doc.size()) std::printf("  save differs!\n");
  }
  std::printf(
      "load (parse + write): %.0f ms, save (read + serialise): %.0f ms (median of 3)\n",
      Median(load), Median(save));

  std::vector<twin::PartitionId> partitions;
  for (std::string_view topic : twin::kTopicNames) {
    for (int32_t p = 0; p < 4; ++p) partitions.emplace_back(std::string(topic), p);
  }
  const twin::Epochs epochs = *store->TakeEpochs(partitions);
  const std::string incarnation = store->Read()->incarnation;
  int64_t offset = 0;
  twin::StreamGenerator generator(shape, twin::StreamShape{0, 0, 0, 0, 4, 100}, 9);
  for (int n : {1000, 10000}) {
    std::vector<double> collect_ms, write_ms, feed_ms;
    for (int round = 0; round < 5; ++round) {
      std::set<twin::EntityRef> changed;
      while (changed.size() < static_cast<size_t>(n)) {
        twin::Record r = generator.Next();
        auto result = twin::ApplyMessage(
            &city,
            twin::InputMessage{*twin::TopicFromName(r.topic), r.value, r.timestamp_ms});
        if (result.outcome == twin::Outcome::kApplied) changed.insert(result.target);
      }
      const twin::FeedCursor cursor = store->Read()->cursor;
      auto start = Clock::now();
      twin::ChangeBatch batch = twin::ChangeBatch::Collect(city, changed, {});
      collect_ms.push_back(Ms(start));
      batch.city_must_exist = true;
      batch.incarnation = incarnation;
      batch.epochs = epochs;
      offset += n / 36;
      for (const twin::PartitionId& partition : partitions)
        batch.positions[partition] = twin::Offset(offset);
      if (twin::Status status = store->Write(batch); !status.ok()) {
        std::printf("write refused: %s\n", status.message().c_str());
        return;
      }
      write_ms.push_back(Ms(start));
      start = Clock::now();
      auto feed = store->ReadFeed(cursor, 100);
      auto values = store->ReadEntities(feed->changed);
      feed_ms.push_back(Ms(start));
      if (values->values.size() != static_cast<size_t>(n))
        std::printf("  feed lost changes!\n");
    }
    std::printf(
        "batch of %5d entities: %.1f ms in all (serialise %.1f, write to Redis "
        "%.1f); read back through the feed %.1f ms (median of 5)\n",
        n, Median(write_ms), Median(collect_ms), Median(write_ms) - Median(collect_ms),
        Median(feed_ms));
  }
}

}  // namespace

int main() {
  Run(1);
  Run(10);
}
