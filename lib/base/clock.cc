#include "lib/base/clock.h"

#include <thread>

namespace twin {
namespace {

class SteadyClock : public Clock {
 public:
  time_point Now() override { return std::chrono::steady_clock::now(); }
  void SleepFor(duration wait) override { std::this_thread::sleep_for(wait); }
};

}  // namespace

Clock* RealClock() {
  static SteadyClock clock;
  return &clock;
}

}  // namespace twin
