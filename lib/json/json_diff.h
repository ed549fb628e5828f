// A diff / patch / unpatch / reverse engine compatible with jsondiffpatch 0.7
// (the delta format of state-rules.md §3).
//
// Delta forms: [new] added, [old, new] changed, [old, 0, 0] deleted, nested
// object deltas, array deltas {"_t":"a", "<i>": (delta at the new index),
// "_<i>": [old,0,0] | ["", to, 3]} (removed or moved from the old index).
// Arrays are matched as jsondiffpatch matches them: common head and tail,
// then an LCS, items compared with JavaScript's === for primitives and by
// objectHash for objects and arrays, then removed items are matched against
// added ones to detect moves. No text diffs: strings change as [old, new].
//
// Where jsondiffpatch's quadratic LCS would be large, this engine finds the
// LCS from item keys in O(n log n) (unique ids: the city's entity arrays) or
// gives up on the LCS beyond a bound, so time and memory stay bounded; the
// delta then still patches exactly, but may differ in form from
// jsondiffpatch's. Pure functions; thread-safe.
#ifndef TWIN_LIB_JSON_DIFF_H_
#define TWIN_LIB_JSON_DIFF_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/json/json_tape.h"

namespace twin {

struct DiffOptions {
  // objectHash(item, index): the value of the first of these fields that
  // the item has as a string; otherwise "$$index:<index>" (match by
  // position). The city's ids (state-rules.md §3): districtId last, since a
  // bus or an incident may carry one as data and a district has no other.
  std::vector<std::string> object_hash_fields = {
      "sensorId", "buildingId", "stationId", "nodeId",    "edgeId",
      "busId",    "incidentId", "unitId",    "districtId"};
  // Take the first field the item has whatever its JSON type, as
  // jsondiffpatch's `item => item.field` does (twin-diff --object-hash): ids
  // then match with JavaScript's ===, so 4 is not "4", and an object or an
  // array id matches nothing.
  bool hash_ids_of_any_type = false;
  bool detect_move = true;
  // Above this many len1 x len2 cells the exact (jsondiffpatch) LCS table is
  // not built; see the header comment.
  size_t max_lcs_cells = 4'000'000;
};

// The delta from `left` to `right`, or nullopt when they are equal.
std::optional<nlohmann::json> Diff(const nlohmann::json& left,
                                   const nlohmann::json& right,
                                   const DiffOptions& options = {});

// The same delta, from two documents held as tapes: the fast way to diff
// large documents (no allocation per value, a contiguous walk).
std::optional<nlohmann::json> Diff(const JsonTape& left, const JsonTape& right,
                                   const DiffOptions& options = {});

// The text of the delta, exactly as DeltaToText(*Diff(left, right)) gives
// it, written without building the delta as a tree: the fast way to a
// delta's text (twin-diff's from tapes, twin-publish's per entity).
std::optional<std::string> DiffText(const JsonTape& left, const JsonTape& right,
                                    const DiffOptions& options = {});
std::optional<std::string> DiffText(const nlohmann::json& left,
                                    const nlohmann::json& right,
                                    const DiffOptions& options = {});

// `document` with `delta` applied. InvalidData names the JSON path where the
// delta does not fit the document (or is not a delta).
Result<nlohmann::json> Patch(nlohmann::json document, const nlohmann::json& delta);

// The delta that undoes `delta`.
Result<nlohmann::json> ReverseDelta(const nlohmann::json& delta);

// `document` with `delta` applied backwards, as the exact inverse of Patch.
// (jsondiffpatch's unpatch patches with the reversed delta, which can
// misplace items when an array delta holds several moves; this cannot.)
Result<nlohmann::json> Unpatch(nlohmann::json document, const nlohmann::json& delta);

// The text of a delta with array-delta members in the order JavaScript
// gives them (numeric keys ascending, "_t", then "_<i>" ascending):
// jsondiffpatch's reverse (and so unpatch) reads them in that order.
// A binary value stands for text written already (the delta of one member,
// as DiffText gives it) and is copied as it is: a delta can be assembled
// around parts that were never trees.
std::string DeltaToText(const nlohmann::json& delta);

}  // namespace twin

#endif  // TWIN_LIB_JSON_DIFF_H_
