// Benchmark of twin's diff engine against jsondiffpatch 0.7 on node, side
// by side in one run: the generated design-scale city before and after 500,
// 5,000 and 50,000 generated messages; diff and patch, parsing excluded.
//   bazel run //bench:diff_bench   (needs node and scripts/setup's npm cache)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "bench/bench_util.h"
#include "bench/city_generator.h"
#include "lib/city/state_document.h"
#include "lib/city/update_rules.h"
#include "lib/json/json_diff.h"
#include "lib/json/json_tape.h"

namespace {

using twin::bench::MedianMs;
using twin::bench::PeakRssMb;
using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  twin::CityState city = twin::GenerateCity(twin::CityShape(), 1);
  const std::string before = twin::SerializeCityState(city);
  const std::string before_path = dir + "/twin-diff-bench-0.json";
  std::ofstream(before_path) << before;
  const nlohmann::json left = nlohmann::json::parse(before);
  // The tapes share their keys, as twin-diff's two documents do.
  auto keys = std::make_shared<twin::JsonKeys>();
  const twin::JsonTape left_tape = twin::JsonTape::Parse(before, keys).value();

  twin::StreamGenerator stream(twin::CityShape(), twin::StreamShape(), 3);
  std::string node_args;
  std::vector<int> counts = {500, 5000, 50000};
  int applied = 0;
  // "ours": DiffText over JsonTapes (twin-diff's path); "tree": Diff over
  // nlohmann trees (twin-publish's per-entity path), for comparison.
  std::printf("%-9s %9s | %9s %9s %9s %7s | %9s %9s %7s | %9s\n", "messages", "delta KB",
              "ours ms", "tree ms", "jdp ms", "ratio", "patch ms", "jdp ms", "ratio",
              "docs MB");
  std::vector<nlohmann::json> rights;
  std::vector<twin::JsonTape> right_tapes;
  std::vector<std::string> paths;
  for (int n : counts) {
    while (applied < n) {
      twin::Record r = stream.Next();
      twin::ApplyMessage(&city, {*twin::TopicFromName(r.topic), r.value, r.timestamp_ms});
      ++applied;
    }
    const std::string after = twin::SerializeCityState(city);
    paths.push_back(dir + "/twin-diff-bench-" + std::to_string(n) + ".json");
    std::ofstream(paths.back()) << after;
    node_args += " " + before_path + " " + paths.back();
    rights.push_back(nlohmann::json::parse(after));
    right_tapes.push_back(twin::JsonTape::Parse(after, keys).value());
  }
  // jsondiffpatch first, in its own process.
  const std::string npm = std::getenv("TWIN_NPM_DIR") != nullptr
                              ? std::getenv("TWIN_NPM_DIR")
                              : std::string(std::getenv("HOME")) + "/.cache/twin-npm";
  const std::string script =
      std::string(std::getenv("BENCH_DIR") ? std::getenv("BENCH_DIR") : "bench") +
      "/jsondiffpatch_bench.mjs";
  const std::string command = "NODE_PATH=" + npm + "/node_modules node " + script + " " +
                              std::to_string(runs) + node_args;
  FILE* node = popen(command.c_str(), "r");
  std::vector<std::pair<double, double>> theirs;
  char line[512];
  while (node != nullptr && std::fgets(line, sizeof line, node) != nullptr) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object())
      theirs.emplace_back(j["diff_ms"].get<double>(), j["patch_ms"].get<double>());
  }
  if (node != nullptr) pclose(node);

  for (size_t i = 0; i < counts.size(); ++i) {
    // Ours: what twin-diff does, the delta's text straight from the tapes.
    // Each run's text is kept, so that freeing it is not timed (as
    // jsondiffpatch's side leaves freeing to the garbage collector).
    std::vector<std::optional<std::string>> texts;
    texts.reserve(runs);
    const double diff_ms = MedianMs(
        runs, [&] { texts.push_back(twin::DiffText(left_tape, right_tapes[i])); });
    std::vector<std::optional<nlohmann::json>> trees;
    trees.reserve(runs);
    const double tree_ms =
        MedianMs(runs, [&] { trees.push_back(twin::Diff(left, rights[i])); });
    const std::optional<nlohmann::json>& delta = trees.back();
    if (!delta || !texts.back() || *texts.back() != twin::DeltaToText(*delta)) {
      std::fprintf(stderr, "the tape and tree deltas differ at %d messages\n", counts[i]);
      return 1;
    }
    // Patch consumes its input; copying it and freeing the result are not
    // timed (jsondiffpatch's side leaves freeing to the garbage collector).
    std::vector<nlohmann::json> copies(runs, left);
    std::vector<twin::Result<nlohmann::json>> results;
    results.reserve(runs);
    int k = 0;
    const double patch_ms = MedianMs(
        runs, [&] { results.push_back(twin::Patch(std::move(copies[k++]), *delta)); });
    const std::string& text = *texts.back();  // checked equal to the tree's above
    const double jd = i < theirs.size() ? theirs[i].first : 0;
    const double jp = i < theirs.size() ? theirs[i].second : 0;
    std::printf("%-9d %9.1f | %9.1f %9.1f %9.1f %6.1fx | %9.1f %9.1f %6.1fx | %9.1f\n",
                counts[i], text.size() / 1e3, diff_ms, tree_ms, jd, jd / diff_ms,
                patch_ms, jp, jp / patch_ms, 2 * before.size() / 1e6);
  }
  std::printf(
      "peak RSS of this process (every document held as text, tree and tape): %.0f MB\n",
      PeakRssMb());
  return 0;
}
