// cluster.h: groups documents into clusters (connected components of the edge graph) and picks a
// representative for each. Documents, not signatures, are the nodes: exact duplicates stay
// separate records. The result depends only on the set of edges, never on their order or on
// thread scheduling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace neardup {

// Disjoint sets over 0..n-1 with path halving; the root of a set is always its smallest member,
// so roots are deterministic.
class UnionFind {
 public:
  explicit UnionFind(size_t n);
  uint32_t Find(uint32_t x);
  // Merges the sets of x and y; returns true if they were separate.
  bool Union(uint32_t x, uint32_t y);
  size_t size() const { return parent_.size(); }

 private:
  std::vector<uint32_t> parent_;
};

enum class KeepPolicy {
  kFirst,     // the member that came first in the input (smallest index)
  kLongest,   // the member with the largest length; ties: smallest index
  kShortest,  // the member with the smallest length; ties: smallest index
};

// For each item i of `sets`, the index of its cluster's representative (a member of the same
// set) chosen by `policy`. `lengths` (one per item) is read for kLongest / kShortest only.
std::vector<uint32_t> ChooseRepresentatives(UnionFind& sets, KeepPolicy policy,
                                            absl::Span<const uint64_t> lengths);

}  // namespace neardup
