#include "neardup/candidates/lsh.h"
#include "neardup/sketch/minhash.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "internal/hash.h"
#include "scoped_dir.h"
#include "tbb/global_control.h"

namespace neardup {
namespace {

// A pair at exactly T = 0.8 must be a candidate with probability >= 0.99: 18 full bands of 7 rows
// give 0.986, 14 of 7 plus 5 of 6 give 0.992 (full bands alone would need 21 x 6).
TEST(LshTest, ChoosesSevenRowBandsPlusShortOnesForThreshold08) {
  const LshParams p = ChooseLshParams(0.8, 128);
  EXPECT_EQ(p.bands, 14);
  EXPECT_EQ(p.rows, 7);
  EXPECT_EQ(p.short_bands, 5);
  EXPECT_EQ(p.entries(), 128);
  EXPECT_GE(CandidateProbability(0.8, p), 0.99);
  EXPECT_LT(CandidateProbability(0.8, LshParams{18, 7}), 0.99);
  EXPECT_LT(CandidateProbability(0.8, LshParams{14, 7, 4}), 0.99);
}

// The default threshold: 25 x 5 reaches only 0.98995, so full bands alone would take 32 x 4;
// one short band of 4 rows is enough, with under a third of their false candidates at s = 0.3.
TEST(LshTest, ChoosesFiveRowBandsPlusOneShortBandForThreshold07) {
  const LshParams p = ChooseLshParams(0.7, 128);
  EXPECT_EQ(p.bands, 24);
  EXPECT_EQ(p.rows, 5);
  EXPECT_EQ(p.short_bands, 1);
  EXPECT_LT(CandidateProbability(0.7, LshParams{25, 5}), 0.99);
  EXPECT_GE(CandidateProbability(0.7, p), 0.99);
  EXPECT_LT(CandidateProbability(0.3, p), CandidateProbability(0.3, LshParams{32, 4}) / 3);
}

// The rule in lsh.h, applied by trying every (r, b, short bands): the oracle for ChooseLshParams.
LshParams BruteForceChoice(double threshold, int num_perm) {
  const double s = LshRecallTarget(threshold);
  LshParams best{0, 0, 0};
  for (int r = 1; r <= num_perm; ++r) {
    for (int sb = 0; r >= 2 ? sb * (r - 1) <= num_perm : sb == 0; ++sb) {
      for (int b = 1; b * r + sb * (r - 1) <= num_perm; ++b) {
        const double p =
            1 - std::pow(1 - std::pow(s, r), b) * std::pow(1 - std::pow(s, r - 1), sb);
        if (p < kLshMinRecall) continue;
        const bool better =
            r > best.rows ||
            (r == best.rows && (sb < best.short_bands || (sb == best.short_bands && b > best.bands)));
        if (best.rows == 0 || better) best = {b, r, sb};
      }
    }
  }
  if (best.rows == 0) best = {num_perm, 1, 0};
  return best;
}

// Regression: with the target min(1, T + 0.05), T >= 0.95 aimed at similarity 1, where every
// banding qualifies, and the rule picked 1 band of 128 rows (P(0.95) = 0.0014).
TEST(LshTest, HighThresholdsStillFindPairsJustAboveThem) {
  for (double t : {0.95, 0.97, 0.99}) {
    const LshParams p = ChooseLshParams(t, 128);
    SCOPED_TRACE(testing::Message() << "threshold " << t);
    EXPECT_GT(p.bands, 1);
    EXPECT_GE(CandidateProbability((1 + t) / 2, p), kLshMinRecall);
  }
}

TEST(LshTest, RecallConstraintHoldsForThresholdsFrom05To095) {
  for (int num_perm : {64, 128, 256}) {
    for (int step = 0; step <= 9; ++step) {
      const double t = 0.5 + 0.05 * step;
      const LshParams p = ChooseLshParams(t, num_perm);
      SCOPED_TRACE(testing::Message() << "threshold " << t << " num_perm " << num_perm);
      EXPECT_TRUE(ValidateLshParams(p, num_perm).ok());
      const double recall = CandidateProbability(LshRecallTarget(t), p);
      EXPECT_GE(recall, kLshMinRecall);
      // One more row (with as many bands as then fit) would break the constraint: r is maximal.
      const LshParams more_rows{num_perm / (p.rows + 1), p.rows + 1};
      if (more_rows.bands >= 1) {
        EXPECT_LT(CandidateProbability(LshRecallTarget(t), more_rows), kLshMinRecall);
      }
      const LshParams oracle = BruteForceChoice(t, num_perm);
      EXPECT_EQ(p.bands, oracle.bands);
      EXPECT_EQ(p.rows, oracle.rows);
      EXPECT_EQ(p.short_bands, oracle.short_bands);
      if (num_perm == 128) {
        std::cout << "T=" << t << " num_perm=128: " << DescribeBanding(p)
                  << " P(T+0.05)=" << recall << " P(T)=" << CandidateProbability(t, p)
                  << " P(T-0.2)=" << CandidateProbability(t - 0.2, p) << "\n";
      }
    }
  }
}

TEST(LshTest, FallsBackToOneRowWhenNoChoiceReachesTheRecallTarget) {
  const LshParams p = ChooseLshParams(0.1, 4);  // P(0.15) with b=4, r=1 is only 0.48
  EXPECT_EQ(p.bands, 4);
  EXPECT_EQ(p.rows, 1);
}

TEST(LshTest, ThresholdOneUsesASingleBandOfAllRows) {
  const LshParams p = ChooseLshParams(1.0, 128);
  EXPECT_EQ(p.bands, 1);
  EXPECT_EQ(p.rows, 128);
}

TEST(LshTest, CandidateProbabilityFollowsTheSCurve) {
  const LshParams p{14, 9};
  EXPECT_DOUBLE_EQ(CandidateProbability(0.0, p), 0.0);
  EXPECT_DOUBLE_EQ(CandidateProbability(1.0, p), 1.0);
  for (double s = 0.05; s < 1; s += 0.05) {
    EXPECT_NEAR(CandidateProbability(s, p), 1 - std::pow(1 - std::pow(s, 9), 14), 1e-12);
    EXPECT_LT(CandidateProbability(s, p), CandidateProbability(s + 0.05, p));
  }
  const LshParams mixed{24, 5, 1};
  for (double s = 0.05; s < 1; s += 0.05) {
    EXPECT_NEAR(CandidateProbability(s, mixed),
                1 - std::pow(1 - std::pow(s, 5), 24) * (1 - std::pow(s, 4)), 1e-12);
  }
}

TEST(LshTest, ValidateRejectsNonPositiveOrTooManyPermutations) {
  EXPECT_TRUE(ValidateLshParams({16, 8}, 128).ok());
  EXPECT_TRUE(ValidateLshParams({1, 1}, 1).ok());
  EXPECT_FALSE(ValidateLshParams({0, 8}, 128).ok());
  EXPECT_FALSE(ValidateLshParams({8, 0}, 128).ok());
  EXPECT_FALSE(ValidateLshParams({-1, 8}, 128).ok());
  EXPECT_FALSE(ValidateLshParams({17, 8}, 128).ok());
  EXPECT_EQ(ValidateLshParams({17, 8}, 128).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateLshParams({24, 5, 2}, 128).ok());   // 120 + 8
  EXPECT_FALSE(ValidateLshParams({24, 5, 3}, 128).ok());  // 120 + 12
  EXPECT_FALSE(ValidateLshParams({24, 5, -1}, 128).ok());
  EXPECT_FALSE(ValidateLshParams({4, 1, 1}, 128).ok());   // a band of no rows
}

TEST(LshTest, DescribesTheBanding) {
  EXPECT_EQ(DescribeBanding({32, 4}), "32 bands x 4 rows");
  EXPECT_EQ(DescribeBanding({24, 5, 1}), "24 bands x 5 rows + 1 band x 4 rows");
  EXPECT_EQ(DescribeBanding({1, 2, 3}), "1 band x 2 rows + 3 bands x 1 row");
}

TEST(LshTest, BandKeyIsXxh3OfTheBandsLow12BitsSeededWithTheBandIndex) {
  const std::vector<uint16_t> low = {1, 2, 3, 4, 5, 6, 1, 2, 3};
  // Bits above the 12 kept ones do not matter.
  const std::vector<uint32_t> sig = {0x10001, 0x2F002, 0xFFFFF003, 4, 5, 6, 1, 2, 3};
  const LshParams three{3, 3};
  EXPECT_EQ(BandKey(sig, three, 1), internal::Hash64(low.data() + 3, 6, 1));
  EXPECT_EQ(BandKey(sig, three, 0), internal::Hash64(low.data(), 6, 0));
  // Equal content in different bands gives different keys: the seed separates bands.
  EXPECT_NE(BandKey(sig, three, 0), BandKey(sig, three, 2));
  // Short bands follow the full ones: one band of 3 rows, then three of 2 (entries 3-4, 5-6,
  // 7-8), each seeded with its index among all bands.
  const LshParams mixed{1, 3, 3};
  EXPECT_EQ(BandKey(sig, mixed, 0), internal::Hash64(low.data(), 6, 0));
  EXPECT_EQ(BandKey(sig, mixed, 1), internal::Hash64(low.data() + 3, 4, 1));
  EXPECT_EQ(BandKey(sig, mixed, 3), internal::Hash64(low.data() + 7, 4, 3));
  // The packed form keys alike, at odd offsets too.
  std::vector<uint8_t> packed(PackedMinHashBytes(9));
  PackMinHash(sig.data(), 9, packed.data());
  for (int band = 0; band < 3; ++band) {
    EXPECT_EQ(PackedBandKey(packed.data(), three, band), BandKey(sig, three, band)) << band;
  }
  for (int band = 0; band < 4; ++band) {
    EXPECT_EQ(PackedBandKey(packed.data(), mixed, band), BandKey(sig, mixed, band)) << band;
  }
}

TEST(LshTest, PackedSignaturesGiveTheSamePairsAsTheirWideForm) {
  for (int num_perm : {16, 15}) {  // an odd num_perm leaves a half-filled last group
    std::mt19937_64 rng(5);
    const size_t docs = 300;
    std::vector<uint32_t> wide(docs * static_cast<size_t>(num_perm));
    // Low bits from a tiny alphabet (bands collide often), random high bits that must not count.
    for (auto& v : wide) v = static_cast<uint32_t>(rng() % 4) | static_cast<uint32_t>(rng()) << 12;
    const size_t stride = PackedMinHashBytes(num_perm);
    std::vector<uint8_t> packed(docs * stride);
    for (size_t d = 0; d < docs; ++d) {
      PackMinHash(wide.data() + d * num_perm, num_perm, packed.data() + d * stride);
    }
    for (const LshParams params : {LshParams{3, 5}, LshParams{1, 5, 2}}) {
    const auto a = FindCandidatePairs(absl::MakeConstSpan(wide), num_perm, docs, params, 1000,
                                      nullptr);
    const auto b = FindCandidatePairsPacked(absl::MakeConstSpan(packed), num_perm, docs, params,
                                            1000, nullptr);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b) << num_perm;
    // Too short an array gives nothing rather than reading past it.
    EXPECT_TRUE(FindCandidatePairsPacked(absl::MakeConstSpan(packed.data(), packed.size() - 1),
                                         num_perm, docs, params, 1000, nullptr)
                    .empty());
    }
  }
}

// Random signatures over a tiny alphabet so that bands collide often; some documents are
// mutated copies of others so that large buckets and multi-band matches occur too.
std::vector<uint32_t> RandomSignatures(size_t docs, int num_perm, uint32_t alphabet,
                                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> sigs(docs * static_cast<size_t>(num_perm));
  for (size_t d = 0; d < docs; ++d) {
    uint32_t* s = &sigs[d * static_cast<size_t>(num_perm)];
    if (d > 0 && rng() % 3 == 0) {
      const uint32_t* src = &sigs[(rng() % d) * static_cast<size_t>(num_perm)];
      for (int i = 0; i < num_perm; ++i) {
        s[i] = rng() % 4 == 0 ? static_cast<uint32_t>(rng()) : src[i];
      }
    } else {
      for (int i = 0; i < num_perm; ++i) s[i] = static_cast<uint32_t>(rng() % alphabet);
    }
  }
  return sigs;
}

std::vector<CandidatePair> BruteForceShareABand(const std::vector<uint32_t>& sigs, int num_perm,
                                                size_t docs, const LshParams& p) {
  std::vector<CandidatePair> out;
  for (size_t a = 0; a < docs; ++a) {
    for (size_t b = a + 1; b < docs; ++b) {
      // Full bands of p.rows entries, then short ones of p.rows - 1, written out here apart
      // from LshParams' own band_begin/band_rows.
      for (int band = 0; band < p.bands + p.short_bands; ++band) {
        const int rows = band < p.bands ? p.rows : p.rows - 1;
        const size_t begin = band < p.bands
                                 ? static_cast<size_t>(band * p.rows)
                                 : static_cast<size_t>(p.bands * p.rows +
                                                       (band - p.bands) * (p.rows - 1));
        const uint32_t* x = &sigs[a * num_perm + begin];
        const uint32_t* y = &sigs[b * num_perm + begin];
        if (std::equal(x, x + rows, y)) {
          out.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b)});
          break;
        }
      }
    }
  }
  return out;  // generated in sorted order
}

