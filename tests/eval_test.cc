#include "neardup/tools/eval.h"

#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "compress_testutil.h"
#include "gtest/gtest.h"

namespace neardup {
namespace {

TEST(EvaluateClusteringTest, IdenticalClusteringsScoreOne) {
  const std::vector<uint64_t> labels = {0, 0, 1, 1, 1, 2, 3, 3};
  const EvalResult r = EvaluateClustering(labels, labels);
  EXPECT_DOUBLE_EQ(r.pair_precision, 1);
  EXPECT_DOUBLE_EQ(r.pair_recall, 1);
  EXPECT_DOUBLE_EQ(r.pair_f1, 1);
  EXPECT_DOUBLE_EQ(r.ari, 1);
  EXPECT_EQ(r.n, 8u);
  EXPECT_EQ(r.true_pairs, 1u + 3u + 0u + 1u);
}

TEST(EvaluateClusteringTest, LabelNamesDoNotMatterOnlyThePartition) {
  const std::vector<uint64_t> a = {0, 0, 1, 1};
  const std::vector<uint64_t> b = {7, 7, 3, 3};
  EXPECT_DOUBLE_EQ(EvaluateClustering(a, b).ari, 1);
}

TEST(EvaluateClusteringTest, HandCheckedSplitCluster) {
  // Predicted {0,1} {2,3}; truth {0,1} {2} {3}. Pairs: predicted 2, true 1, common 1.
  // ARI: index 1, expected 2*1/6 = 1/3, max (2+1)/2 = 3/2 -> (2/3) / (7/6) = 4/7, the value
  // scikit-learn documents for adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]).
  const EvalResult r = EvaluateClustering(std::vector<uint64_t>{0, 0, 1, 1},
                                          std::vector<uint64_t>{0, 0, 1, 2});
  EXPECT_EQ(r.predicted_pairs, 2u);
  EXPECT_EQ(r.true_pairs, 1u);
  EXPECT_EQ(r.common_pairs, 1u);
  EXPECT_DOUBLE_EQ(r.pair_precision, 0.5);
  EXPECT_DOUBLE_EQ(r.pair_recall, 1.0);
  EXPECT_DOUBLE_EQ(r.pair_f1, 2.0 / 3.0);
  EXPECT_NEAR(r.ari, 4.0 / 7.0, 1e-12);
}

TEST(EvaluateClusteringTest, TextbookContingencyTable) {
  // Hubert-Arabie ARI worked by hand on a 3x3 contingency table (rows = predicted, columns = truth)
  //   [[1, 1, 0], [1, 2, 1], [0, 0, 4]]   n = 10
  // sum C(n_ij,2) = 1 + 6 = 7; row sums 2, 4, 4 -> 1 + 6 + 6 = 13; column sums 2, 3, 5 ->
  // 1 + 3 + 10 = 14; expected = 13*14/45; ARI = (7 - 182/45) / (27/2 - 182/45) = 266/851.
  std::vector<uint64_t> pred, truth;
  const int table[3][3] = {{1, 1, 0}, {1, 2, 1}, {0, 0, 4}};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < table[i][j]; ++k) {
        pred.push_back(static_cast<uint64_t>(i));
        truth.push_back(static_cast<uint64_t>(j));
      }
    }
  }
  const EvalResult r = EvaluateClustering(pred, truth);
  EXPECT_EQ(r.common_pairs, 7u);
  EXPECT_EQ(r.predicted_pairs, 13u);
  EXPECT_EQ(r.true_pairs, 14u);
  EXPECT_NEAR(r.ari, 266.0 / 851.0, 1e-12);
  EXPECT_NEAR(r.pair_precision, 7.0 / 13.0, 1e-12);
  EXPECT_NEAR(r.pair_recall, 7.0 / 14.0, 1e-12);
}

TEST(EvaluateClusteringTest, EverythingInOneClusterAgainstSingletonsHasZeroAri) {
  const std::vector<uint64_t> one = {0, 0, 0, 0};
  const std::vector<uint64_t> singletons = {0, 1, 2, 3};
  const EvalResult r = EvaluateClustering(one, singletons);
  EXPECT_DOUBLE_EQ(r.ari, 0);
  EXPECT_DOUBLE_EQ(r.pair_precision, 0);
  EXPECT_DOUBLE_EQ(r.pair_recall, 1);  // no true pairs: nothing to miss
  EXPECT_DOUBLE_EQ(r.pair_f1, 0);
}

TEST(EvaluateClusteringTest, ZeroDenominatorsScoreOne) {
  const std::vector<uint64_t> singletons = {0, 1, 2};
  const EvalResult r = EvaluateClustering(singletons, singletons);
  EXPECT_DOUBLE_EQ(r.pair_precision, 1);
  EXPECT_DOUBLE_EQ(r.pair_recall, 1);
  EXPECT_DOUBLE_EQ(r.ari, 1);
  const EvalResult empty = EvaluateClustering({}, {});
  EXPECT_EQ(empty.n, 0u);
  EXPECT_DOUBLE_EQ(empty.ari, 1);
}

