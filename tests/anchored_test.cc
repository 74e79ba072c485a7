// Cores and anchored stars (cluster.h ClusterMode::kAnchored, AnchoredClusters): hand-built
// graphs of the shapes the mode is for (chains of edits, large groups of variants, two dense
// groups joined by one edge, lone anchors), and random graphs against a slow oracle written here
// from the header alone (sets, breadth-first search, scans in rank order).
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "graph_testutil.h"
#include "neardup/cluster/cluster.h"

namespace neardup {
namespace {

using namespace graph_test;  // E, IdentityRanks, Canonical, Adjacency

// The header's rule, the slow way. Returns labels (each a member, as the header promises).
std::vector<uint32_t> Oracle(size_t n, const std::vector<Edge>& edges,
                             const std::vector<uint32_t>& rank, uint32_t core_degree) {
  const auto adj = Adjacency(n, edges);
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<bool> core(n);
  for (size_t u = 0; u < n; ++u) core[u] = core_degree > 0 && adj[u].size() >= core_degree;
  auto share = [&](uint32_t u, uint32_t v) {
    for (uint32_t w : adj[u]) {
      if (adj[v].count(w) != 0) return true;
    }
    return false;
  };
  std::vector<uint32_t> label(n, kNone);
  for (uint32_t s = 0; s < n; ++s) {  // groups of cores by search
    if (!core[s] || label[s] != kNone) continue;
    std::vector<uint32_t> group{s};
    std::set<uint32_t> seen{s};
    for (size_t i = 0; i < group.size(); ++i) {
      for (uint32_t v : adj[group[i]]) {
        if (core[v] && seen.count(v) == 0 && share(group[i], v)) {
          seen.insert(v);
          group.push_back(v);
        }
      }
    }
    uint32_t best = s;
    for (uint32_t u : group) best = rank[u] < rank[best] ? u : best;
    for (uint32_t u : group) label[u] = best;
  }
  // The label u has the most edges to (ties: the better-ranked label), among `labels`.
  auto most = [&](uint32_t u, const std::vector<uint32_t>& labels) {
    std::map<uint32_t, int> count;
    for (uint32_t v : adj[u]) {
      if (labels[v] != kNone) ++count[labels[v]];
    }
    uint32_t best = kNone;
    for (auto [l, c] : count) {
      if (best == kNone || c > count[best] || (c == count[best] && rank[l] < rank[best])) best = l;
    }
    return best;
  };
  // Rings: round after round, every unlabelled item with a labelled neighbour takes the label it
  // has the most edges to, judged from the labels before the round, until a round changes nothing.
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<uint32_t> before_round = label;
    for (uint32_t u = 0; u < n; ++u) {
      if (before_round[u] != kNone) continue;
      label[u] = most(u, before_round);
      changed |= label[u] != kNone;
    }
  }
  std::vector<uint32_t> order = IdentityRanks(n);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return rank[a] < rank[b]; });
  std::vector<uint32_t> lone;
  for (uint32_t a : order) {
    if (label[a] != kNone) continue;
    label[a] = a;
    bool took = false;
    for (uint32_t v : adj[a]) {
      if (label[v] == kNone) {
        label[v] = a;
        took = true;
      }
    }
    if (!took && !adj[a].empty()) lone.push_back(a);
  }
  const std::vector<uint32_t> before = label;
  for (uint32_t a : lone) label[a] = most(a, before);
  return label;
}

std::vector<uint32_t> Anchored(size_t n, const std::vector<Edge>& edges,
                          const std::vector<uint32_t>& rank,
                          uint32_t core_degree = kDefaultCoreDegree,
                          AnchoredStats* stats = nullptr) {
  return AnchoredClusters(n, edges, rank, core_degree, stats);
}

// A chain of edits of edits, each link within the threshold of the next `reach`: the first
// link's star takes the links it reaches and the rest form the next star, so the ends stay
// apart, whatever the reach (below the core degree).
TEST(AnchoredTest, ChainsAreCutWhereTheFirstLinkStopsReaching) {
  for (uint32_t reach : {1u, 2u, 3u, 4u, 5u}) {
    const uint32_t n = 10;
    std::vector<Edge> edges;
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t k = 1; k <= reach && i + k < n; ++k) edges.push_back(E(i, i + k));
    }
    AnchoredStats stats;
    const std::vector<uint32_t> label = Anchored(n, edges, IdentityRanks(n), kDefaultCoreDegree,
                                            &stats);
    SCOPED_TRACE("reach " + std::to_string(reach));
    EXPECT_EQ(stats.core_items, 0u);
    for (uint32_t i = 0; i <= reach; ++i) EXPECT_EQ(label[i], 0u) << i;  // the first star
    EXPECT_NE(label[0], label[n - 1]);
    EXPECT_EQ(label[reach + 1], reach + 1);  // the next link anchors the next star
  }
}

