// tune.h: calibrates the shingle size and the similarity threshold on labelled data. Sweeps a
// grid of settings (shingle spec x threshold), scores each against the labels, and recommends
// one. Two kinds of labels:
//
//   pairs     a JSONL file of text pairs, each labelled duplicate/paraphrase or not (a 0/1 or
//             true/false field, or a numeric score with a cut-off: score >= X is positive), e.g.
//             KLUE-STS. For every setting a pair is predicted positive when the EXACT Jaccard
//             similarity of the two normalized shingle sets is >= the threshold (no sketch: this
//             calibrates the quantity the engines estimate). Precision, recall, F1 and accuracy
//             are over the labelled pairs.
//   clusters  a corpus whose records carry a cluster label (e.g. `neardup synth`'s "cluster").
//             For every setting the whole pipeline runs in process (RunPipeline, with every other
//             option as given: engine, match mode, clustering, LSH, normalization) and its
//             clustering is scored with EvaluateClustering (eval.h): pairwise precision, recall,
//             F1 over same-cluster document pairs, and the adjusted Rand index.
//
// The recommendation (RecommendSetting) is the setting with the highest F1; ties go to the higher
// threshold (fewer false merges for the same F1), then to the shingle listed first. F1 is compared
// exactly, as the fraction 2 TP / (2 TP + FP + FN) of integer counts, so float rounding never
// decides a tie. For each shingle the "safe" setting (SafeSetting) is the one with the highest
// recall among those whose precision is >= `min_precision` (default 0.9) and that predict at
// least one positive; ties again go to the higher threshold. That is the setting to deduplicate
// with when a false merge costs more than a missed one.
//
// Metric conventions follow eval.h: precision is 1 when nothing is predicted positive, recall is 1
// when nothing is positive, F1 is 0 when both are 0.
//
// Everything is deterministic: rows come shingle-major in the order the shingles were given, each
// shingle's thresholds ascending, and the pipeline's output does not depend on the thread count.
// The library never prints: FormatTuneTable / FormatTuneJson render a report for the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/text/normalize.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"
#include "neardup/text/shingle.h"

namespace neardup {

// --- Grids ---

// Parses a threshold grid: a range "LO:HI:STEP" (LO, LO + STEP, ... up to HI inclusive, with a
// 1e-9 tolerance so that "0.1:0.95:0.05" ends at 0.95) or a comma list "0.5,0.7,0.9". Every value
// is rounded to 6 decimals (so 0.1 + 2 x 0.1 prints and compares as 0.3) and must be in (0, 1].
// The result is sorted ascending without repeats. At most 10,000 values.
absl::StatusOr<std::vector<double>> ParseThresholdGrid(std::string_view text);

// Parses a comma list of shingle specs ("char:2,char:3,word:1"; see ShingleSpec::Parse). Order is
// kept; a repeated spec is an error. Non-empty.
absl::StatusOr<std::vector<ShingleSpec>> ParseShingleList(std::string_view text);

// --- Scores ---

// A confusion matrix over pairs: labelled pairs (pairs mode) or document pairs (clusters mode).
struct PairCounts {
  uint64_t tp = 0;  // predicted positive, labelled positive
  uint64_t fp = 0;  // predicted positive, labelled negative
  uint64_t fn = 0;  // predicted negative, labelled positive
  uint64_t tn = 0;  // predicted negative, labelled negative

