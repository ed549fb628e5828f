// Progress of a long run on stderr (cli.md: "a bar with rate and ETA on a
// terminal, periodic lines otherwise"). Update() is cheap to call often: it
// draws at most every 200 ms on a terminal and every 5 s otherwise.
// Not synchronised.
#ifndef TWIN_LIB_PROGRESS_H_
#define TWIN_LIB_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace twin {

class ProgressReporter {
 public:
  ProgressReporter(std::ostream* err, bool terminal, std::string what);

  // `done` and `total` are in the source's units (bytes, messages); total 0
  // means unknown. `messages` is how many messages were handled so far.
  void Update(uint64_t done, uint64_t total, uint64_t messages);
  // Clears the bar on a terminal.
  void Finish();

 private:
  std::ostream* err_;
  bool terminal_;
  std::string what_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace twin

#endif  // TWIN_LIB_PROGRESS_H_
