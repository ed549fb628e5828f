#include "lib/json/json_tape.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

#include "lib/json/json_parse.h"

namespace twin {

using nlohmann::json;
using Kind = JsonTape::Kind;

namespace {
constexpr uint64_t kMaxExtent = 0xffffffff;
constexpr uint64_t kCountUnknown = 0xffffff;  // 24 bits: counted by walking
}  // namespace

uint64_t JsonKeys::Id(std::string_view key) {
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  const uint64_t id = names_.size();
  names_.push_back(storage_.emplace_back(key));
  ids_.emplace(names_.back(), id);
  return id;
}

std::optional<uint64_t> JsonKeys::Find(std::string_view key) const {
  if (auto it = ids_.find(key); it != ids_.end()) return it->second;
  return std::nullopt;
}

size_t JsonTape::count(Index i) const {
  const uint64_t stored = payload(i) >> 32;
  if (stored != kCountUnknown) return static_cast<size_t>(stored);
  size_t n = 0;
  for (Index item = first(i), end = next(i); item != end; item = next(item)) ++n;
  return kind(i) == Kind::kObject ? n / 2 : n;
}

// Writes the canonical tape of a document (json_tape.h) as simdjson's
// On-Demand API reads it: straight from the text and its structural index,
// with no DOM in between. Errors throw simdjson_error.
class TapeBuilder {
 public:
  TapeBuilder(std::vector<uint64_t>* words, JsonKeys* keys)
      : words_(*words), keys_(*keys) {}

  // The root value (an On-Demand document), or any value within it.
  template <class Value>
  void Add(Value& value) {
    using simdjson::ondemand::json_type;
    switch (value.type().value()) {
      case json_type::array:
        AddArray(value.get_array());
        return;
      case json_type::object:
        AddObject(value.get_object());
        return;
      case json_type::number:
        AddNumber(value);
        return;
      case json_type::string:
        String(value.get_string());
        return;
      case json_type::boolean:
        Word(value.get_bool() ? Kind::kTrue : Kind::kFalse, 0);
        return;
      case json_type::null:
        if (!value.is_null()) throw simdjson::simdjson_error(simdjson::N_ATOM_ERROR);
        Word(Kind::kNull, 0);
        return;
    }
  }

  // A scalar root read by simdjson's DOM parser. Throws simdjson_error.
  void AddScalar(simdjson::dom::element element) {
    using T = simdjson::dom::element_type;
    switch (element.type()) {
      case T::INT64:
        Int64(element.get_int64());
        return;
      case T::UINT64:
        Word(Kind::kUint64, 0);
        Raw(element.get_uint64().value());
        return;
      case T::DOUBLE:
        Word(Kind::kDouble, 0);
        Raw(element.get_double().value());
        return;
      case T::STRING:
        String(element.get_string());
        return;
      case T::BOOL:
        Word(element.get_bool() ? Kind::kTrue : Kind::kFalse, 0);
        return;
      case T::NULL_VALUE:
        Word(Kind::kNull, 0);
        return;
      default:
        throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE);  // not a scalar
    }
  }

 private:
  struct Member {
    std::string_view key;  // in the text, or unescaped in the parser's buffer
    size_t begin, end;     // the key's and value's words
  };

  void AddArray(simdjson::ondemand::array array) {
    const size_t start = Open(Kind::kArray);
    size_t count = 0;
    for (auto item : array) {
      simdjson::ondemand::value value = item.value();
      Add(value);
      ++count;
    }
    Close(start, count);
  }

  // simdjson tells the number's type; its text is checked against JSON's
  // grammar here and read by std::from_chars, exactly: this simdjson's
  // On-Demand getters misread decimals of more than 19 digits, and its
  // type test lets leading zeros and a bare "1." pass.
  template <class Value>
  void AddNumber(Value& value) {
    using simdjson::ondemand::number_type;
    const number_type type = value.get_number_type().value();
    std::string_view token = value.raw_json_token();
    token = token.substr(0, token.find_first_of(" \t\n\r,]}"));
    if (!IsJsonNumber(token)) throw simdjson::simdjson_error(simdjson::NUMBER_ERROR);
    switch (type) {
      case number_type::signed_integer:
        Int64(Read<int64_t>(token));
        return;
      case number_type::unsigned_integer:
        Word(Kind::kUint64, 0);
        Raw(Read<uint64_t>(token));
        return;
      case number_type::floating_point_number:
        Word(Kind::kDouble, 0);
        Raw(Read<double>(token));
        return;
    }
  }
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static bool IsJsonNumber(std::string_view t) {
    size_t i = 0;
    auto digits = [&] {
      const size_t from = i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      return i > from;
    };
    if (i < t.size() && t[i] == '-') ++i;
    if (i < t.size() && t[i] == '0') {
      ++i;
    } else if (i >= t.size() || t[i] < '1' || t[i] > '9' || !digits()) {
      return false;
    }
    if (i < t.size() && t[i] == '.') {
      ++i;
      if (!digits()) return false;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
      if (!digits()) return false;
    }
    return i == t.size();
  }
  template <class T>
  static T Read(std::string_view token) {
    T value{};
    const auto r = std::from_chars(token.data(), token.data() + token.size(), value);
    if (r.ec != std::errc() || r.ptr != token.data() + token.size()) {
      throw simdjson::simdjson_error(simdjson::NUMBER_ERROR);
    }
    return value;
  }

