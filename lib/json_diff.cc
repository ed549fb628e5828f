#include "lib/json_diff.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <unordered_map>

#include "lib/json_writer.h"

namespace twin {
namespace {

using nlohmann::json;
constexpr int kArrayMove = 3;

// --- Equality as jsondiffpatch sees it ------------------------------------

// JavaScript's typeof, with null apart (jsondiffpatch's leftType).
enum class JsType { kNull, kBoolean, kNumber, kString, kObject, kArray };

JsType TypeOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return JsType::kNull;
    case json::value_t::boolean: return JsType::kBoolean;
    case json::value_t::string: return JsType::kString;
    case json::value_t::array: return JsType::kArray;
    case json::value_t::object: return JsType::kObject;
    default: return JsType::kNumber;
  }
}

// === for two primitives. Integers compare exactly (JavaScript would round
// both past 2^53; we keep the difference rather than lose it).
bool SamePrimitive(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    if (a.is_number_unsigned() && b.is_number_unsigned()) {
      return a.get<uint64_t>() == b.get<uint64_t>();
    }
    if (!a.is_number_unsigned() && !b.is_number_unsigned()) {
      return a.get<int64_t>() == b.get<int64_t>();
    }
    const json& u = a.is_number_unsigned() ? a : b;
    const json& s = a.is_number_unsigned() ? b : a;
    return s.get<int64_t>() >= 0 &&
           static_cast<uint64_t>(s.get<int64_t>()) == u.get<uint64_t>();
  }
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;  // string, boolean, null
}

// --- Array matching ------------------------------------------------------

