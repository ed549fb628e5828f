// Reading and writing whole files, with "-" meaning stdin / stdout.
//
// Outputs are written to a temporary file beside the target and renamed
// into place, so a reader never sees half a file and an interrupted run
// leaves no output behind. Thread-compatible.
#ifndef TWIN_LIB_FILE_IO_H_
#define TWIN_LIB_FILE_IO_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace twin {

// The whole content of `path`, or of `stdin_stream` when path is "-".
// NotFound / IoError name the path.
Result<std::string> ReadFile(const std::string& path, std::istream& stdin_stream);

// An open input stream for `path` ("-": `stdin_stream`, not owned) and its
// size when known (0 for stdin).
struct InputFile {
  std::istream* stream = nullptr;
  uint64_t size = 0;
  std::unique_ptr<std::istream> owned;
};
Result<InputFile> OpenInput(const std::string& path, std::istream& stdin_stream);

// Writes `content` to `path` atomically (a temporary file of an unguessable
// name created exclusively beside it, fsync, rename; mode 0644), or
// to `stdout_stream` when path is "-" or empty.
Status WriteOutput(const std::string& path, std::string_view content,
                   std::ostream& stdout_stream);

}  // namespace twin

#endif  // TWIN_LIB_FILE_IO_H_
