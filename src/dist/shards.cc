// shards.cc: the staged use of the pipeline that the MPI run composes (internal/pipeline_stages.h):
// a processed batch as bytes (a shard) and back, reading a share of the inputs into shards, and
// appending shards in input order. The wire format lives here, apart from the single-process run.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/pipeline_stages.h"
#include "internal/runner.h"
#include "neardup/dist/mpi.h"
#include "neardup/pipeline.h"

namespace neardup {
namespace internal {

// Shards (internal/pipeline_stages.h): a processed batch as bytes, and back. Only what the append
// stage reads travels: per-record results, the raw bytes of bad records (for --rejects), and the
// sketches of the fields that are present.
class ShardWriter {
 public:
  explicit ShardWriter(std::string* out) : out_(out) {}
  template <typename T>
  void Put(const T& v) {
    out_->append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void PutArray(const T* p, size_t n) {
    out_->append(reinterpret_cast<const char*>(p), n * sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_->append(s.data(), s.size());
  }

 private:
  std::string* out_;
};

class ShardReader {
 public:
  explicit ShardReader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  bool ok() const { return ok_; }
  template <typename T>
  T Get() {
    T v{};
    GetArray(&v, 1);
    return v;
  }
  template <typename T>
  void GetArray(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (!ok_ || in_.size() - pos_ < bytes) {
      ok_ = false;
      return;
    }
    if (bytes > 0) std::memcpy(p, in_.data() + pos_, bytes);
    pos_ += bytes;
  }
  std::string_view GetString() {
    const uint64_t n = Get<uint64_t>();
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void Runner::WriteShard(const Work& work) {
  ShardWriter out(shard_);
  const size_t n = work.batch.size();
  const bool keep = !options_.fields.keep.empty();
  out.Put<uint32_t>(static_cast<uint32_t>(work.file->index));
  out.Put<uint64_t>(n);
  out.Put<uint64_t>(work.batch.raw_bytes);
  out.Put<uint64_t>(work.utf8_repairs);
  for (uint64_t h : work.has) out.Put<uint64_t>(h);
  out.PutArray(work.batch.line_numbers.data(), n);
  out.PutArray(work.batch.oversized_length.data(), n);
  out.PutArray(work.good.data(), n);
  for (size_t i = 0; i < n; ++i) {
    if (work.good[i]) continue;
    out.PutString(work.errors[i]);
    out.PutString(work.batch.record(i));
    out.Put<uint64_t>(i < work.batch.starts.size() ? work.batch.starts[i] : 0);
  }
  out.PutString(work.ids);
  out.PutArray(work.id_ends.data(), n);
  out.PutArray(work.lengths.data(), n);
  if (keep) {
    out.PutArray(work.has_keep.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (work.has_keep[i]) out.PutString(work.keep_values[i]);
    }
  }
  out.PutArray(work.exact.data(), n);
  for (const FieldWork& f : work.fields) out.PutArray(f.counts.data(), n);
  const size_t np = static_cast<size_t>(num_perm_);
  if (local_ != nullptr) {
    // The sketches stay here (MinHash only); the shard says every field is absent.
    const std::vector<uint8_t> absent(n, 0);
    for (int fi = 0; fi < 2; ++fi) {
      const FieldWork& f = work.fields[fi];
      out.PutArray(absent.data(), n);
      size_t rows = 0;
      for (size_t i = 0; i < n; ++i) rows += work.good[i] && f.present[i];
      std::unique_ptr<uint32_t[]> block(new uint32_t[rows * np]);  // filled below, not zeroed
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!work.good[i]) continue;
        local_->present[fi].push_back(f.present[i]);
        local_->counts[fi].push_back(f.counts[i]);
        if (f.present[i]) {
          std::memcpy(block.get() + k * np, f.minhash.data() + i * np, np * sizeof(uint32_t));
          ++k;
        }
      }
      for (size_t r = 0; r < rows; ++r) local_->rows[fi].push_back(block.get() + r * np);
      local_->blocks[fi].push_back(std::move(block));  // the rows stay where they are
    }
  }
  for (const FieldWork& f : work.fields) {
    if (local_ != nullptr) break;
    out.PutArray(f.present.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (!work.good[i] || !f.present[i]) continue;
      switch (options_.algo) {
        case Algorithm::kMinHash:
          out.PutArray(f.minhash.data() + i * np, np);
          break;
        case Algorithm::kSimHash:
          out.Put<uint64_t>(f.simhash[i]);
          break;
        case Algorithm::kExact: {
          const size_t begin = i == 0 ? 0 : f.token_ends[i - 1];
          out.Put<uint64_t>(f.token_ends[i] - begin);
          out.PutArray(f.tokens.data() + begin, f.token_ends[i] - begin);
          break;
        }
      }
    }
  }
  if (figures_ != nullptr) {
    figures_->records += n;
    figures_->bytes += work.batch.raw_bytes;
  }
  if (shard_->size() >= shard_bytes_) {
    (*emit_)(std::move(*shard_));
    shard_->clear();
  }
}

bool Runner::ReadShardBatch(ShardReader* in, Work* work) {
  const uint32_t file = in->Get<uint32_t>();
  const uint64_t n64 = in->Get<uint64_t>();
  if (!in->ok() || file >= options_.inputs.size() || n64 > (uint64_t{1} << 32)) return false;
  const size_t n = static_cast<size_t>(n64);
  const bool keep = !options_.fields.keep.empty();
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
  RecordBatch& batch = work->batch;
  batch.Clear();
  batch.raw_bytes = in->Get<uint64_t>();
  work->utf8_repairs = in->Get<uint64_t>();
  for (uint64_t& h : work->has) h = in->Get<uint64_t>();
  batch.line_numbers.resize(n);
  in->GetArray(batch.line_numbers.data(), n);
  batch.oversized_length.resize(n);
  in->GetArray(batch.oversized_length.data(), n);
  work->good.resize(n);
  in->GetArray(work->good.data(), n);
  work->errors.assign(n, std::string());
  work->bad_starts.assign(n, 0);
  for (size_t i = 0; i < n && in->ok(); ++i) {
    if (!work->good[i]) {
      work->errors[i] = std::string(in->GetString());
      batch.data.append(in->GetString());
      work->bad_starts[i] = in->Get<uint64_t>();
    }
    batch.offsets.push_back(batch.data.size());
  }
  work->ids = std::string(in->GetString());
  work->id_ends.resize(n);
  in->GetArray(work->id_ends.data(), n);
  work->lengths.resize(n);
  in->GetArray(work->lengths.data(), n);
  if (keep) {
    work->has_keep.resize(n);
    in->GetArray(work->has_keep.data(), n);
    work->keep_values.assign(n, std::string());
    for (size_t i = 0; i < n && in->ok(); ++i) {
      if (work->has_keep[i]) work->keep_values[i] = std::string(in->GetString());
    }
  }
  work->exact.resize(n);
  in->GetArray(work->exact.data(), n);
  std::vector<uint32_t> counts[2];
  for (auto& c : counts) {
    c.resize(n);
    in->GetArray(c.data(), n);
  }
  const size_t np = static_cast<size_t>(num_perm_);
  int fi = 0;
  for (FieldWork& f : work->fields) {
    f.Reset(n, options_.algo, num_perm_);
    f.counts = std::move(counts[fi++]);
    in->GetArray(f.present.data(), n);
    for (size_t i = 0; i < n && in->ok(); ++i) {
      f.token_ends[i] = f.tokens.size();
      if (!work->good[i] || !f.present[i]) continue;
      switch (options_.algo) {
        case Algorithm::kMinHash:
          in->GetArray(f.minhash.data() + i * np, np);
          break;
        case Algorithm::kSimHash:
          f.simhash[i] = in->Get<uint64_t>();
          break;
        case Algorithm::kExact: {
          const uint64_t k = in->Get<uint64_t>();
          if (!in->ok() || k > (uint64_t{1} << 40)) return false;
          const size_t begin = f.tokens.size();
          f.tokens.resize(begin + static_cast<size_t>(k));
          in->GetArray(f.tokens.data() + begin, static_cast<size_t>(k));
          f.token_ends[i] = f.tokens.size();
          break;
        }
      }
    }
  }
  if (!in->ok()) return false;
  shard_ordinal_ += n;
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