// Precomputed match keys of one side's items, so that matchItems is O(1):
// primitives by value, "objects" (objects, arrays and null, which JavaScript
// calls objects) by objectHash at their index.
class ItemKeys {
 public:
  ItemKeys(const json& array, size_t begin, size_t end, size_t index_base,
           const DiffOptions& options, std::unordered_map<std::string, int>* interned) {
    for (size_t i = begin; i < end; ++i) {
      const json& v = array[i];
      Item item;
      item.is_null = v.is_null();
      item.is_object = v.is_structured() || v.is_null();
      std::string key;
      if (item.is_object) {
        key = "h:" + Hash(v, i - index_base, options);
        item.hash = Intern(key, interned);
      } else {
        if (v.is_number()) {
          char buf[32];
          auto r = std::to_chars(buf, buf + sizeof buf, v.get<double>());
          // By double value: JavaScript's 1 === 1.0.
          key = "n:" + std::string(buf, r.ptr);
        } else {
          key = (v.is_string() ? "s:" : "b:") + (v.is_string() ? v.get<std::string>() : v.dump());
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

  static std::string Hash(const json& v, size_t index, const DiffOptions& options) {
    if (v.is_object()) {
      for (const std::string& field : options.object_hash_fields) {
        auto it = v.find(field);
        if (it != v.end() && it->is_string()) return it->get<std::string>();
      }
    }
    return "$$index:" + std::to_string(index);
  }

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

// objectHash's id for an object item, without copying: nullptr where the
// hash is "$$index:<index>".
const std::string* IdOf(const json& v, const DiffOptions& o) {
  if (!v.is_object()) return nullptr;
  // One pass over the object's own members (an entity has a dozen), keeping
  // the id field that comes first in the options' order: cheaper than a map
  // lookup per id field.
  const std::string* best = nullptr;
  size_t best_rank = o.object_hash_fields.size();
  for (const auto& [key, value] : v.get_ref<const json::object_t&>()) {
    if (!value.is_string()) continue;
    for (size_t rank = 0; rank < best_rank; ++rank) {
      const std::string& field = o.object_hash_fields[rank];
      if (field.size() == key.size() && field == key) {
        best = &value.get_ref<const std::string&>();
        best_rank = rank;
        break;
      }
    }
    if (best_rank == 0) break;
  }
  return best;
}

// jsondiffpatch's matchItems(array1, array2, i1, i2) for items at those
// indices, without building keys: used for the common head and tail.
bool MatchAt(const json& v1, size_t i1, const json& v2, size_t i2, const DiffOptions& o) {
  const bool object1 = v1.is_structured() || v1.is_null();
  const bool object2 = v2.is_structured() || v2.is_null();
  if (v1.is_null() && v2.is_null()) return true;
  if (!object1 && !object2) {
    if (v1.is_number() && v2.is_number()) return v1.get<double>() == v2.get<double>();
    return v1 == v2;
  }
  if (!object1 || !object2) return false;
  const std::string* id1 = IdOf(v1, o);
  const std::string* id2 = IdOf(v2, o);
  if (id1 != nullptr && id2 != nullptr) return *id1 == *id2;
  if (id1 == nullptr && id2 == nullptr) return i1 == i2;
  // An id that happens to read "$$index:<i>".
  const std::string& id = id1 != nullptr ? *id1 : *id2;
  return id == "$$index:" + std::to_string(id1 != nullptr ? i2 : i1);
}

struct Subsequence {
  std::vector<size_t> indices1, indices2;  // ascending, relative to trimmed
};

// jsondiffpatch's lcs.get: the DP table and its backtrack, exactly.
Subsequence ExactLcs(const ItemKeys& a, const ItemKeys& b) {
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

// An LCS from item keys (Hunt-Szymanski: a longest increasing subsequence of
// matching positions), O((n + r) log n) for r matching pairs. Used where the
// exact table would be too large; gives up (empty) past `max_pairs`.
Subsequence KeyedLcs(const ItemKeys& a, const ItemKeys& b, size_t max_pairs) {
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
  std::vector<size_t> tails;       // tails[k]: index in pairs of the smallest tail
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

std::optional<json> DiffValues(const json& left, const json& right, const DiffOptions& o);

std::optional<json> DiffArrays(const json& a1, const json& a2, const DiffOptions& o) {
  const size_t len1 = a1.size(), len2 = a2.size();
  json result;  // null until the first difference: most arrays have none
  bool have_result = false;
  auto child = [&](size_t i1, size_t i2) {
    if (auto d = DiffValues(a1[i1], a2[i2], o)) {
      result[std::to_string(i2)] = std::move(*d);
      have_result = true;
    }
  };
  // Head and tail: items compared at their absolute indices.
  size_t head = 0, tail = 0;
  while (head < len1 && head < len2 && MatchAt(a1[head], head, a2[head], head, o)) {
    child(head, head);
    ++head;
  }
  while (tail + head < len1 && tail + head < len2 &&
         MatchAt(a1[len1 - 1 - tail], len1 - 1 - tail, a2[len2 - 1 - tail], len2 - 1 - tail, o)) {
    child(len1 - 1 - tail, len2 - 1 - tail);
    ++tail;
  }
  auto finish = [&]() -> std::optional<json> {
    if (!have_result) return std::nullopt;
    result["_t"] = "a";
    return std::move(result);  // captured by reference: would copy otherwise
  };
  if (head + tail == len1) {
    for (size_t i = head; i < len2 - tail; ++i) {
      result[std::to_string(i)] = json::array({a2[i]});
      have_result = true;
    }
    return finish();
  }
  if (head + tail == len2) {
    for (size_t i = head; i < len1 - tail; ++i) {
      result["_" + std::to_string(i)] = json::array({a1[i], 0, 0});
      have_result = true;
    }
    return finish();
  }
  // The middle: hashes at indices relative to the trimmed arrays, as
  // jsondiffpatch computes them after resetting its hash cache.
  std::unordered_map<std::string, int> interned;
  const ItemKeys t1(a1, head, len1 - tail, head, o, &interned);
  const ItemKeys t2(a2, head, len2 - tail, head, o, &interned);
  Subsequence seq;
  const bool keyed = !t1.HasNull() && !t2.HasNull();
  if (t1.size() * t2.size() <= o.max_lcs_cells || !keyed) {
    if (t1.size() * t2.size() <= o.max_lcs_cells) seq = ExactLcs(t1, t2);
    // else: nulls among huge arrays: no LCS (the delta still patches exactly)
  } else {
    // Unique keys give at most min(n, m) pairs; many duplicates give up.
    seq = KeyedLcs(t1, t2, std::max(o.max_lcs_cells, 8 * (t1.size() + t2.size())));
  }
  std::vector<bool> in_seq1(t1.size(), false);
  std::vector<long> seq_of2(t2.size(), -1);
  for (size_t k = 0; k < seq.indices1.size(); ++k) {
    in_seq1[seq.indices1[k]] = true;
    seq_of2[seq.indices2[k]] = static_cast<long>(seq.indices1[k]);
  }
  std::vector<size_t> removed;  // relative indices, ascending
  for (size_t i = 0; i < t1.size(); ++i) {
    if (in_seq1[i]) continue;
    result["_" + std::to_string(i + head)] = json::array({a1[i + head], 0, 0});
    have_result = true;
    removed.push_back(i);
  }
  // Removed items by key, in ascending order, for move detection: the first
  // removed item that matches an added one becomes a move, as in
  // jsondiffpatch's scan. Where Match is no equivalence (nulls), scan.
  std::unordered_map<int, std::deque<size_t>> removed_by_key;
  if (keyed) {
    for (size_t i : removed) removed_by_key[t1.ClassKey(i)].push_back(i);
  }
  std::vector<bool> moved(t1.size(), false);
  for (size_t j = 0; j < t2.size(); ++j) {
    const size_t index2 = j + head;
    if (seq_of2[j] >= 0) {
      child(static_cast<size_t>(seq_of2[j]) + head, index2);
      continue;
    }
    std::optional<size_t> from;
    if (o.detect_move && !removed.empty()) {
      if (keyed) {
        auto it = removed_by_key.find(t2.ClassKey(j));
        if (it != removed_by_key.end() && !it->second.empty()) {
          from = it->second.front();
          it->second.pop_front();
        }
      } else {
        for (size_t i : removed) {
          if (!moved[i] && ItemKeys::Match(t1, i, t2, j)) {
            from = i;
            break;
          }
        }
      }
    }
    if (from) {
      moved[*from] = true;
      result["_" + std::to_string(*from + head)] = json::array({"", index2, kArrayMove});
      child(*from + head, index2);
    } else {
      result[std::to_string(index2)] = json::array({a2[index2]});
      have_result = true;
    }
  }
  return finish();
}

std::optional<json> DiffObjects(const json& left, const json& right, const DiffOptions& o) {
  // Both member maps are sorted by key: one merge pass, and no result object
  // until the first difference.
  const auto& l = left.get_ref<const json::object_t&>();
  const auto& r = right.get_ref<const json::object_t&>();
  json result;
  auto li = l.begin();
  auto ri = r.begin();
  while (li != l.end() || ri != r.end()) {
    if (ri == r.end() || (li != l.end() && li->first < ri->first)) {
      result[li->first] = json::array({li->second, 0, 0});
      ++li;
    } else if (li == l.end() || ri->first < li->first) {
      result[ri->first] = json::array({ri->second});
      ++ri;
    } else {
      if (auto d = DiffValues(li->second, ri->second, o)) result[li->first] = std::move(*d);
      ++li;
      ++ri;
    }
  }
  if (result.is_null()) return std::nullopt;
  return result;
}

std::optional<json> DiffValues(const json& left, const json& right, const DiffOptions& o) {
  const JsType lt = TypeOf(left), rt = TypeOf(right);
  if (lt != rt) {
    // number vs number of other nlohmann kinds are one JavaScript type.
    return json::array({left, right});
  }
  switch (lt) {
    case JsType::kNull:
      return std::nullopt;
    case JsType::kBoolean:
    case JsType::kNumber:
    case JsType::kString:
      if (SamePrimitive(left, right)) return std::nullopt;
      return json::array({left, right});
    case JsType::kArray:
      return DiffArrays(left, right, o);
    case JsType::kObject:
      return DiffObjects(left, right, o);
  }
  return std::nullopt;
}

// --- Patch -----------------------------------------------------------------

Status Bad(const std::string& path, const std::string& what) {
  return Status::InvalidData((path.empty() ? "document" : path) + ": " + what);
}

std::string Join(const std::string& path, const std::string& key) {
  return (path.empty() ? "document" : path) + "." + key;
}

bool IsIndexKey(const std::string& key, size_t* index) {
  if (key.empty()) return false;
  auto r = std::from_chars(key.data(), key.data() + key.size(), *index);
  return r.ec == std::errc() && r.ptr == key.data() + key.size();
}

// Applies `delta` to `*value` (absent when nullopt) forwards (patch) or
// backwards (unpatch); the result may be absent (deleted).
enum class Direction { kForward, kBackward };
Status ApplyDelta(std::optional<json>* value, const json& delta, const std::string& path,
                  Direction direction);
Status UnpatchArray(json* array, const json& delta, const std::string& path);

// An array delta's members, checked and sorted by index.
struct ArrayDelta {
  // "_<i>": removed ([old, 0, 0]) or moved (["", to, 3]) from old index i.
  std::vector<std::pair<size_t, const json*>> removed;
  std::vector<std::pair<size_t, const json*>> added;     // "<i>": [new]
  std::vector<std::pair<size_t, const json*>> modified;  // "<i>": a nested delta
};

bool IsMove(const json& item) { return item[2] == kArrayMove; }

Result<ArrayDelta> ParseArrayDelta(const json& delta, const std::string& path) {
  ArrayDelta parsed;
  for (const auto& [key, item] : delta.items()) {
    if (key == "_t") continue;
    size_t index;
    if (key[0] == '_') {
      if (!IsIndexKey(key.substr(1), &index) || !item.is_array() || item.size() != 3 ||
          !(item[2] == 0 || item[2] == kArrayMove)) {
        return Bad(Join(path, key), "only removal or move can be applied at original array indices");
      }
      if (IsMove(item) && (!item[1].is_number_integer() || item[1].get<int64_t>() < 0)) {
        return Bad(Join(path, key), "move target is not an index");
      }
      parsed.removed.emplace_back(index, &item);
    } else if (!IsIndexKey(key, &index)) {
      return Bad(Join(path, key), "not an array index");
    } else if (item.is_array() && item.size() == 1) {
      parsed.added.emplace_back(index, &item);
    } else {
      parsed.modified.emplace_back(index, &item);
    }
  }
  for (auto* list : {&parsed.removed, &parsed.added, &parsed.modified}) {
    std::sort(list->begin(), list->end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return parsed;
}

Status PatchArray(json* array, const json& delta, const std::string& path) {
  if (!array->is_array()) return Bad(path, "an array delta needs an array here");
  TWIN_ASSIGN_OR_RETURN(ArrayDelta parsed, ParseArrayDelta(delta, path));
  std::vector<size_t> to_remove;
  for (const auto& [index, d] : parsed.removed) to_remove.push_back(index);
  std::vector<std::pair<size_t, json>> to_insert;
  for (const auto& [index, d] : parsed.added) to_insert.emplace_back(index, (*d)[0]);
  const auto& to_modify = parsed.modified;
  std::sort(to_insert.begin(), to_insert.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto& items = array->get_ref<json::array_t&>();
  for (auto it = to_remove.rbegin(); it != to_remove.rend(); ++it) {
    if (*it >= items.size()) {
      return Bad(Join(path, "_" + std::to_string(*it)), "index past the end of the array");
    }
    json removed = std::move(items[*it]);
    items.erase(items.begin() + static_cast<long>(*it));
    const json& d = delta["_" + std::to_string(*it)];
    if (IsMove(d)) to_insert.emplace_back(d[1].get<size_t>(), std::move(removed));
  }
  std::stable_sort(to_insert.begin(), to_insert.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, value] : to_insert) {
    if (index > items.size()) {
      return Bad(Join(path, std::to_string(index)), "index past the end of the array");
    }
    items.insert(items.begin() + static_cast<long>(index), std::move(value));
  }
  for (const auto& [index, d] : to_modify) {
    if (index >= items.size()) {
      return Bad(Join(path, std::to_string(index)), "index past the end of the array");
    }
    std::optional<json> element(std::move(items[index]));
    TWIN_RETURN_IF_ERROR(ApplyDelta(&element, *d, path + "[" + std::to_string(index) + "]",
                                    Direction::kForward));
    items[index] = element ? std::move(*element) : json(nullptr);
  }
  return Status::Ok();
}

Status ApplyDelta(std::optional<json>* value, const json& delta, const std::string& path,
                  Direction direction) {
  const bool forward = direction == Direction::kForward;
  if (delta.is_array()) {
    switch (delta.size()) {
      case 1:  // added
        if (forward) {
          *value = delta[0];
        } else {
          value->reset();
        }
        return Status::Ok();
      case 2:  // changed
        *value = delta[forward ? 1 : 0];
        return Status::Ok();
      case 3:
        if (delta[2] == 0) {  // deleted
          if (forward) {
            value->reset();
          } else {
            *value = delta[0];
          }
          return Status::Ok();
        }
        if (delta[2] == 2) return Bad(path, "text diffs are not supported");
        return Bad(path, "a move is only valid inside an array delta");
      default:
        return Bad(path, "not a delta");
    }
  }
  if (!delta.is_object()) return Bad(path, "not a delta");
  if (delta.contains("_t")) {
    if (delta["_t"] != "a") return Bad(path, "unknown delta type");
    if (!*value) return Bad(path, "an array delta needs an array here");
    return forward ? PatchArray(&**value, delta, path) : UnpatchArray(&**value, delta, path);
  }
  if (!*value || !(*value)->is_object()) return Bad(path, "an object delta needs an object here");
  json& object = **value;
  for (const auto& [key, d] : delta.items()) {
    std::optional<json> child;
    if (auto it = object.find(key); it != object.end()) child = std::move(*it);
    TWIN_RETURN_IF_ERROR(ApplyDelta(&child, d, path.empty() ? key : path + "." + key, direction));
    if (child) {
      object[key] = std::move(*child);
    } else {
      object.erase(key);
    }
  }
  return Status::Ok();
}

// --- Unpatch: the exact inverse of PatchArray --------------------------------

// Undoes PatchArray step by step, last step first: the modifications at the
// new indices, then the insertions and move targets (from the end), then the
// removed and moved items go back to their old indices (from the start).
// jsondiffpatch instead patches with a reversed delta, whose index
// arithmetic can go wrong with several moves; this cannot.
Status UnpatchArray(json* array, const json& delta, const std::string& path) {
  if (!array->is_array()) return Bad(path, "an array delta needs an array here");
  auto& items = array->get_ref<json::array_t&>();
  TWIN_ASSIGN_OR_RETURN(ArrayDelta parsed, ParseArrayDelta(delta, path));
  std::vector<size_t> targets;  // new indices of inserted and moved items
  for (const auto& [index, d] : parsed.added) targets.push_back(index);
  for (const auto& [index, d] : parsed.removed) {
    if (IsMove(*d)) targets.push_back((*d)[1].get<size_t>());
  }
  const auto& to_modify = parsed.modified;
  const auto& removed = parsed.removed;
  for (const auto& [index, d] : to_modify) {
    if (index >= items.size()) return Bad(Join(path, std::to_string(index)), "index past the end of the array");
    std::optional<json> element(std::move(items[index]));
    TWIN_RETURN_IF_ERROR(ApplyDelta(&element, *d, path + "[" + std::to_string(index) + "]",
                                    Direction::kBackward));
    items[index] = element ? std::move(*element) : json(nullptr);
  }
  std::sort(targets.begin(), targets.end());
  std::map<size_t, json> taken;  // new index -> value, for moved items
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (*it >= items.size()) return Bad(Join(path, std::to_string(*it)), "index past the end of the array");
    taken[*it] = std::move(items[*it]);
    items.erase(items.begin() + static_cast<long>(*it));
  }
  for (const auto& [index, d] : removed) {
    if (index > items.size()) return Bad(Join(path, "_" + std::to_string(index)), "index past the end of the array");
    json value = IsMove(*d) ? std::move(taken[(*d)[1].get<size_t>()]) : (*d)[0];
    items.insert(items.begin() + static_cast<long>(index), std::move(value));
  }
  return Status::Ok();
}

// --- Reverse ---------------------------------------------------------------

// Array-delta member names in JavaScript's order: integer keys ascending,
// then the others ("_t", "_<i>") with "_<i>" ascending, as jsondiffpatch
// created them.
std::vector<std::string> ArrayDeltaKeys(const json& delta) {
  std::vector<std::pair<size_t, std::string>> numeric, removed;
  for (const auto& [key, item] : delta.items()) {
    size_t i;
    if (IsIndexKey(key, &i)) {
      numeric.emplace_back(i, key);
    } else if (key.size() > 1 && key[0] == '_' && IsIndexKey(key.substr(1), &i)) {
      removed.emplace_back(i, key);
    }
  }
  std::sort(numeric.begin(), numeric.end());
  std::sort(removed.begin(), removed.end());
  std::vector<std::string> keys;
  for (auto& k : numeric) keys.push_back(std::move(k.second));
  if (delta.contains("_t")) keys.push_back("_t");
  for (auto& k : removed) keys.push_back(std::move(k.second));
  return keys;
}

// jsondiffpatch's reverseArrayDeltaIndex.
std::string ReverseArrayIndex(const json& delta, const std::vector<std::string>& keys,
                              const std::string& name, const json& item) {
  if (name[0] == '_') return name.substr(1);
  if (item.is_array() && item.size() == 3 && item[2] == 0) return "_" + name;
  long reverse_index = std::stol(name);
  for (const std::string& key : keys) {
    const json& d = delta[key];
    if (!d.is_array()) continue;
    if (d.size() == 3 && d[2] == kArrayMove) {
      const long from = std::stol(key.substr(1));
      const long to = d[1].get<long>();
      if (to == std::stol(name)) return std::to_string(from);
      if (from <= reverse_index && to > reverse_index) {
        ++reverse_index;
      } else if (from >= reverse_index && to < reverse_index) {
        --reverse_index;
      }
    } else if (d.size() == 3 && d[2] == 0) {
      if (std::stol(key.substr(1)) <= reverse_index) ++reverse_index;
    } else if (d.size() == 1 && key[0] != '_' && std::stol(key) <= reverse_index) {
      --reverse_index;
    }
  }
  return std::to_string(reverse_index);
}

Result<json> Reverse(const json& delta, const std::string& path) {
  if (delta.is_array()) {
    if (delta.size() == 1) return json::array({delta[0], 0, 0});
    if (delta.size() == 2) return json::array({delta[1], delta[0]});
    if (delta.size() == 3 && delta[2] == 0) return json::array({delta[0]});
    return Bad(path, "cannot reverse this delta");
  }
  if (!delta.is_object()) return Bad(path, "not a delta");
  json out = json::object();
  if (!delta.contains("_t")) {
    for (const auto& [key, d] : delta.items()) {
      TWIN_ASSIGN_OR_RETURN(out[key], Reverse(d, path.empty() ? key : path + "." + key));
    }
    return out;
  }
  out["_t"] = "a";
  const std::vector<std::string> keys = ArrayDeltaKeys(delta);
  for (const std::string& key : keys) {
    if (key == "_t") continue;
    const json& d = delta[key];
    if (key[0] == '_' && d.is_array() && d.size() == 3 && d[2] == kArrayMove) {
      out["_" + d[1].dump()] = json::array({d[0], std::stol(key.substr(1)), kArrayMove});
      continue;
    }
    TWIN_ASSIGN_OR_RETURN(json reversed, Reverse(d, path + "." + key));
    // Named first: in `a = b` C++17 evaluates b (the move) before a.
    const std::string name = ReverseArrayIndex(delta, keys, key, reversed);
    out[name] = std::move(reversed);
  }
  return out;
}

void WriteDelta(JsonWriter* w, const json& delta) {
  if (!delta.is_object()) {
    if (!delta.is_array()) {
      w->Value(delta);
      return;
    }
    w->Raw('[');
    for (size_t i = 0; i < delta.size(); ++i) {
      if (i > 0) w->Raw(',');
      // Values inside a leaf delta are plain JSON; nested deltas never are.
      w->Value(delta[i]);
    }
    w->Raw(']');
    return;
  }
  const bool is_array_delta = delta.contains("_t");
  std::vector<std::string> keys;
  if (is_array_delta) {
    keys = ArrayDeltaKeys(delta);
  } else {
    for (const auto& [key, item] : delta.items()) keys.push_back(key);
  }
  w->Raw('{');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) w->Raw(',');
    w->String(keys[i]);
    w->Raw(':');
    WriteDelta(w, delta[keys[i]]);
  }
  w->Raw('}');
}

}  // namespace

std::optional<json> Diff(const json& left, const json& right, const DiffOptions& options) {
  return DiffValues(left, right, options);
}

Result<json> Patch(json document, const json& delta) {
  std::optional<json> value(std::move(document));
  TWIN_RETURN_IF_ERROR(ApplyDelta(&value, delta, "", Direction::kForward));
  return value ? std::move(*value) : json(nullptr);
}

Result<json> ReverseDelta(const json& delta) { return Reverse(delta, ""); }

Result<json> Unpatch(json document, const json& delta) {
  std::optional<json> value(std::move(document));
  TWIN_RETURN_IF_ERROR(ApplyDelta(&value, delta, "", Direction::kBackward));
  return value ? std::move(*value) : json(nullptr);
}

std::string DeltaToText(const json& delta) {
  std::string out;
  {
    JsonWriter w(&out);
    WriteDelta(&w, delta);
  }
  return out;
}

}  // namespace twin
