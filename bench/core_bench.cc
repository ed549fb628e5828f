// Benchmark of the pure core: decode + validate + apply of a generated
// message stream on one thread, and parsing / serialising the whole city.
// Prints its figures; BENCHMARKS.md records them with this command:
//   bazel run //bench:core_bench -- [messages]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/bench_util.h"
#include "bench/city_generator.h"
#include "lib/city/outcome_counts.h"
#include "lib/city/state_document.h"
#include "lib/city/update_rules.h"

namespace {

using twin::bench::MedianMs;
using twin::bench::PeakRssMb;
}  // namespace

int main(int argc, char** argv) {
  const uint64_t messages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const twin::CityShape shape;
  twin::CityState city = twin::GenerateCity(shape, 1);
  const std::string document = twin::SerializeCityState(city);
  std::printf("city: %zu districts, %zu edges, %.2f MB document\n",
              city.districts().size(), city.Count(twin::EntityKind::kEdge),
              document.size() / 1e6);

  std::printf("RSS with the city in memory: %.0f MB\n", PeakRssMb());
  size_t sink = 0;
  std::printf("serialise city:  %.1f ms (median of 9)\n",
              MedianMs(9, [&] { sink += twin::SerializeCityState(city).size(); }));
  std::printf("parse+load city: %.1f ms (median of 5)\n", MedianMs(5, [&] {
                sink += twin::ParseCityState(document)->districts().size();
              }));

  struct Message {
    twin::Topic topic;
    std::string value;
    int64_t ts;
  };
  std::vector<Message> stream;
  stream.reserve(messages);
  twin::StreamGenerator generator(shape, twin::StreamShape(), 2);
  size_t bytes = 0;
  for (uint64_t i = 0; i < messages; ++i) {
    twin::Record r = generator.Next();
    bytes += r.value.size();
    stream.push_back({*twin::TopicFromName(r.topic), std::move(r.value), r.timestamp_ms});
  }
  const double rss_before = PeakRssMb();
  twin::OutcomeCounts counts;
  const auto start = std::chrono::steady_clock::now();
  for (const Message& m : stream) {
    counts.Add(twin::ApplyMessage(&city, twin::InputMessage{m.topic, m.value, m.ts}));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "apply: %llu messages (avg %.0f bytes) in %.3f s = %.0f msg/s, one thread\n",
      static_cast<unsigned long long>(messages), static_cast<double>(bytes) / messages,
      seconds, messages / seconds);
  std::printf("outcomes: %s\n", counts.ToText().c_str());
  std::printf(
      "peak RSS: %.0f MB; applying added %.0f MB to the pre-generated "
      "stream and city\n",
      PeakRssMb(), PeakRssMb() - rss_before);
  return sink == 0;
}