  uint64_t predicted() const { return tp + fp; }
  uint64_t positives() const { return tp + fn; }
  uint64_t total() const { return tp + fp + fn + tn; }
  double precision() const;  // tp / (tp + fp), 1 when nothing is predicted
  double recall() const;     // tp / (tp + fn), 1 when nothing is positive
  double f1() const;         // 2 tp / (2 tp + fp + fn), 1 when that is 0 / 0
  double accuracy() const;   // (tp + tn) / total, 1 when total is 0
};

// One setting of the sweep and its score.
struct TuneRow {
  ShingleSpec shingle;
  double threshold = 0;        // the swept threshold
  PairCounts counts;
  // Clusters mode only (absent in pairs mode).
  std::optional<double> ari;          // adjusted Rand index
  std::optional<uint64_t> clusters;   // clusters the pipeline made, singletons included
  std::optional<double> title_threshold;  // when the sweep moved the title threshold too
};

enum class TuneMode { kPairs, kClusters };

struct TuneReport {
  TuneMode mode = TuneMode::kPairs;
  std::vector<ShingleSpec> shingles;  // as given
  std::vector<TuneRow> rows;          // shingle-major, thresholds ascending
  size_t recommended = 0;             // index into rows (RecommendSetting)
  double min_precision = 0.9;
  // Per shingle (same order as `shingles`): the index into rows of its safe setting, if any.
  std::vector<std::optional<size_t>> safe;
  uint64_t items = 0;          // labelled pairs (pairs mode) or documents (clusters mode) scored
  uint64_t skipped = 0;        // input records skipped as unusable
  // Pairs mode: F1 of the trivial predictor that calls every pair positive.
  double trivial_f1 = 0;
  // A one-line description of what was swept, shown in the report's header (e.g. "pairs
  // x.jsonl, label binary_label, kind body").
  std::string description;
};

// The recommendation rule (see the top of this file). `rows` must not be empty.
size_t RecommendSetting(absl::Span<const TuneRow> rows);

// The safe setting of `shingle` among `rows` (see the top of this file), or nullopt when no row of
// that shingle reaches `min_precision` with at least one predicted positive.
std::optional<size_t> SafeSetting(absl::Span<const TuneRow> rows, const ShingleSpec& shingle,
                                  double min_precision);

// Fills report->recommended and report->safe from its rows, shingles and min_precision.
void FinishReport(TuneReport* report);

// --- Pairs mode ---

struct LabelledPair {
  std::string text_a;
  std::string text_b;
  bool positive = false;
};

struct PairInputOptions {
  std::string text_a = "text_a";
  std::string text_b = "text_b";
  // Exactly one of the two label sources:
  //   label_field: a 0/1 number, true/false, or the strings "0"/"1"/"true"/"false" (any number
  //     other than 0 is positive);
  //   score_field: a number (or a numeric string); the pair is positive when score >=
  //     positive_score.
  std::string label_field;
  std::string score_field;
  double positive_score = 4;
};

// Reads labelled pairs from a JSONL file (gzip/zstd, BOM and CRLF handled by the line reader; "-"
// is standard input). A record that is not a JSON object, lacks a text field, or has a missing or
// unusable label is skipped and passed to `on_skip` as "FILE:LINE: reason" (if set); a missing
// text is an error for that record, an empty one is not. Fails on I/O errors, on options that
// name no label source or both, and when no pair could be read.
absl::StatusOr<std::vector<LabelledPair>> ReadLabelledPairs(
    const std::string& path, const PairInputOptions& options,
    const std::function<void(const std::string&)>& on_skip = {});

struct PairSweepOptions {
  std::vector<ShingleSpec> shingles;  // non-empty
  std::vector<double> thresholds;     // non-empty, each in (0, 1]
  TextField field = TextField::kBody;  // which normalization (headline tags vs boilerplate)
  double min_precision = 0.9;          // for the safe settings, in (0, 1]
  uint64_t seed = kShingleSeed;
};

// Exact Jaccard of the two texts of `pair`, normalized with `normalizer` as `field`, with
// `shingle` sets (ShingleSet + ExactJaccard). Two texts with no shingle at all score 1.
double PairJaccard(const LabelledPair& pair, const Normalizer& normalizer, TextField field,
                   const ShingleSpec& shingle, uint64_t seed = kShingleSeed);

// Scores every (shingle, threshold) on `pairs`. Each pair is normalized once and shingled once per
// spec. Fails on empty pairs, shingles or thresholds, or a threshold outside (0, 1].
absl::StatusOr<TuneReport> SweepPairs(absl::Span<const LabelledPair> pairs,
                                      const Normalizer& normalizer,
                                      const PairSweepOptions& options);

// --- Clusters mode ---

// Which field's shingle and threshold each setting replaces:
//   body   options.shingle and options.threshold; the title keeps the given title options;
//   title  options.title_shingle and options.title_threshold; the body keeps its options;
//   both   (default) both fields get the setting's shingle; the body gets the threshold and the
//          title the threshold + title_offset, clamped to [0.01, 1] (offset 0: the same
//          threshold).
// Which fields decide a pair is still options.match (match.h): with the default `auto`, a corpus
// of titles and bodies needs both to pass. Explicit LSH banding (options.lsh / title_lsh) is kept
// for every setting; otherwise it is chosen from each setting's threshold.
enum class SweepField { kBody, kTitle, kBoth };

absl::StatusOr<SweepField> ParseSweepField(std::string_view name);  // "body", "title", "both"
std::string_view SweepFieldName(SweepField field);

struct ClusterSweepOptions {
  // The pipeline as the user configured it (inputs, fields, engine, match, cluster, ...); must pass
  // Validate(). The swept fields' shingle and threshold are replaced by each setting.
  PipelineOptions pipeline;
  // The record field holding the true cluster label (a string or number; read with the
  // pipeline's format and RecordParser, so CSV/TSV columns work too). A record without the label
  // is its own cluster. Not the text format (it has no fields).
  std::string truth_field;
  std::vector<ShingleSpec> shingles;  // non-empty
  std::vector<double> thresholds;     // non-empty, each in (0, 1]
  SweepField sweep = SweepField::kBoth;
  double title_offset = 0;            // kBoth only, in [-1, 1]
  double min_precision = 0.9;         // for the safe settings, in (0, 1]