TEST(LshTest, CandidatesEqualBruteForceShareABandScan) {
  struct Case {
    size_t docs;
    int num_perm;
    LshParams params;
    uint32_t alphabet;
  };
  for (const Case& c : {Case{400, 12, {4, 3}, 3}, Case{600, 20, {6, 3}, 4},
                        Case{300, 128, {14, 9}, 2}, Case{500, 16, {3, 5}, 2},
                        Case{500, 21, {2, 5, 2}, 3}, Case{400, 128, {14, 7, 5}, 2}}) {
    const auto sigs = RandomSignatures(c.docs, c.num_perm, c.alphabet, c.docs);
    BucketStats stats;
    const auto got = FindCandidatePairs(sigs, c.num_perm, c.docs, c.params, c.docs, &stats);
    const auto want = BruteForceShareABand(sigs, c.num_perm, c.docs, c.params);
    EXPECT_EQ(got, want) << "docs=" << c.docs << " b=" << c.params.bands;
    EXPECT_GT(want.size(), c.docs);  // the case exercises real collisions
    EXPECT_EQ(stats.oversized_buckets, 0u);
    EXPECT_EQ(stats.pairs_not_generated, 0u);
    EXPECT_GE(stats.pairs_emitted, got.size());
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
    for (const CandidatePair& p : got) EXPECT_LT(p.a, p.b);
  }
}

