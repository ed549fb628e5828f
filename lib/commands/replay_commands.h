// twin-replay's commands (rebuild, produce, capture), one function each.
// Not synchronised; `stop` may be set from a signal handler.
#ifndef TWIN_LIB_COMMANDS_REPLAY_COMMANDS_H_
#define TWIN_LIB_COMMANDS_REPLAY_COMMANDS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "lib/base/status.h"
#include "lib/city/city_state.h"
#include "lib/commands/state_files.h"
#include "lib/kafka/kafka_io.h"
#include "lib/kafka/kafka_source.h"
#include "lib/kafka/rebuild.h"
#include "lib/kafka/record_producer.h"
#include "lib/store/state_store.h"

namespace twin {

// Parses a --from/--to TIME: an ISO-8601 date-time, or milliseconds since
// the epoch; "beginning" / "end" give nullopt (no bound).
Result<std::optional<int64_t>> ParseTimeBound(const std::string& text);

struct RebuildCommand {
  std::string input;          // NDJSON recording ("-": stdin); empty: Kafka
  KafkaSettings kafka;        // where to read the nine input topics
  std::string base;           // optional base snapshot
  bool start_at_base = true;  // from Kafka: no --from starts at the base's time
  std::string city_id{kDefaultCityId};
  std::string output = "-";  // state document (unless into a store)
  std::string summary_json;  // optional JSON summary file
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
// records the positions it reflects (none with a --to bound). Writes the state document
// to `output`, or, with `into`, makes it the store's state in one atomic replacement. The
// outcome summary goes to io.err (and to summary_json). Nothing is written when stopped
// or on error.
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

}  // namespace twin

#endif  // TWIN_LIB_COMMANDS_REPLAY_COMMANDS_H_
