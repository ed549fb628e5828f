#include "lib/base/progress.h"

#include <cstdio>

namespace twin {

ProgressReporter::ProgressReporter(std::ostream* err, bool terminal, std::string what)
    : err_(err),
      terminal_(terminal),
      what_(std::move(what)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressReporter::Update(uint64_t done, uint64_t total, uint64_t messages) {
  using namespace std::chrono;
  const auto now = steady_clock::now();
  const auto interval = terminal_ ? milliseconds(200) : milliseconds(5000);
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  const double seconds = duration<double>(now - start_).count();
  const double rate = seconds > 0 ? messages / seconds : 0;
  char line[200];
  if (total > 0 && done <= total) {
    const double fraction = static_cast<double>(done) / total;
    const double eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
    if (terminal_) {
      char bar[31];
      const int filled = static_cast<int>(fraction * 30);
      for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '.';
      bar[30] = '\0';
      std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %.0f msg/s ETA %.0fs ",
                    what_.c_str(), bar, fraction * 100, rate, eta);
    } else {
      std::snprintf(line, sizeof line,
                    "%s: %.0f%%, %llu messages, %.0f msg/s, ETA %.0fs\n", what_.c_str(),
                    fraction * 100, static_cast<unsigned long long>(messages), rate, eta);
    }
  } else {
    std::snprintf(line, sizeof line,
                  terminal_ ? "\r%s: %llu messages, %.0f msg/s "
                            : "%s: %llu messages, %.0f msg/s\n",
                  what_.c_str(), static_cast<unsigned long long>(messages), rate);
  }
  *err_ << line << std::flush;
  drawn_ = true;
}

void ProgressReporter::Finish() {
  if (terminal_ && drawn_) *err_ << "\r\033[K" << std::flush;
}

}  // namespace twin
