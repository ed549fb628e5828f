// The diff engine of json_diff.h. One algorithm, written once over a "view"
// of a document: NlohmannView reads nlohmann::json trees, TapeView reads
// JsonTapes (json_tape.h). A view is a value handle type, an array's items
// by index, an object's members in key order, and static functions; the
// Differ below asks nothing else of it.
#include "lib/json_diff.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "lib/json_writer.h"
#include "lib/parallel.h"

namespace twin {
namespace {

using nlohmann::json;
constexpr int kArrayMove = 3;

// JavaScript's typeof, with null apart (jsondiffpatch's leftType).
enum class JsType { kNull, kBoolean, kNumber, kString, kObject, kArray };

// --- Views -------------------------------------------------------------------

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

  static JsType Type(Value v) {
    switch (v->type()) {
      case json::value_t::null: return JsType::kNull;
      case json::value_t::boolean: return JsType::kBoolean;
      case json::value_t::string: return JsType::kString;
      case json::value_t::array: return JsType::kArray;
      case json::value_t::object: return JsType::kObject;
      default: return JsType::kNumber;
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
    mutable size_t at_ = 0;                 // the item at position_
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

  static JsType Type(Value v) {
    switch (v.tape->kind(v.index)) {
      case Kind::kNull: return JsType::kNull;
      case Kind::kFalse:
      case Kind::kTrue: return JsType::kBoolean;
      case Kind::kString: return JsType::kString;
      case Kind::kArray: return JsType::kArray;
      case Kind::kObject: return JsType::kObject;
      default: return JsType::kNumber;
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
  static bool Identical(Value a, Value b) { return a.tape->Identical(a.index, *b.tape, b.index); }
  static Items ItemsOf(Value v, std::vector<Value>* scratch) { return Items(v, scratch); }
  static constexpr bool kParallel = true;
  static size_t Extent(Value v) { return v.tape->extent(v.index); }
};

// --- Outputs: how the engine writes a delta ------------------------------------

// A delta as nlohmann::json (what Diff returns).
template <class V>
struct JsonOut {
  using Delta = json;
  static Delta Changed(typename V::Value left, typename V::Value right) {
    return json::array({V::ToJson(left), V::ToJson(right)});
  }
  static Delta Added(typename V::Value value) {
    return json::array({V::ToJson(value)});
  }
  static Delta Deleted(typename V::Value value) {
    return json::array({V::ToJson(value), 0, 0});
  }
  static Delta Moved(size_t to) { return json::array({"", to, kArrayMove}); }

  class Object {
   public:
    void Add(std::string_view key, Delta delta) { result_[std::string(key)] = std::move(delta); }
    std::optional<Delta> Finish() {
      if (result_.is_null()) return std::nullopt;
      return std::move(result_);
    }

   private:
    json result_;  // null until the first member: most objects have none
  };
  class Array {
   public:
    // "<index>": a delta at the new index.
    void AddAt(size_t index, Delta delta) { result_[std::to_string(index)] = std::move(delta); }
    // "_<index>": removed from (or moved from) the old index.
    void AddFrom(size_t index, Delta delta) {
      result_["_" + std::to_string(index)] = std::move(delta);
    }
    std::optional<Delta> Finish() {
      if (result_.is_null()) return std::nullopt;
      result_["_t"] = "a";
      return std::move(result_);
    }

   private:
    json result_;
  };
};

// A delta as its text, exactly as DeltaToText writes the JsonOut delta, with
// no tree built: the fast way to a large delta's text.
template <class V>
struct TextOut {
  using Delta = std::string;
  // Leaf deltas are mostly short: "[1.5,2]" stays in the string's inline
  // buffer, no allocation.
  static Delta Changed(typename V::Value left, typename V::Value right) {
    Delta out = "[";
    V::Append(&out, left);
    out += ',';
    V::Append(&out, right);
    out += ']';
    return out;
  }
  static Delta Added(typename V::Value value) {
    Delta out = "[";
    V::Append(&out, value);
    out += ']';
    return out;
  }
  static Delta Deleted(typename V::Value value) {
    Delta out = "[";
    V::Append(&out, value);
    out += ",0,0]";
    return out;
  }
  static Delta Moved(size_t to) { return "[\"\"," + std::to_string(to) + ",3]"; }

  // Members arrive in key order (the engine merges sorted members), so they
  // are written as they come.
  class Object {
   public:
    void Add(std::string_view key, const Delta& delta) {
      text_ += text_.empty() ? '{' : ',';
      AppendJsonString(&text_, key);
      text_ += ':';
      text_ += delta;
    }
    std::optional<Delta> Finish() {
      if (text_.empty()) return std::nullopt;
      text_ += '}';
      return std::move(text_);
    }

   private:
    std::string text_;
  };
  // Members arrive in no useful order; written in JavaScript's: "<i>"
  // ascending, "_t", "_<i>" ascending.
  class Array {
   public:
    void AddAt(size_t index, Delta delta) { entries_.push_back({false, index, std::move(delta)}); }
    void AddFrom(size_t index, Delta delta) { entries_.push_back({true, index, std::move(delta)}); }
    std::optional<Delta> Finish() {
      if (entries_.empty()) return std::nullopt;
      std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        return a.from != b.from ? b.from : a.index < b.index;
      });
      size_t size = 16;
      for (const Entry& e : entries_) size += e.delta.size() + 24;
      std::string out;
      out.reserve(size);
      out += '{';
      bool t_written = false;
      for (const Entry& e : entries_) {
        if (out.size() > 1) out += ',';
        if (e.from && !t_written) {
          out += "\"_t\":\"a\",";
          t_written = true;
        }
        out += e.from ? "\"_" : "\"";
        out += std::to_string(e.index);
        out += "\":";
        out += e.delta;
      }
      if (!t_written) out += ",\"_t\":\"a\"";
      out += '}';
      return out;
    }

   private:
    struct Entry {
      bool from;
      size_t index;
      Delta delta;
    };
    std::vector<Entry> entries_;
  };
};

// --- The engine ----------------------------------------------------------------

template <class V, template <class> class Output>
class Differ {
 public:
  using Value = typename V::Value;
  using Out = Output<V>;
  using Delta = typename Out::Delta;

  explicit Differ(const DiffOptions& options) : o_(options) {
    for (const std::string& field : options.object_hash_fields) {
      id_lengths_ |= field.size() < 64 ? uint64_t{1} << field.size() : uint64_t{1} << 63;
    }
  }

  std::optional<Delta> Values(Value left, Value right) {
    if (V::Identical(left, right)) return std::nullopt;
    const JsType lt = V::Type(left), rt = V::Type(right);
    if (lt != rt) return Out::Changed(left, right);
    switch (lt) {
      case JsType::kNull:
        return std::nullopt;
      case JsType::kBoolean:
      case JsType::kNumber:
      case JsType::kString:
        if (SamePrimitive(left, right, lt)) return std::nullopt;
        return Out::Changed(left, right);
      case JsType::kArray:
        return Arrays(left, right);
      case JsType::kObject:
        return Objects(left, right);
    }
    return std::nullopt;
  }

 private:
  // Buffers for one level of nesting, kept for reuse so that walking a
  // document allocates nothing but its delta.
  struct Level {
    std::vector<Value> items1, items2;
  };
  class Enter {
   public:
    explicit Enter(Differ* d) : d_(d) {
      if (d->depth_ == d->levels_.size()) d->levels_.emplace_back();
      level_ = &d->levels_[d->depth_++];
    }
    ~Enter() { --d_->depth_; }
    Level& operator*() const { return *level_; }
    Level* operator->() const { return level_; }

   private:
    Differ* d_;
    Level* level_;
  };

  // === for two primitives of one JavaScript type. Integers compare exactly
  // (JavaScript would round both past 2^53; we keep the difference rather
  // than lose it).
  static bool SamePrimitive(Value a, Value b, JsType type) {
    switch (type) {
      case JsType::kNumber:
        return SameNumber(a, b);
      case JsType::kString:
        return V::String(a) == V::String(b);
      case JsType::kBoolean:
        return V::Boolean(a) == V::Boolean(b);
      default:
        return true;  // null
    }
  }
  static bool SameNumber(Value a, Value b) {
    if (V::IsInteger(a) && V::IsInteger(b)) {
      const bool ua = V::IsUnsigned(a), ub = V::IsUnsigned(b);
      if (ua && ub) return V::Uint64(a) == V::Uint64(b);
      if (!ua && !ub) return V::Int64(a) == V::Int64(b);
      const Value u = ua ? a : b;
      const Value s = ua ? b : a;
      return V::Int64(s) >= 0 && static_cast<uint64_t>(V::Int64(s)) == V::Uint64(u);
    }
    return V::Double(a) == V::Double(b);
  }

  // objectHash's id for an object item: the first of the options' fields
  // that it has as a string, or nullopt where the hash is "$$index:<index>".
  std::optional<std::string_view> IdOf(Value v) const {
    if (V::Type(v) != JsType::kObject) return std::nullopt;
    if constexpr (std::is_same_v<V, TapeView>) return TapeIdOf(v);
    // One pass over the object's own members (an entity has a dozen),
    // keeping the id field that comes first in the options' order: cheaper
    // than a lookup per id field.
    std::optional<std::string_view> best;
    const auto& fields = o_.object_hash_fields;
    size_t best_rank = fields.size();
    for (typename V::Members m(v); !m.done() && best_rank != 0; m.Advance()) {
      const std::string_view key = m.key();
      // Most keys are no id field's length: skipped with one bit test.
      if ((id_lengths_ >> std::min<size_t>(key.size(), 63) & 1) == 0) continue;
      if (V::Type(m.value()) != JsType::kString) continue;
      for (size_t rank = 0; rank < best_rank; ++rank) {
        if (fields[rank] == key) {
          best = V::String(m.value());
          best_rank = rank;
          break;
        }
      }
    }
    return best;
  }

  // IdOf on a tape: keys are numbers, so an id field is found by a table
  // lookup per member instead of string comparisons.
  std::optional<std::string_view> TapeIdOf(TapeView::Value v) const {
    const JsonTape& tape = *v.tape;
    const std::vector<uint8_t>& ranks = RanksFor(tape.keys());
    std::optional<std::string_view> best;
    uint8_t best_rank = kNotAnId;
    for (JsonTape::Index key = tape.first(v.index), end = tape.next(v.index); key != end;) {
      const JsonTape::Index value = tape.next(key);
      const uint64_t id = tape.key_id(key);
      if (id < ranks.size() && ranks[id] < best_rank &&
          tape.kind(value) == JsonTape::Kind::kString) {
        best = tape.string(value);
        best_rank = ranks[id];
        if (best_rank == 0) break;
      }
      key = tape.next(value);
    }
    return best;
  }
  static constexpr uint8_t kNotAnId = 255;
  // By key number: the rank of the id field it names, or kNotAnId. Built
  // once per key dictionary (the two tapes of a diff share theirs).
  const std::vector<uint8_t>& RanksFor(const JsonKeys* keys) const {
    if (keys != ranks_keys_ || ranks_.size() != keys->size()) {
      ranks_.assign(keys->size(), kNotAnId);
      const auto& fields = o_.object_hash_fields;
      for (size_t rank = std::min<size_t>(fields.size(), kNotAnId); rank-- > 0;) {
        if (auto id = keys->Find(fields[rank])) ranks_[*id] = static_cast<uint8_t>(rank);
      }
      ranks_keys_ = keys;
    }
    return ranks_;
  }

  static bool IsObjectLike(JsType t) {
    return t == JsType::kObject || t == JsType::kArray || t == JsType::kNull;
  }

  // jsondiffpatch's matchItems(array1, array2, i1, i2) for items at those
  // indices, without building keys: used for the common head and tail.
  bool MatchAt(Value v1, size_t i1, Value v2, size_t i2) const {
    const JsType t1 = V::Type(v1), t2 = V::Type(v2);
    if (t1 == JsType::kNull && t2 == JsType::kNull) return true;
    const bool object1 = IsObjectLike(t1), object2 = IsObjectLike(t2);
    if (!object1 && !object2) {
      if (t1 != t2) return false;
      if (t1 == JsType::kNumber) return V::Double(v1) == V::Double(v2);
      return SamePrimitive(v1, v2, t1);
    }
    if (!object1 || !object2) return false;
    const std::optional<std::string_view> id1 = IdOf(v1), id2 = IdOf(v2);
    if (id1 && id2) return *id1 == *id2;
    if (!id1 && !id2) return i1 == i2;
    // An id that happens to read "$$index:<i>".
    return (id1 ? *id1 : *id2) == "$$index:" + std::to_string(id1 ? i2 : i1);
  }

  // Precomputed match keys of one side's items, so that matchItems is O(1):
  // primitives by value, "objects" (objects, arrays and null, which
  // JavaScript calls objects) by objectHash at their index.
  class ItemKeys {
   public:
    ItemKeys(const Differ& d, const typename V::Items& array, size_t begin, size_t end,
             size_t index_base, std::unordered_map<std::string, int>* interned) {
      for (size_t i = begin; i < end; ++i) {
        const Value v = array[i];
        const JsType type = V::Type(v);
        Item item;
        item.is_null = type == JsType::kNull;
        item.is_object = IsObjectLike(type);
        std::string key;
        if (item.is_object) {
          const std::optional<std::string_view> id = d.IdOf(v);
          key = id ? "h:" + std::string(*id) : "h:$$index:" + std::to_string(i - index_base);
          item.hash = Intern(key, interned);
        } else {
          if (type == JsType::kNumber) {
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, V::Double(v));
            // By double value: JavaScript's 1 === 1.0.
            key = "n:" + std::string(buf, r.ptr);
          } else if (type == JsType::kString) {
            key = "s:" + std::string(V::String(v));
          } else {
            key = V::Boolean(v) ? "b:true" : "b:false";
          }
          item.value = Intern(key, interned);
        }
        items_.push_back(item);
      }
    }

    // jsondiffpatch's matchItems(array1, array2, i, j).
    static bool Match(const ItemKeys& a, size_t i, const ItemKeys& b, size_t j) {
      const Item& x = a.items_[i];
      const Item& y = b.items_[j];
      if (x.is_null && y.is_null) return true;  // null === null
      if (!x.is_object && !y.is_object) return x.value == y.value;
      if (!x.is_object || !y.is_object) return false;
      return x.hash == y.hash;
    }

    // A key that identifies the item's equivalence class under Match, or -1
    // when Match is not an equivalence here (nulls match both null and
    // position-hashed objects).
    int ClassKey(size_t i) const {
      const Item& x = items_[i];
      if (x.is_null) return -1;
      return x.is_object ? x.hash : x.value;
    }
    bool HasNull() const {
      return std::any_of(items_.begin(), items_.end(), [](const Item& i) { return i.is_null; });
    }
    size_t size() const { return items_.size(); }

   private:
    struct Item {
      bool is_null = false;
      bool is_object = false;
      int value = -1;  // primitives
      int hash = -1;   // objects, arrays, null
    };
    static int Intern(const std::string& key, std::unordered_map<std::string, int>* interned) {
      return interned->emplace(key, static_cast<int>(interned->size())).first->second;
    }
    std::vector<Item> items_;
  };

  struct Subsequence {
    std::vector<size_t> indices1, indices2;  // ascending, relative to trimmed
  };

  // jsondiffpatch's lcs.get: the DP table and its backtrack, exactly.
  static Subsequence ExactLcs(const ItemKeys& a, const ItemKeys& b) {
    const size_t n = a.size(), m = b.size();
    std::vector<uint32_t> table((n + 1) * (m + 1), 0);
    auto at = [&](size_t x, size_t y) -> uint32_t& { return table[x * (m + 1) + y]; };
    for (size_t x = 1; x <= n; ++x) {
      for (size_t y = 1; y <= m; ++y) {
        at(x, y) = ItemKeys::Match(a, x - 1, b, y - 1) ? at(x - 1, y - 1) + 1
                                                       : std::max(at(x - 1, y), at(x, y - 1));
      }
    }
    Subsequence s;
    size_t x = n, y = m;
    while (x != 0 && y != 0) {
      if (ItemKeys::Match(a, x - 1, b, y - 1)) {
        s.indices1.push_back(x - 1);
        s.indices2.push_back(y - 1);
        --x;
        --y;
      } else if (at(x, y - 1) > at(x - 1, y)) {
        --y;
      } else {
        --x;
      }
    }
    std::reverse(s.indices1.begin(), s.indices1.end());
    std::reverse(s.indices2.begin(), s.indices2.end());
    return s;
  }

  // An LCS from item keys (Hunt-Szymanski: a longest increasing subsequence
  // of matching positions), O((n + r) log n) for r matching pairs. Used
  // where the exact table would be too large; gives up (empty) past
  // `max_pairs`.
  static Subsequence KeyedLcs(const ItemKeys& a, const ItemKeys& b, size_t max_pairs) {
    std::unordered_map<int, std::vector<size_t>> positions;  // key -> indices in b
    for (size_t j = 0; j < b.size(); ++j) positions[b.ClassKey(j)].push_back(j);
    // Pairs (i, j) with j descending within each i, so that the LIS over j
    // takes at most one j per i.
    std::vector<std::pair<size_t, size_t>> pairs;
    for (size_t i = 0; i < a.size(); ++i) {
      auto it = positions.find(a.ClassKey(i));
      if (it == positions.end()) continue;
      for (auto j = it->second.rbegin(); j != it->second.rend(); ++j) {
        pairs.emplace_back(i, *j);
        if (pairs.size() > max_pairs) return {};
      }
    }
    std::vector<size_t> tails;  // tails[k]: index in pairs of the smallest tail
    std::vector<long> previous(pairs.size(), -1);
    for (size_t p = 0; p < pairs.size(); ++p) {
      auto pos = std::lower_bound(tails.begin(), tails.end(), pairs[p].second,
                                  [&](size_t q, size_t j) { return pairs[q].second < j; });
      const size_t k = static_cast<size_t>(pos - tails.begin());
      if (k > 0) previous[p] = static_cast<long>(tails[k - 1]);
      if (pos == tails.end()) {
        tails.push_back(p);
      } else {
        *pos = p;
      }
    }
    Subsequence s;
    for (long p = tails.empty() ? -1 : static_cast<long>(tails.back()); p >= 0; p = previous[p]) {
      s.indices1.push_back(pairs[p].first);
      s.indices2.push_back(pairs[p].second);
    }
    std::reverse(s.indices1.begin(), s.indices1.end());
    std::reverse(s.indices2.begin(), s.indices2.end());
    return s;
  }

  // Two matched array items, and the new one's index.
  struct Pair {
    Value left, right;
    size_t index2;
  };

  // The deltas of matched items, added to `result`: diffed on all cores,
  // each range by a Differ of its own.
  void DiffPairs(const std::vector<Pair>& pairs, typename Out::Array* result) {
    std::vector<std::optional<Delta>> deltas(pairs.size());
    ParallelFor(pairs.size(), 1, [&](size_t begin, size_t end) {
      Differ worker(o_);
      for (size_t k = begin; k < end; ++k) {
        deltas[k] = worker.Values(pairs[k].left, pairs[k].right);
      }
    });
    for (size_t k = 0; k < pairs.size(); ++k) {
      if (deltas[k]) result->AddAt(pairs[k].index2, std::move(*deltas[k]));
    }
  }
  // Below this much to compare (about 2 MB of tape), a thread costs more
  // than it saves.
  static constexpr size_t kParallelWords = size_t{1} << 18;

  std::optional<Delta> Arrays(Value left, Value right) {
    Enter level(this);
    const typename V::Items a1 = V::ItemsOf(left, &level->items1);
    const typename V::Items a2 = V::ItemsOf(right, &level->items2);
    const size_t len1 = a1.size(), len2 = a2.size();
    typename Out::Array result;
    auto child = [&](size_t i1, size_t i2) {
      if (std::optional<Delta> d = Values(a1[i1], a2[i2])) result.AddAt(i2, std::move(*d));
    };
    // Head and tail: items compared at their absolute indices. A matched
    // pair is diffed at once while its items are in the cache, or, in a
    // large array of a view that allows it, after, on all cores.
    const bool parallel = V::kParallel && len1 >= 2 && V::Extent(left) >= kParallelWords;
    std::vector<Pair> matched;
    auto match = [&](size_t i1, size_t i2) {
      if (parallel) {
        matched.push_back({a1[i1], a2[i2], i2});
      } else {
        child(i1, i2);
      }
    };
    size_t head = 0, tail = 0;
    while (head < len1 && head < len2) {
      // Identical items at one index match and have no delta: the common
      // case, decided without looking for their ids.
      if (V::Identical(a1[head], a2[head])) {
        ++head;
        continue;
      }
      if (!MatchAt(a1[head], head, a2[head], head)) break;
      match(head, head);
      ++head;
    }
    while (tail + head < len1 && tail + head < len2) {
      const size_t i1 = len1 - 1 - tail, i2 = len2 - 1 - tail;
      if (i1 == i2 && V::Identical(a1[i1], a2[i2])) {
        ++tail;
        continue;
      }
      if (!MatchAt(a1[i1], i1, a2[i2], i2)) break;
      match(i1, i2);
      ++tail;
    }
    if (!matched.empty()) DiffPairs(matched, &result);
    if (head + tail == len1) {
      for (size_t i = head; i < len2 - tail; ++i) result.AddAt(i, Out::Added(a2[i]));
      return result.Finish();
    }
    if (head + tail == len2) {
      for (size_t i = head; i < len1 - tail; ++i) result.AddFrom(i, Out::Deleted(a1[i]));
      return result.Finish();
    }
    // The middle: hashes at indices relative to the trimmed arrays, as
    // jsondiffpatch computes them after resetting its hash cache.
    std::unordered_map<std::string, int> interned;
    const ItemKeys t1(*this, a1, head, len1 - tail, head, &interned);
    const ItemKeys t2(*this, a2, head, len2 - tail, head, &interned);
    Subsequence seq;
    const bool keyed = !t1.HasNull() && !t2.HasNull();
    if (t1.size() * t2.size() <= o_.max_lcs_cells || !keyed) {
      if (t1.size() * t2.size() <= o_.max_lcs_cells) seq = ExactLcs(t1, t2);
      // else: nulls among huge arrays: no LCS (the delta still patches exactly)
    } else {
      // Unique keys give at most min(n, m) pairs; many duplicates give up.
      seq = KeyedLcs(t1, t2, std::max(o_.max_lcs_cells, 8 * (t1.size() + t2.size())));
    }
    std::vector<bool> in_seq1(t1.size(), false);
    std::vector<long> seq_of2(t2.size(), -1);
    for (size_t k = 0; k < seq.indices1.size(); ++k) {
      in_seq1[seq.indices1[k]] = true;
      seq_of2[seq.indices2[k]] = static_cast<long>(seq.indices1[k]);
    }
    std::vector<size_t> removed;  // relative indices, ascending
    for (size_t i = 0; i < t1.size(); ++i) {
      if (!in_seq1[i]) removed.push_back(i);
    }
    // Removed items by key, in ascending order, for move detection: the
    // first removed item that matches an added one becomes a move, as in
    // jsondiffpatch's scan. Where Match is no equivalence (nulls), scan.
    std::unordered_map<int, std::deque<size_t>> removed_by_key;
    if (keyed) {
      for (size_t i : removed) removed_by_key[t1.ClassKey(i)].push_back(i);
    }
    std::vector<long> moved_to(t1.size(), -1);  // new index of a moved item
    for (size_t j = 0; j < t2.size(); ++j) {
      const size_t index2 = j + head;
      if (seq_of2[j] >= 0) {
        child(static_cast<size_t>(seq_of2[j]) + head, index2);
        continue;
      }
      std::optional<size_t> from;
      if (o_.detect_move && !removed.empty()) {
        if (keyed) {
          auto it = removed_by_key.find(t2.ClassKey(j));
          if (it != removed_by_key.end() && !it->second.empty()) {
            from = it->second.front();
            it->second.pop_front();
          }
        } else {
          for (size_t i : removed) {
            if (moved_to[i] < 0 && ItemKeys::Match(t1, i, t2, j)) {
              from = i;
              break;
            }
          }
        }
      }
      if (from) {
        // The removal becomes a move, and the item's own changes are diffed
        // at its new index.
        moved_to[*from] = static_cast<long>(index2);
        child(*from + head, index2);
      } else {
        result.AddAt(index2, Out::Added(a2[index2]));
      }
    }
    for (size_t i : removed) {
      result.AddFrom(i + head, moved_to[i] >= 0 ? Out::Moved(static_cast<size_t>(moved_to[i]))
                                                 : Out::Deleted(a1[i + head]));
    }
    return result.Finish();
  }

  // Both sides' members come in key order: one merge pass, and no result
  // object until the first difference.
  std::optional<Delta> Objects(Value left, Value right) {
    typename Out::Object result;
    typename V::Members l(left), r(right);
    while (!l.done() || !r.done()) {
      const int order = l.done() ? 1 : r.done() ? -1 : l.CompareKey(r);
      if (order < 0) {
        result.Add(l.key(), Out::Deleted(l.value()));
        l.Advance();
      } else if (order > 0) {
        result.Add(r.key(), Out::Added(r.value()));
        r.Advance();
      } else {
        if (std::optional<Delta> d = Values(l.value(), r.value())) result.Add(l.key(), std::move(*d));
        l.Advance();
        r.Advance();
      }
    }
    return result.Finish();
  }

  const DiffOptions& o_;
  uint64_t id_lengths_ = 0;  // bit n: some id field is n bytes long (63: or longer)
  mutable const JsonKeys* ranks_keys_ = nullptr;
  mutable std::vector<uint8_t> ranks_;
  std::deque<Level> levels_;  // a deque: references stay valid as it grows
  size_t depth_ = 0;
};

}  // namespace

std::optional<json> Diff(const json& left, const json& right, const DiffOptions& options) {
  return Differ<NlohmannView, JsonOut>(options).Values(&left, &right);
}

std::optional<json> Diff(const JsonTape& left, const JsonTape& right,
                         const DiffOptions& options) {
  return Differ<TapeView, JsonOut>(options).Values({&left, JsonTape::kRoot},
                                                   {&right, JsonTape::kRoot});
}

std::optional<std::string> DiffText(const json& left, const json& right,
                                    const DiffOptions& options) {
  return Differ<NlohmannView, TextOut>(options).Values(&left, &right);
}

std::optional<std::string> DiffText(const JsonTape& left, const JsonTape& right,
                                    const DiffOptions& options) {
  return Differ<TapeView, TextOut>(options).Values({&left, JsonTape::kRoot},
                                                   {&right, JsonTape::kRoot});
}

}  // namespace twin
