#include "neardup/cluster/match.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "neardup/sketch/engine.h"
#include "neardup/sketch/minhash.h"
#include "neardup/sketch/simhash.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_sort.h"

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

absl::StatusOr<SimilarityMeasure> ParseSimilarityMeasure(std::string_view name) {
  if (name == "jaccard") return SimilarityMeasure::kJaccard;
  if (name == "containment") return SimilarityMeasure::kContainment;
  return absl::InvalidArgumentError(absl::StrCat(
      "similarity must be jaccard or containment, got \"", std::string(name), "\""));
}

std::string_view SimilarityMeasureName(SimilarityMeasure measure) {
  return measure == SimilarityMeasure::kContainment ? "containment" : "jaccard";
}

absl::StatusOr<VerifyMode> ParseVerifyMode(std::string_view name) {
  if (name == "auto") return VerifyMode::kAuto;
  if (name == "exact") return VerifyMode::kExact;
  if (name == "signature") return VerifyMode::kSignature;
  if (name == "none") return VerifyMode::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "verification must be auto, exact, signature or none, got \"", std::string(name), "\""));
}

std::string_view VerifyModeName(VerifyMode mode) {
  switch (mode) {
    case VerifyMode::kAuto: return "auto";
    case VerifyMode::kExact: return "exact";
    case VerifyMode::kSignature: return "signature";
    case VerifyMode::kNone: return "none";
  }
  return "exact";
}

std::string_view MatchReasonName(MatchReason reason) {
  switch (reason) {
    case MatchReason::kNone: return "none";
    case MatchReason::kBody: return "body";
    case MatchReason::kTitle: return "title";
    case MatchReason::kTitleAndBody: return "title+body";
    case MatchReason::kEitherTitle: return "either:title";
    case MatchReason::kEitherBody: return "either:body";
  }
  return "none";
}

template <typename T>
float SetSimilarity(absl::Span<const T> a, absl::Span<const T> b, SimilarityMeasure measure) {
  const T* x = a.data();
  const T* x_end = x + a.size();
  const T* y = b.data();
  const T* y_end = y + b.size();
  size_t common = 0;
  while (x != x_end && y != y_end) {
    const T u = *x;
    const T v = *y;
    common += u == v;
    x += u <= v;
    y += v <= u;
  }
  const size_t denominator = measure == SimilarityMeasure::kContainment
                                 ? std::min(a.size(), b.size())
                                 : a.size() + b.size() - common;
  return denominator == 0 ? 1.0f
                          : static_cast<float>(static_cast<double>(common) /
                                               static_cast<double>(denominator));
}
template float SetSimilarity<uint32_t>(absl::Span<const uint32_t>, absl::Span<const uint32_t>,
                                       SimilarityMeasure);
template float SetSimilarity<uint64_t>(absl::Span<const uint64_t>, absl::Span<const uint64_t>,
                                       SimilarityMeasure);

FieldSketches::FieldSketches(Algorithm algo, int num_perm)
    : engine_(&SketchEngine::Get(algo)), num_perm_(num_perm) {}

Algorithm FieldSketches::algorithm() const { return engine_->algorithm(); }

void FieldSketches::AppendEmpty(uint32_t slot) {
  if (row_of_slot_.size() <= slot) row_of_slot_.Resize(slot + 1, kNoRow);
}

void FieldSketches::AddRow(uint32_t slot) {
  AppendEmpty(slot);
  row_of_slot_[slot] = static_cast<uint32_t>(slot_of_row_.size());
  slot_of_row_.push_back(slot);
}

void FieldSketches::AppendMinHash(uint32_t slot, const uint32_t* signature) {
  AddRow(slot);
  PackMinHash(signature, num_perm_, minhash_.Grow(PackedMinHashBytes(num_perm_)));
}

void FieldSketches::AppendSimHash(uint32_t slot, uint64_t fingerprint) {
  AddRow(slot);
  simhash_.push_back(fingerprint);
}

void FieldSketches::AppendSet(uint32_t slot, absl::Span<const uint64_t> set) {
  AddRow(slot);
  tokens_.insert(tokens_.end(), set.begin(), set.end());
  token_offsets_.push_back(tokens_.size());
}

bool FieldSketches::Has(uint32_t slot) const {
  return slot < row_of_slot_.size() && row_of_slot_[slot] != kNoRow;
}

float FieldSketches::Similarity(uint32_t a, uint32_t b) const {
  return engine_->Similarity(*this, Row(a), Row(b));
}

void FieldSketches::PrefetchRow(uint32_t slot) const {
  if (slot < row_of_slot_.size()) __builtin_prefetch(row_of_slot_.data() + slot);
}

