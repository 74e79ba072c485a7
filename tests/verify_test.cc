#include "neardup/cluster/verify.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/candidates/lsh.h"
#include "neardup/sketch/minhash.h"
#include "tbb/global_control.h"

namespace neardup {
namespace {

// Three signatures of 4 entries: 0 and 1 agree on 3 of 4, 0 and 2 on 1 of 4, 1 and 2 on 2 of 4.
const std::vector<uint32_t> kSigs = {1, 2, 3, 4,  //
                                     1, 2, 3, 9,  //
                                     1, 8, 6, 9};

TEST(VerifyTest, KeepsCandidatesAtOrAboveTheThreshold) {
  const std::vector<CandidatePair> cands = {{0, 1}, {0, 2}, {1, 2}};
  const auto edges = VerifyCandidates(cands, kSigs, 4, 0.5, true);
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].a, 0u);
  EXPECT_EQ(edges[0].b, 1u);
  EXPECT_FLOAT_EQ(edges[0].similarity, 0.75f);
  EXPECT_EQ(edges[1].a, 1u);  // 0.5 >= 0.5: the threshold is inclusive
  EXPECT_EQ(edges[1].b, 2u);
  EXPECT_FLOAT_EQ(edges[1].similarity, 0.5f);
}

TEST(VerifyTest, WithoutVerificationEveryCandidateIsAnEdgeWithItsEstimate) {
  const std::vector<CandidatePair> cands = {{1, 2}, {0, 2}, {0, 1}};
  const auto edges = VerifyCandidates(cands, kSigs, 4, 0.99, false);
  ASSERT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges[0].a, 1u);
  EXPECT_FLOAT_EQ(edges[0].similarity, 0.5f);
  EXPECT_FLOAT_EQ(edges[1].similarity, 0.25f);
  EXPECT_FLOAT_EQ(edges[2].similarity, 0.75f);
}

TEST(VerifyTest, NoCandidatesGiveNoEdges) {
  EXPECT_TRUE(VerifyCandidates({}, kSigs, 4, 0.5, true).empty());
}

TEST(VerifyTest, OutputKeepsInputOrderAndIsTheSameAtAnyThreadCount) {
  // Many documents with signatures over a small alphabet; all pairs of the first 300 as
  // candidates, in a shuffled (not sorted) order.
  const int num_perm = 16;
  const size_t docs = 300;
  std::mt19937_64 rng(5);
  std::vector<uint32_t> sigs(docs * num_perm);
  for (auto& x : sigs) x = static_cast<uint32_t>(rng() % 2);
  std::vector<CandidatePair> cands;
  for (uint32_t a = 0; a < docs; ++a) {
    for (uint32_t b = a + 1; b < docs; ++b) cands.push_back({a, b});
  }
  std::shuffle(cands.begin(), cands.end(), rng);

  std::vector<Edge> one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = VerifyCandidates(cands, sigs, num_perm, 0.6, true);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = VerifyCandidates(cands, sigs, num_perm, 0.6, true);
  }
  // Serial reference: the same filter written as a plain loop.
  std::vector<Edge> want;
  for (const CandidatePair& c : cands) {
    const double s = EstimateJaccard(absl::MakeConstSpan(&sigs[c.a * num_perm], num_perm),
                                     absl::MakeConstSpan(&sigs[c.b * num_perm], num_perm));
    if (s >= 0.6) want.push_back({c.a, c.b, static_cast<float>(s)});
  }
  ASSERT_GT(want.size(), 1000u);
  ASSERT_LT(want.size(), cands.size());
  for (const auto* got : {&one, &two}) {
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*got)[i].a, want[i].a);
      EXPECT_EQ((*got)[i].b, want[i].b);
      EXPECT_EQ((*got)[i].similarity, want[i].similarity);
    }
  }
}

}  // namespace
}  // namespace neardup
