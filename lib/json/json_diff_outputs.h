// How the diff engine (json_diff.cc) writes a delta: JsonOut builds an
// nlohmann::json delta (what Diff returns), TextOut writes the delta's text
// as DeltaToText would write that tree, with no tree built. Each has leaf
// deltas (Changed, Added, Deleted, Moved) and builders for object and array
// deltas. Internal to the engine: include it nowhere else.
#ifndef TWIN_LIB_JSON_DIFF_OUTPUTS_H_
#define TWIN_LIB_JSON_DIFF_OUTPUTS_H_

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/json/json_writer.h"

namespace twin::diff_internal {

using nlohmann::json;

// The third member of a move, ["", to, 3].
inline constexpr int kArrayMove = 3;

// A delta as nlohmann::json (what Diff returns).
template <class V>
struct JsonOut {
  using Delta = json;
  static Delta Changed(typename V::Value left, typename V::Value right) {
    return json::array({V::ToJson(left), V::ToJson(right)});
  }
  static Delta Added(typename V::Value value) { return json::array({V::ToJson(value)}); }
  static Delta Deleted(typename V::Value value) {
    return json::array({V::ToJson(value), 0, 0});
  }
  static Delta Moved(size_t to) { return json::array({"", to, kArrayMove}); }

  class Object {
   public:
    void Add(std::string_view key, Delta delta) {
      result_[std::string(key)] = std::move(delta);
    }
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
    void AddAt(size_t index, Delta delta) {
      result_[std::to_string(index)] = std::move(delta);
    }
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
  static Delta Moved(size_t to) {
    return "[\"\"," + std::to_string(to) + "," + std::to_string(kArrayMove) + "]";
  }

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
    void AddAt(size_t index, Delta delta) {
      entries_.push_back({false, index, std::move(delta)});
    }
    void AddFrom(size_t index, Delta delta) {
      entries_.push_back({true, index, std::move(delta)});
    }
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

}  // namespace twin::diff_internal

#endif  // TWIN_LIB_JSON_DIFF_OUTPUTS_H_
