#include "lib/city/outcome_counts.h"

namespace twin {

void OutcomeCounts::Add(const ApplyResult& result) {
  switch (result.outcome) {
    case Outcome::kApplied:
      ++applied;
      break;
    case Outcome::kStale:
      ++stale;
      break;
    case Outcome::kRejected:
      ++rejected[result.reason];
      break;
  }
}

uint64_t OutcomeCounts::rejected_total() const {
  uint64_t n = 0;
  for (const auto& [reason, count] : rejected) n += count;
  return n;
}

void OutcomeCounts::Merge(const OutcomeCounts& other) {
  applied += other.applied;
  stale += other.stale;
  ignored += other.ignored;
  skipped += other.skipped;
  for (const auto& [reason, count] : other.rejected) rejected[reason] += count;
}

nlohmann::json OutcomeCounts::ToJson() const {
  nlohmann::json by_reason = nlohmann::json::object();
  for (const auto& [reason, count] : rejected) by_reason[reason] = count;
  return {{"messages", total()},
          {"applied", applied},
          {"stale", stale},
          {"ignored", ignored},
          {"skipped", skipped},
          {"rejected", rejected_total()},
          {"rejectedByReason", by_reason}};
}

std::string OutcomeCounts::ToText() const {
  std::string out = std::to_string(total()) + " messages: " + std::to_string(applied) +
                    " applied, " + std::to_string(stale) + " stale, " +
                    std::to_string(rejected_total()) + " rejected";
  if (!rejected.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [reason, count] : rejected) {
      if (!first) out += ", ";
      first = false;
      out += reason + " " + std::to_string(count);
    }
    out += ")";
  }
  if (skipped > 0) out += ", " + std::to_string(skipped) + " outside the time window";
  if (ignored > 0)
    out += ", " + std::to_string(ignored) + " ignored (not an input topic)";
  return out;
}

}  // namespace twin
