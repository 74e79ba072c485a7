#include "neardup/options.h"
#include "neardup/sketch/engine.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace neardup {

double ContainmentLshJaccard(double containment) {
  // A copy r = 1/2 as long as its original, c of it inside: |A n B| = c |A|, |B| = 2 |A|,
  // J = c / (1 + 2 - c) ... written for any r: c r / (1 + r - c r).
  constexpr double r = 0.5;
  return containment * r / (1.0 + r - containment * r);
}

LshParams PipelineOptions::EffectiveLsh() const {
  if (lsh.has_value()) return *lsh;
  return ChooseLshParams(similarity == SimilarityMeasure::kContainment
                             ? ContainmentLshJaccard(threshold)
                             : threshold,
                         num_perm);
}

LshParams PipelineOptions::EffectiveTitleLsh() const {
  if (title_lsh.has_value()) return *title_lsh;
  return ChooseLshParams(similarity == SimilarityMeasure::kContainment
                             ? ContainmentLshJaccard(title_threshold)
                             : title_threshold,
                         num_perm);
}

Format PipelineOptions::FormatOf(size_t i) const {
  // From the name given (an input spooled to a temporary file keeps its label).
  return format != Format::kAuto ? format : GuessFormat(LabelOf(i));
}

MatchRule PipelineOptions::EffectiveMatchRule() const {
  MatchRule rule;
  rule.mode = match;
  rule.title_min = static_cast<float>(title_threshold);
  rule.body_min = static_cast<float>(threshold);
  rule.min_body_shingles = min_body_shingles;
  return rule;
}

absl::StatusOr<NewsRules> PipelineOptions::BuildNewsRules() const {
  NewsRules rules = NewsRules::Defaults();
  for (const std::string& path : tag_files) {
    absl::Status s = rules.AddTagFile(path);
    if (!s.ok()) return s;
  }
  for (const std::string& path : alias_files) {
    absl::Status s = rules.AddAliasFile(path);
    if (!s.ok()) return s;
  }
  return rules;
}

absl::Status PipelineOptions::Validate() const {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (inputs.empty()) return bad("no input files given");
  int stdin_count = 0;
  for (const auto& in : inputs) {
    if (in.empty()) return bad("an input file name is empty");
    if (in == "-") ++stdin_count;
  }
  if (stdin_count > 1) return bad("standard input (-) can be read only once");
  if (!(threshold > 0 && threshold <= 1) || std::isnan(threshold)) {
    return bad("--threshold must be in (0, 1], got ", threshold);
  }
  if (min_body_shingles < 1) return bad("--min-body-shingles must be >= 1");
  if (!(story.threshold > 0 && story.threshold <= 1)) {
    return bad("--story-threshold must be in (0, 1], got ", story.threshold);
  }
  if (!(story.title_weight >= 0 && story.title_weight <= 1)) {
    return bad("--story-title-weight must be in [0, 1], got ", story.title_weight);
  }
  if (story.window_seconds < 0) {
    return bad("--story-window must be 0 (no limit) or positive, got ", story.window_seconds, "s");
  }
  if (story.title_terms < 1 || story.title_terms > 1024 || story.body_terms < 1 ||
      story.body_terms > 1024) {
    return bad("story terms per field must be 1..1024");
  }
  if (story_sample < 1) return bad("the story sample must be at least 1 document");
  if (!(title_threshold > 0 && title_threshold <= 1) || std::isnan(title_threshold)) {
    return bad("--title-threshold must be in (0, 1], got ", title_threshold);
  }
  if (num_perm < 1 || num_perm > 1024) {
    return bad("--num-perm must be between 1 and 1024, got ", num_perm);
  }
  if (shingle.k < 1 || shingle.k > 64) {
    return bad("--shingle size must be between 1 and 64, got ", shingle.k);
  }
  if (title_shingle.k < 1 || title_shingle.k > 64) {
    return bad("--title-shingle size must be between 1 and 64, got ", title_shingle.k);
  }
  for (const auto* l : {&lsh, &title_lsh}) {
    if (!l->has_value()) continue;
    absl::Status s = ValidateLshParams(**l, num_perm);
    if (!s.ok()) return s;
  }
  if (SketchEngine::Get(algo).candidate_search() == CandidateSearch::kHammingTables) {
    absl::Status s = ValidateSimHashMaxHamming(max_hamming);
    if (!s.ok()) return bad("--max-hamming: ", s.message());
  }
  if (memory_limit < 1000000) return bad("--memory-limit must be at least 1000000 (bytes)");
  if (!temp_dir.empty()) {
    struct stat st;
    if (::stat(temp_dir.c_str(), &st) != 0) {
      return bad("--temp-dir ", temp_dir, ": ", std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) return bad("--temp-dir ", temp_dir, ": not a directory");
  }
  if (!(max_shingle_df > 0 && max_shingle_df <= 1)) {
    return bad("--max-shingle-df must be in (0, 1], got ", max_shingle_df);
  }
  if (max_record_bytes < 1) return bad("--max-record-bytes must be at least 1");
  if (df_sample < 1) return bad("--df-sample must be at least 1");
  const bool field_keep = keep == KeepPolicy::kEarliest || keep == KeepPolicy::kLatest ||
                          keep == KeepPolicy::kFieldMax;
  if (field_keep && fields.keep.empty()) {
    return bad("--keep earliest:, latest: and field-max: need a field name, e.g. latest:date");
  }
  if (max_bucket < 2) return bad("--max-bucket must be at least 2, got ", max_bucket);
  if (threads < 0) return bad("--threads must be 0 (all cores) or more, got ", threads);
  if (batch_bytes < 1) return bad("batch size must be at least 1 byte");
  if (batches_in_flight < 0) return bad("batches in flight must be 0 (automatic) or more");
  if (fields.id.empty() || fields.text.empty() || fields.title.empty()) {
    return bad("--id-field, --text-field and --title-field must not be empty");
  }
  return absl::OkStatus();
}

}  // namespace neardup
