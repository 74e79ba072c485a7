// shards.cc: the staged use of the pipeline that the MPI run composes (internal/pipeline_stages.h):
// a processed batch as bytes (a shard) and back, reading a share of the inputs into shards, and
// appending shards in input order. The wire format is dist/shard_format.h.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dist/shard_format.h"
#include "internal/pipeline_stages.h"
#include "internal/runner.h"
#include "neardup/pipeline.h"

namespace neardup {
namespace internal {

void Runner::WriteShard(const Work& work) {
  EncodeShardBatch(ShardLayout::Of(options_), work, local_, shard_);
  if (figures_ != nullptr) {
    figures_->records += work.batch.size();
    figures_->bytes += work.batch.raw_bytes;
  }
  if (shard_->size() >= shard_bytes_) {
    (*emit_)(std::move(*shard_));
    shard_->clear();
  }
}

bool Runner::ReadShardBatch(ShardReader* in, Work* work) {
  uint32_t file = 0;
  if (!DecodeShardBatch(ShardLayout::Of(options_), options_.inputs.size(), in, &file, work)) {
    return false;
  }
  if (shard_files_.empty()) shard_files_.resize(options_.inputs.size());
  if (!shard_files_[file]) {
    auto info = std::make_shared<FileInfo>();
    info->index = static_cast<int>(file);
    info->format = options_.FormatOf(file);
    info->label = options_.LabelOf(file);
    shard_files_[file] = std::move(info);
  }
  work->file = shard_files_[file];
  work->first_ordinal = shard_ordinal_;
  shard_ordinal_ += work->batch.size();
  return true;
}

absl::Status Runner::ReadShare(const std::vector<ReadTask>& tasks, size_t shard_bytes,
                               const std::function<void(std::string&&)>& emit,
                               ShareFigures* figures, LocalSketches* local) {
  tasks_ = tasks;
  local_ = local;
  next_file_ = 0;
  std::string shard;
  shard_ = &shard;
  shard_bytes_ = shard_bytes;
  emit_ = &emit;
  figures_ = figures;
  RunReadPipeline(in_flight_);
  if (!shard.empty()) emit(std::move(shard));
  shard_ = nullptr;
  emit_ = nullptr;
  figures_ = nullptr;
  local_ = nullptr;
  uint64_t removed = 0;
  for (ThreadState& ts : thread_state_) removed += ts.shingles_removed;
  if (figures != nullptr) figures->shingles_removed = removed;
  return status_;
}

absl::Status Runner::AppendShard(std::string_view shard) {
  if (!status_.ok()) return status_;
  ShardReader in(shard);
  Work work;
  while (!in.done()) {
    if (!ReadShardBatch(&in, &work)) {
      return absl::InternalError("a shard of the distributed run is corrupt");
    }
    Append(work);
    if (!status_.ok()) return status_;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PipelineStages>> PipelineStages::Create(
    const PipelineOptions& options, const RunCallbacks& callbacks) {
  auto rules = options.BuildNewsRules();
  if (!rules.ok()) return rules.status();
  std::unique_ptr<PipelineStages> stages(new PipelineStages());
  stages->threads_ = std::make_unique<tbb::global_control>(
      tbb::global_control::max_allowed_parallelism, ThreadCount(options));
  stages->runner_ = std::make_unique<Runner>(options, callbacks, std::move(rules).value());
  return stages;
}

PipelineStages::~PipelineStages() = default;

absl::Status PipelineStages::FindStopShingles() { return runner_->FindStopShinglesStage(); }

absl::Status PipelineStages::ReadShare(const std::vector<ReadTask>& tasks, size_t shard_bytes,
                                       const std::function<void(std::string&&)>& emit,
                                       ShareFigures* figures, LocalSketches* local) {
  return runner_->ReadShare(tasks, shard_bytes, emit, figures, local);
}

size_t PipelineStages::documents() const { return runner_->documents(); }

std::vector<uint8_t> PipelineStages::SlotHeads(size_t begin, size_t end) const {
  return runner_->SlotHeads(begin, end);
}

absl::Status PipelineStages::AppendShard(std::string_view shard) {
  return runner_->AppendShard(shard);
}

absl::StatusOr<RunResult> PipelineStages::Finish(uint64_t shingles_removed, double read_seconds,
                                                 const DistributedHooks* hooks) {
  return runner_->Finish(shingles_removed, read_seconds, hooks);
}

}  // namespace internal
}  // namespace neardup
