// End-to-end tests of the neardup binary: every subcommand on data/samples/ and on real corpora
// from ../shared/data/, checking outputs, accounting and exit codes.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil.h"

namespace {

using namespace neardup_test;  // tests/testutil.h

const std::string kBoard = kSource + "/data/samples/seed-board.jsonl";

TEST(CliTest, ClusterWritesOneLinePerRecordInInputOrder) {
  const std::string out = Temp("board.clusters.jsonl");
  Result r = RunNeardup("cluster " + kBoard + " -o " + out + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> in = Lines(ReadFile(kBoard));
  std::vector<std::string> got = Lines(ReadFile(out));
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(Field(got[i], "id"), Field(in[i], "id"));
    const bool rep = Field(got[i], "representative") == "true";
    EXPECT_EQ(rep, Field(got[i], "cluster") == Field(got[i], "id")) << got[i];
    if (rep) EXPECT_EQ(Field(got[i], "similarity"), "1");
  }
}

TEST(CliTest, OutputIsByteIdenticalAtOneAndTwoThreads) {
  const std::string corpus = kShared + "/kocohub-ko-entertainment-titles/docs.jsonl";
  ASSERT_TRUE(Exists(corpus)) << corpus << " is missing: the shared corpora sit beside the checkout";
  const std::string a = Temp("t1.jsonl"), b = Temp("t2.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + corpus + " --threshold 0.5 --threads 1 -q -o " + a).exit_code, 0);
  ASSERT_EQ(RunNeardup("cluster " + corpus + " --threshold 0.5 --threads 2 -q -o " + b).exit_code, 0);
  const std::string one = ReadFile(a), two = ReadFile(b);
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, two);
  // The corpus has repeated stories, so some clusters must have formed at 0.5.
  EXPECT_NE(one.find("\"representative\":false"), std::string::npos);
}

// Every input record is kept or dropped, none lost or altered: the multiset of kept + dropped
// lines equals the multiset of input lines.
TEST(CliTest, DedupOnSpamAssassinLosesAndAltersNothing) {
  const std::string corpus = kShared + "/spam-assassin/docs.jsonl";
  if (!Exists(corpus)) FAIL() << corpus << " not present";
  const std::string kept = Temp("spam.kept.jsonl"), dropped = Temp("spam.dropped.jsonl"),
                    map = Temp("spam.map.jsonl"), stats = Temp("spam.stats.json");
  Result r = RunNeardup("dedup " + corpus + " -o " + kept + " --dropped " + dropped + " --dropped-map " +
                 map + " --stats " + stats + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> in = Lines(ReadFile(corpus));
  std::vector<std::string> k = Lines(ReadFile(kept));
  std::vector<std::string> d = Lines(ReadFile(dropped));
  EXPECT_EQ(in.size(), 6046u);
  EXPECT_EQ(k.size() + d.size(), in.size());
  EXPECT_GT(d.size(), 0u) << "spam campaigns repeat: some records must be dropped";
  EXPECT_EQ(Lines(ReadFile(map)).size(), d.size());
  std::vector<std::string> out = k;
  out.insert(out.end(), d.begin(), d.end());
  std::sort(out.begin(), out.end());
  std::sort(in.begin(), in.end());
  EXPECT_TRUE(out == in);
  const std::string s = ReadFile(stats);
  EXPECT_NE(s.find("\"read\": 6046"), std::string::npos) << s;
  EXPECT_NE(s.find("\"kept\": " + std::to_string(k.size())), std::string::npos) << s;
  EXPECT_NE(s.find("\"dropped\": " + std::to_string(d.size())), std::string::npos) << s;
}

TEST(CliTest, DedupKeepsCsvHeaderAndRecordsByteForByte) {
  const std::string csv = Temp("in.csv");
  std::ofstream(csv) << "id,title\r\n1,\"Hello, world\"\r\n2,\"Hello, world\"\r\n3,\"multi\nline\"\r\n";
  const std::string kept = Temp("kept.csv"), dropped = Temp("dropped.csv");
  Result r = RunNeardup("dedup " + csv + " --text-field title -o " + kept + " --dropped " + dropped + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(kept), "id,title\r\n1,\"Hello, world\"\r\n3,\"multi\nline\"\r\n");
  EXPECT_EQ(ReadFile(dropped), "id,title\r\n2,\"Hello, world\"\r\n");
}

// A last record without a line end stays without one in whichever output ends with it; one that
// another record follows in its output (a second input) is given "\n" there. A csv input and one
// in another format cannot share the kept file: refused before any work.
TEST(CliTest, DedupKeepsTheLastLineEndAsItWasAndOneFormat) {
  const std::string a = Temp("noeol.a.jsonl"), b = Temp("noeol.b.jsonl");
  const std::string kept = Temp("noeol.kept"), dropped = Temp("noeol.dropped");
  WriteFile(a, "{\"id\":\"1\",\"text\":\"one story told here\"}\r\n"
               "{\"id\":\"2\",\"text\":\"another story\"}");
  WriteFile(b, "{\"id\":\"3\",\"text\":\"one story told here\"}");
  Result r = RunNeardup("dedup " + a + " -q -o " + kept);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(kept), ReadFile(a));
  r = RunNeardup("dedup " + a + " " + b + " -q -o " + kept + " --dropped " + dropped);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(kept), ReadFile(a));
  EXPECT_EQ(ReadFile(dropped), ReadFile(b));
  r = RunNeardup("dedup " + b + " " + a + " -q -o " + kept);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(kept), ReadFile(b) + "\n" + "{\"id\":\"2\",\"text\":\"another story\"}");
  const std::string csv = Temp("noeol.csv");
  WriteFile(csv, "id,text\n4,a csv record\n");
  std::remove(kept.c_str());
  r = RunNeardup("dedup " + a + " " + csv + " -q -o " + kept);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a csv input cannot share its outputs with another format: " + a +
                       " is jsonl, " + csv + " is csv"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::ifstream(kept).good());
  for (const std::string& f : {a, b, kept, dropped, csv}) std::remove(f.c_str());
}

