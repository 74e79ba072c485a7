// pipeline.h: one run from input files to clusters.
//
//   read (serial, in order, batches of raw records)
//     -> parse, normalize, shingle, MinHash, each of title and body on its own (parallel)
//     -> append (serial, in order): exact-duplicate grouping by a 128-bit hash of the normalized
//        title and body; only the first document of an exact group keeps its signature
//   -> LSH candidate pairs (lsh.h) -> verification (verify.h) -> union-find + representatives
//      (cluster.h)
//
// Data between stages, all indexed by ordinal and kept in flat arrays:
//   document index d: the d-th good record in input order (bad records are counted and skipped);
//   slot s: the s-th document that is not an exact duplicate of an earlier one; each field's
//     signatures are `num_perm` uint32 per slot that has the field (match.h FieldSignatures);
//   candidate pairs and edges are pairs of slots.
// Memory grows with these per-document arrays (ids, a signature per unique document), never with
// the raw text: at most `batches_in_flight` batches of raw bytes are alive at once.
//
// The result depends only on the input and the options, never on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/candidates/lsh.h"
#include "neardup/options.h"

namespace neardup {

// A record that could not be used. `message` reads "FILE:LINE: reason".
struct BadRecord {
  int file_index = 0;
  uint64_t line_number = 0;
  uint64_t record_ordinal = 0;  // position among all records read, 0-based
  std::string message;
  std::string_view raw;         // the record's bytes as read; valid during the callback only
  bool oversized = false;       // longer than max_record_bytes: `raw` is only its first bytes
  // Where the record is in its input as read (decompressed): its first byte's offset and its
  // length in bytes (the true length of an oversized record), so that it can be copied out whole.
  uint64_t start = 0;
  uint64_t length = 0;
};

struct StageSeconds {
  double read_and_sign = 0;  // reading, parsing, normalizing, shingling, MinHash, exact grouping
  double candidates = 0;     // LSH bucketing
  double verify = 0;
  double cluster = 0;
  double stories = 0;        // story terms' sample (counted in read_and_sign) aside: assignment
};

struct RunCounts {
  uint64_t records_read = 0;      // every record seen, good or bad
  uint64_t records_bad = 0;       // skipped: could not be parsed
  uint64_t documents = 0;         // good records
  uint64_t exact_duplicates = 0;  // documents whose normalized text equals an earlier one's
  uint64_t utf8_repairs = 0;      // invalid UTF-8 sequences replaced by U+FFFD
  uint64_t duplicate_ids = 0;     // documents whose id an earlier document had (renamed)
  // Good records that have the id, title, text and --keep field (FieldNames), in that order, an
  // empty title, text or --keep value counting as missing: a field no record has is a misspelt
  // flag (the CLI refuses it when the flag was given).
  uint64_t records_with_field[4] = {0, 0, 0, 0};
  // Stop-shingles (options.max_shingle_df): documents in the sampling pass, count-min cells over
  // the limit per field (two per stop-shingle, shared cells counted once), and shingle
  // occurrences left out of sketches.
  uint64_t df_sample_documents = 0;
  bool df_sample_skipped = false;  // standard input: no sampling pass
  uint64_t stop_cells_title = 0;
  uint64_t stop_cells_body = 0;
  uint64_t shingles_removed = 0;
  uint64_t candidate_pairs = 0;   // distinct LSH candidate pairs
  uint64_t verified_edges = 0;
  uint64_t verify_passes = 0;     // exact verification: loads of shingle sets (windows; each a
                                  // pass over the inputs where records are replayed; 0 without)
  uint64_t exact_checks = 0;      // candidate pairs whose sets were compared exactly
  uint64_t clusters = 0;          // including singletons
  uint64_t components_split = 0;  // medoid clustering: components that failed its check
  AnchoredStats anchored;         // anchored clustering (cluster.h)
  uint64_t bytes_read = 0;        // raw record bytes
  BucketStats buckets;
  // Stories (options.stories): documents whose term weights were sampled, documents with the
  // date field and with a date that parses, and the assignment's figures (stories.h).
  uint64_t story_sample_documents = 0;
  uint64_t dated_documents = 0;     // the date field present and non-empty
  uint64_t undated_documents = 0;   // of those, the date did not parse (shown with an example)
  std::string undated_example;      // the first date that did not parse, in input order
  StoryStats stories;
};

// One MPI rank's part of a distributed run (neardup/mpi.h), for the stats' "ranks" section.
struct RankFigures {
  uint64_t records = 0;            // records of the rank's share of the inputs
  uint64_t bytes = 0;              // their raw bytes
  double read_and_sign_seconds = 0;  // reading, normalizing, shingling, signing its share
  double exchange_seconds = 0;     // sending its shards / (rank 0) receiving and appending all
  // Candidates, verification and clustering (MinHash: the band-key shuffle and the sketch
  // requests; other engines: rank 0 alone).
  double match_seconds = 0;
  uint64_t bytes_sent = 0;         // payload to other ranks (point-to-point and collective)
  uint64_t bytes_received = 0;
  uint64_t peak_memory_bytes = 0;  // the rank's peak resident set size
};

// A pair of documents judged near-duplicates (or exact duplicates), for the edges file.
struct DocumentEdge {
  uint32_t a = 0;  // document index, a < b
  uint32_t b = 0;
  float similarity = 0;        // the pair's similarity (match.h: the lowest field that decided)
  float title_similarity = 0;  // per field; NaN when either document lacks the field
  float body_similarity = 0;
  // MatchReason (match.h) of a verified edge; kExactDuplicateReason for two documents whose
  // normalized fields are the same (grouped before any sketch is compared).
  uint8_t reason = 0;
  uint8_t exact = 0;         // 1: the similarities are exact; 0: the sketches' estimates
  uint8_t same_cluster = 0;  // 1 when a and b ended in one cluster (clustering may cut an edge)
};
inline constexpr uint8_t kExactDuplicateReason = 255;
// The edges file's name of DocumentEdge::reason: MatchReasonName (match.h), or "exact-duplicate".
std::string_view EdgeRuleName(uint8_t reason);

struct RunResult {
  // False on the MPI ranks other than 0 of a distributed run: they hold no result and write
  // nothing (rank 0 writes every output).
  bool writes_outputs = true;
  // Distributed runs with more than one rank only: one entry per rank, in rank order.
  std::vector<RankFigures> ranks;

