#include "lib/commands/diff_command.h"

#include <istream>
#include <ostream>

#include "lib/base/file_io.h"
#include "lib/city/state_document.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_tape.h"
#include "lib/json/json_writer.h"

namespace twin {

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
Result<std::optional<Json>> ReadDelta(const std::string& path, std::istream& in,
                                      bool message) {
  const std::string context = "read " + DisplayName(path);
  Result<std::string> text = ReadFile(path, in);
  if (!text.ok()) return text.status().WithContext(context);
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    if (message)
      return Status::InvalidData(context + ": empty, not a state.incremental message");
    return std::optional<Json>();
  }
  Result<Json> value = ParseJsonText(*text);
  if (!value.ok()) return value.status().WithContext(context);
  if (!message) return std::optional<Json>(std::move(*value));
  if (!value->is_object() || !value->contains("delta")) {
    return Status::InvalidData(context +
                               ": not a state.incremental message (no \"delta\" member)");
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
  TWIN_ASSIGN_OR_RETURN(std::optional<Json> delta,
                        ReadDelta(delta_file, *io.in, command.message));
  std::string output;
  if (command.mode == Mode::kReverse) {
    if (delta) {
      Result<Json> reversed = ReverseDelta(*delta);
      if (!reversed.ok())
        return reversed.status().WithContext("reverse " + DisplayName(delta_file));
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

}  // namespace twin
