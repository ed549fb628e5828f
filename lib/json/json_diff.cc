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
        at(x, y) = ItemKeys::Match(a, x - 1, b, y - 1)
                       ? at(x - 1, y - 1) + 1
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
      auto pos =
          std::lower_bound(tails.begin(), tails.end(), pairs[p].second,
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
    for (long p = tails.empty() ? -1 : static_cast<long>(tails.back()); p >= 0;
         p = previous[p]) {
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
      if (std::optional<Delta> d = Values(a1[i1], a2[i2]))
        result.AddAt(i2, std::move(*d));
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
      result.AddFrom(i + head, moved_to[i] >= 0
                                   ? Out::Moved(static_cast<size_t>(moved_to[i]))
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
