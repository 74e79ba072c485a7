#include "neardup/cluster/cluster.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace neardup {
namespace {

std::vector<uint32_t> Roots(UnionFind& uf) {
  std::vector<uint32_t> roots(uf.size());
  for (uint32_t i = 0; i < uf.size(); ++i) roots[i] = uf.Find(i);
  return roots;
}

TEST(ClusterUnionFindTest, SingletonsAreTheirOwnRoots) {
  UnionFind uf(4);
  EXPECT_EQ(Roots(uf), (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST(ClusterUnionFindTest, RootIsTheSmallestMember) {
  UnionFind uf(6);
  EXPECT_TRUE(uf.Union(5, 4));
  EXPECT_TRUE(uf.Union(4, 3));
  EXPECT_TRUE(uf.Union(1, 5));
  EXPECT_FALSE(uf.Union(3, 1));  // already together
  EXPECT_EQ(Roots(uf), (std::vector<uint32_t>{0, 1, 2, 1, 1, 1}));
}

TEST(ClusterUnionFindTest, UnionWithItselfChangesNothing) {
  UnionFind uf(3);
  EXPECT_FALSE(uf.Union(2, 2));
  EXPECT_EQ(uf.Find(2), 2u);
}

// Components by depth-first search: the oracle for the union-find.
std::vector<uint32_t> ComponentMinima(size_t n,
                                      const std::vector<std::pair<uint32_t, uint32_t>>& edges) {
  std::vector<std::vector<uint32_t>> adj(n);
  for (auto [a, b] : edges) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  std::vector<uint32_t> label(n, UINT32_MAX);
  for (uint32_t s = 0; s < n; ++s) {  // ascending: the first seed of a component is its minimum
    if (label[s] != UINT32_MAX) continue;
    std::vector<uint32_t> stack = {s};
    label[s] = s;
    while (!stack.empty()) {
      const uint32_t v = stack.back();
      stack.pop_back();
      for (uint32_t w : adj[v]) {
        if (label[w] == UINT32_MAX) {
          label[w] = s;
          stack.push_back(w);
        }
      }
    }
  }
  return label;
}

TEST(ClusterUnionFindTest, ComponentsDoNotDependOnEdgeOrderOrDirection) {
  std::mt19937_64 rng(3);
  const size_t n = 2000;
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (int i = 0; i < 1500; ++i) {
    edges.push_back({static_cast<uint32_t>(rng() % n), static_cast<uint32_t>(rng() % n)});
  }
  const std::vector<uint32_t> want = ComponentMinima(n, edges);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(edges.begin(), edges.end(), rng);
    UnionFind uf(n);
    size_t merges = 0;
    for (auto [a, b] : edges) merges += (rng() % 2 ? uf.Union(a, b) : uf.Union(b, a));
    EXPECT_EQ(Roots(uf), want) << "trial " << trial;
    size_t components = 0;  // a component's minimum is its own label
    for (uint32_t i = 0; i < n; ++i) components += want[i] == i;
    EXPECT_EQ(merges, n - components);  // each successful union removes one component
  }
}

// Components {0, 2, 4}, {1, 5}, {3}; lengths chosen to make ties.
UnionFind ExampleSets() {
  UnionFind uf(6);
  uf.Union(4, 2);
  uf.Union(2, 0);
  uf.Union(5, 1);
  return uf;
}
const std::vector<uint64_t> kLengths = {10, 7, 30, 1, 30, 3};

TEST(ClusterRepresentativesTest, FirstKeepsTheSmallestIndex) {
  UnionFind uf = ExampleSets();
  EXPECT_EQ(ChooseRepresentatives(uf, KeepPolicy::kFirst, {}),
            (std::vector<uint32_t>{0, 1, 0, 3, 0, 1}));
}

TEST(ClusterRepresentativesTest, LongestBreaksTiesBySmallestIndex) {
  UnionFind uf = ExampleSets();
  // {0,2,4}: 2 and 4 both have 30, 2 wins. {1,5}: 1 has 7 > 3.
  EXPECT_EQ(ChooseRepresentatives(uf, KeepPolicy::kLongest, kLengths),
            (std::vector<uint32_t>{2, 1, 2, 3, 2, 1}));
}

TEST(ClusterRepresentativesTest, ShortestBreaksTiesBySmallestIndex) {
  UnionFind uf = ExampleSets();
  const std::vector<uint64_t> lengths = {5, 7, 5, 1, 9, 3};  // {0,2,4}: 0 and 2 tie at 5
  EXPECT_EQ(ChooseRepresentatives(uf, KeepPolicy::kShortest, lengths),
            (std::vector<uint32_t>{0, 5, 0, 3, 0, 5}));
}

TEST(ClusterRepresentativesTest, RepresentativesDoNotDependOnEdgeOrder) {
  std::mt19937_64 rng(11);
  const size_t n = 500;
  std::vector<uint64_t> lengths(n);
  for (auto& l : lengths) l = rng() % 20;  // many ties
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (int i = 0; i < 400; ++i) {
    edges.push_back({static_cast<uint32_t>(rng() % n), static_cast<uint32_t>(rng() % n)});
  }
  for (KeepPolicy policy : {KeepPolicy::kFirst, KeepPolicy::kLongest, KeepPolicy::kShortest}) {
    std::vector<uint32_t> first;
    for (int trial = 0; trial < 4; ++trial) {
      std::shuffle(edges.begin(), edges.end(), rng);
      UnionFind uf(n);
      for (auto [a, b] : edges) uf.Union(a, b);
      const auto reps = ChooseRepresentatives(uf, policy, lengths);
      // Every representative is in its member's set and is a fixed point.
      for (uint32_t i = 0; i < n; ++i) {
        EXPECT_EQ(uf.Find(reps[i]), uf.Find(i));
        EXPECT_EQ(reps[reps[i]], reps[i]);
      }
      if (trial == 0) first = reps;
      EXPECT_EQ(reps, first);
    }
  }
}

}  // namespace
}  // namespace neardup

namespace neardup {
namespace {

TEST(ClusterRanksByFieldValueTest, NumbersCompareAsNumbersStringsByteWiseMissingLast) {
  const std::vector<std::string> values = {"10", "9", "", "2025-02-04T10:00", "2025-01-31", "9"};
  const std::vector<uint8_t> present = {1, 1, 0, 1, 1, 1};
  // Ascending: 9 (index 1) before 9 (index 5, tie by index) before 10; numbers compare as
  // numbers only with numbers, so "10" vs "2025-01-31" is byte-wise ("1" < "2").
  std::vector<uint32_t> rank = RanksByFieldValue(values, present, /*descending=*/false);
  EXPECT_LT(rank[1], rank[5]);
  EXPECT_LT(rank[5], rank[0]);
  EXPECT_LT(rank[4], rank[3]);           // 2025-01-31 before 2025-02-04T10:00
  for (uint32_t i : {0u, 1u, 3u, 4u, 5u}) EXPECT_LT(rank[i], rank[2]);  // missing value last
  rank = RanksByFieldValue(values, present, /*descending=*/true);
  EXPECT_LT(rank[0], rank[1]);           // 10 before 9
  EXPECT_LT(rank[1], rank[5]);           // ties still go to the smaller index
  EXPECT_LT(rank[3], rank[4]);
  for (uint32_t i : {0u, 1u, 3u, 4u, 5u}) EXPECT_LT(rank[i], rank[2]);  // missing still last
}

}  // namespace
}  // namespace neardup