void FieldSketches::PrefetchSketch(uint32_t slot) const {
  if (slot >= row_of_slot_.size()) return;
  const uint32_t row = row_of_slot_[slot];
  if (row == kNoRow) return;
  engine_->PrefetchSketch(*this, row);
}

size_t FieldSketches::MemoryBytes() const {
  return minhash_.capacity_bytes() + slot_of_row_.capacity_bytes() +
         row_of_slot_.capacity_bytes() +
         (simhash_.capacity() + tokens_.capacity() + token_offsets_.capacity()) *
             sizeof(uint64_t);
}

PairVerdict Decide(const MatchRule& rule, FieldScore t, FieldScore d, bool long_bodies) {
  const bool tp = t.present && t.similarity >= rule.title_min;
  const bool dp = d.present && d.similarity >= rule.body_min;
  PairVerdict v;
  v.title_similarity = t.present ? t.similarity : std::numeric_limits<float>::quiet_NaN();
  v.body_similarity = d.present ? d.similarity : std::numeric_limits<float>::quiet_NaN();
  switch (rule.mode) {
    case MatchMode::kTitle:
      v.compared = t.present;
      v.passes = tp;
      v.similarity = t.similarity;
      v.reason = MatchReason::kTitle;
      break;
    case MatchMode::kBody:
      v.compared = d.present;
      v.passes = dp;
      v.similarity = d.similarity;
      v.reason = MatchReason::kBody;
      break;
    case MatchMode::kBoth:
      v.compared = t.present && d.present;
      v.passes = v.compared && tp && dp;
      v.similarity = std::min(t.similarity, d.similarity);
      v.reason = MatchReason::kTitleAndBody;
      break;
    case MatchMode::kAuto:
      if (long_bodies && d.present) {
        v.compared = true;
        v.passes = dp;
        v.similarity = d.similarity;
        v.reason = MatchReason::kBody;
        break;
      }
      v.compared = t.present || d.present;
      v.passes = v.compared && (!t.present || tp) && (!d.present || dp);
      if (t.present && d.present) {
        v.similarity = std::min(t.similarity, d.similarity);
        v.reason = MatchReason::kTitleAndBody;
      } else {
        v.similarity = t.present ? t.similarity : d.similarity;
        v.reason = t.present ? MatchReason::kTitle : MatchReason::kBody;
      }
      break;
    case MatchMode::kEither:
      v.compared = t.present || d.present;
      v.passes = tp || dp;
      if (tp && dp) {
        v.similarity = std::max(t.similarity, d.similarity);
      } else if (tp || dp) {
        v.similarity = tp ? t.similarity : d.similarity;
      } else {
        v.similarity = std::max(t.similarity, d.similarity);
      }
      v.reason = tp && (!dp || t.similarity >= d.similarity) ? MatchReason::kEitherTitle
                                                              : MatchReason::kEitherBody;
      break;
  }
  return v;
}

namespace {

bool LongBody(const FieldRule& body, uint32_t slot, uint32_t min_body_shingles) {
  return slot < body.shingle_counts.size() && body.shingle_counts[slot] >= min_body_shingles;
}

FieldScore ScoreField(const FieldRule& rule, uint32_t a, uint32_t b) {
  FieldScore r;
  if (rule.sketches == nullptr || !rule.sketches->Has(a) || !rule.sketches->Has(b)) return r;
  r.present = true;
  r.similarity = rule.sketches->Similarity(a, b);
  if (rule.measure == SimilarityMeasure::kContainment &&
      rule.sketches->engine().similarity_kind() != SimilarityKind::kHammingScore &&
      a < rule.shingle_counts.size() && b < rule.shingle_counts.size()) {
    // From the Jaccard estimate J and the two sizes: |A n B| = J (|A| + |B|) / (1 + J).
    const double na = rule.shingle_counts[a];
    const double nb = rule.shingle_counts[b];
    const double j = r.similarity;
    const double lo = std::min(na, nb);
    if (lo > 0) r.similarity = static_cast<float>(std::min(1.0, j * (na + nb) / (1.0 + j) / lo));
  }
  return r;
}

}  // namespace

PairScores ScorePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                     const FieldRule& body, uint32_t min_body_shingles) {
  PairScores s;
  const bool use_title = mode != MatchMode::kBody;
  const bool use_body = mode != MatchMode::kTitle;
  s.long_bodies = LongBody(body, a, min_body_shingles) && LongBody(body, b, min_body_shingles);
  if (use_body) s.body = ScoreField(body, a, b);
  s.title_needed = use_title && !(mode == MatchMode::kAuto && s.long_bodies && s.body.present);
  if (s.title_needed) s.title = ScoreField(title, a, b);
  return s;
}

FieldScore ScoreTitle(uint32_t a, uint32_t b, const FieldRule& title) {
  return ScoreField(title, a, b);
}

