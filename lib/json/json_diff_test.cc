#include "lib/json/json_diff.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

using nlohmann::json;

json J(const char* text) { return json::parse(text); }

// The delta between two texts, through every path of the engine: nlohmann
// trees and tapes must give the same delta, and the text written straight
// from the tapes must be the text of that delta.
std::optional<json> DiffBoth(const std::string& left, const std::string& right,
                             const DiffOptions& options = {}) {
  const std::optional<json> tree = Diff(json::parse(left), json::parse(right), options);
  auto keys = std::make_shared<JsonKeys>();
  Result<JsonTape> l = JsonTape::Parse(left, keys);
  Result<JsonTape> r = JsonTape::Parse(right, keys);
  REQUIRE(l.ok());
  REQUIRE(r.ok());
  const std::optional<json> tape = Diff(*l, *r, options);
  CHECK(tape == tree);
  // Tapes with keys of their own: nothing is identical, the same delta.
  CHECK(Diff(*l, *JsonTape::Parse(right), options) == tree);
  const std::optional<std::string> text = DiffText(*l, *r, options);
  CHECK(text.has_value() == tree.has_value());
  if (text && tree) CHECK(*text == DeltaToText(*tree));
  CHECK(DiffText(json::parse(left), json::parse(right), options) == text);
  return tree;
}

json D(const char* left, const char* right, DiffOptions options = {}) {
  auto d = DiffBoth(left, right, options);
  return d ? *d : json();
}

void CheckRoundTrip(const json& left, const json& right) {
  auto delta = DiffBoth(left.dump(), right.dump());
  if (!delta) {
    CHECK(left == right);
    return;
  }
  Result<json> patched = Patch(left, *delta);
  REQUIRE(patched.ok());
  CHECK(*patched == right);
  Result<json> unpatched = Unpatch(right, *delta);
  REQUIRE(unpatched.ok());
  CHECK(*unpatched == left);
  // Through the text a consumer receives, too.
  Result<json> from_text = Patch(left, json::parse(DeltaToText(*delta)));
  REQUIRE(from_text.ok());
  CHECK(*from_text == right);
}

TEST_CASE("equal documents have no delta") {
  CHECK_FALSE(
      DiffBoth(R"({"a":[1,{"b":null}],"c":"x"})", R"({"c":"x","a":[1,{"b":null}]})"));
  CHECK_FALSE(DiffBoth("1", "1.0"));  // JavaScript: 1 === 1.0
  CHECK_FALSE(DiffBoth("[18446744073709551615,-9223372036854775808,0.1]",
                       "[18446744073709551615,-9223372036854775808,0.1]"));
}

TEST_CASE("numbers compare exactly: integers as integers, doubles as doubles") {
  // Items match as JavaScript's === sees them (equal doubles), then the
  // matched pair is diffed exactly.
  CHECK(D("[9007199254740993]", "[9007199254740992]") ==
        J(R"({"_t":"a","0":[9007199254740993,9007199254740992]})"));
  CHECK(D(R"({"a":9007199254740993})", R"({"a":9007199254740992})") ==
        J(R"({"a":[9007199254740993,9007199254740992]})"));
  CHECK(D(R"({"a":-1})", R"({"a":18446744073709551615})") ==
        J(R"({"a":[-1,18446744073709551615]})"));
  CHECK(D(R"({"a":0.30000000000000004})", R"({"a":0.3})") ==
        J(R"({"a":[0.30000000000000004,0.3]})"));
  CHECK_FALSE(DiffBoth(R"({"a":2.5e-3})", R"({"a":0.0025})"));
}

TEST_CASE("tapes: members in any order and repeated keys read as nlohmann reads them") {
  CHECK(D(R"({"b":1,"a":2,"c":{"z":1,"y":2}})", R"({"c":{"y":3,"z":1},"a":2,"b":1})") ==
        J(R"({"c":{"y":[2,3]}})"));
  // A repeated key keeps its last value.
  CHECK(D(R"({"a":1,"a":2})", R"({"a":2})").is_null());
  CHECK(D(R"({"a":1,"b":0,"a":3})", R"({"a":2,"b":0})") == J(R"({"a":[3,2]})"));
  // An id field that is not a string does not hash: that item matches by
  // position, so moved to another index it is removed and added.
  CHECK(D(R"([{"edgeId":1,"v":1},{"edgeId":"b"}])",
          R"([{"edgeId":"b"},{"edgeId":1,"v":2}])") ==
        J(R"({"_t":"a","_0":[{"edgeId":1,"v":1},0,0],"1":[{"edgeId":1,"v":2}]})"));
}

