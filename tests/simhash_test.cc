#include "neardup/sketch/simhash.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "internal/hash.h"
#include "neardup/text/shingle.h"
#include "tbb/global_control.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

const std::vector<uint64_t> kGoldenShingles = {
    0x0000000000000000ULL, 0x0000000000000001ULL, 0x0123456789ABCDEFULL,
    0xFFFFFFFFFFFFFFFFULL, 0xDEADBEEFCAFEBABEULL, 0x6E65617264757031ULL,
};

// SplitMix64 outputs from the state 0x73696D6861736831 ("simhash1").
std::vector<uint64_t> SplitMixHashes(size_t n) {
  uint64_t state = 0x73696D6861736831ULL;
  std::vector<uint64_t> out(n);
  for (auto& x : out) x = internal::SplitMix64(&state);
  return out;
}

TEST(SimHashTest, GoldenFingerprints) {
  // These literals pin stored fingerprints: if this test fails, fingerprints written by an earlier
  // version no longer compare equal to new ones. Change them only with a deliberate change of the
  // scheme in simhash.h. Generated independently of this code base (Python):
  //   def maj(xs): return sum(1 << i for i in range(64)
  //                           if 2 * sum((x >> i) & 1 for x in xs) > len(xs))
  //   maj(G); maj(G + [G[4], G[4], G[2]]); maj(1001 SplitMix64 outputs from "simhash1")
  // (6 hashes: a bit set in exactly 3 of them is a tie and stays 0.)
  EXPECT_EQ(SimHash64(kGoldenShingles), 0x0021006200200021ULL);
  std::vector<uint64_t> tf = kGoldenShingles;
  tf.insert(tf.end(), {kGoldenShingles[4], kGoldenShingles[4], kGoldenShingles[2]});
  EXPECT_EQ(SimHash64(tf, SimHashWeight::kTf), 0x4E252467C8FEB8BFULL);
  EXPECT_EQ(SimHash64(tf, SimHashWeight::kBinary), 0x0021006200200021ULL);
  // 1001 hashes: crosses the 255-hash flushes of the byte counters.
  EXPECT_EQ(SimHash64(SplitMixHashes(1001)), 0xA60769995A6B49D5ULL);
}

TEST(SimHashTest, IsTheBitwiseMajority) {
  const uint64_t a = 0xF0F0F0F0F0F0F0F0ULL, b = 0xFF00FF00FF00FF00ULL, c = 0x123456789ABCDEF0ULL;
  EXPECT_EQ(SimHash64({}), 0u);
  EXPECT_EQ(SimHash64(std::vector<uint64_t>{a}), a);
  EXPECT_EQ(SimHash64(std::vector<uint64_t>{a, b, c}), (a & b) | (a & c) | (b & c));
  EXPECT_EQ(SimHash64(std::vector<uint64_t>{a, b}), a & b);  // ties give 0
  // tf: the repeated hash outvotes; binary: it counts once.
  EXPECT_EQ(SimHash64(std::vector<uint64_t>{a, a, b}, SimHashWeight::kTf), a);
  EXPECT_EQ(SimHash64(std::vector<uint64_t>{a, a, b}, SimHashWeight::kBinary), a & b);
}

TEST(SimHashTest, IdenticalShingleSetsGiveIdenticalFingerprints) {
  const ShingleSpec spec{ShingleUnit::kChar, 5};
  std::vector<uint64_t> raw;
  Shingle("the quick brown fox jumps over the lazy dog, the quick brown fox", spec, kShingleSeed,
          &raw);
  std::vector<uint64_t> shuffled = raw;
  std::mt19937_64 rng(5);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  EXPECT_EQ(SimHash64(raw, SimHashWeight::kTf), SimHash64(shuffled, SimHashWeight::kTf));
  // Binary: unsorted with duplicates (deduplicated internally) == the sorted set.
  const std::vector<uint64_t> set = ShingleSet(
      "the quick brown fox jumps over the lazy dog, the quick brown fox", spec);
  EXPECT_EQ(SimHash64(shuffled, SimHashWeight::kBinary), SimHash64(set, SimHashWeight::kBinary));
  EXPECT_EQ(SimHash64(set, SimHashWeight::kTf), SimHash64(set, SimHashWeight::kBinary));
}