PairVerdict DecideScores(const PairScores& scores, MatchMode mode, float title_min,
                         float body_min, uint32_t min_body_shingles) {
  MatchRule rule;
  rule.mode = mode;
  // Compared in float, as the similarity is reported, so that a reported value at or above
  // the threshold always means the pair passed.
  rule.title_min = title_min;
  rule.body_min = body_min;
  rule.min_body_shingles = min_body_shingles;
  return Decide(rule, scores.title, scores.body, scores.long_bodies);
}

PairVerdict JudgePair(uint32_t a, uint32_t b, MatchMode mode, const FieldRule& title,
                      const FieldRule& body, uint32_t min_body_shingles) {
  PairScores s = ScorePair(a, b, mode, title, body, min_body_shingles);
  if (!s.title_needed && mode != MatchMode::kBody) s.title = ScoreTitle(a, b, title);
  return DecideScores(s, mode, title.min_similarity, body.min_similarity, min_body_shingles);
}

absl::StatusOr<std::vector<CandidatePair>> FindFieldCandidates(MatchMode mode,
                                                               const FieldRule& title,
                                                               const FieldRule& body,
                                                               const CandidateLimits& limits,
                                                               CandidateStats* stats,
                                                               uint32_t min_body_shingles) {
  std::vector<CandidatePair> all;
  CandidateStats local;
  if (stats == nullptr) stats = &local;
  // Each field's pairs are sorted (and made unique) on their own, then the two runs merged: the
  // LSH's pairs come sorted already, and rows map to slots in order.
  auto finish_run = [&](size_t begin) {
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(begin);
    if (!std::is_sorted(first, all.end())) tbb::parallel_sort(first, all.end());
    all.erase(std::unique(first, all.end()), all.end());
  };
  auto add_field = [&](const FieldRule& rule) -> absl::Status {
    if (rule.sketches == nullptr || rule.sketches->rows() < 2) return absl::OkStatus();
    const FieldSketches& f = *rule.sketches;
    // Rows are in slot order, so mapped pairs keep a < b.
    std::vector<CandidatePair> rows;
    absl::Status status = f.engine().Candidates(rule, limits, &rows, stats);
    if (!status.ok()) return status;
    all.reserve(all.size() + rows.size());
    for (const CandidatePair& p : rows) all.push_back({f.slot_of_row(p.a), f.slot_of_row(p.b)});
    return absl::OkStatus();
  };
  // Title candidates are needed only where a pair can pass without its bodies: with `title` and
  // `either` always; with `auto` only when some titled document has no body (a pair of documents
  // that both have bodies must pass on the body, so the body's candidates already hold it); with
  // `both` never. Short titles share many shingles by chance, so this saves most of the candidate
  // work on article corpora.
  bool need_title = mode == MatchMode::kTitle || mode == MatchMode::kEither;
  if (mode == MatchMode::kAuto && title.sketches != nullptr) {
    for (size_t r = 0; r < title.sketches->rows() && !need_title; ++r) {
      const uint32_t slot = title.sketches->slot_of_row(r);
      need_title = body.sketches == nullptr || !body.sketches->Has(slot) ||
                   (!body.shingle_counts.empty() && !LongBody(body, slot, min_body_shingles));
    }
  }
  if (need_title) {
    absl::Status s = add_field(title);
    if (!s.ok()) return s;
    finish_run(0);
  }
  const size_t title_pairs = all.size();
  if (mode != MatchMode::kTitle) {
    absl::Status s = add_field(body);
    if (!s.ok()) return s;
    finish_run(title_pairs);
  }
  std::inplace_merge(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(title_pairs),
                     all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

std::vector<Edge> JudgeCandidates(absl::Span<const CandidatePair> candidates, MatchMode mode,
                                  const FieldRule& title, const FieldRule& body, bool verify,
                                  uint32_t min_body_shingles) {
  std::vector<PairVerdict> verdicts(candidates.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 4096),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) {
                        verdicts[i] = JudgePair(candidates[i].a, candidates[i].b, mode, title, body,
                                                min_body_shingles);
                      }
                    });
  // The exact engine's sketches are the shingle sets themselves.
  const FieldSketches* any = body.sketches != nullptr ? body.sketches : title.sketches;
  const uint8_t exact =
      any != nullptr && any->engine().similarity_kind() == SimilarityKind::kExactJaccard;
  std::vector<Edge> edges;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (verify ? verdicts[i].passes : verdicts[i].compared) {
      const PairVerdict& v = verdicts[i];
      edges.push_back({candidates[i].a, candidates[i].b, v.similarity, v.title_similarity,
                       v.body_similarity, static_cast<uint8_t>(v.reason), exact});
    }
  }
  return edges;
}

}  // namespace neardup
