// Medoid-checked components (cluster.h ClusterMode::kMedoid, MedoidClusters): hand-built graphs
// with the partition the header's rule gives, and random graphs against a slow oracle written
// here from the header alone (connected components by search; the medoid and the centers chosen
// by scanning every member; distances by breadth-first search).
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

// Hops from `from` to every item, using only edges between members of `within`.
std::map<uint32_t, int> Hops(const std::vector<std::set<uint32_t>>& adj, uint32_t from,
                             const std::set<uint32_t>& within) {
  std::map<uint32_t, int> dist{{from, 0}};
  std::deque<uint32_t> queue{from};
  while (!queue.empty()) {
    const uint32_t u = queue.front();
    queue.pop_front();
    for (uint32_t v : adj[u]) {
      if (within.count(v) == 0 || dist.count(v) != 0) continue;
      dist[v] = dist[u] + 1;
      queue.push_back(v);
    }
  }
  return dist;
}

struct OracleResult {
  std::vector<uint32_t> partition;  // canonical
  uint64_t kept = 0;
  uint64_t split = 0;
};

// The header's rule, done the slow way.
OracleResult Oracle(size_t n, const std::vector<Edge>& edges, const std::vector<uint32_t>& rank) {
  std::vector<std::map<uint32_t, float>> w(n);
  for (const Edge& e : edges) {
    w[e.a][e.b] = e.similarity;
    w[e.b][e.a] = e.similarity;
  }
  const auto adj = Adjacency(n, edges);
  std::vector<uint32_t> label(n);
  for (uint32_t i = 0; i < n; ++i) label[i] = i;
  OracleResult result;

  // Edges and similarity sum of u counted towards members of `among` only.
  struct Score {
    uint32_t degree;
    double sum;
    uint32_t rank;
  };
  auto score = [&](uint32_t u, const std::set<uint32_t>& among) {
    Score s{0, 0.0, rank[u]};
    for (const auto& [v, sim] : w[u]) {
      if (among.count(v) == 0) continue;
      ++s.degree;
      s.sum += sim;
    }
    return s;
  };
  auto better = [](const Score& x, const Score& y) {
    if (x.degree != y.degree) return x.degree > y.degree;
    if (x.sum != y.sum) return x.sum > y.sum;
    return x.rank < y.rank;
  };
  auto best_of = [&](const std::set<uint32_t>& candidates, const std::set<uint32_t>& among) {
    uint32_t best = *candidates.begin();
    for (uint32_t u : candidates) {
      if (better(score(u, among), score(best, among))) best = u;
    }
    return best;
  };

  std::vector<bool> seen(n, false);
  for (uint32_t s = 0; s < n; ++s) {
    if (seen[s]) continue;
    std::set<uint32_t> all;
    for (uint32_t i = 0; i < n; ++i) all.insert(i);
    std::set<uint32_t> comp;
    for (const auto& [v, d] : Hops(adj, s, all)) comp.insert(v);
    for (uint32_t v : comp) seen[v] = true;
    if (comp.size() < 2) continue;
    const uint32_t medoid = best_of(comp, comp);
    const Score ms = score(medoid, comp);
    const auto hops = Hops(adj, medoid, comp);
    bool within_two = true;
    for (const auto& [v, d] : hops) within_two &= d <= 2;
    if (2 * ms.degree >= comp.size() - 1 && within_two) {
      ++result.kept;
      for (uint32_t v : comp) label[v] = medoid;
      continue;
    }
    ++result.split;
    std::set<uint32_t> unassigned = comp;
    std::vector<uint32_t> centers;
    std::map<uint32_t, std::set<uint32_t>> star;
    while (!unassigned.empty()) {
      const uint32_t c = best_of(unassigned, unassigned);
      centers.push_back(c);
      std::set<uint32_t>& st = star[c];
      st.insert(c);
      for (uint32_t v : adj[c]) {
        if (unassigned.count(v) != 0) st.insert(v);
      }
      for (uint32_t v : st) {
        unassigned.erase(v);
        label[v] = c;
      }
    }
    for (uint32_t c : centers) {
      if (star[c].size() != 1) continue;
      // A lonely center joins the star it has the most edges to (ties: the better-ranked center).
      uint32_t join = UINT32_MAX;
      size_t join_count = 0;
      for (uint32_t d : centers) {
        if (d == c || star[d].size() == 1) continue;
        size_t count = 0;
        for (uint32_t v : adj[c]) count += star[d].count(v);
        if (count > join_count || (count == join_count && count > 0 && rank[d] < rank[join])) {
          join = d;
          join_count = count;
        }
      }
      if (join != UINT32_MAX) label[c] = join;
    }
  }
  result.partition = Canonical(label);
  return result;
}

