#include "neardup/sketch/engine.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "neardup/candidates/allpairs.h"
#include "neardup/candidates/lsh.h"

namespace neardup {
namespace {

// A record's sketch lives at these entries of the batch.
absl::Span<uint32_t> SignatureOf(SketchBatch* batch, size_t i, int num_perm) {
  const size_t np = static_cast<size_t>(num_perm);
  return absl::MakeSpan(batch->minhash.data() + i * np, np);
}

// The wire form's raw copies: n values of T appended to `out`, or taken from the front of `*in`.
template <typename T>
void PutRaw(const T* p, size_t n, std::string* out) {
  out->append(reinterpret_cast<const char*>(p), n * sizeof(T));
}
template <typename T>
bool TakeRaw(std::string_view* in, T* p, size_t n) {
  const size_t bytes = n * sizeof(T);
  if (in->size() < bytes) return false;
  if (bytes > 0) std::memcpy(p, in->data(), bytes);
  in->remove_prefix(bytes);
  return true;
}

void ResetCommon(size_t n, SketchBatch* batch) {
  batch->present.assign(n, 0);
  batch->counts.assign(n, 0);
  batch->tokens.clear();
  batch->token_ends.assign(n, 0);
}

// minhash: num_perm MinHash values, packed to 12 bits; banded LSH; estimated Jaccard.
class MinHashEngine final : public SketchEngine {
 public:
  Algorithm algorithm() const override { return Algorithm::kMinHash; }
  std::string_view name() const override { return "minhash"; }
  SimilarityKind similarity_kind() const override { return SimilarityKind::kEstimatedJaccard; }
  CandidateSearch candidate_search() const override { return CandidateSearch::kLshBands; }

  void ResetBatch(size_t n, int num_perm, SketchBatch* batch) const override {
    ResetCommon(n, batch);
    batch->minhash.resize(n * static_cast<size_t>(num_perm));
  }
  void Sign(const SignContext& context, std::vector<uint64_t>* shingles, size_t i, int num_perm,
            SketchBatch* batch) const override {
    if (shingles->empty()) return;
    batch->present[i] = 1;
    context.hasher->Sign(*shingles, SignatureOf(batch, i, num_perm));
  }
  void Append(const SketchBatch& batch, size_t i, uint32_t slot, int num_perm,
              FieldSketches* sketches) const override {
    sketches->AppendMinHash(slot, batch.minhash.data() + i * static_cast<size_t>(num_perm));
  }
  // num_perm 32-bit values.
  void EncodeSketch(const SketchBatch& batch, size_t i, int num_perm,
                    std::string* out) const override {
    const size_t np = static_cast<size_t>(num_perm);
    PutRaw(batch.minhash.data() + i * np, np, out);
  }
  bool DecodeSketch(bool present, std::string_view* in, size_t i, int num_perm,
                    SketchBatch* batch) const override {
    if (!present) return true;
    const size_t np = static_cast<size_t>(num_perm);
    return TakeRaw(in, batch->minhash.data() + i * np, np);
  }

