// io/writer.h: everything neardup writes, written atomically where a file system allows it.
//
// An output goes to a temporary file beside its target (".NAME.neardup-tmp-XXXXXX" in the same
// directory, NAME cut so that the name fits 255 bytes) and is renamed into place only by
// Commit(), after a flush and fsync. A run that fails or is interrupted therefore leaves any
// earlier output untouched and no half-written file; an AtomicFile destroyed without Commit()
// removes its temporary file. Every write(2), fsync(2), close(2) and rename(2) result is checked:
// a full disk (ENOSPC), a file size limit (EFBIG) or an I/O error fails with a message naming the
// target. A run with several outputs commits them with CommitAll(), which writes all of them out
// before it renames any, so a write failure in one leaves all earlier outputs as they were, and
// holds SIGINT, SIGTERM and SIGHUP back while it renames, so a signal cannot leave some outputs
// new and others old (only SIGKILL or a crash between two renames can).
//
// What the target is decides how it is written:
//   a new file         created with the mode the umask gives (0666 & ~umask), as `>` would;
//   a regular file     replaced, keeping its mode (and its owner, where the process may set it);
//   a symbolic link    followed: its target is replaced (the temporary file is beside the
//                      target, not the link) and the link stays a link;
//   a character or block device, a FIFO, a Unix socket, or "-" (standard output)
//                      written in place, with no temporary file and no rename: atomicity does
//                      not apply there (a reader of a FIFO sees the bytes as they come, and
//                      opening a FIFO waits for its reader).
//
// Output formats:
//   clusters (cluster -o): one JSON object per good input record, in input order:
//     {"id":"a","cluster":"<representative id>","representative":true,"similarity":1,
//      "cluster_size":3,"cluster_min_similarity":0.82}
//     `similarity` is the estimated Jaccard to the representative (1 for itself and its exact
//     copies), at most 6 decimals; cluster_size and cluster_min_similarity describe the whole
//     cluster (the lowest similarity of any member to the representative shows chaining).
//   kept / dropped (dedup -o / --dropped): the records exactly as read (line ends included), in
//     input order; csv/tsv get the first input's header row once. A last record without a line end
//     gets "\n".
//   dropped map (dedup --dropped-map): {"id":"b","representative":"a","similarity":0.91} per
//     dropped record.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

class AtomicFile {
 public:
  // Creates the temporary file, or opens a device, FIFO or socket to write in place. Fails
  // (naming the path) when the directory is missing or not writable.
  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Buffered append; an error (e.g. disk full) names the target path.
  absl::Status Write(std::string_view bytes);
  // Flushes, syncs and closes the temporary file (the bytes are on disk, not yet in place); a
  // target written in place is flushed and closed (standard output stays open). After an error
  // the temporary file is removed. Idempotent.
  absl::Status Finish();
  // Finish(), then renames into place. After an error the temporary file is removed.
  absl::Status Commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile(std::string path, std::string target, std::string temp_path, int fd);
  absl::Status Flush();
  absl::Status Fail(absl::Status error);  // removes the temporary file, returns `error`

  std::string path_;       // as named, for messages
  std::string target_;     // `path_` with symbolic links followed: what Commit() replaces
  std::string temp_path_;  // empty: written in place
  int fd_ = -1;
  bool owns_fd_ = true;    // false for standard output, which is never closed
  bool finished_ = false;
  bool committed_ = false;
  int signal_slot_ = -1;  // registration for RemoveTemporaryFilesOnSignals
  std::string buffer_;
};

// Finish()es every file, then (only if all succeeded) Commit()s every one: a failure while writing
// any output (disk full) replaces none. Only a failing rename(2), after the data are safely on
// disk, can leave some outputs renamed and others not. Null entries are skipped.
absl::Status CommitAll(const std::vector<std::unique_ptr<AtomicFile>>& files);

// Makes SIGINT, SIGTERM and SIGHUP remove every AtomicFile's temporary file before the process
// dies of the signal (a shell shows exit status 128 + signal: 130, 143, 129), so an interrupted
// run leaves no partial output. A signal ignored when the process started (`nohup`, a background
// job of a non-interactive shell) stays ignored.
void RemoveTemporaryFilesOnSignals();

