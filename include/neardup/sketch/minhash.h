// minhash.h: MinHash signatures of shingle-hash sets.
//
// Two schemes give signatures with the same meaning: entry i of two signatures agrees with
// probability equal to the Jaccard similarity of the two sets, so the estimate of Jaccard(A, B) is
// the fraction of positions where the signatures agree. An empty set gives 0xFFFFFFFF in every
// entry under both.
//
// one-permutation (default; Li, Owen and Zhang 2012, with the optimal densification of
// Shrivastava 2017): one hash per shingle instead of num_perm. With K = num_perm bins, shingle x
// is mixed as h = Mix64(x ^ seed), where Mix64 is the SplitMix64 finalizer
//     z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
// and falls into bin (hi32(h) * K) >> 32 with value lo32(h); entry i is the least value in bin i.
// A bin no shingle fell into borrows the entry of another bin: for attempt t = 1, 2, ... it looks
// at bin (hi32(Mix64(seed' ^ (i << 32 | t))) * K) >> 32, with seed' = Mix64(seed + 1), and copies
// the first one that is not empty (bins filled by borrowing are never borrowed from). The probe
// sequence depends only on (i, t), so two sets borrow alike where they agree, which keeps
// P[entries agree] = Jaccard. Cost: one 64-bit mix per shingle, about 1/20 of the permutations
// scheme at 128 entries; accuracy matches it (tests/minhash_test.cc compares both with exact
// Jaccard, for long texts and for headline-sized sets).
//
// permutations (classic): permutation i (0 <= i < num_perm) maps x to
//     h_i(x) = (uint32_t)((a_i * x + b_i) >> 32)      (arithmetic mod 2^64)
// where (a_i, b_i) are the (2i)-th and (2i+1)-th outputs of SplitMix64 started at `seed`, with a_i
// forced odd; entry i is the minimum of h_i over the set.
//
// tests/minhash_test.cc pins both schemes' values (golden vectors): changing a scheme or the
// default seed invalidates stored signatures and must be deliberate.
// A MinHasher is immutable after construction and safe to share between threads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "absl/types/span.h"

namespace neardup {

// The documented default MinHash seed ("minhash1" as a big-endian integer).
inline constexpr uint64_t kMinHashSeed = 0x6D696E6861736831ULL;

enum class MinHashScheme { kOnePermutation, kPermutations };

// "oph" (kOnePermutation) or "permutations".
absl::StatusOr<MinHashScheme> ParseMinHashScheme(std::string_view name);
std::string_view MinHashSchemeName(MinHashScheme scheme);

class MinHasher {
 public:
  // `num_perm` >= 1.
  explicit MinHasher(int num_perm, uint64_t seed = kMinHashSeed,
                     MinHashScheme scheme = MinHashScheme::kOnePermutation);

  int num_perm() const { return num_perm_; }
  MinHashScheme scheme() const { return scheme_; }

  // Writes the signature of the set of `shingles` (duplicates allowed, order irrelevant) to `out`,
  // which must have num_perm() entries.
  void Sign(absl::Span<const uint64_t> shingles, absl::Span<uint32_t> out) const;

 private:
  void SignOnePermutation(absl::Span<const uint64_t> shingles, absl::Span<uint32_t> out) const;

  int num_perm_;
  MinHashScheme scheme_;
  uint64_t seed_;
  // permutations: the multipliers and offsets.
  std::vector<uint64_t> a_;
  std::vector<uint64_t> b_;
  // one-permutation: the first kProbes bins of each bin's densification probe sequence.
  static constexpr int kProbes = 16;
  uint64_t probe_seed_ = 0;
  std::vector<uint32_t> probes_;
};

// Fraction of positions in which `a` and `b` (equal length, > 0) agree.
double EstimateJaccard(absl::Span<const uint32_t> a, absl::Span<const uint32_t> b);

// Stored signatures (match.h FieldSketches) keep the low kStoredMinHashBits bits of each entry
// (b-bit MinHash, Li and König 2010), packed two entries in three bytes: entries 2j and 2j+1 of
// a signature go to bytes 3j..3j+2 as
//     byte 3j   = e0 & 0xFF
//     byte 3j+1 = (e0 >> 8 & 0xF) | (e1 & 0xF) << 4
//     byte 3j+2 = e1 >> 4 & 0xFF
// (an odd num_perm leaves the last half-group zero). 128 entries take 192 bytes instead of 512.
// Two entries that differ can agree in their low 12 bits, with probability 2^-12 when they are
// independent, so the agreeing fraction overestimates Jaccard J by (1 - J) / 4096 at most: below
// 0.00025, a thirtieth of the 1/128 step of the estimate at the default 128 entries, so it is
// not corrected. LSH band keys (lsh.h) hash the same 12 bits.
inline constexpr int kStoredMinHashBits = 12;
inline constexpr uint32_t kStoredMinHashMask = (1u << kStoredMinHashBits) - 1;
inline constexpr size_t PackedMinHashBytes(int num_perm) {
  return static_cast<size_t>((num_perm + 1) / 2) * 3;
}
// Packs `num_perm` entries of `signature` into PackedMinHashBytes(num_perm) bytes at `out`.
void PackMinHash(const uint32_t* signature, int num_perm, uint8_t* out);
// Entry i (its low 12 bits) of a packed signature.
inline uint16_t PackedMinHashEntry(const uint8_t* packed, int i) {
  const uint8_t* g = packed + static_cast<size_t>(i / 2) * 3;
  return (i & 1) ? static_cast<uint16_t>(g[1] >> 4 | g[2] << 4)
                 : static_cast<uint16_t>(g[0] | (g[1] & 0xF) << 8);
}
// Fraction of the `num_perm` entries in which two packed signatures agree.
double EstimateJaccardPacked(const uint8_t* a, const uint8_t* b, int num_perm);

}  // namespace neardup
