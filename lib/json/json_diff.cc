// The diff engine of json_diff.h. One algorithm, written once over a view
// of a document (json_diff_views.h: nlohmann trees or tapes) and an output
// (json_diff_outputs.h: an nlohmann delta or its text); the Differ asks
// nothing else of them.
#include "lib/json/json_diff.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "lib/base/parallel.h"
#include "lib/json/json_diff_outputs.h"
#include "lib/json/json_diff_views.h"
#include "lib/json/lcs.h"

namespace twin {
namespace {

using namespace diff_internal;  // the engine's own parts

// --- The engine ----------------------------------------------------------------

template <class V, template <class> class Output>
class Differ {
 public:
  using Value = typename V::Value;
  using Out = Output<V>;
  using Delta = typename Out::Delta;

  explicit Differ(const DiffOptions& options)
      : o_(options), ids_(options.object_hash_fields, options.hash_ids_of_any_type) {}

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
      if (d->depth_ == d->levels_.size()) d->levels_.push_back(std::make_unique<Level>());
      level_ = d->levels_[d->depth_++].get();
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

  // objectHash's id for an object item: the value of the first of the
  // options' id fields that it has, or nullopt where the hash is
  // "$$index:<index>".
  std::optional<Value> IdOf(Value v) const {
    if (V::Type(v) != JsType::kObject) return std::nullopt;
    return ids_.Of(v);
  }

  // JavaScript's hash1 === hash2 for two ids: primitives by value, objects
  // and arrays never (two documents never share an object).
  static bool SameId(Value a, Value b) {
    const JsType type = V::Type(a);
    if (type != V::Type(b)) return false;
    switch (type) {
      case JsType::kString:
        return V::String(a) == V::String(b);
      case JsType::kNumber:
        return V::Double(a) == V::Double(b);
      case JsType::kBoolean:
        return V::Boolean(a) == V::Boolean(b);
      case JsType::kNull:
        return true;
      default:
        return false;
    }
  }

  // An id that happens to equal the position hash "$$index:<index>".
  static bool IsPositionHash(Value id, size_t index) {
    return V::Type(id) == JsType::kString &&
           V::String(id) == "$$index:" + std::to_string(index);
  }

  // A match key for an id, equal for ids that SameId matches: the type, then
  // the value; an object or array id gets a key of its own (`unique`).
  static std::string IdKey(Value id, size_t unique) {
    switch (V::Type(id)) {
      case JsType::kString:
        return "h:s:" + std::string(V::String(id));
      case JsType::kNumber: {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, V::Double(id));
        return "h:n:" + std::string(buf, r.ptr);
      }
      case JsType::kBoolean:
        return V::Boolean(id) ? "h:b:true" : "h:b:false";
      case JsType::kNull:
        return "h:null";
      default:
        return "h:u:" + std::to_string(unique);
    }
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
    const std::optional<Value> id1 = IdOf(v1), id2 = IdOf(v2);
    if (id1 && id2) return SameId(*id1, *id2);
    if (!id1 && !id2) return i1 == i2;
    return id1 ? IsPositionHash(*id1, i2) : IsPositionHash(*id2, i1);
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
          const std::optional<Value> id = d.IdOf(v);
          key = id ? IdKey(*id, interned->size())
                   : "h:s:$$index:" + std::to_string(i - index_base);
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
      return std::any_of(items_.begin(), items_.end(),
                         [](const Item& i) { return i.is_null; });
    }
    size_t size() const { return items_.size(); }

   private:
    struct Item {
      bool is_null = false;
      bool is_object = false;
      int value = -1;  // primitives
      int hash = -1;   // objects, arrays, null
    };
    static int Intern(const std::string& key,
                      std::unordered_map<std::string, int>* interned) {
      return interned->emplace(key, static_cast<int>(interned->size())).first->second;
    }
    std::vector<Item> items_;
  };

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

  using Items = typename V::Items;
  using ArrayDelta = typename Out::Array;

