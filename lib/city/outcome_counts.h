// Counts of what became of input messages: applied, stale, rejected by
// reason, and ignored (a topic that is not an input topic). These are what
// twin-replay prints as its summary and twin-ingest exports as metrics.
// Plain data; not synchronised.
#ifndef TWIN_LIB_OUTCOME_COUNTS_H_
#define TWIN_LIB_OUTCOME_COUNTS_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "lib/city/update_rules.h"

namespace twin {

struct OutcomeCounts {
  uint64_t applied = 0;
  uint64_t stale = 0;
  uint64_t ignored = 0;                      // not an input topic
  uint64_t skipped = 0;                      // outside the --from / --to window
  std::map<std::string, uint64_t> rejected;  // by reason code

  void Add(const ApplyResult& result);
  uint64_t rejected_total() const;
  uint64_t total() const {
    return applied + stale + ignored + skipped + rejected_total();
  }
  void Merge(const OutcomeCounts& other);

  // {"messages":N,"applied":N,"stale":N,"ignored":N,"rejected":N,
  //  "skipped":N,"rejectedByReason":{...}}
  nlohmann::json ToJson() const;
  // One human-readable line: "12 messages: 9 applied, 1 stale, 2 rejected
  // (invalid-json 1, unknown-edge 1)".
  std::string ToText() const;
};

}  // namespace twin

#endif  // TWIN_LIB_OUTCOME_COUNTS_H_