TEST(EvaluateClusteringTest, LargeInputDoesNotOverflow) {
  // 200k records in 2 predicted x 2 true clusters: pair counts ~1e10, products ~1e20 > 2^64.
  const size_t n = 200000;
  std::vector<uint64_t> pred(n), truth(n);
  for (size_t i = 0; i < n; ++i) {
    pred[i] = i < n / 2;
    truth[i] = i < n / 2 + 1000;  // 1000 records sit on the wrong side
  }
  const EvalResult r = EvaluateClustering(pred, truth);
  EXPECT_EQ(r.predicted_pairs, 2 * (uint64_t{100000} * 99999 / 2));
  EXPECT_GT(r.ari, 0.9);
  EXPECT_LT(r.ari, 1.0);
  EXPECT_GT(r.pair_f1, 0.9);
}

TEST(EvaluateClusteringTest, RandomLabelsHaveAriNearZero) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> a(5000), b(5000);
  for (auto& x : a) x = rng() % 50;
  for (auto& x : b) x = rng() % 50;
  EXPECT_NEAR(EvaluateClustering(a, b).ari, 0.0, 0.01);
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/eval_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(EvaluateFilesTest, MatchesRecordsByIdAndScoresThem) {
  // Same partition as HandCheckedSplitCluster, records in a different order in each file, one
  // extra record on each side, a CRLF line, a blank line and a numeric id.
  const std::string pred = WriteTemp(
      "pred.jsonl",
      "{\"id\": \"a\", \"cluster\": \"a\", \"representative\": true, \"similarity\": 1.0}\n"
      "{\"id\": \"b\", \"cluster\": \"a\", \"representative\": false, \"similarity\": 0.9}\r\n"
      "\n"
      "{\"id\": \"c\", \"cluster\": \"c\", \"representative\": true, \"similarity\": 1.0}\n"
      "{\"id\": 4, \"cluster\": \"c\", \"representative\": false, \"similarity\": 0.85}\n"
      "{\"id\": \"only-predicted\", \"cluster\": \"c\", \"representative\": false}\n");
  const std::string truth = WriteTemp(
      "truth.jsonl",
      "{\"id\": 4, \"story\": 3, \"text\": \"x\"}\n"
      "{\"id\": \"b\", \"story\": \"s1\"}\n"
      "{\"id\": \"c\", \"text\": \"no label: a singleton\"}\n"
      "{\"id\": \"a\", \"story\": \"s1\"}\n"
      "{\"id\": \"only-truth\", \"story\": \"s1\"}\n");
  EvalFiles files;
  files.predicted_path = pred;
  files.truth_path = truth;
  files.truth_field = "story";
  const absl::StatusOr<EvalResult> r = EvaluateFiles(files);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n, 4u);
  EXPECT_EQ(r->predicted_pairs, 2u);
  EXPECT_EQ(r->true_pairs, 1u);
  EXPECT_EQ(r->common_pairs, 1u);
  EXPECT_NEAR(r->ari, 4.0 / 7.0, 1e-12);
}

TEST(EvaluateFilesTest, NullAndNumericLabelsAreHandled) {
  const std::string pred = WriteTemp("pred2.jsonl",
                                     "{\"id\": \"a\", \"cluster\": 1}\n"
                                     "{\"id\": \"b\", \"cluster\": 1}\n"
                                     "{\"id\": \"c\", \"cluster\": 1}\n");
  const std::string truth = WriteTemp("truth2.jsonl",
                                      "{\"id\": \"a\", \"g\": 10}\n"
                                      "{\"id\": \"b\", \"g\": 10}\n"
                                      "{\"id\": \"c\", \"g\": null}\n");
  const absl::StatusOr<EvalResult> r = EvaluateFiles({pred, truth, "g"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->true_pairs, 1u);  // null label: c is a singleton
  EXPECT_EQ(r->predicted_pairs, 3u);
}

TEST(EvaluateFilesTest, CustomIdField) {
  const std::string pred = WriteTemp("pred3.jsonl", "{\"id\": \"x\", \"cluster\": \"x\"}\n");
  const std::string truth = WriteTemp("truth3.jsonl", "{\"doc\": \"x\", \"g\": 1}\n");
  EvalFiles files{pred, truth, "g", "doc"};
  const absl::StatusOr<EvalResult> r = EvaluateFiles(files);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n, 1u);
}

