#include "lib/base/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace twin {
namespace {

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

Status ErrnoStatus(const std::string& what, const std::string& path) {
  const int err = errno;
  std::string message = what + " " + Quoted(path) + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(message));
  return Status::IoError(std::move(message));
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::istream& stdin_stream) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << stdin_stream.rdbuf();
    if (stdin_stream.bad()) return Status::IoError("reading stdin failed");
    return buffer.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus("cannot open", path);
  std::string content;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return ErrnoStatus("cannot read", path);  // a directory, say
  // Spare capacity past the end lets a JSON parser that reads ahead
  // (simdjson: 64 bytes) parse the text where it is, without a copy.
  content.reserve(static_cast<size_t>(size) + 64);
  content.resize(static_cast<size_t>(size));
  in.seekg(0);
  in.read(content.data(), size);
  if (!in) return ErrnoStatus("cannot read", path);
  return content;
}

Result<InputFile> OpenInput(const std::string& path, std::istream& stdin_stream) {
  InputFile file;
  if (path == "-") {
    file.stream = &stdin_stream;
    return file;
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return ErrnoStatus("cannot open", path);
  in->seekg(0, std::ios::end);
  const std::streamoff size = in->tellg();
  if (size < 0) return ErrnoStatus("cannot read", path);
  file.size = static_cast<uint64_t>(size);
  in->seekg(0);
  file.stream = in.get();
  file.owned = std::move(in);
  return file;
}

Status WriteOutput(const std::string& path, std::string_view content,
                   std::ostream& stdout_stream) {
  if (path.empty() || path == "-") {
    stdout_stream.write(content.data(), static_cast<std::streamsize>(content.size()));
    stdout_stream.flush();
    if (!stdout_stream) return Status::IoError("writing stdout failed");
    return Status::Ok();
  }
  // A name no one can guess, created exclusively (mkstemp: O_CREAT|O_EXCL),
  // so that a link planted beside the output is never followed. Once it
  // was "<path>.tmp.<pid>", opened with O_TRUNC: a symlink of that name
  // made twin overwrite its target.
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot create", path + ".tmp.*");
  ::fchmod(fd, 0644);  // mkstemp's 0600 would make a saved snapshot private
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = ErrnoStatus("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status status = ErrnoStatus("cannot write", temp);
    ::unlink(temp.c_str());
    return status;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    Status status = ErrnoStatus("cannot rename into", path);
    ::unlink(temp.c_str());
    return status;
  }
  return Status::Ok();
}

}  // namespace twin
