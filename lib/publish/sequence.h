// The sequence number of a published document (state-rules.md §3): state.full
// and state.incremental share one sequence, 1, 2, ... A type of its own, so
// that it does not mix with the feed's cursors or Kafka's offsets.
#ifndef TWIN_LIB_PUBLISH_SEQUENCE_H_
#define TWIN_LIB_PUBLISH_SEQUENCE_H_

#include <cstdint>

#include "lib/base/named_type.h"

namespace twin {

using Sequence = NamedType<uint64_t, struct SequenceTag>;

}  // namespace twin

#endif  // TWIN_LIB_PUBLISH_SEQUENCE_H_
