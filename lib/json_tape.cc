#include "lib/json_tape.h"

#include <algorithm>
#include <stdexcept>
#include <charconv>
#include <string>

#include <simdjson.h>

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

// Writes the canonical tape of a simdjson document (json_tape.h).
class TapeBuilder {
 public:
  TapeBuilder(std::vector<uint64_t>* words, JsonKeys* keys) : words_(*words), keys_(*keys) {}

  void Add(simdjson::dom::element element) {
    using T = simdjson::dom::element_type;
    switch (element.type()) {
      case T::ARRAY: {
        const size_t start = Open(Kind::kArray);
        size_t count = 0;
        for (simdjson::dom::element item : simdjson::dom::array(element.get_array().value_unsafe())) {
          Add(item);
          ++count;
        }
        Close(start, count);
        return;
      }
      case T::OBJECT:
        AddObject(simdjson::dom::object(element.get_object().value_unsafe()));
        return;
      case T::INT64: {
        const int64_t i = element.get_int64().value_unsafe();
        if (i >= 0) {
          Word(Kind::kUint64, 0);
          Raw(static_cast<uint64_t>(i));
        } else {
          Word(Kind::kInt64, 0);
          Raw(i);
        }
        return;
      }
      case T::UINT64:
        Word(Kind::kUint64, 0);
        Raw(element.get_uint64().value_unsafe());
        return;
      case T::DOUBLE:
        Word(Kind::kDouble, 0);
        Raw(element.get_double().value_unsafe());
        return;
      case T::STRING:
        String(element.get_string().value_unsafe());
        return;
      case T::BOOL:
        Word(element.get_bool().value_unsafe() ? Kind::kTrue : Kind::kFalse, 0);
        return;
      case T::NULL_VALUE:
        Word(Kind::kNull, 0);
        return;
    }
  }

 private:
  struct Member {
    std::string_view key;
    simdjson::dom::element value;
  };

  void AddObject(simdjson::dom::object object) {
    // Gathered first, on a stack shared by all levels (no allocation per
    // object): the members are written sorted, each key once.
    const size_t begin = members_.size();
    bool sorted = true;
    for (auto field : object) {
      if (members_.size() > begin && !(members_.back().key < field.key)) sorted = false;
      members_.push_back({field.key, field.value});
    }
    size_t end = members_.size();
    if (!sorted) {
      const auto first = members_.begin() + static_cast<long>(begin);
      std::stable_sort(first, members_.end(),
                       [](const Member& a, const Member& b) { return a.key < b.key; });
      // Of a run of equal keys keep the last (the sort kept text order).
      size_t kept = begin;
      for (size_t i = begin; i < end; ++i) {
        if (i + 1 < end && members_[i + 1].key == members_[i].key) continue;
        members_[kept++] = members_[i];
      }
      end = kept;
    }
    const size_t start = Open(Kind::kObject);
    for (size_t i = begin; i < end; ++i) {
      const Member m = members_[i];  // a copy: Add may grow the stack
      Word(Kind::kKey, keys_.Id(m.key));
      Add(m.value);
    }
    Close(start, end - begin);
    members_.resize(begin);
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
    words_.resize(at + (s.size() + 7) / 8, 0);  // zero padding: equal strings, equal words
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

Result<JsonTape> JsonTape::ParseConsuming(std::string* text, std::shared_ptr<JsonKeys> keys) {
  simdjson::dom::document document;
  {
    // A parser of its own, so that its buffers (a structural index four
    // bytes per token, and a padded copy of the text unless the text has
    // simdjson's padding as spare capacity) go before the tape is built.
    simdjson::dom::parser parser;
    const bool padded = text->capacity() - text->size() >= simdjson::SIMDJSON_PADDING;
    simdjson::dom::element root;
    const simdjson::error_code error =
        parser.parse_into_document(document, text->data(), text->size(), !padded).get(root);
    if (error != simdjson::SUCCESS) {
      return Status::InvalidData(std::string("invalid JSON: ") + simdjson::error_message(error));
    }
  }
  // Spare capacity costs nothing until it is written: enough for a city's
  // tape, so that it is not copied as it grows.
  const size_t expected_words = text->size() / 4 + 16;
  std::string().swap(*text);
  JsonTape tape;
  tape.keys_ = keys != nullptr ? std::move(keys) : std::make_shared<JsonKeys>();
  tape.words_.reserve(expected_words);
  TapeBuilder(&tape.words_, tape.keys_.get()).Add(document.root());
  return tape;
}

json JsonTape::ToJson(Index i) const {
  switch (kind(i)) {
    case Kind::kNull: return json(nullptr);
    case Kind::kFalse: return json(false);
    case Kind::kTrue: return json(true);
    case Kind::kInt64: return json(int64(i));
    case Kind::kUint64: return json(uint64(i));
    case Kind::kDouble: return json(number(i));
    case Kind::kString: return json(std::string(string(i)));
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
  }
  return json();
}

void JsonTape::AppendText(Index i, std::string* out) const {
  char buf[32];
  std::to_chars_result r{buf, std::errc()};
  switch (kind(i)) {
    case Kind::kNull: out->append("null"); return;
    case Kind::kFalse: out->append("false"); return;
    case Kind::kTrue: out->append("true"); return;
    case Kind::kInt64: r = std::to_chars(buf, buf + sizeof buf, int64(i)); break;
    case Kind::kUint64: r = std::to_chars(buf, buf + sizeof buf, uint64(i)); break;
    case Kind::kDouble: {
      // Parsed doubles are finite: no null case as in JsonWriter::Double.
      r = std::to_chars(buf, buf + sizeof buf, number(i));
      break;
    }
    case Kind::kString: AppendJsonString(out, string(i)); return;
    default: {
      JsonWriter w(out);
      Write(i, &w);
      return;
    }
  }
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void JsonTape::Write(Index i, JsonWriter* w) const {
  switch (kind(i)) {
    case Kind::kNull: w->Raw("null"); return;
    case Kind::kFalse: w->Raw("false"); return;
    case Kind::kTrue: w->Raw("true"); return;
    case Kind::kInt64: w->Int64(int64(i)); return;
    case Kind::kUint64: w->Uint64(uint64(i)); return;
    case Kind::kDouble: w->Double(number(i)); return;
    case Kind::kString: w->String(string(i)); return;
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
  }
}

}  // namespace twin
