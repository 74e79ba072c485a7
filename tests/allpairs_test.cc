#include "neardup/candidates/allpairs.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "tbb/global_control.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

struct Expected {
  uint32_t a, b;
  double jaccard;
};

// Every pair of non-empty sets with ExactJaccard >= min_threshold (the slow oracle; parallel
// over rows, concatenated in row order, so sorted by (a, b)).
std::vector<Expected> BruteForce(const std::vector<std::vector<uint64_t>>& sets,
                                 double min_threshold) {
  std::vector<std::vector<Expected>> rows(sets.size());
  tbb::parallel_for(size_t{0}, sets.size(), [&](size_t i) {
    if (sets[i].empty()) return;
    for (size_t j = i + 1; j < sets.size(); ++j) {
      if (sets[j].empty()) continue;
      const double jac = ExactJaccard(sets[i], sets[j]);
      if (jac >= min_threshold) rows[i].push_back({uint32_t(i), uint32_t(j), jac});
    }
  });
  std::vector<Expected> out;
  for (auto& r : rows) out.insert(out.end(), r.begin(), r.end());
  return out;
}

OwnedSetCollection Collect(const std::vector<std::vector<uint64_t>>& sets) {
  OwnedSetCollection c;
  for (const auto& s : sets) c.Add(s);
  return c;
}

// Runs the join at each threshold and compares it with the oracle pair for pair.
void ExpectAgreesWithBruteForce(const std::vector<std::vector<uint64_t>>& sets,
                                const std::vector<double>& thresholds, const char* label) {
  const OwnedSetCollection coll = Collect(sets);
  double lowest = 1;
  for (double t : thresholds) lowest = std::min(lowest, t);
  const std::vector<Expected> all = BruteForce(sets, lowest);
  for (double t : thresholds) {
    SCOPED_TRACE(testing::Message() << label << " T=" << t);
    std::vector<Expected> expected;
    for (const Expected& e : all) {
      if (e.jaccard >= t) expected.push_back(e);
    }
    AllPairsStats stats;
    const absl::StatusOr<std::vector<Edge>> got = AllPairsJoin(coll.view(), t, {}, &stats);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ((*got)[i].a, expected[i].a) << i;
      ASSERT_EQ((*got)[i].b, expected[i].b) << i;
      ASSERT_EQ((*got)[i].similarity, static_cast<float>(expected[i].jaccard)) << i;
    }
    EXPECT_EQ(stats.pairs, expected.size());
    const uint64_t n = sets.size();
    std::cout << label << " T=" << t << ": " << stats.pairs << " pairs, " << stats.candidates
              << " verified of " << n * (n - 1) / 2 << " pairs, " << stats.index_probes
              << " index probes\n";
  }
}

// Random corpus: families of sets derived from a base set by dropping and adding tokens, so
// similarities spread over (0, 1]; sizes from 0 to ~80, many tiny ones. Tokens come from a
// skewed vocabulary whose hash order is unrelated to frequency.
std::vector<std::vector<uint64_t>> RandomCorpus(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> vocab(3000);
  for (auto& v : vocab) v = rng();
  auto word = [&] {
    // Squared uniform: low indices (frequent tokens) much likelier.
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return vocab[static_cast<size_t>(u * u * static_cast<double>(vocab.size()))];
  };
  auto normalize = [](std::vector<uint64_t>* s) {
    std::sort(s->begin(), s->end());
    s->erase(std::unique(s->begin(), s->end()), s->end());
  };
  std::vector<std::vector<uint64_t>> sets;
  while (sets.size() < n) {
    const int size_class = static_cast<int>(rng() % 4);
    const size_t size = size_class == 0 ? rng() % 4 : size_class == 1 ? 4 + rng() % 12
                                                                        : 10 + rng() % 70;
    std::vector<uint64_t> base;
    for (size_t i = 0; i < size; ++i) base.push_back(word());
    normalize(&base);
    sets.push_back(base);
    const int variants = static_cast<int>(rng() % 4);
    for (int v = 0; v < variants && sets.size() < n; ++v) {
      std::vector<uint64_t> s;
      const double keep = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
      for (uint64_t x : base) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) < keep) s.push_back(x);
      }
      const size_t extra = rng() % (base.size() / 4 + 2);
      for (size_t i = 0; i < extra; ++i) s.push_back(word());
      normalize(&s);
      sets.push_back(s);
    }
  }
  std::shuffle(sets.begin(), sets.end(), rng);
  return sets;
}

