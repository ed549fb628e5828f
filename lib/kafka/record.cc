#include "lib/kafka/record.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "lib/base/timestamp.h"
#include "lib/city/state_document.h"
#include "lib/json/json_parse.h"
#include "lib/json/json_text.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

using nlohmann::json;

constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string EncodeBase64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n =
        (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64[(n >> shift) & 63]);
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) n |= uint8_t(in[i + 1]) << 8;
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kBase64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t n = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i < in.size() - 2) return std::nullopt;
      break;
    }
    const char* p = std::char_traits<char>::find(kBase64, 64, c);
    if (p == nullptr) return std::nullopt;
    n = (n << 6) | uint32_t(p - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((n >> bits) & 0xff));
    }
  }
  return out;
}

Result<int64_t> ReadInteger(const json& v, std::string_view field) {
  if (!v.is_number_integer()) {
    return Status::InvalidData("\"" + std::string(field) + "\": expected an integer");
  }
  return v.get<int64_t>();
}

Status ReadHeaders(const json& v, Record* record) {
  const Status bad = Status::InvalidData(
      "\"headers\": expected an object of strings or an array of [name, value]");
  if (v.is_object()) {
    for (const auto& [name, value] : v.items()) {
      if (!value.is_string()) return bad;
      record->headers.emplace_back(name, value.get<std::string>());
    }
    return Status::Ok();
  }
  if (!v.is_array()) return bad;
  for (const auto& pair : v) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
        !pair[1].is_string()) {
      return bad;
    }
    record->headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return Status::Ok();
}

}  // namespace

std::string ValidUtf8OrReplaced(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    out += c < 0x80 ? std::string(1, char(c)) : std::string("\xEF\xBF\xBD");
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = uint8_t(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else
      return false;
    if (i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const uint8_t cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

Result<Record> ParseRecord(std::string_view line) {
  // A recording line is a document: the same precheck (json_parse.h).
  TWIN_RETURN_IF_ERROR(PrecheckJsonText(line));
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidData("not a JSON line");
  if (!j.is_object()) return Status::InvalidData("expected a JSON object");
  Record record;
  auto topic = j.find("topic");
  if (topic == j.end() || !topic->is_string() ||
      topic->get_ref<const std::string&>().empty()) {
    return Status::InvalidData("\"topic\": expected a non-empty string");
  }
  record.topic = topic->get<std::string>();
  if (auto it = j.find("partition"); it != j.end() && !it->is_null()) {
    TWIN_ASSIGN_OR_RETURN(int64_t partition, ReadInteger(*it, "partition"));
    if (partition < -1 || partition > INT32_MAX) {
      return Status::InvalidData("\"partition\": out of range");
    }
    record.partition = static_cast<int32_t>(partition);
  }
  if (auto it = j.find("offset"); it != j.end() && !it->is_null()) {
    TWIN_ASSIGN_OR_RETURN(record.offset, ReadInteger(*it, "offset"));
    // -1 is "unknown"; below it no Kafka offset (and no round trip).
    if (record.offset < -1) return Status::InvalidData("\"offset\": out of range");
  }
  if (auto it = j.find("timestamp"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      std::optional<Micros> t = ParseTimestamp(it->get_ref<const std::string&>());
      if (!t) return Status::InvalidData("\"timestamp\": not an ISO-8601 date-time");
      record.timestamp_ms = CountMillis(*t);
    } else {
      TWIN_ASSIGN_OR_RETURN(record.timestamp_ms, ReadInteger(*it, "timestamp"));
    }
    // Kafka carries no time before 1970; -1 is "unknown" (found by record_fuzz:
    // a negative timestamp was accepted, then left out when written back).
    if (record.timestamp_ms < -1)
      return Status::InvalidData("\"timestamp\": before 1970");
  }
  if (auto it = j.find("key"); it != j.end() && !it->is_null()) {
    if (!it->is_string())
      return Status::InvalidData("\"key\": expected a string or null");
    record.key = it->get<std::string>();
  } else if (auto it64 = j.find("keyBase64"); it64 != j.end() && it64->is_string()) {
    record.key = DecodeBase64(it64->get<std::string>());
    if (!record.key) return Status::InvalidData("\"keyBase64\": not base64");
  }
  if (auto it = j.find("headers"); it != j.end() && !it->is_null()) {
    TWIN_RETURN_IF_ERROR(ReadHeaders(*it, &record));
  }
  auto value = j.find("value");
  auto value64 = j.find("valueBase64");
  if (value != j.end()) {
    // cli.md: a value that is not a string is sent as compact JSON with its
    // members in the order the file has them (and its numbers as written).
    if (value->is_string()) {
      record.value = value->get<std::string>();
    } else if (std::optional<std::string_view> text = MemberText(line, "value")) {
      record.value = MinifyJson(*text);
    } else {
      record.value = ToJsonText(*value);  // a key spelled with escapes
    }
  } else if (value64 != j.end() && value64->is_string()) {
    std::optional<std::string> bytes = DecodeBase64(value64->get<std::string>());
    if (!bytes) return Status::InvalidData("\"valueBase64\": not base64");
    record.value = std::move(*bytes);
  } else {
    return Status::InvalidData("\"value\": missing");
  }
  return record;
}

std::string FormatRecord(const Record& r) {
  std::string out = "{\"topic\":";
  AppendJsonString(&out, r.topic);
  if (r.partition >= 0) out += ",\"partition\":" + std::to_string(r.partition);
  if (r.offset >= 0) out += ",\"offset\":" + std::to_string(r.offset);
  if (r.timestamp_ms >= 0) out += ",\"timestamp\":" + std::to_string(r.timestamp_ms);
  if (r.key) {
    if (IsValidUtf8(*r.key)) {
      out += ",\"key\":";
      AppendJsonString(&out, *r.key);
    } else {
      out += ",\"keyBase64\":";
      AppendJsonString(&out, EncodeBase64(*r.key));
    }
  }
  if (!r.headers.empty()) {
    out += ",\"headers\":[";
    for (size_t i = 0; i < r.headers.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.push_back('[');
      AppendJsonString(&out, r.headers[i].first);
      out.push_back(',');
      AppendJsonString(&out, ValidUtf8OrReplaced(r.headers[i].second));
      out.push_back(']');
    }
    out.push_back(']');
  }
  if (IsValidUtf8(r.value)) {
    out += ",\"value\":";
    AppendJsonString(&out, r.value);
  } else {
    out += ",\"valueBase64\":";
    AppendJsonString(&out, EncodeBase64(r.value));
  }
  out.push_back('}');
  return out;
}

}  // namespace twin
