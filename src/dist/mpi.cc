// The distributed run (neardup/mpi.h). Without MPI (NEARDUP_WITH_MPI unset) only the stand-alone
// answers remain: rank 0 of 1.
#include "neardup/dist/mpi.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/pipeline_stages.h"
#include "neardup/io/reader.h"
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

void AddRanksToStats(const RunResult& result, std::string* json) {
  if (result.ranks.empty()) return;
  const size_t close = json->rfind('}');
  if (close == std::string::npos) return;
  size_t end = close;
  while (end > 0 && ((*json)[end - 1] == '\n' || (*json)[end - 1] == ' ')) --end;
  std::string section = ",\n  \"ranks\": [";
  for (size_t r = 0; r < result.ranks.size(); ++r) {
    const RankFigures& f = result.ranks[r];
    absl::StrAppendFormat(
        &section,
        "%s\n    {\"rank\": %d, \"records\": %d, \"bytes\": %d, \"read_and_sign_seconds\": %.6f, "
        "\"exchange_seconds\": %.6f, \"match_seconds\": %.6f, \"bytes_sent\": %d, "
        "\"bytes_received\": %d, \"peak_memory_bytes\": %d}",
        r ? "," : "", r, f.records, f.bytes, f.read_and_sign_seconds, f.exchange_seconds,
        f.match_seconds, f.bytes_sent, f.bytes_received, f.peak_memory_bytes);
  }
  section += "\n  ]\n";
  json->replace(end, close - end, section);
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

// Rank 0 tells every rank how the run ended (the first error in input order, or ok).
absl::Status ShareOutcome(absl::Status status, uint64_t* sent, uint64_t* received) {
  uint64_t header[2] = {static_cast<uint64_t>(status.code()), status.message().size()};
  MPI_Bcast(header, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  std::string message(status.message());
  message.resize(header[1]);
  MPI_Bcast(message.data(), static_cast<int>(header[1]), MPI_BYTE, 0, MPI_COMM_WORLD);
  if (g_rank == 0) {
    *sent += (sizeof(header) + header[1]) * static_cast<uint64_t>(g_size - 1);
  } else {
    *received += sizeof(header) + header[1];
  }
  return MakeStatus(header[0], std::move(message));
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

absl::StatusOr<RunResult> RunDistributedPipeline(const PipelineOptions& options,
                                                 const RunCallbacks& callbacks) {
  const auto start = Clock::now();
  const int rank = g_rank;
  const int ranks = g_size;
  RankFigures mine;
  if (absl::Status s = CheckInputs(options); !s.ok()) return s;

  // 1. The plan: rank 0 looks at every input once (size, compression) and tells the others. An
  // input it cannot open becomes a whole, empty one, so that its reader fails in input order
  // with the single-process message.
  const size_t n = options.inputs.size();
  std::vector<uint64_t> facts(2 * n, 0);
  if (rank == 0) {
    for (size_t f = 0; f < n; ++f) {
      auto probed = ProbeInput(options.inputs[f]);
      if (!probed.ok()) continue;
      facts[2 * f] = probed->size;
      facts[2 * f + 1] = Shareable(options.FormatOf(f), *probed) ? 1 : 0;
    }
    mine.bytes_sent += facts.size() * sizeof(uint64_t) * static_cast<uint64_t>(ranks - 1);
  } else {
    mine.bytes_received += facts.size() * sizeof(uint64_t);
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
  std::vector<std::pair<uint64_t, uint64_t>> windows;
  std::vector<internal::ReadTask> tasks = PlanTasks(inputs, rank, ranks, &windows);

  // Line numbers of shares: line feeds before each share, summed over the earlier ranks.
  absl::Status local;
  std::vector<uint64_t> feeds(n, 0), before(n, 0);
  for (size_t f = 0; f < n && local.ok(); ++f) {
    if (windows[f].second <= windows[f].first) continue;
    auto counted = CountLineFeeds(options.inputs[f], windows[f].first, windows[f].second);
    if (counted.ok()) {
      feeds[f] = *counted;
    } else {
      local = counted.status();
    }
  }
  MPI_Exscan(feeds.data(), before.data(), static_cast<int>(n), MPI_UINT64_T, MPI_SUM,
             MPI_COMM_WORLD);
  if (rank == 0) std::fill(before.begin(), before.end(), 0);  // Exscan leaves rank 0's undefined
  for (internal::ReadTask& t : tasks) {
    if (!t.share.whole() && t.share.begin > 0) t.share.first_line_number = before[t.file] + 2;
  }

  // 2. Stop-shingles (every rank alike), then this rank's share, as shards.
  // MinHash: the sketches stay on the rank that made them (band keys are shuffled later, see
  // mpi/shuffle.h); the other engines send them to rank 0 with the rest.
  // MinHash band keys are shuffled between the ranks and pairs judged where their sketches live
  // when the sketches decide (--verify signature or none). Exact verification (auto, exact)
  // re-reads candidate documents on rank 0, which therefore gets every sketch in the shards and
  // runs the candidates, verification and clustering of the single-process run itself.
  const bool shuffle = options.algo == Algorithm::kMinHash &&
                       (options.verify == VerifyMode::kSignature ||
                        options.verify == VerifyMode::kNone);
  internal::LocalSketches local_sketches;
  std::vector<std::string> shards;
  internal::ShareFigures share_figures;
  std::unique_ptr<internal::PipelineStages> stages;
  if (local.ok()) {
    auto created = internal::PipelineStages::Create(options, callbacks);
    if (created.ok()) {
      stages = std::move(created).value();
    } else {
      local = created.status();
    }
  }
  if (local.ok()) local = stages->FindStopShingles();
  if (local.ok()) {
    local = stages->ReadShare(
        tasks, kShardBytes, [&](std::string&& shard) { shards.push_back(std::move(shard)); },
        &share_figures, shuffle ? &local_sketches : nullptr);
  }
  mine.records = share_figures.records;
  mine.bytes = share_figures.bytes;
  mine.read_and_sign_seconds = SecondsSince(start);

  // 3. Shards to rank 0, appended there in rank order (= input order). After the first error
  // rank 0 still takes every message (so that no rank is left waiting) but appends no more.
  const auto exchange_start = Clock::now();
  absl::Status outcome;
  uint64_t shingles_removed = share_figures.shingles_removed;
  std::vector<size_t> doc_end(static_cast<size_t>(ranks), 0);  // rank 0: documents per rank
  if (rank != 0) {
    uint64_t count = shards.size();
    MPI_Send(&count, 1, MPI_UINT64_T, 0, kTagHeader, MPI_COMM_WORLD);
    mine.bytes_sent += sizeof(count);
    for (std::string& shard : shards) {
      if (shard.size() > static_cast<size_t>(INT_MAX)) {
        std::fprintf(stderr, "neardup: rank %d: a shard of %zu bytes is too large to send\n",
                     rank, shard.size());
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      MPI_Send(shard.data(), static_cast<int>(shard.size()), MPI_BYTE, 0, kTagShard,
               MPI_COMM_WORLD);
      mine.bytes_sent += shard.size();
      shard = std::string();
    }
    Outcome{local}.Send(0, kTagHeader, shingles_removed, &mine.bytes_sent);
  } else {
    for (std::string& shard : shards) {
      if (outcome.ok()) outcome = stages->AppendShard(shard);
      shard = std::string();
    }
    if (outcome.ok()) outcome = local;
    doc_end[0] = stages ? stages->documents() : 0;
    std::string buffer;
    for (int r = 1; r < ranks; ++r) {
      uint64_t count = 0;
      MPI_Recv(&count, 1, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      mine.bytes_received += sizeof(count);
      for (uint64_t i = 0; i < count; ++i) {
        MPI_Status st;
        MPI_Probe(r, kTagShard, MPI_COMM_WORLD, &st);
        int bytes = 0;
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        buffer.resize(static_cast<size_t>(bytes));
        MPI_Recv(buffer.data(), bytes, MPI_BYTE, r, kTagShard, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        mine.bytes_received += static_cast<uint64_t>(bytes);
        if (outcome.ok()) outcome = stages->AppendShard(buffer);
      }
      uint64_t header[3];
      MPI_Recv(header, 3, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::string message(header[1], '\0');
      MPI_Recv(message.data(), static_cast<int>(header[1]), MPI_BYTE, r, kTagMessage,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      mine.bytes_received += sizeof(header) + header[1];
      shingles_removed += header[2];
      if (outcome.ok()) outcome = MakeStatus(header[0], std::move(message));
      doc_end[static_cast<size_t>(r)] = stages ? stages->documents() : 0;
    }
  }
  shards.clear();
  outcome = ShareOutcome(outcome, &mine.bytes_sent, &mine.bytes_received);
  mine.exchange_seconds = SecondsSince(exchange_start);

  // Per-rank figures to rank 0 (the last exchange, so its own bytes are not in them).
  std::vector<RankFigures> all(rank == 0 ? static_cast<size_t>(ranks) : 0);
  auto gather_figures = [&] {
    mine.peak_memory_bytes = PeakMemoryBytes();
    MPI_Gather(&mine, sizeof(RankFigures), MPI_BYTE, all.data(), sizeof(RankFigures), MPI_BYTE,
               0, MPI_COMM_WORLD);
  };
  if (!outcome.ok()) {
    gather_figures();
    return outcome;
  }

  // 4. MinHash: rank 0 tells each rank which of its documents head a slot (the others are exact
  // duplicates) and where its slots start; candidates and verification are then spread
  // (mpi/shuffle.h), and rank 0 clusters. Other engines: all of it on rank 0.
  shuffle::SlotStore store;
  shuffle::SlotMap map;
  shuffle::Traffic traffic;
  if (shuffle) {
    std::vector<uint8_t> heads;
    uint32_t first = 0;
    if (rank == 0) {
      uint32_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const size_t begin = r == 0 ? 0 : doc_end[static_cast<size_t>(r - 1)];
        std::vector<uint8_t> h = stages->SlotHeads(begin, doc_end[static_cast<size_t>(r)]);
        if (r == 0) {
          heads = std::move(h);
          first = 0;
        } else {
          const uint64_t header[2] = {next, h.size()};
          MPI_Send(header, 2, MPI_UINT64_T, r, kTagHeader, MPI_COMM_WORLD);
          MPI_Send(h.data(), static_cast<int>(h.size()), MPI_BYTE, r, kTagShard, MPI_COMM_WORLD);
          mine.bytes_sent += sizeof(header) + h.size();
        }
        for (uint8_t x : r == 0 ? heads : h) next += x;
      }
    } else {
      uint64_t header[2];
      MPI_Recv(header, 2, MPI_UINT64_T, 0, kTagHeader, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      heads.resize(header[1]);
      MPI_Recv(heads.data(), static_cast<int>(header[1]), MPI_BYTE, 0, kTagShard, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      mine.bytes_received += sizeof(header) + header[1];
      first = static_cast<uint32_t>(header[0]);
    }
    if (heads.size() != local_sketches.present[0].size()) {
      std::fprintf(stderr, "neardup: rank %d: %zu documents read, rank 0 counted %zu\n", rank,
                   local_sketches.present[0].size(), heads.size());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    store.Build(std::move(local_sketches), heads, first, options.num_perm);
    std::vector<uint32_t> ranges(2 * static_cast<size_t>(ranks));
    const uint32_t own[2] = {store.first, store.count};
    MPI_Allgather(own, 2, MPI_UINT32_T, ranges.data(), 2, MPI_UINT32_T, MPI_COMM_WORLD);
    map.starts.resize(static_cast<size_t>(ranks) + 1);
    for (int r = 0; r < ranks; ++r) map.starts[static_cast<size_t>(r)] = ranges[2 * r];
    map.starts[static_cast<size_t>(ranks)] = ranges[2 * (ranks - 1)] + ranges[2 * ranks - 1];
  }

  const auto match_start = Clock::now();
  absl::StatusOr<RunResult> result = RunResult{};
  if (rank == 0) {
    internal::DistributedHooks hooks;
    hooks.edges = [&](RunCounts* counts,
                      StageSeconds* seconds) -> absl::StatusOr<std::vector<Edge>> {
      return shuffle::DistributedEdges(options, store, map, counts, seconds, &traffic);
    };
    hooks.similarities =
        [&](const std::vector<CandidatePair>& pairs) -> absl::StatusOr<std::vector<float>> {
      return shuffle::DistributedSimilarities(options, store, map, pairs, &traffic);
    };
    result = stages->Finish(shingles_removed, SecondsSince(start), shuffle ? &hooks : nullptr);
  } else if (shuffle) {
    RunCounts counts;
    StageSeconds seconds;
    shuffle::DistributedEdges(options, store, map, &counts, &seconds, &traffic);
    shuffle::DistributedSimilarities(options, store, map, {}, &traffic);
  }
  mine.match_seconds = SecondsSince(match_start);
  mine.bytes_sent += traffic.sent;
  mine.bytes_received += traffic.received;
  gather_figures();
  if (rank != 0) {
    RunResult none;
    none.writes_outputs = false;
    return none;
  }
  if (!result.ok()) return result.status();
  result->ranks = std::move(all);
  return result;
}

#endif  // NEARDUP_WITH_MPI

}  // namespace neardup::mpi
