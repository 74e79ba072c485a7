#include "neardup/io/writer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <pthread.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "internal/temp_dir.h"
#include "neardup/io/reader.h"
#include "neardup/io/replay.h"

namespace neardup {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

// Temporary files alive now, for the signal handler: fixed storage, no allocation, so that the
// handler only reads memory and calls unlink(2), which is async-signal-safe. A slot is reserved
// (kReserved) before its path is copied in and published (kLive) after, so the handler never
// reads a half-copied path.
constexpr int kMaxTemps = 64;
constexpr size_t kMaxPath = 4096;
enum : int { kFree = 0, kReserved = 1, kLive = 2 };
char g_temp_paths[kMaxTemps][kMaxPath];
std::atomic<int> g_temp_state[kMaxTemps];

int RegisterTemp(const std::string& path) {
  if (path.size() >= kMaxPath) return -1;
  for (int i = 0; i < kMaxTemps; ++i) {
    int expected = kFree;
    if (!g_temp_state[i].compare_exchange_strong(expected, kReserved)) continue;
    std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
    g_temp_state[i].store(kLive);
    return i;
  }
  return -1;
}

void UnregisterTemp(int slot) {
  if (slot >= 0) g_temp_state[slot].store(kFree);
}

extern "C" void RemoveTempsAndDie(int sig) {
  for (int i = 0; i < kMaxTemps; ++i) {
    if (g_temp_state[i].load() == kLive) ::unlink(g_temp_paths[i]);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Whether `name` is a temporary file of this host's neardup runs whose process is gone: after
// `marker` comes HOST-PID-XXXXXX.
bool StaleTemporaryName(std::string_view name, std::string_view marker, std::string_view host) {
  const size_t at = name.find(marker);
  if (at == std::string_view::npos) return false;
  std::string_view rest = name.substr(at + marker.size());  // HOST-PID-XXXXXX
  if (rest.size() < 9 || rest[rest.size() - 7] != '-') return false;
  rest.remove_suffix(7);
  const size_t dash = rest.rfind('-');
  if (dash == std::string_view::npos || rest.substr(0, dash) != host) return false;
  const std::string_view digits = rest.substr(dash + 1);
  if (digits.empty() || digits.size() > 10 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  const long pid = std::strtol(std::string(digits).c_str(), nullptr, 10);
  if (pid <= 0 || pid > INT_MAX || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

absl::Status ErrnoError(const char* what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// The file `path` names once symbolic links in its last component are followed, so that an
// output through a link replaces the link's target and the link stays. A dangling link gives the
// path it points to (created there); a loop stops after 40 links (as the kernel's ELOOP).
std::string FollowSymlinks(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    std::string link(PATH_MAX, '\0');
    const ssize_t n = ::readlink(p.c_str(), link.data(), link.size());
    if (n <= 0 || static_cast<size_t>(n) >= link.size()) break;
    link.resize(static_cast<size_t>(n));
    p = link[0] == '/' ? link : absl::StrCat(DirName(p), "/", link);
  }
  return p;
}

// The part of a file name the temporary file's name repeats: short enough that
// ".NAME.neardup-tmp-OWNER-XXXXXX" fits NAME_MAX (255 bytes) for any legal NAME.
std::string TempStem(const std::string& base) {
  const size_t max_stem = 255 - std::char_traits<char>::length("..neardup-tmp--XXXXXX") -
                          TemporaryOwnerTag().size();
  return base.size() <= max_stem ? base : base.substr(0, max_stem);
}

// Six characters for a temporary file's name, different for each call and process.
std::string RandomSuffix() {
  static std::atomic<uint64_t> counter{0};
  uint64_t x = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
               (counter.fetch_add(1) * 0xBF58476D1CE4E5B9ull);
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(6, 'a');
  for (char& c : out) {
    c = kChars[x % 62];
    x /= 62;
  }
  return out;
}

// A connection to the Unix stream socket at `path`, or -1 with errno set.
int ConnectUnixSocket(const std::string& path) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

void RemoveTemporaryFilesOnSignals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction act {};
    act.sa_handler = RemoveTempsAndDie;
    sigemptyset(&act.sa_mask);
    act.sa_flags = SA_RESTART;
    ::sigaction(sig, &act, nullptr);
  }
}

AtomicFile::AtomicFile(std::string path, std::string target, std::string temp_path, int fd)
    : path_(std::move(path)),
      target_(std::move(target)),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      owns_fd_(path_ != "-") {
  buffer_.reserve(kBufferBytes);
  if (!temp_path_.empty()) signal_slot_ = RegisterTemp(temp_path_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0 && owns_fd_) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
  UnregisterTemp(signal_slot_);
}

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<AtomicFile>(new AtomicFile(path, path, "", STDOUT_FILENO));
  }
  RETURN_IF_ERROR(CheckOutputPath(path, "output"));
  const std::string target = FollowSymlinks(path);
  struct stat st;
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or socket is written in place: renaming a file over it would destroy it
    // (/dev/null as root) and a reader waiting on it would get nothing.
    const int fd = S_ISSOCK(st.st_mode) ? ConnectUnixSocket(target)
                                        : ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return ErrnoError("cannot open", path);
    return std::unique_ptr<AtomicFile>(new AtomicFile(path, target, "", fd));
  }
  // The temporary file is created with mode 0666, so the kernel applies the umask, as it would
  // to a new file; an existing file's owner and mode carry over to its replacement.
  RemoveStaleTemporaryFiles(DirName(target));
  const std::string prefix = absl::StrCat(DirName(target), "/.", TempStem(BaseName(target)),
                                          ".neardup-tmp-", TemporaryOwnerTag(), "-");
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = prefix + RandomSuffix();
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? 0600 : 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return ErrnoError("cannot create a temporary file beside", path);
  if (exists) {
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) {
      (void)!::fchown(fd, st.st_uid, st.st_gid);  // best effort: only root may give files away
    }
    if (::fchmod(fd, st.st_mode & 07777) != 0) {
      absl::Status error = ErrnoError("cannot set the permissions of a temporary file beside", path);
      ::close(fd);
      ::unlink(temp.c_str());
      return error;
    }
  }
  return std::unique_ptr<AtomicFile>(new AtomicFile(path, target, temp, fd));
}

