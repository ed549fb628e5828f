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
// above any city (a state document nests 6 levels). ParseJson refuses what
// nests deeper than kDocumentMaxDepth, before any recursion.
#ifndef TWIN_LIB_JSON_PARSE_H_
#define TWIN_LIB_JSON_PARSE_H_

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace twin {

inline constexpr size_t kMessageMaxDepth = 64;
inline constexpr size_t kDocumentMaxDepth = 512;

// Whether arrays and objects in `text` nest more than `limit` levels deep
// (the outermost container is level 1; brackets inside strings do not
// count). O(n), no recursion, any text: for text that is not JSON, the
// answer is about its brackets.
bool NestsDeeperThan(std::string_view text, size_t limit);

// Parses `text`. Returns false (leaving *out unspecified) if it is not JSON
// or nests deeper than kDocumentMaxDepth.
bool ParseJson(std::string_view text, nlohmann::json* out);

}  // namespace twin

#endif  // TWIN_LIB_JSON_PARSE_H_
