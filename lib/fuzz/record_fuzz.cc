// The recording-line parser: any line either fails cleanly or gives a
// record that formats and parses back to itself.
#include <string_view>

#include "lib/fuzz/fuzz_util.h"
#include "lib/kafka/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  twin::Result<twin::Record> record = twin::ParseRecord(line);
  if (!record.ok()) return 0;
  twin::Result<twin::Record> again = twin::ParseRecord(twin::FormatRecord(*record));
  if (!again.ok()) twin::fuzz::Violated("a formatted record does not parse");
  if (!(*again == *record)) twin::fuzz::Violated("a record does not round-trip");
  return 0;
}
