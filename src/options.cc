#include "neardup/options.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace neardup {

LshParams PipelineOptions::EffectiveLsh() const {
  return lsh.has_value() ? *lsh : ChooseLshParams(threshold, num_perm);
}

Format PipelineOptions::FormatOf(size_t i) const {
  return format != Format::kAuto ? format : GuessFormat(inputs[i]);
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
  if (num_perm < 1 || num_perm > 1024) {
    return bad("--num-perm must be between 1 and 1024, got ", num_perm);
  }
  if (shingle.k < 1 || shingle.k > 64) {
    return bad("--shingle size must be between 1 and 64, got ", shingle.k);
  }
  if (lsh.has_value()) {
    absl::Status s = ValidateLshParams(*lsh, num_perm);
    if (!s.ok()) return s;
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
