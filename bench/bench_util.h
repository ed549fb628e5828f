// Helpers shared by the benchmarks: peak memory and median timings.
#ifndef TWIN_BENCH_BENCH_UTIL_H_
#define TWIN_BENCH_BENCH_UTIL_H_

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace twin::bench {

// The process's peak resident set so far, in MB.
inline double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// The median wall time of `runs` calls of `f`, in milliseconds.
template <typename F>
double MedianMs(int runs, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace twin::bench

#endif  // TWIN_BENCH_BENCH_UTIL_H_