  LshParams lsh;        // body
  LshParams title_lsh;  // title
  RunCounts counts;
  StageSeconds seconds;

  // Per document d (good records in input order):
  std::string id_bytes;                // ids back to back
  std::vector<uint64_t> id_offsets;    // id of d is id_bytes[id_offsets[d], id_offsets[d + 1])
  std::vector<uint32_t> representative;  // document index of d's cluster representative
  std::vector<float> similarity;         // estimated Jaccard of d and its representative
  // With options.stories: the document index of the first document of d's story (stories.h);
  // empty otherwise.
  std::vector<uint32_t> story;
  // Record ordinals (over all records) that were bad, ascending.
  std::vector<uint64_t> bad_record_ordinals;
  // With PipelineOptions::keep_edges: every judged pair, sorted by (a, b); the same at any thread
  // count and number of processes. Each exact duplicate appears once, paired with the first
  // document of its group.
  std::vector<DocumentEdge> edges;

  size_t num_documents() const { return representative.size(); }
  std::string_view id(size_t d) const {
    return std::string_view(id_bytes).substr(id_offsets[d], id_offsets[d + 1] - id_offsets[d]);
  }
};

struct RunCallbacks {
  // Called for each bad record, in input order, from one thread at a time.
  std::function<void(const BadRecord&)> on_bad_record;
  // Called, in input order, when a document's id repeats an earlier one's. Ids must identify
  // records in the cluster file, so the later document is renamed "ID#2", "ID#3", ... (the n-th
  // document with that id; a suffix that is itself taken is skipped).
  std::function<void(const std::string& file, uint64_t line, const std::string& id,
                     const std::string& renamed)>
      on_duplicate_id;
  // Called now and then with the records and raw bytes read so far (progress display).
  std::function<void(uint64_t records, uint64_t bytes)> on_progress;
  // Called when a stage after reading begins ("finding candidates", "verifying candidates",
  // "clustering"), from the calling thread.
  std::function<void(std::string_view stage)> on_stage;
  // Asked after each batch is read and before each stage after reading, from any one thread at a
  // time; once it returns true the run stops and RunPipeline fails with Cancelled (the Python
  // module's Ctrl-C). Null: never cancelled.
  std::function<bool()> cancelled;
};

// Runs the pipeline in this process. `options` must have passed Validate(). Fails on I/O errors
// (an unreadable or truncated file), and with FailedPrecondition when bad records exceed
// options.max_bad (or on the first one with options.strict); otherwise bad records are reported
// and counted, not failures. To spread a run over the ranks of an MPI job when there are several,
// call mpi::RunPipelineOnRanks (neardup/dist/mpi.h) instead: it composes the same stages.
absl::StatusOr<RunResult> RunPipeline(const PipelineOptions& options,
                                      const RunCallbacks& callbacks = {});

}  // namespace neardup
