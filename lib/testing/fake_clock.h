// FakeClock: simulated time for unit tests of service loops. Now() moves
// only when the test (Advance) or the code under test (SleepFor) moves it,
// so a test asserts on what happens after a period without waiting for it.
// At() schedules an action for a simulated time: it runs inside the
// SleepFor() or Advance() that reaches that time (a store that goes away
// at second 3, a stop at second 20).
// Not synchronised: for loops that run on the test's thread.
#ifndef TWIN_LIB_TESTING_FAKE_CLOCK_H_
#define TWIN_LIB_TESTING_FAKE_CLOCK_H_

#include <functional>
#include <map>
#include <utility>

#include "lib/base/clock.h"

namespace twin {

class FakeClock : public Clock {
 public:
  time_point Now() override { return now_; }
  void SleepFor(duration wait) override {
    slept_ += wait;
    Advance(wait);
  }
  void Advance(duration by) {
    now_ += by;
    while (!actions_.empty() && actions_.begin()->first <= now_) {
      auto action = std::move(actions_.begin()->second);
      actions_.erase(actions_.begin());
      action();
    }
  }
  // Runs `action` once the clock has moved `after` past its start.
  void At(duration after, std::function<void()> action) {
    actions_.emplace(kStart + after, std::move(action));
  }
  // The sum of every SleepFor() so far.
  duration slept() const { return slept_; }
  // How far the clock moved from its start.
  duration elapsed() const { return now_ - kStart; }

 private:
  static constexpr time_point kStart{std::chrono::hours(1)};
  time_point now_ = kStart;
  duration slept_{0};
  std::multimap<time_point, std::function<void()>> actions_;
};

}  // namespace twin

#endif  // TWIN_LIB_TESTING_FAKE_CLOCK_H_
