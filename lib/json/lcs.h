// Longest common subsequences of two sequences of items, as the array diff
// needs them. Knows nothing of JSON: it asks only of a `Keys` type, one per
// side,
//   size_t size() const;
//   static bool Match(const Keys& a, size_t i, const Keys& b, size_t j);
//   int ClassKey(size_t i) const;  // only for KeyedLcs, see there
// where Match is jsondiffpatch's matchItems for item i of a and item j of b.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace twin::diff_internal {

// Matched items: indices1[k] in a matches indices2[k] in b; both ascending.
struct Subsequence {
  std::vector<size_t> indices1, indices2;
};

// jsondiffpatch's lcs.get, exactly: its dynamic-programming table and its
// backtrack, which on a tie drops the item of `a` (so the delta is the one
// jsondiffpatch writes). O(n * m) time and memory; the caller bounds n * m.
template <class Keys>
Subsequence ExactLcs(const Keys& a, const Keys& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<uint32_t> table((n + 1) * (m + 1), 0);
  auto at = [&](size_t x, size_t y) -> uint32_t& { return table[x * (m + 1) + y]; };
  for (size_t x = 1; x <= n; ++x) {
    for (size_t y = 1; y <= m; ++y) {
      at(x, y) = Keys::Match(a, x - 1, b, y - 1) ? at(x - 1, y - 1) + 1
                                                 : std::max(at(x - 1, y), at(x, y - 1));
    }
  }
  Subsequence s;
  size_t x = n, y = m;
  while (x != 0 && y != 0) {
    if (Keys::Match(a, x - 1, b, y - 1)) {
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

// A longest common subsequence from class keys (Hunt-Szymanski: a longest
// increasing subsequence of the matching positions), O((n + r) log n) for r
// matching pairs, for where the exact table would be too large. Requires
// Match to be the equivalence "same ClassKey". Its length is the LCS's; the
// items it picks may differ from ExactLcs's. Gives up, returning an empty
// subsequence, past `max_pairs` matching pairs.
template <class Keys>
Subsequence KeyedLcs(const Keys& a, const Keys& b, size_t max_pairs) {
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
  for (long p = tails.empty() ? -1 : static_cast<long>(tails.back()); p >= 0;
       p = previous[p]) {
    s.indices1.push_back(pairs[p].first);
    s.indices2.push_back(pairs[p].second);
  }
  std::reverse(s.indices1.begin(), s.indices1.end());
  std::reverse(s.indices2.begin(), s.indices2.end());
  return s;
}

}  // namespace twin::diff_internal