TEST(CliTest, ReadsStandardInput) {
  const std::string in = Temp("stdin.txt");
  std::ofstream(in) << "the same line of text here\nthe same line of text here\nsomething else\n";
  Result r = RunNeardup("cluster - --format text -q", in);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Field(lines[0], "id"), "-:1");
  EXPECT_EQ(Field(lines[1], "cluster"), "-:1");
  EXPECT_EQ(Field(lines[2], "cluster"), "-:3");
  // dedup reads its input twice: standard input is spooled.
  r = RunNeardup("dedup - --format text -q -o " + Temp("stdin.kept.txt"), in);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Temp("stdin.kept.txt")), "the same line of text here\nsomething else\n");
}

// Exact verification reads the candidates' records again: from a plain file by their byte
// offsets, from a compressed one by replaying it. Both give the same bytes, with blank lines,
// CRLF line ends and two inputs in the way, at --verify exact and auto.
TEST(CliTest, ExactVerificationReadsRecordsByPlaceAndByReplayAlike) {
  const std::string corpus = Temp("places.synth.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 1500 --chains 20 --seed 9 -q -o " + corpus).exit_code, 0);
  const std::vector<std::string> lines = Lines(ReadFile(corpus));
  const std::string a = Temp("places.a.jsonl"), b = Temp("places.b.jsonl");
  {
    std::ofstream fa(a, std::ios::binary), fb(b, std::ios::binary);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::ofstream& f = i < lines.size() / 2 ? fa : fb;
      f << lines[i] << (i % 3 == 0 ? "\r\n" : "\n");
      if (i % 7 == 0) f << "\n";
    }
  }
  ASSERT_EQ(std::system(("gzip -c " + b + " > " + b + ".gz").c_str()), 0);
  for (const std::string verify : {"exact", "auto"}) {
    std::string outs[2], edges[2], stats[2];
    const std::string inputs[2] = {a + " " + b, a + ".gz " + b + ".gz"};
    ASSERT_EQ(std::system(("gzip -kf " + a).c_str()), 0);
    for (int k = 0; k < 2; ++k) {
      const std::string o = Temp("places.out"), e = Temp("places.edges"), st = Temp("places.st");
      const Result r = RunNeardup("cluster " + inputs[k] + " --verify " + verify + " -q -o " + o +
                                  " --edges " + e + " --stats " + st);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      outs[k] = ReadFile(o);
      edges[k] = ReadFile(e);
      stats[k] = ReadFile(st);
    }
    // Ids are FILE:LINE where a record has none; synth's records have ids.
    EXPECT_EQ(outs[0], outs[1]) << verify;
    EXPECT_EQ(edges[0], edges[1]) << verify;
    const size_t at = stats[0].find("\"exact_checks\": ");
    ASSERT_NE(at, std::string::npos) << stats[0];
    EXPECT_EQ(stats[0].substr(at, 40), stats[1].substr(stats[1].find("\"exact_checks\": "), 40));
    EXPECT_EQ(stats[0].find("\"exact_checks\": 0,"), std::string::npos) << "nothing verified";
    EXPECT_GT(Lines(edges[0]).size(), 50u);
  }
  for (const std::string& f : {corpus, a, b, a + ".gz", b + ".gz"}) std::remove(f.c_str());
}

