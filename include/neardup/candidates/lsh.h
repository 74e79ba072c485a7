// lsh.h: banded locality-sensitive hashing over MinHash signatures.
//
// A signature of num_perm entries is cut into `bands` bands of `rows` consecutive entries, then
// `short_bands` bands of rows - 1 entries (entries past those are not banded, but verification
// still uses them). Two documents are a candidate pair when they agree on every entry of at least
// one band; for Jaccard s this happens with probability
// P(s) = 1 - (1 - s^rows)^bands * (1 - s^(rows-1))^short_bands (the S-curve). A candidate may
// still be dissimilar (verify.h decides); a pair that shares no band is never reported.
//
// Bucketing is sort-based over flat arrays: for each band, (band key, document) pairs are sorted
// and runs of equal keys are the buckets. Results do not depend on thread count or scheduling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace neardup {

struct LshParams {
  int bands = 0;        // bands of `rows` entries each, first
  int rows = 0;
  int short_bands = 0;  // then bands of rows - 1 entries each (needs rows >= 2)

  int total_bands() const { return bands + short_bands; }
  // The entries of band `band` (0 <= band < total_bands()) are [band_begin, band_begin + band_rows).
  int band_rows(int band) const { return band < bands ? rows : rows - 1; }
  int band_begin(int band) const {
    return band < bands ? band * rows : bands * rows + (band - bands) * (rows - 1);
  }
  // Signature entries the bands use.
  int64_t entries() const {
    return static_cast<int64_t>(bands) * rows + static_cast<int64_t>(short_bands) * (rows - 1);
  }
};

// The recall target used to pick bands and rows: a pair whose Jaccard is exactly the threshold
// must become a candidate with probability >= kLshMinRecall. Candidates are verified exactly by
// default (match.h VerifyMode), so a false candidate costs only time, while a missed one is a
// missed duplicate: the banding aims at the threshold itself, not above it. (Until this round
// the target was threshold + 0.05 at 0.97, which lost about a third of the pairs just above T.)
inline constexpr double kLshRecallMargin = 0.0;
inline constexpr double kLshMinRecall = 0.99;

// The similarity at which the recall target applies: threshold + kLshRecallMargin, but never
// past halfway to 1.
inline double LshRecallTarget(double threshold) {
  const double halfway = (1.0 + threshold) / 2.0;
  const double target = threshold + kLshRecallMargin;
  return target < halfway ? target : halfway;
}

// "24 bands x 5 rows", or "24 bands x 5 rows + 1 band x 4 rows" with short bands.
std::string DescribeBanding(const LshParams& params);

// Chooses the banding for `threshold` in (0, 1] and `num_perm` >= 1 so that
// P(LshRecallTarget(threshold)) >= kLshMinRecall: the largest r (fewest false candidates) for
// which some b bands of r rows plus s short bands of r - 1 rows fit in num_perm and reach the
// target; for that r, the fewest short bands s, each costing as many false candidates as several
// full bands, then the most full bands b = floor((num_perm - s(r-1)) / r). Where full bands alone
// reach the target (s = 0) this is the plain rule (largest r, then largest b). Example: T 0.7 at
// 128 entries gives 24 x 5 + 1 x 4 (P(0.7) = 0.991), where full bands alone need 32 x 4 and
// produce about seven times the candidates. If nothing qualifies (too few permutations), r = 1,
// b = num_perm. Deterministic.
LshParams ChooseLshParams(double threshold, int num_perm);

// Checks a banding: bands and rows >= 1, short_bands >= 0 (and then rows >= 2), and every band
// within num_perm entries.
absl::Status ValidateLshParams(const LshParams& params, int num_perm);

// P(s) = 1 - (1 - s^rows)^bands * (1 - s^(rows-1))^short_bands.
double CandidateProbability(double similarity, const LshParams& params);

// The key of band `band` (0 <= band < params.total_bands()) of `signature`: XXH3-64 of the low 12
// bits of the band's entries (each as a uint16_t, its bytes in host order) with seed = band index.
// Signatures are stored with 12 bits an entry (minhash.h, packed), and keying full 32-bit values
// on the kept bits gives the same buckets either way. Rows beyond kMaxRows are not keyed.
inline constexpr size_t kMaxRows = 1024;
uint64_t BandKey(absl::Span<const uint32_t> signature, const LshParams& params, int band);
// The same key for a signature packed by PackMinHash.
uint64_t PackedBandKey(const uint8_t* packed, const LshParams& params, int band);

// A candidate pair of document indices, a < b.
struct CandidatePair {
  uint32_t a = 0;
  uint32_t b = 0;
  friend bool operator==(const CandidatePair& x, const CandidatePair& y) {
    return x.a == y.a && x.b == y.b;
  }
  friend bool operator<(const CandidatePair& x, const CandidatePair& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  }
};

