#include "lib/commands.h"

#include <istream>
#include <memory>
#include <ostream>

#include <spdlog/spdlog.h>

#include "lib/file_io.h"
#include "lib/json_tape.h"
#include "lib/json_writer.h"
#include "lib/kafka_source.h"
#include "lib/progress.h"
#include "lib/state_document.h"
#include "lib/state_stats.h"
#include "lib/timestamp.h"

namespace twin {
namespace {

std::string DisplayName(const std::string& path) {
  return path == "-" ? "stdin" : "'" + path + "'";
}

Status PrintStats(const CityState& state, bool json, const Io& io) {
  const StateStats stats = ComputeStats(state, SerializeCityState(state).size());
  *io.out << (json ? stats.ToJson().dump() + "\n" : stats.ToText());
  io.out->flush();
  return Status::Ok();
}

}  // namespace

Result<CityState> ReadStateFile(const std::string& path, std::istream& in) {
  const std::string context = "load " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<CityState> state = ParseCityState(*text);
  if (!state.ok()) return state.status().WithContext(context);
  return state;
}

Result<SavedState> ReadSavedState(const std::string& path, std::istream& in) {
  TWIN_ASSIGN_OR_RETURN(CityState state, ReadStateFile(path, in));
  Result<Positions> positions = TakePositionsMember(&state);
  if (!positions.ok()) return positions.status().WithContext("load " + DisplayName(path));
  return SavedState{std::move(state), std::move(*positions)};
}

Status ValidateCommand(const std::string& path, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(std::string text, ReadFile(path, *io.in));
  std::vector<std::string> problems;
  Result<CityState> state = ParseCityState(text, &problems);
  if (state.ok()) return Status::Ok();
  if (problems.empty()) problems.push_back(state.status().message());  // syntax
  for (const std::string& problem : problems) *io.out << problem << '\n';
  io.out->flush();
  const bool truncated = problems.back().rfind("... and ", 0) == 0;
  const size_t shown = problems.size() - (truncated ? 1 : 0);
  return Status::InvalidData(DisplayName(path) + ": not a valid state document (" +
                             std::to_string(shown) + (truncated ? "+" : "") +
                             (shown == 1 && !truncated ? " problem)" : " problems)"));
}

Status StatsCommand(const std::string& path, bool json, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(CityState state, ReadStateFile(path, *io.in));
  return PrintStats(state, json, io);
}

Status StoreStatsCommand(StateStore* store, bool json, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(StoredState stored, store->Read());
  return PrintStats(stored.state, json, io);
}

Status LoadCommand(const std::string& path, const std::string& city_id,
                   StateStore* store, const Io& io) {
  const std::string context = "load " + DisplayName(path);
  Result<std::string> text = ReadFile(path, *io.in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<Json> document = ParseJsonText(*text);
  if (!document.ok()) return document.status().WithContext(context);
  Result<CityState> state = CityStateFromJson(*document);
  if (!state.ok()) return state.status().WithContext(context);
  Result<Positions> positions = TakePositionsMember(&*state);
  if (!positions.ok()) return positions.status().WithContext(context);
  if (document->contains("cityId") && state->city_id != city_id) {
    return Status::InvalidArgument(context + ": the document is for city '" +
                                   state->city_id + "', not '" + city_id +
                                   "' (use --city-id)");
  }
  state->city_id = city_id;
  TWIN_RETURN_IF_ERROR(store->Replace(*state, *positions).status());
  size_t entities = 0;
  for (EntityKind kind : kAllEntityKinds) entities += state->Count(kind);
  spdlog::info("loaded {} districts and {} entities into city '{}'{}",
               state->districts().size(), entities, city_id,
               positions->empty() ? " (no Kafka positions: twin-ingest resumes from its group's "
                                    "commits)"
                                  : ", with the Kafka positions of " +
                                        std::to_string(positions->size()) + " partitions");
  return Status::Ok();
}

Status SaveCommand(StateStore* store, const std::string& output, const Io& io) {
  TWIN_ASSIGN_OR_RETURN(StoredState stored, store->Read());
  PutPositionsMember(stored.positions, &stored.state);
  return WriteOutput(output, SerializeCityState(stored.state) + "\n", *io.out);
}

namespace {

Result<Json> ReadJsonFile(const std::string& path, std::istream& in) {
  const std::string context = "read " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<Json> value = ParseJsonText(*text);
  if (!value.ok()) return value.status().WithContext(context);
  return value;
}

// A DELTA file: nullopt for the empty delta (a file of white space only, as
// twin-diff prints for equal documents). With `message`, the file is a
// state.incremental message value and its "delta" member is the delta.
Result<std::optional<Json>> ReadDelta(const std::string& path, std::istream& in, bool message) {
  const std::string context = "read " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    if (message) return Status::InvalidData(context + ": empty, not a state.incremental message");
    return std::optional<Json>();
  }
  Result<Json> value = ParseJsonText(*text);
  if (!value.ok()) return value.status().WithContext(context);
  if (!message) return std::optional<Json>(std::move(*value));
  if (!value->is_object() || !value->contains("delta")) {
    return Status::InvalidData(context + ": not a state.incremental message (no \"delta\" member)");
  }
  return std::optional<Json>(std::move((*value)["delta"]));
}

// A document to diff: as a tape, the fast form, where simdjson reads it;
// otherwise (integers beyond 64 bits) as nlohmann::json.
struct DiffInput {
  std::optional<JsonTape> tape;
  Json value;
};

Result<DiffInput> ReadDiffInput(const std::string& path, std::istream& in,
                                std::shared_ptr<JsonKeys> keys) {
  const std::string context = "read " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  Result<JsonTape> tape = JsonTape::ParseConsuming(&*text, std::move(keys));
  if (tape.ok()) return DiffInput{std::move(*tape), Json()};
  Result<Json> value = ParseJsonText(*text);
  if (!value.ok()) return value.status().WithContext(context);
  return DiffInput{std::nullopt, std::move(*value)};
}

// The delta's text, or nullopt when the documents are equal.
Result<std::optional<std::string>> DiffFiles(const DiffCommand& command, const Io& io) {
  // One document at a time: each text is freed once it is a tape. The two
  // tapes share their keys, so that unchanged parts compare as words.
  auto keys = std::make_shared<JsonKeys>();
  TWIN_ASSIGN_OR_RETURN(DiffInput left, ReadDiffInput(command.files[0], *io.in, keys));
  TWIN_ASSIGN_OR_RETURN(DiffInput right, ReadDiffInput(command.files[1], *io.in, keys));
  if (left.tape && right.tape) return DiffText(*left.tape, *right.tape, command.options);
  if (left.tape) left.value = left.tape->ToJson(JsonTape::kRoot);
  if (right.tape) right.value = right.tape->ToJson(JsonTape::kRoot);
  const std::optional<Json> delta = Diff(left.value, right.value, command.options);
  if (!delta) return std::optional<std::string>();
  return std::optional<std::string>(DeltaToText(*delta));
}

}  // namespace

Result<bool> RunDiffCommand(const DiffCommand& command, const Io& io) {
  using Mode = DiffCommand::Mode;
  const size_t want = command.mode == Mode::kReverse ? 1 : 2;
  if (command.files.size() != want) {
    return Status::InvalidArgument("expected " + std::to_string(want) + " file(s)");
  }
  if (command.files.size() == 2 && command.files[0] == "-" && command.files[1] == "-") {
    return Status::InvalidArgument("only one input can be stdin");
  }
  if (command.mode == Mode::kDiff) {
    TWIN_ASSIGN_OR_RETURN(std::optional<std::string> delta, DiffFiles(command, io));
    if (delta) TWIN_RETURN_IF_ERROR(WriteOutput("-", *delta + "\n", *io.out));
    return delta.has_value();
  }
  const std::string& delta_file = command.files.back();
  TWIN_ASSIGN_OR_RETURN(std::optional<Json> delta, ReadDelta(delta_file, *io.in, command.message));
  std::string output;
  if (command.mode == Mode::kReverse) {
    if (delta) {
      Result<Json> reversed = ReverseDelta(*delta);
      if (!reversed.ok()) return reversed.status().WithContext("reverse " + DisplayName(delta_file));
      output = DeltaToText(*reversed) + "\n";
    }
  } else {
    TWIN_ASSIGN_OR_RETURN(Json document, ReadJsonFile(command.files[0], *io.in));
    if (delta) {
      const bool patch = command.mode == Mode::kPatch;
      Result<Json> result = patch ? Patch(std::move(document), *delta)
                                  : Unpatch(std::move(document), *delta);
      if (!result.ok()) {
        return result.status().WithContext(std::string(patch ? "patch " : "unpatch ") +
                                           DisplayName(command.files[0]) + " with " +
                                           DisplayName(delta_file));
      }
      document = std::move(*result);
    }
    output = ToJsonText(document) + "\n";
  }
  TWIN_RETURN_IF_ERROR(WriteOutput("-", output, *io.out));
  return false;
}

Status RunProduce(const std::string& input, const KafkaSettings& settings,
                  const ProduceOptions& options, bool loop, const Io& io,
                  const std::atomic<bool>* stop) {
  if (loop && input == "-") return Status::InvalidArgument("--loop needs a file, not stdin");
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
    return std::optional<int64_t>(*t / 1000);
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
    spdlog::info("resuming the base's {} partitions from its Kafka positions", positions.size());
  }
  std::unique_ptr<RecordSource> source;
  InputFile input;
  if (command.input.empty()) {
    KafkaReadOptions read;
    read.topics.assign(kTopicNames.begin(), kTopicNames.end());
    read.start_offsets = positions;
    if (command.start_at_base && !command.base.empty() && positions.empty() &&
        state.timestamp > 0) {
      options.from_ms = state.timestamp / 1000;
      spdlog::info("starting at the base's timestamp, {}", FormatMicros(state.timestamp));
    }
    read.start_ms = options.from_ms;  // Rebuild() keeps the window
    read.with_headers = false;  // the rules read topic, value and timestamp only
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