TEST_CASE("a tape refuses what is not JSON, and integers beyond 64 bits") {
  CHECK(JsonTape::Parse("{\"a\":").status().code() == StatusCode::kInvalidData);
  CHECK(JsonTape::Parse("[1,]").status().code() == StatusCode::kInvalidData);
  CHECK_FALSE(JsonTape::Parse("[123456789012345678901234567890]").ok());
  CHECK(JsonTape::Parse("  [1]  ").ok());
}

TEST_CASE("primitive changes, additions and deletions") {
  CHECK(D(R"({"a":1})", R"({"a":2})") == J(R"({"a":[1,2]})"));
  CHECK(D(R"({"a":1})", R"({"a":1,"b":true})") == J(R"({"b":[true]})"));
  CHECK(D(R"({"a":1,"b":"x"})", R"({"a":1})") == J(R"({"b":["x",0,0]})"));
  CHECK(
      D(R"({"a":"short"})",
        R"({"a":"a much longer string that would get a text diff in old jsondiffpatch versions"})") ==
      J(R"({"a":["short","a much longer string that would get a text diff in old jsondiffpatch versions"]})"));
}

TEST_CASE("type changes replace the value whole") {
  CHECK(D(R"({"a":[1]})", R"({"a":{"0":1}})") == J(R"({"a":[[1],{"0":1}]})"));
  CHECK(D(R"({"a":null})", R"({"a":0})") == J(R"({"a":[null,0]})"));
  CHECK(D(R"({"a":"1"})", R"({"a":1})") == J(R"({"a":["1",1]})"));
}

TEST_CASE("nested objects give nested deltas") {
  CHECK(D(R"({"loc":{"lat":1,"lon":2}})", R"({"loc":{"lat":1,"lon":3}})") ==
        J(R"({"loc":{"lon":[2,3]}})"));
}

TEST_CASE("arrays: appended, inserted and removed items") {
  CHECK(D("[1,2]", "[1,2,3]") == J(R"({"_t":"a","2":[3]})"));
  CHECK(D("[1,3]", "[1,2,3]") == J(R"({"_t":"a","1":[2]})"));
  CHECK(D("[1,2,3]", "[1,3]") == J(R"({"_t":"a","_1":[2,0,0]})"));
  CHECK(D("[1,2,3]", "[4,5]") ==
        J(R"({"_t":"a","_0":[1,0,0],"_1":[2,0,0],"_2":[3,0,0],"0":[4],"1":[5]})"));
}

TEST_CASE("arrays of entities match by id: a changed edge is a nested delta") {
  CHECK(D(R"([{"edgeId":"a","v":1},{"edgeId":"b","v":1}])",
          R"([{"edgeId":"a","v":1},{"edgeId":"b","v":2}])") ==
        J(R"({"_t":"a","1":{"v":[1,2]}})"));
  // An insertion before it does not turn it into remove + add.
  CHECK(D(R"([{"edgeId":"b","v":1},{"edgeId":"c"}])",
          R"([{"edgeId":"a"},{"edgeId":"b","v":2},{"edgeId":"c"}])") ==
        J(R"({"_t":"a","0":[{"edgeId":"a"}],"1":{"v":[1,2]}})"));
}

TEST_CASE("moves are detected and carry their nested changes") {
  CHECK(D(R"([{"busId":"a"},{"busId":"b"},{"busId":"c"}])",
          R"([{"busId":"c","x":1},{"busId":"a"},{"busId":"b"}])") ==
        J(R"({"_t":"a","_2":["",0,3],"0":{"x":[1]}})"));
  DiffOptions no_moves;
  no_moves.detect_move = false;
  CHECK(D("[1,2,3]", "[3,1,2]", no_moves) == J(R"({"_t":"a","_2":[3,0,0],"0":[3]})"));
  CHECK(D("[1,2,3]", "[3,1,2]") == J(R"({"_t":"a","_2":["",0,3]})"));
}

