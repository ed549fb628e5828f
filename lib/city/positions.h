// Kafka positions and partition epochs: what ties the state in the store to
// the input topics (state-rules.md §4).
//
// A position is, for one partition of an input topic, the offset of the
// next message whose effect is not yet in the state: every message before
// it has been applied (or rejected, or found stale). The store writes a
// flush's positions in the same transaction as its entities, so state and
// position never disagree; a member resumes from them, and so does
// `twin-replay rebuild --base` of a snapshot that records them.
//
// An epoch is a partition's ownership generation in the store: a member
// takes a new one for each partition it is assigned, and a flush is
// applied only while every epoch it names is still the newest (a member
// that lost its partitions is fenced).
// Pure functions; thread-safe.
#ifndef TWIN_LIB_POSITIONS_H_
#define TWIN_LIB_POSITIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "lib/base/named_type.h"
#include "lib/base/status.h"
#include "lib/city/city_state.h"

namespace twin {

// A topic and a partition number.
using PartitionId = std::pair<std::string, int32_t>;
// An offset in a Kafka partition (of a message, or of the next one).
using Offset = NamedType<int64_t, struct OffsetTag>;
// A partition's ownership generation in the store.
using Epoch = NamedType<uint64_t, struct EpochTag>;
// Partition -> next offset not yet in the state.
using Positions = std::map<PartitionId, Offset>;
// Partition -> the epoch a member holds.
using Epochs = std::map<PartitionId, Epoch>;

// The name of a partition in store keys and logs: "topic:partition". Kafka
// topic names cannot hold ':', so the last ':' splits it.
std::string PartitionField(const PartitionId& partition);
// The inverse; nullopt for anything PartitionField does not produce.
std::optional<PartitionId> ParsePartitionField(std::string_view field);

// Records that the message at `offset` of `partition` is accounted for:
// the position becomes offset + 1 unless it is already past it.
void NotePosition(Positions* positions, const PartitionId& partition, Offset offset);

// `overlay` wins where both name a partition.
Positions MergePositions(Positions base, const Positions& overlay);

// The member of a saved state document that holds its positions:
// {"<topic>": {"<partition>": <next offset>, ...}, ...}. Consumers of the
// document can ignore it (cli.md, twin-snapshot save).
inline constexpr std::string_view kPositionsMember = "kafkaPositions";

Json PositionsToJson(const Positions& positions);
// InvalidData names the first malformed member ("kafkaPositions.<topic>...").
Result<Positions> PositionsFromJson(const Json& value);

// Moves the positions member out of a parsed document's other members
// (where CityStateFromJson put it) into the result; absent: empty.
Result<Positions> TakePositionsMember(CityState* state);
// Puts `positions` into the state's other members, so that the canonical
// writer places it among them (nothing when there are none).
void PutPositionsMember(const Positions& positions, CityState* state);

}  // namespace twin

#endif  // TWIN_LIB_POSITIONS_H_
