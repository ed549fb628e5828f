// The sequence numbers of twin-publish's documents and the rule for a send
// that failed (state-rules.md §3), apart from any producer, clock or store,
// so that every order of outcomes can be tried (sequencer_test).
//
// Both output topics share one sequence S1, S2, ...:
//   - the first document is a state.full;
//   - an acknowledged send uses up its sequence; the next one follows;
//   - a send the broker did not store (refused, too large) uses nothing:
//     the same sequence goes again, so consumers see no gap;
//   - a send whose outcome is in doubt (timed out in flight) may be in
//     Kafka: its sequence is burnt, never sent again (two different
//     documents k could exist otherwise), and a state.full is owed, so the
//     gap a consumer sees is closed by the very next message;
//   - a caller may owe a state.full for its own reasons (OweFull: a reload
//     after which the last document cannot be rendered for a delta).
// Not synchronised: owned by the publisher's loop.
#ifndef TWIN_LIB_SEQUENCER_H_
#define TWIN_LIB_SEQUENCER_H_

#include <cstdint>

#include "lib/publish/sequence.h"

namespace twin {

class Sequencer {
 public:
  enum class Kind { kFull, kIncremental };
  enum class Outcome { kAcknowledged, kNotStored, kInDoubt };

  // What the next document must be when the caller would send `wanted`:
  // a state.full while one is owed, else `wanted`.
  Kind Next(Kind wanted) const { return full_owed_ ? Kind::kFull : wanted; }
  // The sequence the next document carries.
  Sequence sequence() const { return next_; }
  // Records the outcome of sending document sequence() of `kind`.
  void Sent(Kind kind, Outcome outcome);
  void OweFull() { full_owed_ = true; }
  bool full_owed() const { return full_owed_; }

 private:
  Sequence next_{1};
  bool full_owed_ = true;  // the first document is a state.full
};

}  // namespace twin

#endif  // TWIN_LIB_SEQUENCER_H_
