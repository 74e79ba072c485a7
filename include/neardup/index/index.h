// index/index.h: a persistent near-duplicate index in one directory, to which documents are
// added day by day and against which new documents are checked without clustering everything
// again (`neardup index`).
//
// What the directory holds (an LMDB environment, data.mdb and lock.mdb, plus the marker file
// NEARDUP_INDEX naming the format version):
//   settings     the options fixed at creation (IndexSettings), as a versioned record; every later
//                call runs with them;
//   documents    per document, by ordinal (0, 1, ... in the order added): its id, date (the date
//                field, when the index has one), cluster (the ordinal of its representative), its
//                similarity to the document it joined through, and the add that brought it;
//   texts        per document, its title and body as read, zstd-compressed, so that the exact
//                verification of the defaults can re-read earlier documents;
//   bands        the MinHash band keys: per add, per field and band, one sorted array of
//                (32-bit key, ordinal) pairs, merged with the one before when it grows as large
//                (so segments stay few: about log2 of the adds);
//   ids, clusters  id -> ordinal, and per cluster its size and representative's id.
//
// How an add decides (the batch pipeline, pipeline.h, run over a neighbourhood): the new records
// are signed and their band keys looked up; the earlier documents they reach (candidates) are
// written, in the order they were added, ahead of the new records into one run of RunPipeline
// with the index's options and stop-shingles, which finds, verifies and clusters exactly as a
// `cluster` run does. A new document whose cluster there is led by an earlier document joins
// that earlier document's cluster; otherwise it is in a new cluster of new documents, led by the
// first of them (--keep first: representatives are the earliest documents). Earlier documents
// never change cluster. Where this differs from one batch run over everything, see README
// "Persistent index".
//
// Atomicity: an add or a remove is one LMDB write transaction: killed (SIGKILL) or failing (a
// full disk) before its commit, it leaves the index exactly as it was, and can be run again. One
// writer at a time: Open(kWrite) takes a non-blocking lock (flock on DIR/writer.lock) and fails
// with FailedPrecondition naming the holder while another writer holds it. Readers (Query,
// Stats) take no lock and see the last committed state, old or new, never a mix.
//
// Threading: an Index object is used by one thread; Add and Query run the pipeline on
// options.threads threads. Results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

// The format version this build reads and writes (NEARDUP_INDEX and the settings record).
inline constexpr int kIndexFormatVersion = 1;

// What an index fixes at creation.
struct IndexSettings {
  // The options as the caller spells them (the CLI: the cluster flags given to `index create`),
  // stored verbatim and handed back by Open(); the caller turns them into PipelineOptions.
  std::vector<std::string> option_args;
  // The record field holding each document's date ("" = none); needed by RemoveBefore.
  std::string date_field;
};

// What pipeline options an index accepts (Create checks, Add and Query expect): --algo minhash,
// --keep first, no stories. Returns InvalidArgument naming what is not supported.
absl::Status CheckIndexOptions(const PipelineOptions& options);

// One new record's outcome (Add) or what it would be (Query), in input order (good records).
struct IndexAssignment {
  std::string id;          // as stored (a repeated id is renamed "ID#2", as `cluster` does)
  std::string cluster;     // the representative's id ("" for a query record that joins nothing)
  bool representative = false;  // this record leads its cluster (a new cluster)
  std::string matched;     // the document it joined through ("" when it leads, or none)
  bool matched_earlier = false;  // `matched` was added in an earlier add (else in this one)
  float similarity = 1;    // to `matched` (1 when it leads)
  uint64_t cluster_size = 1;  // after the add (query: the cluster's size now)
};

struct IndexAddResult {
  std::vector<IndexAssignment> assignments;  // one per good new record, in input order
  // For WriteDedup (io/writer.h) over the new inputs only: representative[d] == d for the new
  // records that lead a new cluster (kept), another value for those that joined one (dropped).
  RunResult new_records;
  uint64_t earlier_reached = 0;  // earlier documents re-read as candidates' neighbours
  uint64_t records_bad = 0;
};

struct IndexStats {
  uint64_t documents = 0;
  uint64_t clusters = 0;        // clusters with at least one document in the index
  uint64_t adds = 0;            // committed adds (a daily job: the days)
  uint64_t removed = 0;         // documents removed so far
  uint64_t dated_days = 0;      // distinct days (YYYY-MM-DD, UTC) of the date field, if any
  uint64_t file_bytes = 0;      // data.mdb on disk (allocated blocks)
  uint64_t used_bytes = 0;      // pages in use by the last commit
  uint64_t band_entries = 0;    // (key, ordinal) pairs in the band segments
  uint64_t band_segments = 0;
  uint64_t text_bytes = 0;      // compressed title + body, all documents
  IndexSettings settings;
};

class Index {
 public:
  enum class Mode { kRead, kWrite };

  // Makes a new index in `dir` (created if missing; an existing directory must be empty).
  static absl::Status Create(const std::string& dir, const IndexSettings& settings);
  // Opens an index. Fails with NotFound (no such directory), InvalidArgument (not an index, or a
  // format version this build does not read), FailedPrecondition (kWrite: another writer).
  static absl::StatusOr<std::unique_ptr<Index>> Open(const std::string& dir, Mode mode);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  const IndexSettings& settings() const;

  // Adds options.inputs (the run's readers, formats and fields; the options must be the
  // settings' and pass CheckIndexOptions) as one atomic commit. `before_commit`, when set, runs
  // after the outputs are known and before the commit (the caller writes its outputs there; a
  // failure aborts the add).
  absl::StatusOr<IndexAddResult> Add(
      const PipelineOptions& options, const RunCallbacks& callbacks,
      const std::function<absl::Status(const IndexAddResult&)>& before_commit = {});
  // What Add would say for each record of options.inputs against the committed documents,
  // changing nothing: `cluster`/`matched` name an earlier document or are "" (records of the
  // query that only match one another join nothing).
  absl::StatusOr<std::vector<IndexAssignment>> Query(const PipelineOptions& options,
                                                     const RunCallbacks& callbacks);
  // Removes the documents with these ids (ids not in the index are counted in *unknown).
  absl::StatusOr<uint64_t> RemoveIds(const std::vector<std::string>& ids, uint64_t* unknown);
  // Removes the documents whose date (the settings' date field) is before `before` (seconds since
  // 1970 UTC); documents without a parsable date stay and are counted in *undated.
  absl::StatusOr<uint64_t> RemoveBefore(int64_t before, uint64_t* undated);

  absl::StatusOr<IndexStats> Stats();

 private:
  struct Impl;
  explicit Index(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace neardup
