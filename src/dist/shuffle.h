// dist/shuffle.h: the MinHash stages 2 and 3 of a distributed run (neardup/mpi.h) without gathering
// the sketches: band keys are shuffled so that every LSH bucket lands on one rank, candidate pairs
// go to the rank that holds the first slot's sketch, which fetches the second slot's sketch and
// verifies. Every function here is collective: all ranks call it, in the same order.
// Only built with MPI.
#pragma once

#ifdef NEARDUP_WITH_MPI

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "internal/pipeline_stages.h"
#include "neardup/candidates/lsh.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"
#include "neardup/cluster/verify.h"

namespace neardup::mpi::shuffle {

// Payload bytes this rank sent and received.
struct Traffic {
  uint64_t sent = 0;
  uint64_t received = 0;
};

// All-to-all of byte strings: send[r] goes to rank r; returns what each rank sent here. Runs in
// rounds of at most kRoundBytes per rank, so that MPI's int counts never overflow and the
// staging buffers stay bounded.
inline constexpr size_t kRoundBytes = size_t{64} << 20;
std::vector<std::string> Exchange(std::vector<std::string> send, Traffic* traffic);

// The MinHash sketches of this rank's slots: the unique documents it read. Slots are numbered in
// input order, so each rank holds one contiguous range [first, first + count).
struct SlotStore {
  int num_perm = 0;
  uint32_t first = 0;
  uint32_t count = 0;
  // Per field (0 title, 1 body): the signature of each own slot, null when the field is empty;
  // they point into `local`.
  std::vector<const uint32_t*> signature[2];
  std::vector<uint32_t> counts[2];  // shingles of each own slot (SketchBatch::counts)
  internal::LocalSketches local;

  // From the sketches of the rank's good records (taken over) and which of them head a slot.
  void Build(internal::LocalSketches&& sketches, const std::vector<uint8_t>& heads,
             uint32_t first_slot, int perms);
  bool Has(int field, uint32_t slot) const { return signature[field][slot - first] != nullptr; }
  uint32_t Count(int field, uint32_t slot) const { return counts[field][slot - first]; }
  const uint32_t* Signature(int field, uint32_t slot) const {
    return signature[field][slot - first];
  }
};

// Where slots live: starts[r] is rank r's first slot, starts[size] the number of slots.
struct SlotMap {
  std::vector<uint32_t> starts;
  int Owner(uint32_t slot) const;
};

// Stages 2 and 3: the verified edges, sorted by (a, b), on rank 0 (empty elsewhere); on rank 0
// also the candidate counts and stage seconds (as a single-process run reports them).
std::vector<Edge> DistributedEdges(const PipelineOptions& options, const SlotStore& store,
                                   const SlotMap& map, RunCounts* counts, StageSeconds* seconds,
                                   Traffic* traffic);

// JudgePair(a, b).similarity of each pair that rank 0 passes (other ranks pass none), returned
// on rank 0 in the same order.
std::vector<float> DistributedSimilarities(const PipelineOptions& options, const SlotStore& store,
                                           const SlotMap& map,
                                           const std::vector<CandidatePair>& pairs,
                                           Traffic* traffic);

}  // namespace neardup::mpi::shuffle

#endif  // NEARDUP_WITH_MPI
