// Fast JSON parsing into nlohmann::json.
//
// simdjson does the lexing and validation (UTF-8 included) and the result is
// built as an nlohmann::json value, the project's JSON type. Where simdjson
// refuses a text, nlohmann's own parser has the last word, so exactly the
// texts nlohmann accepts are accepted (simdjson refuses, for example,
// integers beyond 64 bits, which nlohmann reads as doubles).
// Thread-safe: each thread reuses its own parser.
#ifndef TWIN_LIB_JSON_PARSE_H_
#define TWIN_LIB_JSON_PARSE_H_

#include <string_view>

#include <nlohmann/json.hpp>

namespace twin {

// Parses `text`. Returns false (leaving *out unspecified) if it is not JSON.
bool ParseJson(std::string_view text, nlohmann::json* out);

}  // namespace twin

#endif  // TWIN_LIB_JSON_PARSE_H_
