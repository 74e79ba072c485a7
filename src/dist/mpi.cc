// The distributed run (neardup/mpi.h). Without MPI (NEARDUP_WITH_MPI unset) only the stand-alone
// answers remain: rank 0 of 1.
#include "neardup/dist/mpi.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "internal/pipeline_stages.h"
#include "neardup/io/reader.h"
#include "neardup/sketch/engine.h"
#include "neardup/stats.h"

#ifdef NEARDUP_WITH_MPI
#include <mpi.h>

#include "dist/shuffle.h"
#endif

namespace neardup::mpi {
namespace {

int g_rank = 0;
int g_size = 1;

}  // namespace

absl::Status CheckInputs(const PipelineOptions& options) {
  if (Size() <= 1) return absl::OkStatus();
  for (const std::string& in : options.inputs) {
    if (in == "-") {
      return absl::InvalidArgumentError(
          "standard input (\"-\") cannot be read by several MPI ranks; give files");
    }
  }
  if (options.stories) {
    return absl::InvalidArgumentError(
        "--stories does not run under mpirun yet: run it in one process (it groups the "
        "clusters of the whole input in one pass)");
  }
  return absl::OkStatus();
}

absl::StatusOr<RunResult> RunPipelineOnRanks(const PipelineOptions& options,
                                             const RunCallbacks& callbacks) {
  if (Size() > 1) return RunDistributedPipeline(options, callbacks);
  return RunPipeline(options, callbacks);
}

#ifndef NEARDUP_WITH_MPI

bool Available() { return false; }
Session::Session(int*, char***) {}
Session::~Session() = default;
int Rank() { return 0; }
int Size() { return 1; }
absl::StatusOr<RunResult> RunDistributedPipeline(const PipelineOptions&, const RunCallbacks&) {
  return absl::UnimplementedError("neardup was built without MPI");
}

#else  // NEARDUP_WITH_MPI

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool g_initialized = false;

// A launcher's environment: Open MPI's mpirun, or a PMI/PMIx one (srun --mpi=pmix, Hydra).
bool Launched() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

// Tags of the messages to rank 0.
constexpr int kTagHeader = 1;
constexpr int kTagMessage = 2;
constexpr int kTagShard = 3;

// Shards go to rank 0 in pieces of about this many bytes (whole batches each).
constexpr size_t kShardBytes = size_t{16} << 20;

// Where each input lies in the byte space of all inputs, and whether it can be shared.
struct InputPlan {
  uint64_t start = 0;
  uint64_t size = 0;
  bool shareable = false;
};

// Start of rank r's range of the byte space [0, total).
uint64_t Cut(uint64_t total, int r, int ranks) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * static_cast<unsigned>(r) /
                               static_cast<unsigned>(ranks));
}

// The rank whose range holds byte x (the last rank for x == total).
int Owner(uint64_t total, uint64_t x, int ranks) {
  int r = 0;
  for (int k = 1; k < ranks; ++k) {
    if (Cut(total, k, ranks) <= x) r = k;
  }
  return r;
}

// Rank `rank`'s reading tasks, in input order; `windows` gets, per input, the byte window whose
// line feeds this rank counts for the line numbers of later shares ({0, 0} for none).
std::vector<internal::ReadTask> PlanTasks(const std::vector<InputPlan>& inputs, int rank,
                                          int ranks,
                                          std::vector<std::pair<uint64_t, uint64_t>>* windows) {
  uint64_t total = 0;
  for (const InputPlan& in : inputs) total = std::max(total, in.start + in.size);
  const uint64_t lo = Cut(total, rank, ranks);
  const uint64_t hi = rank + 1 == ranks ? total : Cut(total, rank + 1, ranks);
  std::vector<internal::ReadTask> tasks;
  windows->assign(inputs.size(), {0, 0});
  for (size_t f = 0; f < inputs.size(); ++f) {
    const InputPlan& in = inputs[f];
    if (!in.shareable || in.size == 0) {
      if (Owner(total, in.start, ranks) == rank) tasks.push_back({f, ByteShare{}});
      continue;
    }
    const uint64_t a = std::clamp(lo, in.start, in.start + in.size) - in.start;
    const uint64_t b = std::clamp(hi, in.start, in.start + in.size) - in.start;
    if (a >= b) continue;
    if (a == 0 && b == in.size) {
      tasks.push_back({f, ByteShare{}});
      continue;
    }
    ByteShare share;
    share.begin = a;
    share.end = b;
    tasks.push_back({f, share});
    (*windows)[f] = {a == 0 ? 0 : a - 1, b - 1};
  }
  return tasks;
}