TEST(LshTest, EntriesPastTheLastBandAreIgnored) {
  // 2 bands x 3 rows of 8 entries: documents differ only in entries 6 and 7.
  std::vector<uint32_t> sigs = {1, 2, 3, 4, 5, 6, 7, 8,  //
                                1, 2, 3, 4, 5, 6, 9, 9};
  const auto got = FindCandidatePairs(sigs, 8, 2, {2, 3}, 100, nullptr);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (CandidatePair{0, 1}));
}

TEST(LshTest, ResultAndStatsAreIdenticalAtOneAndTwoThreads) {
  const size_t docs = 3000;
  const auto sigs = RandomSignatures(docs, 32, 3, 99);
  const LshParams p{8, 4};
  std::vector<CandidatePair> one, two;
  BucketStats s1, s2;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = FindCandidatePairs(sigs, 32, docs, p, 20, &s1);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    two = FindCandidatePairs(sigs, 32, docs, p, 20, &s2);
  }
  EXPECT_GT(one.size(), docs);
  EXPECT_GT(s1.oversized_buckets, 0u);  // the cap is exercised too
  EXPECT_EQ(one, two);
  EXPECT_EQ(s1.buckets, s2.buckets);
  EXPECT_EQ(s1.largest_bucket, s2.largest_bucket);
  EXPECT_EQ(s1.oversized_buckets, s2.oversized_buckets);
  EXPECT_EQ(s1.pairs_not_generated, s2.pairs_not_generated);
  EXPECT_EQ(s1.pairs_emitted, s2.pairs_emitted);
}