TEST_CASE("objects without an id match by position") {
  CHECK(D(R"([{"x":1},{"x":2}])", R"([{"x":1},{"x":3}])") ==
        J(R"({"_t":"a","1":{"x":[2,3]}})"));
  DiffOptions by_name;
  by_name.object_hash_fields = {"name"};
  CHECK(D(R"([{"name":"a","v":1}])", R"([{"name":"b"},{"name":"a","v":2}])", by_name) ==
        J(R"({"_t":"a","0":[{"name":"b"}],"1":{"v":[1,2]}})"));
}

// Expected deltas are jsondiffpatch 0.7's, with objectHash
// (item, index) => item.id ?? "$$index:" + index.
TEST_CASE("--object-hash ids of any JSON type match with JavaScript's ===") {
  DiffOptions by_id;
  by_id.object_hash_fields = {"id"};
  by_id.hash_ids_of_any_type = true;
  // Numeric ids, as in jsondiffpatch's own examples: a move and a nested change.
  CHECK(D(R"([{"id":1,"v":1},{"id":2,"v":2},{"id":3}])",
          R"([{"id":3},{"id":1,"v":5},{"id":2,"v":2}])",
          by_id) == J(R"({"1":{"v":[1,5]},"_t":"a","_2":["",0,3]})"));
  CHECK(
      D(R"({"a":[{"id":1,"inner":[{"id":10,"x":1},{"id":11}]},{"id":2}]})",
        R"({"a":[{"id":2},{"id":1,"inner":[{"id":11},{"id":10,"x":2}]}]})", by_id) ==
      J(R"({"a":{"1":{"inner":{"1":{"x":[1,2]},"_t":"a","_1":["",0,3]}},"_t":"a","_1":["",0,3]}})"));
  // 4 is not "4": a removal and an insertion.
  CHECK(D(R"([{"id":4,"v":1}])", R"([{"id":"4","v":1}])", by_id) ==
        J(R"({"0":[{"id":"4","v":1}],"_t":"a","_0":[{"id":4,"v":1},0,0]})"));
  // true and null are ids too.
  CHECK(D(R"([{"id":true,"x":1},{"id":null,"x":1}])",
          R"([{"id":null,"x":2},{"id":true,"x":1}])",
          by_id) == J(R"({"0":{"x":[1,2]},"_t":"a","_1":["",0,3]})"));
  // An object id matches nothing, not even an equal one.
  CHECK(D(R"([{"id":{"k":1},"x":1}])", R"([{"id":{"k":1},"x":2}])", by_id) ==
        J(R"({"0":[{"id":{"k":1},"x":2}],"_t":"a","_0":[{"id":{"k":1},"x":1},0,0]})"));
  // Without the option a numeric id is no id: position decides.
  DiffOptions strings_only;
  strings_only.object_hash_fields = {"id"};
  CHECK(D(R"([{"id":4,"v":1}])", R"([{"id":5,"v":1}])", strings_only) ==
        J(R"({"0":{"id":[4,5]},"_t":"a"})"));
  CHECK(D(R"([{"id":4,"v":1}])", R"([{"id":5,"v":1}])", by_id) ==
        J(R"({"0":[{"id":5,"v":1}],"_t":"a","_0":[{"id":4,"v":1},0,0]})"));
}

TEST_CASE("the city's objectHash takes districtId last") {
  // A bus that carries a districtId matches by its busId.
  CHECK(
      D(R"([{"busId":"b1","districtId":"d1","s":1},{"busId":"b2","districtId":"d1"}])",
        R"([{"busId":"b2","districtId":"d1"},{"busId":"b1","districtId":"d1","s":2}])") ==
      J(R"({"1":{"s":[1,2]},"_t":"a","_1":["",0,3]})"));
}

