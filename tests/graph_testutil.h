// graph_testutil.h: what the clustering tests (medoid_test.cc, anchored_test.cc) build graphs and
// compare partitions with.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "neardup/cluster/cluster.h"

namespace neardup::graph_test {

// An edge between a and b (either order), a < b in the result.
inline Edge E(uint32_t a, uint32_t b, float similarity = 0.9f) {
  Edge e;
  e.a = std::min(a, b);
  e.b = std::max(a, b);
  e.similarity = similarity;
  return e;
}

inline std::vector<uint32_t> IdentityRanks(size_t n) {
  std::vector<uint32_t> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = static_cast<uint32_t>(i);
  return r;
}

// A partition in canonical form: each item's cluster named by its smallest member.
inline std::vector<uint32_t> Canonical(const std::vector<uint32_t>& label) {
  std::map<uint32_t, uint32_t> smallest;
  for (uint32_t i = 0; i < label.size(); ++i) smallest.emplace(label[i], i);  // first = smallest
  std::vector<uint32_t> out(label.size());
  for (uint32_t i = 0; i < label.size(); ++i) out[i] = smallest[label[i]];
  return out;
}

inline std::vector<std::set<uint32_t>> Adjacency(size_t n, const std::vector<Edge>& edges) {
  std::vector<std::set<uint32_t>> adj(n);
  for (const Edge& e : edges) {
    adj[e.a].insert(e.b);
    adj[e.b].insert(e.a);
  }
  return adj;
}

}  // namespace neardup::graph_test