absl::Status AtomicFile::Fail(absl::Status error) {
  if (fd_ >= 0 && owns_fd_) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  UnregisterTemp(signal_slot_);
  signal_slot_ = -1;
  buffer_.clear();
  return error;
}

absl::Status AtomicFile::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;  // a regular file takes no bytes only when it cannot grow
      return ErrnoError("cannot write", path_);
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status AtomicFile::Write(std::string_view bytes) {
  if (finished_) return absl::FailedPreconditionError("write after commit: " + path_);
  if (fd_ < 0) return absl::FailedPreconditionError("an earlier write failed: " + path_);
  buffer_.append(bytes);
  if (buffer_.size() >= kBufferBytes) {
    absl::Status s = Flush();
    if (!s.ok()) return Fail(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Finish() {
  if (finished_) return absl::OkStatus();
  if (fd_ < 0) return absl::FailedPreconditionError("an earlier write failed: " + path_);
  absl::Status s = Flush();
  if (!s.ok()) return Fail(std::move(s));
  // A regular file is synced; a device, FIFO or socket has nothing to sync (fsync fails with
  // EINVAL on most of them), and standard output stays open.
  if (!temp_path_.empty() && ::fsync(fd_) != 0) {
    return Fail(ErrnoError("cannot write (fsync)", path_));
  }
  if (!owns_fd_) {
    finished_ = true;
    return absl::OkStatus();
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Fail(ErrnoError("cannot write (close)", path_));
  finished_ = true;
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (committed_) return absl::OkStatus();
  RETURN_IF_ERROR(Finish());
  if (!temp_path_.empty() && ::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    return Fail(ErrnoError("cannot rename a temporary file onto", path_));
  }
  committed_ = true;
  UnregisterTemp(signal_slot_);
  signal_slot_ = -1;
  return absl::OkStatus();
}

absl::Status CommitAll(const std::vector<std::unique_ptr<AtomicFile>>& files) {
  for (const auto& f : files) {
    if (f != nullptr) RETURN_IF_ERROR(f->Finish());
  }
  // The renames take microseconds; Ctrl-C, SIGTERM or SIGHUP arriving among them waits until all
  // are done (then the run ends as it would have), so that the outputs are all new or all old.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  absl::Status status;
  for (const auto& f : files) {
    if (f != nullptr && status.ok()) status = f->Commit();
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return status;
}

absl::Status CheckOutputPath(const std::string& path, std::string_view flag_view) {
  const std::string flag(flag_view);  // Debian's absl::StrCat takes no std::string_view
  if (path == "-") return absl::OkStatus();
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": empty file name"));
  const std::string target = FollowSymlinks(path);
  struct stat st;
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is a directory"));
    }
    if (!S_ISREG(st.st_mode)) {  // written in place (AtomicFile::Create)
      if (::access(target.c_str(), W_OK) != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " ", path, ": not writable: ", std::strerror(errno)));
      }
      return absl::OkStatus();
    }
  }
  const std::string dir = DirName(target);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": directory ", dir, " does not exist"));
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": directory ", dir, " is not writable"));
  }
  return absl::OkStatus();
}

