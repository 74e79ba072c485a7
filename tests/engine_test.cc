// engine_test.cc: every engine (sketch/engine.h) on the production path -- signing into a batch,
// adding to FieldSketches, FindFieldCandidates and JudgeCandidates, as the pipeline calls them --
// against brute force over the same shingle sets, on a `neardup synth` corpus (after re2's
// testing/tester.h: each engine, one oracle).
//   exact    the edges are exactly the pairs with Jaccard >= T, with that Jaccard;
//   minhash  nearly every pair well above T is an edge, no pair well below T is one, and each
//            edge's similarity is the estimate of the two signatures;
//   simhash  the edges are exactly the pairs within the Hamming radius of each other.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/cluster/match.h"
#include "neardup/io/reader.h"
#include "neardup/options.h"
#include "neardup/sketch/engine.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/tools/synth.h"

namespace neardup {
namespace {

constexpr double kThreshold = 0.8;
constexpr int kMaxHamming = 4;

// The bodies of a synth corpus of planted near-duplicates (Korean and English pseudo-text),
// normalized as the pipeline does.
std::vector<std::string> SynthBodies(size_t documents) {
  SynthOptions o;
  o.seed = 7;
  o.documents = documents;
  o.doc_bytes = 300;
  o.dup_fraction = 0.6;
  o.edit_rate_min = 0.0;
  o.edit_rate_max = 0.08;
  std::ostringstream out;
  EXPECT_TRUE(GenerateCorpus(o, out).ok());
  RecordParser parser(Format::kJsonl, FieldNames{}, "synth.jsonl", {});
  const Normalizer normalizer;
  std::vector<std::string> bodies;
  std::istringstream in(out.str());
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    Document doc;
    EXPECT_TRUE(parser.Parse(line, ++number, &doc).ok()) << line;
    std::string normalized;
    normalizer.Normalize(doc.body, TextField::kBody, &normalized);
    bodies.push_back(std::move(normalized));
  }
  EXPECT_EQ(bodies.size(), documents);
  return bodies;
}

struct EngineRun {
  std::vector<std::vector<uint64_t>> sets;     // the oracle's: sorted, distinct shingles
  std::vector<std::vector<uint64_t>> shingles;  // what the engine was given
  FieldSketches sketches;
  std::vector<uint32_t> counts;
  std::vector<Edge> edges;
  uint64_t candidates = 0;

  explicit EngineRun(Algorithm algo) : sketches(algo, PipelineOptions{}.num_perm) {}
};

// The pipeline's steps for one field (Runner::SketchField, AppendSketch, Rule, FindEdges), with
// the bodies alone (--match body).
void RunEngine(const std::vector<std::string>& bodies, EngineRun* run) {
  PipelineOptions options;
  options.threshold = kThreshold;
  options.max_hamming = kMaxHamming;
  const SketchEngine& engine = SketchEngine::Get(run->sketches.algorithm());
  const MinHasher hasher(options.num_perm, options.minhash_seed, options.minhash_scheme);
  SignContext context;
  context.hasher = &hasher;
  context.simhash_weight = options.simhash_weight;

  const size_t n = bodies.size();
  SketchBatch batch;
  engine.ResetBatch(n, options.num_perm, &batch);
  std::vector<uint64_t> shingles;
  for (size_t i = 0; i < n; ++i) {
    Shingle(bodies[i], options.shingle, options.shingle_seed, &shingles);
    run->shingles.push_back(shingles);
    std::vector<uint64_t> set = shingles;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    run->sets.push_back(std::move(set));
    batch.counts[i] = static_cast<uint32_t>(shingles.size());
    engine.Sign(context, &shingles, i, options.num_perm, &batch);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint32_t slot = static_cast<uint32_t>(i);
    if (batch.present[i]) {
      engine.Append(batch, i, slot, options.num_perm, &run->sketches);
    } else {
      run->sketches.AppendEmpty(slot);
    }
    run->counts.push_back(batch.counts[i]);
  }

  FieldRule body;
  body.sketches = &run->sketches;
  body.threshold = options.threshold;
  body.lsh = options.EffectiveLsh();
  body.max_hamming = options.max_hamming;
  body.min_similarity = engine.MinSimilarity(options.threshold, options.max_hamming);
  body.shingle_counts = run->counts;
  const FieldRule title;  // no titles
  CandidateLimits limits;
  CandidateStats stats;
  auto candidates = FindFieldCandidates(MatchMode::kBody, title, body, limits, &stats);
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  run->candidates = candidates->size();
  run->edges = JudgeCandidates(*candidates, MatchMode::kBody, title, body, /*verify=*/true);
}

std::set<std::pair<uint32_t, uint32_t>> EdgeSet(const std::vector<Edge>& edges) {
  std::set<std::pair<uint32_t, uint32_t>> s;
  for (const Edge& e : edges) {
    EXPECT_LT(e.a, e.b);
    s.insert({e.a, e.b});
  }
  return s;
}

// Every pair (a < b) for which `keep(a, b)` holds, by brute force.
template <typename Keep>
std::set<std::pair<uint32_t, uint32_t>> AllPairs(size_t n, Keep keep) {
  std::set<std::pair<uint32_t, uint32_t>> s;
  for (uint32_t a = 0; a < n; ++a) {
    for (uint32_t b = a + 1; b < n; ++b) {
      if (keep(a, b)) s.insert({a, b});
    }
  }
  return s;
}

// The exact Jaccard of two sets, 0 without merging when their sizes alone rule out `at_least`.
double JaccardAtLeast(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b,
                      double at_least) {
  const double small = static_cast<double>(std::min(a.size(), b.size()));
  const double large = static_cast<double>(std::max(a.size(), b.size()));
  if (large == 0 || small < at_least * large) return 0;
  return ExactJaccard(a, b);
}

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bodies_ = new std::vector<std::string>(SynthBodies(900)); }
  static void TearDownTestSuite() { delete bodies_; }
  static const std::vector<std::string>& bodies() { return *bodies_; }

 private:
  static std::vector<std::string>* bodies_;
};
std::vector<std::string>* EngineTest::bodies_ = nullptr;