// A rank's outcome as it travels: ok, or a status code and message.
struct Outcome {
  absl::Status status;

  void Send(int dest, int tag_header, uint64_t extra, uint64_t* sent) const {
    const std::string msg(status.message());
    uint64_t header[3] = {static_cast<uint64_t>(status.code()), msg.size(), extra};
    MPI_Send(header, 3, MPI_UINT64_T, dest, tag_header, MPI_COMM_WORLD);
    MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_BYTE, dest, kTagMessage,
             MPI_COMM_WORLD);
    *sent += sizeof(header) + msg.size();
  }
};

absl::Status MakeStatus(uint64_t code, std::string message) {
  if (code == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

// Rank `root` tells every rank its status; the bytes go into *figures (when not null).
absl::Status ShareOutcome(absl::Status status, int root, RankFigures* figures) {
  uint64_t header[2] = {static_cast<uint64_t>(status.code()), status.message().size()};
  MPI_Bcast(header, 2, MPI_UINT64_T, root, MPI_COMM_WORLD);
  std::string message(status.message());
  message.resize(header[1]);
  MPI_Bcast(message.data(), static_cast<int>(header[1]), MPI_BYTE, root, MPI_COMM_WORLD);
  if (figures != nullptr && g_rank == root) {
    figures->bytes_sent += (sizeof(header) + header[1]) * static_cast<uint64_t>(g_size - 1);
  } else if (figures != nullptr) {
    figures->bytes_received += sizeof(header) + header[1];
  }
  return MakeStatus(header[0], std::move(message));
}

// Every rank passes its own status; all return the error of the lowest rank that has one (the
// first in input order, since ranks read the inputs in rank order), or ok.
absl::Status AgreeOnFirstError(absl::Status status, RankFigures* figures) {
  const int mine = status.ok() ? g_size : g_rank;
  int first = g_size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == g_size) return absl::OkStatus();
  return ShareOutcome(std::move(status), first, figures);
}

}  // namespace

bool Available() { return true; }

Session::Session(int* argc, char*** argv) {
  if (!Launched()) return;
  int provided = 0;
  // Only the main thread calls MPI; TBB's workers never do.
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  g_initialized = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  if (g_rank != 0) {
    // Every rank parses the same flags and would print the same usage error or summary.
    std::cout.rdbuf(nullptr);
    std::cerr.rdbuf(nullptr);
  }
}

Session::~Session() {
  if (g_initialized) MPI_Finalize();
}

int Rank() { return g_rank; }
int Size() { return g_size; }

namespace {

// One rank's part of a distributed run: the steps of mpi.h, in order. Every step is collective
// (all ranks run it, in the same order) and runs on the one thread that calls MPI; the pipeline
// stages inside run their own parallel loops. A rank's own first error (in input order) waits in
// `local_` until the ranks agree on the run's outcome: after the shards reach rank 0, after the
// slots are spread, and at the end, so that every rank returns the same status.
class DistributedRun {
 public:
  DistributedRun(const PipelineOptions& options, const RunCallbacks& callbacks)
      : options_(options),
        callbacks_(callbacks),
        start_(Clock::now()),
        rank_(g_rank),
        ranks_(g_size),
        // MinHash band keys are shuffled between the ranks and pairs judged where their sketches
        // live when the sketches decide (verify signature or none). Exact verification (auto,
        // exact) re-reads candidate documents on rank 0, which therefore gets every sketch in the
        // shards and runs the candidates, verification and clustering of the single-process run
        // itself; so do the other engines.
        shuffle_(SketchEngine::Get(options.algo).candidate_search() ==
                     CandidateSearch::kLshBands &&
                 (options.verify == VerifyMode::kSignature ||
                  options.verify == VerifyMode::kNone)) {}

