// What a published document looks like on the wire (state-rules.md §3):
// the headers of state.full and state.incremental and the incremental
// message's value around its delta. The state.full's value is the state
// document itself (SerializeCityState). Pure.
#ifndef TWIN_LIB_PUBLISH_ENVELOPE_H_
#define TWIN_LIB_PUBLISH_ENVELOPE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/publish/sequence.h"

namespace twin {

using Headers = std::vector<std::pair<std::string, std::string>>;

// type=full-state, version=1.0, sequence.
Headers FullStateHeaders(Sequence sequence);
// type=incremental-state, version=1.0, sequence, and the document the
// delta applies to: previousSequence and previousTimestamp.
Headers IncrementalStateHeaders(Sequence sequence, Sequence previous_sequence,
                                const std::string& previous_timestamp);

// {"cityId":<city_id>,"delta":<delta>,"timestamp":<timestamp>}, the delta
// inserted as the JSON text it is.
std::string IncrementalStateValue(std::string_view city_id, std::string_view delta,
                                  std::string_view timestamp);

}  // namespace twin

#endif  // TWIN_LIB_PUBLISH_ENVELOPE_H_
