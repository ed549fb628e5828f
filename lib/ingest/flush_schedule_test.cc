#include "lib/ingest/flush_schedule.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

using namespace std::chrono_literals;
const FlushSchedule::Clock::time_point t0{};

TEST_CASE("a flush is due one interval after the last") {
  FlushSchedule schedule(1000ms, t0);
  CHECK_FALSE(schedule.Due(t0 + 999ms));
  CHECK(schedule.Due(t0 + 1000ms));
  schedule.Succeeded(t0 + 1000ms);
  CHECK_FALSE(schedule.Due(t0 + 1999ms));
  CHECK(schedule.Due(t0 + 2000ms));
}

TEST_CASE("failed flushes back off, doubling, up to ten seconds") {
  FlushSchedule schedule(1000ms, t0);
  auto now = t0;
  for (auto expected : {2000ms, 4000ms, 8000ms, 10000ms, 10000ms}) {
    now += schedule.wait();
    REQUIRE(schedule.Due(now));
    schedule.Failed(now);
    CHECK(schedule.wait() == expected);
    CHECK_FALSE(schedule.Due(now + expected - 1ms));
  }
}

TEST_CASE("one success after failures goes back to the interval") {
  FlushSchedule schedule(200ms, t0);
  schedule.Failed(t0);
  schedule.Failed(t0 + 400ms);
  CHECK(schedule.wait() == 800ms);
  schedule.Succeeded(t0 + 1200ms);
  CHECK(schedule.wait() == 200ms);
  CHECK(schedule.Due(t0 + 1400ms));
}

}  // namespace
}  // namespace twin
