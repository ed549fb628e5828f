#include "lib/base/parallel.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace twin {
namespace {

TEST_CASE("ParallelFor covers every index exactly once") {
  for (size_t n : {0u, 1u, 7u, 100u, 10001u}) {
    std::vector<std::atomic<int>> seen(n);
    ParallelFor(n, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) seen[i].fetch_add(1);
    });
    for (size_t i = 0; i < n; ++i) REQUIRE(seen[i].load() == 1);
  }
}

TEST_CASE("ParallelFor splits long loops into disjoint ranges on several threads") {
  std::mutex mutex;
  std::vector<std::pair<size_t, size_t>> ranges;
  std::set<std::thread::id> threads;
  ParallelFor(1000, 1, [&](size_t begin, size_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    ranges.emplace_back(begin, end);
    threads.insert(std::this_thread::get_id());
  });
  const size_t expected =
      std::min<size_t>(kMaxWays, std::max(1u, std::thread::hardware_concurrency()));
  REQUIRE(ranges.size() == expected);
  REQUIRE(threads.size() == expected);
}

TEST_CASE("ParallelFor runs short loops on the caller alone") {
  std::vector<std::thread::id> threads;
  ParallelFor(10, 64, [&](size_t begin, size_t end) {
    threads.push_back(std::this_thread::get_id());
    REQUIRE(begin == 0);
    REQUIRE(end == 10);
  });
  REQUIRE(threads == std::vector<std::thread::id>{std::this_thread::get_id()});
}

TEST_CASE("ParallelFor called inside a range runs on that range's thread") {
  std::mutex mutex;
  std::vector<bool> nested_on_own_thread;
  ParallelFor(1000, 1, [&](size_t, size_t) {
    const std::thread::id outer = std::this_thread::get_id();
    std::set<std::thread::id> inner;
    ParallelFor(1000, 1,
                [&](size_t, size_t) { inner.insert(std::this_thread::get_id()); });
    std::lock_guard<std::mutex> lock(mutex);
    nested_on_own_thread.push_back(inner == std::set<std::thread::id>{outer});
  });
  for (bool own : nested_on_own_thread) REQUIRE(own);
  // And a later top-level call is parallel again.
  std::set<std::thread::id> threads;
  ParallelFor(1000, 1, [&](size_t, size_t) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  REQUIRE(threads.size() ==
          std::min<size_t>(kMaxWays, std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("ParallelFor rethrows a range's exception after all ranges ended") {
  std::atomic<size_t> done{0};
  REQUIRE_THROWS_AS(ParallelFor(1000, 1,
                                [&](size_t begin, size_t end) {
                                  done += end - begin;
                                  if (begin == 0) throw std::runtime_error("range 0");
                                }),
                    std::runtime_error);
  REQUIRE(done.load() == 1000);
}

}  // namespace
}  // namespace twin