TEST(SimHashTest, SimilarTextsGetCloseFingerprints) {
  const ShingleSpec spec{ShingleUnit::kChar, 5};
  std::string base;
  for (int i = 0; i < 40; ++i) base += "sentence number " + std::to_string(i) + " of the story. ";
  std::string edited = base;
  edited.replace(100, 5, "XXXXX");
  std::vector<uint64_t> a, b, c;
  Shingle(base, spec, kShingleSeed, &a);
  Shingle(edited, spec, kShingleSeed, &b);
  Shingle("an entirely different text about something else, with other words in it", spec,
          kShingleSeed, &c);
  EXPECT_LE(HammingDistance(SimHash64(a), SimHash64(b)), 3);
  EXPECT_GT(HammingDistance(SimHash64(a), SimHash64(c)), 8);
}

TEST(SimHashTest, LayoutTableMatchesTheHeader) {
  struct Row {
    int k, blocks, tables, min_bits, max_bits;
  };
  const Row rows[] = {{0, 1, 1, 64, 64},   {1, 2, 2, 32, 32},   {2, 3, 3, 21, 22},
                      {3, 5, 10, 25, 26},  {4, 6, 15, 20, 22},  {5, 7, 21, 18, 19},
                      {6, 8, 28, 16, 16},  {7, 9, 36, 14, 15},  {8, 10, 45, 12, 14}};
  for (const Row& row : rows) {
    SCOPED_TRACE(testing::Message() << "K=" << row.k);
    const SimHashTableLayout layout = ChooseSimHashLayout(row.k);
    EXPECT_EQ(layout.max_hamming, row.k);
    EXPECT_EQ(layout.num_blocks, row.blocks);
    ASSERT_EQ(layout.num_tables(), row.tables);
    EXPECT_EQ(layout.min_key_bits(), row.min_bits);
    int max_bits = 0;
    for (uint64_t m : layout.table_masks) max_bits = std::max(max_bits, __builtin_popcountll(m));
    EXPECT_EQ(max_bits, row.max_bits);
    EXPECT_EQ(std::set<uint64_t>(layout.table_masks.begin(), layout.table_masks.end()).size(),
              layout.table_masks.size());
  }
}

// The pigeonhole guarantee: any difference of <= K bits leaves some table's key untouched.
// Exhaustive for K <= 2 (all 2,081 patterns of up to 2 bits), random patterns beyond.
TEST(SimHashTest, EveryDifferenceOfAtMostKBitsMissesSomeTable) {
  auto covered = [](const SimHashTableLayout& layout, uint64_t diff) {
    for (uint64_t m : layout.table_masks) {
      if ((diff & m) == 0) return true;
    }
    return false;
  };
  for (int k = 0; k <= 2; ++k) {
    const SimHashTableLayout layout = ChooseSimHashLayout(k);
    EXPECT_TRUE(covered(layout, 0));
    for (int i = 0; i < 64 && k >= 1; ++i) {
      EXPECT_TRUE(covered(layout, uint64_t{1} << i));
      for (int j = i + 1; j < 64 && k >= 2; ++j) {
        EXPECT_TRUE(covered(layout, (uint64_t{1} << i) | (uint64_t{1} << j)));
      }
    }
  }
  std::mt19937_64 rng(11);
  for (int k = 3; k <= kSimHashMaxHamming; ++k) {
    const SimHashTableLayout layout = ChooseSimHashLayout(k);
    for (int trial = 0; trial < 20000; ++trial) {
      uint64_t diff = 0;
      while (__builtin_popcountll(diff) < k) diff |= uint64_t{1} << (rng() % 64);
      ASSERT_TRUE(covered(layout, diff)) << "K=" << k << " diff=" << diff;
    }
  }
  // K + 1 bits, one in each of K = 2's three blocks, break every table.
  const SimHashTableLayout k2 = ChooseSimHashLayout(2);
  EXPECT_FALSE(covered(k2, (uint64_t{1} << 63) | (uint64_t{1} << 40) | uint64_t{1}));
}

