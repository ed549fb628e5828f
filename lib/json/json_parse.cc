#include "lib/json/json_parse.h"

#include <simdjson.h>

namespace twin {
namespace {

using nlohmann::json;

json Convert(simdjson::dom::element element) {
  using T = simdjson::dom::element_type;
  switch (element.type()) {
    case T::ARRAY: {
      // value_unsafe() returns a reference into the temporary result, so the
      // array (and object below) must be copied out before iterating.
      const simdjson::dom::array items = element.get_array().value_unsafe();
      json::array_t array;
      array.reserve(items.size());
      for (simdjson::dom::element item : items) {
        array.push_back(Convert(item));
      }
      return json(std::move(array));
    }
    case T::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      json::object_t object;
      for (auto field : fields) {
        // A repeated key keeps its last value, as nlohmann's parser does.
        object.insert_or_assign(std::string(field.key), Convert(field.value));
      }
      return json(std::move(object));
    }
    case T::INT64: {
      // nlohmann keeps non-negative integers unsigned; so do we, so that a
      // value is the same whichever parser read it.
      const int64_t i = element.get_int64().value_unsafe();
      return i >= 0 ? json(static_cast<uint64_t>(i)) : json(i);
    }
    case T::UINT64:
      return json(element.get_uint64().value_unsafe());
    case T::DOUBLE:
      return json(element.get_double().value_unsafe());
    case T::STRING:
      return json(std::string(element.get_string().value_unsafe()));
    case T::BOOL:
      return json(element.get_bool().value_unsafe());
    case T::NULL_VALUE:
      return json(nullptr);
  }
  return json();
}

}  // namespace

bool NestsDeeperThan(std::string_view text, size_t limit) {
  size_t depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
      case '"':  // skip the string, escapes included
        for (++i; i < text.size() && text[i] != '"'; ++i) {
          if (text[i] == '\\') ++i;
        }
        break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

JsonPrecheck PrecheckJson(std::string_view text, size_t max_depth) {
  // The NUL byte was found by diff_fuzz ("{}\0garbage" read as {}).
  if (text.find('\0') != std::string_view::npos) return JsonPrecheck::kNulByte;
  if (NestsDeeperThan(text, max_depth)) return JsonPrecheck::kTooDeep;
  return JsonPrecheck::kOk;
}

Status PrecheckJsonText(std::string_view text, size_t max_depth) {
  switch (PrecheckJson(text, max_depth)) {
    case JsonPrecheck::kNulByte:
      return Status::InvalidData("invalid JSON: a NUL byte at offset " +
                                 std::to_string(text.find('\0')));
    case JsonPrecheck::kTooDeep:
      return Status::InvalidData("nested deeper than " + std::to_string(max_depth) +
                                 " levels (twin's limit for documents and deltas)");
    case JsonPrecheck::kOk:
      break;
  }
  return Status::Ok();
}

bool ParseJson(std::string_view text, json* out) {
  return PrecheckJson(text, kDocumentMaxDepth) == JsonPrecheck::kOk &&
         ParsePrecheckedJson(text, out);
}

bool ParsePrecheckedJson(std::string_view text, json* out) {
  // Empty text is not JSON, and a default string_view's null data must not
  // reach simdjson's copy (UBSan: null passed to memcpy; found by diff_fuzz).
  if (text.empty()) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) ==
      simdjson::SUCCESS) {
    *out = Convert(root);
    return true;
  }
  *out = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  return !out->is_discarded();
}

Result<nlohmann::json> ParseJsonText(std::string_view text) {
  TWIN_RETURN_IF_ERROR(PrecheckJsonText(text));
  nlohmann::json parsed;
  if (ParsePrecheckedJson(text, &parsed)) return parsed;
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and also out_of_range for a number like 1e400 (found by
    // tape_fuzz: it escaped this Result function).
    // e.what() is "[json.exception.parse_error.101] parse error at line 1,
    // column 5: ..."; keep the part after the bracketed id.
    std::string what = e.what();
    if (auto close = what.find("] "); close != std::string::npos) {
      what = what.substr(close + 2);
    }
    return Status::InvalidData("invalid JSON: " + what);
  }
}

}  // namespace twin
