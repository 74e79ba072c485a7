// match.h: how a document's two fields, its title (headline) and its body, decide whether two
// documents are near-duplicates, for each of the three engines.
//
// Headlines are short and bodies long, so each field is sketched separately, with its own
// shingles and threshold, and stored in its own FieldSketches. A field that is empty after
// normalization (no shingle) has no sketch and never matches. MatchMode combines the fields:
//   title   the titles must both be present and pass the title threshold;
//   body    the bodies must both be present and pass the body threshold;
//   both    titles and bodies must both be present and each pass its threshold;
//   either  at least one field present in both documents passes;
//   auto    (default) two documents whose bodies both have at least `min_body_shingles`
//           shingles (articles) are judged by their bodies alone, whatever their headlines:
//           outlets re-headline the same article, and two different articles under one headline
//           are the same story, not a copy. Other pairs (board listings with titles only, short
//           texts) need every field present in both to pass, and there must be one.
// A pair's similarity is the lowest of the fields that had to pass (for `either`, the best
// passing field).
//
// Similarity of one field (SimilarityMeasure): Jaccard |A n B| / |A u B| (default), or
// containment |A n B| / min(|A|, |B|), which scores a truncated copy by how much of it is inside
// the longer text.
//
// The engines (Algorithm) differ only in what a sketch is and how candidates are found:
//   minhash  num_perm MinHash values (minhash.h), stored as their low 12 bits, two in three
//            bytes (b-bit MinHash, Li and Koenig 2010: two different minima agree by chance with
//            probability 2^-12, which adds at most 0.00025 to an estimate, at 3/8 of the
//            memory of 32 bits); candidates from
//            banded LSH (lsh.h); similarity = estimated Jaccard; passes when >= the field's
//            threshold.
//   simhash  one 64-bit SimHash (simhash.h); candidates from permuted tables; similarity =
//            1 - hamming/64; passes when hamming <= max_hamming.
//   exact    the sorted shingle set; candidates from the prefix-filtering all-pairs join
//            (allpairs.h); similarity = exact Jaccard; passes when >= the field's threshold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/sketch/big_array.h"
#include "neardup/candidates/allpairs.h"
#include "neardup/candidates/lsh.h"
#include "neardup/sketch/simhash.h"
#include "neardup/cluster/verify.h"

namespace neardup {

enum class MatchMode { kAuto, kTitle, kBody, kBoth, kEither };
enum class Algorithm { kMinHash, kSimHash, kExact };
enum class SimilarityMeasure { kJaccard, kContainment };
// How a candidate pair becomes an edge:
//   auto       (default) exactly, as `exact`, every pair whose MinHash estimate could fall on
//              either side of the thresholds: the pairs that would pass with thresholds
//              kVerifyMargin higher are accepted and those that would fail with thresholds
//              kVerifyMargin lower are rejected without a look at their sets. At 128 entries an
//              estimate is off by more than 0.12 with probability below 0.001 (3.4 standard
//              deviations near 0.8), so a decision differs from the exact one about that rarely;
//              the pairs near the threshold, where estimates do go wrong, are all exact. SimHash
//              estimates are no Jaccard: with simhash, auto is exact.
//   exact      by the exact similarity of the two documents' shingle sets (per field), re-read
//              from the inputs for the documents in candidate pairs only (the exact engine has
//              its sets in memory already): every decision is the exact one;
//   signature  by the similarity estimated from the sketches (fastest, misses pairs near T);
//   none       every candidate whose fields can be compared is an edge.
enum class VerifyMode { kAuto, kExact, kSignature, kNone };
inline constexpr float kVerifyMargin = 0.12f;

// Which rule decided a pair (PairVerdict::reason), for the edges file and `explain`.
enum class MatchReason : uint8_t {
  kNone = 0,
  kBody,          // judged by the bodies (auto: both bodies long enough; body; plain texts)
  kTitle,         // judged by the titles (title; auto when no document has a body)
  kTitleAndBody,  // both fields had to pass (both; auto with a short body)
  kEitherTitle,   // either: the title passed
  kEitherBody,    // either: the body passed
};
std::string_view MatchReasonName(MatchReason reason);  // "body", "title", "title+body", ...

// Default of MatchRule::min_body_shingles: about 50 characters of body at char:5.
inline constexpr uint32_t kDefaultMinBodyShingles = 50;

absl::StatusOr<MatchMode> ParseMatchMode(std::string_view name);  // "auto", "title", ...
std::string_view MatchModeName(MatchMode mode);
// ParseAlgorithm and AlgorithmName: sketch/engine.h, beside the engines they name.
absl::StatusOr<SimilarityMeasure> ParseSimilarityMeasure(std::string_view name);  // "jaccard", ...
std::string_view SimilarityMeasureName(SimilarityMeasure measure);
absl::StatusOr<VerifyMode> ParseVerifyMode(std::string_view name);  // "exact", "signature", "none"
std::string_view VerifyModeName(VerifyMode mode);

// Similarity of two sorted, duplicate-free sets. Two empty sets are 1.
template <typename T>
float SetSimilarity(absl::Span<const T> a, absl::Span<const T> b, SimilarityMeasure measure);

// The sketches of one field, stored only for the documents (slots) whose field is not empty: row r
// holds the sketch of slot slot_of_row(r). Append in increasing slot order.
class SketchEngine;  // sketch/engine.h

class FieldSketches {
 public:
  FieldSketches(Algorithm algo, int num_perm);