const std::vector<double> kThresholds = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};

TEST(AllPairsTest, AgreesWithBruteForceOnRandomCorpora) {
  for (uint64_t seed : {1, 2, 3}) {
    ExpectAgreesWithBruteForce(RandomCorpus(1200, seed), kThresholds,
                               ("random seed " + std::to_string(seed)).c_str());
  }
}

TEST(AllPairsTest, AgreesWithBruteForceOnTinySets) {
  // Sizes 1..3 over 6 tokens: many exact-threshold ties such as 1/2, 2/3, 1/3.
  std::mt19937_64 rng(17);
  std::vector<std::vector<uint64_t>> sets;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint64_t> s;
    const size_t size = 1 + rng() % 3;
    while (s.size() < size) {
      const uint64_t x = 1000 + rng() % 6;
      if (std::find(s.begin(), s.end(), x) == s.end()) s.push_back(x);
    }
    std::sort(s.begin(), s.end());
    sets.push_back(s);
  }
  ExpectAgreesWithBruteForce(sets, {0.3, 1.0 / 3, 0.5, 2.0 / 3, 0.75, 1.0}, "tiny");
}

// The value of "title" in one JSON Lines record (a tiny parser for the test data: handles the
// escapes \" \\ \/ \b \f \n \r \t and \uXXXX, with surrogate pairs).
bool ExtractTitle(std::string_view line, std::string* out) {
  const std::string_view key = "\"title\"";
  size_t p = line.find(key);
  if (p == std::string_view::npos) return false;
  p = line.find('"', line.find(':', p + key.size()));
  if (p == std::string_view::npos) return false;
  out->clear();
  auto hex4 = [&](size_t at, uint32_t* v) {
    if (at + 4 > line.size()) return false;
    *v = static_cast<uint32_t>(std::stoul(std::string(line.substr(at, 4)), nullptr, 16));
    return true;
  };
  auto put = [&](uint32_t c) {
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (c >> 12)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (c >> 18)));
      out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  };
  for (size_t i = p + 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') return true;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= line.size()) return false;
    switch (line[i]) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!hex4(i + 1, &cp)) return false;
        i += 4;
        uint32_t low;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < line.size() && line[i + 1] == '\\' &&
            line[i + 2] == 'u' && hex4(i + 3, &low) && low >= 0xDC00 && low < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        put(cp);
        break;
      }
      default: out->push_back(line[i]);  // \" \\ \/
    }
  }
  return false;
}

TEST(AllPairsTest, AgreesWithBruteForceOnKoreanEntertainmentTitles) {
  const std::string path =
      NEARDUP_SOURCE_DIR "/../shared/data/kocohub-ko-entertainment-titles/docs.jsonl";
  std::ifstream in(path);
  if (!in) FAIL() << "test data not found: " << path;
  const Normalizer normalizer;
  std::vector<std::string> titles;
  std::string line, title, norm;
  while (std::getline(in, line)) {
    if (!ExtractTitle(line, &title)) continue;
    normalizer.Normalize(title, TextField::kTitle, &norm);
    titles.push_back(norm);
  }
  ASSERT_GT(titles.size(), 1000u);
  for (int k : {3, 5}) {
    const ShingleSpec spec{ShingleUnit::kChar, k};
    std::vector<std::vector<uint64_t>> sets;
    for (const std::string& t : titles) sets.push_back(ShingleSet(t, spec));
    ExpectAgreesWithBruteForce(sets, {0.5, 0.8}, ("titles " + spec.ToString()).c_str());
  }
}