  // Members are written as they come; if their keys were not in order, the
  // runs of words are put in order after (the words of a value do not
  // depend on where they sit), each key once.
  void AddObject(simdjson::ondemand::object object) {
    const size_t start = Open(Kind::kObject);
    const size_t begin = members_.size();
    bool sorted = true;
    for (auto member : object) {
      simdjson::ondemand::field field;
      if (const auto error = std::move(member).get(field))
        throw simdjson::simdjson_error(error);
      const std::string_view key = Key(field);
      if (members_.size() > begin && !(members_.back().key < key)) sorted = false;
      const size_t at = words_.size();
      Word(Kind::kKey, keys_.Id(key));
      simdjson::ondemand::value value = field.value();
      Add(value);
      members_.push_back({key, at, words_.size()});
    }
    size_t count = members_.size() - begin;
    if (!sorted) count = Reorder(begin, start + 1);
    Close(start, count);
    members_.resize(begin);
  }

  // A key as it stands in the text when it has no escape (a view into the
  // text, which outlives the build), else unescaped into the parser's
  // buffer: most keys cost no copy.
  static std::string_view Key(simdjson::ondemand::field& field) {
    const char* raw = field.key().raw();
    for (const char* p = raw;; ++p) {
      if (*p == '"') return std::string_view(raw, static_cast<size_t>(p - raw));
      if (*p == '\\') return field.unescaped_key();
    }
  }

  // Puts the words of members_[begin..] in key order from `at`, keeping
  // the last of a repeated key. Returns how many members are left.
  size_t Reorder(size_t begin, size_t at) {
    const auto first = members_.begin() + static_cast<long>(begin);
    std::stable_sort(first, members_.end(),
                     [](const Member& a, const Member& b) { return a.key < b.key; });
    const size_t origin = at;
    const std::vector<uint64_t> runs(words_.begin() + static_cast<long>(origin),
                                     words_.end());
    size_t kept = 0;
    for (size_t i = begin; i < members_.size(); ++i) {
      if (i + 1 < members_.size() && members_[i + 1].key == members_[i].key) continue;
      const Member& m = members_[i];
      std::copy(runs.begin() + static_cast<long>(m.begin - origin),
                runs.begin() + static_cast<long>(m.end - origin),
                words_.begin() + static_cast<long>(at));
      at += m.end - m.begin;
      ++kept;
    }
    words_.resize(at);
    return kept;
  }

  // A non-negative integer is unsigned, as nlohmann holds it.
  void Int64(int64_t i) {
    if (i >= 0) {
      Word(Kind::kUint64, 0);
      Raw(static_cast<uint64_t>(i));
    } else {
      Word(Kind::kInt64, 0);
      Raw(i);
    }
  }
  void Word(Kind kind, uint64_t payload) {
    words_.push_back(static_cast<uint64_t>(kind) | (payload << 8));
  }
  template <class T>
  void Raw(T value) {
    uint64_t word;
    std::memcpy(&word, &value, sizeof word);
    words_.push_back(word);
  }
  void String(std::string_view s) {
    Word(Kind::kString, s.size());
    const size_t at = words_.size();
    words_.resize(at + (s.size() + 7) / 8,
                  0);  // zero padding: equal strings, equal words
    if (!s.empty()) std::memcpy(&words_[at], s.data(), s.size());
  }
  size_t Open(Kind kind) {
    const size_t start = words_.size();
    Word(kind, 0);
    return start;
  }
  // The extent is relative, so the words do not depend on where they sit.
  void Close(size_t start, size_t count) {
    const uint64_t extent = words_.size() - start;
    if (extent > kMaxExtent) throw std::length_error("a JSON value of over 32 GiB");
    words_[start] |= (extent | std::min<uint64_t>(count, kCountUnknown) << 32) << 8;
  }

  std::vector<uint64_t>& words_;
  JsonKeys& keys_;
  std::vector<Member> members_;
};

Result<JsonTape> JsonTape::Parse(std::string_view text, std::shared_ptr<JsonKeys> keys) {
  std::string copy;
  copy.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(text);
  return ParseConsuming(&copy, std::move(keys));
}

