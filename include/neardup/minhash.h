// minhash.h: MinHash signatures of shingle-hash sets.
//
// Permutation i (0 <= i < num_perm) maps a 64-bit shingle hash x to
//     h_i(x) = (uint32_t)((a_i * x + b_i) >> 32)      (arithmetic mod 2^64)
// where (a_i, b_i) are the (2i)-th and (2i+1)-th outputs of SplitMix64 started at `seed`, with a_i
// forced odd. Signature entry i is the minimum of h_i over the set; an empty set gives 0xFFFFFFFF in
// every entry. The estimate of Jaccard(A, B) is the fraction of positions where the two signatures
// agree. tests/minhash_test.cc pins these values (golden vectors): changing the scheme or the
// default seed invalidates stored signatures and must be deliberate.
// A MinHasher is immutable after construction and safe to share between threads.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace neardup {

// The documented default MinHash seed ("minhash1" as a big-endian integer).
inline constexpr uint64_t kMinHashSeed = 0x6D696E6861736831ULL;

class MinHasher {
 public:
  // `num_perm` >= 1.
  explicit MinHasher(int num_perm, uint64_t seed = kMinHashSeed);

  int num_perm() const { return static_cast<int>(a_.size()); }

  // Writes the signature of the set of `shingles` (duplicates allowed, order irrelevant) to `out`,
  // which must have num_perm() entries.
  void Sign(absl::Span<const uint64_t> shingles, absl::Span<uint32_t> out) const;

 private:
  std::vector<uint64_t> a_;
  std::vector<uint64_t> b_;
};

// Fraction of positions in which `a` and `b` (equal length, > 0) agree.
double EstimateJaccard(absl::Span<const uint32_t> a, absl::Span<const uint32_t> b);

}  // namespace neardup
