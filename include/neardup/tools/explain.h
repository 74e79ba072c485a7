// explain.h: why two documents are, or are not, in one cluster. ExplainPair runs the pipeline
// with the given options (the same run as `cluster`, keeping its edges), then measures the two
// documents again on their own: each field's shingles, overlap and exact similarity, the MinHash
// estimate and the LSH bands the two share, the field rule's verdict on the exact figures, and
// what the run did: the edge it kept (rule, similarity, exact or estimated) and whether
// clustering kept the two together.
//
// The per-field figures here are over every shingle of the normalized text; the run leaves the
// stop-shingles of large corpora (options.max_shingle_df, 1,000+ documents) out of its sketches
// and exact sets, so on such corpora its figures can differ slightly; both are shown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/cluster/match.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

struct FieldExplanation {
  bool present = false;       // both documents have the field (some shingle after normalization)
  std::string text_a, text_b;  // normalized
  size_t shingles_a = 0, shingles_b = 0;  // distinct shingles
  size_t positions_a = 0, positions_b = 0;  // shingle positions (what min_body_shingles counts)
  size_t overlap = 0;          // distinct shingles in both
  double jaccard = 0;          // overlap / union
  double containment = 0;      // overlap / the smaller set
  double threshold = 0;        // the field's threshold in the run
  // MinHash engine only.
  double estimate = -1;        // from the two signatures (all num_perm entries)
  LshParams lsh;               // the field's banding
  std::vector<int> shared_bands;  // bands whose keys agree: the pair is a candidate through them
};

struct PairExplanation {
  std::string id_a, id_b;
  size_t document_a = 0, document_b = 0;  // input order among good records
  FieldExplanation title, body;
  bool long_bodies = false;  // match auto: both bodies have >= min_body_shingles positions
  PairVerdict exact_verdict;  // match.h Decide on this explanation's exact figures
  bool exact_duplicates = false;  // same normalized fields: grouped before any comparison
  // The run.
  bool edge = false;          // the run judged the pair a duplicate (DocumentEdge below)
  DocumentEdge run_edge;
  std::string cluster_a, cluster_b;  // representative ids
  size_t cluster_size_a = 0, cluster_size_b = 0;
  bool same_cluster = false;
};

// Explains the documents with ids `id_a` and `id_b` (as the cluster file names them) under
// `options` (validated). NotFound when an id is not in the inputs; errors of the run otherwise.
absl::StatusOr<PairExplanation> ExplainPair(const PipelineOptions& options, std::string_view id_a,
                                            std::string_view id_b);

// Human-readable lines, for the terminal.
std::string FormatExplanation(const PairExplanation& e, const PipelineOptions& options);
// One JSON object.
std::string ExplanationJson(const PairExplanation& e);

}  // namespace neardup