  absl::Status Candidates(const FieldRule& rule, const CandidateLimits& limits,
                          std::vector<CandidatePair>* rows,
                          CandidateStats* stats) const override {
    const FieldSketches& f = *rule.sketches;
    BucketStats b;
    SpillOptions spill;
    spill.memory_limit = limits.memory_limit_bytes;
    spill.temp_dir = limits.temp_dir;
    absl::StatusOr<std::vector<CandidatePair>> pairs = FindCandidatePairsPacked(
        f.packed_minhash(), f.num_perm(), f.rows(), rule.lsh, limits.max_bucket, spill, &b);
    if (!pairs.ok()) return pairs.status();
    *rows = std::move(*pairs);
    stats->buckets.Add(b);
    return absl::OkStatus();
  }
  float Similarity(const FieldSketches& s, uint32_t ra, uint32_t rb) const override {
    const size_t stride = PackedMinHashBytes(s.num_perm());
    const uint8_t* data = s.packed_minhash().data();
    return static_cast<float>(
        EstimateJaccardPacked(data + ra * stride, data + rb * stride, s.num_perm()));
  }
  // A packed signature spans several cache lines; a million of them are far larger than the
  // caches.
  void PrefetchSketch(const FieldSketches& s, uint32_t row) const override {
    const size_t stride = PackedMinHashBytes(s.num_perm());
    const uint8_t* p = s.packed_minhash().data() + row * stride;
    for (size_t off = 0; off < stride; off += 64) __builtin_prefetch(p + off);
    __builtin_prefetch(p + stride - 1);
  }
  float MinSimilarity(double threshold, int) const override {
    return static_cast<float>(threshold);
  }
  double ModelSketchBytes(double documents, double, int num_perm) const override {
    return documents * static_cast<double>(PackedMinHashBytes(num_perm));
  }
  // Each band being bucketed holds (key, document) records of 16 bytes; beyond the limit they
  // are sorted in runs on disk (lsh.h).
  double ModelSearchBytes(double documents, double, int bands_at_once,
                          double memory_limit) const override {
    return std::min(bands_at_once * documents * 16, memory_limit);
  }
};

// simhash: one 64-bit fingerprint; permuted tables; 1 - hamming/64.
class SimHashEngine final : public SketchEngine {
 public:
  Algorithm algorithm() const override { return Algorithm::kSimHash; }
  std::string_view name() const override { return "simhash"; }
  SimilarityKind similarity_kind() const override { return SimilarityKind::kHammingScore; }
  CandidateSearch candidate_search() const override { return CandidateSearch::kHammingTables; }

  void ResetBatch(size_t n, int, SketchBatch* batch) const override {
    ResetCommon(n, batch);
    batch->simhash.assign(n, 0);
  }
  void Sign(const SignContext& context, std::vector<uint64_t>* shingles, size_t i, int,
            SketchBatch* batch) const override {
    if (shingles->empty()) return;
    batch->present[i] = 1;
    batch->simhash[i] = SimHash64(*shingles, context.simhash_weight);
  }
  void Append(const SketchBatch& batch, size_t i, uint32_t slot, int,
              FieldSketches* sketches) const override {
    sketches->AppendSimHash(slot, batch.simhash[i]);
  }
  // The 64-bit fingerprint.
  void EncodeSketch(const SketchBatch& batch, size_t i, int, std::string* out) const override {
    PutRaw(&batch.simhash[i], 1, out);
  }
  bool DecodeSketch(bool present, std::string_view* in, size_t i, int,
                    SketchBatch* batch) const override {
    return !present || TakeRaw(in, &batch->simhash[i], 1);
  }

  absl::Status Candidates(const FieldRule& rule, const CandidateLimits& limits,
                          std::vector<CandidatePair>* rows,
                          CandidateStats* stats) const override {
    SimHashStats s;
    for (const Edge& e :
         FindSimHashPairs(rule.sketches->simhash(), rule.max_hamming, limits.max_bucket, &s)) {
      rows->push_back({e.a, e.b});
    }
    BucketStats b;
    b.buckets = s.buckets;
    b.largest_bucket = s.largest_bucket;
    b.oversized_buckets = s.oversized_buckets;
    b.pairs_not_generated = s.pairs_not_checked;
    b.pairs_emitted = s.candidates_checked;
    stats->buckets.Add(b);
    return absl::OkStatus();
  }
  float Similarity(const FieldSketches& s, uint32_t ra, uint32_t rb) const override {
    return SimHashSimilarity(HammingDistance(s.simhash()[ra], s.simhash()[rb]));
  }
  float MinSimilarity(double, int max_hamming) const override {
    return SimHashSimilarity(max_hamming);
  }
  double ModelSketchBytes(double documents, double, int) const override { return documents * 8; }
  // One table of 16-byte entries at a time.
  double ModelSearchBytes(double documents, double, int, double) const override {
    return documents * 16;
  }
};

// exact: the sorted shingle set itself; the prefix-filtering all-pairs join; exact Jaccard.
class ExactEngine final : public SketchEngine {
 public:
  Algorithm algorithm() const override { return Algorithm::kExact; }
  std::string_view name() const override { return "exact"; }
  SimilarityKind similarity_kind() const override { return SimilarityKind::kExactJaccard; }
  CandidateSearch candidate_search() const override { return CandidateSearch::kAllPairsJoin; }

