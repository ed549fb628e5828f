#include "lib/parallel.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace twin {

void ParallelFor(size_t n, size_t min_per_way,
                 const std::function<void(size_t begin, size_t end)>& body) {
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t ways =
      std::min({cores, kMaxWays, min_per_way == 0 ? n : n / min_per_way});
  if (ways <= 1) {
    if (n > 0) body(0, n);
    return;
  }
  std::vector<std::exception_ptr> errors(ways);
  auto run = [&](size_t way) {
    try {
      body(n * way / ways, n * (way + 1) / ways);
    } catch (...) {
      errors[way] = std::current_exception();
    }
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