// Packs 32-bit signatures as FieldSketches stores them.
std::vector<uint8_t> Pack(const std::vector<uint32_t>& sigs, int num_perm) {
  const size_t docs = sigs.size() / static_cast<size_t>(num_perm);
  const size_t stride = PackedMinHashBytes(num_perm);
  std::vector<uint8_t> packed(docs * stride);
  for (size_t d = 0; d < docs; ++d) {
    PackMinHash(sigs.data() + d * num_perm, num_perm, packed.data() + d * stride);
  }
  return packed;
}

TEST(LshTest, SpillingBandKeysToDiskGivesTheSamePairsAndStats) {
  // 200,000 documents: a band's keys take 3.2 MB, so a 1 MiB limit sorts each band in runs of
  // 65,536 records (band_sorter.h's smallest chunk is 64 KiB; 1 MiB gives 4 runs a band), and a
  // 4 MiB limit fits one band but not two side by side (bands then run one at a time).
  const size_t docs = 200000;
  const int num_perm = 16;
  const auto sigs = RandomSignatures(docs, num_perm, 64, 7);
  const auto packed = Pack(sigs, num_perm);
  const LshParams p{4, 4};
  const testing_util::ScopedDir scoped("neardup_lsh_spill");
  const std::string& dir = scoped.path();
  ASSERT_FALSE(dir.empty());
  BucketStats in_memory;
  const auto want =
      FindCandidatePairsPacked(packed, num_perm, docs, p, 50, SpillOptions{}, &in_memory);
  ASSERT_TRUE(want.ok());
  EXPECT_GT(want->size(), docs / 10);
  EXPECT_EQ(in_memory.spilled_runs, 0u);
  EXPECT_EQ(in_memory.spilled_bytes, 0u);
  for (uint64_t limit : {uint64_t{1} << 20, uint64_t{4} << 20}) {
    for (int threads : {1, 2}) {
      tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
      SpillOptions spill;
      spill.memory_limit = limit;
      spill.temp_dir = dir;
      BucketStats st;
      const auto got = FindCandidatePairsPacked(packed, num_perm, docs, p, 50, spill, &st);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, *want) << "limit " << limit << ", " << threads << " threads";
      EXPECT_EQ(st.buckets, in_memory.buckets);
      EXPECT_EQ(st.largest_bucket, in_memory.largest_bucket);
      EXPECT_EQ(st.oversized_buckets, in_memory.oversized_buckets);
      EXPECT_EQ(st.pairs_not_generated, in_memory.pairs_not_generated);
      EXPECT_EQ(st.pairs_emitted, in_memory.pairs_emitted);
      if (limit == (uint64_t{1} << 20)) {
        // Every band spilled: 4 runs of 12-byte records each.
        EXPECT_EQ(st.spilled_runs, 4u * p.bands);
        EXPECT_EQ(st.spilled_bytes, 12u * docs * p.bands);
      } else {
        EXPECT_EQ(st.spilled_runs, 0u);
      }
    }
  }
  EXPECT_TRUE(testing_util::Listing(dir).empty()) << "spill files left in " << dir;
}

