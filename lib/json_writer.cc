#include "lib/json_writer.h"

#include <charconv>
#include <cmath>

namespace twin {
namespace {

void AppendDouble(std::string* out, double d) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity; JSON.stringify
    out->append("null");    // writes null for them too.
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, r.ptr);
}

template <typename Int>
void AppendInteger(std::string* out, Int i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out->append(buf, r.ptr);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

void AppendJson(std::string* out, const nlohmann::json& value) {
  using V = nlohmann::json::value_t;
  switch (value.type()) {
    case V::null:
    case V::discarded:
      out->append("null");
      return;
    case V::boolean:
      out->append(value.get_ref<const bool&>() ? "true" : "false");
      return;
    case V::number_integer:
      AppendInteger(out, value.get_ref<const nlohmann::json::number_integer_t&>());
      return;
    case V::number_unsigned:
      AppendInteger(out, value.get_ref<const nlohmann::json::number_unsigned_t&>());
      return;
    case V::number_float:
      AppendDouble(out, value.get_ref<const double&>());
      return;
    case V::string:
      AppendJsonString(out, value.get_ref<const std::string&>());
      return;
    case V::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, item);
      }
      out->push_back(']');
      return;
    }
    case V::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, key);
        out->push_back(':');
        AppendJson(out, item);
      }
      out->push_back('}');
      return;
    }
    case V::binary:
      out->append("null");  // never produced by parsing JSON text
      return;
  }
}

std::string ToJsonText(const nlohmann::json& value) {
  std::string out;
  AppendJson(&out, value);
  return out;
}

}  // namespace twin