TEST_CASE("patch and unpatch invert each other on tricky arrays") {
  const char* docs[] = {
      "[]",
      "[1,2,3,4,5]",
      "[5,4,3,2,1]",
      "[1,1,2,2,3]",
      "[null,1,null]",
      R"([{"busId":"a"},{"busId":"b"},{"busId":"c"},{"busId":"d"}])",
      R"([{"busId":"d"},{"busId":"b","v":1},{"busId":"a"},{"busId":"e"}])",
      R"([[1,2],[3],{"k":null},"s",true])",
      R"([{"x":1},[2],null,{"busId":"q"}])"};
  for (const char* a : docs) {
    for (const char* b : docs) {
      INFO(a << " -> " << b);
      CheckRoundTrip(J(a), J(b));
      CheckRoundTrip(J((std::string(R"({"k":)") + a + "}").c_str()),
                     J((std::string(R"({"k":)") + b + R"(,"z":1})").c_str()));
    }
  }
}

TEST_CASE(
    "an index key with a leading zero is not an index, in patch, unpatch and reverse") {
  // "_01" once passed as 1, and the removal was then looked up as "_1": a
  // read of a member the delta does not have.
  const json delta = J(R"({"_t":"a","_01":[5,0,0]})");
  Result<json> patched = Patch(J("[4,5]"), delta);
  REQUIRE_FALSE(patched.ok());
  CHECK(patched.status().message().find("_01") != std::string::npos);
  CHECK_FALSE(Unpatch(J("[4]"), J(R"({"_t":"a","01":[5]})")).ok());
  CHECK_FALSE(ReverseDelta(delta).ok());
  CHECK_FALSE(Patch(J("[4,5]"), J(R"({"_t":"a","+1":[9]})")).ok());
}

TEST_CASE(
    "a member named _t is an object member unless it is \"a\", as in jsondiffpatch") {
  // Found by diff_fuzz: our own delta for this pair did not patch.
  const json delta = D("{}", R"({"_t":1.0})");
  CHECK(delta == J(R"({"_t":[1.0]})"));
  CHECK(*Patch(J("{}"), delta) == J(R"({"_t":1.0})"));
  CHECK(*Unpatch(J(R"({"_t":1.0})"), delta) == J("{}"));
  CHECK(*ReverseDelta(delta) == J(R"({"_t":[1.0,0,0]})"));
}

TEST_CASE("reverse refuses a malformed array delta instead of dropping members") {
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","x":[1]})")).ok());
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","_0":[1,2]})")).ok());      // not a removal
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","_0":["",-1,3]})")).ok());  // bad move target
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","_0":"x"})")).ok());
}

TEST_CASE("indices too large for any array are errors, not overflows or exceptions") {
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","99999999999999999999":[1]})")).ok());
  CHECK_FALSE(ReverseDelta(J(R"({"_t":"a","_0":["",18446744073709551615,3]})")).ok());
  CHECK_FALSE(Patch(J("[1]"), J(R"({"_t":"a","_0":["",9223372036854775807,3]})")).ok());
}

TEST_CASE("two items moved or inserted to one index are refused") {
  CHECK_FALSE(Patch(J("[1,2,3]"), J(R"({"_t":"a","_0":["",2,3],"_1":["",2,3]})")).ok());
  CHECK_FALSE(Unpatch(J("[1,2,3]"), J(R"({"_t":"a","2":[7],"_0":["",2,3]})")).ok());
}

TEST_CASE("reverse follows jsondiffpatch's rules") {
  CHECK(*ReverseDelta(J("[1]")) == J("[1,0,0]"));
  CHECK(*ReverseDelta(J("[1,2]")) == J("[2,1]"));
  CHECK(*ReverseDelta(J("[1,0,0]")) == J("[1]"));
  CHECK(*ReverseDelta(J(R"({"_t":"a","_2":["",0,3],"0":{"x":[1]}})")) ==
        J(R"({"_t":"a","_0":["",2,3],"2":{"x":[1,0,0]}})"));
}

TEST_CASE("array deltas are written in JavaScript's member order") {
  CHECK(DeltaToText(J(R"({"_t":"a","_10":[1,0,0],"_2":[2,0,0],"10":[3],"2":[4]})")) ==
        R"({"2":[4],"10":[3],"_t":"a","_2":[2,0,0],"_10":[1,0,0]})");
}

