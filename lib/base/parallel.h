// Splitting a loop over the machine's cores.
//
// ParallelFor(n, body) calls body(begin, end) on disjoint ranges that cover
// [0, n), one range per core (at most kMaxWays), the first on the calling
// thread and the others on threads it starts and joins before returning.
// Loops shorter than `min_per_way` items per range run on the caller alone,
// so small work pays no thread start (about 50 us). A call made from inside
// a range (nested parallelism) runs on its own thread alone: the cores are
// already busy.
//
// `body` must be safe to run concurrently on disjoint ranges. An exception
// thrown by any range is rethrown on the caller, after every range ended.
#ifndef TWIN_LIB_PARALLEL_H_
#define TWIN_LIB_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace twin {

inline constexpr size_t kMaxWays = 4;

void ParallelFor(size_t n, size_t min_per_way,
                 const std::function<void(size_t begin, size_t end)>& body);

}  // namespace twin

#endif  // TWIN_LIB_PARALLEL_H_
