// band_sorter.h: sorts one LSH band's (key, document) records and hands out the buckets, within a
// memory budget, spilling to disk when the records do not fit.
//
// SortAndGroup produces n records through a caller-supplied fill() and calls visit(key, docs) once
// per distinct key, keys in increasing order, each key's documents in increasing order. When the
// n records (16 bytes each) fit in the budget they are sorted in memory (tbb::parallel_sort) and
// no file is touched. Otherwise they are produced and sorted a chunk at a time; each sorted chunk
// is written as a run to an unnamed temporary file in `temp_dir`, and the runs are then merged
// with a small heap, reading each run sequentially through its own buffer. Both paths order
// records by (key, doc), a total order, so they give the same groups in the same order, byte for
// byte: whether a run spills never shows in the output.
//
// Disk: a record takes kSpillRecordBytes on disk, so the runs of a band take 12 * n bytes. The
// spill file is created with O_TMPFILE (or, where the file system lacks it, mkstemp + an immediate
// unlink), so it has no name: a crash or a signal leaves nothing behind, and the space is freed
// when the call returns. A merge needs more than one pass only when the budget is very small
// (see SpillPlan); such a pass writes the runs again to a second unnamed file, so the peak is
// then 24 * n bytes.
//
// Memory: the sort chunk (budget_bytes / 16 records, at least kMinChunkBytes) lives while runs are
// produced and is freed before the merge, whose read buffers share budget_bytes. On top of the
// budget: the buffer that hands a bucket's documents to visit() (4 bytes per member of the largest
// bucket) and O(runs) bookkeeping.
//
// Threads: fill() and visit() are called from the calling thread, one call at a time, fill() for
// consecutive ranges in increasing order (it may use parallelism inside, e.g. tbb::parallel_for).
// Independent calls may run concurrently (each has its own chunk and file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

namespace neardup {

// One record: a band key and the document it belongs to. Ordered by (key, doc). The padding
// after `doc` is never written to disk.
struct KeyedDoc {
  uint64_t key;
  uint32_t doc;
  friend bool operator<(const KeyedDoc& x, const KeyedDoc& y) {
    return x.key != y.key ? x.key < y.key : x.doc < y.doc;
  }
  friend bool operator==(const KeyedDoc& x, const KeyedDoc& y) {
    return x.key == y.key && x.doc == y.doc;
  }
};
static_assert(sizeof(KeyedDoc) == 16, "KeyedDoc is budgeted as 16 bytes");

// Bytes a record takes in a spill file: key and doc, no padding.
inline constexpr size_t kSpillRecordBytes = 12;
// The smallest sort chunk, whatever the budget: below this, runs get so short that the merge
// costs more in per-run overhead and small reads than the memory saved is worth.
inline constexpr size_t kMinChunkBytes = size_t{64} << 10;
// The read buffer per run that PlanSpill aims for; a merge of more runs than the budget can give
// this much each is split into passes.
inline constexpr size_t kMinMergeReadBytes = size_t{64} << 10;

// What spilling cost. Overwritten by each call, also on error (what was done up to the error).
struct SpillStats {
  uint64_t runs = 0;           // sorted runs written; 0 when the records fit in memory
  uint64_t bytes_written = 0;  // bytes written to spill files, all merge passes included
  uint64_t merge_passes = 0;   // reads of the whole data while merging; 1 = all runs at once
};

// How a budget is divided. SortAndGroup(n, budget_bytes, ...) uses PlanSpill(budget_bytes); an
// explicit plan is for tests and benchmarks that want a given number of runs or passes.
struct SpillPlan {
  // Records sorted in memory at a time: n <= chunk_records sorts in memory, without a file;
  // otherwise each run holds chunk_records records (the last one fewer). >= 1.
  size_t chunk_records = 0;
  // Most runs merged at once, >= 2. More runs are first merged in groups (of about equal size)
  // into fewer, longer runs, as many passes as needed.
  size_t fan_in = 0;
  // Bytes of read buffers shared by the runs of one merge (plus, in a pass that writes runs, one
  // output buffer of the same size as a run's). Each run gets at least one record's worth and at
  // most 1 MiB (larger reads no longer speed up sequential I/O).
  size_t merge_buffer_bytes = 0;
};

// chunk_records = max(budget_bytes, kMinChunkBytes) / 16; merge_buffer_bytes =
// max(budget_bytes, kMinChunkBytes); fan_in = merge_buffer_bytes / kMinMergeReadBytes, at least 2.
// So with a budget of 64 MiB or more, every n up to 2^32 (all a uint32_t doc can number) merges
// in one pass: at most 1,024 runs of 4M records against a fan-in of 1,024 or more. With 1 MiB
// (the smallest --memory-limit), 16 runs of 64K records (1M records) still merge in one pass.
SpillPlan PlanSpill(size_t budget_bytes);

// Sorts the n records that fill() produces and calls visit() once per distinct key, as described
// at the top of this file.
//
// fill(begin, end, out) must write the records of documents [begin, end) to out[0, end - begin).
// It is called for consecutive ranges covering [0, n), each at most plan.chunk_records long.
// Records are compared by (key, doc); doc values are expected to be unique within a call (equal
// records would be indistinguishable anyway, so the output would still not depend on spilling).
// visit(key, docs) gets a non-empty span valid only during the call.
//
// Errors, all leaving no file behind: the spill file cannot be created in `temp_dir` (missing,
// not writable: the status names the directory and strerror; NotFound, PermissionDenied...), a
// write fails (a full disk gives ResourceExhausted, a file size limit OutOfRange, both naming the
// directory), a read fails or comes back short (DataLoss). A write error stops the call before
// any visit(); a read error during the last merge pass may come after visit() was called for a
// prefix of the groups, so on error the caller must drop whatever visit() collected. A missing
// `temp_dir` is an error only when the records have to spill; "" means $TMPDIR, else /tmp. An invalid plan (chunk_records 0,
// fan_in < 2) is InvalidArgument.
absl::Status SortAndGroup(
    size_t n, size_t budget_bytes, const std::string& temp_dir,
    absl::FunctionRef<void(size_t begin, size_t end, KeyedDoc* out)> fill,
    absl::FunctionRef<void(uint64_t key, absl::Span<const uint32_t> docs)> visit,
    SpillStats* stats);
absl::Status SortAndGroup(
    size_t n, const SpillPlan& plan, const std::string& temp_dir,
    absl::FunctionRef<void(size_t begin, size_t end, KeyedDoc* out)> fill,
    absl::FunctionRef<void(uint64_t key, absl::Span<const uint32_t> docs)> visit,
    SpillStats* stats);

}  // namespace neardup