  // jsondiffpatch's array diff: the common head and tail first, then the
  // middle by a longest common subsequence, with moves.
  std::optional<Delta> Arrays(Value left, Value right) {
    Enter level(this);
    const Items a1 = V::ItemsOf(left, &level->items1);
    const Items a2 = V::ItemsOf(right, &level->items2);
    const size_t len1 = a1.size(), len2 = a2.size();
    ArrayDelta result;
    const bool parallel = V::kParallel && len1 >= 2 && V::Extent(left) >= kParallelWords;
    const Ends ends = DiffEnds(a1, a2, parallel, &result);
    if (ends.head + ends.tail == len1) {
      for (size_t i = ends.head; i < len2 - ends.tail; ++i)
        result.AddAt(i, Out::Added(a2[i]));
    } else if (ends.head + ends.tail == len2) {
      for (size_t i = ends.head; i < len1 - ends.tail; ++i)
        result.AddFrom(i, Out::Deleted(a1[i]));
    } else {
      DiffMiddle(a1, a2, ends, &result);
    }
    return result.Finish();
  }

  // The delta of item i1 of the left against item i2 of the right, if any,
  // added at i2.
  void Child(const Items& a1, size_t i1, const Items& a2, size_t i2, ArrayDelta* result) {
    if (std::optional<Delta> d = Values(a1[i1], a2[i2])) result->AddAt(i2, std::move(*d));
  }

  // The lengths of the arrays' common head and tail.
  struct Ends {
    size_t head = 0, tail = 0;
  };

  // Trims the common head and tail, whose items are compared at their
  // absolute indices, and adds their deltas to `result`. A matched pair is
  // diffed at once while its items are in the cache or, if `parallel`,
  // after, on all cores.
  Ends DiffEnds(const Items& a1, const Items& a2, bool parallel, ArrayDelta* result) {
    const size_t len1 = a1.size(), len2 = a2.size();
    std::vector<Pair> matched;
    auto match = [&](size_t i1, size_t i2) {
      if (parallel) {
        matched.push_back({a1[i1], a2[i2], i2});
      } else {
        Child(a1, i1, a2, i2, result);
      }
    };
    Ends e;
    while (e.head < len1 && e.head < len2) {
      // Identical items at one index match and have no delta: the common
      // case, decided without looking for their ids.
      if (V::Identical(a1[e.head], a2[e.head])) {
        ++e.head;
        continue;
      }
      if (!MatchAt(a1[e.head], e.head, a2[e.head], e.head)) break;
      match(e.head, e.head);
      ++e.head;
    }
    while (e.tail + e.head < len1 && e.tail + e.head < len2) {
      const size_t i1 = len1 - 1 - e.tail, i2 = len2 - 1 - e.tail;
      if (i1 == i2 && V::Identical(a1[i1], a2[i2])) {
        ++e.tail;
        continue;
      }
      if (!MatchAt(a1[i1], i1, a2[i2], i2)) break;
      match(i1, i2);
      ++e.tail;
    }
    if (!matched.empty()) DiffPairs(matched, result);
    return e;
  }

  // The middle, between the ends, which both arrays have items in: hashes
  // at indices relative to the trimmed arrays, as jsondiffpatch computes
  // them after resetting its hash cache.
  void DiffMiddle(const Items& a1, const Items& a2, Ends ends, ArrayDelta* result) {
    std::unordered_map<std::string, int> interned;
    const ItemKeys t1(*this, a1, ends.head, a1.size() - ends.tail, ends.head, &interned);
    const ItemKeys t2(*this, a2, ends.head, a2.size() - ends.tail, ends.head, &interned);
    // Where Match is an equivalence (no nulls), keys can stand for it.
    const bool keyed = !t1.HasNull() && !t2.HasNull();
    const Subsequence seq = CommonItems(t1, t2, keyed);
    std::vector<bool> in_seq1(t1.size(), false);
    std::vector<long> seq_of2(t2.size(), -1);
    for (size_t k = 0; k < seq.indices1.size(); ++k) {
      in_seq1[seq.indices1[k]] = true;
      seq_of2[seq.indices2[k]] = static_cast<long>(seq.indices1[k]);
    }
    RemovedItems removed(t1, in_seq1, keyed);
    const size_t head = ends.head;
    for (size_t j = 0; j < t2.size(); ++j) {
      const size_t index2 = j + head;
      if (seq_of2[j] >= 0) {
        Child(a1, static_cast<size_t>(seq_of2[j]) + head, a2, index2, result);
      } else if (std::optional<size_t> from =
                     o_.detect_move ? removed.TakeMatch(t2, j, index2) : std::nullopt) {
        // The removal becomes a move, and the item's own changes are diffed
        // at its new index.
        Child(a1, *from + head, a2, index2, result);
      } else {
        result->AddAt(index2, Out::Added(a2[index2]));
      }
    }
    for (size_t i : removed.indices()) {
      const std::optional<size_t> to = removed.MovedTo(i);
      result->AddFrom(i + head, to ? Out::Moved(*to) : Out::Deleted(a1[i + head]));
    }
  }