TEST_CASE("a binary value in a delta is text written already, copied as it is") {
  const std::string part = R"({"v":[1,2]})";
  json delta = json::object();
  delta["x"] = json::object({{"_t", "a"},
                             {"10", json::binary({part.begin(), part.end()})},
                             {"2", json::array({3})}});
  CHECK(DeltaToText(delta) == R"({"x":{"2":[3],"10":{"v":[1,2]},"_t":"a"}})");
}

TEST_CASE("deltas that do not fit the document are clear errors") {
  CHECK(Patch(J(R"({"a":1})"), J(R"({"a":{"_t":"a","0":[1]}})")).status().message() ==
        "a: an array delta needs an array here");
  CHECK(Patch(J("[1]"), J(R"({"_t":"a","_5":[1,0,0]})")).status().message() ==
        "document._5: index past the end of the array");
  CHECK(Patch(J("{}"), J(R"({"a":[1,2,3,4]})")).status().message() == "a: not a delta");
  CHECK(Patch(J(R"({"s":"x"})"), J(R"({"s":["@@ -1 +1 @@",0,2]})")).status().message() ==
        "s: text diffs are not supported");
}

TEST_CASE("large id-keyed arrays diff without the quadratic table") {
  json left = json::array(), right = json::array();
  for (int i = 0; i < 20000; ++i) {
    left.push_back({{"edgeId", "E" + std::to_string(100000 + i)}, {"v", i}});
    if (i % 1000 != 7)
      right.push_back(
          {{"edgeId", "E" + std::to_string(100000 + i)}, {"v", i % 500 == 0 ? -i : i}});
  }
  right.push_back({{"edgeId", "E0"}});  // sorts first, added last: a plain insertion
  std::swap(right[0], right[right.size() - 1]);
  DiffOptions small;
  small.max_lcs_cells = 1000;  // force the keyed path
  auto delta = DiffBoth(left.dump(), right.dump(), small);
  REQUIRE(delta);
  CHECK(delta->size() < 100);  // 20 removals, 1 insertion, a few changes, 1 move
  CHECK(*Patch(left, *delta) == right);
  CHECK(*Unpatch(right, *delta) == left);
}

TEST_CASE("large unkeyed arrays stay bounded and still patch exactly") {
  json left = json::array(), right = json::array();
  for (int i = 0; i < 20000; ++i) {
    left.push_back(i % 7);
    right.push_back((i * 3) % 5);
  }
  left.push_back(nullptr);  // nulls make matching no equivalence: no keyed LCS
  auto delta = DiffBoth(left.dump(), right.dump());
  REQUIRE(delta);
  CHECK(*Patch(left, *delta) == right);
}

TEST_CASE("a large tape diff spread over the cores gives the same delta") {
  // Four districts of 6,000 entities: well past the size at which the
  // tape path diffs matched items on several threads.
  json left = json::object(), right;
  left["districts"] = json::array();
  for (int d = 0; d < 4; ++d) {
    json district = {{"districtId", "D" + std::to_string(d)}, {"edges", json::array()}};
    for (int i = 0; i < 6000; ++i) {
      district["edges"].push_back({{"edgeId", "E" + std::to_string(d * 10000 + i)},
                                   {"speed", 30.5 + i % 7},
                                   {"name", "street " + std::to_string(i)}});
    }
    left["districts"].push_back(district);
  }
  right = left;
  for (int d = 0; d < 4; ++d) {
    json& edges = right["districts"][d]["edges"];
    for (int i = d; i < 6000; i += 37) edges[i]["speed"] = 12.25 + d;
    edges.erase(edges.begin() + 100 + d);                      // a removal
    edges.push_back({{"edgeId", "new" + std::to_string(d)}});  // an addition
  }
  right["districts"][2]["edges"][0]["name"] = nullptr;  // a type change
  const std::optional<json> delta = DiffBoth(left.dump(), right.dump());
  REQUIRE(delta);
  CHECK(*Patch(left, *delta) == right);
}

}  // namespace
}  // namespace twin