// Standard input, /dev/stdin on a pipe and a named FIFO can be read only once, but a run reads
// its inputs again (the stop-shingle sample, exact verification, dedup's second pass): they are
// spooled to a temporary file first, so every record is there and the clusters are the file's.
// (Before, the FIFO and /dev/stdin lost most records to the sample pass with exit 0, and `-`
// failed at verification.)
TEST(CliTest, InputsReadableOnceAreSpooledAndClusterLikeTheFile) {
  const std::string corpus = Temp("once.synth.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 1200 --chains 12 --seed 9 -q -o " + corpus).exit_code, 0);
  const std::string ref = Temp("once.ref"), kept_ref = Temp("once.kept.ref");
  ASSERT_EQ(RunNeardup("cluster " + corpus + " --verify exact -q -o " + ref).exit_code, 0);
  ASSERT_EQ(RunNeardup("dedup " + corpus + " -q -o " + kept_ref).exit_code, 0);
  const std::string expected = ReadFile(ref);
  ASSERT_EQ(Lines(expected).size(), 1200u);
  const std::string fifo = Temp("once.fifo"), out = Temp("once.out"), err = Temp("once.err");
  std::remove(fifo.c_str());
  ASSERT_EQ(std::system(("mkfifo " + fifo).c_str()), 0);
  const std::string cases[] = {
      "cat " + corpus + " | " + kBinary + " cluster - --verify exact -q -o " + out,
      "cat " + corpus + " | " + kBinary + " cluster /dev/stdin --verify exact -q -o " + out,
      "(cat " + corpus + " > " + fifo + " &); " + kBinary + " cluster " + fifo +
          " --verify exact -q -o " + out,
  };
  for (const std::string& c : cases) {
    std::remove(out.c_str());
    const int status = std::system((c + " 2>" + err).c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << c << ": " << ReadFile(err);
    EXPECT_EQ(ReadFile(out), expected) << c;
  }
  // The format still comes from the name given: a FIFO named .csv is read as csv.
  const std::string csv = Temp("once.csv"), csv_fifo = Temp("once.fifo.csv");
  WriteFile(csv, "id,title,text\na,One,the same text of a record here\nb,Two,the same text of a "
                 "record here\nc,Three,something else entirely\n");
  std::remove(csv_fifo.c_str());
  ASSERT_EQ(std::system(("mkfifo " + csv_fifo).c_str()), 0);
  ASSERT_EQ(RunNeardup("cluster " + csv + " -q -o " + ref).exit_code, 0);
  {
    const int st = std::system(("(cat " + csv + " > " + csv_fifo + " &); " + kBinary + " cluster " +
                                csv_fifo + " -q -o " + out + " 2>" + err).c_str());
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << ReadFile(err);
    EXPECT_EQ(ReadFile(out), ReadFile(ref));
    EXPECT_EQ(Lines(ReadFile(out)).size(), 3u);
  }
  std::remove(csv.c_str());
  std::remove(csv_fifo.c_str());
  // dedup's kept file from a pipe is the file's, byte for byte.
  const int status = std::system(("cat " + corpus + " | " + kBinary + " dedup /dev/stdin -q -o " +
                                  out + " 2>" + err).c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(err);
  EXPECT_EQ(ReadFile(out), ReadFile(kept_ref));
  for (const std::string& f : {corpus, ref, kept_ref, fifo, out, err}) std::remove(f.c_str());
}

// Progress goes to a log only when asked (--progress): whole lines, one at each stage, never the
// terminal's carriage returns; --quiet and --progress together are a usage error.
TEST(CliTest, ProgressLinesForLogsOnlyWithTheFlag) {
  const std::string out = Temp("progress.out");
  Result r = RunNeardup("cluster " + kBoard + " --progress -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* stage : {"reading: ", "finding candidates (", "verifying candidates (",
                            "clustering ("}) {
    EXPECT_NE(r.err.find(std::string("neardup: ") + stage), std::string::npos) << stage << r.err;
  }
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\033["), std::string::npos) << r.err;
  r = RunNeardup("cluster " + kBoard + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("finding candidates"), std::string::npos) << r.err;
  r = RunNeardup("cluster " + kBoard + " --progress -q -o " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--progress and --quiet"), std::string::npos) << r.err;
  std::remove(out.c_str());
}

TEST(CliTest, UsageErrorsExitTwoWithOneClearLine) {
  Result r = RunNeardup("cluster " + kBoard + " --threshold 1.5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threshold"), std::string::npos) << r.err;
  r = RunNeardup("cluster " + kBoard + " --shingle char:0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--shingle"), std::string::npos) << r.err;
  r = RunNeardup("cluster /nonexistent/file.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/file.jsonl"), std::string::npos) << r.err;
  r = RunNeardup("cluster " + kBoard + " -o /nonexistent-dir/out.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent-dir"), std::string::npos) << r.err;
  r = RunNeardup("cluster " + kBoard + " --no-such-flag");
  EXPECT_EQ(r.exit_code, 2);
  r = RunNeardup("");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliTest, BadRecordIsReportedWithFileAndLineAndCounted) {
  const std::string in = Temp("bad.jsonl");
  std::ofstream(in) << "{\"id\":\"a\",\"text\":\"first\"}\n{\"id\":\"b\",\"text\":\n"
                    << "{\"id\":\"c\",\"text\":\"third\"}\n";
  const std::string out = Temp("bad.clusters.jsonl"), stats = Temp("bad.stats.json");
  Result r = RunNeardup("cluster " + in + " -o " + out + " --stats " + stats);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(ReadFile(out)).size(), 2u);
  const std::string s = ReadFile(stats);
  EXPECT_NE(s.find("\"read\": 3"), std::string::npos) << s;
  EXPECT_NE(s.find("\"bad\": 1"), std::string::npos) << s;
}