  // Records `slot` with no sketch (empty field).
  void AppendEmpty(uint32_t slot);
  // Records `slot` with its MinHash signature (num_perm entries; the low 12 bits of each are
  // kept, packed: minhash.h PackMinHash).
  void AppendMinHash(uint32_t slot, const uint32_t* signature);
  void AppendSimHash(uint32_t slot, uint64_t fingerprint);
  // `set` strictly increasing (sorted, deduplicated shingle hashes).
  void AppendSet(uint32_t slot, absl::Span<const uint64_t> set);

  Algorithm algorithm() const;
  const SketchEngine& engine() const { return *engine_; }
  int num_perm() const { return num_perm_; }
  size_t rows() const { return slot_of_row_.size(); }
  uint32_t slot_of_row(size_t row) const { return slot_of_row_[row]; }
  bool Has(uint32_t slot) const;
  // Row r's packed MinHash signature is bytes [r * s, (r + 1) * s), s = PackedMinHashBytes(num_perm).
  absl::Span<const uint8_t> packed_minhash() const { return minhash_.span(); }
  absl::Span<const uint64_t> simhash() const { return simhash_; }
  SetCollection sets() const { return SetCollection{tokens_, token_offsets_}; }

  // Similarity of two slots that both have the field (see the engine list above).
  float Similarity(uint32_t a, uint32_t b) const;
  // Hints that `slot`'s sketch will be read soon (for loops over pairs in random order; the
  // sketches of a million documents are far larger than the caches). PrefetchSketch reads the
  // slot's row entry: prefetch that first with PrefetchRow, a little earlier.
  void PrefetchRow(uint32_t slot) const;
  void PrefetchSketch(uint32_t slot) const;
  size_t MemoryBytes() const;

 private:
  uint32_t Row(uint32_t slot) const { return row_of_slot_[slot]; }
  void AddRow(uint32_t slot);

