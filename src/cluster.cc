#include "neardup/cluster.h"

#include <cstddef>
#include <cstdint>
#include <numeric>
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
  if (policy == KeepPolicy::kFirst) {
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

}  // namespace neardup