// The same chain with the ranks reversed (keep the last link): the cut moves with the anchor.
TEST(AnchoredTest, TheAnchorIsTheBestRankedItem) {
  const uint32_t n = 10;
  std::vector<Edge> edges;
  for (uint32_t i = 0; i + 1 < n; ++i) {
    edges.push_back(E(i, i + 1));
    if (i + 2 < n) edges.push_back(E(i, i + 2));
  }
  std::vector<uint32_t> rank(n);
  for (uint32_t i = 0; i < n; ++i) rank[i] = n - 1 - i;
  const std::vector<uint32_t> label = Anchored(n, edges, rank);
  EXPECT_EQ(label[9], 9u);
  EXPECT_EQ(label[8], 9u);
  EXPECT_EQ(label[7], 9u);
  EXPECT_EQ(label[6], 6u);
  EXPECT_NE(label[0], label[9]);
}

// A large group of variants: a base with 40 variants, each variant near the base and a dozen
// others, and five outliers that are near three variants but not the base. All one cluster, as
// connected components would have it; anchored stars alone (core degree 0) split the outliers off.
TEST(AnchoredTest, LargeGroupsOfVariantsStayWhole) {
  const uint32_t n = 46;
  std::vector<Edge> edges;
  for (uint32_t v = 1; v <= 40; ++v) {
    edges.push_back(E(0, v));
    for (uint32_t k = 1; k <= 6; ++k) edges.push_back(E(v, 1 + (v - 1 + k) % 40));
  }
  for (uint32_t o = 41; o <= 45; ++o) {
    for (uint32_t k = 0; k < 3; ++k) edges.push_back(E(o, 1 + (o * 7 + k) % 40));
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return std::make_pair(x.a, x.b) < std::make_pair(y.a, y.b);
  });
  edges.erase(std::unique(edges.begin(), edges.end(),
                          [](const Edge& x, const Edge& y) { return x.a == y.a && x.b == y.b; }),
              edges.end());
  // The outliers rank first: neither stars nor their order may split the group.
  std::vector<uint32_t> rank(n);
  for (uint32_t i = 0; i < n; ++i) rank[i] = (i + 5) % n;
  AnchoredStats stats;
  const std::vector<uint32_t> label = Anchored(n, edges, rank, kDefaultCoreDegree, &stats);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(label[i], label[0]) << i;
  EXPECT_EQ(stats.core_groups, 1u);
  EXPECT_EQ(stats.core_group_members, n);
  const std::vector<uint32_t> stars = Anchored(n, edges, rank, 0);
  std::set<uint32_t> clusters(stars.begin(), stars.end());
  EXPECT_GT(clusters.size(), 1u);
}

// Members two and three edges out from a core (variants of variants, as in citations) join its
// group ring by ring, so the component stays whole; an item between two groups joins the one it
// has more edges to, at the round it is reached.
TEST(AnchoredTest, GroupsGrowInRingsToTheWholeComponent) {
  const uint32_t n = 26;
  std::vector<Edge> edges;
  for (uint32_t v = 1; v <= 12; ++v) edges.push_back(E(0, v));  // 0: the one core
  edges.push_back(E(1, 13));   // ring 2
  edges.push_back(E(2, 15));   // ring 2
  edges.push_back(E(13, 14));  // ring 3, with two edges into the group
  edges.push_back(E(14, 15));
  for (uint32_t v = 17; v <= 25; ++v) edges.push_back(E(16, v));  // 16: 10 neighbours, no core
  edges.push_back(E(14, 16));  // 16 is reached at ring 4 through 14 and joins, then its own
  AnchoredStats stats;
  const std::vector<uint32_t> label = Anchored(n, edges, IdentityRanks(n), kDefaultCoreDegree,
                                               &stats);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(label[i], 0u) << i;
  EXPECT_EQ(stats.core_items, 1u);
  EXPECT_EQ(stats.core_group_members, n);
  EXPECT_EQ(stats.rings, 5u);  // 1-12; 13 and 15; 14; 16; 17-25
  // Without the bridge 14-16, 16 and its neighbours are a component with no core: a star.
  edges.pop_back();
  const std::vector<uint32_t> apart = Anchored(n, edges, IdentityRanks(n));
  for (uint32_t i = 16; i < n; ++i) EXPECT_EQ(apart[i], 16u) << i;
  for (uint32_t i = 0; i < 16; ++i) EXPECT_EQ(apart[i], 0u) << i;
}

