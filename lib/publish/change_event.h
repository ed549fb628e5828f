// The data of /api/stream's "incremental" event (lib/change_stream.h): what
// a browser needs to follow the city without a JSON-diff library. Pure.
//
//   {"sequence":k,"previousSequence":k-1,"timestamp":T,
//    "districtsCreated":[{"districtId":..,"name":..,"location":..},...],
//    "changed":{"edges":[{"districtId":"d","value":{...}}],"buses":[...]}}
//
// "changed" groups the changed entities by kind (entity_kind.h's names),
// each with its district ("" for city-wide kinds) and its whole new value;
// kinds with no change are absent. A district created since k-1 is listed
// with its fields (not its entities, which are in "changed").
#ifndef TWIN_LIB_CHANGE_EVENT_H_
#define TWIN_LIB_CHANGE_EVENT_H_

#include <cstdint>
#include <string>

#include "lib/city/city_state.h"
#include "lib/publish/sequence.h"
#include "lib/publish/state_delta.h"

namespace twin {

// `state`: the current state S(k); `log`: what changed since S(k-1).
std::string IncrementalEventData(const CityState& state, const ChangeLog& log,
                                 Sequence sequence, Sequence previous_sequence,
                                 const std::string& timestamp);

// The data of a "full" event: {"sequence":k,"timestamp":T,"reread":true}.
// Also what an "incremental" event carries when it was not built (no
// client was listening when the document went out): re-read /api/state.
std::string RereadEventData(Sequence sequence, const std::string& timestamp);

}  // namespace twin

#endif  // TWIN_LIB_CHANGE_EVENT_H_
