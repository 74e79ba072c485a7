// eval.h: scores a predicted clustering against a labelled one.
//
// Over the n records present in both (matched by id): pairwise precision = pairs together in both
// / pairs together in the prediction; recall = pairs together in both / pairs together in the
// truth; F1 their harmonic mean; and the adjusted Rand index (Hubert and Arabie). When a
// denominator is zero the metric is defined as 1 (nothing predicted, nothing wrong); F1 is 0 when
// precision and recall are both 0.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace neardup {

struct EvalResult {
  double pair_precision = 1;
  double pair_recall = 1;
  double pair_f1 = 1;
  double ari = 1;
  uint64_t n = 0;
  uint64_t true_pairs = 0;       // pairs together in the truth
  uint64_t predicted_pairs = 0;  // pairs together in the prediction
  uint64_t common_pairs = 0;     // pairs together in both
  // EvaluateFiles only: records in each file (n of them matched) and truth records with a label.
  uint64_t predicted_records = 0;
  uint64_t truth_records = 0;
  uint64_t truth_labelled = 0;
};

// `predicted[i]` and `truth[i]` are arbitrary cluster labels of record i (equal length).
EvalResult EvaluateClustering(absl::Span<const uint64_t> predicted,
                              absl::Span<const uint64_t> truth);

struct EvalFiles {
  std::string predicted_path;  // a clusters.jsonl written by `neardup cluster`
  std::string truth_path;      // a JSONL file with "id" and `truth_field`
  std::string truth_field;     // the label field; a record without it is a singleton
  std::string id_field = "id";
  // The predicted file's label field: "cluster", or "story" for the story level (--stories).
  std::string predicted_field = "cluster";
};

// Reads both files and evaluates over the ids present in both. Errors name file and line. Fails
// (InvalidArgument) when no id is in both files (another corpus, or another id field) or when no
// truth record has `truth_field` (a misspelt field): scores over nothing would mean nothing.
absl::StatusOr<EvalResult> EvaluateFiles(const EvalFiles& files);

}  // namespace neardup
