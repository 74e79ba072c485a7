// internal/edge_graph.h: the edge list of a clustering (cluster.h Edge, a < b) as compressed
// adjacency, for the clustering modes that walk neighbours (medoid.cc, anchored.cc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "neardup/cluster/verify.h"

namespace neardup::internal {

struct EdgeGraph {
  std::vector<uint64_t> begin;  // n + 1: item u's neighbours are next[begin[u], begin[u + 1])
  std::vector<uint32_t> next;
  std::vector<float> weight;    // the similarity of each, when built with weights
  uint32_t degree(uint32_t u) const { return static_cast<uint32_t>(begin[u + 1] - begin[u]); }
};

// Neighbours in edge order with their weights (`sorted` false), or each list sorted and no
// weights (`sorted` true: two sorted lists can be merged, see anchored.cc).
inline EdgeGraph BuildEdgeGraph(size_t n, absl::Span<const Edge> edges, bool sorted) {
  EdgeGraph g;
  g.begin.assign(n + 1, 0);
  for (const Edge& e : edges) {
    ++g.begin[e.a + 1];
    ++g.begin[e.b + 1];
  }
  for (size_t i = 0; i < n; ++i) g.begin[i + 1] += g.begin[i];
  g.next.resize(2 * edges.size());
  if (!sorted) g.weight.resize(2 * edges.size());
  std::vector<uint64_t> fill(g.begin.begin(), g.begin.end() - 1);
  for (const Edge& e : edges) {
    if (!g.weight.empty()) {
      g.weight[fill[e.a]] = e.similarity;
      g.weight[fill[e.b]] = e.similarity;
    }
    g.next[fill[e.a]++] = e.b;
    g.next[fill[e.b]++] = e.a;
  }
  if (sorted) {
    for (size_t i = 0; i < n; ++i) {
      std::sort(g.next.begin() + static_cast<std::ptrdiff_t>(g.begin[i]),
                g.next.begin() + static_cast<std::ptrdiff_t>(g.begin[i + 1]));
    }
  }
  return g;
}

}  // namespace neardup::internal
