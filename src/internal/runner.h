// internal/runner.h: the single-process pipeline (pipeline.h) as one object, shared by the
// files of src/ that implement its stages (pipeline.cc: reading, signing, appending, candidates,
// clustering; pipeline_verify.cc: exact verification). Not part of the public API.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "internal/pipeline_stages.h"
#include "neardup/cluster/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/cluster/match.h"
#include "cluster/story_stage.h"
#include "neardup/cluster/stories.h"
#include "neardup/sketch/big_array.h"
#include "neardup/sketch/engine.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/sketch/simhash.h"
#include "neardup/cluster/verify.h"
#include "internal/slot_sets.h"
#include "io/record_places.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/global_control.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_pipeline.h"

namespace neardup {
namespace internal {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Seed of the exact-duplicate hash ("exactdup").
constexpr uint64_t kExactSeed = 0x6578616374647570ULL;
// The sampling pass marks stop-shingles only when it saw at least this many documents.
constexpr uint64_t kMinDfSample = 1000;

// Seed of the id hash used to detect repeated ids ("idseen01").
constexpr uint64_t kIdSeed = 0x69647365656e3031ULL;

// What the parallel stage needs to know about the file a batch came from.
struct FileInfo {
  int index = 0;
  Format format = Format::kJsonl;
  std::string label;
  std::vector<std::string> columns;
};

// One batch travelling through the pipeline: raw records in, per-record results out.
struct Work {
  std::shared_ptr<const FileInfo> file;
  uint64_t first_ordinal = 0;
  RecordBatch batch;
  // Results, one entry per record.
  std::vector<uint8_t> good;
  std::vector<std::string> errors;  // for bad records; "" otherwise
  std::string ids;
  std::vector<uint32_t> id_ends;   // end offset of record i's id in `ids`
  std::vector<uint64_t> lengths;   // raw title + body bytes
  std::vector<std::string> keep_values;  // the --keep field's value (field policies only)
  std::vector<uint8_t> has_keep;
  std::vector<internal::Hash128> exact;
  // Per field (0 title, 1 body), the sketch of each record (sketch/engine.h).
  SketchBatch fields[2];
  // Stories (options.stories): each record's terms and date (cluster/story_stage.h).
  StoryBatch stories;
  uint64_t utf8_repairs = 0;
  uint64_t has[3] = {0, 0, 0};  // good records with the id, title, text field (Document::has)
  // From an MPI shard (whose batch has no starts): each bad record's byte offset; 0 otherwise.
  std::vector<uint64_t> bad_starts;
};

struct ThreadState {
  // Sampling pass (stop-shingles): count-min document frequencies, per field (see StopShingles).
  std::vector<uint32_t> df[2];
  uint64_t sampled_documents = 0;
  std::vector<std::unique_ptr<RecordParser>> parsers;  // by file index
  Document doc;
  std::string title;
  std::string body;
  std::string exact_key;
  std::vector<uint64_t> shingles;
  uint64_t shingles_removed = 0;
  // Stories: the sampling pass's term counts, and the main pass's featurizer.
  StoryThread story;
};


// Shingles too common to mean anything (boilerplate), per field, kept as a count-min filter:
// the sampling pass counts every distinct shingle of a document in two cells of 2^18 counters
// (chosen by the low and the high bits of its hash), and a shingle is a stop-shingle when both of
// its cells exceed the limit. Collisions can only add counts, so a stop-shingle is never missed;
// a shingle is wrongly flagged only if both its cells are shared with shingles frequent enough to
// push each over the limit together. 2^18 cells (1 MiB) stay in cache, which matters more here
// than fewer collisions: the pass is bound by these random increments.
// Memory: 1 MiB of counters per thread during sampling, then a 32 KiB bitmap per field.
class StopShingles {
 public:
  static constexpr int kBits = 18;
  static constexpr uint64_t kMask = (uint64_t{1} << kBits) - 1;

  static void Count(uint64_t h, std::vector<uint32_t>* counts) {
    ++(*counts)[h & kMask];
    ++(*counts)[(h >> 32) & kMask];
  }
  // Marks the cells whose count exceeds `limit`; returns how many.
  uint64_t Build(const std::vector<uint32_t>& counts, double limit) {
    bits_.assign((kMask + 1) / 64, 0);
    uint64_t marked = 0;
    for (uint64_t i = 0; i <= kMask; ++i) {
      if (static_cast<double>(counts[i]) > limit) {
        bits_[i >> 6] |= uint64_t{1} << (i & 63);
        ++marked;
      }
    }
    if (marked == 0) bits_.clear();
    return marked;
  }
  bool empty() const { return bits_.empty(); }
  bool Contains(uint64_t h) const { return Bit(h & kMask) && Bit((h >> 32) & kMask); }