TEST(CliTest, FailedRunLeavesEarlierOutputUntouched) {
  const std::string out = Temp("keep.clusters.jsonl");
  std::ofstream(out) << "earlier output\n";
  const std::string gz = Temp("truncated.jsonl.gz");
  std::ofstream(gz, std::ios::binary) << std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
  Result r = RunNeardup("cluster " + gz + " -o " + out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("truncated.jsonl.gz"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(out), "earlier output\n");
}

TEST(CliTest, EvalScoresAClusteringAgainstItsOwnTruth) {
  // A truth file whose labels are the clusters found: perfect scores.
  const std::string clusters = Temp("eval.clusters.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + kBoard + " -q -o " + clusters).exit_code, 0);
  Result r = RunNeardup("eval " + clusters + " --truth " + clusters + " --truth-field cluster --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"pair_f1\": 1.000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"n\": 21"), std::string::npos) << r.out;
  // Against a truth that puts everything in one cluster, precision stays 1 and recall drops.
  const std::string one = Temp("eval.one.jsonl");
  {
    std::ofstream o(one);
    for (const std::string& line : Lines(ReadFile(clusters))) {
      o << "{\"id\":\"" << Field(line, "id") << "\",\"story\":\"all\"}\n";
    }
  }
  r = RunNeardup("eval " + clusters + " --truth " + one + " --truth-field story --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"pair_precision\": 1.000000"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"pair_recall\": 1.000000"), std::string::npos) << r.out;
}

}  // namespace

