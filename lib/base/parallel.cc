#include "lib/base/parallel.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace twin {

void ParallelFor(size_t n, size_t min_per_way,
                 const std::function<void(size_t begin, size_t end)>& body) {
  // Set on the threads running ranges: a nested call runs where it is.
  thread_local bool in_range = false;
  // hardware_concurrency() reads /sys on every call: once is enough.
  static const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t ways =
      in_range ? 1 : std::min({cores, kMaxWays, min_per_way == 0 ? n : n / min_per_way});
  if (ways <= 1) {
    if (n > 0) body(0, n);
    return;
  }
  std::vector<std::exception_ptr> errors(ways);
  auto run = [&](size_t way) {
    in_range = true;
    try {
      body(n * way / ways, n * (way + 1) / ways);
    } catch (...) {
      errors[way] = std::current_exception();
    }
    in_range = false;
  };
  std::vector<std::thread> helpers;
  helpers.reserve(ways - 1);
  for (size_t way = 1; way < ways; ++way) helpers.emplace_back(run, way);
  run(0);
  for (std::thread& helper : helpers) helper.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace twin
