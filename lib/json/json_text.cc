#include "lib/json/json_text.h"

#include <cstddef>

namespace twin {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && IsSpace(t[i])) ++i;
  return i;
}

// The index just past the string that starts at t[i] == '"'.
size_t SkipString(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return t.size();
}

// The index just past the value that starts at t[i]: containers by counting
// brackets outside strings, so depth costs no stack.
size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return t.size();
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] != '{' && t[i] != '[') {
    while (i < t.size() && !IsSpace(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']')
      ++i;
    return i;
  }
  size_t depth = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '"') {
      i = SkipString(t, i);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return t.size();
}

}  // namespace

std::optional<std::string_view> MemberText(std::string_view object,
                                           std::string_view key) {
  std::optional<std::string_view> found;
  size_t i = SkipSpace(object, 0);
  if (i >= object.size() || object[i] != '{') return found;
  i = SkipSpace(object, i + 1);
  while (i < object.size() && object[i] == '"') {
    const size_t key_end = SkipString(object, i);
    // Between the quotes (an unterminated key, where key_end - i < 2, is cut
    // by substr at the text's end).
    const std::string_view name = object.substr(i + 1, key_end - i - 2);
    i = SkipSpace(object, key_end);
    if (i >= object.size() || object[i] != ':') return found;
    const size_t value_start = SkipSpace(object, i + 1);
    const size_t value_end = SkipValue(object, value_start);
    if (name == key) found = object.substr(value_start, value_end - value_start);
    i = SkipSpace(object, value_end);
    if (i >= object.size() || object[i] != ',') break;
    i = SkipSpace(object, i + 1);
  }
  return found;
}

std::string MinifyJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '"') {
      const size_t end = SkipString(text, i);
      out.append(text.substr(i, end - i));
      i = end;
    } else {
      if (!IsSpace(text[i])) out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace twin