// Two cliques of 15 joined by a single edge: every member is a core, but the two ends of the
// bridge share no neighbour, so the groups stay apart; with a second member in common they join.
TEST(AnchoredTest, TwoDenseGroupsJoinedByOneEdgeStayApart) {
  const uint32_t n = 30;
  std::vector<Edge> edges;
  for (uint32_t g = 0; g < 2; ++g) {
    for (uint32_t a = 15 * g; a < 15 * g + 15; ++a) {
      for (uint32_t b = a + 1; b < 15 * g + 15; ++b) edges.push_back(E(a, b));
    }
  }
  edges.push_back(E(3, 20));
  const std::vector<uint32_t> label = Anchored(n, edges, IdentityRanks(n));
  for (uint32_t i = 0; i < 15; ++i) EXPECT_EQ(label[i], 0u) << i;
  for (uint32_t i = 15; i < 30; ++i) EXPECT_EQ(label[i], 15u) << i;
  edges.push_back(E(4, 20));  // now 3 and 20 share 4
  const std::vector<uint32_t> joined = Anchored(n, edges, IdentityRanks(n));
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(joined[i], 0u) << i;
}

// An anchor whose neighbours were all taken joins the star it has the most edges to instead of
// standing alone: 0 takes 1 and 2; 3 (near 1 and 2 only) joins 0's star.
TEST(AnchoredTest, LoneAnchorsJoinTheirBestStar) {
  std::vector<Edge> edges = {E(0, 1), E(0, 2), E(1, 3), E(2, 3), E(4, 5), E(3, 5)};
  AnchoredStats stats;
  const std::vector<uint32_t> label = Anchored(6, edges, IdentityRanks(6), kDefaultCoreDegree, &stats);
  // 3 is taken by nobody (0 does not reach it), so it anchors and takes 5; 4 is then alone and
  // joins 3's star through 5.
  EXPECT_EQ(label[0], 0u);
  EXPECT_EQ(label[1], 0u);
  EXPECT_EQ(label[2], 0u);
  EXPECT_EQ(label[3], 3u);
  EXPECT_EQ(label[5], 3u);
  EXPECT_EQ(label[4], 3u);
  EXPECT_EQ(stats.stars, 2u);
  EXPECT_EQ(stats.lone_joined, 1u);
  // Without 3-5, 3 is alone when its turn comes and joins 0's star (two edges there).
  edges.pop_back();
  const std::vector<uint32_t> second = Anchored(6, edges, IdentityRanks(6));
  EXPECT_EQ(second[3], 0u);
  EXPECT_EQ(second[4], 4u);
  EXPECT_EQ(second[5], 4u);
}

TEST(AnchoredTest, NoEdgesLeaveEveryItemAlone) {
  AnchoredStats stats;
  const std::vector<uint32_t> label = Anchored(5, {}, IdentityRanks(5), kDefaultCoreDegree, &stats);
  EXPECT_EQ(label, IdentityRanks(5));
  EXPECT_EQ(stats.stars + stats.core_groups + stats.lone_joined, 0u);
}