  void ResetBatch(size_t n, int, SketchBatch* batch) const override { ResetCommon(n, batch); }
  // The set is recorded even when empty: record i's set ends where it begins.
  void Sign(const SignContext&, std::vector<uint64_t>* shingles, size_t i, int,
            SketchBatch* batch) const override {
    std::sort(shingles->begin(), shingles->end());
    shingles->erase(std::unique(shingles->begin(), shingles->end()), shingles->end());
    batch->tokens.insert(batch->tokens.end(), shingles->begin(), shingles->end());
    batch->token_ends[i] = batch->tokens.size();
    if (!shingles->empty()) batch->present[i] = 1;
  }
  void Append(const SketchBatch& batch, size_t i, uint32_t slot, int,
              FieldSketches* sketches) const override {
    const size_t begin = i == 0 ? 0 : batch.token_ends[i - 1];
    sketches->AppendSet(slot, absl::MakeConstSpan(batch.tokens.data() + begin,
                                                  batch.token_ends[i] - begin));
  }
  // The set's size (64 bits), then its hashes.
  void EncodeSketch(const SketchBatch& batch, size_t i, int, std::string* out) const override {
    const size_t begin = i == 0 ? 0 : batch.token_ends[i - 1];
    const uint64_t k = batch.token_ends[i] - begin;
    PutRaw(&k, 1, out);
    PutRaw(batch.tokens.data() + begin, k, out);
  }
  bool DecodeSketch(bool present, std::string_view* in, size_t i, int,
                    SketchBatch* batch) const override {
    batch->token_ends[i] = batch->tokens.size();
    if (!present) return true;
    uint64_t k = 0;
    if (!TakeRaw(in, &k, 1) || k > in->size() / sizeof(uint64_t)) return false;
    const size_t begin = batch->tokens.size();
    batch->tokens.resize(begin + static_cast<size_t>(k));
    if (!TakeRaw(in, batch->tokens.data() + begin, static_cast<size_t>(k))) return false;
    batch->token_ends[i] = batch->tokens.size();
    return true;
  }

  absl::Status Candidates(const FieldRule& rule, const CandidateLimits& limits,
                          std::vector<CandidatePair>* rows,
                          CandidateStats* stats) const override {
    AllPairsStats s;
    AllPairsLimits l;
    l.memory_budget_bytes = limits.memory_limit_bytes;
    auto edges = AllPairsJoin(rule.sketches->sets(), rule.threshold, l, &s);
    if (!edges.ok()) return edges.status();
    rows->reserve(rows->size() + edges->size());
    for (const Edge& e : *edges) rows->push_back({e.a, e.b});
    stats->exact_candidates += s.candidates;
    return absl::OkStatus();
  }
  float Similarity(const FieldSketches& s, uint32_t ra, uint32_t rb) const override {
    const SetCollection sets = s.sets();
    return SetSimilarity<uint64_t>(
        sets.tokens.subspan(sets.offsets[ra], sets.offsets[ra + 1] - sets.offsets[ra]),
        sets.tokens.subspan(sets.offsets[rb], sets.offsets[rb + 1] - sets.offsets[rb]),
        SimilarityMeasure::kJaccard);
  }
  float MinSimilarity(double threshold, int) const override {
    return static_cast<float>(threshold);
  }
  // The distinct shingle hashes (8 bytes each) and an offset (8).
  double ModelSketchBytes(double documents, double shingles, int) const override {
    return documents * shingles * 8 + documents * 8;
  }
  // About 40 bytes a shingle (allpairs.h EstimateAllPairsBytes).
  double ModelSearchBytes(double, double shingles, int, double) const override {
    return 40 * shingles;
  }
};

}  // namespace

const SketchEngine& SketchEngine::Get(Algorithm algorithm) {
  static const MinHashEngine minhash;
  static const SimHashEngine simhash;
  static const ExactEngine exact;
  switch (algorithm) {
    case Algorithm::kMinHash: return minhash;
    case Algorithm::kSimHash: return simhash;
    case Algorithm::kExact: return exact;
  }
  return minhash;
}

absl::StatusOr<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm a : {Algorithm::kMinHash, Algorithm::kSimHash, Algorithm::kExact}) {
    if (SketchEngine::Get(a).name() == name) return a;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "the engine must be minhash, simhash or exact, got \"", std::string(name), "\""));
}

std::string_view AlgorithmName(Algorithm algo) { return SketchEngine::Get(algo).name(); }

}  // namespace neardup
