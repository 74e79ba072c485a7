// options.h: everything a run of `cluster` or `dedup` can be told, parsed once into typed values.
// The CLI (src/cli/) fills a PipelineOptions from flags; the library reads nothing else. Each field
// documents its default and valid range; Validate() checks them all at once before any work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/cluster/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/candidates/lsh.h"
#include "neardup/cluster/match.h"
#include "neardup/cluster/stories.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/news_rules.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {

// The Jaccard similarity of a copy that is half as long as its original with `containment` of it
// inside the original: where the LSH banding aims for the containment measure.
double ContainmentLshJaccard(double containment);

struct PipelineOptions {
  // Input files, read in this order; "-" is standard input (at most once). Non-empty.
  std::vector<std::string> inputs;
  // Names used for the inputs in default ids ("FILE:LINE") and messages; empty = `inputs`. (When
  // standard input is spooled to a temporary file, the path changes but the label stays "-".)
  std::vector<std::string> input_labels;
  // kAuto: each file's format is guessed from its name (GuessFormat).
  Format format = Format::kAuto;
  FieldNames fields;

  NormalizeOptions normalize;
  std::vector<std::string> alias_files;   // extra alias tables (normalize.h), in order
  std::vector<std::string> tag_files;     // extra headline-tag lists (normalize.h)

  // The engine (match.h) and how titles and bodies decide a pair.
  Algorithm algo = Algorithm::kMinHash;
  MatchMode match = MatchMode::kAuto;
  int max_hamming = 3;                    // simhash: pairs within this many bits, 0..8
  SimHashWeight simhash_weight = SimHashWeight::kTf;
  // minhash: LSH band keys beyond this go to sorted runs on disk, in temp_dir (lsh.h
  // SpillOptions); exact: the all-pairs join fails with a clear message rather than use more
  // memory than this. Bytes, >= 1,000,000.
  uint64_t memory_limit = uint64_t{2} << 30;
  std::string temp_dir;  // spill files; "" = $TMPDIR, else /tmp

  // Body (text) field: shingles, threshold and LSH banding.
  ShingleSpec shingle;                    // default char:5
  // Body similarity threshold, in (0, 1]. 0.7: measured on real Korean news re-posts, whose
  // bodies differ by bylines, photo credits and trimmed paragraphs (README "Which setting").
  double threshold = 0.7;
  std::optional<LshParams> lsh;           // bands x rows; default: ChooseLshParams(threshold)
  // Title (headline) field: shorter shingles and a lower threshold suit headlines (README).
  ShingleSpec title_shingle{ShingleUnit::kChar, 3};
  double title_threshold = 0.5;           // in (0, 1]
  std::optional<LshParams> title_lsh;     // default: ChooseLshParams(title_threshold)
  uint64_t shingle_seed = kShingleSeed;

  // Stop-shingles: a first pass over the first `df_sample` documents counts in how many documents
  // each shingle occurs; shingles in more than this share of them (boilerplate footers, navigation,
  // board furniture) are left out of every sketch. Needs at least 1,000 sampled documents; 1 turns
  // it off. In (0, 1].
  double max_shingle_df = 0.5;
  uint64_t df_sample = 2000;              // >= 1 (whole batches are read: about this many)

  int num_perm = 128;                     // MinHash permutations, 1..1024
  uint64_t minhash_seed = kMinHashSeed;
  // How each field's MinHash signature is computed (minhash.h). Bodies use one permutation (one
  // hash per shingle: about 20x less work at 128 entries, as accurate from about 100 shingles
  // on); titles, mostly 20-40 shingles where densification costs accuracy, use num_perm
  // permutations, which cost little on so few shingles.
  MinHashScheme minhash_scheme = MinHashScheme::kOnePermutation;
  MinHashScheme title_minhash_scheme = MinHashScheme::kPermutations;
  // How candidates become edges (match.h VerifyMode). kExact re-reads the documents of candidate
  // pairs and compares their shingle sets exactly, within memory_limit (in several passes over
  // the inputs when the sets do not fit at once).
  VerifyMode verify = VerifyMode::kAuto;
  // Per-field similarity (match.h). Containment pairs a truncated copy with its original; its
  // LSH banding aims at the Jaccard such a pair has when the copy is half as long
  // (ContainmentLshJaccard), so shorter copies may be missed.
  SimilarityMeasure similarity = SimilarityMeasure::kJaccard;
  // match auto: bodies of at least this many shingles (positions, after stop-shingles) decide a
  // pair alone. >= 1.
  uint32_t min_body_shingles = kDefaultMinBodyShingles;
  size_t max_bucket = 1000;               // buckets larger than this are capped (see lsh.h), >= 2

  KeepPolicy keep = KeepPolicy::kFirst;   // which member represents a cluster
  // Fill RunResult::edges with every pair that was judged a duplicate (verified edges and exact
  // duplicates), so that each decision can be explained. Costs 24 bytes a pair. Default false.
  bool keep_edges = false;
  ClusterMode cluster = ClusterMode::kAnchored;  // how edges become clusters (cluster.h)
  // kAnchored: documents with at least this many near-duplicates are cores (cluster.h). >= 2:
  // at 1 both ends of every edge are cores, and an isolated pair (no shared neighbour) stays apart.
  uint32_t core_degree = kDefaultCoreDegree;

  // Stories (cluster/stories.h): with `stories`, the near-duplicate clusters are grouped into
  // stories after clustering (RunResult::story); nothing else changes. Dates come from
  // fields.date (ParseStoryDate); without it the window is the whole input. The term weights'
  // document frequencies are counted over the first `story_sample` documents (whole batches),
  // in the same first pass as the stop-shingles (standard input: not at all, and every term
  // weighs its frequency alone). Default false; story_sample >= 1.
  bool stories = false;
  StoryOptions story;
  uint64_t story_sample = 20000;

  // Bad records: skipped and counted; the run fails once more than `max_bad` were seen
  // (0 = no limit), or at the first one when `strict`.
  uint64_t max_bad = 0;
  bool strict = false;

  int threads = 0;                        // worker threads; 0 = all cores
  size_t batch_bytes = 1 << 20;           // raw bytes per pipeline batch, >= 1
  int batches_in_flight = 0;              // 0 = 2 x threads; bounds memory held by raw text

  // A record longer than this (bytes, line ends included) is skipped as bad without being read
  // into memory whole. >= 1.
  size_t max_record_bytes = kDefaultMaxRecordBytes;

  // Resolved LSH parameters: `lsh` if set, else ChooseLshParams(threshold, num_perm) (with
  // containment, at ContainmentLshJaccard(threshold)); likewise for the title.
  LshParams EffectiveLsh() const;
  LshParams EffectiveTitleLsh() const;
  // How the fields decide a pair (match.h MatchRule) under these options.
  MatchRule EffectiveMatchRule() const;
  // Label of input i (input_labels[i] if given, else inputs[i]).
  const std::string& LabelOf(size_t i) const {
    return i < input_labels.size() ? input_labels[i] : inputs[i];
  }
  // Resolved format of input i.
  Format FormatOf(size_t i) const;

  // The news rules in force: NewsRules::Defaults() extended by tag_files and alias_files.
  // Errors name the file and line.
  absl::StatusOr<NewsRules> BuildNewsRules() const;

  // Checks every field; the message names the option as the user typed it ("--threshold").
  absl::Status Validate() const;
};

}  // namespace neardup