namespace {

// What a path names, for telling whether two paths name one file.
struct FileIdentity {
  bool exists = false;  // then dev and ino say which file
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t type = 0;      // st_mode & S_IFMT of an existing file
  std::string path;  // a file yet to be made: its absolute path, symbolic links resolved
};

FileIdentity IdentityOf(const std::string& path, int standard_fd) {
  FileIdentity id;
  struct stat st;
  if (path == "-") {
    if (::fstat(standard_fd, &st) != 0) {
      id.path = standard_fd == STDIN_FILENO ? "<standard input>" : "<standard output>";
      return id;
    }
  } else {
    const std::string target = FollowSymlinks(path);
    if (::stat(target.c_str(), &st) != 0) {
      char* dir = ::realpath(DirName(target).c_str(), nullptr);
      id.path = dir != nullptr ? absl::StrCat(dir, "/", BaseName(target)) : target;
      std::free(dir);
      return id;
    }
  }
  id.exists = true;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.type = st.st_mode & S_IFMT;
  return id;
}

// Whether two outputs would write one file. Writing a character device (/dev/null, a terminal)
// twice destroys nothing, and each output to a socket is a connection of its own.
bool SameOutput(const FileIdentity& a, const FileIdentity& b) {
  for (const FileIdentity* id : {&a, &b}) {
    if (id->type == S_IFCHR || id->type == S_IFSOCK) return false;
  }
  if (a.exists != b.exists) return false;
  return a.exists ? a.dev == b.dev && a.ino == b.ino : a.path == b.path;
}

// Whether an output would overwrite an input: only a regular file or a block device holds data
// that writing destroys. (Standard input and output may be one socket or terminal.)
bool OverwritesInput(const FileIdentity& out, const FileIdentity& in) {
  if (!in.exists || !(in.type == S_IFREG || in.type == S_IFBLK)) return false;
  return out.exists && out.dev == in.dev && out.ino == in.ino;
}

}  // namespace

