// verify.h: turns candidate pairs into edges. A candidate becomes an edge only if the Jaccard
// similarity estimated from the two MinHash signatures (all num_perm entries) is >= threshold;
// with verification off every candidate is an edge. Runs in parallel; the output order is the
// input order, whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "neardup/candidates/lsh.h"

namespace neardup {

struct Edge {
  uint32_t a = 0;
  uint32_t b = 0;
  float similarity = 0;  // estimated Jaccard of a and b
};

std::vector<Edge> VerifyCandidates(absl::Span<const CandidatePair> candidates,
                                   absl::Span<const uint32_t> signatures, int num_perm,
                                   double threshold, bool verify);

}  // namespace neardup