namespace {

std::map<std::string, std::string> ClusterOf(const std::string& clusters_jsonl) {
  std::map<std::string, std::string> out;
  for (const std::string& line : Lines(clusters_jsonl)) out[Field(line, "id")] = Field(line, "cluster");
  return out;
}

// The seed board with no options but the input: the two repeated stories cluster, the others
// stay alone, and no 홍장원 headline joins a 이재명 or 한동훈 one.
TEST(CliTest, DefaultsClusterTheSeedBoardsRepeatedStories) {
  const std::string out = Temp("seed.clusters.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + kBoard + " -q -o " + out).exit_code, 0);
  auto c = ClusterOf(ReadFile(out));
  EXPECT_EQ(c["47093"], c["47088"]);
  EXPECT_EQ(c["47090"], c["47083"]);
  for (const char* alone : {"47089", "47092", "47080", "47079", "47078"}) {
    int members = 0;
    for (const auto& [id, cluster] : c) members += cluster == c[alone];
    EXPECT_EQ(members, 1) << alone << " should be alone";
  }
  std::vector<std::string> in = Lines(ReadFile(kBoard));
  auto title_of = [&](const std::string& id) {
    for (const std::string& line : in) {
      if (Field(line, "id") == id) return Field(line, "title");
    }
    return std::string();
  };
  for (const auto& [a, ca] : c) {
    for (const auto& [b, cb] : c) {
      if (ca != cb) continue;
      const bool hong = title_of(a).find("홍장원") != std::string::npos;
      const bool other = title_of(b).find("이재명") != std::string::npos ||
                         title_of(b).find("한동훈") != std::string::npos;
      EXPECT_FALSE(hong && other) << a << " and " << b;
    }
  }
}

// Every engine runs through cluster and dedup and finds the seed's 尹/尹대통령 pair; each gives
// byte-identical output at 1 and 2 threads.
TEST(CliTest, EveryEngineFindsTheSeedPairAndIsDeterministic) {
  for (const std::string algo : {"minhash", "simhash", "exact"}) {
    SCOPED_TRACE(algo);
    const std::string a = Temp(algo + ".1.jsonl"), b = Temp(algo + ".2.jsonl");
    // SimHash over ~30 title shingles needs a wider radius than the default 3 bits.
    const std::string extra = algo == "simhash" ? " --max-hamming 8" : "";
    ASSERT_EQ(RunNeardup("cluster " + kBoard + " --algo " + algo + extra + " -j 1 -q -o " + a).exit_code, 0);
    ASSERT_EQ(RunNeardup("cluster " + kBoard + " --algo " + algo + extra + " -j 2 -q -o " + b).exit_code, 0);
    EXPECT_EQ(ReadFile(a), ReadFile(b));
    auto c = ClusterOf(ReadFile(a));
    EXPECT_EQ(c["47093"], c["47088"]);
    const std::string kept = Temp(algo + ".kept.jsonl");
    ASSERT_EQ(RunNeardup("dedup " + kBoard + " --algo " + algo + extra + " -q -o " + kept).exit_code, 0);
    EXPECT_EQ(ReadFile(kept).find("\"47088\""), std::string::npos);
  }
}

// A planted chain: windows of one text, each 15 characters on from the last, so neighbours are
// above the threshold and every other pair below it. components joins the ends; center does not,
// and every member of a center cluster is within the threshold of its representative.
TEST(CliTest, CenterClusteringDoesNotChainButComponentsDoes) {
  std::string base;
  uint64_t x = 12345;
  for (int i = 0; i < 400; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    base.push_back(static_cast<char>('a' + (x >> 59) % 26));
  }
  const std::string in = Temp("chain.jsonl");
  {
    std::ofstream o(in);
    for (int k = 0; k < 6; ++k) {
      o << "{\"id\":\"c" << k << "\",\"text\":\"" << base.substr(k * 15, 200) << "\"}\n";
    }
  }
  const std::string comp = Temp("chain.components.jsonl"), cent = Temp("chain.center.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + in + " --algo exact --cluster components -q -o " + comp).exit_code, 0);
  ASSERT_EQ(RunNeardup("cluster " + in + " --algo exact --cluster center -q -o " + cent).exit_code, 0);
  auto c1 = ClusterOf(ReadFile(comp));
  EXPECT_EQ(c1["c0"], c1["c5"]) << "components should chain the ends together";
  auto c2 = ClusterOf(ReadFile(cent));
  EXPECT_NE(c2["c0"], c2["c5"]);
  EXPECT_EQ(c2["c0"], c2["c1"]);
  for (const std::string& line : Lines(ReadFile(cent))) {
    EXPECT_GE(std::stod(Field(line, "similarity")), 0.8) << line;
  }
  // components shows its chaining in the lowest similarity to the representative.
  bool chained = false;
  for (const std::string& line : Lines(ReadFile(comp))) {
    chained |= std::stod(Field(line, "cluster_min_similarity")) < 0.8;
  }
  EXPECT_TRUE(chained);
}

TEST(CliTest, ReportsEscapeCorpusTextAndMarkdownListsClusters) {
  const std::string in = Temp("markup.jsonl");
  std::ofstream(in) << "{\"id\":\"x1\",\"title\":\"<script>alert(1)</script> & more text here\"}\n"
                    << "{\"id\":\"x2\",\"title\":\"<script>alert(1)</script> & more text here!\"}\n";
  const std::string html = Temp("markup.html"), clusters = Temp("markup.clusters.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + in + " -q -o " + clusters + " --report " + html).exit_code, 0);
  const std::string page = ReadFile(html);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), std::string::npos);
  const std::string md = Temp("markup.md");
  Result r = RunNeardup("report " + clusters + " " + in + " -o " + md + " --report-format md -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(md).find("x2"), std::string::npos);
}

}  // namespace

namespace {

// 1,200 documents, each a short unique text followed by the same long footer: on shingles alone
// the footer makes them near-duplicates of each other; the stop-shingle pass finds the footer's
// shingles in every document and leaves them out, so the documents stay apart.
TEST(CliTest, BoilerplateShinglesAreLeftOutOfSketches) {
  std::string footer = " ";
  uint64_t y = 7;
  for (int i = 0; i < 1000; ++i) {  // a long footer of distinct shingles
    y = y * 6364136223846793005ULL + 1442695040888963407ULL;
    footer.push_back(static_cast<char>('a' + (y >> 59) % 26));
  }
  const std::string in = Temp("boiler.jsonl");
  {
    std::ofstream o(in);
    uint64_t x = 99;
    for (int d = 0; d < 1200; ++d) {
      std::string unique;
      for (int i = 0; i < 80; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unique.push_back(static_cast<char>('a' + (x >> 59) % 26));
      }
      o << "{\"id\":\"d" << d << "\",\"text\":\"" << unique << footer << "\"}\n";
    }
  }
  const std::string with = Temp("boiler.with.jsonl"), without = Temp("boiler.without.jsonl");
  const std::string stats = Temp("boiler.stats.json");
  ASSERT_EQ(RunNeardup("cluster " + in + " -q -o " + without + " --max-shingle-df 1").exit_code, 0);
  ASSERT_EQ(RunNeardup("cluster " + in + " -q -o " + with + " --stats " + stats).exit_code, 0);
  auto count_dropped = [](const std::string& text) {
    size_t n = 0;
    for (const std::string& line : Lines(text)) n += Field(line, "representative") == "false";
    return n;
  };
  EXPECT_GT(count_dropped(ReadFile(without)), 100u) << "the footer alone should merge documents";
  EXPECT_EQ(count_dropped(ReadFile(with)), 0u);
  const std::string s = ReadFile(stats);
  EXPECT_EQ(s.find("\"occurrences_removed\": 0,"), std::string::npos) << s;
}

}  // namespace

namespace {

// scripts/board-to-jsonl turns the scraped seed page into the same 20 headlines as the sample.
TEST(CliTest, BoardConversionScriptReadsTheSeedListing) {
  const std::string seed = kSource + "/../shared/seed/000_57a18ff3c3e87f81.txt";
  if (!Exists(seed)) FAIL() << seed << " not present";
  const std::string out = Temp("board.jsonl");
  const std::string cmd =
      "bash " + kSource + "/scripts/board-to-jsonl " + seed + " > " + out + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::vector<std::string> got = Lines(ReadFile(out));
  std::vector<std::string> sample = Lines(ReadFile(kBoard));
  ASSERT_EQ(got.size(), 20u);
  ASSERT_EQ(sample.size(), 21u);  // the sample also holds the article
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(Field(got[i], "id"), Field(sample[i + 1], "id"));
    EXPECT_EQ(Field(got[i], "title"), Field(sample[i + 1], "title"));
    EXPECT_EQ(Field(got[i], "date"), "2025.02.04");
  }
}

}  // namespace

namespace {

// --keep earliest:/latest:/field-max: pick the representative by a field's value.
TEST(CliTest, KeepByFieldValuePicksTheRepresentative) {
  const std::string in = Temp("keep.jsonl");
  std::ofstream(in) << "{\"id\":\"a\",\"text\":\"the very same story text here\",\"time\":\"2025-02-04T09:00\",\"views\":10}\n"
                    << "{\"id\":\"b\",\"text\":\"the very same story text here\",\"time\":\"2025-02-03T23:59\",\"views\":9}\n"
                    << "{\"id\":\"c\",\"text\":\"the very same story text here\",\"views\":100}\n";
  auto rep_with = [&](const std::string& keep) {
    Result r = RunNeardup("cluster " + in + " -q --keep " + keep);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Field(Lines(r.out)[0], "cluster");
  };
  EXPECT_EQ(rep_with("first"), "a");
  EXPECT_EQ(rep_with("earliest:time"), "b");
  EXPECT_EQ(rep_with("latest:time"), "a");  // c has no time: it never wins
  EXPECT_EQ(rep_with("field-max:views"), "c");
  EXPECT_EQ(RunNeardup("cluster " + in + " -q --keep latest").exit_code, 2);
}

// --memory-limit below what the band keys need: they are sorted in runs on disk and merged, and
// the clusters are byte for byte those of an unlimited run. 70,000 documents: a band's keys take
// 1.1 MB, so 1M cannot hold one band (runs of 65,536 keys, band_sorter.h).
TEST(CliTest, BandKeysSpilledToDiskUnderMemoryLimitGiveTheSameClusters) {
  const std::string corpus = Temp("spill.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 70000 --doc-bytes 120 --seed 3 -q -o " + corpus).exit_code, 0);
  const std::string dir = Temp("spill.d");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string a = Temp("spill.a.jsonl"), b = Temp("spill.b.jsonl");
  const std::string sa = Temp("spill.a.json"), sb = Temp("spill.b.json");
  Result r = RunNeardup("cluster " + corpus + " -q -o " + a + " --stats " + sa);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunNeardup("cluster " + corpus + " -q --memory-limit 1M --temp-dir " + dir + " -o " + b +
                 " --stats " + sb);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string unlimited = ReadFile(a);
  EXPECT_NE(unlimited.find("\"representative\":false"), std::string::npos);
  EXPECT_EQ(ReadFile(b), unlimited);
  const std::string limited_stats = ReadFile(sb);
  EXPECT_EQ(Field(ReadFile(sa), "spilled_runs"), "0");
  EXPECT_NE(Field(limited_stats, "spilled_runs"), "0") << limited_stats;
  EXPECT_NE(Field(limited_stats, "spilled_runs"), "");
  // The exact checks' shingle sets, too, were loaded in windows (into one reused buffer).
  EXPECT_EQ(Field(ReadFile(sa), "verify_passes"), "1");
  EXPECT_GT(std::stoi(Field(limited_stats, "verify_passes")), 1) << limited_stats;
  EXPECT_EQ(::rmdir(dir.c_str()), 0) << "spill files were left in " << dir;
  // A --temp-dir that is not there is a usage error, named before any work.
  r = RunNeardup("cluster " + corpus + " -q --temp-dir " + dir + "/missing -o " + b);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir + "/missing"), std::string::npos) << r.err;
  for (const std::string& f : {corpus, a, b, sa, sb}) std::remove(f.c_str());
}