 private:
  bool Bit(uint64_t i) const { return bits_[i >> 6] >> (i & 63) & 1; }
  std::vector<uint64_t> bits_;
};

struct Hash128Hasher {
  size_t operator()(const internal::Hash128& h) const { return h.low ^ (h.high * 31); }
};

inline int ThreadCount(const PipelineOptions& options) {
  return options.threads > 0 ? options.threads : tbb::info::default_concurrency();
}

class ShardReader;
class SlotSets;

class Runner {
 public:
  Runner(const PipelineOptions& options, const RunCallbacks& callbacks, NewsRules rules)
      : options_(options),
        callbacks_(callbacks),
        normalizer_(options.normalize, std::move(rules)),
        hashers_{MinHasher(options.num_perm, options.minhash_seed, options.title_minhash_scheme),
                 MinHasher(options.num_perm, options.minhash_seed, options.minhash_scheme)},
        num_perm_(options.num_perm),
        engine_(SketchEngine::Get(options.algo)),
        in_flight_(options.batches_in_flight > 0
                       ? static_cast<size_t>(options.batches_in_flight)
                       : static_cast<size_t>(2 * ThreadCount(options))),
        stories_(options.story),
        sketches_{FieldSketches(options.algo, options.num_perm),
                  FieldSketches(options.algo, options.num_perm)} {
    for (size_t i = 0; i < options.inputs.size(); ++i) tasks_.push_back({i, ByteShare{}});
    result_.lsh = options_.EffectiveLsh();
    result_.title_lsh = options_.EffectiveTitleLsh();
    result_.id_offsets.assign(1, 0);
  }

  absl::StatusOr<RunResult> Run();

  // Staged use (PipelineStages).
  absl::Status FindStopShinglesStage() {
    if (options_.max_shingle_df < 1.0) FindStopShingles(in_flight_);
    return status_;
  }
  absl::Status ReadShare(const std::vector<ReadTask>& tasks, size_t shard_bytes,
                         const std::function<void(std::string&&)>& emit, ShareFigures* figures,
                         LocalSketches* local);
  absl::Status AppendShard(std::string_view shard);
  absl::StatusOr<RunResult> Finish(uint64_t shingles_removed, double read_seconds,
                                   const DistributedHooks* hooks = nullptr);
  size_t documents() const { return result_.id_offsets.size() - 1; }
  std::vector<uint8_t> SlotHeads(size_t begin, size_t end) const {
    std::vector<uint8_t> heads(end - begin, 0);
    for (size_t d = begin; d < end; ++d) heads[d - begin] = slot_doc_[head_slot_[d]] == d;
    return heads;
  }

 private:
  // Shards: serializes a processed batch (instead of appending it), and reads one back.
  void WriteShard(const Work& work);
  bool ReadShardBatch(ShardReader* in, Work* work);
  // Serial: fills `work` with the next batch; false when every input is exhausted or on error.
  bool ReadNext(Work* work);
  // Parallel: parses, normalizes, shingles and signs every record of `work`.
  void Process(Work* work);
  // Shingles `text` and stores record i's sketch of one field, without its stop-shingles.
  // Field `f` is 0 (title) or 1 (body).
  void SketchField(const std::string& text, int f, size_t i, SketchBatch* field, ThreadState* ts);
  // Sampling pass: counts each distinct shingle of `text` once in `df`.
  void CountShingles(const std::string& text, const ShingleSpec& spec, std::vector<uint32_t>* df,
                     ThreadState* ts);
  // Documents the sampling pass reads (whole batches): the stop-shingles' and the stories'.
  uint64_t SampleDocuments() const {
    uint64_t n = options_.max_shingle_df < 1.0 ? options_.df_sample : 0;
    return options_.stories ? std::max(n, options_.story_sample) : n;
  }
  // Runs the read -> process -> append pipeline once over the inputs.
  void RunReadPipeline(size_t in_flight);
  // The sampling pass: finds the stop-shingles of each field (options.max_shingle_df).
  void FindStopShingles(size_t in_flight);
  // Serial, in input order: appends the batch's results to the run's flat arrays.
  void Append(const Work& work);
  // Appends document `doc`'s id, renaming it when an earlier document has the same id.
  void AppendSketch(const SketchBatch& field, size_t i, uint32_t slot, FieldSketches* sketches);
  void AppendId(std::string_view id, const FileInfo& file, uint64_t line);
  // Unites exact duplicates and verified edges, picks representatives and similarities.
  absl::Status Cluster(const std::vector<Edge>& edges, const DistributedHooks* hooks);
  // Fills result_.edges (PipelineOptions::keep_edges) from the verified edges and the exact
  // groups, once the clusters are known.
  void CollectEdges(const std::vector<Edge>& edges);
  // Stages 2 and 3 in this process: candidates, then verified edges.
  absl::StatusOr<std::vector<Edge>> FindEdges();
  // How field 0 (title) or 1 (body) is judged.
  FieldRule Rule(int field) const;
  MatchRule Rules() const;
  // Fills result_.similarity (see pipeline.cc).
  absl::Status RepresentativeSimilarities(const std::vector<Edge>& edges,
                                          const DistributedHooks* hooks);
  // Whether verification re-reads the documents (VerifyMode::kExact with a sketching engine; the
  // exact engine's sketches are the sets themselves).
  bool ExactFromReplay() const {
    return (options_.verify == VerifyMode::kExact || options_.verify == VerifyMode::kAuto) &&
           engine_.similarity_kind() != SimilarityKind::kExactJaccard;
  }