absl::Status CheckOutputs(const std::vector<NamedOutput>& outputs,
                          const std::vector<std::string>& inputs) {
  std::vector<const NamedOutput*> named;
  for (const NamedOutput& out : outputs) {
    if (out.path.empty()) continue;
    RETURN_IF_ERROR(CheckOutputPath(out.path, out.flag));
    named.push_back(&out);
  }
  std::vector<FileIdentity> ids;
  for (const NamedOutput* out : named) ids.push_back(IdentityOf(out->path, STDOUT_FILENO));
  for (size_t i = 0; i < named.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const NamedOutput& a = *named[j];
      const NamedOutput& b = *named[i];
      if (a.path == "-" && b.path == "-") {
        return absl::InvalidArgumentError(
            absl::StrCat(a.flag, " and ", b.flag, " both write to standard output (-)"));
      }
      if (!SameOutput(ids[j], ids[i])) continue;
      return absl::InvalidArgumentError(
          a.path == b.path
              ? absl::StrCat(a.flag, " and ", b.flag, " name the same file ", a.path)
              : absl::StrCat(a.flag, " ", a.path, " and ", b.flag, " ", b.path,
                             " name the same file"));
    }
  }
  for (const std::string& input : inputs) {
    const FileIdentity in = IdentityOf(input, STDIN_FILENO);
    for (size_t i = 0; i < named.size(); ++i) {
      if (!OverwritesInput(ids[i], in)) continue;
      const NamedOutput& out = *named[i];
      const std::string what = input == "-" ? std::string("standard input")
                                            : absl::StrCat("the input ", input);
      return absl::InvalidArgumentError(
          out.path == input
              ? absl::StrCat(out.flag, " ", out.path,
                             " is an input: writing it would destroy the input")
              : absl::StrCat(out.flag, " ", out.path, " is ", what,
                             ": writing it would destroy the input"));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteClusters(const RunResult& result, AtomicFile* out) {
  // Per cluster (indexed by representative): size and lowest similarity to the representative.
  std::vector<uint32_t> size(result.num_documents(), 0);
  std::vector<float> lowest(result.num_documents(), 1.0f);
  for (size_t d = 0; d < result.num_documents(); ++d) {
    const uint32_t rep = result.representative[d];
    ++size[rep];
    lowest[rep] = std::min(lowest[rep], result.similarity[d]);
  }
  std::string line;
  for (size_t d = 0; d < result.num_documents(); ++d) {
    const uint32_t rep = result.representative[d];
    line.assign("{\"id\":");
    internal::AppendJsonString(&line, result.id(d));
    line.append(",\"cluster\":");
    internal::AppendJsonString(&line, result.id(rep));
    line.append(rep == d ? ",\"representative\":true" : ",\"representative\":false");
    line.append(",\"similarity\":");
    internal::AppendJsonNumber(&line, result.similarity[d]);
    absl::StrAppend(&line, ",\"cluster_size\":", size[rep], ",\"cluster_min_similarity\":");
    internal::AppendJsonNumber(&line, lowest[rep]);
    if (!result.story.empty()) {
      line.append(",\"story\":");
      internal::AppendJsonString(&line, result.id(result.story[d]));
    }
    line.append("}\n");
    RETURN_IF_ERROR(out->Write(line));
  }
  return absl::OkStatus();
}

std::string_view EdgeRuleName(uint8_t reason) {
  return reason == kExactDuplicateReason ? std::string_view("exact-duplicate")
                                         : MatchReasonName(static_cast<MatchReason>(reason));
}

absl::Status WriteEdges(const RunResult& result, AtomicFile* out) {
  std::string line;
  for (const DocumentEdge& e : result.edges) {
    line.assign("{\"a\":");
    internal::AppendJsonString(&line, result.id(e.a));
    line.append(",\"b\":");
    internal::AppendJsonString(&line, result.id(e.b));
    line.append(",\"similarity\":");
    internal::AppendJsonNumber(&line, e.similarity);
    line.append(",\"title_similarity\":");
    internal::AppendJsonNumber(&line, e.title_similarity);
    line.append(",\"body_similarity\":");
    internal::AppendJsonNumber(&line, e.body_similarity);
    line.append(",\"rule\":\"");
    line.append(EdgeRuleName(e.reason));
    line.append(e.exact ? "\",\"measured\":\"exact\"" : "\",\"measured\":\"estimate\"");
    line.append(e.same_cluster ? ",\"same_cluster\":true}\n" : ",\"same_cluster\":false}\n");
    RETURN_IF_ERROR(out->Write(line));
  }
  return absl::OkStatus();
}

absl::Status WriteDedup(const PipelineOptions& options, const RunResult& result, AtomicFile* kept,
                        AtomicFile* dropped, AtomicFile* dropped_map) {
  bool header_written = false;
  std::vector<std::string> first_columns;
  std::string first_label;
  std::string line;
  auto on_file = [&](int file, const RecordReader& reader) -> absl::Status {
    const std::string& header = reader.header_raw();
    if (header.empty()) return absl::OkStatus();
    if (!header_written) {
      first_columns = reader.columns();
      first_label = options.LabelOf(file);
      if (kept != nullptr) RETURN_IF_ERROR(kept->Write(header));
      if (dropped != nullptr) RETURN_IF_ERROR(dropped->Write(header));
      header_written = true;
    } else if (reader.columns() != first_columns) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.LabelOf(file), ": its header row differs from ", first_label,
                       "'s, so its records cannot go into one output file"));
    }
    return absl::OkStatus();
  };
  // Records are written as they were read, line ends included. One without a line end (the
  // last of its input) gets "\n" only when another record follows it in the same output.
  bool owes_newline[2] = {false, false};  // kept, dropped
  auto visit = [&](const ReplayedRecord& record) -> absl::StatusOr<bool> {
    const size_t doc = record.document;
    const uint32_t rep = result.representative[doc];
    AtomicFile* target = rep == doc ? kept : dropped;
    if (target != nullptr) {
      bool& owes = owes_newline[rep == doc ? 0 : 1];
      if (owes) RETURN_IF_ERROR(target->Write("\n"));
      RETURN_IF_ERROR(target->Write(record.raw));
      owes = record.raw.empty() || record.raw.back() != '\n';
    }
    if (rep != doc && dropped_map != nullptr) {
      line.assign("{\"id\":");
      internal::AppendJsonString(&line, result.id(doc));
      line.append(",\"representative\":");
      internal::AppendJsonString(&line, result.id(rep));
      line.append(",\"similarity\":");
      internal::AppendJsonNumber(&line, result.similarity[doc]);
      line.append("}\n");
      RETURN_IF_ERROR(dropped_map->Write(line));
    }
    return true;
  };
  return ReplayDocuments(options, result, on_file, visit);
}

