// Diff, then patch: for any two documents a and b (split at a 0xff byte),
// patch(a, diff(a, b)) == b and unpatch(b, diff(a, b)) == a, and the delta
// written straight from tapes is the text of the tree delta.
#include "lib/fuzz/fuzz_util.h"
#include "lib/json/json_diff.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_tape.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [a_text, b_text] =
      twin::fuzz::SplitTwo({reinterpret_cast<const char*>(data), size});
  twin::Result<nlohmann::json> a = twin::ParseJsonText(a_text);
  twin::Result<nlohmann::json> b = twin::ParseJsonText(b_text);
  if (!a.ok() || !b.ok()) return 0;
  const std::optional<nlohmann::json> delta = twin::Diff(*a, *b);
  if (!delta) return 0;  // equal, as JavaScript compares (1 and 1.0 are equal)
  twin::Result<nlohmann::json> patched = twin::Patch(*a, *delta);
  if (!patched.ok()) twin::fuzz::Violated("our own delta does not patch");
  if (twin::Diff(*patched, *b)) twin::fuzz::Violated("patch(a, diff(a, b)) != b");
  twin::Result<nlohmann::json> unpatched = twin::Unpatch(*b, *delta);
  if (!unpatched.ok() || twin::Diff(*unpatched, *a)) {
    twin::fuzz::Violated("unpatch(b, diff(a, b)) != a");
  }
  auto keys = std::make_shared<twin::JsonKeys>();
  twin::Result<twin::JsonTape> ta = twin::JsonTape::Parse(a_text, keys);
  twin::Result<twin::JsonTape> tb = twin::JsonTape::Parse(b_text, keys);
  if (ta.ok() && tb.ok()) {
    const std::optional<std::string> text = twin::DiffText(*ta, *tb);
    if (!text || *text != twin::DeltaToText(*delta))
      twin::fuzz::Violated("tape delta differs");
  }
  return 0;
}
