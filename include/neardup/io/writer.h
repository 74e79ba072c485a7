// io/writer.h: everything neardup writes, written atomically.
//
// An output goes to a temporary file beside its target (".NAME.neardup-tmp-XXXXXX" in the same
// directory) and is renamed into place only by Commit(), after a flush and fsync. A run that fails
// or is interrupted therefore leaves any earlier output untouched and no half-written file; an
// AtomicFile destroyed without Commit() removes its temporary file. "-" writes to standard output
// (no atomicity there).
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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

class AtomicFile {
 public:
  // Creates the temporary file. Fails (naming the path) when the directory is missing or not
  // writable.
  static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Buffered append; an error (e.g. disk full) names the target path.
  absl::Status Write(std::string_view bytes);
  // Flushes, syncs and renames into place. After an error the temporary file is removed.
  absl::Status Commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile(std::string path, std::string temp_path, int fd);
  absl::Status Flush();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  int signal_slot_ = -1;  // registration for RemoveTemporaryFilesOnSignals
  std::string buffer_;
};

// Makes SIGINT, SIGTERM and SIGHUP remove every AtomicFile's temporary file before the process
// dies of the signal (exit status 128 + signal), so an interrupted run leaves no partial output.
void RemoveTemporaryFilesOnSignals();

// Checks, before any work, that an output's directory exists and is writable.
absl::Status CheckOutputPath(const std::string& path, std::string_view flag);

// Writes the cluster file for `result`.
absl::Status WriteClusters(const RunResult& result, AtomicFile* out);

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
  friend absl::StatusOr<std::unique_ptr<TemporaryFile>> SpoolStandardInput();
  TemporaryFile(std::string path, int slot) : path_(std::move(path)), slot_(slot) {}
  std::string path_;
  int slot_;
};

// Copies standard input to a temporary file, for runs that must read their input twice.
absl::StatusOr<std::unique_ptr<TemporaryFile>> SpoolStandardInput();

}  // namespace neardup
