#include "neardup/sketch/minhash.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "gtest/gtest.h"
#include "internal/hash.h"

namespace neardup {
namespace {

std::vector<uint32_t> SignOf(const MinHasher& h, const std::vector<uint64_t>& shingles) {
  std::vector<uint32_t> sig(static_cast<size_t>(h.num_perm()));
  h.Sign(shingles, absl::MakeSpan(sig));
  return sig;
}

// The documented scheme written out the slow, obvious way: a second implementation to check
// MinHasher::Sign against.
std::vector<uint32_t> ReferenceSign(int num_perm, uint64_t seed,
                                    const std::vector<uint64_t>& shingles) {
  std::vector<uint32_t> sig(static_cast<size_t>(num_perm), 0xFFFFFFFFu);
  uint64_t state = seed;
  for (int i = 0; i < num_perm; ++i) {
    const uint64_t a = internal::SplitMix64(&state) | 1;
    const uint64_t b = internal::SplitMix64(&state);
    for (uint64_t x : shingles) {
      const uint64_t h64 = a * x + b;  // wraps mod 2^64 by definition of uint64_t
      sig[static_cast<size_t>(i)] = std::min(sig[static_cast<size_t>(i)],
                                             static_cast<uint32_t>(h64 >> 32));
    }
  }
  return sig;
}

const std::vector<uint64_t> kGoldenShingles = {
    0x0000000000000000ULL, 0x0000000000000001ULL, 0x0123456789ABCDEFULL,
    0xFFFFFFFFFFFFFFFFULL, 0xDEADBEEFCAFEBABEULL, 0x6E65617264757031ULL,
};

TEST(MinHashTest, GoldenSignatureWithDefaultSeed) {
  // These literals pin stored signatures: if this test fails, signatures written by an earlier
  // version no longer compare equal to new ones. Change them only together with a deliberate
  // change of the MinHash scheme or of kMinHashSeed.
  // Generated independently of this code base from the formula in minhash.h (Python):
  //   M = 2**64 - 1; st = 0x6D696E6861736831; xs = kGoldenShingles
  //   def sm():  # SplitMix64
  //     global st; st = (st + 0x9E3779B97F4A7C15) & M; z = st
  //     z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
  //     z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M; return z ^ (z >> 31)
  //   for i in range(8): a = sm() | 1; b = sm(); print(min(((a*x + b) & M) >> 32 for x in xs))
  const uint32_t kExpected[8] = {0x0884C83CU, 0x1358CBEEU, 0x30EB0179U, 0x068A3F1FU,
                                 0x4BDA6112U, 0x2B002D5AU, 0x34ABFA1AU, 0x2B55DD60U};
  const std::vector<uint32_t> sig =
      SignOf(MinHasher(128, kMinHashSeed, MinHashScheme::kPermutations), kGoldenShingles);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(sig[static_cast<size_t>(i)], kExpected[i]) << "entry " << i;
}

TEST(MinHashTest, GoldenOnePermutationSignatureWithDefaultSeed) {
  // As above, for the default scheme. Generated independently (Python) from minhash.h:
  //   M = 2**64 - 1; seed = 0x6D696E6861736831; K = 128
  //   def mix(z):
  //     z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
  //     z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M; return z ^ (z >> 31)
  //   sig = [None] * K
  //   for x in xs: h = mix(x ^ seed); b = ((h >> 32) * K) >> 32; sig[b] = min(.., h & 0xFFFFFFFF)
  //   ps = mix(seed + 1); empty bin i copies sig[j] for the first t = 1, 2, ... with
  //   j = ((mix(ps ^ (i << 32 | t)) >> 32) * K) >> 32 and sig[j] filled.
  // The six shingles fill bins 14, 27, 45, 52, 61 and 98; entries 0-7 are all borrowed.
  const uint32_t kExpected[8] = {0xC0CED7A6U, 0x7581CDCDU, 0xD4057A4AU, 0xC0CED7A6U,
                                 0x7581CDCDU, 0xC0CED7A6U, 0xD4057A4AU, 0xD4057A4AU};
  const std::vector<uint32_t> sig = SignOf(MinHasher(128), kGoldenShingles);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(sig[static_cast<size_t>(i)], kExpected[i]) << "entry " << i;
}

// The one-permutation scheme written out the slow way, from minhash.h's description.
uint64_t TestMix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<uint32_t> ReferenceOnePermutation(int num_perm, uint64_t seed,
                                              const std::vector<uint64_t>& shingles) {
  const uint64_t k = static_cast<uint64_t>(num_perm);
  std::vector<uint32_t> bins(k, 0xFFFFFFFFu);
  std::vector<bool> filled(k, false);
  for (uint64_t x : shingles) {
    const uint64_t h = TestMix(x ^ seed);
    const uint64_t bin = ((h >> 32) * k) >> 32;
    bins[bin] = std::min(bins[bin], static_cast<uint32_t>(h & 0xFFFFFFFFu));
    filled[bin] = true;
  }
  if (shingles.empty()) return bins;
  std::vector<uint32_t> sig = bins;
  const uint64_t probe_seed = TestMix(seed + 1);
  for (uint64_t i = 0; i < k; ++i) {
    if (filled[i]) continue;
    for (uint64_t t = 1;; ++t) {
      const uint64_t j = ((TestMix(probe_seed ^ (i << 32 | t)) >> 32) * k) >> 32;
      if (filled[j]) {
        sig[i] = bins[j];
        break;
      }
    }
  }
  return sig;
}

TEST(MinHashTest, OnePermutationMatchesTheDocumentedFormula) {
  std::mt19937_64 rng(11);
  for (int num_perm : {1, 3, 64, 128, 200}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{17}, size_t{1000}}) {
      std::vector<uint64_t> shingles(n);
      for (auto& x : shingles) x = rng();
      const uint64_t seed = rng();
      EXPECT_EQ(SignOf(MinHasher(num_perm, seed), shingles),
                ReferenceOnePermutation(num_perm, seed, shingles))
          << "num_perm=" << num_perm << " n=" << n;
    }
  }
}

