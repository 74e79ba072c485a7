// Bad input, end to end: a table of dirty inputs, each run through the neardup binary, checking
// the exit status, the message, the counts in --stats and the accounting identity
// read = documents + bad, documents = kept + dropped. Plus interruption by SIGINT and SIGTERM, and
// a write that fails (file size limit, full file system).
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compress_testutil.h"
#include "gtest/gtest.h"
#include "testutil.h"

namespace {

using namespace neardup_test;  // tests/testutil.h: kBinary, ReadFile, WriteFile

std::string Dir() {
  static const std::string dir = [] {
    std::string d = testing::TempDir() + "neardup_bad_input_XXXXXX";
    return std::string(mkdtemp(d.data()));
  }();
  return dir;
}

// The integer after "key": in a --stats file (keys are unique enough in it).
long long StatInt(const std::string& stats, const std::string& key) {
  const std::string pat = "\"" + key + "\": ";
  size_t p = stats.find(pat);
  if (p == std::string::npos) return -1;
  return std::atoll(stats.c_str() + p + pat.size());
}

struct Case {
  std::string name;
  std::string file;      // file name (its extension picks the format)
  std::string content;   // raw bytes
  std::string flags;     // extra flags
  int exit_code;
  std::string message;   // must appear on stderr ("" = nothing required)
  long long read;        // expected counts, -1 = don't check
  long long bad;
  long long utf8_repairs;
  long long duplicate_ids;
  long long rejected = -1;  // records in --rejects; -1: as many as were bad
};

// Names the case in test listings (ctest shows it instead of the struct's bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::vector<Case> Cases() {
  const std::string good = "{\"id\":\"a\",\"text\":\"one document\"}\n";
  const std::string two = good + "{\"id\":\"b\",\"text\":\"another document\"}\n";
  std::string gz = Gzip(two + two + two);
  gz.resize(gz.size() / 2);
  return {
      {"broken_utf8_is_repaired", "u.jsonl",
       "{\"id\":\"a\",\"text\":\"caf\xc3 \xff ok\"}\n", "", 0, "", 1, 0, 2, 0},
      {"truncated_json_is_skipped", "t.jsonl", good + "{\"id\":\"b\",\"text\":\"cut\n" + good, "",
       0, "t.jsonl:2", 3, 1, 0, 1},
      {"nul_byte_in_line_is_skipped", "n.jsonl",
       good + Bytes("{\"id\":\"z\",\"text\":\"x\0y\"}\n"), "", 0, "n.jsonl:2", 2, 1, 0, 0},
      {"crlf_and_bom_are_read", "c.jsonl", "\xEF\xBB\xBF" + std::string("{\"id\":\"a\",\"text\":\"x\"}\r\n{\"id\":\"b\",\"text\":\"y\"}\r\n"),
       "", 0, "", 2, 0, 0, 0},
      {"number_instead_of_string_is_skipped", "num.jsonl", "{\"id\":1,\"text\":42}\n" + good, "",
       0, "num.jsonl:1", 2, 1, 0, 0},
      {"json_array_line_is_skipped", "arr.jsonl", "[1,2,3]\n" + good, "", 0, "arr.jsonl:1", 2, 1,
       0, 0},
      {"duplicate_ids_are_renamed_with_a_warning", "dup.jsonl", good + good + good, "", 0,
       "a#2", 3, 0, 0, 2},
      {"csv_field_count_mismatch_is_skipped", "m.csv", "id,text\n1,hello\n2,x,y\n3,bye\n", "", 0,
       "m.csv:3", 3, 1, 0, 0},
      {"empty_file_has_no_records", "e.jsonl", "", "", 0, "", 0, 0, 0, 0},
      {"blank_lines_are_not_records", "b.jsonl", "\n\n" + good + "\n", "", 0, "", 1, 0, 0, 0},
      {"truncated_gzip_fails_naming_the_file", "tr.jsonl.gz", gz, "", 1, "tr.jsonl.gz", -1, -1,
       -1, -1},
      {"strict_fails_at_the_first_bad_record", "s.jsonl", good + "nope\n" + good, "--strict", 1,
       "s.jsonl:2", -1, -1, -1, -1},
      {"max_bad_fails_past_the_limit", "mb.jsonl", "x\ny\n" + good, "--max-bad 1", 1,
       "--max-bad", -1, -1, -1, -1},
      {"oversized_record_is_skipped_not_read_whole", "big.jsonl",
       good + "{\"id\":\"big\",\"text\":\"" + std::string(5000, 'x') + "\"}\n" + good,
       "--max-record-bytes 1000", 0, "longer than --max-record-bytes", 3, 1, 0, 1, 1},
      {"max_bad_within_the_limit_succeeds", "mb2.jsonl", "x\n" + good, "--max-bad 1", 0,
       "mb2.jsonl:1", 2, 1, 0, 0},
  };
}