TEST(LshTest, SpillToAMissingDirectoryFailsNamingIt) {
  const size_t docs = 100000;
  const auto sigs = RandomSignatures(docs, 8, 16, 3);
  SpillOptions spill;
  spill.memory_limit = uint64_t{1} << 20;
  spill.temp_dir = "/nonexistent/neardup-spill";
  const auto got = FindCandidatePairsPacked(Pack(sigs, 8), 8, docs, {2, 4}, 50, spill, nullptr);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("/nonexistent/neardup-spill"), std::string::npos)
      << got.status();
  // Within the limit nothing is written, so the directory is never needed.
  spill.memory_limit = uint64_t{64} << 20;
  EXPECT_TRUE(
      FindCandidatePairsPacked(Pack(sigs, 8), 8, docs, {2, 4}, 50, spill, nullptr).ok());
}

TEST(LshTest, OversizedBucketYieldsStarAndChainPairsAndIsCounted) {
  // m identical documents at indices 0, 3, 6, ... among documents that collide with nothing.
  const int num_perm = 8;
  const LshParams p{2, 4};
  const size_t m = 10;
  const size_t docs = 3 * m;
  std::vector<uint32_t> sigs(docs * num_perm);
  std::vector<uint32_t> members;
  for (size_t d = 0; d < docs; ++d) {
    for (int i = 0; i < num_perm; ++i) {
      sigs[d * num_perm + i] = d % 3 == 0 ? 7u : static_cast<uint32_t>(1000 + d * num_perm + i);
    }
    if (d % 3 == 0) members.push_back(static_cast<uint32_t>(d));
  }
  BucketStats stats;
  const auto got = FindCandidatePairs(sigs, num_perm, docs, p, /*max_bucket=*/5, &stats);
  std::vector<CandidatePair> want;
  for (size_t j = 1; j < m; ++j) want.push_back({members[0], members[j]});
  for (size_t j = 1; j + 1 < m; ++j) want.push_back({members[j], members[j + 1]});
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got.size(), 2 * m - 3);
  EXPECT_EQ(got, want);
  // The bucket appears in both bands.
  EXPECT_EQ(stats.buckets, 2u);
  EXPECT_EQ(stats.oversized_buckets, 2u);
  EXPECT_EQ(stats.largest_bucket, m);
  EXPECT_EQ(stats.pairs_emitted, 2 * (2 * m - 3));
  EXPECT_EQ(stats.pairs_not_generated, 2 * (m * (m - 1) / 2 - (2 * m - 3)));
}