TEST(AllPairsTest, SameOutputAtOneAndTwoThreads) {
  const OwnedSetCollection coll = Collect(RandomCorpus(3000, 9));
  absl::StatusOr<std::vector<Edge>> one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = AllPairsJoin(coll.view(), 0.5, {}, nullptr);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = AllPairsJoin(coll.view(), 0.5, {}, nullptr);
  }
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_GT(one->size(), 0u);
  ASSERT_EQ(one->size(), two->size());
  for (size_t i = 0; i < one->size(); ++i) {
    EXPECT_EQ((*one)[i].a, (*two)[i].a);
    EXPECT_EQ((*one)[i].b, (*two)[i].b);
    EXPECT_EQ((*one)[i].similarity, (*two)[i].similarity);
  }
}

TEST(AllPairsTest, EmptySetsNeverPair) {
  const OwnedSetCollection coll = Collect({{}, {7}, {}, {7}, {}});
  AllPairsStats stats;
  const auto got = AllPairsJoin(coll.view(), 0.5, {}, &stats);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].a, 1u);
  EXPECT_EQ((*got)[0].b, 3u);
  EXPECT_EQ((*got)[0].similarity, 1.0f);
  EXPECT_EQ(stats.empty_documents, 3u);
  EXPECT_EQ(stats.distinct_tokens, 1u);
}

TEST(AllPairsTest, RejectsMalformedInput) {
  const OwnedSetCollection ok = Collect({{1, 2}, {2, 3}});
  EXPECT_EQ(AllPairsJoin(ok.view(), 0, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AllPairsJoin(ok.view(), 1.5, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<uint64_t> tokens = {2, 1, 3};
  const std::vector<uint64_t> unsorted_offsets = {0, 2, 3};
  EXPECT_EQ(AllPairsJoin({tokens, unsorted_offsets}, 0.5, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<uint64_t> short_offsets = {0, 1};
  EXPECT_EQ(AllPairsJoin({tokens, short_offsets}, 0.5, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  // No sets at all is fine.
  const auto none = AllPairsJoin(SetCollection{}, 0.5, {}, nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(AllPairsTest, TooLargeForTheBudgetIsResourceExhausted) {
  const OwnedSetCollection coll = Collect(RandomCorpus(2000, 4));
  const uint64_t estimate = EstimateAllPairsBytes(coll.view(), 0.5);
  ASSERT_GT(estimate, 0u);
  AllPairsLimits limits;
  limits.memory_budget_bytes = estimate - 1;
  AllPairsStats stats;
  const auto got = AllPairsJoin(coll.view(), 0.5, limits, &stats);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  const std::string msg(got.status().message());
  std::cout << msg << "\n";
  EXPECT_NE(msg.find("2000 documents"), std::string::npos);
  EXPECT_NE(msg.find("MiB"), std::string::npos);
  EXPECT_NE(msg.find("--algo minhash"), std::string::npos);
  EXPECT_NE(msg.find("--memory-limit"), std::string::npos);
  EXPECT_EQ(stats.estimated_bytes, estimate);
  limits.memory_budget_bytes = estimate + (uint64_t{1} << 20);
  EXPECT_TRUE(AllPairsJoin(coll.view(), 0.5, limits, nullptr).ok());
}

TEST(AllPairsTest, TooManyPairsForTheBudgetIsResourceExhausted) {
  // 2,000 copies of one set: 1,999,000 pairs at any threshold, ~48 MB of edges.
  std::vector<std::vector<uint64_t>> sets(2000, std::vector<uint64_t>{1, 2, 3, 4, 5});
  const OwnedSetCollection coll = Collect(sets);
  AllPairsLimits limits;
  limits.memory_budget_bytes = EstimateAllPairsBytes(coll.view(), 0.9) + (uint64_t{1} << 20);
  for (int threads : {1, 2}) {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, threads);
    const auto got = AllPairsJoin(coll.view(), 0.9, limits, nullptr);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
    const std::string msg(got.status().message());
    if (threads == 1) std::cout << msg << "\n";
    EXPECT_NE(msg.find("found more than"), std::string::npos);
    EXPECT_NE(msg.find("--memory-limit"), std::string::npos);
  }
}

}  // namespace
}  // namespace neardup
