// Status and Result<T>: the one error type of lib/.
//
// A Status is either OK or a code plus a human-readable message. Messages gain
// context as they travel up ("load snapshot 'city.json': districts[3]...").
// Result<T> holds either a value or a non-OK Status. Both are [[nodiscard]]:
// an ignored error is a compile warning. Values are plain data; not
// synchronised.
#ifndef TWIN_LIB_STATUS_H_
#define TWIN_LIB_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace twin {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller asked for something malformed (flags, URLs)
  kInvalidData,         // a document, message or file does not follow the rules
  kNotFound,            // a file, city or entity that does not exist
  kIoError,             // reading or writing a local file failed
  kUnavailable,         // Redis or Kafka cannot be reached or refused us
  kFailedPrecondition,  // what the caller read is out of date: read again
  kAborted,             // another writer holds what this one wrote for (fenced)
  kCancelled,           // stopped by a signal before completion
  kInternal,            // a bug: an invariant of ours did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status InvalidData(std::string message) {
    return Status(StatusCode::kInvalidData, std::move(message));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status IoError(std::string message) {
    return Status(StatusCode::kIoError, std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status FailedPrecondition(std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  }
  static Status Aborted(std::string message) {
    return Status(StatusCode::kAborted, std::move(message));
  }
  static Status Cancelled(std::string message) {
    return Status(StatusCode::kCancelled, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message reads "<context>: <message>". OK stays OK.
  Status WithContext(std::string_view context) const;

  // "OK", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose, so that functions can `return value;` or
  // `return Status::InvalidData(...)`.
  Result(T value) : value_(std::move(value)) {}         // NOLINT
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("Result built from OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Precondition: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace twin

#define TWIN_CONCAT_INNER_(a, b) a##b
#define TWIN_CONCAT_(a, b) TWIN_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define TWIN_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::twin::Status twin_status_ = (expr);        \
    if (!twin_status_.ok()) return twin_status_; \
  } while (0)

// `TWIN_ASSIGN_OR_RETURN(auto x, F());` binds F()'s value or returns its error.
#define TWIN_ASSIGN_OR_RETURN(lhs, expr) \
  TWIN_ASSIGN_OR_RETURN_IMPL_(TWIN_CONCAT_(twin_result_, __LINE__), lhs, expr)
#define TWIN_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.ok()) return result.status();            \
  lhs = std::move(result).value()

#endif  // TWIN_LIB_STATUS_H_
