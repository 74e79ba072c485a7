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
  float similarity = 0;  // the pair's similarity (match.h: the lowest field that had to pass)
  // Per field, NaN when a document lacks the field (or it was not looked at); and which rule of
  // match.h decided (MatchReason, 0 when not recorded).
  float title_similarity = 0;
  float body_similarity = 0;
  uint8_t reason = 0;
  // 1 when the similarities are exact (the two shingle sets compared: exact verification, the
  // exact engine), 0 when they are the sketches' estimates.
  uint8_t exact = 0;
};

std::vector<Edge> VerifyCandidates(absl::Span<const CandidatePair> candidates,
                                   absl::Span<const uint32_t> signatures, int num_perm,
                                   double threshold, bool verify);

}  // namespace neardup
