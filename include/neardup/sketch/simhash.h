// simhash.h: 64-bit Charikar SimHash fingerprints and the pairs of fingerprints within K bits.
//
// Fingerprint. Each shingle hash (an XXH3-64 output, shingle.h) is used directly as the feature's
// 64 random signs: bit i set means +w in coordinate i, clear means -w. Bit i of the fingerprint is
// 1 iff the weighted sum of coordinate i is > 0, i.e. iff the shingles with bit i set outweigh
// those with it clear; a tie (and the empty input) gives 0. Documents whose shingle sets are
// similar get fingerprints a few bits apart (Charikar 2002; Manku, Jain, Das Sarma, WWW 2007).
// tests/simhash_test.cc pins these values (golden vectors): changing the scheme invalidates stored
// fingerprints and must be deliberate.
//
// Pairs. Two fingerprints are near-duplicates when their Hamming distance is <= K (max_hamming,
// default 3 as in Manku et al. for 64-bit fingerprints). FindSimHashPairs finds all of them
// without comparing all pairs, by the permuted-table method of Manku et al.: the 64 bits are cut
// into B contiguous blocks; two fingerprints that differ in <= K bits differ in <= K blocks, so
// (pigeonhole) they agree exactly on at least B - K blocks. One table per choice of B - K blocks,
// C(B, K) tables in all, each keyed on the bits of its blocks: a pair within K bits shares the key
// of at least one table. Every candidate is checked by its true Hamming distance; only pairs at
// distance <= K become edges, with similarity = 1 - distance / 64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "neardup/cluster/verify.h"

namespace neardup {

enum class SimHashWeight {
  kTf,      // each occurrence counts: a shingle seen 3 times in the text weighs 3
  kBinary,  // each distinct shingle hash counts once
};

// The fingerprint of a document given its shingle hashes (shingle.h's Shingle(), in any order).
// kTf: every entry of `shingle_hashes` counts, duplicates included (pass the raw Shingle() output,
// not ShingleSet()). kBinary: equal hashes count once; the span is deduplicated internally (used
// as is when already strictly increasing, e.g. ShingleSet() output; otherwise copied into a
// per-thread scratch buffer and sorted, so the hot loop allocates only while that buffer grows).
// Bit i of the result (value 1 << i) is set iff more than half of the counted hashes have bit i
// set. Empty input gives 0. Thread-safe. Inputs of up to 2^32 - 1 hashes.
uint64_t SimHash64(absl::Span<const uint64_t> shingle_hashes,
                   SimHashWeight weight = SimHashWeight::kTf);

// The documented default distance and the supported range of max_hamming.
inline constexpr int kSimHashDefaultMaxHamming = 3;
inline constexpr int kSimHashMaxHamming = 8;

// Checks 0 <= max_hamming <= kSimHashMaxHamming.
absl::Status ValidateSimHashMaxHamming(int max_hamming);

// Number of bits in which `a` and `b` differ.
inline int HammingDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

// Similarity reported for a pair at Hamming distance `distance`: 1 - distance / 64.
inline float SimHashSimilarity(int distance) {
  return 1.0f - static_cast<float>(distance) / 64.0f;
}

// How the 64 bits are cut into tables.
//
// Block b (0 <= b < num_blocks) is a run of contiguous bits taken from the top: blocks are
// 64 / num_blocks bits long, the first 64 % num_blocks of them one bit longer; block 0 holds the
// most significant bits. Table t keys on the union of `num_blocks - max_hamming` blocks; tables
// enumerate these block combinations in lexicographic order (table 0 = blocks 0..B-K-1), and
// table_masks[t] has exactly the keyed bits set. A pair within max_hamming bits agrees on every
// bit of at least one mask.
//
// The trade-off: more blocks mean longer keys (fewer random pairs share a key, ~ n^2 / 2^(bits+1)
// per table for random fingerprints) but more tables (each one a sort of n entries). Keys of about
// 20 bits or more suit the corpora neardup handles in memory (up to ~10^7 documents: a table's
// chance collisions stay near n / 2^(bits + 1 - log2 n)), and tables should stay in the tens.
// ChooseSimHashLayout picks:
//
//   K    blocks  tables  key bits   note
//   0      1        1      64       exact fingerprint match
//   1      2        2      32
//   2      3        3      21-22
//   3      5       10      25-26    Manku et al.'s 10-table design for f=64, k=3
//   4      6       15      20-22
//   5      7       21      18-19
//   6      8       28      16
//   7      9       36      14-15
//   8     10       45      12-14    many chance candidates past ~10^6 documents
//
// i.e. B = K + 1 for K <= 2 (one block agreed, keys already >= 21 bits), B = K + 2 for K >= 3
// (two blocks agreed: K + 1 blocks would give keys of 16 bits or fewer).
struct SimHashTableLayout {
  int max_hamming = kSimHashDefaultMaxHamming;
  int num_blocks = 0;
  std::vector<uint64_t> table_masks;  // C(num_blocks, max_hamming) masks

