// anchored.cc: cores and anchored stars (cluster.h ClusterMode::kAnchored).
//
// Three steps over the edge graph, each deterministic:
//   1. Cores: items with at least `core_degree` neighbours. Two adjacent cores are joined when
//      they also share a neighbour (so two dense groups touching through one edge stay apart).
//      Then the groups grow in rings, breadth first: in each round every unlabelled item with an
//      edge to a group member joins the group it has the most edges to, all judged from the
//      labels before the round. A component with a core is thus kept whole (shared out among its
//      core groups, each item to the nearest).
//   2. Stars: the other items, in rank order: an unassigned item anchors a star and takes its
//      unassigned neighbours.
//   3. Lone anchors (a star of one that has edges) join the cluster they have the most edges to.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "internal/edge_graph.h"
#include "neardup/cluster/cluster.h"

namespace neardup {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

using SortedGraph = internal::EdgeGraph;  // built with each item's neighbours sorted

// Whether u and v have a neighbour in common (a merge of the sorted lists, stopping at the first).
bool ShareNeighbour(const SortedGraph& g, uint32_t u, uint32_t v) {
  uint64_t i = g.begin[u], j = g.begin[v];
  const uint64_t ie = g.begin[u + 1], je = g.begin[v + 1];
  while (i < ie && j < je) {
    const uint32_t x = g.next[i], y = g.next[j];
    if (x == y) return true;
    if (x < y) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

// Among the labels of u's neighbours (kNone ignored), the one with the most edges from u; ties go
// to the better-ranked label (a label is a member: a group's best core, or a star's anchor).
// kNone when no neighbour is labelled.
class Tally {
 public:
  explicit Tally(size_t n) : count_(n, 0) {}

  uint32_t Best(const SortedGraph& g, uint32_t u, const std::vector<uint32_t>& label,
                absl::Span<const uint32_t> rank) {
    touched_.clear();
    for (uint64_t k = g.begin[u]; k < g.begin[u + 1]; ++k) {
      const uint32_t l = label[g.next[k]];
      if (l == kNone) continue;
      if (count_[l]++ == 0) touched_.push_back(l);
    }
    uint32_t best = kNone;
    for (uint32_t l : touched_) {
      if (best == kNone || count_[l] > count_[best] ||
          (count_[l] == count_[best] && rank[l] < rank[best])) {
        best = l;
      }
    }
    for (uint32_t l : touched_) count_[l] = 0;
    return best;
  }

 private:
  std::vector<uint32_t> count_;
  std::vector<uint32_t> touched_;
};

}  // namespace

std::vector<uint32_t> AnchoredClusters(size_t n, absl::Span<const Edge> edges,
                                       absl::Span<const uint32_t> rank, uint32_t core_degree,
                                       AnchoredStats* stats) {
  std::vector<uint32_t> label(n);
  std::iota(label.begin(), label.end(), uint32_t{0});
  AnchoredStats local;
  if (edges.empty()) {
    if (stats != nullptr) *stats = local;
    return label;
  }
  const SortedGraph g = internal::BuildEdgeGraph(n, edges, /*sorted=*/true);
  std::vector<uint8_t> core(n, 0);
  for (size_t u = 0; u < n; ++u) {
    core[u] = core_degree > 0 && g.degree(static_cast<uint32_t>(u)) >= core_degree;
    local.core_items += core[u];
  }

  // Step 1: core groups. A group's label is its best-ranked core, so that ties between groups
  // go the way of the keep policy.
  UnionFind groups(n);
  for (const Edge& e : edges) {
    if (core[e.a] && core[e.b] && ShareNeighbour(g, e.a, e.b)) groups.Union(e.a, e.b);
  }
  std::vector<uint32_t> best_core(n, kNone);  // by group root
  for (size_t u = 0; u < n; ++u) {
    if (!core[u]) continue;
    uint32_t& b = best_core[groups.Find(static_cast<uint32_t>(u))];
    if (b == kNone || rank[u] < rank[b]) b = static_cast<uint32_t>(u);
  }
  std::vector<uint32_t> assigned(n, kNone);  // the label, once an item has one
  for (size_t u = 0; u < n; ++u) {
    if (!core[u]) continue;
    const uint32_t l = best_core[groups.Find(static_cast<uint32_t>(u))];
    assigned[u] = l;
    local.core_groups += l == u;
  }
  // Rings: the unlabelled neighbours of the last round's new members (the cores, first) each
  // join the group they have the most edges to. Every decision of a round is taken before any is
  // applied, and candidates are sorted, so neither the loop order nor threads matter; each item
  // is decided once, so the rounds cost O(edges) together.
  Tally tally(n);
  std::vector<uint32_t> frontier;
  for (size_t u = 0; u < n; ++u) {
    if (core[u]) frontier.push_back(static_cast<uint32_t>(u));
  }
  std::vector<uint32_t> next, decided;
  while (!frontier.empty()) {
    next.clear();
    for (uint32_t f : frontier) {
      for (uint64_t k = g.begin[f]; k < g.begin[f + 1]; ++k) {
        if (assigned[g.next[k]] == kNone) next.push_back(g.next[k]);
      }
    }
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    decided.resize(next.size());
    for (size_t i = 0; i < next.size(); ++i) decided[i] = tally.Best(g, next[i], assigned, rank);
    for (size_t i = 0; i < next.size(); ++i) assigned[next[i]] = decided[i];
    local.core_group_members += next.size();
    if (!next.empty()) ++local.rings;
    frontier.swap(next);
  }
  local.core_group_members += local.core_items;

  // Step 2: stars anchored in rank order.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return rank[a] < rank[b]; });
  std::vector<uint32_t> lone;
  for (uint32_t a : order) {
    if (assigned[a] != kNone) continue;
    assigned[a] = a;
    size_t taken = 0;
    for (uint64_t k = g.begin[a]; k < g.begin[a + 1]; ++k) {
      const uint32_t v = g.next[k];
      if (assigned[v] == kNone) {
        assigned[v] = a;
        ++taken;
      }
    }
    if (taken > 0) {
      ++local.stars;
    } else if (g.degree(a) > 0) {
      lone.push_back(a);
    }
  }
  // Step 3: lone anchors join. Each is judged against the labels of step 2, never against another
  // lone anchor's move, so the order of this loop does not matter either.
  std::vector<uint32_t> join(lone.size());
  for (size_t i = 0; i < lone.size(); ++i) join[i] = tally.Best(g, lone[i], assigned, rank);
  for (size_t i = 0; i < lone.size(); ++i) assigned[lone[i]] = join[i];
  local.lone_joined = lone.size();

  if (stats != nullptr) *stats = local;
  return assigned;
}

}  // namespace neardup
