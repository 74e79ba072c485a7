// sketch/engine.h: the one interface the three engines implement (match.h lists them: minhash,
// simhash, exact). An engine says what a field's sketch is and does the four things the pipeline
// asks of it:
//   sign        a record's field, from its shingle hashes, into the batch's sketches (any thread
//               that owns the batch);
//   add         a signed record's sketch to the field's FieldSketches (serial, in slot order);
//   candidates  the pairs of rows worth judging (LSH bands, permuted tables, all-pairs join);
//   similarity  of two rows, from their sketches.
// The engine is chosen once, by SketchEngine::Get(Algorithm); nothing else branches on the
// Algorithm to decide how to sketch, find or compare. What a similarity means (an estimate of
// Jaccard, exact Jaccard, or a Hamming score) is the engine's `similarity_kind()`, which is what
// the decisions about verification and containment look at.
//
// Threading: engines are immutable singletons; every method is const and may be called from
// any thread. Sign writes only record i's entries of the batch it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/cluster/match.h"
#include "neardup/sketch/minhash.h"
#include "neardup/sketch/simhash.h"

namespace neardup {

// One field's sketches of the records of a batch (one entry per record); which arrays an engine
// uses is its own business.
struct SketchBatch {
  std::vector<uint8_t> present;      // the field had shingles
  std::vector<uint32_t> minhash;     // minhash: num_perm per record
  std::vector<uint64_t> simhash;     // simhash: one per record
  std::vector<uint64_t> tokens;      // exact: sorted shingle sets back to back
  std::vector<size_t> token_ends;    // exact: end of record i's set in `tokens`
  std::vector<uint32_t> counts;      // shingles (positions, after stop-shingles) per record
};

// What signing needs besides the shingles: the field's MinHasher (minhash) and the SimHash
// weighting (simhash).
struct SignContext {
  const MinHasher* hasher = nullptr;
  SimHashWeight simhash_weight = SimHashWeight::kTf;
};

enum class SimilarityKind {
  kEstimatedJaccard,  // minhash: an estimate of Jaccard, off by a few hundredths
  kExactJaccard,      // exact: Jaccard of the sets themselves
  kHammingScore,      // simhash: 1 - hamming/64, no Jaccard
};

// How an engine finds candidate pairs, for what describes or plans a run (the stats, the report,
// plan, the MPI run's choice of shuffle) rather than runs it.
enum class CandidateSearch {
  kLshBands,       // minhash: LSH bands of the signatures (bands x rows: an S-curve); the band
                   // keys can be shuffled between processes
  kHammingTables,  // simhash: permuted tables of the fingerprints; every pair within the
                   // maximum Hamming distance
  kAllPairsJoin,   // exact: a prefix-filtered all-pairs join of the sets; every pair at or above
                   // the threshold
};

class SketchEngine {
 public:
  // The engine of `algorithm`; the one place an Algorithm becomes behaviour.
  static const SketchEngine& Get(Algorithm algorithm);

  virtual ~SketchEngine() = default;
  virtual Algorithm algorithm() const = 0;
  // The engine's name: "minhash", "simhash" or "exact".
  virtual std::string_view name() const = 0;
  virtual SimilarityKind similarity_kind() const = 0;
  virtual CandidateSearch candidate_search() const = 0;

  // Readies `batch` for n records: nothing present, no sets.
  virtual void ResetBatch(size_t n, int num_perm, SketchBatch* batch) const = 0;
  // Sketches record i from its field's shingle hashes (after stop-shingles; batch->counts[i]
  // already set). The engine may sort and deduplicate `shingles` in place. An empty field is
  // left not present.
  virtual void Sign(const SignContext& context, std::vector<uint64_t>* shingles, size_t i,
                    int num_perm, SketchBatch* batch) const = 0;
  // Appends record i of `batch` (present) to `sketches` as `slot`.
  virtual void Append(const SketchBatch& batch, size_t i, uint32_t slot, int num_perm,
                      FieldSketches* sketches) const = 0;

  // The wire form of a batch's sketches, for shipping them between processes (dist/): appends
  // record i's sketch (present) to `out`, in the machine's byte order.
  virtual void EncodeSketch(const SketchBatch& batch, size_t i, int num_perm,
                            std::string* out) const = 0;
  // Reads record i's sketch back from the front of `*in`, advancing it, into `batch` (readied by
  // ResetBatch; called for every record in order). A record not `present` reads nothing and is
  // left empty. False when `*in` is too short or malformed.
  virtual bool DecodeSketch(bool present, std::string_view* in, size_t i, int num_perm,
                            SketchBatch* batch) const = 0;

  // Candidate pairs of rows (a < b) of `rule.sketches` (at least two rows), appended to `rows`;
  // bucket figures added to `stats`.
  virtual absl::Status Candidates(const FieldRule& rule, const CandidateLimits& limits,
                                  std::vector<CandidatePair>* rows,
                                  CandidateStats* stats) const = 0;
  // Similarity of two rows of `sketches`.
  virtual float Similarity(const FieldSketches& sketches, uint32_t row_a,
                           uint32_t row_b) const = 0;
  // Hints that row `row`'s sketch will be read soon (a no-op where sketches are small).
  virtual void PrefetchSketch(const FieldSketches& sketches, uint32_t row) const {
    (void)sketches;
    (void)row;
  }
  // The similarity a pair needs for a field with this Jaccard threshold (or Hamming radius).
  virtual float MinSimilarity(double threshold, int max_hamming) const = 0;

  // The memory model `neardup plan` uses (tools/plan.h), in bytes, beside what it models.
  // A field's sketches of `documents` documents with `shingles` distinct shingles each:
  virtual double ModelSketchBytes(double documents, double shingles, int num_perm) const = 0;
  // The candidate search at its peak, for the field with more documents (`documents`) and the
  // field with more shingles in all (`shingles`), `bands_at_once` LSH bands bucketed side by
  // side and `memory_limit` bytes beyond which band keys go to disk:
  virtual double ModelSearchBytes(double documents, double shingles, int bands_at_once,
                                  double memory_limit) const = 0;
};

// The engine named `name` ("minhash", "simhash", "exact"), or InvalidArgument naming the choices.
absl::StatusOr<Algorithm> ParseAlgorithm(std::string_view name);
// SketchEngine::Get(algo).name().
std::string_view AlgorithmName(Algorithm algo);

}  // namespace neardup
