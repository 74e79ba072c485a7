// Outputs end to end (issue 16, "nothing destroyed"): what an output path names decides how it is
// written (a FIFO or socket in place, a symbolic link's target replaced, modes from the umask or
// the file replaced), and two outputs on one file or an output on an input are refused before
// any work. Never touches the real /dev/null: devices are stood in for by FIFOs and sockets.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "testutil.h"
#include "neardup/io/writer.h"
#include "scoped_dir.h"

namespace {

using neardup::testing_util::Listing;
using neardup::testing_util::ScopedDir;

using namespace neardup_test;  // tests/testutil.h: kBinary, ReadFile, WriteFile

struct Result {
  int exit_code = -1;
  std::string err;
};

// Runs `sh -c "PREFIX neardup ARGS"` in `dir` (so names may be relative), stdout to a file.
Result RunIn(const std::string& dir, const std::string& args, const std::string& prefix = "") {
  const std::string err = dir + "/.stderr";
  const std::string cmd = "cd '" + dir + "' && " + prefix + " '" + kBinary + "' " + args +
                          " >'" + dir + "/.stdout' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadFile(err);
  std::remove(err.c_str());
  std::remove((dir + "/.stdout").c_str());
  return r;
}

const char kInput[] =
    "{\"id\":\"a\",\"text\":\"the same story told twice over\"}\n"
    "{\"id\":\"b\",\"text\":\"the same story told twice over\"}\n"
    "{\"id\":\"c\",\"text\":\"something else entirely, unrelated\"}\n";

// A directory holding in.jsonl and the clusters a run writes for it to a plain file (expected).
class OutputsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    WriteFile(Path("in.jsonl"), kInput);
    ASSERT_EQ(RunIn(dir_.path(), "cluster in.jsonl -o expected -q").exit_code, 0);
    expected_ = ReadFile(Path("expected"));
    ASSERT_NE(expected_.find("\"cluster\":\"a\""), std::string::npos);
    std::remove(Path("expected").c_str());
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  mode_t Mode(const std::string& name) const {
    struct stat st;
    return ::stat(Path(name).c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
  }
  // Names in the directory that look like our temporary files.
  std::vector<std::string> Temps() const {
    std::vector<std::string> temps;
    for (const std::string& name : Listing(dir_.path())) {
      if (name.find("neardup-tmp") != std::string::npos) temps.push_back(name);
    }
    return temps;
  }

  ScopedDir dir_{"neardup_outputs"};
  std::string expected_;
};

// Waits up to `seconds` for `pid`; kills it when it is still running then. True if it ended.
bool WaitFor(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return false;
}

// A FIFO stands in for /dev/null and other devices: written in place, never replaced, and the
// reader gets every byte. (Before: a regular file was renamed over the FIFO and the reader, still
// waiting on the old FIFO, got nothing.)
TEST_F(OutputsTest, FifoIsWrittenInPlaceAndItsReaderGetsTheOutput) {
  ASSERT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
  const std::string got = Path("got");
  const pid_t reader = fork();
  if (reader == 0) {
    const int in = open(Path("fifo").c_str(), O_RDONLY);
    const int out = open(got.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char buf[4096];
    ssize_t n;
    while (in >= 0 && (n = read(in, buf, sizeof buf)) > 0) {
      if (write(out, buf, static_cast<size_t>(n)) != n) _exit(1);
    }
    _exit(0);
  }
  ASSERT_GT(reader, 0);
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o fifo -q");
  const bool reader_done = WaitFor(reader, 10);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(reader_done) << "the reader of the FIFO never saw its end";
  EXPECT_EQ(ReadFile(got), expected_);
  struct stat st;
  ASSERT_EQ(lstat(Path("fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  EXPECT_TRUE(Temps().empty());
}

// A Unix socket (another target that is no regular file) gets the output through a connection.
TEST_F(OutputsTest, SocketIsWrittenInPlace) {
  const int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  const std::string path = Path("sock");
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  std::string got;
  std::thread reader([&] {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return;  // the run never connected
    const int conn = accept(listener, nullptr, nullptr);
    char buf[4096];
    ssize_t n;
    while ((n = read(conn, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    close(conn);
  });
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o sock -q");
  reader.join();
  close(listener);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(got, expected_);
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode)) << "the socket was replaced";
}

// An output through a symbolic link replaces the link's target; the link stays a link. The link
// and its target are in different directories, and nothing is left in either.
TEST_F(OutputsTest, SymlinkStaysALinkAndItsTargetGetsTheOutput) {
  ASSERT_EQ(mkdir(Path("data").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("links").c_str(), 0755), 0);
  WriteFile(Path("data/real"), "old\n");
  ASSERT_EQ(chmod(Path("data/real").c_str(), 0640), 0);
  ASSERT_EQ(symlink("../data/real", Path("links/out").c_str()), 0);
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o links/out -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(lstat(Path("links/out").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced by a file";
  EXPECT_EQ(ReadFile(Path("data/real")), expected_);
  EXPECT_EQ(Mode("data/real"), 0640u);
  EXPECT_EQ(Listing(Path("links")), std::vector<std::string>{"out"});
  EXPECT_EQ(Listing(Path("data")), std::vector<std::string>{"real"});
}

// A link to a file that does not exist yet creates that file, where the link points.
TEST_F(OutputsTest, DanglingSymlinkCreatesItsTarget) {
  ASSERT_EQ(symlink("made", Path("link").c_str()), 0);
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o link -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(lstat(Path("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(ReadFile(Path("made")), expected_);
}

// A new file gets the mode the umask gives, as `>` would (before: always 0644).
TEST_F(OutputsTest, NewFileTakesItsModeFromTheUmask) {
  EXPECT_EQ(RunIn(dir_.path(), "cluster in.jsonl -o private -q", "umask 077 &&").exit_code, 0);
  EXPECT_EQ(Mode("private"), 0600u);
  EXPECT_EQ(RunIn(dir_.path(), "cluster in.jsonl -o shared -q", "umask 002 &&").exit_code, 0);
  EXPECT_EQ(Mode("shared"), 0664u);
  EXPECT_EQ(ReadFile(Path("private")), expected_);
}

// A file that is replaced keeps its mode, whatever the umask (before: always 0644).
TEST_F(OutputsTest, ReplacedFileKeepsItsMode) {
  WriteFile(Path("out"), "old\n");
  ASSERT_EQ(chmod(Path("out").c_str(), 0640), 0);
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o out -q", "umask 022 &&");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Path("out")), expected_);
  EXPECT_EQ(Mode("out"), 0640u);
  EXPECT_TRUE(Temps().empty());
}

// A 250-byte file name is legal; the temporary file's name is cut to fit (before: the run
// failed after all the work, the temporary name being too long).
TEST_F(OutputsTest, LongestFileNamesWork) {
  const std::string name(250, 'n');
  const Result r = RunIn(dir_.path(), "cluster in.jsonl -o " + name + " -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Path(name)), expected_);
  EXPECT_TRUE(Temps().empty());
}

// A run killed with SIGKILL leaves its temporary files; they carry host and pid in their names,
// and the next run into the directory (or spooling into $TMPDIR) removes those of dead processes
// on this host, and only those: a live process's, another host's and names of another form stay.
TEST_F(OutputsTest, StaleTemporaryFilesOfDeadRunsAreRemoved) {
  const std::string tag = neardup::TemporaryOwnerTag();  // HOST-PID of this test process
  const std::string host = tag.substr(0, tag.rfind('-'));
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a pid whose process is gone
  const std::string dead = host + "-" + std::to_string(child);
  const std::string stale = ".out.jsonl.neardup-tmp-" + dead + "-Ab3dEf";
  const std::vector<std::string> kept = {
      ".out.jsonl.neardup-tmp-" + tag + "-Ab3dEf",                     // a live process
      ".out.jsonl.neardup-tmp-other_host-" + std::to_string(child) + "-Ab3dEf",  // another host
      ".out.jsonl.neardup-tmp-Ab3dEf",                                  // no owner in the name
      "neardup-tmp-" + dead + "-Ab3dEf"};                               // not hidden: not ours
  for (const std::string& name : kept) WriteFile(Path(name), "x");
  WriteFile(Path(stale), "a dead run's half-written output");
  Result r = RunIn(dir_.path(), "cluster in.jsonl -o out.jsonl -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Path("out.jsonl")), expected_);
  EXPECT_FALSE(std::ifstream(Path(stale)).good());
  for (const std::string& name : kept) EXPECT_TRUE(std::ifstream(Path(name)).good()) << name;
  // A spool file of a dead run in $TMPDIR goes the same way when a run spools standard input.
  const std::string tmp = Path("tmp");
  ASSERT_EQ(::mkdir(tmp.c_str(), 0700), 0);
  const std::string spool = tmp + "/neardup-input-" + dead + "-Zz9yX8";
  WriteFile(spool, "spooled");
  r = RunIn(dir_.path(), "cluster - -o out2.jsonl -q < in.jsonl", "TMPDIR='" + tmp + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(Path("out2.jsonl")), expected_);
  EXPECT_FALSE(std::ifstream(spool).good());
  EXPECT_TRUE(Listing(tmp).empty());
}

// Standard input and output may be one socket (inetd, some remote shells): no clash, since a
// socket holds no data that writing destroys.
TEST_F(OutputsTest, StandardInputAndOutputOnOneSocketAreNoClash) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(sv[0]);
    dup2(sv[1], STDIN_FILENO);
    dup2(sv[1], STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    execl(kBinary.c_str(), kBinary.c_str(), "cluster", "-", "-q", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(child, 0);
  close(sv[1]);
  const std::string input = kInput;
  ASSERT_EQ(write(sv[0], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  shutdown(sv[0], SHUT_WR);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(sv[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(sv[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(got, expected_);
}

// Two outputs on one file, or an output on an input: refused with exit 2 before any work (no
// output appears, the input is as it was), naming both flags. Before: accepted, the last writer
// won and an input could be overwritten.
struct Clash {
  std::string name;
  std::string setup;    // shell commands run in the directory first
  std::string args;     // after the binary
  std::string message;  // on stderr
};

void PrintTo(const Clash& c, std::ostream* os) { *os << c.name; }

class OutputClashTest : public testing::TestWithParam<Clash> {};

TEST_P(OutputClashTest, IsRefusedBeforeAnyWork) {
  const Clash& c = GetParam();
  ScopedDir dir("neardup_clash");
  ASSERT_FALSE(dir.path().empty());
  WriteFile(dir.path() + "/in.jsonl", kInput);
  if (!c.setup.empty()) {
    ASSERT_EQ(std::system(("cd '" + dir.path() + "' && " + c.setup).c_str()), 0);
  }
  std::vector<std::string> before = Listing(dir.path());
  std::sort(before.begin(), before.end());
  const Result r = RunIn(dir.path(), c.args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("neardup: error: " + c.message), std::string::npos) << r.err;
  std::vector<std::string> after = Listing(dir.path());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before) << "files were written";
  EXPECT_EQ(ReadFile(dir.path() + "/in.jsonl"), kInput);
}

INSTANTIATE_TEST_SUITE_P(
    Outputs, OutputClashTest,
    testing::Values(
        Clash{"output_and_stats", "", "cluster in.jsonl -o s --stats s",
              "--output and --stats name the same file s"},
        Clash{"kept_and_dropped", "", "dedup in.jsonl -o x --dropped x",
              "--output and --dropped name the same file x"},
        Clash{"dropped_and_dropped_map", "", "dedup in.jsonl -o k --dropped d --dropped-map d",
              "--dropped and --dropped-map name the same file d"},
        Clash{"report_on_output_spelled_otherwise", "", "cluster in.jsonl -o x --report ./x",
              "--output x and --report ./x name the same file"},
        Clash{"path_through_parent_directory", "mkdir sub",
              "cluster in.jsonl -o z --edges sub/../z",
              "--output z and --edges sub/../z name the same file"},
        Clash{"existing_file_and_a_link_to_it", "echo old > real && ln -s real link",
              "cluster in.jsonl -o real --rejects link",
              "--output real and --rejects link name the same file"},
        Clash{"two_outputs_on_standard_output", "", "cluster in.jsonl --report -",
              "--output and --report both write to standard output"},
        Clash{"output_is_the_input", "", "dedup in.jsonl -o in.jsonl",
              "--output in.jsonl is an input"},
        Clash{"rejects_is_the_input", "", "cluster in.jsonl -o c --rejects ./in.jsonl",
              "--rejects ./in.jsonl is the input in.jsonl"},
        Clash{"output_is_a_hard_link_to_the_input", "ln in.jsonl hard.jsonl",
              "dedup hard.jsonl -o in.jsonl", "--output in.jsonl is the input hard.jsonl"},
        Clash{"output_is_the_file_standard_input_reads", "",
              "dedup - -o in.jsonl <in.jsonl", "--output in.jsonl is standard input"},
        Clash{"report_overwrites_its_cluster_file", "echo '{}' > clusters.jsonl",
              "report clusters.jsonl in.jsonl -o clusters.jsonl",
              "--output clusters.jsonl is an input"},
        Clash{"report_output_on_an_input", "echo '{}' > clusters.jsonl",
              "report clusters.jsonl in.jsonl -o ./in.jsonl",
              "--output ./in.jsonl is the input in.jsonl"}),
    [](const testing::TestParamInfo<Clash>& info) { return info.param.name; });

// The check itself, without writing anything: a character device may be named by several
// outputs (writing /dev/null twice destroys nothing), and an input that is one is no clash.
TEST(CheckOutputsTest, CharacterDevicesMayRepeat) {
  struct stat st;
  if (stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode)) GTEST_SKIP() << "no /dev/null";
  EXPECT_TRUE(neardup::CheckOutputs({{"--output", "/dev/null"},
                                     {"--stats", "/dev/null"},
                                     {"--report", "/dev/null"}},
                                    {"/dev/null"})
                  .ok());
}

TEST(CheckOutputsTest, EmptyPathsAreAbsentOutputs) {
  ScopedDir dir("neardup_check");
  EXPECT_TRUE(neardup::CheckOutputs({{"--output", dir.path() + "/a"},
                                     {"--stats", ""},
                                     {"--edges", ""},
                                     {"--report", dir.path() + "/b"}},
                                    {})
                  .ok());
  const absl::Status s = neardup::CheckOutputs(
      {{"--output", dir.path() + "/a"}, {"--report", dir.path() + "/./a"}}, {});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

}  // namespace