// A threshold near 0 makes nearly every pair a candidate: under --memory-limit the run stops with
// the figures once the pairs would pass it (or 64 MB), instead of growing without bound; nothing
// is written. The same corpus at the default threshold runs within the same limit.
TEST(CliTest, CandidatePairsStayWithinTheMemoryLimit) {
  const std::string corpus = Temp("pairs-limit.jsonl"), out = Temp("pairs-limit.out");
  ASSERT_EQ(RunNeardup("synth -n 6000 --seed 4 -q -o " + corpus).exit_code, 0);
  Result r = RunNeardup("cluster " + corpus + " -t 0.05 --memory-limit 64M -q -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("neardup: error: candidate pairs: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("past --memory-limit (64.0 MB"), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(out).good());
  r = RunNeardup("cluster " + corpus + " --memory-limit 64M -q -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(ReadFile(out)).size(), 6000u);
  for (const std::string& f : {corpus, out}) std::remove(f.c_str());
}

// A long Korean news body made of numbered sentences: `from`..`to` of one article.
std::string NewsBody(int from, int to, const std::string& topic) {
  std::string body;
  for (int i = from; i < to; ++i) {
    body += topic + " 관련 " + std::to_string(i) + "번째 문단에서 법원은 피고인의 혐의 " +
            std::to_string(i * 7 % 13) + "건을 인정하고 징역 " + std::to_string(i % 5 + 1) +
            "년을 선고했다. ";
  }
  return body;
}

std::string JsonLine(const std::string& id, const std::string& title, const std::string& text) {
  return "{\"id\": \"" + id + "\", \"title\": \"" + title + "\", \"text\": \"" + text + "\"}\n";
}

// The edges file explains each pair: a re-headlined article is an edge by its body, an exact
// copy is an exact-duplicate edge, an unrelated article has none; both sides name ids as the
// cluster file does.
TEST(CliTest, EdgesFileExplainsEveryPair) {
  const std::string in = Temp("edges.jsonl");
  {
    std::ofstream f(in);
    const std::string body = NewsBody(0, 12, "강원랜드 채용 비리");
    f << JsonLine("a1", "강원랜드 사장 징역 3년", body);
    f << JsonLine("a2", "법원 채용비리 대부분 유죄 판단", body + "무단 전재 금지.");
    f << JsonLine("a3", "강원랜드 사장 징역 3년", body);
    f << JsonLine("a4", "서울 아파트값 상승", NewsBody(0, 12, "부동산 시장"));
  }
  const std::string clusters = Temp("edges.c.jsonl"), edges = Temp("edges.e.jsonl");
  Result r = RunNeardup("cluster " + in + " -q -o " + clusters + " --edges " + edges);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadFile(edges));
  ASSERT_EQ(lines.size(), 2u) << ReadFile(edges);
  EXPECT_EQ(Field(lines[0], "a"), "a1");
  EXPECT_EQ(Field(lines[0], "b"), "a2");
  EXPECT_EQ(Field(lines[0], "rule"), "body");
  EXPECT_GT(std::stod(Field(lines[0], "body_similarity")), 0.9);
  EXPECT_LT(std::stod(Field(lines[0], "title_similarity")), 0.5);  // re-headlined
  EXPECT_EQ(Field(lines[0], "same_cluster"), "true");
  EXPECT_EQ(Field(lines[1], "a"), "a1");
  EXPECT_EQ(Field(lines[1], "b"), "a3");
  EXPECT_EQ(Field(lines[1], "rule"), "exact-duplicate");
  EXPECT_EQ(Field(lines[1], "similarity"), "1");
  EXPECT_EQ(Field(lines[1], "measured"), "exact");
  // Without titles, a field that is absent is null.
  const std::string plain = Temp("edges.plain.jsonl");
  {
    std::ofstream f(plain);
    f << "{\"id\": \"p1\", \"text\": \"" << NewsBody(0, 10, "국회 예산안") << "\"}\n";
    f << "{\"id\": \"p2\", \"text\": \"" << NewsBody(0, 10, "국회 예산안") << "추가.\"}\n";
  }
  r = RunNeardup("cluster " + plain + " -q -o " + clusters + " --edges " + edges +
                 " --verify exact");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string one = ReadFile(edges);
  EXPECT_EQ(Field(one, "title_similarity"), "null") << one;
  EXPECT_EQ(Field(one, "measured"), "exact") << one;
  for (const std::string& f : {in, plain, clusters, edges}) std::remove(f.c_str());
}