class BadInputTest : public testing::TestWithParam<Case> {};

TEST_P(BadInputTest, ExitStatusMessageAndAccounting) {
  const Case& c = GetParam();
  const std::string in = Dir() + "/" + c.file;
  WriteFile(in, c.content);
  const std::string stats = Dir() + "/" + c.name + ".stats.json";
  const std::string kept = Dir() + "/" + c.name + ".kept";
  const std::string dropped = Dir() + "/" + c.name + ".dropped";
  const std::string rejects = Dir() + "/" + c.name + ".rejects";
  const std::string err = Dir() + "/" + c.name + ".err";
  std::remove(stats.c_str());
  const std::string cmd = kBinary + " dedup " + in + " -o " + kept + " --dropped " + dropped +
                          " --rejects " + rejects + " --stats " + stats + " " + c.flags + " 2>" +
                          err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  const std::string message = ReadFile(err);
  EXPECT_EQ(WEXITSTATUS(status), c.exit_code) << message;
  if (!c.message.empty()) EXPECT_NE(message.find(c.message), std::string::npos) << message;
  if (c.exit_code != 0) {
    struct stat st;
    EXPECT_NE(stat(kept.c_str(), &st), 0) << "a failed run wrote " << kept;
    return;
  }
  const std::string s = ReadFile(stats);
  ASSERT_FALSE(s.empty());
  if (c.read >= 0) EXPECT_EQ(StatInt(s, "read"), c.read) << s;
  if (c.bad >= 0) EXPECT_EQ(StatInt(s, "bad"), c.bad) << s;
  if (c.utf8_repairs >= 0) EXPECT_EQ(StatInt(s, "utf8_repairs"), c.utf8_repairs) << s;
  if (c.duplicate_ids >= 0) EXPECT_EQ(StatInt(s, "duplicate_ids"), c.duplicate_ids) << s;
  // The accounting identity, and every record is somewhere: kept, dropped or rejected.
  EXPECT_EQ(StatInt(s, "read"), StatInt(s, "documents") + StatInt(s, "bad")) << s;
  EXPECT_EQ(StatInt(s, "documents"), StatInt(s, "kept") + StatInt(s, "dropped")) << s;
  auto count_lines = [](const std::string& text) {
    return static_cast<long long>(std::count(text.begin(), text.end(), '\n'));
  };
  const bool has_header = c.file.size() > 4 && c.file.substr(c.file.size() - 4) == ".csv";
  EXPECT_EQ(count_lines(ReadFile(kept)) + count_lines(ReadFile(dropped)) -
                (has_header ? 2 * (StatInt(s, "read") > 0) : 0),
            StatInt(s, "documents"));
  EXPECT_EQ(count_lines(ReadFile(rejects)), c.rejected >= 0 ? c.rejected : StatInt(s, "bad"));
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(BadInputTest, RejectsHoldTheSkippedRecordsByteForByte) {
  const std::string in = Dir() + "/rejects.jsonl";
  const std::string bad1 = "{\"id\":\"x\",\"text\":\n";
  const std::string bad2 = "not json at all\r\n";
  WriteFile(in, "{\"id\":\"a\",\"text\":\"fine\"}\n" + bad1 + bad2);
  const std::string rejects = Dir() + "/rejects.out";
  const std::string cmd = kBinary + " cluster " + in + " -o " + Dir() + "/rejects.clusters" +
                          " --rejects " + rejects + " -q";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(ReadFile(rejects), bad1 + bad2);
}

// Records longer than --max-record-bytes are never held whole, yet --rejects gets them byte for
// byte: copied from the input by offset (plain), or by decompressing up to them (gzip), among
// the other rejects in input order; one is over 1 MiB (several pieces), one ends in CRLF, and the
// last one has no line end (it gains one, as every reject does).
TEST(BadInputTest, OversizedRecordsGoToRejectsWhole) {
  const std::string big1 = "{\"id\":\"big1\",\"text\":\"" + std::string(3000, 'x') + "\"}\r\n";
  std::string huge = "{\"id\":\"big2\",\"text\":\"";
  for (int i = 0; huge.size() < (size_t{3} << 20); ++i) huge += "chunk " + std::to_string(i) + " ";
  huge += "\"}\n";
  const std::string bad = "not json\n";
  const std::string last = "{\"id\":\"big3\",\"text\":\"" + std::string(2000, 'y') + "\"}";
  const std::string plain = Dir() + "/oversized.jsonl";
  WriteFile(plain, "{\"id\":\"a\",\"text\":\"fine\"}\n" + big1 + bad + huge +
                       "{\"id\":\"b\",\"text\":\"fine too\"}\n" + last);
  ASSERT_EQ(std::system(("gzip -kf " + plain).c_str()), 0);
  for (const std::string in : {plain, plain + ".gz"}) {
    const std::string rejects = Dir() + "/oversized.rejects";
    const Result r = RunNeardup("cluster " + in + " --max-record-bytes 1000 --rejects " + rejects +
                                " -q -o " + Dir() + "/oversized.clusters");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(ReadFile(rejects) == big1 + bad + huge + last + "\n") << in;
    EXPECT_EQ(Lines(ReadFile(Dir() + "/oversized.clusters")).size(), 2u);
  }
}

std::string Listing(const std::string& dir) {
  std::string listing;
  FILE* ls = popen(("LC_ALL=C ls -A " + dir).c_str(), "r");
  char buf[512];
  while (std::fgets(buf, sizeof(buf), ls)) listing += buf;
  pclose(ls);
  return listing;
}

std::string Documents(int n, int distinct) {
  std::string docs;
  for (int i = 0; i < n; ++i) {
    docs += "{\"id\":\"doc-" + std::to_string(i) + "\",\"text\":\"story number " +
            std::to_string(i % distinct) + " told in a few more words than strictly needed\"}\n";
  }
  return docs;
}

// Interrupting a run by SIGINT (Ctrl-C) or SIGTERM: the process dies of the signal (a shell
// shows 130 or 143), leaves the earlier outputs untouched and no temporary file behind.
class InterruptTest : public testing::TestWithParam<int> {
 protected:
  // Runs `args` (after the binary) with standard input from a fifo that gets 1000 records and
  // stays open, sends the signal while the run waits for more, and returns the wait status.
  int Interrupt(const std::string& dir, const std::vector<std::string>& args) {
    const std::string fifo = dir + "/fifo";
    EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    pid_t pid = fork();
    if (pid == 0) {
      setenv("TMPDIR", dir.c_str(), 1);
      // A signal ignored by whoever started the test would stay ignored in neardup (as under
      // nohup): start from the default.
      signal(GetParam(), SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (!freopen(fifo.c_str(), "r", stdin) || !freopen("/dev/null", "w", stderr)) _exit(126);
      std::vector<char*> argv = {const_cast<char*>(kBinary.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(kBinary.c_str(), argv.data());
      _exit(127);
    }
    EXPECT_GT(pid, 0);
    // Feed some input and keep the pipe open, so the run is still reading when the signal comes.
    FILE* writer = std::fopen(fifo.c_str(), "w");
    EXPECT_NE(writer, nullptr);
    const std::string docs = Documents(1000, 1000);
    std::fwrite(docs.data(), 1, docs.size(), writer);
    std::fflush(writer);
    usleep(500 * 1000);  // long enough for the run to set up its outputs and read what it got
    kill(pid, GetParam());
    // Closing the pipe changes nothing for a normal build (the signal is pending before read(2)
    // can return), but ThreadSanitizer runs a handler only at the thread's next intercepted
    // call, and a read(2) from a pipe blocks before that: the end of input lets it get there.
    std::fclose(writer);
    int status = 0;
    for (int waited_ms = 0; waitpid(pid, &status, WNOHANG) == 0; waited_ms += 10) {
      if (waited_ms > 120 * 1000) {  // never hang the test suite
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ADD_FAILURE() << "the run did not stop within 120 s of the signal";
        break;
      }
      usleep(10 * 1000);
    }
    return status;
  }
};

// dedup reads standard input twice, so it spools it to a temporary file ($TMPDIR) first: the
// signal comes while it spools.
TEST_P(InterruptTest, WhileSpoolingStandardInput) {
  const std::string dir = Dir() + "/interrupt-dedup-" + std::to_string(GetParam());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string out = dir + "/kept.jsonl";
  WriteFile(out, "earlier output\n");
  const int status = Interrupt(dir, {"dedup", "-", "-o", out, "-q"});
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == GetParam()) << status;
  EXPECT_EQ(ReadFile(out), "earlier output\n");
  EXPECT_EQ(Listing(dir), "fifo\nkept.jsonl\n");  // no spool file, no half-written output
}

// cluster reads standard input once, while the --rejects output is already open (its
// temporary file exists): the signal handler removes it.
TEST_P(InterruptTest, WhileReadingWithAnOutputOpen) {
  const std::string dir = Dir() + "/interrupt-cluster-" + std::to_string(GetParam());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string out = dir + "/clusters.jsonl";
  const std::string rejects = dir + "/rejects.jsonl";
  WriteFile(out, "earlier clusters\n");
  WriteFile(rejects, "earlier rejects\n");
  const int status = Interrupt(dir, {"cluster", "-", "-o", out, "--rejects", rejects, "-q"});
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == GetParam()) << status;
  EXPECT_EQ(ReadFile(out), "earlier clusters\n");
  EXPECT_EQ(ReadFile(rejects), "earlier rejects\n");
  EXPECT_EQ(Listing(dir), "clusters.jsonl\nfifo\nrejects.jsonl\n");
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptTest, testing::Values(SIGINT, SIGTERM),
                         [](const testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

// A write that fails (a full disk, a file size limit): the run fails (exit 1) with a message
// naming the output, replaces none of the earlier outputs and leaves no temporary file.
struct Outcome {
  int status = -1;
  std::string message;
};

// Runs neardup with `resource` (RLIMIT_FSIZE, RLIMIT_AS) limited to `limit` bytes. Under a file
// size limit SIGXFSZ is ignored, so a write past it fails with EFBIG instead of killing the
// process, unless `default_xfsz`: then neardup must ignore it itself. Needs no privilege.
Outcome RunWithLimit(int resource, const std::vector<std::string>& args, rlim_t limit,
                     const std::string& err, bool default_xfsz = false) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, default_xfsz ? SIG_DFL : SIG_IGN);
    struct rlimit rl = {limit, limit};
    if (setrlimit(resource, &rl) != 0) _exit(126);
    if (!freopen(err.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(kBinary.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kBinary.c_str(), argv.data());
    _exit(127);
  }
  Outcome o;
  waitpid(pid, &o.status, 0);
  o.message = ReadFile(err);
  return o;
}

Outcome RunWithFileSizeLimit(const std::vector<std::string>& args, rlim_t limit,
                             const std::string& err) {
  return RunWithLimit(RLIMIT_FSIZE, args, limit, err);
}

// A field flag that names a field no record has was silently ignored (every body empty and
// "2025 exact duplicates", or FILE:LINE ids, or --keep acting as first): now the run fails,
// names the flag and the field, and writes nothing. A field some records lack is fine.
TEST(BadInputTest, FieldNamesNoRecordHasAreRefused) {
  const std::string in = Temp("fields.jsonl"), out = Temp("fields.out.jsonl");
  WriteFile(in,
            "{\"id\": \"a\", \"title\": \"one\", \"text\": \"first body\", \"date\": \"2019-01-02\"}\n"
            "{\"id\": \"b\", \"title\": \"two\", \"text\": \"second body\"}\n");
  struct Case {
    std::string flags;
    std::string message;
  } cases[] = {
      {"--text-field content", "--text-field \"content\": no record has this field (2 read;"},
      {"--title-field headline", "--title-field \"headline\": no record has this field"},
      {"--id-field news_id", "--id-field \"news_id\": no record has this field"},
      {"--keep earliest:Date", "--keep earliest:Date: no record has a field \"Date\""},
      {"--title-field x --text-field content", "--title-field \"x\": no record has this field"},
  };
  for (const Case& c : cases) {
    std::remove(out.c_str());
    const Result r = RunNeardup("dedup " + in + " " + c.flags + " -q -o " + out);
    EXPECT_EQ(r.exit_code, 1) << c.flags;
    EXPECT_NE(r.err.find("neardup: error: " + c.message), std::string::npos) << r.err;
    EXPECT_FALSE(Exists(out)) << c.flags << ": something was written";
  }
  // Defaults on a corpus whose fields are named otherwise: every document would be empty.
  const std::string other = Temp("fields.other.jsonl");
  WriteFile(other, "{\"content\": \"a\"}\n{\"content\": \"b\"}\n");
  Result r = RunNeardup("cluster " + other + " -q -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no record has a \"title\" or \"text\" field (2 read)"), std::string::npos)
      << r.err;
  r = RunNeardup("cluster " + other + " --text-field content -q -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A field that one record has is fine, and so are the default id and title when absent.
  r = RunNeardup("cluster " + in + " --keep earliest:date -q -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  WriteFile(other, "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
  r = RunNeardup("cluster " + other + " -q -o " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A file in another format (csv read as jsonl): every record is bad, which is an error naming
  // the format and the first bad record, not an empty run with exit 0.
  WriteFile(other, "id,text\n1,hello\n2,world\n");
  std::remove(out.c_str());
  r = RunNeardup("cluster " + other + " --format jsonl -q -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("every record read was bad (3), so nothing was clustered: is --format right "
                       "(jsonl for the first input)? The first: " + other + ":1: invalid JSON"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("It looks like CSV: --format csv reads it"), std::string::npos) << r.err;
  EXPECT_FALSE(Exists(out));
  // A pretty-printed JSON array, and JSON Lines read as csv: the likely cause is named.
  WriteFile(other, "[\n  {\n    \"id\": \"1\",\n    \"text\": \"hello\"\n  },\n  {\n    \"id\": \"2\"\n  }\n]\n");
  r = RunNeardup("cluster " + other + " --format jsonl -q -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("It looks like a JSON array: neardup reads JSON Lines"), std::string::npos)
      << r.err;
  WriteFile(other, "{\"id\": \"1\", \"text\": \"a\"}\n{\"id\": \"2\", \"text\": \"b, c, d\"}\n"
                   "{\"id\": \"3\", \"title\": \"x\", \"text\": \"e\"}\n");
  r = RunNeardup("cluster " + other + " --format csv -q -o " + out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("It looks like JSON Lines: --format jsonl reads it"), std::string::npos)
      << r.err;
  EXPECT_FALSE(Exists(out));
  for (const std::string& f : {in, out, other}) std::remove(f.c_str());
}

// An empty value is a missing one: `--keep earliest:date` does not keep the record whose date is
// "" (it sorted first), a named field that some records lack or leave empty is warned about once
// with the count, and --stats counts the records with each field.
TEST(BadInputTest, EmptyValuesAreMissingValues) {
  const std::string in = Temp("empty-values.jsonl"), out = Temp("empty-values.out");
  const std::string stats = Temp("empty-values.stats");
  const std::string text = "the same article body, copied by three outlets word for word";
  WriteFile(in, "{\"id\": \"a\", \"date\": \"\", \"title\": \"\", \"text\": \"" + text + "\"}\n"
                "{\"id\": \"b\", \"date\": \"2019-01-05\", \"text\": \"" + text + "\"}\n"
                "{\"id\": \"c\", \"date\": \"2019-01-02\", \"title\": \"t\", \"text\": \"" + text +
                    "\"}\n");
  Result r = RunNeardup("cluster " + in + " --keep earliest:date --title-field title -o " + out +
                        " --stats " + stats);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& line : Lines(ReadFile(out))) EXPECT_EQ(Field(line, "cluster"), "c");
  EXPECT_NE(r.err.find("warning: --title-field \"title\": 2 of 3 records lack it or have it empty"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("warning: --keep earliest:date: 1 of 3 records lack \"date\" or have it "
                       "empty"),
            std::string::npos)
      << r.err;
  const std::string s = ReadFile(stats);
  EXPECT_EQ(StatInt(s, "with_title"), 1) << s;
  EXPECT_EQ(StatInt(s, "with_text"), 3) << s;
  EXPECT_EQ(StatInt(s, "with_keep_field"), 2) << s;
  for (const std::string& f : {in, out, stats}) std::remove(f.c_str());
}

TEST(DiskFullTest, FileTooLargeWhileWritingFailsAndKeepsEarlierOutput) {
  const std::string dir = Dir() + "/efbig-cluster";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string in = Dir() + "/efbig-cluster.jsonl";
  WriteFile(in, Documents(20000, 20000));  // a cluster file of about 2.4 MB, past the 1 MiB buffer
  const std::string out = dir + "/clusters.jsonl";
  const std::string stats = dir + "/stats.json";
  WriteFile(out, "earlier clusters\n");
  WriteFile(stats, "earlier stats\n");
  const Outcome o = RunWithFileSizeLimit({"cluster", in, "-o", out, "--stats", stats, "-q"},
                                         256 << 10, Dir() + "/efbig-cluster.err");
  ASSERT_TRUE(WIFEXITED(o.status)) << o.status;
  EXPECT_EQ(WEXITSTATUS(o.status), 1) << o.message;
  EXPECT_NE(o.message.find("cannot write " + out + ": File too large"), std::string::npos)
      << o.message;
  EXPECT_EQ(ReadFile(out), "earlier clusters\n");
  EXPECT_EQ(ReadFile(stats), "earlier stats\n");
  EXPECT_EQ(Listing(dir), "clusters.jsonl\nstats.json\n");
}

// `ulimit -f` in a shell leaves SIGXFSZ at its default, which kills the process (exit 153) with
// its temporary files left behind: neardup ignores the signal, so the write fails with EFBIG and
// the run ends as on a full disk.
TEST(DiskFullTest, FileSizeLimitWithTheSignalsDefaultFailsCleanly) {
  const std::string dir = Dir() + "/xfsz";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string in = Dir() + "/xfsz.jsonl";
  WriteFile(in, Documents(20000, 20000));
  const std::string out = dir + "/clusters.jsonl";
  WriteFile(out, "earlier clusters\n");
  const Outcome o = RunWithLimit(RLIMIT_FSIZE, {"cluster", in, "-o", out, "-q"}, 256 << 10,
                                 Dir() + "/xfsz.err", /*default_xfsz=*/true);
  ASSERT_TRUE(WIFEXITED(o.status)) << "killed by signal " << WTERMSIG(o.status);
  EXPECT_EQ(WEXITSTATUS(o.status), 1) << o.message;
  EXPECT_NE(o.message.find("cannot write " + out + ": File too large"), std::string::npos)
      << o.message;
  EXPECT_EQ(ReadFile(out), "earlier clusters\n");
  EXPECT_EQ(Listing(dir), "clusters.jsonl\n");
}

// Out of memory (an address-space limit, a threshold so low that nearly every pair is a
// candidate): an error naming the cause and what bounds memory, exit 1, earlier outputs kept and
// no temporary file left, instead of an uncaught std::bad_alloc (abort, exit 134). Not under the
// sanitizers, whose shadow memory cannot live within such a limit.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST(DiskFullTest, OutOfMemoryFailsCleanly) {
  const std::string dir = Dir() + "/oom";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string in = Dir() + "/oom.jsonl";
  ASSERT_EQ(RunNeardup("synth -n 3000 --seed 4 -q -o " + in).exit_code, 0);
  const std::string out = dir + "/clusters.jsonl", stats = dir + "/stats.json";
  WriteFile(out, "earlier clusters\n");
  // The same run without the limit succeeds: it is the memory that fails it. The memory goes to
  // the 2M candidate pairs; judging them by signature keeps the run at 3 s (exact verification
  // would take 20 s more and never be reached under the limit).
  ASSERT_EQ(RunNeardup("cluster " + in + " -t 0.05 --verify signature -j 2 -q -o " + dir +
                       "/free.jsonl")
                .exit_code,
            0);
  std::remove((dir + "/free.jsonl").c_str());
  const Outcome o = RunWithLimit(RLIMIT_AS,
                                 {"cluster", in, "-t", "0.05", "--verify", "signature", "-j", "2",
                                  "-o", out, "--stats", stats, "-q"},
                                 rlim_t{120} << 20, Dir() + "/oom.err");
  ASSERT_TRUE(WIFEXITED(o.status)) << "killed by signal " << WTERMSIG(o.status);
  EXPECT_EQ(WEXITSTATUS(o.status), 1) << o.message;
  EXPECT_NE(o.message.find("neardup: error: out of memory; --memory-limit"), std::string::npos)
      << o.message;
  EXPECT_EQ(ReadFile(out), "earlier clusters\n");
  EXPECT_EQ(Listing(dir), "clusters.jsonl\n");
}
#endif

// The small outputs (kept, stats) fit, the large one (dropped) does not, and it fails only when
// the outputs are committed at the end: none of them may be replaced, not even those that were
// complete.
TEST(DiskFullTest, FileTooLargeAtCommitReplacesNoOutput) {
  const std::string dir = Dir() + "/efbig-dedup";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string in = Dir() + "/efbig-dedup.jsonl";
  WriteFile(in, Documents(2000, 1));  // one story, 1999 copies: dropped is about 200 KB
  const std::string kept = dir + "/kept.jsonl";
  const std::string dropped = dir + "/dropped.jsonl";
  const std::string stats = dir + "/stats.json";
  WriteFile(kept, "earlier kept\n");
  WriteFile(dropped, "earlier dropped\n");
  WriteFile(stats, "earlier stats\n");
  const Outcome o = RunWithFileSizeLimit(
      {"dedup", in, "-o", kept, "--dropped", dropped, "--stats", stats, "-q"}, 64 << 10,
      Dir() + "/efbig-dedup.err");
  ASSERT_TRUE(WIFEXITED(o.status)) << o.status;
  EXPECT_EQ(WEXITSTATUS(o.status), 1) << o.message;
  EXPECT_NE(o.message.find("cannot write " + dropped + ": File too large"), std::string::npos)
      << o.message;
  EXPECT_EQ(ReadFile(kept), "earlier kept\n");
  EXPECT_EQ(ReadFile(dropped), "earlier dropped\n");
  EXPECT_EQ(ReadFile(stats), "earlier stats\n");
  EXPECT_EQ(Listing(dir), "dropped.jsonl\nkept.jsonl\nstats.json\n");
}

// A really full file system (ENOSPC): a 128 KiB tmpfs mounted in a private mount namespace
// (`unshare --mount`, as root, or `unshare --map-root-user --mount` where unprivileged user
// namespaces are allowed), so nothing outside the test sees it and it goes away with it. Skipped
// where neither is allowed (a container without CAP_SYS_ADMIN); the test above covers the same
// code path with EFBIG.
TEST(DiskFullTest, NoSpaceLeftOnDeviceFailsAndKeepsEarlierOutput) {
  const std::string dir = Dir() + "/enospc";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string mnt = dir + "/full";
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
  const std::string in = dir + "/in.jsonl";
  WriteFile(in, Documents(3000, 1));  // about 330 KB of kept + dropped, more than the 128 KiB
  const std::string script =
      "set -u; D=" + mnt + "; O=" + dir + "\n" +
      "mount -t tmpfs -o size=128k neardup-test-full \"$D\" 2>/dev/null || exit 99\n"
      "printf 'earlier kept\\n' > \"$D/kept.jsonl\"; printf 'earlier dropped\\n' > \"$D/dropped.jsonl\"\n"
      "'" + kBinary + "' dedup '" + in + "' -o \"$D/kept.jsonl\" --dropped \"$D/dropped.jsonl\" -q "
      "2> \"$O/err\"; echo $? > \"$O/rc\"\n"
      "LC_ALL=C ls -A \"$D\" > \"$O/listing\"; cat \"$D/kept.jsonl\" > \"$O/kept\"; "
      "cat \"$D/dropped.jsonl\" > \"$O/dropped\"\n";
  WriteFile(dir + "/run.sh", script);
  int status = -1;
  for (const char* how : {"unshare --mount --propagation private",
                          "unshare --map-root-user --mount --propagation private"}) {
    status = std::system((std::string(how) + " sh " + dir + "/run.sh 2>/dev/null").c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here (unshare --mount and "
                    "unshare --map-root-user --mount both refused); DiskFullTest.FileTooLarge* "
                    "cover the same code with EFBIG";
  }
  const std::string message = ReadFile(dir + "/err");
  EXPECT_EQ(ReadFile(dir + "/rc"), "1\n") << message;
  EXPECT_NE(message.find("cannot write " + mnt + "/"), std::string::npos) << message;
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_EQ(ReadFile(dir + "/kept"), "earlier kept\n");
  EXPECT_EQ(ReadFile(dir + "/dropped"), "earlier dropped\n");
  EXPECT_EQ(ReadFile(dir + "/listing"), "dropped.jsonl\nkept.jsonl\n");
}

}  // namespace
