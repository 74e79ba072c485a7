// End-to-end tests of `neardup plan`: the bands and rows it prints are the ones the run uses, its
// S-curve is 1-(1-s^r)^b (recomputed here, independently of lsh.cc), the corpus size comes from
// flags or a sample of the inputs, and bad usage exits 2 before any work.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil.h"

namespace {

using namespace neardup_test;  // tests/testutil.h

struct Banding {
  int bands = 0, rows = 0, short_bands = 0;
};

// "  body:  threshold 0.70, char:5, 24 bands x 5 rows + 1 band x 4 rows (...)" -> {24, 5, 1};
// the short bands have one row less than the full ones.
Banding ParseBanding(const std::string& out, const std::string& field) {
  const std::regex re("\\n  " + field +
                      ":\\s+threshold [0-9.]+, [^,]+, ([0-9]+) bands? x ([0-9]+) rows?"
                      "(?: \\+ ([0-9]+) bands? x ([0-9]+) rows?)? \\(");
  std::smatch m;
  if (!std::regex_search(out, m, re)) return {};
  Banding b{std::stoi(m[1]), std::stoi(m[2]), 0};
  if (m[3].matched) {
    b.short_bands = std::stoi(m[3]);
    if (std::stoi(m[4]) != b.rows - 1) return {};
  }
  return b;
}

// The S-curve rows "  0.30   0.000276    0.683233 ...": similarity -> {body, title}.
std::map<std::string, std::pair<double, double>> ParseCurve(const std::string& out) {
  std::map<std::string, std::pair<double, double>> curve;
  const std::regex re("\\n  (0\\.[0-9]{2})\\s+([0-9.]+)\\s+([0-9.]+)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator();
       ++it) {
    curve[(*it)[1]] = {std::stod((*it)[2]), std::stod((*it)[3])};
  }
  return curve;
}

// The formula, written out here on purpose rather than taken from lsh.h.
double Candidate(double s, Banding b) {
  return 1 - std::pow(1 - std::pow(s, b.rows), b.bands) *
                 std::pow(1 - std::pow(s, b.rows - 1), b.short_bands);
}

void ExpectCurveFollowsFormula(const std::string& out, Banding body, Banding title) {
  const auto curve = ParseCurve(out);
  ASSERT_EQ(curve.size(), 14u) << out;  // 0.30, 0.35, ..., 0.95
  for (int i = 0; i < 14; ++i) {
    const double s = 0.30 + 0.05 * i;
    char key[8];
    std::snprintf(key, sizeof(key), "%.2f", s);
    ASSERT_TRUE(curve.count(key)) << key << "\n" << out;
    // Printed with 6 decimals: within half a unit of the last digit.
    EXPECT_NEAR(curve.at(key).first, Candidate(s, body), 5.1e-7) << "body at " << key;
    EXPECT_NEAR(curve.at(key).second, Candidate(s, title), 5.1e-7) << "title at " << key;
  }
}

TEST(CliPlanTest, DefaultBandingAndItsSCurve) {
  const Result r = RunNeardup("plan --documents 1000000 -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Banding body = ParseBanding(r.out, "body");
  const Banding title = ParseBanding(r.out, "title");
  // The README: at 128 permutations, 0.7 (the body default) -> 24x5 + 1x4 and 0.5 -> 8x4 + 31x3.
  EXPECT_EQ(body.bands, 24);
  EXPECT_EQ(body.rows, 5);
  EXPECT_EQ(body.short_bands, 1);
  EXPECT_EQ(title.bands, 8);
  EXPECT_EQ(title.rows, 4);
  EXPECT_EQ(title.short_bands, 31);
  ExpectCurveFollowsFormula(r.out, body, title);
  EXPECT_NE(r.out.find("0.70   0.990820"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("24 bands x 5 rows + 1 band x 4 rows (124 of 128 permutations)"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<- body threshold"), std::string::npos);
  EXPECT_NE(r.out.find("<- title threshold"), std::string::npos);
}

TEST(CliPlanTest, ThresholdsAndGivenBandsChangeTheCurve) {
  Result r = RunNeardup("plan -n 1000 -t 0.7 --title-threshold 0.9");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Banding body = ParseBanding(r.out, "body");
  Banding title = ParseBanding(r.out, "title");
  EXPECT_EQ(body.bands, 24);  // README: 0.7 -> 24x5 + 1x4, 0.9 -> 8x11 + 4x10
  EXPECT_EQ(body.rows, 5);
  EXPECT_EQ(body.short_bands, 1);
  EXPECT_EQ(title.bands, 8);
  EXPECT_EQ(title.rows, 11);
  EXPECT_EQ(title.short_bands, 4);
  ExpectCurveFollowsFormula(r.out, body, title);

  r = RunNeardup("plan -n 1000 --bands 20 --rows 5 --title-bands 8 --title-rows 4 --num-perm 100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  body = ParseBanding(r.out, "body");
  title = ParseBanding(r.out, "title");
  EXPECT_EQ(body.bands, 20);
  EXPECT_EQ(body.rows, 5);
  EXPECT_EQ(body.short_bands, 0);  // given bands are full bands only
  EXPECT_EQ(title.bands, 8);
  EXPECT_EQ(title.rows, 4);
  EXPECT_NE(r.out.find("100 of 100 permutations), as given"), std::string::npos) << r.out;
  ExpectCurveFollowsFormula(r.out, body, title);
}

// A device never ends its record (/dev/zero) and has no size to scale a sample by: refused, as
// standard input is, instead of being read without bound.
TEST(CliPlanTest, DevicesAreNotSampled) {
  const Result r = RunNeardup("plan /dev/zero");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plan: /dev/zero is not a regular file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give --documents and --bytes"), std::string::npos) << r.err;
}

TEST(CliPlanTest, SmallInputIsCountedExactly) {
  const Result r = RunNeardup("plan " + kSource + "/data/samples/seed-board.jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("read all 21 records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("documents 21,"), std::string::npos) << r.out;
}

TEST(CliPlanTest, LargeInputIsEstimatedFromASample) {
  // 20,000 records of about 300 bytes (6 MB), sampled on their first 256 KiB.
  const std::string path = Temp("corpus.jsonl");
  {
    std::ofstream out(path);
    for (int i = 0; i < 20000; ++i) {
      out << "{\"id\":\"" << i << "\",\"title\":\"headline " << i << "\",\"text\":\""
          << std::string(220 + (i * 7919) % 160, static_cast<char>('a' + i % 26)) << "\"}\n";
    }
  }
  const Result r = RunNeardup("plan " + path + " --sample-bytes 256K -j 2");
  std::remove(path.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sampled the first"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("documents about ([0-9,]+),"))) << r.out;
  std::string digits = m[1];
  digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
  EXPECT_NEAR(std::stod(digits), 20000, 20000 * 0.05) << r.out;
  // --documents overrides the estimate.
  const Result given = RunNeardup("plan " + kSource + "/data/samples/seed-board.jsonl -n 5000");
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_NE(given.out.find("documents 5,000,"), std::string::npos) << given.out;
}

TEST(CliPlanTest, MemoryDiskAndTimeAreReported) {
  const Result r = RunNeardup("plan -n 1000000 --bytes 2G -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m,
                                std::regex("expected peak: [0-9.]+ [kMG]?B \\(([0-9]+) bytes a document\\)")))
      << r.out;
  // Two fields of 128 MinHash values of 12 bits (minhash.h): at least 384 bytes a document; the
  // model's other state is far smaller than another sketch.
  EXPECT_GE(std::stoi(m[1]), 384);
  EXPECT_LE(std::stoi(m[1]), 1600);
  EXPECT_NE(r.out.find("cluster -o: about"), std::string::npos);
  EXPECT_NE(r.out.find("about "), std::string::npos);
  EXPECT_NE(r.out.find("at 2 threads"), std::string::npos);
  // --speed: 2 GiB at 100 MB/s.
  const Result speed = RunNeardup("plan -n 1000000 --bytes 2G --speed 100");
  ASSERT_EQ(speed.exit_code, 0) << speed.err;
  EXPECT_NE(speed.out.find("at --speed 100.0 MB/s: 21.5 s"), std::string::npos) << speed.out;
  // simhash: 8 bytes a document and field instead of 192.
  const Result simhash = RunNeardup("plan -n 1000000 --algo simhash -j 2");
  ASSERT_EQ(simhash.exit_code, 0) << simhash.err;
  EXPECT_NE(simhash.out.find("every such pair is found"), std::string::npos) << simhash.out;
  ASSERT_TRUE(std::regex_search(simhash.out, m, std::regex("expected peak: .*\\(([0-9]+) bytes")));
  EXPECT_LT(std::stoi(m[1]), 400);
}

TEST(CliPlanTest, BadUsageExitsTwoWithOneLine) {
  for (const std::string& args :
       {std::string("plan"), std::string("plan -n 10 -t 1.5"), std::string("plan -n 10 --bands 5"),
        std::string("plan /nonexistent/corpus.jsonl"), std::string("plan -n 10 --bytes 12Q")}) {
    const Result r = RunNeardup(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.rfind("neardup: error: ", 0), 0u) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(CliPlanTest, HelpDocumentsTheModel) {
  const Result r = RunNeardup("plan --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* word : {"--documents", "--bytes", "--speed", "--sample-bytes", "--threshold",
                           "--num-perm", "--bands", "1-(1-s^rows)^bands", "Memory", "Time"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
}

}  // namespace
