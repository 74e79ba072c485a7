// The command line's usage errors end to end (issue 16, "messages"): every error from the flag
// parser is one line "neardup: error: ..." with exit 2 and a did-you-mean where a typed name is
// close to a known one; `neardup help [COMMAND]` prints the help; sizes take the usual
// spellings; negative counts are refused instead of wrapping.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "testutil.h"
#include "internal/suggest.h"
#include "scoped_dir.h"

namespace {

using neardup::testing_util::ScopedDir;

using namespace neardup_test;  // tests/testutil.h: kBinary, ReadFile, WriteFile

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A directory with a small input, in.jsonl, where the binary runs.
class UsageTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    std::ofstream(dir_.path() + "/in.jsonl")
        << "{\"id\":\"a\",\"text\":\"one story, told once\"}\n"
           "{\"id\":\"b\",\"text\":\"one story, told once\"}\n";
  }
  Result Neardup(const std::string& args) const {
    const std::string out = dir_.path() + "/.stdout", err = dir_.path() + "/.stderr";
    const std::string cmd = "cd '" + dir_.path() + "' && '" + kBinary + "' " + args + " >'" +
                            out + "' 2>'" + err + "'";
    const int status = std::system(cmd.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }
  // Runs `args`, expecting exit 2 and exactly one line on stderr: "neardup: error: " + `message`.
  void ExpectUsageError(const std::string& args, const std::string& message) const {
    const Result r = Neardup(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err, "neardup: error: " + message + "\n") << args;
    EXPECT_EQ(r.out, "") << args;
  }

  ScopedDir dir_{"neardup_usage"};
};

TEST_F(UsageTest, UnknownOptionGetsTheClosestOptionOfItsCommand) {
  ExpectUsageError("cluster in.jsonl --thresold 0.8",
                   "unknown option '--thresold' for 'cluster'; did you mean '--threshold'?");
  ExpectUsageError("cluster in.jsonl --thresold=0.8",
                   "unknown option '--thresold' for 'cluster'; did you mean '--threshold'?");
  ExpectUsageError("dedup in.jsonl -o k --dropped-mpa m",
                   "unknown option '--dropped-mpa' for 'dedup'; did you mean '--dropped-map'?");
  ExpectUsageError("tune pairs in.jsonl --jsn",
                   "unknown option '--jsn' for 'tune pairs'; did you mean '--json'?");
}

TEST_F(UsageTest, UnknownOptionWithoutACloseOneSaysWhereItBelongs) {
  ExpectUsageError("cluster in.jsonl --dropped x",
                   "unknown option '--dropped' for 'cluster' (an option of dedup); see neardup "
                   "cluster --help");
  ExpectUsageError("cluster in.jsonl --zzz",
                   "unknown option '--zzz' for 'cluster'; see neardup cluster --help");
  ExpectUsageError("eval p --truth t --truth-field f q",
                   "unexpected argument 'q' for 'eval'; see neardup eval --help");
}

TEST_F(UsageTest, UnknownCommandGetsTheClosestCommand) {
  ExpectUsageError("clustr in.jsonl", "unknown command 'clustr'; did you mean 'cluster'?");
  ExpectUsageError("dedupe in.jsonl -o x", "unknown command 'dedupe'; did you mean 'dedup'?");
  ExpectUsageError("tune pairz x", "unknown command 'tune pairz'; did you mean 'tune pairs'?");
  ExpectUsageError("frobnicate",
                   "unknown command 'frobnicate' (commands: cluster, dedup, clean, eval, report, "
                   "tune, synth, plan, explain)");
  ExpectUsageError("", "neardup needs a command: cluster, dedup, clean, eval, report, tune, "
                       "synth, plan, explain; see neardup --help");
}

TEST_F(UsageTest, ValueOutsideItsListGetsTheClosestValue) {
  ExpectUsageError("cluster in.jsonl --algo minhahs",
                   "--algo: 'minhahs' is not one of minhash, simhash, exact; did you mean "
                   "'minhash'?");
  ExpectUsageError("cluster in.jsonl --cluster mediod",
                   "--cluster: 'mediod' is not one of anchored, medoid, center, components; did you "
                   "mean 'medoid'?");
  ExpectUsageError("cluster in.jsonl --match titel",
                   "--match: 'titel' is not one of auto, title, body, both, either; did you mean "
                   "'title'?");
  ExpectUsageError("cluster in.jsonl --verify aproximate",
                   "--verify: 'aproximate' is not one of auto, exact, signature, none");
  ExpectUsageError("cluster in.jsonl --keep lates:date",
                   "--keep must be first, longest, shortest, earliest:FIELD, latest:FIELD or "
                   "field-max:FIELD, got \"lates:date\"; did you mean 'latest:date'?");
}

