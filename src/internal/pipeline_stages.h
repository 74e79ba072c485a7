// internal/pipeline_stages.h: the stages of RunPipeline (pipeline.h) one at a time, for a driver
// that spreads the first stage over several processes (src/dist/). The single-process RunPipeline
// runs the same code in one go; nothing here changes a per-record result.
//
// Lifecycle on every process: Create() -> FindStopShingles() -> ReadShare(); then on the process
// that writes the outputs only: AppendShard()* (every process's shards, in input order) ->
// Finish(). AppendShard() turns the shards back into the batches the single-process append stage
// sees, so exact-duplicate grouping, id renaming, bad-record accounting (--strict, --max-bad) and
// every callback happen exactly as in a single-process run. The shards' bytes are those of
// dist/shard_format.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/io/reader.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"
#include "neardup/cluster/verify.h"
#include "tbb/global_control.h"

namespace neardup::internal {

// One piece of input for ReadShare: input `file` (index into options.inputs), whole or a share.
struct ReadTask {
  size_t file = 0;
  ByteShare share;
};

// What ReadShare did, for the per-rank figures.
struct ShareFigures {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t shingles_removed = 0;
};

// The sketches of a process's own documents, kept where they were made when they do not travel in
// shards (ReadShare with `local`): per field (0 title, 1 body), for each good record of the share
// in order, whether the field is present, and for the present ones in order their MinHash rows
// (num_perm entries each), stored batch by batch so that nothing is copied as they accumulate.
struct LocalSketches {
  std::vector<uint8_t> present[2];
  std::vector<uint32_t> counts[2];  // shingles per good record (SketchBatch::counts)
  std::vector<const uint32_t*> rows[2];
  std::vector<std::unique_ptr<uint32_t[]>> blocks[2];  // owns what `rows` points into
};

// Finish() with the candidate and verification stages (and the similarities the clustering
// needs) computed elsewhere, by every process together.
struct DistributedHooks {
  // Verified edges between slots, sorted by (a, b) as the single-process stage 3 returns them;
  // sets counts->candidate_pairs, counts->buckets and seconds->candidates, seconds->verify.
  std::function<absl::StatusOr<std::vector<Edge>>(RunCounts* counts, StageSeconds* seconds)>
      edges;
  // JudgePair(a, b).similarity of each pair of slots, in order. Called exactly once.
  std::function<absl::StatusOr<std::vector<float>>(const std::vector<CandidatePair>& pairs)>
      similarities;
};

class Runner;

class PipelineStages {
 public:
  // `options` (validated) and `callbacks` must outlive the object. Sets the thread count for the
  // object's lifetime (options.threads).
  static absl::StatusOr<std::unique_ptr<PipelineStages>> Create(const PipelineOptions& options,
                                                                const RunCallbacks& callbacks);
  ~PipelineStages();

  // The stop-shingle sampling pass over the first documents of the inputs, from their start. Every
  // process runs it identically, so all sketch with the same stop-shingles. Needs no "-" input.
  absl::Status FindStopShingles();

  // Reads, parses, normalizes, shingles and signs `tasks` in order, and hands the results to
  // `emit` as serialized shards (whole batches, about `shard_bytes` each), in order. Fails on an
  // I/O error; everything read before it was emitted.
  // With `local`, sketches stay in `*local` and the shards carry none (every field absent).
  absl::Status ReadShare(const std::vector<ReadTask>& tasks, size_t shard_bytes,
                         const std::function<void(std::string&& shard)>& emit,
                         ShareFigures* figures, LocalSketches* local = nullptr);

  // Appends one shard (from any process's ReadShare, taken in input order). Fails as the
  // single-process run would (--strict, --max-bad); then no more shards may be appended.
  absl::Status AppendShard(std::string_view shard);

  // Candidates, verification and clustering over everything appended. `shingles_removed` is the
  // sum over the processes' ShareFigures; `read_seconds` the first stage's wall time.
  absl::StatusOr<RunResult> Finish(uint64_t shingles_removed, double read_seconds,
                                   const DistributedHooks* hooks = nullptr);

  // Documents appended so far.
  size_t documents() const;
  // For documents [begin, end): 1 for the first of its exact group (a slot; slots are numbered in
  // document order), else 0. After AppendShard()s.
  std::vector<uint8_t> SlotHeads(size_t begin, size_t end) const;

 private:
  PipelineStages() = default;
  std::unique_ptr<Runner> runner_;
  std::unique_ptr<tbb::global_control> threads_;
};

}  // namespace neardup::internal
