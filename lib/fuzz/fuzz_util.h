// Helpers shared by the fuzz targets (libFuzzer, scripts/fuzz): a target
// checks an invariant and calls Violated() when it does not hold, which
// aborts, so that libFuzzer saves the input as a crash.
#ifndef TWIN_LIB_FUZZ_FUZZ_UTIL_H_
#define TWIN_LIB_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace twin::fuzz {

[[noreturn]] inline void Violated(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Splits the input at its first 0xff byte (never in UTF-8 JSON): two texts.
inline std::pair<std::string_view, std::string_view> SplitTwo(std::string_view data) {
  const size_t at = data.find('\xff');
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + 1)};
}

}  // namespace twin::fuzz

#endif  // TWIN_LIB_FUZZ_FUZZ_UTIL_H_