TemporaryFile::~TemporaryFile() {
  ::unlink(path_.c_str());
  UnregisterTemp(slot_);
}

bool ReadableTwice(const std::string& input) {
  if (input == "-") return false;
  struct stat st;
  if (::stat(input.c_str(), &st) != 0) return true;
  return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode);
}

absl::StatusOr<std::unique_ptr<TemporaryFile>> SpoolInput(const std::string& input,
                                                          const std::string& label) {
  int in = STDIN_FILENO;
  if (input != "-") {
    in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return ErrnoError("cannot open", label);
  }
  struct InCloser {
    int fd;
    ~InCloser() {
      if (fd != STDIN_FILENO) ::close(fd);
    }
  } in_closer{in};
  RemoveStaleTemporaryFiles(internal::TemporaryDirectory());
  std::string path = absl::StrCat(internal::TemporaryDirectory(), "/neardup-input-",
                                  TemporaryOwnerTag(), "-XXXXXX");
  int fd = ::mkstemp(path.data());
  if (fd < 0) return ErrnoError(absl::StrCat("cannot create a temporary file for ", label, ":").c_str(), path);
  // Owns the file from here: every error return below removes it.
  std::unique_ptr<TemporaryFile> file(new TemporaryFile(path, RegisterTemp(path)));
  std::string buf(kBufferBytes, '\0');
  while (true) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status error = ErrnoError("cannot read", label);
      ::close(fd);
      return error;
    }
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = ::write(fd, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = ENOSPC;
        absl::Status error = ErrnoError(absl::StrCat("cannot spool ", label, " to").c_str(), path);
        ::close(fd);
        return error;
      }
      done += w;
    }
  }
  if (::close(fd) != 0) return ErrnoError(absl::StrCat("cannot spool ", label, " to").c_str(), path);
  return file;
}

std::string TemporaryOwnerTag() {
  static const std::string tag = [] {
    char host[256] = {0};
    if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
    std::string h(host, std::min<size_t>(std::strlen(host), 32));
    for (char& c : h) {
      const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.';
      if (!keep) c = '_';
    }
    return absl::StrCat(h, "-", ::getpid());
  }();
  return tag;
}

size_t RemoveStaleTemporaryFiles(const std::string& dir) {
  static std::mutex mu;
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!seen.insert(dir).second) return 0;
  }
  const std::string tag = TemporaryOwnerTag();
  const std::string host = tag.substr(0, tag.rfind('-'));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  size_t removed = 0;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    const bool ours = (name.size() > 1 && name[0] == '.' &&
                       StaleTemporaryName(name, ".neardup-tmp-", host)) ||
                      (name.substr(0, 14) == "neardup-input-" &&
                       StaleTemporaryName(name, "neardup-input-", host));
    if (ours && ::unlinkat(::dirfd(d), e->d_name, 0) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace neardup