// On a planted corpus with chains: the edges are the same at 1 and 2 threads, name only ids of
// the cluster file, and the edges kept by clustering (same_cluster) connect exactly the clusters.
TEST(CliTest, EdgesKeptByClusteringConnectExactlyTheClusters) {
  const std::string corpus = Temp("edges.synth.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 1200 --chains 30 --seed 5 -q -o " + corpus).exit_code, 0);
  for (const std::string mode : {"anchored", "medoid", "center", "components"}) {
    const std::string c1 = Temp("e1.c"), e1 = Temp("e1.e"), c2 = Temp("e2.c"), e2 = Temp("e2.e");
    Result r = RunNeardup("cluster " + corpus + " -q -j 1 --cluster " + mode + " -o " + c1 +
                          " --edges " + e1);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string edges = ReadFile(e1);
    if (std::string(mode) == "anchored") {  // one mode at two threads is enough (CliTest above)
      r = RunNeardup("cluster " + corpus + " -q -j 2 --cluster " + mode + " -o " + c2 +
                     " --edges " + e2);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(edges, ReadFile(e2)) << mode;
    }
    std::map<std::string, std::string> cluster_of;
    std::map<std::string, size_t> order;
    for (const std::string& line : Lines(ReadFile(c1))) {
      order[Field(line, "id")] = order.size();
      cluster_of[Field(line, "id")] = Field(line, "cluster");
    }
    // Union-find over the kept edges.
    std::map<std::string, std::string> parent;
    std::function<std::string(const std::string&)> find = [&](const std::string& x) {
      auto it = parent.find(x);
      if (it == parent.end() || it->second == x) return x;
      return it->second = find(it->second);
    };
    size_t kept = 0, cut = 0;
    for (const std::string& line : Lines(edges)) {
      const std::string a = Field(line, "a"), b = Field(line, "b");
      ASSERT_TRUE(cluster_of.count(a) && cluster_of.count(b)) << line;
      EXPECT_LT(order[a], order[b]) << line;
      const bool same = Field(line, "same_cluster") == "true";
      EXPECT_EQ(same, cluster_of[a] == cluster_of[b]) << line;
      if (!same) {
        ++cut;
        continue;
      }
      ++kept;
      parent[find(a)] = find(b);
    }
    EXPECT_GT(kept, 100u) << mode;
    if (std::string(mode) == "components") EXPECT_EQ(cut, 0u);
    if (std::string(mode) != "components") EXPECT_GT(cut, 0u) << mode << ": chains not split";
    // Two documents share a cluster exactly when the kept edges connect them.
    std::map<std::string, std::string> root_of_cluster;
    for (const auto& [id, cluster] : cluster_of) {
      auto [it, inserted] = root_of_cluster.emplace(cluster, find(id));
      EXPECT_EQ(it->second, find(id)) << mode << ": " << id << " in " << cluster;
    }
    std::map<std::string, std::string> cluster_of_root;
    for (const auto& [id, cluster] : cluster_of) {
      auto [it, inserted] = cluster_of_root.emplace(find(id), cluster);
      EXPECT_EQ(it->second, cluster) << mode << ": " << id << " joins two clusters";
    }
    for (const std::string& f : {c1, e1, c2, e2}) std::remove(f.c_str());
  }
  std::remove(corpus.c_str());
}

