// The compute of one twin-publish tick, in one process, with no Redis and no
// broker: after N generated messages, the changed entities' texts (as the
// store holds them) are parsed, put in a mirror of the city with their old
// values in a ChangeLog, diffed (ChangeLog::Prepare), composed into a
// delta, and the delta written as text. The phases are those of
// PublishRun::FollowFeed, FollowBetweenTicks and PublishIncremental: in the
// service all but the last run between ticks, as the changes come. The
// store's HMGET and the broker's ack are not included
// (bench/publish_bench.sh measures the service).
//   bazel run //bench:tick_bench -- [scale] [messages] [runs]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/city_generator.h"
#include "lib/base/parallel.h"
#include "lib/city/topic.h"
#include "lib/city/update_rules.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_writer.h"
#include "lib/publish/state_delta.h"

namespace twin {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int Main(int scale, int messages, int runs) {
  const CityShape shape = CityShape().Scaled(scale);
  const CityState before = GenerateCity(shape, 1);
  // The changes: the generator's stream through the rules, as twin-ingest
  // applies it; refs sorted as its flush writes them to the feed.
  CityState after = before;
  StreamShape stream;
  stream.bad_share = 0;
  StreamGenerator generator(shape, stream, static_cast<uint64_t>(messages));
  std::set<EntityRef> changed;
  for (int i = 0; i < messages; ++i) {
    const Record r = generator.Next();
    const ApplyResult result = ApplyMessage(
        &after, InputMessage{*TopicFromName(r.topic), r.value, r.timestamp_ms});
    if (result.outcome == Outcome::kApplied) changed.insert(result.target);
  }
  std::vector<EntityRef> refs(changed.begin(), changed.end());
  std::vector<std::string> texts;
  for (const EntityRef& ref : refs) texts.push_back(ToJsonText(*after.Find(ref)));
  std::printf("%dx city, %d messages: %zu changed entities\n", scale, messages,
              refs.size());

  std::vector<double> parse_ms, mirror_ms, prepare_ms, compose_ms, total_ms;
  size_t delta_bytes = 0;
  for (int run = 0; run < runs; ++run) {
    CityState mirror = before;  // a fresh mirror at S(k-1) for every run
    EntityRanks ranks;
    ranks.Prepare(mirror);
    ChangeLog log;
    const auto start = Clock::now();
    std::vector<Json> values(texts.size());
    // On all cores, as RedisStore::ReadEntities parses them.
    std::atomic<bool> parsed{true};
    ParallelFor(texts.size(), 256, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        if (!ParseJson(texts[i], &values[i])) parsed = false;
      }
    });
    if (!parsed) return 1;
    parse_ms.push_back(MsSince(start));
    auto phase = Clock::now();
    for (size_t i = 0; i < refs.size(); ++i) {
      ApplyChange(refs[i], std::move(values[i]), &mirror, &log);
    }
    mirror_ms.push_back(MsSince(phase));
    phase = Clock::now();
    log.Prepare(mirror, &ranks);
    prepare_ms.push_back(MsSince(phase));
    phase = Clock::now();
    // The delta's text, as twin-publish sends it (written as it is composed).
    const std::optional<std::string> text = ComposeDelta(
        mirror, &log, "2025-12-08T08:00:00.000Z", "2025-12-08T08:00:01.000Z", {}, &ranks);
    compose_ms.push_back(MsSince(phase));
    total_ms.push_back(MsSince(start));
    delta_bytes = text ? text->size() : 0;
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf(
      "medians of %d runs: parse %.2f ms, mirror and log %.2f ms, entity deltas "
      "%.2f ms, compose (to text) %.2f ms; in all %.2f ms (%.2f us per entity); "
      "delta %zu bytes\n",
      runs, median(parse_ms), median(mirror_ms), median(prepare_ms), median(compose_ms),
      median(total_ms), 1000 * median(total_ms) / refs.size(), delta_bytes);
  std::printf("peak RSS %.0f MB\n", bench::PeakRssMb());
  return 0;
}

}  // namespace
}  // namespace twin

int main(int argc, char** argv) {
  const int scale = argc > 1 ? std::atoi(argv[1]) : 1;
  const int messages = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  if (scale < 1 || messages < 1 || runs < 1) {
    std::fprintf(stderr, "usage: tick_bench [scale >= 1] [messages >= 1] [runs >= 1]\n");
    return 2;
  }
  return twin::Main(scale, messages, runs);
}