// What the header promises whatever the rule decided: each label is a member of its cluster; a
// cluster never spans two components; each cluster has a member within two edges (inside the
// cluster) of every other member.
void ExpectGuarantees(size_t n, const std::vector<Edge>& edges,
                      const std::vector<uint32_t>& label) {
  ASSERT_EQ(label.size(), n);
  const auto adj = Adjacency(n, edges);
  std::map<uint32_t, std::set<uint32_t>> clusters;
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_LT(label[i], n);
    EXPECT_EQ(label[label[i]], label[i]) << "label " << label[i] << " of " << i
                                         << " is not a member of its cluster";
    clusters[label[i]].insert(i);
  }
  for (const auto& [l, members] : clusters) {
    bool centred = false;
    for (uint32_t m : members) {
      const auto hops = Hops(adj, m, members);
      bool all = hops.size() == members.size();
      for (const auto& [v, d] : hops) all &= d <= 2;
      if (all) {
        centred = true;
        break;
      }
    }
    std::string list;
    for (uint32_t m : members) list += std::to_string(m) + " ";
    EXPECT_TRUE(centred) << "no member of cluster {" << list << "} reaches all within two edges";
  }
}

struct Medoid {
  std::vector<uint32_t> label;
  MedoidStats stats;
};

Medoid Cluster(size_t n, const std::vector<Edge>& edges, const std::vector<uint32_t>& rank) {
  Medoid r;
  r.label = MedoidClusters(n, edges, rank, &r.stats);
  return r;
}

