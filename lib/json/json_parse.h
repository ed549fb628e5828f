// Fast JSON parsing into nlohmann::json.
//
// simdjson does the lexing and validation (UTF-8 included) and the result is
// built as an nlohmann::json value, the project's JSON type. Where simdjson
// refuses a text, nlohmann's own parser has the last word, so exactly the
// texts nlohmann accepts are accepted (simdjson refuses, for example,
// integers beyond 64 bits, which nlohmann reads as doubles).
// Thread-safe: each thread reuses its own parser.
//
// Depth. Everything that walks a parsed value (writing, diffing, patching)
// recurses, so nothing deeper than a limit may enter: state-rules.md §2 sets
// input messages at kMessageMaxDepth (deeper: rejected as too-deep), and
// files, deltas, recording lines and stored values get kDocumentMaxDepth, far
// above any city (a state document nests 6 levels). PrecheckJson is the one
// place that refuses, before any recursion, what is too deep or holds a raw
// NUL byte (in no JSON text: nlohmann would end the text there and accept
// "{}\0garbage"); ParseJson runs it at kDocumentMaxDepth.
#ifndef TWIN_LIB_JSON_PARSE_H_
#define TWIN_LIB_JSON_PARSE_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "lib/base/status.h"

namespace twin {

inline constexpr size_t kMessageMaxDepth = 64;
inline constexpr size_t kDocumentMaxDepth = 512;

// Whether arrays and objects in `text` nest more than `limit` levels deep
// (the outermost container is level 1; brackets inside strings do not
// count). O(n), no recursion, any text: for text that is not JSON, the
// answer is about its brackets.
bool NestsDeeperThan(std::string_view text, size_t limit);

// What refuses `text` before any parse: a raw NUL byte, or nesting deeper
// than `max_depth`. One memchr and one NestsDeeperThan pass.
enum class JsonPrecheck { kOk, kNulByte, kTooDeep };
JsonPrecheck PrecheckJson(std::string_view text, size_t max_depth);

// PrecheckJson as a status for files and deltas: InvalidData naming the NUL
// byte's offset or the depth limit; Ok when the text may be parsed.
Status PrecheckJsonText(std::string_view text, size_t max_depth = kDocumentMaxDepth);

// Parses `text`. Returns false (leaving *out unspecified) if it is not JSON
// or PrecheckJson(text, kDocumentMaxDepth) refuses it.
bool ParseJson(std::string_view text, nlohmann::json* out);

// Parses a file's, delta's or stored value's text, where a caller wants to
// say why it is not JSON: InvalidData "invalid JSON: ..." with nlohmann's
// description (line and column of a syntax error; a number out of range),
// or PrecheckJsonText's error. Never throws.
Result<nlohmann::json> ParseJsonText(std::string_view text);

// ParseJson without the precheck, for text that has just passed
// PrecheckJson at some depth (so that a hot path scans it once).
bool ParsePrecheckedJson(std::string_view text, nlohmann::json* out);

}  // namespace twin

#endif  // TWIN_LIB_JSON_PARSE_H_