TEST(MinHashTest, SchemeNamesRoundTrip) {
  for (MinHashScheme s : {MinHashScheme::kOnePermutation, MinHashScheme::kPermutations}) {
    EXPECT_EQ(*ParseMinHashScheme(MinHashSchemeName(s)), s);
  }
  EXPECT_FALSE(ParseMinHashScheme("bogus").ok());
}

TEST(MinHashTest, DefaultSeedIsMinhash1BigEndian) {
  uint64_t v = 0;
  for (char c : std::string("minhash1")) v = (v << 8) | static_cast<unsigned char>(c);
  EXPECT_EQ(kMinHashSeed, v);
}

TEST(MinHashTest, SignMatchesTheDocumentedFormula) {
  std::mt19937_64 rng(7);
  for (int num_perm : {1, 3, 64, 128, 200}) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{17}, size_t{1000}}) {
      std::vector<uint64_t> shingles(n);
      for (auto& x : shingles) x = rng();
      const uint64_t seed = rng();
      EXPECT_EQ(SignOf(MinHasher(num_perm, seed, MinHashScheme::kPermutations), shingles),
                ReferenceSign(num_perm, seed, shingles))
          << "num_perm=" << num_perm << " n=" << n;
    }
  }
}

TEST(MinHashTest, EmptySetGivesAllOnes) {
  for (MinHashScheme s : {MinHashScheme::kOnePermutation, MinHashScheme::kPermutations}) {
    const std::vector<uint32_t> sig = SignOf(MinHasher(128, kMinHashSeed, s), {});
    EXPECT_EQ(sig, std::vector<uint32_t>(128, 0xFFFFFFFFu));
  }
}

TEST(MinHashTest, IdenticalShingleSetsGiveIdenticalSignatures) {
  const MinHasher h(128);
  const std::vector<uint64_t> set = {11, 22, 33, 44, 55};
  EXPECT_EQ(SignOf(h, set), SignOf(h, set));
  EXPECT_EQ(SignOf(h, set), SignOf(MinHasher(128), set));  // a new hasher, same seed
}

TEST(MinHashTest, OrderAndDuplicatesDoNotMatter) {
  const MinHasher h(128);
  std::mt19937_64 rng(1);
  std::vector<uint64_t> set(300);
  for (auto& x : set) x = rng();
  std::vector<uint64_t> shuffled_with_dups = set;
  shuffled_with_dups.insert(shuffled_with_dups.end(), set.begin(), set.begin() + 100);
  std::shuffle(shuffled_with_dups.begin(), shuffled_with_dups.end(), rng);
  EXPECT_EQ(SignOf(h, set), SignOf(h, shuffled_with_dups));
}

TEST(MinHashTest, DifferentSeedsGiveDifferentSignatures) {
  const std::vector<uint64_t> set = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_NE(SignOf(MinHasher(128, 1), set), SignOf(MinHasher(128, 2), set));
}

TEST(MinHashTest, MultipliersAreOdd) {
  // An even a_i would map x and x + 2^63 to the same value. Check through the effect: two sets
  // {x} and {x + 2^63} must disagree somewhere (with odd a_i, a*2^63 = 2^63 flips the top bit).
  const MinHasher h(128, kMinHashSeed, MinHashScheme::kPermutations);
  const auto s1 = SignOf(h, {12345});
  const auto s2 = SignOf(h, {12345 + (uint64_t{1} << 63)});
  for (size_t i = 0; i < s1.size(); ++i) EXPECT_NE(s1[i], s2[i]) << "entry " << i;
}

