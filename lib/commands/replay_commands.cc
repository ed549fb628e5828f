#include "lib/commands/replay_commands.h"

#include <spdlog/spdlog.h>

#include <istream>
#include <memory>
#include <ostream>

#include "lib/base/file_io.h"
#include "lib/base/progress.h"
#include "lib/base/timestamp.h"
#include "lib/city/state_document.h"
#include "lib/kafka/kafka_source.h"

namespace twin {

Status RunProduce(const std::string& input, const KafkaSettings& settings,
                  const ProduceOptions& options, bool loop, const Io& io,
                  const std::atomic<bool>* stop) {
  if (loop && input == "-")
    return Status::InvalidArgument("--loop needs a file, not stdin");
  uint64_t total = 0;
  do {
    TWIN_ASSIGN_OR_RETURN(InputFile file, OpenInput(input, *io.in));
    NdjsonRecordSource source(file.stream, input == "-" ? "stdin" : input, file.size);
    uint64_t produced = 0;
    Status status = ProduceRecords(&source, settings, options, stop, &produced);
    total += produced;
    if (!status.ok()) {
      spdlog::info("produced {} messages", total);
      return status.WithContext("produce");
    }
  } while (loop && !(stop != nullptr && stop->load()));
  spdlog::info("produced {} messages to {}", total, settings.brokers);
  return Status::Ok();
}

Status RunCapture(const KafkaSettings& settings, const CaptureOptions& options,
                  const Io& io, const std::atomic<bool>* stop) {
  uint64_t captured = 0;
  Status status = CaptureRecords(settings, options, *io.out, stop, &captured);
  spdlog::info("captured {} messages from {}", captured, settings.brokers);
  return status.WithContext("capture");
}

Result<std::optional<int64_t>> ParseTimeBound(const std::string& text) {
  if (text.empty() || text == "beginning" || text == "end") {
    return std::optional<int64_t>();
  }
  if (std::optional<Micros> t = ParseTimestamp(text)) {
    return std::optional<int64_t>(CountMillis(*t));
  }
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() < 19) {
    return std::optional<int64_t>(std::stoll(text));
  }
  return Status::InvalidArgument("'" + text +
                                 "' is not a time (ISO-8601 with a zone, epoch "
                                 "milliseconds, 'beginning' or 'end')");
}

Status RunRebuild(const RebuildCommand& command, StateStore* into, const Io& io,
                  const std::atomic<bool>* stop) {
  CityState state;
  state.city_id = command.city_id;
  Positions positions;  // the base's, then moved by every record read
  if (!command.base.empty()) {
    TWIN_ASSIGN_OR_RETURN(SavedState base, ReadSavedState(command.base, *io.in));
    state = std::move(base.state);
    positions = std::move(base.positions);
    if (state.city_id != command.city_id) {
      return Status::InvalidArgument("rebuild: the base " + DisplayName(command.base) +
                                     " is for city '" + state.city_id + "', not '" +
                                     command.city_id + "' (use --city-id)");
    }
  }
  RebuildOptions options = command.options;
  // A base that records positions resumes from exactly them (cli.md): its
  // partitions are neither re-read before them nor filtered by time.
  options.resume = positions;
  if (!positions.empty()) {
    spdlog::info("resuming the base's {} partitions from its Kafka positions",
                 positions.size());
  }
  std::unique_ptr<RecordSource> source;
  InputFile input;
  if (command.input.empty()) {
    KafkaReadOptions read;
    read.topics.assign(kTopicNames.begin(), kTopicNames.end());
    read.start_offsets = positions;
    if (command.start_at_base && !command.base.empty() && positions.empty() &&
        state.timestamp > Micros()) {
      options.from_ms = CountMillis(state.timestamp);
      spdlog::info("starting at the base's timestamp, {}", FormatMicros(state.timestamp));
    }
    read.start_ms = options.from_ms;  // Rebuild() keeps the window
    read.with_headers = false;        // the rules read topic, value and timestamp only
    TWIN_ASSIGN_OR_RETURN(source, KafkaRecordSource::Open(command.kafka, read, stop));
  } else {
    TWIN_ASSIGN_OR_RETURN(input, OpenInput(command.input, *io.in));
    source = std::make_unique<NdjsonRecordSource>(
        input.stream, command.input == "-" ? "stdin" : command.input, input.size);
  }
  ProgressReporter progress(io.err, io.err_is_terminal, "rebuild");
  options.progress = [&progress](const RecordSource& s, const OutcomeCounts& c) {
    progress.Update(s.Done(), s.Total(), c.total());
  };
  OutcomeCounts counts;
  Status status = Rebuild(source.get(), options, stop, &state, &counts, &positions);
  progress.Finish();
  TWIN_RETURN_IF_ERROR(status.WithContext("rebuild"));

  *io.err << counts.ToText() << '\n';
  if (!command.summary_json.empty()) {
    TWIN_RETURN_IF_ERROR(
        WriteOutput(command.summary_json, counts.ToJson().dump() + "\n", *io.out));
  }
  if (options.to_ms && !positions.empty()) {
    // Messages after --to were read but not applied: no position says so.
    spdlog::info("--to given: the result records no Kafka positions");
    positions.clear();
  }
  if (into != nullptr) {
    TWIN_RETURN_IF_ERROR(
        into->Replace(state, positions).status().WithContext("rebuild --into-redis"));
    spdlog::info("replaced city '{}' in Redis with the rebuilt state", state.city_id);
    return Status::Ok();
  }
  PutPositionsMember(positions, &state);
  return WriteOutput(command.output, SerializeCityState(state) + "\n", *io.out);
}

}  // namespace twin
