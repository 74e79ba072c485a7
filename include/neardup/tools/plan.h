// tools/plan.h: what a `cluster` or `dedup` run with given options will do and need, before any
// hashing: the LSH bands and rows chosen for each field's threshold, the S-curve (the probability
// that a pair of a given Jaccard similarity becomes a candidate, 1 - (1 - s^rows)^bands), the
// expected peak memory and disk, and the expected time. `neardup plan` prints it.
//
// Two steps:
//   SamplePlanCorpus  sizes the corpus from the inputs: each file's size on disk and a sample of
//                     its first records (about `sample_bytes`), which gives the average record
//                     length, the share of records with a title and a body, the id length and the
//                     shingles per field. A file that fits in the sample is counted exactly.
//                     Nothing else of a file is read.
//   MakePlan          applies the sizes the caller gives (which override the sample) and runs the
//                     models below on the options.
//
// The models. Memory is a model of the data structures the run allocates (pipeline.cc, match.cc,
// lsh.cc), in resident bytes (what --stats peak_memory_bytes reports): a vector grown by doubling
// reserves up to twice its size, but the pages it never touched are not resident, and a large
// buffer freed after a growth goes back to the system, so its size counts, not its capacity;
// absl::flat_hash_map holds 2^k - 1 slots of (key, value) plus one control byte each, at most 7/8
// full, and hashing touches every page of it, so its capacity counts. The time is the corpus at a
// throughput measured on the development machine (the constants below), or at a given speed.
// Everything is a pure function of its arguments except SamplePlanCorpus, which reads files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/candidates/lsh.h"
#include "neardup/options.h"
#include "neardup/sketch/simhash.h"

