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
#include "scoped_dir.h"

namespace {

using neardup::testing_util::Listing;
using neardup::testing_util::ScopedDir;

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

}  // namespace
