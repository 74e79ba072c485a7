#include "neardup/cluster/cluster.h"

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace neardup {

UnionFind::UnionFind(size_t n) : parent_(n) {
  std::iota(parent_.begin(), parent_.end(), uint32_t{0});
}

uint32_t UnionFind::Find(uint32_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];  // path halving
    x = parent_[x];
  }
  return x;
}

bool UnionFind::Union(uint32_t x, uint32_t y) {
  uint32_t rx = Find(x);
  uint32_t ry = Find(y);
  if (rx == ry) return false;
  // Every root is the minimum of its set, so hanging the larger root under the smaller keeps
  // that true. No union by rank: path halving alone keeps Find amortized logarithmic, and a
  // deterministic root is worth more here than the last constant factor.
  if (ry < rx) std::swap(rx, ry);
  parent_[ry] = rx;
  return true;
}

std::vector<uint32_t> ChooseRepresentatives(UnionFind& sets, KeepPolicy policy,
                                            absl::Span<const uint64_t> lengths) {
  const size_t n = sets.size();
  std::vector<uint32_t> rep(n);
  if (policy != KeepPolicy::kLongest && policy != KeepPolicy::kShortest) {
    for (size_t i = 0; i < n; ++i) rep[i] = sets.Find(static_cast<uint32_t>(i));
    return rep;
  }
  auto length = [&](size_t i) -> uint64_t { return i < lengths.size() ? lengths[i] : 0; };
  // best[root] is the chosen member so far; items are visited in index order and only a strictly
  // better length replaces it, so ties go to the smallest index.
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> best(n, kNone);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t root = sets.Find(static_cast<uint32_t>(i));
    uint32_t& b = best[root];
    if (b == kNone) {
      b = static_cast<uint32_t>(i);
    } else if (policy == KeepPolicy::kLongest ? length(i) > length(b) : length(i) < length(b)) {
      b = static_cast<uint32_t>(i);
    }
  }
  for (size_t i = 0; i < n; ++i) rep[i] = best[sets.Find(static_cast<uint32_t>(i))];
  return rep;
}

std::vector<uint32_t> RanksByPolicy(KeepPolicy policy, absl::Span<const uint64_t> lengths) {
  const size_t n = lengths.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  if (policy == KeepPolicy::kLongest || policy == KeepPolicy::kShortest) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return policy == KeepPolicy::kLongest ? lengths[a] > lengths[b] : lengths[a] < lengths[b];
    });
  }
  std::vector<uint32_t> rank(n);
  for (size_t r = 0; r < n; ++r) rank[order[r]] = static_cast<uint32_t>(r);
  return rank;
}

std::vector<uint32_t> RanksByFieldValue(absl::Span<const std::string> values,
                                        absl::Span<const uint8_t> present, bool descending) {
  const size_t n = values.size();
  // Parse numbers once.
  std::vector<double> number(n, 0);
  std::vector<uint8_t> numeric(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (!present[i] || values[i].empty()) continue;
    char* end = nullptr;
    number[i] = std::strtod(values[i].c_str(), &end);
    numeric[i] = end == values[i].c_str() + values[i].size() && std::isfinite(number[i]);
  }
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (present[a] != present[b]) return present[a] > present[b];  // missing values last
    if (!present[a]) return false;
    int c;
    if (numeric[a] && numeric[b]) {
      c = number[a] < number[b] ? -1 : number[b] < number[a] ? 1 : 0;
    } else {
      c = values[a].compare(values[b]);
    }
    return descending ? c > 0 : c < 0;
  });
  std::vector<uint32_t> rank(n);
  for (size_t r = 0; r < n; ++r) rank[order[r]] = static_cast<uint32_t>(r);
  return rank;
}

std::vector<uint32_t> ChooseRepresentativesByRank(UnionFind& sets,
                                                  absl::Span<const uint32_t> rank) {
  const size_t n = sets.size();
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> best(n, kNone);
  for (size_t i = 0; i < n; ++i) {
    uint32_t& b = best[sets.Find(static_cast<uint32_t>(i))];
    if (b == kNone || rank[i] < rank[b]) b = static_cast<uint32_t>(i);
  }
  std::vector<uint32_t> rep(n);
  for (size_t i = 0; i < n; ++i) rep[i] = best[sets.Find(static_cast<uint32_t>(i))];
  return rep;
}

absl::StatusOr<ClusterMode> ParseClusterMode(std::string_view name) {
  if (name == "components") return ClusterMode::kComponents;
  if (name == "center") return ClusterMode::kCenter;
  if (name == "medoid") return ClusterMode::kMedoid;
  if (name == "anchored") return ClusterMode::kAnchored;
  return absl::InvalidArgumentError(
      "--cluster must be anchored, medoid, center or components, got \"" +
                                    std::string(name) + "\"");
}

std::string_view ClusterModeName(ClusterMode mode) {
  switch (mode) {
    case ClusterMode::kCenter: return "center";
    case ClusterMode::kComponents: return "components";
    case ClusterMode::kMedoid: return "medoid";
    case ClusterMode::kAnchored: return "anchored";
  }
  return "anchored";
}

std::vector<uint32_t> CenterClusters(size_t n, absl::Span<const Edge> edges,
                                     absl::Span<const uint32_t> rank) {
  std::vector<uint32_t> order(edges.size());
  std::iota(order.begin(), order.end(), uint32_t{0});
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const Edge& a = edges[x];
    const Edge& b = edges[y];
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    if (a.a != b.a) return a.a < b.a;
    return a.b < b.b;
  });
  constexpr uint32_t kUnassigned = UINT32_MAX;
  std::vector<uint32_t> center(n, kUnassigned);
  for (uint32_t k : order) {
    const uint32_t u = edges[k].a;
    const uint32_t v = edges[k].b;
    const bool u_free = center[u] == kUnassigned;
    const bool v_free = center[v] == kUnassigned;
    if (u_free && v_free) {
      const uint32_t c = rank[u] < rank[v] ? u : v;
      center[u] = c;
      center[v] = c;
    } else if (u_free && center[v] == v) {
      center[u] = v;
    } else if (v_free && center[u] == u) {
      center[v] = u;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (center[i] == kUnassigned) center[i] = static_cast<uint32_t>(i);
  }
  return center;
}

}  // namespace neardup
