// A JSON document held as one flat array of 64-bit words: the engine's fast
// read-only form for diffing large documents (json_diff.h).
//
// Each value is a run of words that does not depend on where it sits, so two
// equal subtrees, in one document or in two that share their JsonKeys, are
// equal runs of words and compare with one memcmp (Identical). simdjson's
// On-Demand API reads the text straight into the tape, with no DOM in
// between (numbers are checked and read here: Debian's simdjson 3.0.1
// misreads long decimals there). The tape is canonical:
//   - an object's members are sorted by key, each key once (a repeated key
//     keeps its last value, as nlohmann's parser does);
//   - a non-negative integer is unsigned, as nlohmann holds it;
//   - an object key is a number in a JsonKeys dictionary (a city repeats a
//     few dozen keys some 300,000 times);
//   - strings are stored inline, zero-padded to a whole word.
// Word layout: the first word of a value holds its kind in the low 8 bits
// and a payload above: a key's number, a string's length in bytes, or a
// container's extent in words (32 bits) and count of items or members (24
// bits, saturating). A number is followed by its 64 bits, a string by its
// bytes, a container by its items (or key, value, key, value ...).
//
// A city document's tape is about 1.3 times its text. Immutable once built;
// reading from several threads is safe.
#ifndef TWIN_LIB_JSON_TAPE_H_
#define TWIN_LIB_JSON_TAPE_H_

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/base/status.h"
#include "lib/json/json_writer.h"

namespace twin {

// Object keys by number, shared by the tapes that are to be compared.
// Not thread-safe while a tape that uses it is being parsed.
class JsonKeys {
 public:
  uint64_t Id(std::string_view key);
  std::string_view Name(uint64_t id) const { return names_[id]; }
  // The key's number, or nullopt if no tape has it.
  std::optional<uint64_t> Find(std::string_view key) const;
  size_t size() const { return names_.size(); }

 private:
  std::deque<std::string> storage_;      // a deque: the names do not move
  std::vector<std::string_view> names_;  // by id
  std::unordered_map<std::string_view, uint64_t> ids_;
};

class JsonTape {
 public:
  enum class Kind : uint8_t {
    kNull,
    kFalse,
    kTrue,
    kInt64,
    kUint64,
    kDouble,
    kString,
    kKey,
    kArray,
    kObject
  };
  // A value: the index of its first word.
  using Index = size_t;
  static constexpr Index kRoot = 0;

  // Parses `text`. Keys go into `keys` (a new dictionary when null): tapes
  // to be compared fast must share one. InvalidData when simdjson refuses
  // the text: not JSON, or, among texts nlohmann accepts, integers beyond
  // 64 bits (callers that must accept exactly what nlohmann accepts fall
  // back to nlohmann then).
  static Result<JsonTape> Parse(std::string_view text,
                                std::shared_ptr<JsonKeys> keys = nullptr);
  // The same, and on success `*text` is freed as soon as simdjson is done
  // with it (on failure it is left as it was), so that a large document's
  // text and tape are not both held. With simdjson's padding (64 bytes) as
  // spare capacity, the text is parsed where it is, not copied.
  static Result<JsonTape> ParseConsuming(std::string* text,
                                         std::shared_ptr<JsonKeys> keys = nullptr);

  Kind kind(Index i) const { return static_cast<Kind>(words_[i] & 0xff); }
  // Words the value takes, its own first word included.
  size_t extent(Index i) const {
    switch (kind(i)) {
      case Kind::kInt64:
      case Kind::kUint64:
      case Kind::kDouble:
        return 2;
      case Kind::kString:
        return 1 + (payload(i) + 7) / 8;
      case Kind::kArray:
      case Kind::kObject:
        return payload(i) & 0xffffffff;
      default:
        return 1;
    }
  }
  Index next(Index i) const { return i + extent(i); }

  int64_t int64(Index i) const { return Bits<int64_t>(i + 1); }
  uint64_t uint64(Index i) const { return Bits<uint64_t>(i + 1); }
  // Any number as a double.
  double number(Index i) const {
    switch (kind(i)) {
      case Kind::kInt64:
        return static_cast<double>(int64(i));
      case Kind::kUint64:
        return static_cast<double>(uint64(i));
      default:
        return Bits<double>(i + 1);
    }
  }
  std::string_view string(Index i) const {
    return {reinterpret_cast<const char*>(&words_[i + 1]),
            static_cast<size_t>(payload(i))};
  }
  // An object's key (at the index of a kKey word), and its number.
  std::string_view key(Index i) const { return keys_->Name(payload(i)); }
  uint64_t key_id(Index i) const { return payload(i); }
  const JsonKeys* keys() const { return keys_.get(); }
  // Items of an array, members of an object.
  size_t count(Index i) const;
  // An array's first item, an object's first key (its value is next(key)).
  Index first(Index i) const { return i + 1; }

  // Whether value `i` here and value `j` of `other` are the same words: the
  // same JSON value, written the same way (1 and 1.0 are not identical,
  // though JavaScript finds them equal). Never true across tapes with
  // different JsonKeys.
  bool Identical(Index i, const JsonTape& other, Index j) const {
    return words_[i] == other.words_[j] && keys_ == other.keys_ &&
           std::memcmp(&words_[i], &other.words_[j], extent(i) * sizeof(uint64_t)) == 0;
  }

  // The value as nlohmann::json, as ParseJson (json_parse.h) builds it.
  nlohmann::json ToJson(Index i) const;
  // Writes the value's text, as JsonWriter::Value writes ToJson(i).
  void Write(Index i, JsonWriter* w) const;
  // Appends the same text to `*out`; cheaper than a JsonWriter for a short
  // value (a number, a string) in a short string.
  void AppendText(Index i, std::string* out) const;

  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

 private:
  friend class TapeBuilder;
  uint64_t payload(Index i) const { return words_[i] >> 8; }
  template <class T>
  T Bits(Index i) const {
    T value;
    std::memcpy(&value, &words_[i], sizeof value);
    return value;
  }
  std::vector<uint64_t> words_;
  std::shared_ptr<JsonKeys> keys_;
};

}  // namespace twin

#endif  // TWIN_LIB_JSON_TAPE_H_
