// allpairs.h: the exact set-similarity join. Finds every pair of documents whose shingle sets have
// Jaccard similarity >= T, not by comparing all pairs but with prefix filtering (the AllPairs /
// PPJoin family: Bayardo, Ma, Srikant 2007; Xiao, Wang, Lin, Yu 2008). It is the reference the
// sketches (minhash.h + lsh.h, simhash.h) are measured against, and the best choice for short
// texts such as headlines, where sketches are noisy.
//
// How: tokens (shingle hashes) get dense ids in order of ascending document frequency (ties by
// hash value), so every set, sorted by id, starts with its rarest tokens. If J(x, y) >= T then
// |x n y| >= a = ceil(T / (1 + T) * (|x| + |y|)), so the first |x| - a + 1 tokens of x and of y
// share a token. Documents are ranked by (size, index); each document's first
// |y| - ceil(2T / (1 + T) * |y|) + 1 tokens go into an inverted index built once; then each
// document x, in parallel, probes the index with its first |x| - ceil(T * |x|) + 1 tokens, for
// earlier-ranked documents y only (|y| <= |x|), keeping those that pass
//   - the length filter   |y| >= T * |x|,
//   - the positional filter (PPJoin): at a shared token at positions i of x and j of y, the
//     overlap found so far + 1 + min(|x| - i - 1, |y| - j - 1) must still reach a,
// and verifies each survivor by merge-intersection of the two sorted id lists. Only pairs whose
// exact Jaccard (computed as ExactJaccard in shingle.h does: double(|x n y|) / double(|x u y|))
// is >= T become edges, with that Jaccard as similarity. The filters' integer bounds are rounded
// down by a small margin, so floating-point rounding can only let more candidates through, never
// lose a pair: the output equals a brute-force all-pairs scan with ExactJaccard, pair for pair.
//
// Empty sets never pair (not even with each other: ExactJaccard calls that 1, but two empty texts
// are exact duplicates, which the pipeline's exact stage groups before this one runs).
//
// Limits. Fast when sets are short and most tokens are rare: headlines. Measured on 2 cores
// (bench/engines_benchmark.cc, Release): the 1,792 Korean entertainment headlines (char:3 or
// char:5) in ~10 ms at T = 0.5 or 0.8; 100,000 synthetic 15-45-token sets with a skewed vocabulary
// in ~1.2 s at T = 0.8 and ~2.3 s at T = 0.5. Work grows with the pairs that share a prefix
// token: it slows on long or repetitive documents and at low T (prefixes grow as 1 - T); use
// --algo minhash there. Memory is about 40 bytes per token (see EstimateAllPairsBytes), so the
// default 2 GiB budget takes about 50 million tokens, e.g. 1.5 million headlines of 30 shingles.
// The estimate is checked against limits.memory_budget_bytes before anything is allocated, and
// the pairs found are counted against the same budget as they accumulate (a low T on a corpus
// of many near-identical texts gives up to n^2 / 2 pairs). Either overrun returns
// ResourceExhausted with the corpus size, the estimate and what to do (--algo minhash, a higher
// threshold, or a larger --memory-limit), instead of exhausting the machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/cluster/verify.h"

namespace neardup {

// n sets in CSR form: set i is tokens[offsets[i], offsets[i + 1]), strictly increasing
// (sorted and deduplicated, e.g. ShingleSet() output). offsets has n + 1 entries, offsets[0] = 0,
// offsets[n] = tokens.size(). The spans must outlive the call; the join copies nothing it keeps.
struct SetCollection {
  absl::Span<const uint64_t> tokens;
  absl::Span<const uint64_t> offsets;

  size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// Builds the CSR arrays of a SetCollection from per-document sets (tests, small callers).
struct OwnedSetCollection {
  std::vector<uint64_t> tokens;
  std::vector<uint64_t> offsets{0};

  void Add(absl::Span<const uint64_t> set) {
    tokens.insert(tokens.end(), set.begin(), set.end());
    offsets.push_back(tokens.size());
  }
  SetCollection view() const { return SetCollection{tokens, offsets}; }
};

struct AllPairsLimits {
  // Upper bound on the memory the join may use, in bytes: its working arrays (as estimated by
  // EstimateAllPairsBytes) plus 24 bytes per pair found (the edge and its copy while sorting).
  // Default 2 GiB; >= 1.
  uint64_t memory_budget_bytes = uint64_t{2} << 30;
};

struct AllPairsStats {
  uint64_t documents = 0;
  uint64_t empty_documents = 0;     // sets with no token (never paired)
  uint64_t total_tokens = 0;        // sum of set sizes
  uint64_t distinct_tokens = 0;
  uint64_t index_entries = 0;       // (document, position) entries in the prefix index
  uint64_t index_probes = 0;        // index entries looked at by the probes
  uint64_t candidates = 0;          // pairs that passed every filter and were verified
  uint64_t pairs = 0;               // pairs with Jaccard >= T, returned
  uint64_t estimated_bytes = 0;     // EstimateAllPairsBytes() for this input
};

// Upper bound of the join's working memory for `sets` at `threshold`, in bytes, computable before
// anything is allocated: per token 16 (the sorted (hash, position) pairs that assign the dense
// ids, freed before probing) + 4 (dense id) + 20 (per-distinct-token tables, bounded by the token
// count); 8 per prefix-index entry; per document 24 + 8 per worker thread (candidate counters).
// About 40 bytes per token in all. The pairs found come on top (24 bytes each). Returns 0 for a
// threshold outside (0, 1].
uint64_t EstimateAllPairsBytes(const SetCollection& sets, double threshold);

// The exact join. Returns edges a < b sorted by (a, b) with similarity = exact Jaccard, the same
// whatever the thread count (the probe runs in parallel with oneTBB; edges are sorted at the end).
// `stats` may be null.
// Errors: InvalidArgument for a malformed collection (offsets not monotone or not ending at
// tokens.size(), a set not strictly increasing, more than 2^32 - 2 sets or tokens in one set) or
// threshold outside (0, 1]; ResourceExhausted when the estimate or the pairs found exceed
// limits.memory_budget_bytes.
absl::StatusOr<std::vector<Edge>> AllPairsJoin(const SetCollection& sets, double threshold,
                                               const AllPairsLimits& limits,
                                               AllPairsStats* stats);

}  // namespace neardup