Result<JsonTape> JsonTape::ParseConsuming(std::string* text,
                                          std::shared_ptr<JsonKeys> keys) {
  // The builder and everything that walks a tape recurse (json_parse.h).
  TWIN_RETURN_IF_ERROR(PrecheckJsonText(*text));
  if (text->capacity() - text->size() < simdjson::SIMDJSON_PADDING) {
    text->reserve(text->size() + simdjson::SIMDJSON_PADDING);
  }
  JsonTape tape;
  tape.keys_ = keys != nullptr ? std::move(keys) : std::make_shared<JsonKeys>();
  // Spare capacity costs nothing until it is written: enough for a city's
  // tape, so that it is not copied as it grows.
  tape.words_.reserve(text->size() / 4 + 16);
  try {
    // simdjson's On-Demand API, read straight into the tape: no DOM in
    // between, which would hold about twice the text. A parser of its own,
    // so that its buffers (the structural index, four bytes per token, and
    // one for unescaped strings) are freed with it. As a stream of
    // documents in one batch, so that anything after the first document
    // shows (this simdjson has no other way to tell trailing content).
    simdjson::ondemand::parser parser;
    TapeBuilder builder(&tape.words_, tape.keys_.get());
    const size_t start = text->find_first_not_of(" \t\n\r");
    if (start != std::string::npos && ((*text)[start] == '[' || (*text)[start] == '{')) {
      simdjson::ondemand::document_stream stream = parser.iterate_many(
          text->data(), text->size(), std::max<size_t>(text->size(), 64));
      auto it = stream.begin();
      if (!(it != stream.end())) throw simdjson::simdjson_error(simdjson::EMPTY);
      simdjson::ondemand::document_reference doc = *it;
      builder.Add(doc);
      ++it;
      if (it != stream.end() || stream.truncated_bytes() != 0) {
        throw simdjson::simdjson_error(simdjson::TAPE_ERROR);
      }
    } else {
      // A scalar document: small, so read by the DOM parser, which checks
      // the whole text (On-Demand in this simdjson misreads some scalar
      // documents and lets trailing content pass).
      simdjson::dom::parser dom;
      builder.AddScalar(
          dom.parse(text->data(), text->size(), /*realloc_if_needed=*/false));
    }
  } catch (const simdjson::simdjson_error& e) {
    return Status::InvalidData(std::string("invalid JSON: ") + e.what());
  } catch (const std::length_error& e) {  // the tape's own limit (kMaxExtent)
    return Status::InvalidData(std::string("too large for a tape: ") + e.what());
  }
  std::string().swap(*text);
  return tape;
}

json JsonTape::ToJson(Index i) const {
  switch (kind(i)) {
    case Kind::kNull:
      return json(nullptr);
    case Kind::kFalse:
      return json(false);
    case Kind::kTrue:
      return json(true);
    case Kind::kInt64:
      return json(int64(i));
    case Kind::kUint64:
      return json(uint64(i));
    case Kind::kDouble:
      return json(number(i));
    case Kind::kString:
      return json(std::string(string(i)));
    case Kind::kArray: {
      json::array_t items;
      items.reserve(count(i));
      for (Index item = first(i), end = next(i); item != end; item = next(item)) {
        items.push_back(ToJson(item));
      }
      return json(std::move(items));
    }
    case Kind::kObject: {
      json::object_t members;
      for (Index key = first(i), end = next(i); key != end;) {
        const Index value = next(key);
        members.insert_or_assign(std::string(this->key(key)), ToJson(value));
        key = next(value);
      }
      return json(std::move(members));
    }
    case Kind::kKey:
      break;  // not a value: objects read their keys themselves
  }
  return json();
}

void JsonTape::AppendText(Index i, std::string* out) const {
  switch (kind(i)) {
    case Kind::kNull:
      out->append("null");
      return;
    case Kind::kFalse:
      out->append("false");
      return;
    case Kind::kTrue:
      out->append("true");
      return;
    case Kind::kInt64:
      AppendJsonNumber(out, int64(i));
      return;
    case Kind::kUint64:
      AppendJsonNumber(out, uint64(i));
      return;
    case Kind::kDouble:
      AppendJsonNumber(out, number(i));
      return;
    case Kind::kString:
      AppendJsonString(out, string(i));
      return;
    default: {
      JsonWriter w(out);
      Write(i, &w);
      return;
    }
  }
}

void JsonTape::Write(Index i, JsonWriter* w) const {
  switch (kind(i)) {
    case Kind::kNull:
      w->Raw("null");
      return;
    case Kind::kFalse:
      w->Raw("false");
      return;
    case Kind::kTrue:
      w->Raw("true");
      return;
    case Kind::kInt64:
      w->Int64(int64(i));
      return;
    case Kind::kUint64:
      w->Uint64(uint64(i));
      return;
    case Kind::kDouble:
      w->Double(number(i));
      return;
    case Kind::kString:
      w->String(string(i));
      return;
    case Kind::kArray: {
      w->Raw('[');
      for (Index item = first(i), end = next(i); item != end; item = next(item)) {
        if (item != first(i)) w->Raw(',');
        Write(item, w);
      }
      w->Raw(']');
      return;
    }
    case Kind::kObject: {
      w->Raw('{');
      for (Index key = first(i), end = next(i); key != end;) {
        if (key != first(i)) w->Raw(',');
        w->String(this->key(key));
        w->Raw(':');
        const Index value = next(key);
        Write(value, w);
        key = next(value);
      }
      w->Raw('}');
      return;
    }
    case Kind::kKey:
      return;  // not a value: objects write their keys themselves
  }
}

}  // namespace twin