TEST(MedoidTest, NoEdgesLeavesEveryItemAlone) {
  const Medoid r = Cluster(4, {}, IdentityRanks(4));
  EXPECT_EQ(r.label, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(r.stats.components_kept, 0u);
  EXPECT_EQ(r.stats.components_split, 0u);
}

TEST(MedoidTest, StarStaysOneCluster) {
  // Center 3 with nine leaves: the leaves are two edges from one another, one from the center.
  std::vector<Edge> edges;
  for (uint32_t leaf : {0, 1, 2, 4, 5, 6, 7, 8, 9}) edges.push_back(E(3, leaf, 0.8f));
  const Medoid r = Cluster(10, edges, IdentityRanks(10));
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(r.label[i], r.label[0]) << i;
  EXPECT_EQ(r.stats.components_kept, 1u);
  EXPECT_EQ(r.stats.components_split, 0u);
}

TEST(MedoidTest, CliqueStaysOneCluster) {
  std::vector<Edge> edges;
  for (uint32_t a = 0; a < 6; ++a) {
    for (uint32_t b = a + 1; b < 6; ++b) edges.push_back(E(a, b, 0.7f + 0.01f * (a + b)));
  }
  const Medoid r = Cluster(6, edges, IdentityRanks(6));
  for (uint32_t i = 0; i < 6; ++i) EXPECT_EQ(r.label[i], r.label[0]) << i;
  EXPECT_EQ(r.stats.components_kept, 1u);
  EXPECT_EQ(r.stats.components_split, 0u);
}

TEST(MedoidTest, PairStaysOneCluster) {
  const Medoid r = Cluster(3, {E(1, 2)}, IdentityRanks(3));
  EXPECT_EQ(r.label[1], r.label[2]);
  EXPECT_NE(r.label[0], r.label[1]);
  EXPECT_EQ(r.stats.components_kept, 1u);
}

// A chain of edits of edits: only neighbours are near-duplicates. The medoid has 2 edges of 9
// others, so the component is split into stars and its two ends end up apart.
TEST(MedoidTest, PathOfTenIsSplitAndItsEndsAreApart) {
  std::vector<Edge> edges;
  for (uint32_t i = 0; i + 1 < 10; ++i) edges.push_back(E(i, i + 1, 0.75f));
  const Medoid r = Cluster(10, edges, IdentityRanks(10));
  EXPECT_NE(r.label[0], r.label[9]);
  EXPECT_EQ(r.stats.components_split, 1u);
  EXPECT_EQ(r.stats.components_kept, 0u);
  std::set<uint32_t> clusters(r.label.begin(), r.label.end());
  EXPECT_GE(clusters.size(), 3u) << "stars of at most three consecutive links, and lone centers";
  ExpectGuarantees(10, edges, r.label);
  EXPECT_EQ(Canonical(r.label), Oracle(10, edges, IdentityRanks(10)).partition);
}

// Two groups of five joined through a middle item (4 - 5 - 6): the best-connected member (4)
// reaches the far group only in three edges, so the component is split: the better-ranked group
// takes the middle item.
TEST(MedoidTest, TwoCliquesThroughABridgeItemAreSplitIntoTheCliques) {
  std::vector<Edge> edges;
  for (uint32_t a = 0; a < 5; ++a) {
    for (uint32_t b = a + 1; b < 5; ++b) {
      edges.push_back(E(a, b));
      edges.push_back(E(a + 6, b + 6));
    }
  }
  edges.push_back(E(4, 5, 0.7f));
  edges.push_back(E(5, 6, 0.7f));
  const Medoid r = Cluster(11, edges, IdentityRanks(11));
  EXPECT_EQ(Canonical(r.label), (std::vector<uint32_t>{0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6}));
  EXPECT_EQ(r.stats.components_split, 1u);
  // With the second group ranked first, it takes the middle item.
  std::vector<uint32_t> rank(11);
  for (uint32_t i = 0; i < 11; ++i) rank[i] = 10 - i;
  const Medoid s = Cluster(11, edges, rank);
  EXPECT_EQ(Canonical(s.label), (std::vector<uint32_t>{0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5}));
}

// Degree ties among centers go to the larger similarity sum, then to the better rank: on a path
// of six, which interior item becomes the first center decides where the path is cut.
TEST(MedoidTest, RanksAndSimilaritySumsChooseTheCenters) {
  std::vector<Edge> path;
  for (uint32_t i = 0; i + 1 < 6; ++i) path.push_back(E(i, i + 1, 0.8f));
  // Identity ranks: 1 takes {0, 2}, then 4 takes {3, 5}.
  EXPECT_EQ(Canonical(Cluster(6, path, IdentityRanks(6)).label),
            (std::vector<uint32_t>{0, 0, 0, 3, 3, 3}));
  // Item 2 ranked first: 2 takes {1, 3}; 4 (ranked before 5) takes 5; 0, left alone, joins 2.
  const std::vector<uint32_t> rank = {5, 4, 0, 3, 1, 2};
  EXPECT_EQ(Canonical(Cluster(6, path, rank).label), (std::vector<uint32_t>{0, 0, 0, 0, 4, 4}));
  // A stronger edge 3-4 (sums 1.8 at 3 and 4, 1.6 at 1 and 2) makes 3 the first center although
  // 1 and 2 are ranked before it: 3 takes {2, 4}; 0 (ranked before 1) takes 1; 5, alone, joins 3.
  std::vector<Edge> strong = path;
  strong[3].similarity = 1.0f;
  EXPECT_EQ(Canonical(Cluster(6, strong, IdentityRanks(6)).label),
            (std::vector<uint32_t>{0, 0, 2, 2, 2, 2}));
}

TEST(MedoidTest, StatsCountKeptAndSplitComponents) {
  // A star (0-4), a pair (5, 6), a path of ten (7-16), a dense band (17-26: each linked to the
  // next three, kept: 20 has six edges and reaches all within two), a lone item (27).
  std::vector<Edge> edges;
  for (uint32_t leaf = 1; leaf < 5; ++leaf) edges.push_back(E(0, leaf));
  edges.push_back(E(5, 6));
  for (uint32_t i = 7; i < 16; ++i) edges.push_back(E(i, i + 1));
  for (uint32_t i = 17; i < 27; ++i) {
    for (uint32_t k = 1; k <= 3 && i + k < 27; ++k) edges.push_back(E(i, i + k));
  }
  const Medoid r = Cluster(28, edges, IdentityRanks(28));
  EXPECT_EQ(r.stats.components_kept, 3u);
  EXPECT_EQ(r.stats.components_split, 1u);
  EXPECT_EQ(r.label[17], r.label[26]);
  EXPECT_NE(r.label[7], r.label[16]);
  EXPECT_EQ(r.label[27], 27u);
  const OracleResult o = Oracle(28, edges, IdentityRanks(28));
  EXPECT_EQ(o.kept, 3u);
  EXPECT_EQ(o.split, 1u);
  EXPECT_EQ(Canonical(r.label), o.partition);
}

TEST(MedoidTest, ParseAndNameRoundTrip) {
  for (ClusterMode m : {ClusterMode::kComponents, ClusterMode::kCenter, ClusterMode::kMedoid}) {
    absl::StatusOr<ClusterMode> parsed = ParseClusterMode(ClusterModeName(m));
    ASSERT_TRUE(parsed.ok()) << ClusterModeName(m);
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(ClusterModeName(ClusterMode::kMedoid), "medoid");
  EXPECT_FALSE(ParseClusterMode("medoids").ok());
  EXPECT_FALSE(ParseClusterMode("").ok());
}

// A random graph of one of several shapes, over items [0, n).
std::vector<Edge> RandomGraph(std::mt19937_64& rng, size_t n) {
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  auto add = [&](uint32_t a, uint32_t b) {
    if (a != b && a < n && b < n) pairs.insert({std::min(a, b), std::max(a, b)});
  };
  const int shape = static_cast<int>(rng() % 5);
  std::uniform_real_distribution<double> unit(0, 1);
  if (shape == 0) {  // Erdos-Renyi
    const double p = 0.03 + 0.4 * unit(rng);
    for (uint32_t a = 0; a < n; ++a) {
      for (uint32_t b = a + 1; b < n; ++b) {
        if (unit(rng) < p) add(a, b);
      }
    }
  } else if (shape == 1) {  // chains of edits: each item linked to the next 1..3
    const uint32_t reach = 1 + static_cast<uint32_t>(rng() % 3);
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t k = 1; k <= reach; ++k) {
        if (unit(rng) < 0.85) add(i, i + k);
      }
    }
  } else if (shape == 2) {  // stars and cliques, with a few stray edges between them
    uint32_t start = 0;
    while (start < n) {
      const uint32_t size = 2 + static_cast<uint32_t>(rng() % 7);
      const bool clique = rng() % 2 == 0;
      for (uint32_t a = start; a < start + size; ++a) {
        for (uint32_t b = a + 1; b < start + size; ++b) {
          if (clique || a == start) add(a, b);
        }
      }
      start += size;
    }
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) add(rng() % n, rng() % n);
  } else if (shape == 3) {  // random trees
    for (uint32_t i = 1; i < n; ++i) add(i, static_cast<uint32_t>(rng() % i));
  } else {  // a random labelled permutation of a chain with chords
    std::vector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t i = 0; i + 1 < n; ++i) add(order[i], order[i + 1]);
    for (int k = static_cast<int>(rng() % 5); k > 0; --k) {
      const uint32_t i = static_cast<uint32_t>(rng() % n);
      add(order[i], order[std::min<size_t>(n - 1, i + 2)]);
    }
  }
  // Similarities: all equal (ranks decide every tie), from a few values (some ties), or spread.
  const int weights = static_cast<int>(rng() % 3);
  const float few[] = {0.75f, 0.8f, 0.875f, 1.0f};
  std::vector<Edge> edges;
  for (auto [a, b] : pairs) {
    float s = 0.8f;
    if (weights == 1) s = few[rng() % 4];
    if (weights == 2) s = static_cast<float>(0.7 + 0.3 * unit(rng));
    edges.push_back(E(a, b, s));
  }
  std::shuffle(edges.begin(), edges.end(), rng);
  return edges;
}

