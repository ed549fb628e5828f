#include "lib/http/prometheus.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

TEST_CASE("Prometheus numbers: integers bare, fractions short, infinities spelled") {
  CHECK(PrometheusNumber(42) == "42");
  CHECK(PrometheusNumber(0.25) == "0.25");
  CHECK(PrometheusNumber(1e300) == "1e+300");
  CHECK(PrometheusNumber(1.0 / 0.0) == "+Inf");
}

TEST_CASE(
    "A histogram counts each duration into the first bucket it fits, cumulatively") {
  LatencyHistogram h;
  h.Observe(0.001);  // exactly on a bound: le is inclusive
  h.Observe(0.003);
  h.Observe(0.2);
  h.Observe(100);  // past the last bound: only +Inf
  CHECK(h.count() == 4);
  CHECK(h.sum() == 0.001 + 0.003 + 0.2 + 100);
  CHECK(h.CumulativeCount(0) == 1);   // le 0.001
  CHECK(h.CumulativeCount(1) == 1);   // le 0.0025
  CHECK(h.CumulativeCount(2) == 2);   // le 0.005
  CHECK(h.CumulativeCount(7) == 3);   // le 0.25
  CHECK(h.CumulativeCount(13) == 3);  // le 30
}

TEST_CASE("A negative or NaN duration counts as zero, never as a huge one") {
  LatencyHistogram h;
  h.Observe(-1);
  h.Observe(0.0 / 0.0);
  CHECK(h.count() == 2);
  CHECK(h.sum() == 0);
  CHECK(h.CumulativeCount(0) == 2);
}

TEST_CASE(
    "A histogram is exposed as _bucket lines ending in +Inf, then _sum and _count") {
  LatencyHistogram h;
  h.Observe(0.004);
  h.Observe(2);
  std::string out;
  h.AppendTo(&out, "twin_x_seconds", "Test.");
  CHECK(out.rfind("# HELP twin_x_seconds Test.\n# TYPE twin_x_seconds histogram\n", 0) ==
        0);
  CHECK(out.find("twin_x_seconds_bucket{le=\"0.0025\"} 0\n") != std::string::npos);
  CHECK(out.find("twin_x_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(out.find("twin_x_seconds_bucket{le=\"2.5\"} 2\n") != std::string::npos);
  CHECK(out.find("twin_x_seconds_bucket{le=\"+Inf\"} 2\ntwin_x_seconds_sum 2.004\n"
                 "twin_x_seconds_count 2\n") != std::string::npos);
}

TEST_CASE("A single-value metric has its HELP and TYPE lines") {
  std::string out;
  AppendMetric(&out, "twin_y_total", "Things.", "counter", 3);
  CHECK(out ==
        "# HELP twin_y_total Things.\n# TYPE twin_y_total counter\ntwin_y_total 3\n");
}

}  // namespace
}  // namespace twin
