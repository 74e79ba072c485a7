// mpi.h: one run of `cluster` or `dedup` across many processes and hosts, on MPI (Open MPI).
//
// Built in when CMake finds MPI (-DNEARDUP_WITH_MPI=ON, the default when it is installed). The
// same binary runs alone as before; only when a launcher started it (mpirun, or srun with a PMI
// plugin) does it join the job, and only with more than one rank does anything change:
//
//   mpirun -np 4 --hostfile hosts neardup cluster dump/*.jsonl -o clusters.jsonl
//
// What happens (RunPipelineOnRanks below calls RunDistributedPipeline):
//   1. The inputs, in order, form one byte space; it is cut into Size() contiguous ranges. An
//      uncompressed jsonl or text file is shared by every rank whose range overlaps it, at record
//      (line) boundaries (io/reader.h ByteShare); a compressed or csv/tsv file goes whole to the
//      rank whose range holds its first byte. Line numbers are those of a whole-file read (each
//      rank counts the line feeds of its range; an exclusive prefix sum gives the offsets).
//   2. Every rank runs the stop-shingle sampling pass over the start of the inputs (the same
//      documents, so the same stop-shingles, with no communication), then reads, parses,
//      normalizes, shingles and signs its ranges with the single-process code.
//   3. Each rank sends rank 0 the per-record results in shards of about 16 MiB (id, length,
//      --keep value, 128-bit exact hash; the raw bytes of bad records only). Rank 0 appends them
//      in input order through the single-process append stage, so exact-duplicate grouping, id
//      renaming, --strict/--max-bad, warnings and --rejects are those of a single-process run,
//      and tells each rank which of its documents head a slot (are not exact duplicates of an
//      earlier one) and where its slots start.
//   4. MinHash (dist/shuffle.h): the signatures never leave the rank that made them, except for
//      verification. Every rank sends the band keys of its slots to the rank that owns the key
//      (key mod ranks; all-to-all in rounds of at most 64 MiB per rank), so that every LSH bucket
//      lands on one rank, which pairs its members by the rules of lsh.h (max_bucket included);
//      each pair goes to the rank holding its first slot's signature, which fetches the second
//      one's from its owner and verifies the pair (JudgeCandidates). The edges are gathered on
//      rank 0, which clusters; the similarity of each member to its representative is computed
//      the same way (pairs to the owners, answers back). SimHash and exact: the sketches travel
//      with the shards to rank 0, which runs candidates, verification and clustering as a single
//      process does.
//   5. Rank 0 writes every output once (the single-process outputs, byte for byte); the other
//      ranks write nothing. Edges are gathered rather than clustered in place: there are far
//      fewer edges than documents, and the centre clustering is a sequential greedy pass.
//   Memory: each rank holds its share's signatures plus one round of band keys; rank 0 also holds
//   the per-document metadata of the whole run (what a single process holds, minus signatures).
//
// Failures: an error on any rank (a missing or corrupt input, a bad record under --strict, a
// failure of rank 0's stages, a shard too large for one MPI message, ranks that disagree on the
// documents read) ends the whole run: every rank returns the same Status, the first error in
// input order (the one the single-process run would return), the CLI prints it on rank 0, every
// rank exits with status 1, and no output is created. The library neither prints nor aborts. A
// rank that dies outright (a crash, a lost host) makes the launcher end the job. Standard input
// ("-") cannot be shared and is refused as a usage error.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup::mpi {

// True when this binary was built with MPI.
bool Available();

// Joins the MPI job when a launcher started the process (Open MPI's mpirun, or a PMI/PMIx
// environment such as srun --mpi=pmix), and leaves it when destroyed. On ranks other than 0 it
// silences std::cout and std::cerr, so that usage errors and summaries are printed once. Create
// one, first thing in main().
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

// This process's rank (0 when not under MPI) and the number of ranks (1 when not under MPI).
int Rank();
int Size();

// A usage error for a distributed run (more than one rank) that cannot work: standard input.
absl::Status CheckInputs(const PipelineOptions& options);

// The distributed run (see above). Every rank calls it with the same options; all return the
// same error on failure. Requires Size() > 1.
//
// Rank 0 gets the result, which is the single-process one; the other ranks get one with
// writes_outputs false.
absl::StatusOr<RunResult> RunDistributedPipeline(const PipelineOptions& options,
                                                 const RunCallbacks& callbacks);

// The pipeline on every rank of the job: RunDistributedPipeline when there is more than one rank,
// else RunPipeline (pipeline.h) in this process. Every rank calls it with the same options.
absl::StatusOr<RunResult> RunPipelineOnRanks(const PipelineOptions& options,
                                             const RunCallbacks& callbacks = {});

}  // namespace neardup::mpi
