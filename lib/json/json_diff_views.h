// How the diff engine (json_diff.cc) reads a document: a "view" is a value
// handle type, an array's items by index, an object's members in key order,
// and static functions that tell a value's JavaScript type and read it.
// NlohmannView reads nlohmann::json trees, TapeView reads JsonTapes
// (json_tape.h). Internal to the engine: include it nowhere else.
#ifndef TWIN_LIB_JSON_DIFF_VIEWS_H_
#define TWIN_LIB_JSON_DIFF_VIEWS_H_

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/json/json_tape.h"
#include "lib/json/json_writer.h"

namespace twin::diff_internal {

using nlohmann::json;

// JavaScript's typeof, with null apart (jsondiffpatch's leftType).
enum class JsType { kNull, kBoolean, kNumber, kString, kObject, kArray };

struct NlohmannView {
  using Value = const json*;
  // Random access to an array's items.
  struct Items {
    const json::array_t* items;
    size_t size() const { return items->size(); }
    Value operator[](size_t i) const { return &(*items)[i]; }
  };
  // An object's members in key order, each key once.
  class Members {
   public:
    explicit Members(Value v)
        : it_(v->get_ref<const json::object_t&>().begin()),
          end_(v->get_ref<const json::object_t&>().end()) {}
    bool done() const { return it_ == end_; }
    std::string_view key() const { return it_->first; }
    Value value() const { return &it_->second; }
    void Advance() { ++it_; }
    // <0, 0, >0 as this member's key sorts before, with, after other's.
    int CompareKey(const Members& other) const { return key().compare(other.key()); }

   private:
    json::object_t::const_iterator it_, end_;
  };

  // objectHash's id of an object: the value of the first of `fields` (in
  // their order) that it has, as a string unless `any_type` (then of any
  // JSON type, as jsondiffpatch's `item => item.field`). One pass over the
  // object's own members (an entity has a dozen), cheaper than a lookup per
  // field.
  class Ids {
   public:
    Ids(const std::vector<std::string>& fields, bool any_type)
        : fields_(fields), any_type_(any_type) {
      for (const std::string& field : fields) {
        lengths_ |= field.size() < 64 ? uint64_t{1} << field.size() : uint64_t{1} << 63;
      }
    }
    std::optional<Value> Of(Value object) const {
      std::optional<Value> best;
      size_t best_rank = fields_.size();
      for (const auto& [key, value] : object->get_ref<const json::object_t&>()) {
        if (best_rank == 0) break;
        // Most keys are no id field's length: skipped with one bit test.
        if ((lengths_ >> std::min<size_t>(key.size(), 63) & 1) == 0) continue;
        if (!any_type_ && !value.is_string()) continue;
        for (size_t rank = 0; rank < best_rank; ++rank) {
          if (fields_[rank] == key) {
            best = &value;
            best_rank = rank;
            break;
          }
        }
      }
      return best;
    }

   private:
    const std::vector<std::string>& fields_;
    const bool any_type_;
    uint64_t lengths_ = 0;  // bit n: some field is n bytes long (63: or longer)
  };

  static JsType Type(Value v) {
    switch (v->type()) {
      case json::value_t::null:
        return JsType::kNull;
      case json::value_t::boolean:
        return JsType::kBoolean;
      case json::value_t::string:
        return JsType::kString;
      case json::value_t::array:
        return JsType::kArray;
      case json::value_t::object:
        return JsType::kObject;
      default:
        return JsType::kNumber;
    }
  }
  static bool IsInteger(Value v) { return v->is_number_integer(); }
  static bool IsUnsigned(Value v) { return v->is_number_unsigned(); }
  static int64_t Int64(Value v) { return v->get<int64_t>(); }
  static uint64_t Uint64(Value v) { return v->get<uint64_t>(); }
  static double Double(Value v) { return v->get<double>(); }
  static bool Boolean(Value v) { return v->get<bool>(); }
  static std::string_view String(Value v) { return v->get_ref<const std::string&>(); }
  static json ToJson(Value v) { return *v; }
  static void Append(std::string* out, Value v) { AppendJson(out, *v); }
  // A cheap test that two values are the same: here, the same node.
  static bool Identical(Value a, Value b) { return a == b; }
  // Per-entity diffs in twin-publish are spread over the cores already.
  static constexpr bool kParallel = false;
  static size_t Extent(Value) { return 0; }
  static Items ItemsOf(Value v, std::vector<Value>* /*scratch*/) {
    return {&v->get_ref<const json::array_t&>()};
  }
};

struct TapeView {
  using Kind = JsonTape::Kind;
  struct Value {
    const JsonTape* tape;
    JsonTape::Index index;
  };
  // An array's items by index. A tape is read forwards, so the items are
  // stepped through while the engine asks for them in order (the common
  // head of two arrays, which is most often all of them), and their handles
  // gathered into scratch the first time it asks out of order.
  class Items {
   public:
    Items(Value array, std::vector<Value>* scratch)
        : tape_(array.tape),
          array_(array.index),
          size_(array.tape->count(array.index)),
          position_(array.tape->first(array.index)),
          scratch_(scratch) {}
    size_t size() const { return size_; }
    Value operator[](size_t i) const {
      if (!gathered_) {
        if (i == at_) return {tape_, position_};
        if (i == at_ + 1) {
          position_ = tape_->next(position_);
          ++at_;
          return {tape_, position_};
        }
        Gather();
      }
      return (*scratch_)[i];
    }