  int num_tables() const { return static_cast<int>(table_masks.size()); }
  // Bits in the shortest key (the popcount of the sparsest mask).
  int min_key_bits() const;
};

// The layout of the table above for `max_hamming` in [0, kSimHashMaxHamming]; a value outside is
// clamped into the range (callers validate with ValidateSimHashMaxHamming first).
SimHashTableLayout ChooseSimHashLayout(int max_hamming);

// Builds the layout for any `num_blocks` in [max(1, max_hamming), 64] and max_hamming in
// [0, num_blocks] with at most 64 tables (for tests and experiments; not range-checked beyond
// that: an unsupported combination returns a layout with no tables).
SimHashTableLayout MakeSimHashLayout(int max_hamming, int num_blocks);

struct SimHashStats {
  uint64_t tables = 0;               // tables built
  uint64_t buckets = 0;              // buckets with two or more members, over all tables
  uint64_t largest_bucket = 0;       // members in the largest bucket seen
  uint64_t oversized_buckets = 0;    // buckets larger than max_bucket
  uint64_t pairs_not_checked = 0;    // pairs inside oversized buckets that were not checked
  uint64_t candidates_checked = 0;   // Hamming distances computed
  uint64_t edges = 0;                // pairs within max_hamming bits, returned
};

// Finds every pair of documents whose fingerprints (fingerprints[i] is document i's) are within
// `max_hamming` bits, using ChooseSimHashLayout(max_hamming). Returns edges a < b, sorted by
// (a, b), each pair once, similarity = SimHashSimilarity(distance). `stats` may be null.
//
// Tables are processed one after another (each sort and bucket scan runs in parallel with oneTBB),
// so memory is the caller's 8 bytes per document plus one table of 16 bytes per document, plus
// the edges. A pair is reported by the first table (in table order) on whose key it agrees; later
// tables skip it without re-checking, so identical fingerprints are not reported once per table.
//
// A bucket (a run of equal keys in one table) with at most `max_bucket` members has all its pairs
// checked. A larger one (boilerplate, empty texts: identical fingerprints) would make the work
// quadratic, so, as in lsh.h, only the pairs of each member with the bucket's first member
// (smallest index) and with the next member in index order are checked: 2m - 3 pairs instead of
// m(m-1)/2, the rest counted in stats->pairs_not_checked. Such a skipped pair is still found if it
// shares a non-oversized bucket in another table. With no oversized bucket the result is exactly
// the set of pairs within max_hamming bits. `max_bucket` >= 2.
//
// The result does not depend on the thread count. Invalid arguments (max_hamming out of range,
// more than 2^32 - 1 fingerprints, max_bucket < 2) return no edges.
std::vector<Edge> FindSimHashPairs(absl::Span<const uint64_t> fingerprints, int max_hamming,
                                   size_t max_bucket, SimHashStats* stats);

// As above with an explicit layout (its max_hamming is the distance bound).
std::vector<Edge> FindSimHashPairs(absl::Span<const uint64_t> fingerprints,
                                   const SimHashTableLayout& layout, size_t max_bucket,
                                   SimHashStats* stats);

}  // namespace neardup
