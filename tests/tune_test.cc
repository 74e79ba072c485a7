#include "neardup/tools/tune.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace neardup {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/tune_test_" + std::to_string(getpid()) + "_" + name;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

ShingleSpec Word1() { return ShingleSpec{ShingleUnit::kWord, 1}; }
ShingleSpec Char(int k) { return ShingleSpec{ShingleUnit::kChar, k}; }

TuneRow Row(ShingleSpec shingle, double threshold, uint64_t tp, uint64_t fp, uint64_t fn,
            uint64_t tn) {
  TuneRow r;
  r.shingle = shingle;
  r.threshold = threshold;
  r.counts = PairCounts{tp, fp, fn, tn};
  return r;
}

// --- Grids ---

TEST(ParseThresholdGridTest, RangeIncludesItsEndAndRoundsAwayFloatNoise) {
  auto grid = ParseThresholdGrid("0.1:0.95:0.05");
  ASSERT_TRUE(grid.ok()) << grid.status();
  ASSERT_EQ(grid->size(), 18u);
  EXPECT_EQ(grid->front(), 0.1);
  EXPECT_EQ(grid->back(), 0.95);
  EXPECT_EQ((*grid)[4], 0.3);  // 0.1 + 4 x 0.05 is exactly the literal 0.3
}

TEST(ParseThresholdGridTest, ListIsSortedWithoutRepeats) {
  auto grid = ParseThresholdGrid("0.9, 0.5,0.7,0.5");
  ASSERT_TRUE(grid.ok()) << grid.status();
  EXPECT_EQ(*grid, (std::vector<double>{0.5, 0.7, 0.9}));
}

TEST(ParseThresholdGridTest, RejectsValuesOutsideTheUnitIntervalAndGarbage) {
  EXPECT_FALSE(ParseThresholdGrid("0").ok());
  EXPECT_FALSE(ParseThresholdGrid("0.5,1.2").ok());
  EXPECT_FALSE(ParseThresholdGrid("0.1:0.9").ok());
  EXPECT_FALSE(ParseThresholdGrid("0.1:0.9:0").ok());
  EXPECT_FALSE(ParseThresholdGrid("0.9:0.1:0.1").ok());
  EXPECT_FALSE(ParseThresholdGrid("half").ok());
  EXPECT_FALSE(ParseThresholdGrid("0.000001:1:0.0000001").ok());  // too many values
}

TEST(ParseShingleListTest, KeepsOrderAndRejectsRepeats) {
  auto specs = ParseShingleList("char:2, word:1,char:5+spaces");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_EQ((*specs)[0].ToString(), "char:2");
  EXPECT_EQ((*specs)[1].ToString(), "word:1");
  EXPECT_EQ((*specs)[2].ToString(), "char:5+spaces");
  EXPECT_FALSE(ParseShingleList("char:2,char:2").ok());
  EXPECT_FALSE(ParseShingleList("char:0").ok());
  EXPECT_FALSE(ParseShingleList("").ok());
}

// --- The recommendation rule ---

TEST(RecommendSettingTest, BestF1Wins) {
  const std::vector<TuneRow> rows = {Row(Char(3), 0.5, 5, 5, 0, 0),   // F1 10/15
                                     Row(Char(3), 0.6, 4, 0, 1, 5),   // F1 8/9
                                     Row(Char(3), 0.7, 2, 0, 3, 5)};  // F1 4/7
  EXPECT_EQ(RecommendSetting(rows), 1u);
}

TEST(RecommendSettingTest, TiesGoToTheHigherThresholdThenTheFirstShingle) {
  // 2/3 and 4/6 are the same F1; compared as fractions, not floats.
  const std::vector<TuneRow> rows = {Row(Char(2), 0.4, 1, 1, 0, 0),   // F1 2/3
                                     Row(Char(2), 0.6, 2, 1, 1, 0),   // F1 4/6
                                     Row(Char(3), 0.6, 2, 2, 0, 0),   // F1 4/6, same threshold
                                     Row(Char(3), 0.5, 2, 2, 0, 0)};  // F1 4/6, lower
  EXPECT_EQ(RecommendSetting(rows), 1u);
}