// Random fingerprints plus planted near-duplicates at distances 0..10 (pairs and small groups).
std::vector<uint64_t> PlantedFingerprints(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> fps;
  fps.reserve(n);
  while (fps.size() < n) {
    const uint64_t base = rng();
    fps.push_back(base);
    if (rng() % 3 != 0) continue;
    const int copies = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < copies && fps.size() < n; ++c) {
      uint64_t x = base;
      const int flips = static_cast<int>(rng() % 11);
      for (int f = 0; f < flips; ++f) x ^= uint64_t{1} << (rng() % 64);
      fps.push_back(x);
    }
  }
  // Spread the groups over the index range so buckets are not runs of consecutive documents.
  std::shuffle(fps.begin(), fps.end(), rng);
  return fps;
}

struct Pair {
  uint32_t a, b;
  int distance;
  friend bool operator<(const Pair& x, const Pair& y) {
    return std::make_pair(x.a, x.b) < std::make_pair(y.a, y.b);
  }
};

// All pairs within `max_k` bits, by comparing every pair (in parallel; then sorted).
std::vector<Pair> BruteForcePairs(const std::vector<uint64_t>& fps, int max_k) {
  std::vector<std::vector<Pair>> rows(fps.size());
  tbb::parallel_for(size_t{0}, fps.size(), [&](size_t i) {
    for (size_t j = i + 1; j < fps.size(); ++j) {
      const int d = HammingDistance(fps[i], fps[j]);
      if (d <= max_k) rows[i].push_back({uint32_t(i), uint32_t(j), d});
    }
  });
  std::vector<Pair> out;
  for (auto& r : rows) out.insert(out.end(), r.begin(), r.end());
  return out;
}

TEST(SimHashTest, FindsExactlyTheBruteForcePairs) {
  const std::vector<uint64_t> fps = PlantedFingerprints(20000, 42);
  const std::vector<Pair> all = BruteForcePairs(fps, kSimHashMaxHamming);
  for (int k : {0, 1, 2, 3, 4, 6, 8}) {
    SCOPED_TRACE(testing::Message() << "K=" << k);
    std::vector<Pair> expected;
    for (const Pair& p : all) {
      if (p.distance <= k) expected.push_back(p);
    }
    SimHashStats stats;
    const std::vector<Edge> edges = FindSimHashPairs(fps, k, 1000, &stats);
    EXPECT_EQ(stats.oversized_buckets, 0u);
    EXPECT_EQ(stats.edges, edges.size());
    EXPECT_EQ(stats.tables, static_cast<uint64_t>(ChooseSimHashLayout(k).num_tables()));
    ASSERT_EQ(edges.size(), expected.size());
    for (size_t i = 0; i < edges.size(); ++i) {
      ASSERT_EQ(edges[i].a, expected[i].a) << i;
      ASSERT_EQ(edges[i].b, expected[i].b) << i;
      ASSERT_EQ(edges[i].similarity, SimHashSimilarity(expected[i].distance));
    }
    // Far from all pairs (2 * 10^8): the tables, not a scan, found them.
    EXPECT_LT(stats.candidates_checked, fps.size() * (fps.size() - 1) / 2 / 50);
    std::cout << "K=" << k << ": " << edges.size() << " pairs, " << stats.candidates_checked
              << " Hamming checks, " << stats.tables << " tables\n";
  }
}

TEST(SimHashTest, SameOutputAtOneAndTwoThreads) {
  const std::vector<uint64_t> fps = PlantedFingerprints(20000, 7);
  std::vector<Edge> one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = FindSimHashPairs(fps, 3, 1000, nullptr);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = FindSimHashPairs(fps, 3, 1000, nullptr);
  }
  ASSERT_EQ(one.size(), two.size());
  ASSERT_GT(one.size(), 0u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].a, two[i].a);
    EXPECT_EQ(one[i].b, two[i].b);
    EXPECT_EQ(one[i].similarity, two[i].similarity);
  }
}

