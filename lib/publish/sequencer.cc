#include "lib/publish/sequencer.h"

namespace twin {

void Sequencer::Sent(Kind kind, Outcome outcome) {
  switch (outcome) {
    case Outcome::kAcknowledged:
      next_ = next_.Next();
      if (kind == Kind::kFull) full_owed_ = false;
      return;
    case Outcome::kNotStored:
      return;  // nothing under this sequence in Kafka: it goes again
    case Outcome::kInDoubt:
      next_ = next_.Next();  // burnt
      full_owed_ = true;
      return;
  }
}

}  // namespace twin