// Checks, before any work, that an output can be written: a device, FIFO or socket is writable;
// otherwise the directory of the file (of a symbolic link's target) exists and is writable.
absl::Status CheckOutputPath(const std::string& path, std::string_view flag);

// An output as the command line names it, for messages: the flag ("--stats") and the path.
struct NamedOutput {
  std::string flag;
  std::string path;
};

// Checks, before any work, every output of one run together: each with CheckOutputPath; no two
// outputs name the same file and no output names one of `inputs` (InvalidArgument, naming both
// flags: "--output and --stats name the same file x"; "--output in.jsonl is an input").
// Existing files are compared by device and inode (so links and other spellings are caught),
// files yet to be made by their absolute path with symbolic links resolved. "-" is standard
// output (standard input among `inputs`): two "-" outputs are refused, and a named output or input
// that is the file standard output or input is redirected to is caught too. A character device
// (/dev/null, a terminal) or a socket may be named any number of times (writing it destroys
// nothing), and only an input that is a regular file or block device can clash with an output.
absl::Status CheckOutputs(const std::vector<NamedOutput>& outputs,
                          const std::vector<std::string>& inputs);

// Writes the cluster file for `result`.
absl::Status WriteClusters(const RunResult& result, AtomicFile* out);

// Writes the edges file: one JSON line per judged pair of result.edges (PipelineOptions::
// keep_edges), in (a, b) input order:
//   {"a":ID,"b":ID,"similarity":S,"title_similarity":S|null,"body_similarity":S|null,
//    "rule":"body","measured":"exact","same_cluster":true}
// ids as in the cluster file; a field's similarity is null when either document lacks it; `rule`
// names what decided (match.h MatchReasonName: body, title, title+body, either:title,
// either:body; "exact-duplicate" for documents whose normalized fields are the same; "none" for
// an unverified candidate, --verify none); `measured` is "exact" (shingle sets compared) or
// "estimate" (from the sketches); `same_cluster` is false for an edge that clustering cut (a
// chain split by medoid or center clustering).
absl::Status WriteEdges(const RunResult& result, AtomicFile* out);

// Reads the inputs a second time and writes kept records to `kept`, dropped ones to `dropped`
// and the dropped map to `dropped_map` (each may be null). Fails when csv/tsv inputs have
// different header rows.
absl::Status WriteDedup(const PipelineOptions& options, const RunResult& result, AtomicFile* kept,
                        AtomicFile* dropped, AtomicFile* dropped_map);

// A file in $TMPDIR (default /tmp) removed when this object dies or the process dies of a signal
// handled by RemoveTemporaryFilesOnSignals.
class TemporaryFile {
 public:
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  friend absl::StatusOr<std::unique_ptr<TemporaryFile>> SpoolInput(const std::string& path,
                                                                   const std::string& label);
  TemporaryFile(std::string path, int slot) : path_(std::move(path)), slot_(slot) {}
  std::string path_;
  int slot_;
};

// Copies `path` ("-": standard input) to a temporary file; errors name `label`.
absl::StatusOr<std::unique_ptr<TemporaryFile>> SpoolInput(const std::string& path,
                                                          const std::string& label);
// Whether `path` can be read twice: a regular file (or a link to one). Standard input ("-"), a
// pipe, a FIFO, a socket or a character device (/dev/stdin, <(command)) cannot: a run must spool
// it first. A path that does not exist is "readable twice" here: opening it reports the error.
bool ReadableTwice(const std::string& path);

// Temporary files carry their owner in their names, ".NAME.neardup-tmp-HOST-PID-XXXXXX" beside an
// output and "neardup-input-HOST-PID-XXXXXX" in $TMPDIR, so that one left by a run killed with
// SIGKILL (or a crash) can be told from a live run's. HOST is this machine's name (characters
// other than letters, digits and '.' as '_', at most 32), PID the process's.
std::string TemporaryOwnerTag();
// Removes the temporary files in `dir` of neardup runs on this host whose process no longer
// exists; a live process's, another host's and names of another form are left alone. Each
// directory is looked at once per process (outputs call it for theirs, spooling for $TMPDIR).
// Returns how many files it removed.
size_t RemoveStaleTemporaryFiles(const std::string& dir);

}  // namespace neardup
