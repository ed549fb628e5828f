// Text-level operations on JSON that is already known to be valid (parsed
// once by a real parser): a member's own bytes, and those bytes without
// insignificant white space. They keep what a parse into a tree loses: the
// order of members and the spelling of numbers. On text that is not valid
// JSON the result is unspecified, but stays within the text (no crash, no
// read past its end). Iterative, so any depth is safe. Pure; thread-safe.
#ifndef TWIN_LIB_JSON_TEXT_H_
#define TWIN_LIB_JSON_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

namespace twin {

// The text of the value of the top-level member `key` of the object
// `object` (the last one, where a key repeats, as nlohmann keeps it), or
// nullopt when it has none. Keys are compared as written: a key spelled
// with escapes does not match.
std::optional<std::string_view> MemberText(std::string_view object, std::string_view key);

// `text` without the white space between tokens (strings kept as written).
std::string MinifyJson(std::string_view text);

}  // namespace twin

#endif  // TWIN_LIB_JSON_TEXT_H_