TEST(MedoidTest, RandomGraphsMatchTheOracle) {
  std::mt19937_64 rng(20261203);
  uint64_t kept = 0, split = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const size_t n = 2 + rng() % 30;
    const std::vector<Edge> edges = RandomGraph(rng, n);
    std::vector<uint32_t> rank = IdentityRanks(n);
    if (rng() % 2 == 0) std::shuffle(rank.begin(), rank.end(), rng);
    SCOPED_TRACE("iteration " + std::to_string(iter) + ", n " + std::to_string(n));
    const Medoid r = Cluster(n, edges, rank);
    const OracleResult o = Oracle(n, edges, rank);
    ASSERT_EQ(Canonical(r.label), o.partition);
    ASSERT_EQ(r.stats.components_kept, o.kept);
    ASSERT_EQ(r.stats.components_split, o.split);
    ExpectGuarantees(n, edges, r.label);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
    kept += o.kept;
    split += o.split;
  }
  // Both branches of the rule were exercised many times.
  EXPECT_GT(kept, 1000u);
  EXPECT_GT(split, 300u);
}

// The labels themselves (not only the partition) depend on the edge set and the ranks alone.
TEST(MedoidTest, ResultDoesNotDependOnEdgeOrder) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 500; ++iter) {
    const size_t n = 2 + rng() % 40;
    std::vector<Edge> edges = RandomGraph(rng, n);
    std::vector<uint32_t> rank = IdentityRanks(n);
    std::shuffle(rank.begin(), rank.end(), rng);
    MedoidStats s1, s2;
    const std::vector<uint32_t> first = MedoidClusters(n, edges, rank, &s1);
    std::shuffle(edges.begin(), edges.end(), rng);
    const std::vector<uint32_t> second = MedoidClusters(n, edges, rank, &s2);
    std::reverse(edges.begin(), edges.end());
    const std::vector<uint32_t> third = MedoidClusters(n, edges, rank, nullptr);
    ASSERT_EQ(first, second) << "iteration " << iter;
    ASSERT_EQ(first, third) << "iteration " << iter;
    EXPECT_EQ(s1.components_kept, s2.components_kept);
    EXPECT_EQ(s1.components_split, s2.components_split);
  }
}

// A larger graph than the oracle can take quickly, for the guarantee alone: 2,000 items in
// chains and stars, each cluster within two edges of one member.
TEST(MedoidTest, LargeGraphKeepsTheTwoEdgeGuarantee) {
  std::mt19937_64 rng(99);
  const size_t n = 2000;
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (uint32_t i = 0; i + 1 < n; ++i) {
    if (i % 50 == 49) continue;  // chains of fifty
    pairs.insert({i, i + 1});
    if (rng() % 3 == 0 && i + 2 < n && (i + 1) % 50 != 49) pairs.insert({i, i + 2});
  }
  std::vector<Edge> edges;
  for (auto [a, b] : pairs) edges.push_back(E(a, b, 0.7f + 0.001f * static_cast<float>(rng() % 300)));
  const Medoid r = Cluster(n, edges, IdentityRanks(n));
  ExpectGuarantees(n, edges, r.label);
  EXPECT_EQ(r.stats.components_split + r.stats.components_kept, 40u);
  for (uint32_t c = 0; c < 40; ++c) EXPECT_NE(r.label[c * 50], r.label[c * 50 + 49]) << c;
}

}  // namespace
}  // namespace neardup
