// The change-feed entry parser: any bytes are a change list or a refusal
// that appends nothing.
#include <string>
#include <vector>

#include "lib/fuzz/fuzz_util.h"
#include "lib/store/redis_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> districts;
  std::vector<twin::EntityRef> changed;
  const bool ok = twin::RedisStore::ParseFeedChanges(
      {reinterpret_cast<const char*>(data), size}, &districts, &changed);
  if (!ok && (!districts.empty() || !changed.empty())) {
    twin::fuzz::Violated("a refused entry appended changes");
  }
  return 0;
}
