// Compact, canonical JSON text for nlohmann::json values.
//
// Object members come out in byte order of their keys (nlohmann::json keeps
// them sorted), numbers in their shortest round-trip form (a double that
// holds an integral value is written without a fraction, as JavaScript's
// JSON.stringify does), strings with only the escapes JSON requires.
// Strings must hold valid UTF-8, which nlohmann's parser guarantees for
// anything it produced. Pure functions; thread-safe.
#ifndef TWIN_LIB_JSON_WRITER_H_
#define TWIN_LIB_JSON_WRITER_H_

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace twin {

// Writes JSON text into a std::string through an inline buffer: callers that
// write many values (a whole city) keep one JsonWriter for all of them. The
// string holds exactly the text written once the writer is destroyed or
// Flush()ed; do not touch it in between.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out), len_(out->size()) {}
  ~JsonWriter() { Flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void Value(const nlohmann::json& value);
  void String(std::string_view text);  // as a quoted JSON string
  void Int64(int64_t i);
  void Uint64(uint64_t u);
  void Double(double d);  // shortest round-trip form; null if not finite
  void Raw(char c) {
    *Reserve(1) = c;
    ++len_;
  }
  void Raw(std::string_view text) {
    std::memcpy(Reserve(text.size()), text.data(), text.size());
    len_ += text.size();
  }
  void Flush() { out_->resize(len_); }

 private:
  char* Reserve(size_t n) {
    if (len_ + n > out_->size()) Grow(n);
    return out_->data() + len_;
  }
  void Grow(size_t n);

  std::string* out_;
  size_t len_;  // bytes of *out_ written; the rest is scratch space
};

// Appends the compact text of `value` to `*out`.
void AppendJson(std::string* out, const nlohmann::json& value);

// Appends `text` as a JSON string literal (with quotes) to `*out`.
void AppendJsonString(std::string* out, std::string_view text);

// Appends a number's text to `*out`, as JsonWriter writes it (a double in
// its shortest round-trip form, null if not finite).
void AppendJsonNumber(std::string* out, int64_t i);
void AppendJsonNumber(std::string* out, uint64_t u);
void AppendJsonNumber(std::string* out, double d);

// The compact text of `value`.
std::string ToJsonText(const nlohmann::json& value);

}  // namespace twin

#endif  // TWIN_LIB_JSON_WRITER_H_
