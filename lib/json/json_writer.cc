#include "lib/json/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace twin {
namespace {

template <typename Int>
void WriteInteger(JsonWriter* w, Int i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  w->Raw(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

}  // namespace

void JsonWriter::Grow(size_t n) {
  // Capacity grows geometrically; the size (which resize() zero-fills) only
  // by what is needed plus a little, so small outputs stay small.
  const size_t want = len_ + n + 64;
  if (want > out_->capacity()) out_->reserve(std::max(out_->capacity() * 2, want));
  out_->resize(want);
}

void JsonWriter::String(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = Reserve(text.size() + 2);
  size_t n = 0;
  p[n++] = '"';
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      p[n++] = ch;
      continue;
    }
    // An escape needs up to 6 bytes where 1 was reserved.
    len_ += n;
    p = Reserve(6 + (text.size() + 2));
    n = 0;
    p[n++] = '\\';
    switch (c) {
      case '"':
        p[n++] = '"';
        break;
      case '\\':
        p[n++] = '\\';
        break;
      case '\b':
        p[n++] = 'b';
        break;
      case '\f':
        p[n++] = 'f';
        break;
      case '\n':
        p[n++] = 'n';
        break;
      case '\r':
        p[n++] = 'r';
        break;
      case '\t':
        p[n++] = 't';
        break;
      default:
        p[n++] = 'u';
        p[n++] = '0';
        p[n++] = '0';
        p[n++] = kHex[c >> 4];
        p[n++] = kHex[c & 15];
    }
  }
  p[n++] = '"';
  len_ += n;
}

void JsonWriter::Int64(int64_t i) { WriteInteger(this, i); }

void JsonWriter::Uint64(uint64_t u) { WriteInteger(this, u); }

void JsonWriter::Double(double d) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity; JSON.stringify
    Raw("null");            // writes null for them too.
    return;
  }
  char* p = Reserve(32);
  auto r = std::to_chars(p, p + 32, d);
  len_ += static_cast<size_t>(r.ptr - p);
}

void JsonWriter::Value(const nlohmann::json& value) {
  using V = nlohmann::json::value_t;
  switch (value.type()) {
    case V::null:
    case V::discarded:
    case V::binary:  // never produced by parsing JSON text
      Raw("null");
      return;
    case V::boolean:
      Raw(value.get_ref<const bool&>() ? std::string_view("true") : "false");
      return;
    case V::number_integer:
      Int64(value.get_ref<const nlohmann::json::number_integer_t&>());
      return;
    case V::number_unsigned:
      Uint64(value.get_ref<const nlohmann::json::number_unsigned_t&>());
      return;
    case V::number_float:
      Double(value.get_ref<const double&>());
      return;
    case V::string:
      String(value.get_ref<const std::string&>());
      return;
    case V::array: {
      Raw('[');
      bool first = true;
      for (const auto& item : value.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) Raw(',');
        first = false;
        Value(item);
      }
      Raw(']');
      return;
    }
    case V::object: {
      Raw('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) Raw(',');
        first = false;
        String(key);
        Raw(':');
        Value(item);
      }
      Raw('}');
      return;
    }
  }
}

void AppendJsonString(std::string* out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != '"' && c != '\\';
  });
  if (!plain) {
    JsonWriter(out).String(text);
    return;
  }
  // Most strings need no escape: appended as they are, without the
  // writer's buffer (which costs more than a short string).
  out->reserve(out->size() + text.size() + 2);
  *out += '"';
  out->append(text);
  *out += '"';
}

namespace {

template <typename Number>
void AppendChars(std::string* out, Number n) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

void AppendJsonNumber(std::string* out, int64_t i) { AppendChars(out, i); }

void AppendJsonNumber(std::string* out, uint64_t u) { AppendChars(out, u); }

void AppendJsonNumber(std::string* out, double d) {
  if (!std::isfinite(d)) {  // as JsonWriter::Double
    out->append("null");
    return;
  }
  AppendChars(out, d);
}

void AppendJson(std::string* out, const nlohmann::json& value) {
  // Scalars straight onto the string: a writer's buffer costs more than a
  // short value (a delta's leaves are mostly numbers).
  using V = nlohmann::json::value_t;
  switch (value.type()) {
    case V::number_integer:
      AppendJsonNumber(out, value.get_ref<const nlohmann::json::number_integer_t&>());
      return;
    case V::number_unsigned:
      AppendJsonNumber(out, value.get_ref<const nlohmann::json::number_unsigned_t&>());
      return;
    case V::number_float:
      AppendJsonNumber(out, value.get_ref<const double&>());
      return;
    case V::string:
      AppendJsonString(out, value.get_ref<const std::string&>());
      return;
    case V::boolean:
      out->append(value.get_ref<const bool&>() ? "true" : "false");
      return;
    case V::null:
      out->append("null");
      return;
    default:
      JsonWriter(out).Value(value);
      return;
  }
}

std::string ToJsonText(const nlohmann::json& value) {
  std::string out;
  // Most values written alone are entities of a few hundred bytes: one
  // allocation instead of a chain of small regrowths.
  out.reserve(value.is_structured() ? 512 : 32);
  AppendJson(&out, value);
  return out;
}

}  // namespace twin
