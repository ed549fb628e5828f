// When twin-ingest flushes: every interval while the store takes the
// flushes, backing off (doubling, up to 10 s) while it refuses them, so that
// a store that is down is not hammered and one that is back is used again
// at the next success. Pure: the caller passes the time.
#ifndef TWIN_LIB_INGEST_FLUSH_SCHEDULE_H_
#define TWIN_LIB_INGEST_FLUSH_SCHEDULE_H_

#include <algorithm>
#include <chrono>

namespace twin {

class FlushSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kMaxWait{10000};

  FlushSchedule(std::chrono::milliseconds interval, Clock::time_point now)
      : interval_(interval), wait_(interval), last_(now) {}

  // Whether a flush is due at `now`.
  bool Due(Clock::time_point now) const { return now - last_ >= wait_; }
  // A flush was tried at `now` and the store took it (and the commit).
  void Succeeded(Clock::time_point now) {
    last_ = now;
    wait_ = interval_;
  }
  // A flush was tried at `now` and failed: the next waits twice as long.
  void Failed(Clock::time_point now) {
    last_ = now;
    wait_ = std::min(kMaxWait, wait_ * 2);
  }
  // How long after the last attempt the next is due.
  std::chrono::milliseconds wait() const { return wait_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds wait_;
  Clock::time_point last_;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_FLUSH_SCHEDULE_H_