  absl::StatusOr<RunResult> Run();

 private:
  std::vector<InputPlan> ShareInputPlan();
  void NumberLines(const std::vector<std::pair<uint64_t, uint64_t>>& windows,
                   std::vector<internal::ReadTask>* tasks);
  void ReadShare(std::vector<internal::ReadTask> tasks);
  void SendShards();
  absl::Status AppendShards();
  absl::Status SpreadSlots();
  absl::StatusOr<RunResult> Match();
  void GatherFigures();

  const PipelineOptions& options_;
  const RunCallbacks& callbacks_;
  const Clock::time_point start_;
  const int rank_;
  const int ranks_;
  const bool shuffle_;
  absl::Status local_;                      // this rank's first error, in input order
  size_t unnumbered_file_ = SIZE_MAX;       // the first input whose line feeds were not counted
  RankFigures mine_;
  std::vector<RankFigures> all_;            // rank 0: every rank's figures
  std::unique_ptr<internal::PipelineStages> stages_;
  std::vector<std::string> shards_;         // this rank's share, read and signed
  internal::LocalSketches local_sketches_;  // with shuffle_: its sketches
  internal::ShareFigures share_figures_;
  uint64_t shingles_removed_ = 0;           // rank 0: summed over the ranks
  std::vector<size_t> doc_end_;             // rank 0: documents appended after each rank's
  shuffle::SlotStore store_;
  shuffle::SlotMap map_;
  shuffle::Traffic traffic_;
};

absl::StatusOr<RunResult> DistributedRun::Run() {
  if (absl::Status s = CheckInputs(options_); !s.ok()) return s;
  std::vector<InputPlan> inputs = ShareInputPlan();
  std::vector<std::pair<uint64_t, uint64_t>> windows;
  std::vector<internal::ReadTask> tasks = PlanTasks(inputs, rank_, ranks_, &windows);
  NumberLines(windows, &tasks);
  ReadShare(std::move(tasks));
  mine_.read_and_sign_seconds = SecondsSince(start_);

  const auto exchange_start = Clock::now();
  if (rank_ != 0) SendShards();
  absl::Status outcome = rank_ == 0 ? AppendShards() : absl::OkStatus();
  shards_.clear();
  outcome = ShareOutcome(outcome, 0, &mine_);
  mine_.exchange_seconds = SecondsSince(exchange_start);
  if (outcome.ok() && shuffle_) outcome = SpreadSlots();
  if (!outcome.ok()) {
    GatherFigures();
    return outcome;
  }

  const auto match_start = Clock::now();
  absl::StatusOr<RunResult> result = Match();
  mine_.match_seconds = SecondsSince(match_start);
  mine_.bytes_sent += traffic_.sent;
  mine_.bytes_received += traffic_.received;
  GatherFigures();
  // Rank 0's outcome to every rank (after the figures, which therefore leave its bytes out).
  if (absl::Status s = ShareOutcome(result.status(), 0, nullptr); !s.ok()) return s;
  if (rank_ != 0) {
    RunResult none;
    none.writes_outputs = false;
    return none;
  }
  result->ranks = std::move(all_);
  return result;
}

// Step 1, the plan: rank 0 looks at every input once (size, compression) and tells the others.
// An input it cannot open becomes a whole, empty one, so that its reader fails in input order
// with the single-process message.
std::vector<InputPlan> DistributedRun::ShareInputPlan() {
  const size_t n = options_.inputs.size();
  std::vector<uint64_t> facts(2 * n, 0);
  if (rank_ == 0) {
    for (size_t f = 0; f < n; ++f) {
      auto probed = ProbeInput(options_.inputs[f]);
      if (!probed.ok()) continue;
      facts[2 * f] = probed->size;
      facts[2 * f + 1] = Shareable(options_.FormatOf(f), *probed) ? 1 : 0;
    }
    mine_.bytes_sent += facts.size() * sizeof(uint64_t) * static_cast<uint64_t>(ranks_ - 1);
  } else {
    mine_.bytes_received += facts.size() * sizeof(uint64_t);
  }
  MPI_Bcast(facts.data(), static_cast<int>(facts.size()), MPI_UINT64_T, 0, MPI_COMM_WORLD);
  std::vector<InputPlan> inputs(n);
  uint64_t offset = 0;
  for (size_t f = 0; f < n; ++f) {
    inputs[f].start = offset;
    inputs[f].size = facts[2 * f];
    inputs[f].shareable = facts[2 * f + 1] != 0;
    offset += inputs[f].size;
  }
  return inputs;
}

// Line numbers of shares: line feeds before each share, summed over the earlier ranks. An input
// whose line feeds cannot be counted is this rank's error, after the inputs before it.
void DistributedRun::NumberLines(const std::vector<std::pair<uint64_t, uint64_t>>& windows,
                                 std::vector<internal::ReadTask>* tasks) {
  const size_t n = options_.inputs.size();
  std::vector<uint64_t> feeds(n, 0), before(n, 0);
  for (size_t f = 0; f < n && local_.ok(); ++f) {
    if (windows[f].second <= windows[f].first) continue;
    auto counted = CountLineFeeds(options_.inputs[f], windows[f].first, windows[f].second);
    if (counted.ok()) {
      feeds[f] = *counted;
    } else {
      local_ = counted.status();
      unnumbered_file_ = f;
    }
  }
  MPI_Exscan(feeds.data(), before.data(), static_cast<int>(n), MPI_UINT64_T, MPI_SUM,
             MPI_COMM_WORLD);
  if (rank_ == 0) std::fill(before.begin(), before.end(), 0);  // Exscan leaves rank 0's undefined
  for (internal::ReadTask& t : *tasks) {
    if (!t.share.whole() && t.share.begin > 0) t.share.first_line_number = before[t.file] + 2;
  }
}

// Step 2: stop-shingles (every rank alike), then this rank's share, as shards. With shuffle_ the
// MinHash sketches stay on this rank (dist/shuffle.h); otherwise they travel in the shards.
void DistributedRun::ReadShare(std::vector<internal::ReadTask> tasks) {
  // The inputs before one whose line feeds could not be counted are still read: an error in them
  // comes first in input order.
  absl::Status counting = std::move(local_);
  local_ = absl::OkStatus();
  tasks.erase(std::find_if(tasks.begin(), tasks.end(),
                           [&](const internal::ReadTask& t) { return t.file >= unnumbered_file_; }),
              tasks.end());
  auto created = internal::PipelineStages::Create(options_, callbacks_);
  if (created.ok()) {
    stages_ = std::move(created).value();
  } else {
    local_ = created.status();
  }
  if (local_.ok()) local_ = stages_->FindStopShingles();
  if (local_.ok()) {
    local_ = stages_->ReadShare(
        tasks, kShardBytes, [&](std::string&& shard) { shards_.push_back(std::move(shard)); },
        &share_figures_, shuffle_ ? &local_sketches_ : nullptr);
  }
  if (local_.ok()) local_ = std::move(counting);
  mine_.records = share_figures_.records;
  mine_.bytes = share_figures_.bytes;
}

// Step 3 on ranks other than 0: the shards to rank 0, then this rank's outcome. MPI counts bytes
// in an int: a larger shard cannot go, so it and the rest become this rank's error, which rank 0
// then meets after the shards before it.
void DistributedRun::SendShards() {
  auto too_large = std::find_if(shards_.begin(), shards_.end(), [](const std::string& shard) {
    return shard.size() > static_cast<size_t>(INT_MAX);
  });
  if (too_large != shards_.end()) {
    local_ = absl::ResourceExhaustedError(absl::StrFormat(
        "rank %d: a shard of %d bytes is larger than one MPI message can be (%d bytes)", rank_,
        too_large->size(), INT_MAX));
    shards_.erase(too_large, shards_.end());
  }
  uint64_t count = shards_.size();
  MPI_Send(&count, 1, MPI_UINT64_T, 0, kTagHeader, MPI_COMM_WORLD);
  mine_.bytes_sent += sizeof(count);
  for (std::string& shard : shards_) {
    MPI_Send(shard.data(), static_cast<int>(shard.size()), MPI_BYTE, 0, kTagShard,
             MPI_COMM_WORLD);
    mine_.bytes_sent += shard.size();
    shard = std::string();
  }
  Outcome{local_}.Send(0, kTagHeader, share_figures_.shingles_removed, &mine_.bytes_sent);
}

// Step 3 on rank 0: every rank's shards appended in rank order (= input order), then its outcome;
// returns the first error. After it, every message is still taken (so that no rank is left
// waiting) but nothing more is appended.
absl::Status DistributedRun::AppendShards() {
  absl::Status outcome;
  doc_end_.assign(static_cast<size_t>(ranks_), 0);
  shingles_removed_ = share_figures_.shingles_removed;
  for (std::string& shard : shards_) {
    if (outcome.ok()) outcome = stages_->AppendShard(shard);
    shard = std::string();
  }
  if (outcome.ok()) outcome = local_;
  doc_end_[0] = stages_ ? stages_->documents() : 0;
  std::string buffer;
  for (int r = 1; r < ranks_; ++r) {
    uint64_t count = 0;
    MPI_Recv(&count, 1, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    mine_.bytes_received += sizeof(count);
    for (uint64_t i = 0; i < count; ++i) {
      MPI_Status st;
      MPI_Probe(r, kTagShard, MPI_COMM_WORLD, &st);
      int bytes = 0;
      MPI_Get_count(&st, MPI_BYTE, &bytes);
      buffer.resize(static_cast<size_t>(bytes));
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, r, kTagShard, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      mine_.bytes_received += static_cast<uint64_t>(bytes);
      if (outcome.ok()) outcome = stages_->AppendShard(buffer);
    }
    uint64_t header[3];
    MPI_Recv(header, 3, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::string message(header[1], '\0');
    MPI_Recv(message.data(), static_cast<int>(header[1]), MPI_BYTE, r, kTagMessage,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    mine_.bytes_received += sizeof(header) + header[1];
    shingles_removed_ += header[2];
    if (outcome.ok()) outcome = MakeStatus(header[0], std::move(message));
    doc_end_[static_cast<size_t>(r)] = stages_ ? stages_->documents() : 0;
  }
  return outcome;
}

// Step 4 with shuffle_: rank 0 tells each rank which of its documents head a slot (the others
// are exact duplicates) and where its slots start; each rank keeps the sketches of its slots, and
// all learn where every slot lives. Fails on every rank alike.
absl::Status DistributedRun::SpreadSlots() {
  std::vector<uint8_t> heads;
  uint32_t first = 0;
  if (rank_ == 0) {
    uint32_t next = 0;
    for (int r = 0; r < ranks_; ++r) {
      const size_t begin = r == 0 ? 0 : doc_end_[static_cast<size_t>(r - 1)];
      std::vector<uint8_t> h = stages_->SlotHeads(begin, doc_end_[static_cast<size_t>(r)]);
      if (r == 0) {
        heads = std::move(h);
        first = 0;
      } else {
        const uint64_t header[2] = {next, h.size()};
        MPI_Send(header, 2, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD);
        MPI_Send(h.data(), static_cast<int>(h.size()), MPI_BYTE, r, kTagShard, MPI_COMM_WORLD);
        mine_.bytes_sent += sizeof(header) + h.size();
      }
      for (uint8_t x : r == 0 ? heads : h) next += x;
    }
  } else {
    uint64_t header[2];
    MPI_Recv(header, 2, MPI_UINT64_T, 0, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    heads.resize(header[1]);
    MPI_Recv(heads.data(), static_cast<int>(header[1]), MPI_BYTE, 0, kTagShard, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    mine_.bytes_received += sizeof(header) + header[1];
    first = static_cast<uint32_t>(header[0]);
  }
  const size_t read = local_sketches_.present[0].size();
  absl::Status counted;
  if (heads.size() != read) {
    counted = absl::InternalError(absl::StrFormat(
        "rank %d: %d documents read, but rank 0 appended %d of them", rank_, read, heads.size()));
  }
  if (absl::Status s = AgreeOnFirstError(std::move(counted), &mine_); !s.ok()) return s;
  store_.Build(std::move(local_sketches_), heads, first, options_.num_perm);
  std::vector<uint32_t> ranges(2 * static_cast<size_t>(ranks_));
  const uint32_t own[2] = {store_.first, store_.count};
  MPI_Allgather(own, 2, MPI_UINT32_T, ranges.data(), 2, MPI_UINT32_T, MPI_COMM_WORLD);
  map_.starts.resize(static_cast<size_t>(ranks_) + 1);
  for (int r = 0; r < ranks_; ++r) map_.starts[static_cast<size_t>(r)] = ranges[2 * r];
  map_.starts[static_cast<size_t>(ranks_)] = ranges[2 * (ranks_ - 1)] + ranges[2 * ranks_ - 1];
  return absl::OkStatus();
}

// Steps 4 and 5: with shuffle_, candidates and verification spread over the ranks
// (dist/shuffle.h) and clustering on rank 0; otherwise all of it on rank 0. The result on rank 0
// (ok and empty elsewhere).
absl::StatusOr<RunResult> DistributedRun::Match() {
  if (rank_ == 0) {
    internal::DistributedHooks hooks;
    hooks.edges = [&](RunCounts* counts,
                      StageSeconds* seconds) -> absl::StatusOr<std::vector<Edge>> {
      return shuffle::DistributedEdges(options_, store_, map_, counts, seconds, &traffic_);
    };
    hooks.similarities =
        [&](const std::vector<CandidatePair>& pairs) -> absl::StatusOr<std::vector<float>> {
      return shuffle::DistributedSimilarities(options_, store_, map_, pairs, &traffic_);
    };
    return stages_->Finish(shingles_removed_, SecondsSince(start_), shuffle_ ? &hooks : nullptr);
  }
  if (shuffle_) {
    RunCounts counts;
    StageSeconds seconds;
    shuffle::DistributedEdges(options_, store_, map_, &counts, &seconds, &traffic_);
    shuffle::DistributedSimilarities(options_, store_, map_, {}, &traffic_);
  }
  return RunResult{};
}

// Per-rank figures to rank 0 (the last exchange they count, so its own bytes are not in them).
void DistributedRun::GatherFigures() {
  all_.resize(rank_ == 0 ? static_cast<size_t>(ranks_) : 0);
  mine_.peak_memory_bytes = PeakMemoryBytes();
  MPI_Gather(&mine_, sizeof(RankFigures), MPI_BYTE, all_.data(), sizeof(RankFigures), MPI_BYTE,
             0, MPI_COMM_WORLD);
}

}  // namespace

absl::StatusOr<RunResult> RunDistributedPipeline(const PipelineOptions& options,
                                                 const RunCallbacks& callbacks) {
  return DistributedRun(options, callbacks).Run();
}

#endif  // NEARDUP_WITH_MPI

}  // namespace neardup::mpi