// `explain` names the measured figures, the rule and the run's decision, consistent with the
// cluster file of the same run.
TEST(CliTest, ExplainTellsWhyTwoRecordsAreTogetherOrApart) {
  Result r = RunNeardup("explain 47093 47088 " + kBoard);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("title: 21 and 24 shingles, 20 shared: Jaccard 0.8"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("duplicates by title"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the run: an edge, rule title"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("clusters: together in 47093"), std::string::npos) << r.out;
  r = RunNeardup("explain 47091 47090 " + kBoard + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Field(r.out, "same_cluster"), "false") << r.out;
  EXPECT_EQ(Field(r.out, "edge"), "null") << r.out;
  EXPECT_NE(r.out.find("\"shared_bands\":[]"), std::string::npos) << r.out;
  // The same decision as the cluster file.
  const std::string clusters = Temp("explain.c.jsonl");
  ASSERT_EQ(RunNeardup("cluster " + kBoard + " -q -o " + clusters).exit_code, 0);
  std::map<std::string, std::string> cluster_of;
  for (const std::string& line : Lines(ReadFile(clusters))) {
    cluster_of[Field(line, "id")] = Field(line, "cluster");
  }
  EXPECT_EQ(cluster_of["47093"], cluster_of["47088"]);
  EXPECT_NE(cluster_of["47091"], cluster_of["47090"]);
  // Unknown ids and output flags are usage errors.
  r = RunNeardup("explain 47093 nosuchid " + kBoard);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("neardup: error: no record with id \"nosuchid\""), std::string::npos)
      << r.err;
  r = RunNeardup("explain 47093 47088 " + kBoard + " --stats " + Temp("x.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("explain writes no files"), std::string::npos) << r.err;
  // An edge that clustering cut (a chain's links in two stars): explain says so and why.
  const std::string chains = Temp("explain.chains.jsonl"), edges = Temp("explain.edges.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 300 --chains 10 --dup-fraction 0 --seed 3 -q -o " + chains)
                .exit_code, 0);
  ASSERT_EQ(RunNeardup("cluster " + chains + " -q -o " + clusters + " --edges " + edges).exit_code,
            0);
  std::string cut;
  for (const std::string& line : Lines(ReadFile(edges))) {
    if (Field(line, "same_cluster") == "false") {
      cut = line;
      break;
    }
  }
  ASSERT_FALSE(cut.empty()) << "no chain was cut";
  r = RunNeardup("explain " + Field(cut, "a") + " " + Field(cut, "b") + " " + chains);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("clustering cut it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--cluster anchored cut this edge"), std::string::npos) << r.out;
  for (const std::string& f : {clusters, chains, edges}) std::remove(f.c_str());
}

// The report names what joined each member to its representative, and its "same text" badge
// agrees with the run's exact groups (a headline tag is stripped from titles only).
TEST(CliTest, ReportSaysWhatMatchedAndSameTextFollowsTheRun) {
  const std::string report = Temp("why.md");
  Result r = RunNeardup("cluster " + kBoard + " -q -o " + Temp("why.c") + " --report " + report +
                        " --report-format md");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string md = ReadFile(report);
  EXPECT_NE(md.find("**47088** (title)"), std::string::npos) << md;
  const std::string in = Temp("why.jsonl");
  {
    std::ofstream f(in);
    const std::string body = NewsBody(0, 8, "국회 예산안");
    f << JsonLine("t1", "[속보] 국회 예산안 본회의 통과", body);
    f << JsonLine("t2", "국회 예산안 본회의 통과", body);
  }
  r = RunNeardup("cluster " + in + " -q -o " + Temp("why.c") + " --report " + report +
                 " --report-format md");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  md = ReadFile(report);
  EXPECT_NE(md.find("**t2** (exact duplicate) (same text)"), std::string::npos) << md;
  for (const std::string& f : {in, report, Temp("why.c")}) std::remove(f.c_str());
}

}  // namespace
