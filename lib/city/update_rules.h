// Validation and the nine update rules of state-rules.md §2.
//
// ApplyMessage is the single path by which an input message changes a
// CityState; twin-ingest and twin-replay both go through it, so they agree
// byte for byte. It is pure (no I/O, clock or threads) and costs O(log n) in
// the size of the city. Not synchronised: one caller per CityState.
#ifndef TWIN_LIB_UPDATE_RULES_H_
#define TWIN_LIB_UPDATE_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/city/city_state.h"
#include "lib/city/topic.h"

namespace twin {

inline constexpr size_t kDefaultMaxMessageBytes = 1 << 20;  // 1 MiB

// One input message as the rules see it.
struct InputMessage {
  Topic topic;
  std::string_view value;     // the payload bytes, not necessarily JSON
  int64_t timestamp_ms = -1;  // the Kafka message timestamp; -1 if unknown
};

enum class Outcome {
  kApplied,   // the state changed (or was re-set to equal values)
  kStale,     // older than the entity's lastUpdated: skipped, not an error
  kRejected,  // invalid: nothing changed; `reason` says why
};

std::string_view OutcomeName(Outcome outcome);

struct ApplyResult {
  Outcome outcome = Outcome::kRejected;
  // For kRejected, the reason code of state-rules.md §4: "invalid-json",
  // "oversized", "not-an-object", "missing-field:<f>", "bad-field:<f>",
  // "bad-timestamp:lastUpdated", "missing-timestamp", "unknown-edge", "too-deep"
  // (nested deeper than kMessageMaxDepth, json_parse.h).
  std::string reason;
  // For kApplied and kStale, the target entity.
  EntityRef target{EntityKind::kSensor, {}, {}};
  // For kApplied: the message created `target.district_id`'s district.
  bool district_created = false;
};

struct RuleOptions {
  size_t max_message_bytes = kDefaultMaxMessageBytes;
};

// Validates `message` and, if it is valid and not stale, applies it to
// `*state`. A rejected or stale message leaves `*state` unchanged.
ApplyResult ApplyMessage(CityState* state, const InputMessage& message,
                         const RuleOptions& options = {});

}  // namespace twin

#endif  // TWIN_LIB_UPDATE_RULES_H_