TEST(LshTest, BucketAtTheCapYieldsAllItsPairs) {
  const int num_perm = 4;
  const size_t m = 6;
  std::vector<uint32_t> sigs(m * num_perm, 5u);
  BucketStats stats;
  const auto got = FindCandidatePairs(sigs, num_perm, m, {1, 4}, /*max_bucket=*/m, &stats);
  EXPECT_EQ(got.size(), m * (m - 1) / 2);
  EXPECT_EQ(stats.oversized_buckets, 0u);
  EXPECT_EQ(stats.buckets, 1u);
}

TEST(LshTest, InvalidArgumentsGiveNoPairs) {
  const std::vector<uint32_t> sigs(16, 1u);
  BucketStats stats;
  stats.buckets = 99;
  EXPECT_TRUE(FindCandidatePairs(sigs, 8, 2, {3, 3}, 10, &stats).empty());  // 9 > 8
  EXPECT_EQ(stats.buckets, 0u);
  EXPECT_TRUE(FindCandidatePairs(sigs, 8, 3, {2, 4}, 10, nullptr).empty());  // too few entries
  EXPECT_TRUE(FindCandidatePairs(sigs, 8, 0, {2, 4}, 10, nullptr).empty());
  EXPECT_EQ(FindCandidatePairs(sigs, 8, 2, {2, 4}, 10, nullptr).size(), 1u);
}

}  // namespace
}  // namespace neardup