TEST(MinHashTest, PackingKeepsTheLow12BitsOfEveryEntry) {
  std::mt19937_64 rng(11);
  for (int num_perm : {1, 2, 3, 127, 128}) {
    std::vector<uint32_t> sig(static_cast<size_t>(num_perm));
    for (auto& v : sig) v = static_cast<uint32_t>(rng());
    std::vector<uint8_t> packed(PackedMinHashBytes(num_perm) + 1, 0xAB);
    PackMinHash(sig.data(), num_perm, packed.data());
    EXPECT_EQ(packed.back(), 0xAB) << "wrote past PackedMinHashBytes(" << num_perm << ")";
    for (int i = 0; i < num_perm; ++i) {
      EXPECT_EQ(PackedMinHashEntry(packed.data(), i), sig[static_cast<size_t>(i)] & 0xFFF)
          << num_perm << " entry " << i;
    }
  }
  // The documented layout: entries 0x123 and 0xABC give bytes 23 C1 AB.
  const uint32_t two[2] = {0xFFFFF123, 0xABC};
  uint8_t out[3];
  PackMinHash(two, 2, out);
  EXPECT_EQ(out[0], 0x23);
  EXPECT_EQ(out[1], 0xC1);
  EXPECT_EQ(out[2], 0xAB);
}

TEST(MinHashTest, PackedEstimateCountsEntriesAgreeingInTheirLow12Bits) {
  std::mt19937_64 rng(12);
  for (int num_perm : {1, 5, 64, 128}) {
    std::vector<uint32_t> a(static_cast<size_t>(num_perm)), b(a.size());
    int agree = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      a[i] = static_cast<uint32_t>(rng());
      switch (rng() % 4) {
        case 0: b[i] = a[i]; break;                      // equal
        case 1: b[i] = a[i] ^ 0x10000; break;            // differ above the kept bits: agree
        case 2: b[i] = a[i] ^ (1u << (rng() % 12)); break;  // differ in one kept bit
        default: b[i] = a[i] ^ 0x801; break;             // differ in both nibble halves
      }
      agree += (a[i] & 0xFFF) == (b[i] & 0xFFF);
    }
    std::vector<uint8_t> pa(PackedMinHashBytes(num_perm)), pb(pa.size());
    PackMinHash(a.data(), num_perm, pa.data());
    PackMinHash(b.data(), num_perm, pb.data());
    EXPECT_DOUBLE_EQ(EstimateJaccardPacked(pa.data(), pb.data(), num_perm),
                     static_cast<double>(agree) / num_perm)
        << num_perm;
    EXPECT_DOUBLE_EQ(EstimateJaccardPacked(pa.data(), pa.data(), num_perm), 1.0);
  }
}

TEST(MinHashTest, EstimateJaccardCountsAgreeingPositions) {
  const std::vector<uint32_t> a = {1, 2, 3, 4};
  const std::vector<uint32_t> b = {1, 9, 3, 9};
  EXPECT_DOUBLE_EQ(EstimateJaccard(a, b), 0.5);
  EXPECT_DOUBLE_EQ(EstimateJaccard(a, a), 1.0);
}

// Builds two sets with |A n B| = common and |A u B| = common + 2 * own, so J = common / union.
void MakePair(std::mt19937_64& rng, int common, int own, std::vector<uint64_t>* a,
              std::vector<uint64_t>* b) {
  std::unordered_set<uint64_t> used;
  auto fresh = [&] {
    uint64_t x;
    do x = rng();
    while (!used.insert(x).second);
    return x;
  };
  a->clear();
  b->clear();
  for (int i = 0; i < common; ++i) {
    const uint64_t x = fresh();
    a->push_back(x);
    b->push_back(x);
  }
  for (int i = 0; i < own; ++i) a->push_back(fresh());
  for (int i = 0; i < own; ++i) b->push_back(fresh());
}

// E|K/n - p| for K ~ Binomial(n, p): the mean absolute error of an ideal n-permutation MinHash.
double IdealMeanAbsError(double p, int n) {
  double sum = 0;
  for (int k = 0; k <= n; ++k) {
    const double log_pmf = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                           k * std::log(p) + (n - k) * std::log1p(-p);
    sum += std::exp(log_pmf) * std::fabs(static_cast<double>(k) / n - p);
  }
  return sum;
}

