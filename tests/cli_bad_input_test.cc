// Bad input, end to end: a table of dirty inputs, each run through the neardup binary, checking
// the exit status, the message, the counts in --stats and the accounting identity
// read = documents + bad, documents = kept + dropped. Plus interruption by a signal.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

const std::string kBinary = NEARDUP_BINARY;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

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

std::string Gzip(const std::string& plain) {
  std::string out(compressBound(plain.size()) + 64, '\0');
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

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
       "--max-record-bytes 1000", 0, "longer than --max-record-bytes", 3, 1, 0, 1, 0},
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

// A run interrupted by SIGTERM while it reads standard input dies of the signal, leaves the
// earlier output untouched and no temporary file behind (neither its spooled input nor a
// half-written output).
TEST(BadInputTest, SigtermLeavesNoPartialOutputAndEarlierOutputUntouched) {
  const std::string dir = Dir() + "/interrupt";
  mkdir(dir.c_str(), 0755);
  const std::string fifo = dir + "/fifo";
  const std::string out = dir + "/kept.jsonl";
  WriteFile(out, "earlier output\n");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("TMPDIR", dir.c_str(), 1);
    freopen(fifo.c_str(), "r", stdin);
    freopen("/dev/null", "w", stderr);
    execl(kBinary.c_str(), kBinary.c_str(), "dedup", "-", "-o", out.c_str(), "-q",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Feed some input and keep the pipe open, so the run is still reading when the signal comes.
  FILE* writer = std::fopen(fifo.c_str(), "w");
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 1000; ++i) std::fprintf(writer, "{\"id\":\"%d\",\"text\":\"doc %d\"}\n", i, i);
  std::fflush(writer);
  usleep(300 * 1000);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::fclose(writer);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_EQ(ReadFile(out), "earlier output\n");
  // Only the fifo and the earlier output remain.
  std::string listing;
  FILE* ls = popen(("ls -A " + dir).c_str(), "r");
  char buf[256];
  while (std::fgets(buf, sizeof(buf), ls)) listing += buf;
  pclose(ls);
  EXPECT_EQ(listing, "fifo\nkept.jsonl\n");
}

}  // namespace