struct BucketStats {
  uint64_t buckets = 0;              // buckets with two or more members, over all bands
  uint64_t largest_bucket = 0;       // members in the largest bucket seen
  uint64_t oversized_buckets = 0;    // buckets larger than max_bucket
  uint64_t pairs_not_generated = 0;  // pairs inside oversized buckets that were not emitted
  uint64_t pairs_emitted = 0;        // candidate pairs before de-duplication across bands
  uint64_t spilled_runs = 0;         // sorted runs of band keys written to disk (band_sorter.h)
  uint64_t spilled_bytes = 0;        // bytes written to those runs, every merge pass included

  // Adds another part's figures to these (the largest bucket is the larger of the two).
  void Add(const BucketStats& other);
};

// How much memory the band keys may take before they go to disk. Each band being bucketed holds
// a (key, document) record of 16 bytes per document. Bands are bucketed side by side (as many as
// there are threads) when that many bands' records fit in `memory_limit`; otherwise one band at
// a time, and a band whose records alone exceed the limit is sorted in chunks that fit, written
// as sorted runs to unnamed files in `temp_dir` and merged (band_sorter.h). The candidate pairs,
// held per band and then merged (16 bytes a pair at the peak), may take at most the larger of the
// limit and 64 MB: past it the search fails (ResourceExhausted, with the figures) instead of
// growing without bound. 0: no limit.
struct SpillOptions {
  uint64_t memory_limit = 0;
  std::string temp_dir;  // "" = $TMPDIR, else /tmp
};

// Appends the candidate pairs of one bucket of `m` members, member(0) < member(1) < ... (uint32_t
// document indices), by the rule of FindCandidatePairs below, and counts them in `stats`. Shared
// with the distributed bucketing (src/dist/shuffle.cc) so that both apply the same rule.
template <typename Member>
void EmitBucketPairs(size_t m, size_t max_bucket, Member member, BucketStats* stats,
                     std::vector<CandidatePair>* out) {
  if (m > stats->largest_bucket) stats->largest_bucket = m;
  if (m < 2) return;
  ++stats->buckets;
  if (m <= max_bucket) {
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = i + 1; j < m; ++j) out->push_back({member(i), member(j)});
    }
    stats->pairs_emitted += static_cast<uint64_t>(m) * (m - 1) / 2;
    return;
  }
  // Oversized: a star from the first member plus a chain through consecutive members. (first,
  // second) belongs to both and is emitted once, hence 2m - 3.
  ++stats->oversized_buckets;
  for (size_t j = 1; j < m; ++j) out->push_back({member(0), member(j)});
  for (size_t j = 1; j + 1 < m; ++j) out->push_back({member(j), member(j + 1)});
  const uint64_t emitted = 2 * static_cast<uint64_t>(m) - 3;
  stats->pairs_emitted += emitted;
  stats->pairs_not_generated += static_cast<uint64_t>(m) * (m - 1) / 2 - emitted;
}

// Finds the candidate pairs of the `num_docs` signatures stored back to back in `signatures`
// (document i occupies entries [i * num_perm, (i + 1) * num_perm)).
//
// A bucket with at most `max_bucket` members yields all its pairs. A larger bucket (boilerplate,
// empty texts) would make the work quadratic, so it yields only the pairs of each member with the
// bucket's first member (smallest index) and with the member after it in index order: 2m - 3
// pairs instead of m(m-1)/2; the skipped pairs are counted in `stats`. Members of such a bucket
// that are truly similar still end up connected through these chains after verification.
// Returns each pair once, sorted. `stats` may be null. Runs in parallel with oneTBB.
std::vector<CandidatePair> FindCandidatePairs(absl::Span<const uint32_t> signatures, int num_perm,
                                              size_t num_docs, const LshParams& params,
                                              size_t max_bucket, BucketStats* stats);
// The same for signatures packed by PackMinHash, PackedMinHashBytes(num_perm) bytes each, back to
// back; gives the pairs that their 32-bit form gives. With `spill`, the band keys stay within its
// memory limit (see SpillOptions); the pairs are the same either way. Fails only when a spill
// file cannot be written or read back (the message names the directory and the reason).
absl::StatusOr<std::vector<CandidatePair>> FindCandidatePairsPacked(
    absl::Span<const uint8_t> packed, int num_perm, size_t num_docs, const LshParams& params,
    size_t max_bucket, const SpillOptions& spill, BucketStats* stats);
std::vector<CandidatePair> FindCandidatePairsPacked(absl::Span<const uint8_t> packed, int num_perm,
                                                    size_t num_docs, const LshParams& params,
                                                    size_t max_bucket, BucketStats* stats);

}  // namespace neardup