// Mean absolute error of `hasher`'s estimate against exact Jaccard over J = 0.2..0.9 (50 random
// pairs a level, union `union_size`), with the ideal binomial error and the mean bias beside it.
struct Accuracy {
  double mae = 0, ideal = 0, bias = 0, worst_level = 0;
  double packed_mae = 0;  // the same estimate from the stored 12-bit packed signatures
};
Accuracy MeasureAccuracy(const MinHasher& h, int union_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> a, b;
  double total_error = 0, total_signed = 0, total_ideal = 0, total_packed = 0;
  std::vector<uint8_t> pa(PackedMinHashBytes(h.num_perm())), pb(pa.size());
  int pairs = 0;
  Accuracy acc;
  for (double j = 0.2; j <= 0.9 + 1e-9; j += 0.1) {
    // common = j * union, own on each side = (union - common) / 2.
    const int common = static_cast<int>(std::lround(j * union_size));
    const int own = (union_size - common) / 2;
    const double exact = static_cast<double>(common) / (common + 2 * own);
    double err_j = 0;
    total_ideal += 50 * IdealMeanAbsError(exact, h.num_perm());
    for (int rep = 0; rep < 50; ++rep) {
      MakePair(rng, common, own, &a, &b);
      const std::vector<uint32_t> sa = SignOf(h, a), sb = SignOf(h, b);
      const double est = EstimateJaccard(sa, sb);
      err_j += std::fabs(est - exact);
      PackMinHash(sa.data(), h.num_perm(), pa.data());
      PackMinHash(sb.data(), h.num_perm(), pb.data());
      total_packed += std::fabs(EstimateJaccardPacked(pa.data(), pb.data(), h.num_perm()) - exact);
      total_signed += est - exact;
      ++pairs;
    }
    total_error += err_j;
    acc.worst_level = std::max(acc.worst_level, err_j / 50);
  }
  acc.mae = total_error / pairs;
  acc.packed_mae = total_packed / pairs;
  acc.ideal = total_ideal / pairs;
  acc.bias = total_signed / pairs;
  return acc;
}

class MinHashAccuracyTest : public ::testing::TestWithParam<std::tuple<MinHashScheme, int>> {};

TEST_P(MinHashAccuracyTest, EstimateIsAccurateForKnownJaccard) {
  const auto [scheme, union_size] = GetParam();
  const MinHasher h(128, kMinHashSeed, scheme);
  const Accuracy acc = MeasureAccuracy(h, union_size, 42);
  std::cout << MinHashSchemeName(scheme) << " MinHash(128), union " << union_size
            << ", J 0.2..0.9: mean absolute error " << acc.mae << " (ideal binomial " << acc.ideal
            << "), mean bias " << acc.bias << "; from 12-bit packed signatures " << acc.packed_mae
            << "\n";
  ::testing::Test::RecordProperty("mean_abs_error", std::to_string(acc.mae));
  // Per level, the mean absolute error of a binomial(128, J) estimate is about
  // 0.8 * sqrt(J(1-J)/128) <= 0.036.
  EXPECT_LT(acc.worst_level, 0.05);
  // An ideal 128-permutation MinHash has E|error| ~ 0.031 averaged over J = 0.2..0.9, so the
  // scheme must come close to ideal: within 3 standard errors (~0.004) of it, and unbiased.
  // The exception, and the reason titles are signed with permutations by default (options.h):
  // with one permutation and a union of 20-40 shingles (a headline) most of the 128 bins are
  // borrowed by densification, which costs accuracy (measured: 0.038 against 0.031); from about
  // 100 shingles on it is as good as ideal, and on larger sets better (sampling without
  // replacement: 0.027).
  const bool sparse = scheme == MinHashScheme::kOnePermutation && union_size < 100;
  EXPECT_LT(acc.mae, sparse ? 0.042 : 0.035);
  if (!sparse) EXPECT_LT(acc.mae, acc.ideal + 0.004);
  EXPECT_LT(std::fabs(acc.bias), 0.01);
  // Keeping 12 bits an entry adds at most (1 - J) / 4096 to an estimate (minhash.h).
  EXPECT_NEAR(acc.packed_mae, acc.mae, 0.001);
}

INSTANTIATE_TEST_SUITE_P(
    SchemesAndSizes, MinHashAccuracyTest,
    ::testing::Combine(::testing::Values(MinHashScheme::kOnePermutation,
                                         MinHashScheme::kPermutations),
                       ::testing::Values(20, 40, 100, 400, 4000)),
    [](const ::testing::TestParamInfo<MinHashAccuracyTest::ParamType>& info) {
      return std::string(std::get<0>(info.param) == MinHashScheme::kOnePermutation
                             ? "OnePermutation"
                             : "Permutations") +
             "Union" + std::to_string(std::get<1>(info.param));
    });

}  // namespace
}  // namespace neardup
