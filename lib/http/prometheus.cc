#include "lib/http/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace twin {

std::string PrometheusNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (value == static_cast<double>(static_cast<long long>(value)) && value < 1e15 &&
      value > -1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", value);
  }
  return buf;
}

void AppendMetric(std::string* out, const char* name, const char* help, const char* type,
                  double value) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type +
          "\n" + name + " " + PrometheusNumber(value) + "\n";
}

void LatencyHistogram::Observe(double seconds) {
  if (!(seconds > 0)) seconds = 0;  // also NaN
  const auto bucket = std::lower_bound(kBounds.begin(), kBounds.end(), seconds);
  if (bucket != kBounds.end()) ++buckets_[bucket - kBounds.begin()];
  ++count_;
  sum_ += seconds;
}

uint64_t LatencyHistogram::CumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b];
  return total;
}

void LatencyHistogram::AppendTo(std::string* out, const char* name,
                                const char* help) const {
  *out +=
      std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i];
    *out += std::string(name) + "_bucket{le=\"" + PrometheusNumber(kBounds[i]) + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  *out += std::string(name) + "_sum " + PrometheusNumber(sum_) + "\n";
  *out += std::string(name) + "_count " + std::to_string(count_) + "\n";
}

}  // namespace twin
