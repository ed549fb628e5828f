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

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace twin {

// Appends the compact text of `value` to `*out`.
void AppendJson(std::string* out, const nlohmann::json& value);

// Appends `text` as a JSON string literal (with quotes) to `*out`.
void AppendJsonString(std::string* out, std::string_view text);

// The compact text of `value`.
std::string ToJsonText(const nlohmann::json& value);

}  // namespace twin

#endif  // TWIN_LIB_JSON_WRITER_H_
