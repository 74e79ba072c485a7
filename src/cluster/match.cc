#include "neardup/cluster/match.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "neardup/sketch/minhash.h"
#include "neardup/sketch/simhash.h"
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

absl::StatusOr<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "minhash") return Algorithm::kMinHash;
  if (name == "simhash") return Algorithm::kSimHash;
  if (name == "exact") return Algorithm::kExact;
  return absl::InvalidArgumentError(absl::StrCat(
      "--algo must be minhash, simhash or exact, got \"", std::string(name), "\""));
}

std::string_view AlgorithmName(Algorithm algo) {
  switch (algo) {
    case Algorithm::kMinHash: return "minhash";
    case Algorithm::kSimHash: return "simhash";
    case Algorithm::kExact: return "exact";
  }
  return "minhash";
}

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
  const uint32_t ra = Row(a);
  const uint32_t rb = Row(b);
  switch (algo_) {
    case Algorithm::kMinHash: {
      const size_t stride = PackedMinHashBytes(num_perm_);
      return static_cast<float>(EstimateJaccardPacked(minhash_.data() + ra * stride,
                                                      minhash_.data() + rb * stride, num_perm_));
    }
    case Algorithm::kSimHash:
      return SimHashSimilarity(HammingDistance(simhash_[ra], simhash_[rb]));
    case Algorithm::kExact: {
      const uint64_t* x = tokens_.data() + token_offsets_[ra];
      const uint64_t* x_end = tokens_.data() + token_offsets_[ra + 1];
      const uint64_t* y = tokens_.data() + token_offsets_[rb];
      const uint64_t* y_end = tokens_.data() + token_offsets_[rb + 1];
      const size_t nx = static_cast<size_t>(x_end - x);
      const size_t ny = static_cast<size_t>(y_end - y);
      size_t common = 0;
      while (x != x_end && y != y_end) {
        if (*x < *y) {
          ++x;
        } else if (*y < *x) {
          ++y;
        } else {
          ++common;
          ++x;
          ++y;
        }
      }
      const size_t uni = nx + ny - common;
      return uni == 0 ? 1.0f
                      : static_cast<float>(static_cast<double>(common) / static_cast<double>(uni));
    }
  }
  return 0;
}

size_t FieldSketches::MemoryBytes() const {
  return minhash_.capacity_bytes() + slot_of_row_.capacity_bytes() +
         row_of_slot_.capacity_bytes() +
         (simhash_.capacity() + tokens_.capacity() + token_offsets_.capacity()) *
             sizeof(uint64_t);
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
    if (rule.sketches == nullptr || !rule.sketches->Has(a) || !rule.sketches->Has(b)) return r;
    r.present = true;
    r.similarity = rule.sketches->Similarity(a, b);
    // Compared in float, as the similarity is reported, so that a reported value at or above
    // the threshold always means the pair passed.
    r.passes = r.similarity >= rule.min_similarity;
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

absl::StatusOr<std::vector<CandidatePair>> FindFieldCandidates(MatchMode mode,
                                                               const FieldRule& title,
                                                               const FieldRule& body,
                                                               const CandidateLimits& limits,
                                                               CandidateStats* stats) {
  std::vector<CandidatePair> all;
  CandidateStats local;
  if (stats == nullptr) stats = &local;
  auto add_buckets = [&](const BucketStats& b) {
    stats->buckets.buckets += b.buckets;
    stats->buckets.largest_bucket = std::max(stats->buckets.largest_bucket, b.largest_bucket);
    stats->buckets.oversized_buckets += b.oversized_buckets;
    stats->buckets.pairs_not_generated += b.pairs_not_generated;
    stats->buckets.pairs_emitted += b.pairs_emitted;
    stats->buckets.spilled_runs += b.spilled_runs;
    stats->buckets.spilled_bytes += b.spilled_bytes;
  };
  auto add_field = [&](const FieldRule& rule) -> absl::Status {
    if (rule.sketches == nullptr || rule.sketches->rows() < 2) return absl::OkStatus();
    const FieldSketches& f = *rule.sketches;
    // Rows are in slot order, so mapped pairs keep a < b.
    auto add = [&](uint32_t a, uint32_t b) { all.push_back({f.slot_of_row(a), f.slot_of_row(b)}); };
    switch (f.algorithm()) {
      case Algorithm::kMinHash: {
        BucketStats b;
        SpillOptions spill;
        spill.memory_limit = limits.memory_limit_bytes;
        spill.temp_dir = limits.temp_dir;
        absl::StatusOr<std::vector<CandidatePair>> pairs = FindCandidatePairsPacked(
            f.packed_minhash(), f.num_perm(), f.rows(), rule.lsh, limits.max_bucket, spill, &b);
        if (!pairs.ok()) return pairs.status();
        for (const CandidatePair& p : *pairs) add(p.a, p.b);
        add_buckets(b);
        break;
      }
      case Algorithm::kSimHash: {
        SimHashStats s;
        for (const Edge& e : FindSimHashPairs(f.simhash(), rule.max_hamming, limits.max_bucket, &s)) {
          add(e.a, e.b);
        }
        BucketStats b;
        b.buckets = s.buckets;
        b.largest_bucket = s.largest_bucket;
        b.oversized_buckets = s.oversized_buckets;
        b.pairs_not_generated = s.pairs_not_checked;
        b.pairs_emitted = s.candidates_checked;
        add_buckets(b);
        break;
      }
      case Algorithm::kExact: {
        AllPairsStats s;
        AllPairsLimits l;
        l.memory_budget_bytes = limits.memory_limit_bytes;
        auto edges = AllPairsJoin(f.sets(), rule.threshold, l, &s);
        if (!edges.ok()) return edges.status();
        for (const Edge& e : *edges) add(e.a, e.b);
        stats->exact_candidates += s.candidates;
        break;
      }
    }
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
      need_title = body.sketches == nullptr || !body.sketches->Has(title.sketches->slot_of_row(r));
    }
  }
  if (need_title) {
    absl::Status s = add_field(title);
    if (!s.ok()) return s;
  }
  if (mode != MatchMode::kTitle) {
    absl::Status s = add_field(body);
    if (!s.ok()) return s;
  }
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