  // The items the two middles keep in order: jsondiffpatch's LCS where its
  // table fits in max_lcs_cells, else one from keys where keys can stand
  // for Match, else none (nulls among huge arrays: the delta still patches
  // exactly, only larger).
  Subsequence CommonItems(const ItemKeys& t1, const ItemKeys& t2, bool keyed) const {
    if (t1.size() * t2.size() <= o_.max_lcs_cells) return ExactLcs(t1, t2);
    if (!keyed) return {};
    // Unique keys give at most min(n, m) pairs; many duplicates give up.
    return KeyedLcs(t1, t2, std::max(o_.max_lcs_cells, 8 * (t1.size() + t2.size())));
  }

  // The left middle's items outside the common subsequence, for move
  // detection: the first removed item that matches an added one becomes a
  // move, as in jsondiffpatch's scan; by key where keys stand for Match,
  // else by that scan.
  class RemovedItems {
   public:
    RemovedItems(const ItemKeys& t1, const std::vector<bool>& in_seq1, bool keyed)
        : t1_(t1), keyed_(keyed), moved_to_(t1.size(), -1) {
      for (size_t i = 0; i < t1.size(); ++i) {
        if (!in_seq1[i]) indices_.push_back(i);
      }
      if (keyed_) {
        for (size_t i : indices_) by_key_[t1.ClassKey(i)].push_back(i);
      }
    }

    // The first removed item not yet moved that matches item j of the
    // right's middle, now moved to `index2`; nullopt if none.
    std::optional<size_t> TakeMatch(const ItemKeys& t2, size_t j, size_t index2) {
      std::optional<size_t> from;
      if (indices_.empty()) return from;
      if (keyed_) {
        auto it = by_key_.find(t2.ClassKey(j));
        if (it != by_key_.end() && !it->second.empty()) {
          from = it->second.front();
          it->second.pop_front();
        }
      } else {
        for (size_t i : indices_) {
          if (moved_to_[i] < 0 && ItemKeys::Match(t1_, i, t2, j)) {
            from = i;
            break;
          }
        }
      }
      if (from) moved_to_[*from] = static_cast<long>(index2);
      return from;
    }

    // Ascending, relative to the trimmed left.
    const std::vector<size_t>& indices() const { return indices_; }
    // The new index of a removed item that moved.
    std::optional<size_t> MovedTo(size_t i) const {
      if (moved_to_[i] < 0) return std::nullopt;
      return static_cast<size_t>(moved_to_[i]);
    }

   private:
    const ItemKeys& t1_;
    const bool keyed_;
    std::vector<size_t> indices_;
    std::unordered_map<int, std::deque<size_t>> by_key_;
    std::vector<long> moved_to_;
  };

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
        if (std::optional<Delta> d = Values(l.value(), r.value()))
          result.Add(l.key(), std::move(*d));
        l.Advance();
        r.Advance();
      }
    }
    return result.Finish();
  }

  const DiffOptions& o_;
  const typename V::Ids ids_;
  // By depth, made on first use: a Differ that meets no array (most entity
  // diffs) allocates nothing here. Pointers, so that a level stays put as
  // deeper ones are added.
  std::vector<std::unique_ptr<Level>> levels_;
  size_t depth_ = 0;
};

}  // namespace

std::optional<json> Diff(const json& left, const json& right,
                         const DiffOptions& options) {
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
