// Clock: the time a service loop reads and the waits it makes, as a seam,
// so that unit tests of the loop run in simulated time (FakeClock,
// lib/testing/fake_clock.h): a test of a ten-second back-off takes no ten
// seconds, and none depends on how loaded the machine is.
// RealClock() is steady_clock and std::this_thread::sleep_for; thread-safe.
#ifndef TWIN_LIB_BASE_CLOCK_H_
#define TWIN_LIB_BASE_CLOCK_H_

#include <chrono>

namespace twin {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual time_point Now() = 0;
  // Returns no earlier than `wait` after the call (as Now() tells it).
  virtual void SleepFor(duration wait) = 0;
};

// The process's monotonic clock; lives for the whole program.
Clock* RealClock();

}  // namespace twin

#endif  // TWIN_LIB_BASE_CLOCK_H_
