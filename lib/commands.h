// The file-based commands of twin-snapshot and twin-replay, one function
// each, so that a tool's main() only parses flags and maps the Status to an
// exit code. Outputs go to the streams in `Io`; nothing here exits.
// Not synchronised; `stop` may be set from a signal handler.
#ifndef TWIN_LIB_COMMANDS_H_
#define TWIN_LIB_COMMANDS_H_

#include <atomic>
#include <iosfwd>
#include <optional>
#include <string>

#include "lib/city_state.h"
#include "lib/json_diff.h"
#include "lib/kafka_io.h"
#include "lib/kafka_source.h"
#include "lib/rebuild.h"
#include "lib/state_store.h"
#include "lib/status.h"

namespace twin {

struct Io {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
  bool err_is_terminal = false;
};

// Reads and validates the state document at `path` ("-": stdin). Errors say
// "load '<path>': <first problem>".
Result<CityState> ReadStateFile(const std::string& path, std::istream& in);

// A saved state document and the Kafka positions it records (its
// kafkaPositions member, positions.h; empty when it has none).
struct SavedState {
  CityState state;
  Positions positions;
};
// ReadStateFile, with the positions taken out of the document's members.
// A malformed positions member is InvalidData naming it.
Result<SavedState> ReadSavedState(const std::string& path, std::istream& in);

// twin-snapshot validate: prints each problem as "<path>: <what>" on
// io.out. OK for a valid document; InvalidData("<file>: N problem(s)")
// otherwise.
Status ValidateCommand(const std::string& path, const Io& io);

// twin-snapshot stats FILE: entity counts and size, as text or JSON.
Status StatsCommand(const std::string& path, bool json, const Io& io);

// twin-snapshot stats (no FILE): the same figures for the city in `store`.
Status StoreStatsCommand(StateStore* store, bool json, const Io& io);

// twin-snapshot load: validates the document at `path` and makes it the
// city's whole state, with the Kafka positions it records (none: members
// resume from their group's commits), all or nothing. A document whose
// cityId differs from `city_id` is refused; one without cityId takes
// `city_id`.
Status LoadCommand(const std::string& path, const std::string& city_id,
                   StateStore* store, const Io& io);

// twin-snapshot save: writes the city's state as a canonical document, with
// the Kafka positions it reflects as its kafkaPositions member.
Status SaveCommand(StateStore* store, const std::string& output, const Io& io);

// Parses a --from/--to TIME: an ISO-8601 date-time, or milliseconds since
// the epoch; "beginning" / "end" give nullopt (no bound).
Result<std::optional<int64_t>> ParseTimeBound(const std::string& text);

struct RebuildCommand {
  std::string input;               // NDJSON recording ("-": stdin); empty: Kafka
  KafkaSettings kafka;             // where to read the nine input topics
  std::string base;                // optional base snapshot
  bool start_at_base = true;       // from Kafka: no --from starts at the base's time
  std::string city_id{kDefaultCityId};
  std::string output = "-";        // state document (unless into a store)
  std::string summary_json;        // optional JSON summary file
  RebuildOptions options;
};

// twin-replay rebuild: applies the recording, or the nine input topics as
// Kafka holds them now, to the base (or an empty city) with twin-ingest's
// rules. The result is for `city_id`; a base for another city is refused.
// A base that records Kafka positions resumes from exactly them, from Kafka
// or from a recording whose records carry offsets; its other partitions are
// read whole (or from --from). From Kafka with start_at_base, a base without
// positions starts at its `timestamp` (messages at that instant apply again,
// which the rules make harmless); a recording is applied whole. The result
// records the positions it reflects (none with a --to bound). Writes the state document to
// `output`, or, with `into`, makes it the store's state in one atomic
// replacement. The outcome summary goes to io.err (and to summary_json).
// Nothing is written when stopped or on error.
Status RunRebuild(const RebuildCommand& command, StateStore* into, const Io& io,
                  const std::atomic<bool>* stop);

// twin-replay produce: sends the recording at `input` ("-": stdin), again
// and again with `loop`, until the end (or a stop). Logs the count.
Status RunProduce(const std::string& input, const KafkaSettings& settings,
                  const ProduceOptions& options, bool loop, const Io& io,
                  const std::atomic<bool>* stop);

// twin-replay capture: writes the topics' messages to io.out as NDJSON.
Status RunCapture(const KafkaSettings& settings, const CaptureOptions& options,
                  const Io& io, const std::atomic<bool>* stop);

// twin-diff: what to do with its files.
struct DiffCommand {
  enum class Mode { kDiff, kPatch, kUnpatch, kReverse } mode = Mode::kDiff;
  std::vector<std::string> files;  // LEFT RIGHT | DOC DELTA | DELTA
  DiffOptions options;
  // DELTA is a whole state.incremental message value ({"cityId",
  // "timestamp", "delta"}): its "delta" member is used. Without it a DELTA
  // is always a delta, whatever its members are called.
  bool message = false;
};

// Runs twin-diff. Returns whether the inputs differ (kDiff only: the delta
// is printed on io.out; nothing when equal). Errors name the file and the
// JSON path. An empty DELTA (only white space: what kDiff prints for equal
// documents) is the empty delta: kPatch and kUnpatch print DOC unchanged,
// kReverse prints nothing.
Result<bool> RunDiffCommand(const DiffCommand& command, const Io& io);

}  // namespace twin

#endif  // TWIN_LIB_COMMANDS_H_