TEST(AnchoredTest, ParseAndNameRoundTrip) {
  for (ClusterMode m : {ClusterMode::kAnchored, ClusterMode::kMedoid, ClusterMode::kCenter,
                        ClusterMode::kComponents}) {
    absl::StatusOr<ClusterMode> parsed = ParseClusterMode(ClusterModeName(m));
    ASSERT_TRUE(parsed.ok()) << ClusterModeName(m);
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(ClusterModeName(ClusterMode::kAnchored), "anchored");
  EXPECT_FALSE(ParseClusterMode("anchor").ok());
}

// Random graphs: chains, dense groups with stray edges, random and hub-like graphs.
std::vector<Edge> RandomGraph(std::mt19937_64& rng, size_t n) {
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  auto add = [&](uint32_t a, uint32_t b) {
    if (a != b && a < n && b < n) pairs.insert({std::min(a, b), std::max(a, b)});
  };
  std::uniform_real_distribution<double> unit(0, 1);
  const int shape = static_cast<int>(rng() % 4);
  if (shape == 0) {
    const double p = 0.03 + 0.5 * unit(rng);
    for (uint32_t a = 0; a < n; ++a) {
      for (uint32_t b = a + 1; b < n; ++b) {
        if (unit(rng) < p) add(a, b);
      }
    }
  } else if (shape == 1) {  // chains of edits
    const uint32_t reach = 1 + static_cast<uint32_t>(rng() % 6);
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t k = 1; k <= reach; ++k) {
        if (unit(rng) < 0.85) add(i, i + k);
      }
    }
  } else if (shape == 2) {  // dense groups and stray edges
    uint32_t start = 0;
    while (start < n) {
      const uint32_t size = 2 + static_cast<uint32_t>(rng() % 14);
      const double p = 0.5 + 0.5 * unit(rng);
      for (uint32_t a = start; a < start + size; ++a) {
        for (uint32_t b = a + 1; b < start + size; ++b) {
          if (unit(rng) < p) add(a, b);
        }
      }
      start += size;
    }
    for (int k = static_cast<int>(rng() % 6); k > 0; --k) add(rng() % n, rng() % n);
  } else {  // hubs with variants around them
    const uint32_t hubs = 1 + static_cast<uint32_t>(rng() % 3);
    for (uint32_t v = hubs; v < n; ++v) {
      const uint32_t h = static_cast<uint32_t>(rng() % hubs);
      if (unit(rng) < 0.8) add(h, v);
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) add(v, hubs + rng() % (n - hubs));
    }
  }
  std::vector<Edge> edges;
  for (auto [a, b] : pairs) edges.push_back(E(a, b, static_cast<float>(0.7 + 0.3 * unit(rng))));
  std::shuffle(edges.begin(), edges.end(), rng);
  return edges;
}

// What the header promises of any result: labels are members; a core group's members are
// connected; a star member is its anchor or adjacent to it, or a lone anchor adjacent to the
// cluster it joined.
void ExpectGuarantees(size_t n, const std::vector<Edge>& edges,
                      const std::vector<uint32_t>& label) {
  const auto adj = Adjacency(n, edges);
  for (uint32_t u = 0; u < n; ++u) {
    ASSERT_LT(label[u], n);
    EXPECT_EQ(label[label[u]], label[u]) << "the label of " << u << " is not in its cluster";
    if (label[u] == u) continue;
    bool near = false;
    for (uint32_t v : adj[u]) near = near || label[v] == label[u];
    EXPECT_TRUE(near) << u << " has no edge into its cluster";
  }
}

TEST(AnchoredTest, RandomGraphsMatchTheOracle) {
  std::mt19937_64 rng(20261207);
  uint64_t with_cores = 0, lone = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const size_t n = 2 + rng() % 40;
    const std::vector<Edge> edges = RandomGraph(rng, n);
    std::vector<uint32_t> rank = IdentityRanks(n);
    if (rng() % 2 == 0) std::shuffle(rank.begin(), rank.end(), rng);
    const uint32_t core_degree = static_cast<uint32_t>(rng() % 10);  // 0: stars only
    SCOPED_TRACE("iteration " + std::to_string(iter) + ", n " + std::to_string(n) +
                 ", core degree " + std::to_string(core_degree));
    AnchoredStats stats;
    const std::vector<uint32_t> label = Anchored(n, edges, rank, core_degree, &stats);
    ASSERT_EQ(label, Oracle(n, edges, rank, core_degree));
    ExpectGuarantees(n, edges, label);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
    with_cores += stats.core_groups > 0;
    lone += stats.lone_joined;
  }
  // Every step of the rule was exercised many times.
  EXPECT_GT(with_cores, 500u);
  EXPECT_GT(lone, 300u);
}

TEST(AnchoredTest, ResultDoesNotDependOnEdgeOrder) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 500; ++iter) {
    const size_t n = 2 + rng() % 60;
    std::vector<Edge> edges = RandomGraph(rng, n);
    std::vector<uint32_t> rank = IdentityRanks(n);
    std::shuffle(rank.begin(), rank.end(), rng);
    const uint32_t core_degree = 1 + static_cast<uint32_t>(rng() % 12);
    const std::vector<uint32_t> first = Anchored(n, edges, rank, core_degree);
    std::shuffle(edges.begin(), edges.end(), rng);
    ASSERT_EQ(first, Anchored(n, edges, rank, core_degree)) << "iteration " << iter;
    std::reverse(edges.begin(), edges.end());
    ASSERT_EQ(first, Anchored(n, edges, rank, core_degree)) << "iteration " << iter;
  }
}

}  // namespace
}  // namespace neardup
