// medoid.cc: medoid-checked components (cluster.h ClusterMode::kMedoid).
#include <algorithm>
#include <cstdint>
#include <queue>
#include <tuple>
#include <vector>

#include "internal/edge_graph.h"
#include "neardup/cluster/cluster.h"

namespace neardup {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

using Graph = internal::EdgeGraph;

// Orders candidates for medoid and centers: more edges, then a larger similarity sum, then the
// better (smaller) rank.
struct Score {
  uint32_t degree = 0;
  double sum = 0;
  uint32_t rank = 0;
  uint32_t item = 0;
  bool operator<(const Score& o) const {  // "worse than", for a max-heap
    if (degree != o.degree) return degree < o.degree;
    if (sum != o.sum) return sum < o.sum;
    return rank > o.rank;
  }
};

class Splitter {
 public:
  Splitter(const Graph& g, absl::Span<const uint32_t> rank, std::vector<uint32_t>* label)
      : g_(g), rank_(rank), label_(*label), mark_(label->size(), 0) {}

  // Keeps `members` (one component, >= 3) whole if the check passes; else splits it.
  bool Handle(const std::vector<uint32_t>& members) {
    Score best;
    bool first = true;
    for (uint32_t u : members) {
      const Score s = Full(u);
      if (first || best < s) best = s;
      first = false;
    }
    const uint32_t m = best.item;
    if (2 * static_cast<uint64_t>(best.degree) + 1 >= members.size() && WithinTwo(m, members)) {
      for (uint32_t u : members) label_[u] = m;
      return true;
    }
    Split(members);
    return false;
  }

 private:
  Score Full(uint32_t u) const {
    Score s;
    s.item = u;
    s.rank = rank_[u];
    s.degree = static_cast<uint32_t>(g_.begin[u + 1] - g_.begin[u]);
    for (uint64_t k = g_.begin[u]; k < g_.begin[u + 1]; ++k) s.sum += g_.weight[k];
    return s;
  }

  bool WithinTwo(uint32_t m, const std::vector<uint32_t>& members) {
    ++epoch_;
    mark_[m] = epoch_;
    size_t reached = 1;
    for (uint64_t k = g_.begin[m]; k < g_.begin[m + 1]; ++k) {
      const uint32_t v = g_.next[k];
      if (mark_[v] != epoch_) {
        mark_[v] = epoch_;
        ++reached;
      }
    }
    for (uint64_t k = g_.begin[m]; k < g_.begin[m + 1]; ++k) {
      const uint32_t v = g_.next[k];
      for (uint64_t j = g_.begin[v]; j < g_.begin[v + 1]; ++j) {
        const uint32_t w = g_.next[j];
        if (mark_[w] != epoch_) {
          mark_[w] = epoch_;
          ++reached;
        }
      }
    }
    return reached == members.size();
  }

  // Stars around the best-connected unassigned members, then lonely centers join a star.
  void Split(const std::vector<uint32_t>& members) {
    for (uint32_t u : members) label_[u] = kNone;
    std::priority_queue<Score> heap;
    std::vector<uint32_t> free_degree_of;  // by position in `members`
    for (uint32_t u : members) heap.push(Full(u));
    // Degrees and sums among unassigned members, kept current as members are assigned.
    std::vector<Score> current;
    current.reserve(members.size());
    auto& cur = cur_;
    for (uint32_t u : members) cur[u] = Full(u);
    std::vector<uint32_t> centers;
    while (!heap.empty()) {
      const Score top = heap.top();
      heap.pop();
      const uint32_t c = top.item;
      if (label_[c] != kNone) continue;
      const Score& now = cur[c];
      if (now.degree != top.degree || now.sum != top.sum) continue;  // stale entry
      centers.push_back(c);
      Assign(c, c, &heap);
      for (uint64_t k = g_.begin[c]; k < g_.begin[c + 1]; ++k) {
        const uint32_t v = g_.next[k];
        if (label_[v] == kNone) Assign(v, c, &heap);
      }
    }
    // A center whose star is only itself joins the star it has the most edges to (ties: the
    // better-ranked center).
    std::vector<uint32_t> size_of;
    for (uint32_t c : centers) {
      bool alone = true;
      for (uint64_t k = g_.begin[c]; k < g_.begin[c + 1] && alone; ++k) {
        alone = label_[g_.next[k]] != c;
      }
      if (!alone) continue;
      uint32_t best = kNone;
      uint32_t best_count = 0;
      for (uint64_t k = g_.begin[c]; k < g_.begin[c + 1]; ++k) {
        const uint32_t star = label_[g_.next[k]];
        if (star == c) continue;
        uint32_t count = 0;
        for (uint64_t j = g_.begin[c]; j < g_.begin[c + 1]; ++j) count += label_[g_.next[j]] == star;
        if (count > best_count || (count == best_count && best != kNone && rank_[star] < rank_[best])) {
          best = star;
          best_count = count;
        }
      }
      if (best != kNone) label_[c] = best;
    }
  }

  // Marks v assigned to `center` and lowers its unassigned neighbours' scores.
  void Assign(uint32_t v, uint32_t center, std::priority_queue<Score>* heap) {
    label_[v] = center;
    for (uint64_t k = g_.begin[v]; k < g_.begin[v + 1]; ++k) {
      const uint32_t w = g_.next[k];
      if (label_[w] != kNone) continue;
      Score& s = cur_[w];
      --s.degree;
      s.sum -= g_.weight[k];
      heap->push(s);
    }
  }

 public:
  std::vector<Score> cur_;

 private:
  const Graph& g_;
  absl::Span<const uint32_t> rank_;
  std::vector<uint32_t>& label_;
  std::vector<uint32_t> mark_;
  uint32_t epoch_ = 0;
};

}  // namespace

std::vector<uint32_t> MedoidClusters(size_t n, absl::Span<const Edge> edges,
                                     absl::Span<const uint32_t> rank, MedoidStats* stats) {
  std::vector<uint32_t> label(n);
  for (size_t i = 0; i < n; ++i) label[i] = static_cast<uint32_t>(i);
  if (edges.empty()) return label;
  UnionFind sets(n);
  for (const Edge& e : edges) sets.Union(e.a, e.b);
  // Members of each component, in item order (roots are the smallest members).
  std::vector<uint32_t> count(n, 0);
  for (size_t i = 0; i < n; ++i) ++count[sets.Find(static_cast<uint32_t>(i))];
  const Graph g = internal::BuildEdgeGraph(n, edges, /*sorted=*/false);
  Splitter splitter(g, rank, &label);
  splitter.cur_.resize(n);
  std::vector<std::vector<uint32_t>> members(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = sets.Find(static_cast<uint32_t>(i));
    if (count[r] > 1) members[r].push_back(static_cast<uint32_t>(i));
  }
  MedoidStats local;
  for (size_t r = 0; r < n; ++r) {
    std::vector<uint32_t>& m = members[r];
    if (m.empty()) continue;
    if (m.size() == 2) {
      label[m[0]] = label[m[1]] = m[0];
      ++local.components_kept;
    } else if (splitter.Handle(m)) {
      ++local.components_kept;
    } else {
      ++local.components_split;
    }
    m = {};
  }
  if (stats != nullptr) *stats = local;
  return label;
}

}  // namespace neardup