// The files are read as the pipeline reads its inputs: compressed ones (.gz, .zst) too, with a
// BOM and CR line ends.
TEST(EvaluateFilesTest, CompressedFilesScoreAsPlainOnes) {
  const std::string pred_text =
      "\xEF\xBB\xBF{\"id\": \"a\", \"cluster\": \"a\"}\r\n{\"id\": \"b\", \"cluster\": \"a\"}\r\n"
      "{\"id\": \"c\", \"cluster\": \"c\"}\n";
  const std::string truth_text =
      "{\"id\": \"a\", \"g\": 1}\n{\"id\": \"b\", \"g\": 1}\n{\"id\": \"c\", \"g\": 1}\n";
  const absl::StatusOr<EvalResult> plain =
      EvaluateFiles({WriteTemp("cpred.jsonl", pred_text), WriteTemp("ctruth.jsonl", truth_text), "g"});
  const absl::StatusOr<EvalResult> gz = EvaluateFiles(
      {WriteTemp("cpred.jsonl.gz", neardup_test::Gzip(pred_text)),
       WriteTemp("ctruth.jsonl.zst", neardup_test::Zstd(truth_text)), "g"});
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_EQ(plain->n, 3u);
  EXPECT_EQ(gz->n, 3u);
  EXPECT_EQ(gz->true_pairs, 3u);
  EXPECT_EQ(gz->predicted_pairs, 1u);
  EXPECT_DOUBLE_EQ(gz->pair_recall, plain->pair_recall);
  EXPECT_DOUBLE_EQ(gz->ari, plain->ari);
}

void ExpectError(const std::string& pred_text, const std::string& truth_text,
                 const std::string& want_substring) {
  const std::string pred = WriteTemp("perr.jsonl", pred_text);
  const std::string truth = WriteTemp("terr.jsonl", truth_text);
  const absl::StatusOr<EvalResult> r = EvaluateFiles({pred, truth, "g"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(want_substring), std::string::npos) << r.status();
}

TEST(EvaluateFilesTest, ErrorsNameFileAndLine) {
  const std::string ok_pred = "{\"id\": \"a\", \"cluster\": \"a\"}\n";
  const std::string ok_truth = "{\"id\": \"a\", \"g\": 1}\n";
  ExpectError(ok_pred + "{\"id\": \"b\", \"cluster\": \n", ok_truth, "perr.jsonl:2: ");
  ExpectError(ok_pred + "[1, 2]\n", ok_truth, "perr.jsonl:2: not a JSON object");
  ExpectError(ok_pred + "{\"id\": \"b\"}\n", ok_truth, "perr.jsonl:2: missing \"cluster\"");
  ExpectError(ok_pred + ok_pred, ok_truth, "perr.jsonl:2: duplicate id \"a\" (first on line 1)");
  ExpectError(ok_pred, ok_truth + "{\"g\": 2}\n", "terr.jsonl:2: missing \"id\"");
  ExpectError(ok_pred, ok_truth + "{\"id\": \"b\", \"g\": [1]}\n",
              "terr.jsonl:2: field \"g\" is not a string or number");
  ExpectError(ok_pred, "\n\n{\"id\": \"b\"} x\n", "terr.jsonl:3: ");
}

// Scores over nothing mean nothing: no id in both files (another corpus, another id field) and
// no truth record with the label field (a misspelt --truth-field) are errors, not 1.0 or 0.0.
TEST(EvaluateFilesTest, NoCommonIdOrNoLabelAtAllIsAnError) {
  const std::string pred = "{\"id\": \"a\", \"cluster\": \"a\"}\n{\"id\": \"b\", \"cluster\": \"a\"}\n";
  ExpectError(pred, "{\"id\": \"x\", \"g\": 1}\n{\"id\": \"y\", \"g\": 1}\n",
              "eval_test_perr.jsonl is in ");
  ExpectError(pred, "{\"id\": \"a\", \"story\": 1}\n{\"id\": \"b\", \"story\": 1}\n",
              "terr.jsonl: no record has the label field \"g\" (2 read): is --truth-field right?");
  // A truth that covers part of the cluster file still scores, and says how much it matched.
  const std::string p = WriteTemp("ppart.jsonl", pred);
  const std::string t = WriteTemp("tpart.jsonl", "{\"id\": \"a\", \"g\": 1}\n");
  const absl::StatusOr<EvalResult> r = EvaluateFiles({p, t, "g"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->n, 1u);
  EXPECT_EQ(r->predicted_records, 2u);
  EXPECT_EQ(r->truth_records, 1u);
  EXPECT_EQ(r->truth_labelled, 1u);
}

TEST(EvaluateFilesTest, MissingFileIsNotFound) {
  const std::string truth = WriteTemp("t4.jsonl", "");
  const absl::StatusOr<EvalResult> r =
      EvaluateFiles({::testing::TempDir() + "/no/such/file.jsonl", truth, "g"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no/such/file.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace neardup
