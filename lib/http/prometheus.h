// Prometheus text exposition (format 0.0.4) for the services' /metrics:
// numbers, single-value metrics, and latency histograms operators can take
// percentiles of (histogram_quantile over the _bucket series).
#ifndef TWIN_LIB_PROMETHEUS_H_
#define TWIN_LIB_PROMETHEUS_H_

#include <array>
#include <cstdint>
#include <string>

namespace twin {

// A number as Prometheus text: integers without a fraction, "+Inf" and
// "NaN" as the format spells them.
std::string PrometheusNumber(double value);

// Appends "# HELP", "# TYPE" and one sample line. `type` is "counter" or
// "gauge".
void AppendMetric(std::string* out, const char* name, const char* help, const char* type,
                  double value);

// Durations in seconds, counted into fixed buckets from 1 ms to 30 s: the
// range from a batch of messages to a publish held back by a broker fault.
// A value type, so that a metrics struct holding it copies out under a lock.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  // Counts one duration; negative ones (a clock that went back) as zero.
  void Observe(double seconds);

  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // How many observations were <= kBounds[i] (cumulative, as exposed).
  uint64_t CumulativeCount(size_t i) const;

  // Appends the histogram as NAME_bucket{le="..."} (cumulative, ending
  // with le="+Inf"), NAME_sum and NAME_count.
  void AppendTo(std::string* out, const char* name, const char* help) const;

 private:
  std::array<uint64_t, kBounds.size()> buckets_{};  // per bucket, not cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace twin

#endif  // TWIN_LIB_PROMETHEUS_H_