   private:
    void Gather() const {
      scratch_->clear();
      scratch_->reserve(size_);
      for (JsonTape::Index i = tape_->first(array_), end = tape_->next(array_); i != end;
           i = tape_->next(i)) {
        scratch_->push_back({tape_, i});
      }
      gathered_ = true;
    }
    const JsonTape* tape_;
    JsonTape::Index array_;
    size_t size_;
    mutable size_t at_ = 0;  // the item at position_
    mutable JsonTape::Index position_;
    std::vector<Value>* scratch_;
    mutable bool gathered_ = false;
  };
  // A tape's objects are canonical: members sorted by key, each key once.
  class Members {
   public:
    explicit Members(Value v)
        : tape_(v.tape), key_(v.tape->first(v.index)), end_(v.tape->next(v.index)) {}
    bool done() const { return key_ == end_; }
    std::string_view key() const { return tape_->key(key_); }
    Value value() const { return {tape_, tape_->next(key_)}; }
    void Advance() { key_ = tape_->next(tape_->next(key_)); }
    // Keys of one dictionary are equal when their numbers are.
    int CompareKey(const Members& other) const {
      if (tape_->keys() == other.tape_->keys() &&
          tape_->key_id(key_) == other.tape_->key_id(other.key_)) {
        return 0;
      }
      return key().compare(other.key());
    }

   private:
    const JsonTape* tape_;
    JsonTape::Index key_, end_;
  };

  // objectHash's id of an object, as NlohmannView::Ids finds it. Keys
  // are numbers, so a field is found by a table lookup per member: the rank
  // of each key number, built once per key dictionary (the two tapes of a
  // diff share theirs).
  class Ids {
   public:
    Ids(const std::vector<std::string>& fields, bool any_type)
        : fields_(fields), any_type_(any_type) {}
    std::optional<Value> Of(Value object) const {
      const JsonTape& tape = *object.tape;
      const std::vector<uint8_t>& ranks = RanksFor(tape.keys());
      std::optional<Value> best;
      uint8_t best_rank = kNotAnId;
      for (JsonTape::Index key = tape.first(object.index), end = tape.next(object.index);
           key != end;) {
        const JsonTape::Index value = tape.next(key);
        const uint64_t id = tape.key_id(key);
        if (id < ranks.size() && ranks[id] < best_rank &&
            (any_type_ || tape.kind(value) == Kind::kString)) {
          best = Value{&tape, value};
          best_rank = ranks[id];
          if (best_rank == 0) break;
        }
        key = tape.next(value);
      }
      return best;
    }

   private:
    static constexpr uint8_t kNotAnId = 255;
    const std::vector<uint8_t>& RanksFor(const JsonKeys* keys) const {
      if (keys != keys_ || ranks_.size() != keys->size()) {
        ranks_.assign(keys->size(), kNotAnId);
        for (size_t rank = std::min<size_t>(fields_.size(), kNotAnId); rank-- > 0;) {
          if (auto id = keys->Find(fields_[rank]))
            ranks_[*id] = static_cast<uint8_t>(rank);
        }
        keys_ = keys;
      }
      return ranks_;
    }
    const std::vector<std::string>& fields_;
    const bool any_type_;
    mutable const JsonKeys* keys_ = nullptr;
    mutable std::vector<uint8_t> ranks_;  // by key number
  };

  static JsType Type(Value v) {
    switch (v.tape->kind(v.index)) {
      case Kind::kNull:
        return JsType::kNull;
      case Kind::kFalse:
      case Kind::kTrue:
        return JsType::kBoolean;
      case Kind::kString:
        return JsType::kString;
      case Kind::kArray:
        return JsType::kArray;
      case Kind::kObject:
        return JsType::kObject;
      default:
        return JsType::kNumber;
    }
  }
  static bool IsInteger(Value v) { return v.tape->kind(v.index) != Kind::kDouble; }
  static bool IsUnsigned(Value v) { return v.tape->kind(v.index) == Kind::kUint64; }
  static int64_t Int64(Value v) { return v.tape->int64(v.index); }
  static uint64_t Uint64(Value v) { return v.tape->uint64(v.index); }
  static double Double(Value v) { return v.tape->number(v.index); }
  static bool Boolean(Value v) { return v.tape->kind(v.index) == Kind::kTrue; }
  static std::string_view String(Value v) { return v.tape->string(v.index); }
  static json ToJson(Value v) { return v.tape->ToJson(v.index); }
  static void Append(std::string* out, Value v) { v.tape->AppendText(v.index, out); }
  // The same words: one memcmp, the walk the engine saves on every subtree
  // that did not change.
  static bool Identical(Value a, Value b) {
    return a.tape->Identical(a.index, *b.tape, b.index);
  }
  static Items ItemsOf(Value v, std::vector<Value>* scratch) { return Items(v, scratch); }
  static constexpr bool kParallel = true;
  static size_t Extent(Value v) { return v.tape->extent(v.index); }
};

}  // namespace twin::diff_internal

#endif  // TWIN_LIB_JSON_DIFF_VIEWS_H_
