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
//   auto    (default) every field present in both documents must pass, and there must be one:
//           board listings (titles only) are judged by title, articles (title and body) by
//           both, plain texts by body.
// A pair's similarity is the lowest of the fields that had to pass (for `either`, the best
// passing field).
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

absl::StatusOr<MatchMode> ParseMatchMode(std::string_view name);  // "auto", "title", ...
std::string_view MatchModeName(MatchMode mode);
absl::StatusOr<Algorithm> ParseAlgorithm(std::string_view name);  // "minhash", "simhash", "exact"
std::string_view AlgorithmName(Algorithm algo);

// The sketches of one field, stored only for the documents (slots) whose field is not empty: row r
// holds the sketch of slot slot_of_row(r). Append in increasing slot order.
class FieldSketches {
 public:
  FieldSketches(Algorithm algo, int num_perm) : algo_(algo), num_perm_(num_perm) {}

  // Records `slot` with no sketch (empty field).
  void AppendEmpty(uint32_t slot);
  // Records `slot` with its MinHash signature (num_perm entries; the low 12 bits of each are
  // kept, packed: minhash.h PackMinHash).
  void AppendMinHash(uint32_t slot, const uint32_t* signature);
  void AppendSimHash(uint32_t slot, uint64_t fingerprint);
  // `set` strictly increasing (sorted, deduplicated shingle hashes).
  void AppendSet(uint32_t slot, absl::Span<const uint64_t> set);

  Algorithm algorithm() const { return algo_; }
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
  size_t MemoryBytes() const;

 private:
  uint32_t Row(uint32_t slot) const { return row_of_slot_[slot]; }
  void AddRow(uint32_t slot);

  Algorithm algo_;
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
};
PairVerdict JudgePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                      const FieldRule& body);

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
// titled document has no body (other pairs must pass on the body anyway). Fails for the exact
// engine when the join would exceed the memory limit (ResourceExhausted), and for minhash when
// band keys spilled to disk cannot be written or read back.
absl::StatusOr<std::vector<CandidatePair>> FindFieldCandidates(MatchMode mode,
                                                               const FieldRule& title,
                                                               const FieldRule& body,
                                                               const CandidateLimits& limits,
                                                               CandidateStats* stats);

// The candidates that pass JudgePair (all that can be compared when `verify` is false), in
// candidate order. Parallel; the result does not depend on the thread count.
std::vector<Edge> JudgeCandidates(absl::Span<const CandidatePair> candidates, MatchMode mode,
                                  const FieldRule& title, const FieldRule& body, bool verify);

}  // namespace neardup