TEST(SafeSettingTest, HighestRecallAtTheRequiredPrecision) {
  const std::vector<TuneRow> rows = {
      Row(Char(3), 0.5, 9, 3, 1, 0),  // P 0.75: not safe
      Row(Char(3), 0.6, 9, 1, 1, 0),  // P 0.9 exactly, R 0.9: safe
      Row(Char(3), 0.7, 5, 0, 5, 0),  // P 1, R 0.5
      Row(Char(3), 0.9, 0, 0, 10, 0),  // nothing predicted: never "safe"
      Row(Char(4), 0.9, 0, 0, 10, 0)};
  EXPECT_EQ(SafeSetting(rows, Char(3), 0.9), std::optional<size_t>(1));
  EXPECT_EQ(SafeSetting(rows, Char(3), 0.95), std::optional<size_t>(2));
  EXPECT_EQ(SafeSetting(rows, Char(4), 0.9), std::nullopt);
}

TEST(PairCountsTest, ConventionsFollowEval) {
  const PairCounts none{0, 0, 3, 7};
  EXPECT_EQ(none.precision(), 1.0);  // nothing predicted
  EXPECT_EQ(none.recall(), 0.0);
  EXPECT_EQ(none.f1(), 0.0);
  EXPECT_EQ(none.accuracy(), 0.7);
  const PairCounts empty{};
  EXPECT_EQ(empty.f1(), 1.0);
}

// --- Pairs mode ---

// Word shingles on plain lowercase words: Jaccards worked by hand.
std::vector<LabelledPair> HandPairs() {
  return {
      {"a b c d", "a b c d", true},   // J 1
      {"a b c d", "a b c e", true},   // J 3/5
      {"a b c d", "a b e f", false},  // J 2/6
      {"a b", "c d", false},          // J 0
      {"a b c d", "a b c x", false},  // J 3/5: a false positive below 0.6
      {"p q", "p r", true},           // J 1/3: missed above 1/3
  };
}

TEST(SweepPairsTest, HandMadePairsHaveTheExpectedJaccards) {
  const Normalizer normalizer;
  const auto pairs = HandPairs();
  const double expected[] = {1.0, 0.6, 1.0 / 3, 0.0, 0.6, 1.0 / 3};
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_DOUBLE_EQ(PairJaccard(pairs[i], normalizer, TextField::kBody, Word1()), expected[i])
        << i;
  }
}

