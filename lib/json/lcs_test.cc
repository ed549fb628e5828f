#include "lib/json/lcs.h"

#include <catch2/catch.hpp>
#include <random>

namespace twin::diff_internal {
namespace {

// Items are small integers; equal ones match.
struct IntKeys {
  std::vector<int> items;
  size_t size() const { return items.size(); }
  static bool Match(const IntKeys& a, size_t i, const IntKeys& b, size_t j) {
    return a.items[i] == b.items[j];
  }
  int ClassKey(size_t i) const { return items[i]; }
};

// True if `s` is a common subsequence of a and b: ascending on both sides,
// every pair matching.
bool IsCommonSubsequence(const Subsequence& s, const IntKeys& a, const IntKeys& b) {
  if (s.indices1.size() != s.indices2.size()) return false;
  for (size_t k = 0; k < s.indices1.size(); ++k) {
    if (s.indices1[k] >= a.size() || s.indices2[k] >= b.size()) return false;
    if (!IntKeys::Match(a, s.indices1[k], b, s.indices2[k])) return false;
    if (k > 0 &&
        (s.indices1[k] <= s.indices1[k - 1] || s.indices2[k] <= s.indices2[k - 1]))
      return false;
  }
  return true;
}

IntKeys Random(std::mt19937* rng, size_t max_size, int alphabet) {
  IntKeys keys;
  const size_t size = std::uniform_int_distribution<size_t>(0, max_size)(*rng);
  std::uniform_int_distribution<int> item(0, alphabet - 1);
  for (size_t i = 0; i < size; ++i) keys.items.push_back(item(*rng));
  return keys;
}

TEST_CASE("the exact LCS of equal sequences is all of them") {
  const IntKeys a{{4, 1, 4, 2}};
  const Subsequence s = ExactLcs(a, a);
  CHECK(s.indices1 == std::vector<size_t>{0, 1, 2, 3});
  CHECK(s.indices2 == std::vector<size_t>{0, 1, 2, 3});
}

TEST_CASE("sequences with nothing in common, or an empty one, have an empty LCS") {
  CHECK(ExactLcs(IntKeys{{1, 2}}, IntKeys{{3, 4}}).indices1.empty());
  CHECK(ExactLcs(IntKeys{{}}, IntKeys{{3, 4}}).indices1.empty());
  CHECK(KeyedLcs(IntKeys{{1, 2}}, IntKeys{{3, 4}}, 100).indices1.empty());
  CHECK(KeyedLcs(IntKeys{{1, 2}}, IntKeys{{}}, 100).indices1.empty());
}

TEST_CASE(
    "on a tie the exact LCS drops the left's item, as jsondiffpatch's backtrack does") {
  // [1 2 3] and [1 3 2]: both [1 2] and [1 3] are longest; jsondiffpatch
  // keeps 2 (the last of the left that can still match) and moves 3.
  const Subsequence s = ExactLcs(IntKeys{{1, 2, 3}}, IntKeys{{1, 3, 2}});
  CHECK(s.indices1 == std::vector<size_t>{0, 1});
  CHECK(s.indices2 == std::vector<size_t>{0, 2});
}

TEST_CASE("both LCSs are common subsequences of the longest length") {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    const int alphabet = 1 + round % 12;
    const IntKeys a = Random(&rng, 30, alphabet), b = Random(&rng, 30, alphabet);
    const Subsequence exact = ExactLcs(a, b);
    const Subsequence keyed = KeyedLcs(a, b, 10000);
    INFO("round " << round);
    REQUIRE(IsCommonSubsequence(exact, a, b));
    REQUIRE(IsCommonSubsequence(keyed, a, b));
    REQUIRE(keyed.indices1.size() == exact.indices1.size());
  }
}

TEST_CASE("a keyed LCS of unique items with one moved finds all the others") {
  IntKeys a, b;
  for (int i = 0; i < 10000; ++i) a.items.push_back(i);
  b.items = a.items;
  std::rotate(b.items.begin(), b.items.begin() + 1, b.items.begin() + 5000);  // 0 moves
  const Subsequence s = KeyedLcs(a, b, 20000);
  CHECK(s.indices1.size() == 9999);
  CHECK(IsCommonSubsequence(s, a, b));
}

TEST_CASE("the keyed LCS gives up past its budget of matching pairs") {
  const IntKeys same{std::vector<int>(100, 7)};  // 100 x 100 matching pairs
  CHECK(KeyedLcs(same, same, 9999).indices1.empty());
  CHECK(KeyedLcs(same, same, 10000).indices1.size() == 100);
}

}  // namespace
}  // namespace twin::diff_internal