  const SketchEngine* engine_;  // what a row's sketch is, and how rows compare
  int num_perm_;
  internal::BigArray<uint8_t> minhash_;  // packed 12-bit signatures
  std::vector<uint64_t> simhash_;
  std::vector<uint64_t> tokens_;
  std::vector<uint64_t> token_offsets_{0};
  internal::BigArray<uint32_t> slot_of_row_;
  internal::BigArray<uint32_t> row_of_slot_;  // kNoRow for slots without the field
};

struct FieldRule {
  const FieldSketches* sketches = nullptr;
  SimilarityMeasure measure = SimilarityMeasure::kJaccard;
  // Shingles per slot (positions, after stop-shingles), for containment from the sketches and
  // for MatchRule::min_body_shingles; empty when not known.
  absl::Span<const uint32_t> shingle_counts;
  // A pair passes when its similarity >= min_similarity: the Jaccard threshold for minhash and
  // exact, 1 - max_hamming/64 for simhash.
  float min_similarity = 0.8f;
  // Candidate generation: LSH banding (minhash), Hamming radius (simhash), Jaccard (exact).
  LshParams lsh;
  int max_hamming = 3;
  double threshold = 0.8;
};

struct PairVerdict {
  bool compared = false;  // some field the mode requires was present in both
  bool passes = false;    // every required field passes
  float similarity = 0;
  MatchReason reason = MatchReason::kNone;
  // Each field's similarity; NaN when the field is absent in either document.
  float title_similarity = 0;
  float body_similarity = 0;
};

// One field of a pair: whether both documents have it, and its similarity.
struct FieldScore {
  bool present = false;
  float similarity = 0;
};

// How the fields decide (see the mode list at the top).
struct MatchRule {
  MatchMode mode = MatchMode::kAuto;
  float title_min = 0.5f;  // a title passes at >= this
  float body_min = 0.8f;   // a body passes at >= this
  // auto: bodies of at least this many shingles decide alone. >= 1.
  uint32_t min_body_shingles = kDefaultMinBodyShingles;
};

// The verdict from the two fields' scores; `long_bodies` when both bodies have at least
// rule.min_body_shingles shingles.
PairVerdict Decide(const MatchRule& rule, FieldScore title, FieldScore body, bool long_bodies);

// A pair's fields scored from the sketches, for deciding at more than one threshold.
// `title_needed` is false when the mode and long bodies make the body decide alone (auto): the
// title is then left unscored, to score with ScoreTitle only where the verdict is kept.
struct PairScores {
  FieldScore title;
  FieldScore body;
  bool long_bodies = false;
  bool title_needed = true;
};
PairScores ScorePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                     const FieldRule& body, uint32_t min_body_shingles);
FieldScore ScoreTitle(uint32_t a, uint32_t b, const FieldRule& title);
// The verdict on `scores` with these thresholds (JudgePair's decision).
PairVerdict DecideScores(const PairScores& scores, MatchMode mode, float title_min,
                         float body_min, uint32_t min_body_shingles);

// JudgePair for the sketches' similarities: the body rule's shingle_counts tell long bodies
// apart (auto), with `min_body_shingles`.
PairVerdict JudgePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                      const FieldRule& body,
                      uint32_t min_body_shingles = kDefaultMinBodyShingles);

struct CandidateStats {
  BucketStats buckets;                // minhash LSH and simhash tables
  uint64_t exact_candidates = 0;      // pairs verified by the exact join
};

struct CandidateLimits {
  size_t max_bucket = 1000;
  // minhash: the band keys' budget (lsh.h SpillOptions: beyond it they are sorted on disk);
  // exact: the join's (beyond it the run fails).
  uint64_t memory_limit_bytes = uint64_t{2} << 30;
  std::string temp_dir;  // minhash spill files; "" = $TMPDIR, else /tmp
};

// Candidate pairs of slots from every field the mode may need (union, sorted, unique): the body
// unless the mode is `title`; the title for `title` and `either`, and for `auto` only when some
// titled document has no long body (body.shingle_counts below min_body_shingles). (Title pairs
// of two long bodies are then candidates too, judged by their bodies.) Fails for the exact
// engine when the join would exceed the memory limit (ResourceExhausted), and for minhash when
// band keys spilled to disk cannot be written or read back.
absl::StatusOr<std::vector<CandidatePair>> FindFieldCandidates(MatchMode mode,
                                                               const FieldRule& title,
                                                               const FieldRule& body,
                                                               const CandidateLimits& limits,
                                                               CandidateStats* stats,
                                                               uint32_t min_body_shingles =
                                                                   kDefaultMinBodyShingles);

// The candidates that pass JudgePair (all that can be compared when `verify` is false), in
// candidate order. Parallel; the result does not depend on the thread count.
std::vector<Edge> JudgeCandidates(absl::Span<const CandidatePair> candidates, MatchMode mode,
                                  const FieldRule& title, const FieldRule& body, bool verify,
                                  uint32_t min_body_shingles = kDefaultMinBodyShingles);

}  // namespace neardup
