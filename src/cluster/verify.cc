#include "neardup/cluster/verify.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "neardup/sketch/minhash.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neardup {

std::vector<Edge> VerifyCandidates(absl::Span<const CandidatePair> candidates,
                                   absl::Span<const uint32_t> signatures, int num_perm,
                                   double threshold, bool verify) {
  if (num_perm < 1) return {};
  const size_t stride = static_cast<size_t>(num_perm);
  // Each candidate's estimate lands in its own slot, so the parallel part has no ordering to
  // get wrong; the serial compaction afterwards keeps the input order.
  std::vector<double> similarity(candidates.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 1024),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) {
                        const CandidatePair& c = candidates[i];
                        similarity[i] =
                            EstimateJaccard(signatures.subspan(c.a * stride, stride),
                                            signatures.subspan(c.b * stride, stride));
                      }
                    });
  std::vector<Edge> edges;
  edges.reserve(verify ? candidates.size() / 4 : candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (verify && similarity[i] < threshold) continue;
    edges.push_back({candidates[i].a, candidates[i].b, static_cast<float>(similarity[i])});
  }
  return edges;
}

}  // namespace neardup
