// The tape builder against nlohmann: a text the tape accepts, nlohmann (the
// project's parser, through ParseJsonText) accepts as the same value.
// (The tape may refuse more: integers beyond 64 bits.)
#include <string_view>

#include "lib/fuzz/fuzz_util.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_tape.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  twin::Result<twin::JsonTape> tape = twin::JsonTape::Parse(text);
  twin::Result<nlohmann::json> tree = twin::ParseJsonText(text);
  if (!tape.ok()) return 0;
  if (!tree.ok()) twin::fuzz::Violated("the tape accepts what nlohmann refuses");
  if (tape->ToJson(twin::JsonTape::kRoot) != *tree)
    twin::fuzz::Violated("tape and tree differ");
  return 0;
}
