#include "neardup/match.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "neardup/minhash.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

constexpr uint32_t kNoRow = std::numeric_limits<uint32_t>::max();

}  // namespace

absl::StatusOr<MatchMode> ParseMatchMode(std::string_view name) {
  if (name == "auto") return MatchMode::kAuto;
  if (name == "title") return MatchMode::kTitle;
  if (name == "body") return MatchMode::kBody;
  if (name == "both") return MatchMode::kBoth;
  if (name == "either") return MatchMode::kEither;
  return absl::InvalidArgumentError(absl::StrCat(
      "--match must be auto, title, body, both or either, got \"", std::string(name), "\""));
}

std::string_view MatchModeName(MatchMode mode) {
  switch (mode) {
    case MatchMode::kAuto: return "auto";
    case MatchMode::kTitle: return "title";
    case MatchMode::kBody: return "body";
    case MatchMode::kBoth: return "both";
    case MatchMode::kEither: return "either";
  }
  return "auto";
}

void FieldSignatures::Append(uint32_t slot, const uint32_t* signature) {
  if (row_of_slot_.size() <= slot) row_of_slot_.resize(slot + 1, kNoRow);
  if (signature == nullptr) return;
  row_of_slot_[slot] = static_cast<uint32_t>(slot_of_row_.size());
  slot_of_row_.push_back(slot);
  signatures_.insert(signatures_.end(), signature, signature + num_perm_);
}

std::optional<absl::Span<const uint32_t>> FieldSignatures::Of(uint32_t slot) const {
  if (slot >= row_of_slot_.size() || row_of_slot_[slot] == kNoRow) return std::nullopt;
  const size_t np = static_cast<size_t>(num_perm_);
  return absl::MakeConstSpan(signatures_.data() + row_of_slot_[slot] * np, np);
}

size_t FieldSignatures::MemoryBytes() const {
  return (signatures_.capacity() + slot_of_row_.capacity() + row_of_slot_.capacity()) *
         sizeof(uint32_t);
}

PairVerdict JudgePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                      const FieldRule& body) {
  struct FieldResult {
    bool present = false;
    bool passes = false;
    float similarity = 0;
  };
  auto judge = [&](const FieldRule& rule) {
    FieldResult r;
    if (rule.signatures == nullptr) return r;
    auto sa = rule.signatures->Of(a);
    auto sb = rule.signatures->Of(b);
    if (!sa || !sb) return r;
    r.present = true;
    r.similarity = static_cast<float>(EstimateJaccard(*sa, *sb));
    // Compare in float, as the similarity is reported, so that a reported value >= threshold
    // always means the pair passed.
    r.passes = r.similarity >= static_cast<float>(rule.threshold);
    return r;
  };
  const bool use_title = mode != MatchMode::kBody;
  const bool use_body = mode != MatchMode::kTitle;
  FieldResult t = use_title ? judge(title) : FieldResult{};
  FieldResult d = use_body ? judge(body) : FieldResult{};

  PairVerdict v;
  switch (mode) {
    case MatchMode::kTitle:
      v = {t.present, t.passes, t.similarity};
      break;
    case MatchMode::kBody:
      v = {d.present, d.passes, d.similarity};
      break;
    case MatchMode::kBoth:
      v.compared = t.present && d.present;
      v.passes = v.compared && t.passes && d.passes;
      v.similarity = std::min(t.similarity, d.similarity);
      break;
    case MatchMode::kAuto:
      v.compared = t.present || d.present;
      v.passes = v.compared && (!t.present || t.passes) && (!d.present || d.passes);
      if (t.present && d.present) {
        v.similarity = std::min(t.similarity, d.similarity);
      } else {
        v.similarity = t.present ? t.similarity : d.similarity;
      }
      break;
    case MatchMode::kEither:
      v.compared = t.present || d.present;
      v.passes = t.passes || d.passes;
      if (t.passes && d.passes) {
        v.similarity = std::max(t.similarity, d.similarity);
      } else if (t.passes || d.passes) {
        v.similarity = t.passes ? t.similarity : d.similarity;
      } else {
        v.similarity = std::max(t.similarity, d.similarity);
      }
      break;
  }
  return v;
}

std::vector<CandidatePair> FindFieldCandidates(MatchMode mode, const FieldRule& title,
                                               const FieldRule& body, const LshParams& title_lsh,
                                               const LshParams& body_lsh, size_t max_bucket,
                                               BucketStats* stats) {
  std::vector<CandidatePair> all;
  auto add_field = [&](const FieldRule& rule, const LshParams& lsh) {
    if (rule.signatures == nullptr || rule.signatures->rows() < 2) return;
    const FieldSignatures& sigs = *rule.signatures;
    BucketStats field_stats;
    std::vector<CandidatePair> rows = FindCandidatePairs(sigs.data(), sigs.num_perm(),
                                                         sigs.rows(), lsh, max_bucket,
                                                         &field_stats);
    // Rows are in slot order, so mapped pairs keep a < b.
    for (const CandidatePair& p : rows) {
      all.push_back({sigs.slot_of_row(p.a), sigs.slot_of_row(p.b)});
    }
    if (stats != nullptr) {
      stats->buckets += field_stats.buckets;
      stats->largest_bucket = std::max(stats->largest_bucket, field_stats.largest_bucket);
      stats->oversized_buckets += field_stats.oversized_buckets;
      stats->pairs_not_generated += field_stats.pairs_not_generated;
      stats->pairs_emitted += field_stats.pairs_emitted;
    }
  };
  if (mode != MatchMode::kBody) add_field(title, title_lsh);
  if (mode != MatchMode::kTitle) add_field(body, body_lsh);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

std::vector<Edge> JudgeCandidates(absl::Span<const CandidatePair> candidates, MatchMode mode,
                                  const FieldRule& title, const FieldRule& body, bool verify) {
  std::vector<PairVerdict> verdicts(candidates.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 4096),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) {
                        verdicts[i] = JudgePair(candidates[i].a, candidates[i].b, mode, title, body);
                      }
                    });
  std::vector<Edge> edges;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (verify ? verdicts[i].passes : verdicts[i].compared) {
      edges.push_back({candidates[i].a, candidates[i].b, verdicts[i].similarity});
    }
  }
  return edges;
}

}  // namespace neardup