TEST(SweepPairsTest, HandMadePairsGiveTheExpectedPrecisionAndRecall) {
  const Normalizer normalizer;
  PairSweepOptions options;
  options.shingles = {Word1()};
  options.thresholds = {0.3, 0.5, 0.7};
  auto report = SweepPairs(HandPairs(), normalizer, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows.size(), 3u);
  // T 0.3: everything but J 0 is predicted: tp 3, fp 2, fn 0, tn 1.
  EXPECT_EQ(report->rows[0].counts.tp, 3u);
  EXPECT_EQ(report->rows[0].counts.fp, 2u);
  EXPECT_EQ(report->rows[0].counts.fn, 0u);
  EXPECT_EQ(report->rows[0].counts.tn, 1u);
  EXPECT_DOUBLE_EQ(report->rows[0].counts.precision(), 0.6);
  EXPECT_DOUBLE_EQ(report->rows[0].counts.recall(), 1.0);
  // T 0.5: J 1, 0.6, 0.6 predicted: tp 2, fp 1, fn 1, tn 2.
  EXPECT_DOUBLE_EQ(report->rows[1].counts.precision(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(report->rows[1].counts.recall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(report->rows[1].counts.accuracy(), 4.0 / 6);
  // T 0.7: only J 1: tp 1, fp 0.
  EXPECT_DOUBLE_EQ(report->rows[2].counts.precision(), 1.0);
  EXPECT_DOUBLE_EQ(report->rows[2].counts.recall(), 1.0 / 3);
  // F1: 0.75, 0.667, 0.5 -> T 0.3; precision >= 0.9 only at T 0.7.
  EXPECT_EQ(report->recommended, 0u);
  ASSERT_EQ(report->safe.size(), 1u);
  EXPECT_EQ(report->safe[0], std::optional<size_t>(2));
  // Every pair positive: P 1/2, R 1 -> F1 2/3.
  EXPECT_DOUBLE_EQ(report->trivial_f1, 2.0 / 3);
  EXPECT_EQ(report->items, 6u);
}

TEST(SweepPairsTest, OutputIsDeterministicAndNamesTheRecommendation) {
  const Normalizer normalizer;
  PairSweepOptions options;
  options.shingles = {Word1(), Char(2)};
  options.thresholds = {0.3, 0.5, 0.7};
  auto a = SweepPairs(HandPairs(), normalizer, options);
  auto b = SweepPairs(HandPairs(), normalizer, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(FormatTuneTable(*a), FormatTuneTable(*b));
  const std::string json = FormatTuneJson(*a);
  EXPECT_EQ(json, FormatTuneJson(*b));
  // Six setting lines and the recommendation line.
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 7);
  EXPECT_NE(json.find("{\"recommended\": {\"shingle\": \"word:1\", \"threshold\": 0.3"),
            std::string::npos)
      << json;
  const std::string table = FormatTuneTable(*a);
  EXPECT_NE(table.find("recommended (best F1; ties: higher threshold): word:1 threshold 0.3"),
            std::string::npos)
      << table;
}

TEST(SweepPairsTest, RejectsAnEmptyGrid) {
  const Normalizer normalizer;
  PairSweepOptions options;
  options.thresholds = {0.5};
  EXPECT_FALSE(SweepPairs(HandPairs(), normalizer, options).ok());
  options.shingles = {Word1()};
  options.thresholds = {};
  EXPECT_FALSE(SweepPairs(HandPairs(), normalizer, options).ok());
  options.thresholds = {0.5};
  EXPECT_FALSE(SweepPairs({}, normalizer, options).ok());
}

TEST(ReadLabelledPairsTest, ReadsLabelsOfEveryKindAndSkipsUnusableRecords) {
  const std::string path = TempPath("pairs.jsonl");
  WriteFile(path,
            "{\"text_a\": \"x\", \"text_b\": \"y\", \"binary_label\": 1}\n"
            "{\"text_a\": \"x\", \"text_b\": \"y\", \"binary_label\": 0}\n"
            "{\"text_a\": \"x\", \"text_b\": \"y\", \"binary_label\": true}\n"
            "{\"text_a\": \"x\", \"text_b\": \"y\", \"binary_label\": \"false\"}\n"
            "\n"
            "{\"text_a\": \"x\", \"text_b\": \"y\"}\n"               // no label
            "{\"text_a\": \"x\", \"binary_label\": 1}\n"              // no text_b
            "{\"text_a\": \"x\", \"text_b\": \"y\", \"binary_label\": \"maybe\"}\n"
            "not json\n");
  PairInputOptions options;
  options.label_field = "binary_label";
  std::vector<std::string> skipped;
  auto pairs = ReadLabelledPairs(path, options, [&](const std::string& m) { skipped.push_back(m); });
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_TRUE((*pairs)[0].positive);
  EXPECT_FALSE((*pairs)[1].positive);
  EXPECT_TRUE((*pairs)[2].positive);
  EXPECT_FALSE((*pairs)[3].positive);
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_NE(skipped[0].find(":6: no field \"binary_label\""), std::string::npos) << skipped[0];
  EXPECT_NE(skipped[1].find(":7: no field \"text_b\""), std::string::npos) << skipped[1];
  unlink(path.c_str());
}

TEST(ReadLabelledPairsTest, ScoreFieldWithCutOff) {
  const std::string path = TempPath("scores.jsonl");
  WriteFile(path,
            "{\"a\": \"x\", \"b\": \"y\", \"score\": 4.9}\n"
            "{\"a\": \"x\", \"b\": \"y\", \"score\": 3.9}\n"
            "{\"a\": \"x\", \"b\": \"y\", \"score\": \"4\"}\n");
  PairInputOptions options;
  options.text_a = "a";
  options.text_b = "b";
  options.score_field = "score";
  options.positive_score = 4;
  auto pairs = ReadLabelledPairs(path, options);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_TRUE((*pairs)[0].positive);
  EXPECT_FALSE((*pairs)[1].positive);
  EXPECT_TRUE((*pairs)[2].positive);
  // Both label sources, or neither, is a usage error.
  options.label_field = "binary_label";
  EXPECT_FALSE(ReadLabelledPairs(path, options).ok());
  options.label_field.clear();
  options.score_field.clear();
  EXPECT_FALSE(ReadLabelledPairs(path, options).ok());
  unlink(path.c_str());
}

TEST(SweepPairsTest, KlueStsDevBeatsTheTrivialPredictor) {
  const std::string path = NEARDUP_SOURCE_DIR "/../shared/data/klue-sts-dev/pairs.jsonl";
  if (access(path.c_str(), R_OK) != 0) FAIL() << "no " << path;
  const Normalizer normalizer;
  PairSweepOptions options;
  options.shingles = *ParseShingleList("char:2,char:3,char:4,char:5");
  options.thresholds = *ParseThresholdGrid("0.1:0.95:0.05");

  // Near-paraphrases (score >= 4 of 5): shingle overlap beats calling every pair positive, the
  // strongest trivial predictor for F1.
  PairInputOptions input;
  input.score_field = "score";
  input.positive_score = 4;
  auto pairs = ReadLabelledPairs(path, input);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  EXPECT_EQ(pairs->size(), 519u);
  auto report = SweepPairs(*pairs, normalizer, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows.size(), 4u * 18u);
  const TuneRow& best = report->rows[report->recommended];
  EXPECT_GT(best.counts.f1(), report->trivial_f1) << FormatTuneTable(*report);
  for (const TuneRow& r : report->rows) EXPECT_LE(r.counts.f1(), best.counts.f1());

  // The binary label (score >= 3) takes in reworded paraphrases and its negatives share their
  // topic, so overlap alone does not beat the trivial predictor on F1; high thresholds are still
  // precise, and the report says so.
  input.score_field.clear();
  input.label_field = "binary_label";
  pairs = ReadLabelledPairs(path, input);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  report = SweepPairs(*pairs, normalizer, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->safe[0].has_value());
  EXPECT_GE(report->rows[*report->safe[0]].counts.precision(), 0.9);
  EXPECT_GT(report->rows[report->recommended].counts.f1(), 0.5);  // better than chance (0.42)
  EXPECT_NE(FormatTuneTable(*report).find("no setting beats"), std::string::npos);
}

// --- Clusters mode ---

// A planted corpus: `bases` random pseudo-word texts, each followed later by `copies` copies with
// a few words replaced; singletons in between; one bad line and one record without a label.
struct Planted {
  std::string path;
  size_t documents = 0;
};

Planted WritePlantedCorpus(const std::string& name, bool bad_line = true) {
  std::mt19937_64 rng(42);
  auto word = [&]() {
    std::string w;
    const int len = 4 + static_cast<int>(rng() % 5);
    for (int i = 0; i < len; ++i) w += static_cast<char>('a' + rng() % 26);
    return w;
  };
  auto text = [&](int words) {
    std::vector<std::string> t;
    for (int i = 0; i < words; ++i) t.push_back(word());
    return t;
  };
  auto join = [](const std::vector<std::string>& t) {
    std::string s;
    for (const auto& w : t) s += (s.empty() ? "" : " ") + w;
    return s;
  };
  std::string out;
  Planted planted;
  planted.path = TempPath(name);
  int id = 0;
  auto emit = [&](const std::string& body, const std::string& cluster) {
    out += "{\"id\": \"d" + std::to_string(id) + "\", \"text\": \"" + body + "\"";
    if (!cluster.empty()) out += ", \"cluster\": \"" + cluster + "\"";
    out += "}\n";
    ++id;
    ++planted.documents;
  };
  std::vector<std::vector<std::string>> bases;
  for (int b = 0; b < 8; ++b) bases.push_back(text(60));
  for (int b = 0; b < 8; ++b) emit(join(bases[b]), "c" + std::to_string(b));
  emit(join(text(60)), "");  // no label: its own cluster
  if (bad_line) out += "{\"id\": \"broken\", \"text\": \n";  // skipped by the pipeline
  for (int copy = 0; copy < 3; ++copy) {
    for (int b = 0; b < 8; ++b) {
      std::vector<std::string> t = bases[b];
      for (int e = 0; e < 2; ++e) t[rng() % t.size()] = word();  // 2 of 60 words changed
      emit(join(t), "c" + std::to_string(b));
      emit(join(text(60)), "s" + std::to_string(id));  // a singleton
    }
  }
  WriteFile(planted.path, out);
  return planted;
}

TEST(ReadTruthLabelsTest, LabelsByRecordOrdinalWithMissingOnesUnique) {
  const std::string path = TempPath("truth.jsonl");
  WriteFile(path,
            "{\"id\": 1, \"cluster\": \"a\"}\n"
            "{\"id\": 2, \"cluster\": 7}\n"
            "{\"id\": 3}\n"
            "{\"id\": 4, \"cluster\": \"a\"}\n"
            "{\"id\": 5}\n"
            "{broken\n"
            "{\"id\": 6, \"cluster\": 7}\n");
  PipelineOptions options;
  options.inputs = {path};
  auto labels = ReadTruthLabels(options, "cluster");
  ASSERT_TRUE(labels.ok()) << labels.status();
  ASSERT_EQ(labels->size(), 7u);
  const auto& l = *labels;
  EXPECT_EQ(l[0], l[3]);
  EXPECT_EQ(l[1], l[6]);
  EXPECT_NE(l[0], l[1]);
  EXPECT_NE(l[2], l[4]);
  EXPECT_NE(l[2], l[0]);
  EXPECT_NE(l[5], l[2]);
  unlink(path.c_str());
}

TEST(SweepClustersTest, PlantedCorpusIsRecoveredAtASensibleThreshold) {
  for (Algorithm algo : {Algorithm::kExact, Algorithm::kMinHash}) {
    // The bad line also guards a regression: the exact engine once lost a bad record's set
    // boundary and failed on the record after it ("set N is not strictly increasing").
    const bool bad_line = true;
    const Planted planted = WritePlantedCorpus("planted.jsonl", bad_line);
    ClusterSweepOptions options;
    options.pipeline.inputs = {planted.path};
    options.pipeline.algo = algo;
    options.pipeline.threads = 2;
    options.truth_field = "cluster";
    options.shingles = {Char(4), Char(5)};
    options.thresholds = {0.3, 0.5, 0.7, 0.95};
    options.sweep = SweepField::kBody;
    uint64_t bad = 0;
    RunCallbacks callbacks;
    callbacks.on_bad_record = [&](const BadRecord&) { ++bad; };
    auto report = SweepClusters(options, callbacks);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(bad, bad_line ? 1u : 0u);  // reported once, by the first run only
    EXPECT_EQ(report->skipped, bad_line ? 1u : 0u);
    EXPECT_EQ(report->items, planted.documents);
    ASSERT_EQ(report->rows.size(), 8u);
    const TuneRow& best = report->rows[report->recommended];
    EXPECT_GE(best.counts.f1(), 0.99) << FormatTuneTable(*report);
    EXPECT_GE(*best.ari, 0.99);
    EXPECT_GE(best.threshold, 0.5);
    EXPECT_LE(best.threshold, 0.7);
    // 8 clusters of 4: 48 true pairs.
    EXPECT_EQ(best.counts.positives(), 48u);
    // At 0.95 the edited copies are lost: recall falls, precision stays 1.
    const TuneRow& strict = report->rows[3];
    EXPECT_EQ(strict.threshold, 0.95);
    EXPECT_LT(strict.counts.recall(), 0.5);
    EXPECT_EQ(strict.counts.precision(), 1.0);
    unlink(planted.path.c_str());
  }
}

TEST(SweepClustersTest, SweepBothMovesTheTitleThresholdByTheOffset) {
  const Planted planted = WritePlantedCorpus("planted_both.jsonl", /*bad_line=*/false);
  ClusterSweepOptions options;
  options.pipeline.inputs = {planted.path};
  options.pipeline.algo = Algorithm::kExact;
  options.truth_field = "cluster";
  options.shingles = {Char(5)};
  options.thresholds = {0.2, 0.6};
  options.sweep = SweepField::kBoth;
  options.title_offset = -0.3;
  auto report = SweepClusters(options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows.size(), 2u);
  EXPECT_EQ(report->rows[0].title_threshold, std::optional<double>(0.01));  // clamped
  EXPECT_EQ(report->rows[1].title_threshold, std::optional<double>(0.3));
  unlink(planted.path.c_str());
}

TEST(SweepClustersTest, RefusesWhatItCannotSweep) {
  ClusterSweepOptions options;
  options.pipeline.inputs = {"x.jsonl"};
  options.truth_field = "cluster";
  options.shingles = {Char(5)};
  options.thresholds = {0.5};
  options.pipeline.algo = Algorithm::kSimHash;
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  options.pipeline.algo = Algorithm::kMinHash;
  options.pipeline.inputs = {"-"};
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  options.pipeline.inputs = {"x.txt"};
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  options.pipeline.inputs = {"x.jsonl"};
  options.truth_field.clear();
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace neardup
