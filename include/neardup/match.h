// match.h: how a document's two fields, its title (headline) and its body, decide whether two
// documents are near-duplicates.
//
// Headlines are short and bodies long, so each field is signed separately, with its own shingles
// and threshold, and stored in its own FieldSignatures. A field that is empty after
// normalization has no signature and never matches. MatchMode combines the fields of a pair:
//   title   the titles must both be present and pass the title threshold;
//   body    the bodies must both be present and pass the body threshold;
//   both    titles and bodies must both be present and each pass its threshold;
//   either  at least one field present in both documents passes;
//   auto    (default) every field present in both documents must pass, and there must be one:
//           board listings (titles only) are judged by title, articles (title and body) by
//           both, plain texts by body.
// A pair's similarity is the lowest of the fields that had to pass (the passing field's for
// `either`, the best of them when several pass).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/lsh.h"
#include "neardup/verify.h"

namespace neardup {

enum class MatchMode { kAuto, kTitle, kBody, kBoth, kEither };

absl::StatusOr<MatchMode> ParseMatchMode(std::string_view name);  // "auto", "title", ...
std::string_view MatchModeName(MatchMode mode);

// MinHash signatures of one field, stored only for the documents (slots) whose field is not
// empty: row r holds the signature of slot slot_of_row[r]. Append in slot order.
class FieldSignatures {
 public:
  explicit FieldSignatures(int num_perm) : num_perm_(num_perm) {}

  // Records slot `slot` (slots must be appended in increasing order, each once); `signature` is
  // null when the field is empty.
  void Append(uint32_t slot, const uint32_t* signature);

  int num_perm() const { return num_perm_; }
  size_t rows() const { return slot_of_row_.size(); }
  absl::Span<const uint32_t> data() const { return signatures_; }
  uint32_t slot_of_row(size_t row) const { return slot_of_row_[row]; }
  // The signature of `slot`, or nullopt when its field is empty.
  std::optional<absl::Span<const uint32_t>> Of(uint32_t slot) const;
  size_t MemoryBytes() const;

 private:
  int num_perm_;
  std::vector<uint32_t> signatures_;
  std::vector<uint32_t> slot_of_row_;
  std::vector<uint32_t> row_of_slot_;  // kNoRow for slots without the field
};

struct FieldRule {
  const FieldSignatures* signatures = nullptr;
  double threshold = 0.8;
};

// Estimated similarity of slots a and b under `mode`, or nullopt when the mode finds nothing to
// compare (no field present in both). Does not apply the thresholds.
struct PairVerdict {
  bool compared = false;  // some required field was present in both
  bool passes = false;    // every required field passes its threshold
  float similarity = 0;
};
PairVerdict JudgePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                      const FieldRule& body);

// Candidate pairs of slots from the LSH of every field the mode may use (union, sorted, unique).
std::vector<CandidatePair> FindFieldCandidates(MatchMode mode, const FieldRule& title,
                                               const FieldRule& body, const LshParams& title_lsh,
                                               const LshParams& body_lsh, size_t max_bucket,
                                               BucketStats* stats);

// The candidates that pass JudgePair (all of them when `verify` is false, with their estimated
// similarity), in candidate order. Parallel; the result does not depend on the thread count.
std::vector<Edge> JudgeCandidates(absl::Span<const CandidatePair> candidates, MatchMode mode,
                                  const FieldRule& title, const FieldRule& body, bool verify);

}  // namespace neardup