TEST(SimHashTest, OversizedBucketsAreCappedAndCounted) {
  // 3,000 identical fingerprints (say, empty texts) among random ones: one bucket per table.
  std::mt19937_64 rng(3);
  std::vector<uint64_t> fps(5000);
  for (auto& x : fps) x = rng();
  const uint64_t boiler = 0x0123456789ABCDEFULL;
  for (size_t i = 0; i < fps.size(); i += 5) fps[i] = boiler;
  for (size_t i = 1; i < fps.size(); i += 5) fps[i] = boiler;
  for (size_t i = 2; i < fps.size(); i += 5) fps[i] = boiler;
  const uint64_t m = 3000;
  SimHashStats stats;
  const std::vector<Edge> edges = FindSimHashPairs(fps, 3, 100, &stats);
  const uint64_t tables = 10;
  EXPECT_EQ(stats.oversized_buckets, tables);
  EXPECT_EQ(stats.largest_bucket, m);
  EXPECT_EQ(stats.pairs_not_checked, tables * (m * (m - 1) / 2 - (2 * m - 3)));
  EXPECT_LE(stats.candidates_checked, tables * (2 * m - 3) + 1000);
  // The star and the chain, each pair once although every table found them.
  EXPECT_EQ(edges.size(), 2 * m - 3);
  for (size_t i = 1; i < edges.size(); ++i) {
    EXPECT_TRUE(edges[i - 1].a < edges[i].a ||
                (edges[i - 1].a == edges[i].a && edges[i - 1].b < edges[i].b));
  }
  for (const Edge& e : edges) {
    EXPECT_LT(e.a, e.b);
    EXPECT_EQ(e.similarity, 1.0f);
  }
}

TEST(SimHashTest, RejectsUnsupportedArguments) {
  EXPECT_TRUE(ValidateSimHashMaxHamming(0).ok());
  EXPECT_TRUE(ValidateSimHashMaxHamming(8).ok());
  EXPECT_FALSE(ValidateSimHashMaxHamming(9).ok());
  EXPECT_FALSE(ValidateSimHashMaxHamming(-1).ok());
  const std::vector<uint64_t> fps = {1, 1, 3};
  EXPECT_TRUE(FindSimHashPairs(fps, 9, 1000, nullptr).empty());
  EXPECT_TRUE(FindSimHashPairs(fps, 3, 1, nullptr).empty());
  EXPECT_TRUE(FindSimHashPairs(std::vector<uint64_t>{5}, 3, 1000, nullptr).empty());
  const std::vector<Edge> edges = FindSimHashPairs(fps, 1, 1000, nullptr);
  ASSERT_EQ(edges.size(), 3u);  // (0,1) d=0, (0,2) and (1,2) d=1
  EXPECT_EQ(edges[0].similarity, 1.0f);
  EXPECT_EQ(edges[1].similarity, 1.0f - 1.0f / 64);
}

TEST(SimHashTest, ExplicitLayoutsAgree) {
  // Any valid layout for the same K gives the same pairs (here: K = 3 over 4, 5 and 6 blocks).
  const std::vector<uint64_t> fps = PlantedFingerprints(5000, 9);
  const std::vector<Edge> ref = FindSimHashPairs(fps, 3, 1000, nullptr);
  for (int blocks : {4, 6}) {
    const SimHashTableLayout layout = MakeSimHashLayout(3, blocks);
    ASSERT_GT(layout.num_tables(), 0);
    const std::vector<Edge> got = FindSimHashPairs(fps, layout, 1000, nullptr);
    ASSERT_EQ(got.size(), ref.size()) << blocks;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].a, ref[i].a);
      EXPECT_EQ(got[i].b, ref[i].b);
    }
  }
}

}  // namespace
}  // namespace neardup