TEST_F(UsageTest, NumberThatIsNoNumberIsOneLine) {
  ExpectUsageError("cluster in.jsonl --threshold 0,8", "--threshold: '0,8' is not a number");
  ExpectUsageError("cluster in.jsonl --num-perm many", "--num-perm: 'many' is not a whole number");
  ExpectUsageError("cluster in.jsonl --threshold", "--threshold needs a value");
}

// --max-bad is unsigned: "-1" used to wrap to 2^64 - 1 and pass.
// --core-degree 1 would make both ends of every edge cores, which join only through a shared
// neighbour: an isolated pair would stay apart. Refused, as is the flag with another mode.
TEST_F(UsageTest, CoreDegreeBelowTwoOrWithAnotherModeIsRefused) {
  ExpectUsageError("cluster in.jsonl --core-degree 1", "--core-degree must be >= 2, got 1");
  ExpectUsageError("cluster in.jsonl --cluster medoid --core-degree 5",
                   "--core-degree applies to --cluster anchored only, not medoid");
}

TEST_F(UsageTest, NegativeCountsAreRefused) {
  ExpectUsageError("cluster in.jsonl --max-bad -1", "--max-bad: must be 0 or more, got -1");
  ExpectUsageError("cluster in.jsonl --df-sample -5", "--df-sample: must be 0 or more, got -5");
  EXPECT_EQ(Neardup("cluster in.jsonl --max-bad 0 -q").exit_code, 0);
}

// A file that cannot be read says why (before: "cannot read input x" alone).
TEST_F(UsageTest, UnreadableInputNamesTheReason) {
  ExpectUsageError("cluster missing.jsonl",
                   "cannot read input missing.jsonl: No such file or directory");
}

TEST_F(UsageTest, HelpCommandPrintsTheHelp) {
  const Result top = Neardup("--help");
  ASSERT_EQ(top.exit_code, 0);
  ASSERT_NE(top.out.find("Usage:"), std::string::npos);
  const Result help = Neardup("help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out, top.out);
  for (const std::string command : {"cluster", "dedup", "tune pairs", "plan"}) {
    const Result direct = Neardup(command + " --help");
    ASSERT_EQ(direct.exit_code, 0);
    const Result r = Neardup("help " + command);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, direct.out) << command;
  }
  ExpectUsageError("help clustr", "unknown command 'clustr'; did you mean 'cluster'?");
}

// Alias and tag tables are read whole: one that never ends (/dev/zero) or is far too long is
// refused with its name instead of being read without bound.
TEST_F(UsageTest, EndlessAliasOrTagFileIsRefused) {
  for (const std::string flag : {"--alias-file", "--tag-file"}) {
    ExpectUsageError("cluster in.jsonl -o out -q " + flag + " /dev/zero",
                     "/dev/zero: longer than 64 MB, too long for a table of aliases or tags (one "
                     "entry a line)");
  }
}

TEST_F(UsageTest, MemoryLimitTakesEverySpellingOfASize) {
  for (const std::string size :
       {"2G", "2GB", "2GiB", "2g", "2gb", "512M", "512MB", "512MiB", "1000000", "1.5G"}) {
    const Result r = Neardup("cluster in.jsonl -o out -q --memory-limit " + size);
    EXPECT_EQ(r.exit_code, 0) << size << ": " << r.err;
  }
  const std::string sizes = "; give e.g. 512M, 4G or 1000000 (binary multiples: G = GB = GiB = "
                            "2^30 bytes)";
  ExpectUsageError("cluster in.jsonl --memory-limit 2XB",
                   "--memory-limit: \"2XB\" is not a size" + sizes);
  ExpectUsageError("cluster in.jsonl --memory-limit -1G",
                   "--memory-limit: \"-1G\" is not a size (it is negative)" + sizes);
  ExpectUsageError("cluster in.jsonl --memory-limit 0x10",
                   "--memory-limit: \"0x10\" is not a size" + sizes);
}

TEST(SuggestTest, EditDistanceCountsSwapsAsOne) {
  using neardup::internal::EditDistance;
  EXPECT_EQ(EditDistance("minhahs", "minhash"), 1u);
  EXPECT_EQ(EditDistance("mediod", "medoid"), 1u);
  EXPECT_EQ(EditDistance("--thresold", "--threshold"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("MinHash", "minhash"), 0u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, ClosestMatchIsWithinTheDistanceOrNothing) {
  using neardup::internal::ClosestMatch;
  const std::vector<std::string> commands = {"cluster", "dedup", "eval", "report"};
  EXPECT_EQ(ClosestMatch("clustr", commands), "cluster");
  EXPECT_EQ(ClosestMatch("repotr", commands), "report");
  EXPECT_EQ(ClosestMatch("frobnicate", commands), "");
  EXPECT_EQ(ClosestMatch("cluster", commands), "");  // the word itself is no suggestion
}

}  // namespace