  // Exact verification (pipeline_verify.cc). The verdict of each pair of slots by the exact
  // similarity of their shingle sets; parallel, in pair order.
  absl::StatusOr<std::vector<PairVerdict>> ScoreExactly(absl::Span<const CandidatePair> pairs);
  // The shingle sets of `slots` (ascending) into `sets`, re-read from the inputs: by each
  // record's place (ReadPlaces) when every input allows it, else by replaying them whole.
  absl::Status LoadSets(absl::Span<const uint32_t> slots, SlotSets* sets);
  // The candidates that pass, by ScoreExactly.
  absl::StatusOr<std::vector<Edge>> VerifyExactly(absl::Span<const CandidatePair> candidates);

  const PipelineOptions& options_;
  const RunCallbacks& callbacks_;
  Normalizer normalizer_;
  MinHasher hashers_[2];  // title, body
  int num_perm_;
  const SketchEngine& engine_;  // chosen once, by options.algo

  size_t in_flight_;
  // What to read, in order (every input whole, unless a share was given); the sampling pass
  // always reads every input whole from its start.
  std::vector<ReadTask> tasks_;
  // Shard mode (ReadShare): processed batches are serialized here instead of appended.
  std::string* shard_ = nullptr;
  size_t shard_bytes_ = 0;
  const std::function<void(std::string&&)>* emit_ = nullptr;
  ShareFigures* figures_ = nullptr;
  LocalSketches* local_ = nullptr;
  // AppendShard: the next record ordinal, and the file of each input.
  uint64_t shard_ordinal_ = 0;
  std::vector<std::shared_ptr<const FileInfo>> shard_files_;

  // Reading state (serial input stage only).
  size_t next_file_ = 0;  // next entry of tasks_ (or of the inputs, while sampling)
  std::unique_ptr<RecordReader> reader_;
  std::shared_ptr<const FileInfo> file_;
  uint64_t next_ordinal_ = 0;
  absl::Status status_;

  tbb::enumerable_thread_specific<ThreadState> thread_state_;
  std::atomic<bool> stop_{false};  // set by the append stage when the run must end early
  bool sampling_ = false;          // the stop-shingle sampling pass is running
  StopShingles stop_shingles_[2];  // title, body
  // The stories stage (options.stories).
  StoryStage stories_;

  // Appended in input order (serial output stage only).
  RunResult result_;
  std::vector<uint64_t> lengths_;
  std::vector<std::string> keep_values_;  // per document, for --keep field policies
  std::vector<uint8_t> keep_present_;
  std::vector<uint32_t> head_slot_;  // per document: slot of its exact group's first document
  std::vector<uint32_t> slot_doc_;   // per slot: its document index
  FieldSketches sketches_[2];  // title, body
  std::vector<uint32_t> shingle_counts_[2];  // per slot, title and body (SketchBatch::counts)
  // Exact verification (pipeline_verify.cc): the shingle sets of the slots in candidate pairs,
  // kept between the verification and the clustering's similarities when they fit at once.
  std::unique_ptr<SlotSets> exact_sets_;
  // Where each slot's record is, for exact verification (io/record_places.h): stamped before
  // the main pass when it re-reads documents, added to by the append stage.
  RecordPlaces places_;
  bool ReadsByPlace() const { return places_.Usable(slot_doc_.size()); }
  absl::flat_hash_map<internal::Hash128, uint32_t, Hash128Hasher> exact_slots_;
  // Id hash -> the first document with that hash, to detect repeated ids (16-byte slots: this
  // map and exact_slots_ are most of the reading stage's memory beyond the sketches); later
  // documents whose different id has the same 64-bit hash, almost never any, in id_more_.
  absl::flat_hash_map<uint64_t, uint32_t> id_index_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> id_more_;
  absl::flat_hash_map<std::string, uint32_t> duplicate_id_counts_;
};

}  // namespace internal
}  // namespace neardup
