// stats.h: the --stats JSON of a run, and the process's peak memory.
//
// Keys (all present in every run):
//   "version", "command"          neardup version, "cluster" or "dedup"
//   "inputs"                      the input labels
//   "records": {"read", "bad", "documents", "exact_duplicates", "near_duplicates", "kept",
//               "dropped", "utf8_repairs"}
//     read = documents + bad; documents = kept + dropped (kept = clusters)
//   "candidates": {"pairs", "verified_edges", "buckets", "largest_bucket", "oversized_buckets",
//                  "pairs_not_generated", "spilled_runs", "spilled_bytes"}
//   "clusters": {"total", "singletons", "multi", "largest"}
//   "parameters": {"algorithm", "threshold", "num_perm", "bands", "rows", "shingle",
//                  "shingle_seed", "minhash_seed", "normalize", "verify", "max_bucket", "keep",
//                  "threads", "format"}
//   "seconds": {"read_and_sign", "candidates", "verify", "cluster", "write", "total"}
//   "throughput": {"documents_per_second", "megabytes_per_second"}   (over "total")
//   "peak_memory_bytes"           the process's peak resident set size
//   "ranks"                       only after a distributed run (neardup/dist/mpi.h): one object
//                                 per rank, {"rank", "records", "bytes", "read_and_sign_seconds",
//                                 "exchange_seconds", "match_seconds", "bytes_sent",
//                                 "bytes_received", "peak_memory_bytes"}
// Timing and memory vary between runs; every other value depends only on input and options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

struct StatsExtras {
  std::string command;           // "cluster" or "dedup"
  double write_seconds = 0;
  double total_seconds = 0;
  int threads = 0;               // threads actually used
};

std::string StatsJson(const PipelineOptions& options, const RunResult& result,
                      const StatsExtras& extras);

// Peak resident set size of this process so far, in bytes (getrusage).
uint64_t PeakMemoryBytes();

std::string_view KeepPolicyName(KeepPolicy policy);

}  // namespace neardup
