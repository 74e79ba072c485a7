// How fields decide a pair (match.h): Decide for every MatchMode against a slow reading of the
// header's mode list, JudgePair on exact-engine sketches (the production path from sets to a
// verdict, long bodies told apart by shingle counts, containment from the counts), SetSimilarity
// against brute-force set arithmetic, and the names of modes and rules.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/cluster/match.h"
#include "neardup/sketch/engine.h"

namespace neardup {
namespace {

FieldScore Present(float similarity) { return FieldScore{true, similarity}; }
FieldScore Absent() { return FieldScore{}; }

MatchRule Rule(MatchMode mode) {
  MatchRule r;
  r.mode = mode;
  r.title_min = 0.5f;
  r.body_min = 0.7f;
  return r;
}

// The header's mode list, read literally.
struct Expected {
  bool compared = false;
  bool passes = false;
  float similarity = 0;  // meaningful when passes
  MatchReason reason = MatchReason::kNone;  // meaningful when passes
};

Expected Slow(const MatchRule& rule, FieldScore t, FieldScore d, bool long_bodies) {
  const bool title_ok = t.present && t.similarity >= rule.title_min;
  const bool body_ok = d.present && d.similarity >= rule.body_min;
  Expected e;
  switch (rule.mode) {
    case MatchMode::kTitle:  // the titles must both be present and pass
      e = {t.present, title_ok, t.similarity, MatchReason::kTitle};
      break;
    case MatchMode::kBody:
      e = {d.present, body_ok, d.similarity, MatchReason::kBody};
      break;
    case MatchMode::kBoth:  // both fields present and each passing; the lowest decides
      e = {t.present && d.present, title_ok && body_ok, std::min(t.similarity, d.similarity),
           MatchReason::kTitleAndBody};
      break;
    case MatchMode::kEither: {  // one field present in both passes; the best passing one
      e.compared = t.present || d.present;
      e.passes = title_ok || body_ok;
      const bool title_best = title_ok && (!body_ok || t.similarity >= d.similarity);
      e.similarity = title_best ? t.similarity : d.similarity;
      e.reason = title_best ? MatchReason::kEitherTitle : MatchReason::kEitherBody;
      break;
    }
    case MatchMode::kAuto:
      if (long_bodies) {  // articles: the bodies alone, whatever the headlines
        e = {true, body_ok, d.similarity, MatchReason::kBody};
      } else {  // every field present in both must pass, and there must be one
        e.compared = t.present || d.present;
        e.passes = e.compared && (!t.present || title_ok) && (!d.present || body_ok);
        if (t.present && d.present) {
          e.similarity = std::min(t.similarity, d.similarity);
          e.reason = MatchReason::kTitleAndBody;
        } else if (t.present) {
          e.similarity = t.similarity;
          e.reason = MatchReason::kTitle;
        } else {
          e.similarity = d.similarity;
          e.reason = MatchReason::kBody;
        }
      }
      break;
  }
  return e;
}

const MatchMode kModes[] = {MatchMode::kAuto, MatchMode::kTitle, MatchMode::kBody,
                            MatchMode::kBoth, MatchMode::kEither};

TEST(MatchDecideTest, EveryModeOnAGridOfScoresMatchesTheHeader) {
  // Values on both sides of both thresholds, and the thresholds themselves (>= passes).
  const float values[] = {0.0f, 0.2f, 0.4999f, 0.5f, 0.6f, 0.6999f, 0.7f, 0.85f, 1.0f};
  int checked = 0;
  for (MatchMode mode : kModes) {
    const MatchRule rule = Rule(mode);
    for (int tp = 0; tp < 2; ++tp) {
      for (int dp = 0; dp < 2; ++dp) {
        for (float ts : values) {
          for (float ds : values) {
            for (int lb = 0; lb < 2; ++lb) {
              if (lb && !dp) continue;  // long bodies are present bodies
              const FieldScore t = tp ? Present(ts) : Absent();
              const FieldScore d = dp ? Present(ds) : Absent();
              const PairVerdict v = Decide(rule, t, d, lb != 0);
              const Expected e = Slow(rule, t, d, lb != 0);
              SCOPED_TRACE(std::string(MatchModeName(mode)) + " title " +
                           (tp ? std::to_string(ts) : "absent") + " body " +
                           (dp ? std::to_string(ds) : "absent") + (lb ? " long" : " short"));
              ASSERT_EQ(v.compared, e.compared);
              ASSERT_EQ(v.passes, e.passes);
              if (e.passes) {
                EXPECT_EQ(v.similarity, e.similarity);
                EXPECT_EQ(v.reason, e.reason);
              }
              // Per-field similarities: NaN when absent.
              EXPECT_EQ(std::isnan(v.title_similarity), !tp);
              EXPECT_EQ(std::isnan(v.body_similarity), !dp);
              if (tp) EXPECT_EQ(v.title_similarity, ts);
              if (dp) EXPECT_EQ(v.body_similarity, ds);
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

// A re-headlined article: the same long body under another headline is a duplicate.
TEST(MatchDecideTest, AutoLongBodiesDecideAloneWhateverTheTitles) {
  const MatchRule rule = Rule(MatchMode::kAuto);
  PairVerdict v = Decide(rule, Present(0.05f), Present(0.93f), /*long_bodies=*/true);
  EXPECT_TRUE(v.compared);
  EXPECT_TRUE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kBody);
  EXPECT_FLOAT_EQ(v.similarity, 0.93f);
  // Without titles at all, the same.
  v = Decide(rule, Absent(), Present(0.93f), true);
  EXPECT_TRUE(v.passes);
  // The same scores with short bodies need the titles to pass too.
  v = Decide(rule, Present(0.05f), Present(0.93f), /*long_bodies=*/false);
  EXPECT_TRUE(v.compared);
  EXPECT_FALSE(v.passes);
  // `both` never lets the body decide alone.
  v = Decide(Rule(MatchMode::kBoth), Present(0.05f), Present(0.93f), true);
  EXPECT_FALSE(v.passes);
}

// Two different articles under one headline are the same story, not a copy.
TEST(MatchDecideTest, AutoHeadlineMatchBetweenDifferentLongBodiesIsNoDuplicate) {
  const MatchRule rule = Rule(MatchMode::kAuto);
  PairVerdict v = Decide(rule, Present(1.0f), Present(0.12f), /*long_bodies=*/true);
  EXPECT_TRUE(v.compared);
  EXPECT_FALSE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kBody);
  // `either` would take the headline.
  v = Decide(Rule(MatchMode::kEither), Present(1.0f), Present(0.12f), true);
  EXPECT_TRUE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kEitherTitle);
}

TEST(MatchDecideTest, AutoShortTextsNeedEveryFieldBothHave) {
  const MatchRule rule = Rule(MatchMode::kAuto);
  // Titles only (board listings): the title decides.
  PairVerdict v = Decide(rule, Present(0.6f), Absent(), false);
  EXPECT_TRUE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kTitle);
  v = Decide(rule, Present(0.4f), Absent(), false);
  EXPECT_TRUE(v.compared);
  EXPECT_FALSE(v.passes);
  // Short bodies only.
  v = Decide(rule, Absent(), Present(0.75f), false);
  EXPECT_TRUE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kBody);
  // Both present and short: both must pass; the pair scores the lower.
  v = Decide(rule, Present(0.9f), Present(0.75f), false);
  EXPECT_TRUE(v.passes);
  EXPECT_EQ(v.reason, MatchReason::kTitleAndBody);
  EXPECT_FLOAT_EQ(v.similarity, 0.75f);
  EXPECT_FALSE(Decide(rule, Present(0.9f), Present(0.65f), false).passes);
  EXPECT_FALSE(Decide(rule, Present(0.45f), Present(0.95f), false).passes);
}

TEST(MatchDecideTest, NoFieldInCommonIsNotCompared) {
  for (MatchMode mode : kModes) {
    SCOPED_TRACE(std::string(MatchModeName(mode)));
    const PairVerdict v = Decide(Rule(mode), Absent(), Absent(), false);
    EXPECT_FALSE(v.compared);
    EXPECT_FALSE(v.passes);
  }
  // One document with only a title, the other with only a body: nothing in common either.
  EXPECT_FALSE(Decide(Rule(MatchMode::kTitle), Absent(), Present(1.0f), false).compared);
  EXPECT_FALSE(Decide(Rule(MatchMode::kBody), Present(1.0f), Absent(), false).compared);
  EXPECT_FALSE(Decide(Rule(MatchMode::kBoth), Present(1.0f), Absent(), false).compared);
}

// --- JudgePair on the exact engine's sketches -------------------------------------------------

std::vector<uint64_t> RandomSet(std::mt19937_64& rng, size_t size, uint64_t universe) {
  std::set<uint64_t> s;
  while (s.size() < size) s.insert(rng() % universe);
  return std::vector<uint64_t>(s.begin(), s.end());
}

size_t Common(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t common = 0;
  for (uint64_t x : a) {
    for (uint64_t y : b) common += x == y;
  }
  return common;
}

double SlowSimilarity(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b,
                      SimilarityMeasure measure) {
  const double common = static_cast<double>(Common(a, b));
  if (measure == SimilarityMeasure::kContainment) {
    return common / static_cast<double>(std::min(a.size(), b.size()));
  }
  return common / static_cast<double>(a.size() + b.size() - Common(a, b));
}

// Documents with random titles and bodies (some absent, bodies long or short, many of them
// overlapping copies of a few bases), judged by JudgePair from exact-engine FieldSketches and
// by the slow rule from brute-force set similarities.
TEST(MatchJudgePairTest, ExactSketchesAgreeWithBruteForce) {
  std::mt19937_64 rng(15);
  for (SimilarityMeasure measure : {SimilarityMeasure::kJaccard, SimilarityMeasure::kContainment}) {
    const size_t docs = 60;
    std::vector<std::vector<uint64_t>> title(docs), body(docs);
    const std::vector<uint64_t> title_base = RandomSet(rng, 12, 1000);
    const std::vector<uint64_t> body_base = RandomSet(rng, 90, 5000);
    for (size_t i = 0; i < docs; ++i) {
      // A copy of the base with some members replaced and a random length, or absent.
      auto make = [&](const std::vector<uint64_t>& base, uint64_t universe, int absent_in) {
        std::vector<uint64_t> out;
        if (static_cast<int>(rng() % absent_in) == 0) return out;
        const size_t keep = base.size() / 3 + rng() % (base.size() - base.size() / 3 + 1);
        std::set<uint64_t> s(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(keep));
        for (int k = static_cast<int>(rng() % 8); k > 0; --k) {
          s.insert(universe + rng() % universe);
          if (!s.empty() && rng() % 2 == 0) s.erase(s.begin());
        }
        return std::vector<uint64_t>(s.begin(), s.end());
      };
      title[i] = make(title_base, 1000, 5);
      body[i] = make(body_base, 5000, 4);
    }
    FieldSketches title_sketches(Algorithm::kExact, 0), body_sketches(Algorithm::kExact, 0);
    std::vector<uint32_t> title_counts(docs), body_counts(docs);
    for (uint32_t i = 0; i < docs; ++i) {
      if (title[i].empty()) {
        title_sketches.AppendEmpty(i);
      } else {
        title_sketches.AppendSet(i, title[i]);
      }
      if (body[i].empty()) {
        body_sketches.AppendEmpty(i);
      } else {
        body_sketches.AppendSet(i, body[i]);
      }
      title_counts[i] = static_cast<uint32_t>(title[i].size());
      body_counts[i] = static_cast<uint32_t>(body[i].size());
    }
    FieldRule title_rule, body_rule;
    title_rule.sketches = &title_sketches;
    title_rule.measure = measure;
    title_rule.shingle_counts = title_counts;
    title_rule.min_similarity = 0.5f;
    body_rule.sketches = &body_sketches;
    body_rule.measure = measure;
    body_rule.shingle_counts = body_counts;
    body_rule.min_similarity = measure == SimilarityMeasure::kContainment ? 0.9f : 0.7f;
    const uint32_t min_body = 50;
    int passed = 0, long_pairs = 0, compared = 0;
    for (MatchMode mode : kModes) {
      MatchRule rule = Rule(mode);
      rule.title_min = title_rule.min_similarity;
      rule.body_min = body_rule.min_similarity;
      rule.min_body_shingles = min_body;
      for (uint32_t a = 0; a < docs; ++a) {
        for (uint32_t b = a + 1; b < docs; ++b) {
          const PairVerdict v = JudgePair(a, b, mode, title_rule, body_rule, min_body);
          FieldScore t, d;
          if (mode != MatchMode::kBody && !title[a].empty() && !title[b].empty()) {
            t = Present(static_cast<float>(SlowSimilarity(title[a], title[b], measure)));
          }
          if (mode != MatchMode::kTitle && !body[a].empty() && !body[b].empty()) {
            d = Present(static_cast<float>(SlowSimilarity(body[a], body[b], measure)));
          }
          const bool long_bodies = body[a].size() >= min_body && body[b].size() >= min_body;
          // Containment comes from the Jaccard and the two sizes, a float calculation: leave
          // out pairs within rounding of a threshold.
          const bool near = (t.present && std::fabs(t.similarity - rule.title_min) < 1e-5f) ||
                            (d.present && std::fabs(d.similarity - rule.body_min) < 1e-5f);
          if (near) continue;
          const Expected e = Slow(rule, t, d, long_bodies);
          SCOPED_TRACE(std::string(MatchModeName(mode)) + " " + std::to_string(a) + "-" +
                       std::to_string(b) + " " + std::string(SimilarityMeasureName(measure)));
          ASSERT_EQ(v.compared, e.compared);
          ASSERT_EQ(v.passes, e.passes);
          if (t.present) EXPECT_NEAR(v.title_similarity, t.similarity, 1e-5);
          if (d.present) EXPECT_NEAR(v.body_similarity, d.similarity, 1e-5);
          if (e.passes) {
            EXPECT_NEAR(v.similarity, e.similarity, 1e-5);
            EXPECT_EQ(v.reason, e.reason);
          }
          passed += v.passes;
          compared += v.compared;
          long_pairs += long_bodies;
        }
      }
    }
    // The random documents reach every branch: passing, failing, long and short bodies.
    EXPECT_GT(passed, 300);
    EXPECT_GT(compared - passed, 300);
    EXPECT_GT(long_pairs, 300);
  }
}

// --- SetSimilarity -----------------------------------------------------------------------------

template <typename T>
std::vector<T> RandomSortedSet(std::mt19937_64& rng, size_t size, uint64_t universe, T offset) {
  std::set<T> s;
  while (s.size() < size) s.insert(static_cast<T>(offset + rng() % universe));
  return std::vector<T>(s.begin(), s.end());
}

template <typename T>
float Brute(const std::vector<T>& a, const std::vector<T>& b, SimilarityMeasure measure) {
  size_t common = 0;
  for (T x : a) common += std::count(b.begin(), b.end(), x);
  size_t denominator = 0;
  if (measure == SimilarityMeasure::kContainment) {
    denominator = std::min(a.size(), b.size());
  } else {
    std::set<T> u(a.begin(), a.end());
    u.insert(b.begin(), b.end());
    denominator = u.size();
  }
  return static_cast<float>(static_cast<double>(common) / static_cast<double>(denominator));
}

template <typename T>
void CheckRandomSets(T offset) {
  std::mt19937_64 rng(sizeof(T) * 1000 + 3);
  for (int iter = 0; iter < 4000; ++iter) {
    // Small universes make large overlaps; sizes down to 0.
    const uint64_t universe = 1 + rng() % 200;
    const size_t na = rng() % std::min<uint64_t>(universe + 1, 80);
    const size_t nb = rng() % std::min<uint64_t>(universe + 1, 80);
    const std::vector<T> a = RandomSortedSet<T>(rng, na, universe, offset);
    const std::vector<T> b = RandomSortedSet<T>(rng, nb, universe, offset);
    for (SimilarityMeasure m : {SimilarityMeasure::kJaccard, SimilarityMeasure::kContainment}) {
      const float got = SetSimilarity<T>(a, b, m);
      EXPECT_EQ(got, SetSimilarity<T>(b, a, m)) << "symmetric";
      if (a.empty() && b.empty()) {
        EXPECT_EQ(got, 1.0f) << "two empty sets are 1";
      } else if (a.empty() || b.empty()) {
        // Jaccard of a set and the empty set is 0. (Containment is 0/0 here, which the header
        // leaves open; fields without shingles are never scored.)
        if (m == SimilarityMeasure::kJaccard) EXPECT_EQ(got, 0.0f);
      } else {
        ASSERT_EQ(got, Brute(a, b, m)) << "iteration " << iter << " sizes " << na << " " << nb;
      }
    }
  }
}

TEST(MatchSetSimilarityTest, RandomSetsMatchBruteForce32) { CheckRandomSets<uint32_t>(0); }

// Values near the top of the range, where a careless comparison or subtraction would wrap.
TEST(MatchSetSimilarityTest, RandomSetsMatchBruteForce64NearTheTop) {
  CheckRandomSets<uint64_t>(std::numeric_limits<uint64_t>::max() - 250);
}

TEST(MatchSetSimilarityTest, HandChecked) {
  const std::vector<uint32_t> a = {1, 2, 3, 4}, b = {3, 4, 5, 6, 7, 8, 9, 10}, empty;
  EXPECT_FLOAT_EQ(SetSimilarity<uint32_t>(a, b, SimilarityMeasure::kJaccard), 2.0f / 10.0f);
  EXPECT_FLOAT_EQ(SetSimilarity<uint32_t>(a, b, SimilarityMeasure::kContainment), 2.0f / 4.0f);
  // A truncated copy is contained in its original.
  const std::vector<uint32_t> prefix = {3, 4, 5};
  EXPECT_EQ(SetSimilarity<uint32_t>(prefix, b, SimilarityMeasure::kContainment), 1.0f);
  EXPECT_FLOAT_EQ(SetSimilarity<uint32_t>(prefix, b, SimilarityMeasure::kJaccard), 3.0f / 8.0f);
  EXPECT_EQ(SetSimilarity<uint32_t>(empty, empty, SimilarityMeasure::kJaccard), 1.0f);
  EXPECT_EQ(SetSimilarity<uint32_t>(empty, empty, SimilarityMeasure::kContainment), 1.0f);
  EXPECT_EQ(SetSimilarity<uint32_t>(a, a, SimilarityMeasure::kJaccard), 1.0f);
}

// --- Names -------------------------------------------------------------------------------------

TEST(MatchNamesTest, ParseAndNameRoundTrip) {
  for (MatchMode m : kModes) {
    auto parsed = ParseMatchMode(MatchModeName(m));
    ASSERT_TRUE(parsed.ok()) << MatchModeName(m);
    EXPECT_EQ(*parsed, m);
  }
  for (Algorithm a : {Algorithm::kMinHash, Algorithm::kSimHash, Algorithm::kExact}) {
    auto parsed = ParseAlgorithm(AlgorithmName(a));
    ASSERT_TRUE(parsed.ok()) << AlgorithmName(a);
    EXPECT_EQ(*parsed, a);
  }
  for (SimilarityMeasure s : {SimilarityMeasure::kJaccard, SimilarityMeasure::kContainment}) {
    auto parsed = ParseSimilarityMeasure(SimilarityMeasureName(s));
    ASSERT_TRUE(parsed.ok()) << SimilarityMeasureName(s);
    EXPECT_EQ(*parsed, s);
  }
  for (VerifyMode v : {VerifyMode::kAuto, VerifyMode::kExact, VerifyMode::kSignature,
                       VerifyMode::kNone}) {
    auto parsed = ParseVerifyMode(VerifyModeName(v));
    ASSERT_TRUE(parsed.ok()) << VerifyModeName(v);
    EXPECT_EQ(*parsed, v);
  }
  // The names the CLI documents.
  EXPECT_EQ(MatchModeName(MatchMode::kAuto), "auto");
  EXPECT_EQ(SimilarityMeasureName(SimilarityMeasure::kContainment), "containment");
  EXPECT_EQ(VerifyModeName(VerifyMode::kSignature), "signature");
  for (const char* bad : {"", "Auto", "titles", "jacard", "exactly"}) {
    EXPECT_FALSE(ParseMatchMode(bad).ok()) << bad;
    EXPECT_FALSE(ParseSimilarityMeasure(bad).ok()) << bad;
    EXPECT_FALSE(ParseVerifyMode(bad).ok()) << bad;
    EXPECT_FALSE(ParseAlgorithm(bad).ok()) << bad;
  }
}

// The rule names are those of the edges file (cluster --help: rule body, title, title+body,
// either:title, either:body), one per reason.
TEST(MatchNamesTest, MatchReasonNamesAreTheEdgesFileRules) {
  EXPECT_EQ(MatchReasonName(MatchReason::kNone), "none");
  EXPECT_EQ(MatchReasonName(MatchReason::kBody), "body");
  EXPECT_EQ(MatchReasonName(MatchReason::kTitle), "title");
  EXPECT_EQ(MatchReasonName(MatchReason::kTitleAndBody), "title+body");
  EXPECT_EQ(MatchReasonName(MatchReason::kEitherTitle), "either:title");
  EXPECT_EQ(MatchReasonName(MatchReason::kEitherBody), "either:body");
  std::set<std::string_view> names;
  for (uint8_t r = 0; r <= static_cast<uint8_t>(MatchReason::kEitherBody); ++r) {
    names.insert(MatchReasonName(static_cast<MatchReason>(r)));
  }
  EXPECT_EQ(names.size(), 6u);
}

}  // namespace
}  // namespace neardup
