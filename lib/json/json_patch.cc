// Patch, unpatch and reverse of jsondiffpatch deltas (json_diff.h), and a
// delta's text in the member order jsondiffpatch reads.
#include <algorithm>
#include <charconv>
#include <map>

#include "lib/json/json_diff.h"
#include "lib/json/json_writer.h"

namespace twin {
namespace {

using nlohmann::json;
constexpr int kArrayMove = 3;

Status Bad(const std::string& path, const std::string& what) {
  return Status::InvalidData((path.empty() ? "document" : path) + ": " + what);
}

std::string Join(const std::string& path, const std::string& key) {
  return (path.empty() ? "document" : path) + "." + key;
}

// Array indices in a delta stay below this: no real array is that long, and
// index arithmetic (Reverse) stays far from overflow.
constexpr size_t kMaxIndex = size_t{1} << 40;

// Whether `key` is an array index as jsondiffpatch writes one: decimal
// digits, no sign, no leading zero ("01" is not 1: it names no member that
// "_" + std::to_string(1) would find), below kMaxIndex.
bool IsIndexKey(const std::string& key, size_t* index) {
  if (key.empty() || (key.size() > 1 && key[0] == '0')) return false;
  if (key.find_first_not_of("0123456789") != std::string::npos) return false;
  auto r = std::from_chars(key.data(), key.data() + key.size(), *index);
  return r.ec == std::errc() && r.ptr == key.data() + key.size() && *index < kMaxIndex;
}

// The index of a key that ParseArrayDelta accepted ("<i>" or "_<i>").
int64_t IndexOf(const std::string& key) {
  size_t index = 0;
  IsIndexKey(key[0] == '_' ? key.substr(1) : key, &index);
  return static_cast<int64_t>(index);
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

// jsondiffpatch's test: an object is an array delta when its "_t" is "a".
// Any other "_t" is a member of the object like any other (diff({}, {"_t":
// 1}) is {"_t": [1]}; found by diff_fuzz, which that delta had failed).
bool IsArrayDelta(const json& delta) {
  const auto t = delta.find("_t");
  return t != delta.end() && *t == "a";
}

Result<ArrayDelta> ParseArrayDelta(const json& delta, const std::string& path) {
  ArrayDelta parsed;
  for (const auto& [key, item] : delta.items()) {
    if (key == "_t") continue;
    size_t index;
    if (key[0] == '_') {
      if (!IsIndexKey(key.substr(1), &index) || !item.is_array() || item.size() != 3 ||
          !(item[2] == 0 || item[2] == kArrayMove)) {
        return Bad(Join(path, key),
                   "only removal or move can be applied at original array indices");
      }
      if (IsMove(item) && (!item[1].is_number_integer() || item[1].get<int64_t>() < 0 ||
                           item[1].get<uint64_t>() >= kMaxIndex)) {
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
  // Each new index receives one item: an insertion or a move's target.
  std::vector<size_t> targets;
  for (const auto& [index, d] : parsed.added) targets.push_back(index);
  for (const auto& [index, d] : parsed.removed) {
    if (IsMove(*d)) targets.push_back((*d)[1].get<size_t>());
  }
  std::sort(targets.begin(), targets.end());
  if (std::adjacent_find(targets.begin(), targets.end()) != targets.end()) {
    return Bad(path, "two items inserted or moved to one index");
  }
  return parsed;
}

Status PatchArray(json* array, const json& delta, const std::string& path) {
  if (!array->is_array()) return Bad(path, "an array delta needs an array here");
  TWIN_ASSIGN_OR_RETURN(ArrayDelta parsed, ParseArrayDelta(delta, path));
  std::vector<std::pair<size_t, json>> to_insert;
  for (const auto& [index, d] : parsed.added) to_insert.emplace_back(index, (*d)[0]);
  const auto& to_modify = parsed.modified;
  std::sort(to_insert.begin(), to_insert.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto& items = array->get_ref<json::array_t&>();
  for (auto it = parsed.removed.rbegin(); it != parsed.removed.rend(); ++it) {
    const auto& [index, d] = *it;
    if (index >= items.size()) {
      return Bad(Join(path, "_" + std::to_string(index)),
                 "index past the end of the array");
    }
    json removed = std::move(items[index]);
    items.erase(items.begin() + static_cast<long>(index));
    if (IsMove(*d)) to_insert.emplace_back((*d)[1].get<size_t>(), std::move(removed));
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
    TWIN_RETURN_IF_ERROR(ApplyDelta(
        &element, *d, path + "[" + std::to_string(index) + "]", Direction::kForward));
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
  if (IsArrayDelta(delta)) {
    if (!*value) return Bad(path, "an array delta needs an array here");
    return forward ? PatchArray(&**value, delta, path)
                   : UnpatchArray(&**value, delta, path);
  }
  if (!*value || !(*value)->is_object())
    return Bad(path, "an object delta needs an object here");
  json& object = **value;
  for (const auto& [key, d] : delta.items()) {
    std::optional<json> child;
    if (auto it = object.find(key); it != object.end()) child = std::move(*it);
    TWIN_RETURN_IF_ERROR(
        ApplyDelta(&child, d, path.empty() ? key : path + "." + key, direction));
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
    if (index >= items.size())
      return Bad(Join(path, std::to_string(index)), "index past the end of the array");
    std::optional<json> element(std::move(items[index]));
    TWIN_RETURN_IF_ERROR(ApplyDelta(
        &element, *d, path + "[" + std::to_string(index) + "]", Direction::kBackward));
    items[index] = element ? std::move(*element) : json(nullptr);
  }
  std::sort(targets.begin(), targets.end());
  std::map<size_t, json> taken;  // new index -> value, for moved items
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (*it >= items.size())
      return Bad(Join(path, std::to_string(*it)), "index past the end of the array");
    taken[*it] = std::move(items[*it]);
    items.erase(items.begin() + static_cast<long>(*it));
  }
  for (const auto& [index, d] : removed) {
    if (index > items.size())
      return Bad(Join(path, "_" + std::to_string(index)),
                 "index past the end of the array");
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
  // Every key and move target was checked by ParseArrayDelta: indices below
  // kMaxIndex, so this arithmetic cannot overflow.
  int64_t reverse_index = IndexOf(name);
  for (const std::string& key : keys) {
    const json& d = delta.at(key);
    if (!d.is_array()) continue;
    if (d.size() == 3 && d[2] == kArrayMove) {
      const int64_t from = IndexOf(key);
      const int64_t to = d[1].get<int64_t>();
      if (to == IndexOf(name)) return std::to_string(from);
      if (from <= reverse_index && to > reverse_index) {
        ++reverse_index;
      } else if (from >= reverse_index && to < reverse_index) {
        --reverse_index;
      }
    } else if (d.size() == 3 && d[2] == 0) {
      if (IndexOf(key) <= reverse_index) ++reverse_index;
    } else if (d.size() == 1 && key[0] != '_' && IndexOf(key) <= reverse_index) {
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
  if (!IsArrayDelta(delta)) {
    for (const auto& [key, d] : delta.items()) {
      TWIN_ASSIGN_OR_RETURN(out[key], Reverse(d, path.empty() ? key : path + "." + key));
    }
    return out;
  }
  // Checked as a patch would check it: a member that is not an index, or a
  // malformed removal or move, is an error, never silently left out.
  TWIN_RETURN_IF_ERROR(ParseArrayDelta(delta, path).status());
  out["_t"] = "a";
  const std::vector<std::string> keys = ArrayDeltaKeys(delta);
  for (const std::string& key : keys) {
    if (key == "_t") continue;
    const json& d = delta.at(key);
    if (key[0] == '_' && d.is_array() && d.size() == 3 && d[2] == kArrayMove) {
      out["_" + d[1].dump()] = json::array({d[0], IndexOf(key), kArrayMove});
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
  if (delta.is_binary()) {  // text written already (DeltaToText's contract)
    const auto& bytes = delta.get_binary();
    w->Raw(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    return;
  }
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
  const bool is_array_delta = IsArrayDelta(delta);
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

// The boundary for nlohmann's exceptions (a type error on a hostile delta
// that a check above missed): never out of a function that returns Result.
template <class F>
Result<json> Guarded(F&& body) {
  try {
    return body();
  } catch (const json::exception& e) {
    return Status::InvalidData(std::string("malformed delta: ") + e.what());
  }
}

}  // namespace

Result<json> Patch(json document, const json& delta) {
  return Guarded([&]() -> Result<json> {
    std::optional<json> value(std::move(document));
    TWIN_RETURN_IF_ERROR(ApplyDelta(&value, delta, "", Direction::kForward));
    return value ? std::move(*value) : json(nullptr);
  });
}

Result<json> ReverseDelta(const json& delta) {
  return Guarded([&] { return Reverse(delta, ""); });
}

Result<json> Unpatch(json document, const json& delta) {
  return Guarded([&]() -> Result<json> {
    std::optional<json> value(std::move(document));
    TWIN_RETURN_IF_ERROR(ApplyDelta(&value, delta, "", Direction::kBackward));
    return value ? std::move(*value) : json(nullptr);
  });
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