namespace neardup {

// ---------------------------------------------------------------------------------------------
// Measured constants. Throughput of `neardup cluster` end to end (read, parse, normalize,
// shingle, sign both fields, candidates, verification, clusters, writing), per thread, minhash at
// the defaults, on the development machine (2 cores, shared): the cost of a run is modelled as
// kPlanMicrosPerDocument per document plus kPlanNanosPerByte per input byte, divided by the thread
// count times kPlanThreadEfficiency. The split between the two terms was fitted at 1 thread on
// `neardup synth` corpora of 20,000 documents of 300 bytes and 100,000 of 2,000 bytes; both were
// then scaled to the idle machine's `scripts/bench` run at 1M documents of 2,000 bytes (2,167 MB:
// 24.3 s at 1 thread, 12.5 s at 2, i.e. 1.95x, after the faster normalization and 12-bit
// signatures; earlier 32.0 s and 16.7 s). A given speed replaces the model.
inline constexpr double kPlanMicrosPerDocument = 7.6;
inline constexpr double kPlanNanosPerByte = 7.7;
inline constexpr double kPlanThreadEfficiency = 0.975;

// Memory that does not grow with the corpus: the binary, oneTBB, the allocator's arenas, the
// normalization tables (measured: peak RSS of a run on a 21-record file, 11 MiB).
inline constexpr uint64_t kPlanBaselineBytes = 11ull << 20;
// Each batch in flight holds its raw bytes and, per record, the parsed and normalized fields and
// the signatures: about this many times the batch's raw bytes.
inline constexpr double kPlanBatchFactor = 3.0;
// Without inputs: bytes per document assumed when no byte count is given, and the id length.
inline constexpr uint64_t kPlanAssumedDocumentBytes = 2000;
inline constexpr double kPlanAssumedIdBytes = 8;
// The cluster file's line without its two ids:
// {"id":"","cluster":"","representative":false,"similarity":0.796875,"cluster_size":2,
//  "cluster_min_similarity":0.796875}
inline constexpr double kPlanClusterLineBytes = 112;
// Candidate pairs assumed per document when nothing else is known (a corpus with planted copies
// has about one; boilerplate-heavy corpora more, up to max_bucket per bucket).
inline constexpr double kPlanCandidatesPerDocument = 1.0;

// ---------------------------------------------------------------------------------------------
// The corpus.

// What the sample of one input said.
struct PlanInputFacts {
  std::string path;
  uint64_t disk_bytes = 0;     // the file's size on disk
  bool compressed = false;     // gzip or zstd: the document count is rough
  bool whole = false;          // the file fitted in the sample: counted exactly
  uint64_t records = 0;        // good records sampled
  uint64_t bad = 0;            // sampled records that did not parse (or were too long)
  uint64_t sampled_bytes = 0;  // their bytes as read (decompressed)
  double documents = 0;        // the file's documents: exact when `whole`, else extrapolated
};

struct PlanCorpus {
  double documents = 0;
  double bytes = 0;            // input bytes as read (decompressed)
  double disk_bytes = 0;       // input bytes on disk
  double title_share = 1, body_share = 1;  // shares of documents with a non-empty field
  double id_bytes = kPlanAssumedIdBytes;   // mean id length
  double title_shingles = 40, body_shingles = 0;  // distinct shingles per document with the field
  bool estimated = false;      // some count is extrapolated from a sample
  std::vector<PlanInputFacts> inputs;  // per input, in order; empty without inputs
};

// Samples about `sample_bytes` of records from the start of each of `options.inputs` (parsed with
// options' formats, fields, normalization and shingles) and extrapolates each file's documents
// and bytes from its size on disk (for a compressed file from the compressed bytes the reader
// took, read-ahead included: rougher). Fails with InvalidArgument for standard input ("-"), which
// cannot be sampled, and with the reader's error when a file cannot be read.
absl::StatusOr<PlanCorpus> SamplePlanCorpus(const PipelineOptions& options, uint64_t sample_bytes);

// ---------------------------------------------------------------------------------------------
// The plan.

// Sizes given by the caller; 0 = not given. A given count overrides the sample's, and a missing
// one follows from the other at the sample's bytes per document (kPlanAssumedDocumentBytes
// without one).
struct PlanRequest {
  uint64_t documents = 0;
  double bytes = 0;
  double speed_mb = 0;         // throughput in MB/s replacing the time model; 0 = the model
};

// Resident bytes of each structure, at the two stages whose peak is the run's (the larger).
struct PlanMemory {
  // Reading and signing (the usual peak).
  double per_document = 0;     // ids and offsets, raw lengths, exact groups, slots, rows
  double maps = 0;             // the exact-duplicate and repeated-id hash maps
  double title_sketches = 0;   // minhash num_perm packed entries, simhash 8 bytes, exact 8 a
  double body_sketches = 0;    //   shingle + an 8-byte offset; per document with the field
  int batches_in_flight = 0;   // 2 x threads
  double batches = 0;          // batches_in_flight x batch_bytes x kPlanBatchFactor
  double baseline = 0;         // kPlanBaselineBytes
  double reading_total = 0;
  // Finding candidates (per_document, the sketches and the baseline again).
  double buckets = 0;          // minhash: bands_at_once x 16 bytes a document (at most
                               // memory_limit); simhash: one table of 16-byte entries; exact:
                               // the all-pairs join, 40 bytes a shingle
  double candidate_pairs = 0;  // kPlanCandidatesPerDocument pairs of 8 bytes, twice
  double candidates_total = 0;
  double peak = 0;             // max(reading_total, candidates_total)
};

// A point of the S-curve: the probability that a pair of Jaccard `similarity` becomes a
// candidate under each field's banding.
struct PlanSCurvePoint {
  double similarity = 0;
  double body = 0;
  double title = 0;
};

struct RunPlan {
  PlanCorpus corpus;           // after the request's sizes were applied
  PlanRequest request;
  int threads = 1;             // options.threads, or the hardware's
  // Candidates.
  LshParams body_lsh, title_lsh;       // as the run resolves them (EffectiveLsh)
  std::vector<PlanSCurvePoint> s_curve;  // minhash: s = 0.30, 0.35, ..., 0.95; else empty
  SimHashTableLayout simhash_layout;   // simhash only
  int bands_at_once = 1;       // minhash bands bucketed side by side (lsh.h SpillOptions)
  double band_bytes = 0;       // one band's keys: 16 bytes a document with the larger field
  bool spills = false;         // minhash: a band alone exceeds memory_limit, sorted on disk
  double spill_bytes = 0;      // then: that band's runs on disk (12-byte records)
  PlanMemory memory;
  bool join_over_limit = false;  // exact: the join needs more than memory_limit (the run refuses)
  // Disk.
  double cluster_file_bytes = 0;  // `cluster -o`; also the most `--dropped-map` writes
  // Time.
  double seconds = 0;
  bool seconds_from_speed = false;  // request.speed_mb gave the time, not the model
};

// The plan of a run with `options` (which should pass Validate(); inputs may be empty) on
// `corpus` (SamplePlanCorpus, or a default PlanCorpus without inputs) with `request`'s sizes.
// Without inputs, every document is taken to have a title and a body, the disk bytes are the
// bytes, and a body to have about one distinct shingle per 2.6 bytes (pseudo-text: Korean 3
// bytes a character, English 1).
RunPlan MakePlan(const PipelineOptions& options, const PlanCorpus& corpus,
                 const PlanRequest& request);

}  // namespace neardup