  // Checks the sweep before any work (InvalidArgument, naming the flag): a non-empty grid, the
  // ranges above, a truth field, no standard input (the inputs are read once per setting), no
  // plain-text input (no fields), not the simhash engine (no Jaccard threshold to sweep: tune
  // --max-hamming by hand), and pipeline.Validate().
  absl::Status Validate() const;
};

// The true label of every record of `options.inputs`, by record ordinal (bad records included;
// the caller drops those the pipeline skipped). Equal labels get equal values; a record without
// the label, or whose label cannot be read, gets a value of its own.
absl::StatusOr<std::vector<uint64_t>> ReadTruthLabels(const PipelineOptions& options,
                                                      const std::string& truth_field);

// Runs the pipeline once per setting (shingles x thresholds; each run reads and signs the inputs
// again, so the sweep costs about that many `neardup cluster` runs) and scores it against the
// truth, over the pipeline's documents (bad records are skipped, as the pipeline skips them).
// `callbacks` are passed to the first run only (bad records are reported once). `on_setting`, if
// set, is called before each run with its index and the total (progress). Fails when
// options.Validate() does, or on a pipeline error (I/O, too many bad records).
absl::StatusOr<TuneReport> SweepClusters(
    const ClusterSweepOptions& options, const RunCallbacks& callbacks = {},
    const std::function<void(size_t setting, size_t total)>& on_setting = {});

// --- Rendering ---

// An aligned text table: a header line (the description and counts), one row per setting (the
// recommended and safe ones marked), then the recommendation, the safe setting per shingle, and
// (pairs mode) the trivial predictor's F1, with a note when no setting beats it.
std::string FormatTuneTable(const TuneReport& report);

// One JSON object per line: one per setting ({"shingle", "threshold", "precision", "recall",
// "f1", "tp", "fp", "fn", "tn", then "accuracy" (pairs) or "ari", "clusters" and maybe
// "title_threshold" (clusters)}), then one {"recommended": {...row...}, "safe": [{"shingle",
// "setting": {...row...} or null}], "items", "skipped", "min_precision", and "trivial_f1"
// and "beats_trivial" (pairs)}. Numbers have at most 6 decimals.
std::string FormatTuneJson(const TuneReport& report);

}  // namespace neardup