TEST_F(EngineTest, ExactFindsExactlyThePairsAtTheThreshold) {
  EngineRun run(Algorithm::kExact);
  RunEngine(bodies(), &run);
  const auto truth = AllPairs(bodies().size(), [&](uint32_t a, uint32_t b) {
    return JaccardAtLeast(run.sets[a], run.sets[b], kThreshold) >= kThreshold;
  });
  ASSERT_GT(truth.size(), 100u);  // the corpus plants enough near-duplicates to mean something
  EXPECT_EQ(EdgeSet(run.edges), truth);
  for (const Edge& e : run.edges) {
    EXPECT_FLOAT_EQ(e.similarity, static_cast<float>(ExactJaccard(run.sets[e.a], run.sets[e.b])));
  }
}

TEST_F(EngineTest, MinHashFindsThePairsWellAboveTheThresholdAndNoneWellBelow) {
  EngineRun run(Algorithm::kMinHash);
  RunEngine(bodies(), &run);
  const auto edges = EdgeSet(run.edges);
  const auto clear = AllPairs(bodies().size(), [&](uint32_t a, uint32_t b) {
    return JaccardAtLeast(run.sets[a], run.sets[b], kThreshold + 0.1) >= kThreshold + 0.1;
  });
  ASSERT_GT(clear.size(), 100u);
  size_t found = 0;
  for (const auto& p : clear) found += edges.count(p);
  // A pair at J >= 0.9 is a candidate with probability > 0.999 and its 128-entry estimate falls
  // below 0.8 with probability below 0.001.
  EXPECT_GE(static_cast<double>(found), 0.99 * static_cast<double>(clear.size()));
  const MinHasher hasher(PipelineOptions{}.num_perm);
  for (const Edge& e : run.edges) {
    EXPECT_GE(ExactJaccard(run.sets[e.a], run.sets[e.b]), kThreshold - 0.15)
        << e.a << " " << e.b << " estimated " << e.similarity;
    // The edge carries the signatures' estimate, the same the sketches give.
    EXPECT_EQ(e.similarity, run.sketches.Similarity(e.a, e.b));
    EXPECT_GE(e.similarity, static_cast<float>(kThreshold));
  }
}

TEST_F(EngineTest, SimHashFindsExactlyThePairsWithinTheHammingRadius) {
  EngineRun run(Algorithm::kSimHash);
  RunEngine(bodies(), &run);
  std::vector<uint64_t> fingerprints;
  for (const auto& s : run.shingles) fingerprints.push_back(SimHash64(s, SimHashWeight::kTf));
  const auto truth = AllPairs(bodies().size(), [&](uint32_t a, uint32_t b) {
    return !run.shingles[a].empty() && !run.shingles[b].empty() &&
           HammingDistance(fingerprints[a], fingerprints[b]) <= kMaxHamming;
  });
  ASSERT_GT(truth.size(), 50u);
  EXPECT_EQ(EdgeSet(run.edges), truth);
  for (const Edge& e : run.edges) {
    EXPECT_EQ(e.similarity,
              SimHashSimilarity(HammingDistance(fingerprints[e.a], fingerprints[e.b])));
  }
}

TEST_F(EngineTest, EachEngineSaysWhatItsSimilarityIs) {
  EXPECT_EQ(SketchEngine::Get(Algorithm::kMinHash).similarity_kind(),
            SimilarityKind::kEstimatedJaccard);
  EXPECT_EQ(SketchEngine::Get(Algorithm::kExact).similarity_kind(), SimilarityKind::kExactJaccard);
  EXPECT_EQ(SketchEngine::Get(Algorithm::kSimHash).similarity_kind(),
            SimilarityKind::kHammingScore);
  for (Algorithm a : {Algorithm::kMinHash, Algorithm::kSimHash, Algorithm::kExact}) {
    EXPECT_EQ(SketchEngine::Get(a).algorithm(), a);
  }
  EXPECT_EQ(SketchEngine::Get(Algorithm::kSimHash).MinSimilarity(0.8, 3), 1.0f - 3.0f / 64);
  EXPECT_EQ(SketchEngine::Get(Algorithm::kMinHash).MinSimilarity(0.8, 3), 0.8f);
}

}  // namespace
}  // namespace neardup
