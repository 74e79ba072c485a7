#include "neardup/pipeline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "neardup/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/match.h"
#include "neardup/minhash.h"
#include "neardup/normalize.h"
#include "neardup/shingle.h"
#include "neardup/simhash.h"
#include "neardup/verify.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/global_control.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_pipeline.h"

namespace neardup {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
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

// One field's sketches for the records of a batch; which arrays are used depends on the engine.
struct FieldWork {
  std::vector<uint8_t> present;      // the field had shingles
  std::vector<uint32_t> minhash;     // num_perm per record
  std::vector<uint64_t> simhash;     // one per record
  std::vector<uint64_t> tokens;      // exact: sorted shingle sets back to back
  std::vector<size_t> token_ends;    // exact: end of record i's set in `tokens`

  void Reset(size_t n, Algorithm algo, int num_perm) {
    present.assign(n, 0);
    if (algo == Algorithm::kMinHash) minhash.resize(n * static_cast<size_t>(num_perm));
    if (algo == Algorithm::kSimHash) simhash.assign(n, 0);
    tokens.clear();
    token_ends.assign(n, 0);
  }
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
  // Per field (0 title, 1 body), the sketch of each record (match.h).
  FieldWork fields[2];
  uint64_t utf8_repairs = 0;
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

class Runner {
 public:
  Runner(const PipelineOptions& options, const RunCallbacks& callbacks, NewsRules rules)
      : options_(options),
        callbacks_(callbacks),
        normalizer_(options.normalize, std::move(rules)),
        hashers_{MinHasher(options.num_perm, options.minhash_seed, options.title_minhash_scheme),
                 MinHasher(options.num_perm, options.minhash_seed, options.minhash_scheme)},
        num_perm_(options.num_perm),
        sketches_{FieldSketches(options.algo, options.num_perm),
                  FieldSketches(options.algo, options.num_perm)} {}

  absl::StatusOr<RunResult> Run();

 private:
  // Serial: fills `work` with the next batch; false when every input is exhausted or on error.
  bool ReadNext(Work* work);
  // Parallel: parses, normalizes, shingles and signs every record of `work`.
  void Process(Work* work);
  // Shingles `text` and stores record i's sketch of one field, without its stop-shingles.
  // Field `f` is 0 (title) or 1 (body).
  void SketchField(const std::string& text, int f, size_t i, FieldWork* field, ThreadState* ts);
  // Sampling pass: counts each distinct shingle of `text` once in `df`.
  void CountShingles(const std::string& text, const ShingleSpec& spec, std::vector<uint32_t>* df,
                     ThreadState* ts);
  // Runs the read -> process -> append pipeline once over the inputs.
  void RunReadPipeline(size_t in_flight);
  // The sampling pass: finds the stop-shingles of each field (options.max_shingle_df).
  void FindStopShingles(size_t in_flight);
  // Serial, in input order: appends the batch's results to the run's flat arrays.
  void Append(const Work& work);
  // Appends document `doc`'s id, renaming it when an earlier document has the same id.
  void AppendSketch(const FieldWork& field, size_t i, uint32_t slot, FieldSketches* sketches);
  void AppendId(std::string_view id, const FileInfo& file, uint64_t line);
  // Unites exact duplicates and verified edges, picks representatives and similarities.
  void Cluster(const std::vector<Edge>& edges);
  // How field 0 (title) or 1 (body) is judged.
  FieldRule Rule(int field) const;

  const PipelineOptions& options_;
  const RunCallbacks& callbacks_;
  Normalizer normalizer_;
  MinHasher hashers_[2];  // title, body
  int num_perm_;

  // Reading state (serial input stage only).
  size_t next_file_ = 0;
  std::unique_ptr<RecordReader> reader_;
  std::shared_ptr<const FileInfo> file_;
  uint64_t next_ordinal_ = 0;
  absl::Status status_;

  tbb::enumerable_thread_specific<ThreadState> thread_state_;
  std::atomic<bool> stop_{false};  // set by the append stage when the run must end early
  bool sampling_ = false;          // the stop-shingle sampling pass is running
  StopShingles stop_shingles_[2];  // title, body

  // Appended in input order (serial output stage only).
  RunResult result_;
  std::vector<uint64_t> lengths_;
  std::vector<std::string> keep_values_;  // per document, for --keep field policies
  std::vector<uint8_t> keep_present_;
  std::vector<uint32_t> head_slot_;  // per document: slot of its exact group's first document
  std::vector<uint32_t> slot_doc_;   // per slot: its document index
  FieldSketches sketches_[2];  // title, body
  absl::flat_hash_map<internal::Hash128, uint32_t, Hash128Hasher> exact_slots_;
  // Id hash -> documents with that hash (almost always one), to detect repeated ids.
  absl::flat_hash_map<uint64_t, absl::InlinedVector<uint32_t, 1>> id_index_;
  absl::flat_hash_map<std::string, uint32_t> duplicate_id_counts_;
};

bool Runner::ReadNext(Work* work) {
  while (!stop_.load(std::memory_order_relaxed)) {
    if (!reader_) {
      if (next_file_ >= options_.inputs.size()) return false;
      size_t i = next_file_++;
      Format format = options_.FormatOf(i);
      auto reader = RecordReader::Open(options_.inputs[i], format, options_.max_record_bytes);
      if (!reader.ok()) {
        status_ = reader.status();
        return false;
      }
      reader_ = std::move(reader).value();
      auto info = std::make_shared<FileInfo>();
      info->index = static_cast<int>(i);
      info->format = format;
      info->label = options_.LabelOf(i);
      info->columns = reader_->columns();
      file_ = std::move(info);
    }
    auto more = reader_->ReadBatch(options_.batch_bytes, &work->batch);
    if (!more.ok()) {
      status_ = more.status();
      return false;
    }
    if (*more && work->batch.size() > 0) {
      if (sampling_ && next_ordinal_ >= options_.df_sample) return false;
      work->file = file_;
      work->first_ordinal = next_ordinal_;
      next_ordinal_ += work->batch.size();
      return true;
    }
    reader_.reset();
  }
  return false;
}

void Runner::CountShingles(const std::string& text, const ShingleSpec& spec,
                           std::vector<uint32_t>* df, ThreadState* ts) {
  Shingle(text, spec, options_.shingle_seed, &ts->shingles);
  std::sort(ts->shingles.begin(), ts->shingles.end());
  ts->shingles.erase(std::unique(ts->shingles.begin(), ts->shingles.end()), ts->shingles.end());
  if (df->empty()) df->assign(StopShingles::kMask + 1, 0);
  for (uint64_t h : ts->shingles) StopShingles::Count(h, df);
}

void Runner::SketchField(const std::string& text, int f, size_t i, FieldWork* field,
                         ThreadState* ts) {
  const ShingleSpec& spec = f == 0 ? options_.title_shingle : options_.shingle;
  const StopShingles& stop = stop_shingles_[f];
  Shingle(text, spec, options_.shingle_seed, &ts->shingles);
  if (!stop.empty()) {
    const size_t before = ts->shingles.size();
    ts->shingles.erase(std::remove_if(ts->shingles.begin(), ts->shingles.end(),
                                      [&](uint64_t h) { return stop.Contains(h); }),
                       ts->shingles.end());
    ts->shingles_removed += before - ts->shingles.size();
  }
  if (options_.algo == Algorithm::kExact) {
    std::sort(ts->shingles.begin(), ts->shingles.end());
    ts->shingles.erase(std::unique(ts->shingles.begin(), ts->shingles.end()), ts->shingles.end());
    field->tokens.insert(field->tokens.end(), ts->shingles.begin(), ts->shingles.end());
    field->token_ends[i] = field->tokens.size();
  }
  if (ts->shingles.empty()) return;
  field->present[i] = 1;
  switch (options_.algo) {
    case Algorithm::kMinHash:
      hashers_[f].Sign(ts->shingles,
                   absl::MakeSpan(field->minhash.data() + i * static_cast<size_t>(num_perm_),
                                  static_cast<size_t>(num_perm_)));
      break;
    case Algorithm::kSimHash:
      field->simhash[i] = SimHash64(ts->shingles, options_.simhash_weight);
      break;
    case Algorithm::kExact:
      break;
  }
}

void Runner::Process(Work* work) {
  ThreadState& ts = thread_state_.local();
  const FileInfo& file = *work->file;
  if (ts.parsers.size() <= static_cast<size_t>(file.index)) ts.parsers.resize(file.index + 1);
  auto& parser = ts.parsers[file.index];
  if (!parser) {
    parser = std::make_unique<RecordParser>(file.format, options_.fields, file.label,
                                            file.columns);
  }
  const size_t n = work->batch.size();
  work->good.assign(n, 0);
  work->errors.assign(n, std::string());
  work->ids.clear();
  work->id_ends.assign(n, 0);
  work->lengths.assign(n, 0);
  if (!options_.fields.keep.empty()) {
    work->keep_values.assign(n, std::string());
    work->has_keep.assign(n, 0);
  }
  work->exact.assign(n, internal::Hash128{});
  for (FieldWork& f : work->fields) f.Reset(n, options_.algo, num_perm_);
  work->utf8_repairs = 0;

  for (size_t i = 0; i < n; ++i) {
    // A record without a set (bad, or an empty field) ends where the previous one did.
    for (FieldWork& f : work->fields) f.token_ends[i] = f.tokens.size();
    ts.doc.Clear();
    if (work->batch.oversized(i)) {
      work->errors[i] = absl::StrCat(file.label, ":", work->batch.line_numbers[i], ": record of ",
                                     work->batch.oversized_length[i],
                                     " bytes is longer than --max-record-bytes (",
                                     options_.max_record_bytes, ")");
      work->id_ends[i] = static_cast<uint32_t>(work->ids.size());
      continue;
    }
    absl::Status s = parser->Parse(work->batch.record(i), work->batch.line_numbers[i], &ts.doc);
    if (!s.ok()) {
      work->errors[i] = std::string(s.message());
      work->id_ends[i] = static_cast<uint32_t>(work->ids.size());
      continue;
    }
    work->good[i] = 1;
    work->ids += ts.doc.id;
    work->id_ends[i] = static_cast<uint32_t>(work->ids.size());
    work->lengths[i] = ts.doc.title.size() + ts.doc.body.size();
    if (!options_.fields.keep.empty() && ts.doc.has_keep_value) {
      work->keep_values[i] = std::move(ts.doc.keep_value);
      work->has_keep[i] = 1;
    }
    work->utf8_repairs += ts.doc.utf8_repairs;
    work->utf8_repairs += normalizer_.Normalize(ts.doc.title, TextField::kTitle, &ts.title);
    work->utf8_repairs += normalizer_.Normalize(ts.doc.body, TextField::kBody, &ts.body);

    if (sampling_) {
      CountShingles(ts.title, options_.title_shingle, &ts.df[0], &ts);
      CountShingles(ts.body, options_.shingle, &ts.df[1], &ts);
      ++ts.sampled_documents;
      continue;
    }

    // Exact key: title, a byte that never occurs in UTF-8 (0xFF), body.
    ts.exact_key.assign(ts.title);
    ts.exact_key.push_back('\xff');
    ts.exact_key.append(ts.body);
    work->exact[i] = internal::Hash128Of(ts.exact_key, kExactSeed);

    // Each field is sketched on its own (match.h); an empty field has no sketch.
    SketchField(ts.title, 0, i, &work->fields[0], &ts);
    SketchField(ts.body, 1, i, &work->fields[1], &ts);
  }
}

void Runner::AppendSketch(const FieldWork& field, size_t i, uint32_t slot,
                          FieldSketches* sketches) {
  if (!field.present[i]) {
    sketches->AppendEmpty(slot);
    return;
  }
  switch (options_.algo) {
    case Algorithm::kMinHash:
      sketches->AppendMinHash(slot, field.minhash.data() + i * static_cast<size_t>(num_perm_));
      break;
    case Algorithm::kSimHash:
      sketches->AppendSimHash(slot, field.simhash[i]);
      break;
    case Algorithm::kExact: {
      const size_t begin = i == 0 ? 0 : field.token_ends[i - 1];
      sketches->AppendSet(slot, absl::MakeConstSpan(field.tokens.data() + begin,
                                                    field.token_ends[i] - begin));
      break;
    }
  }
}

void Runner::AppendId(std::string_view id, const FileInfo& file, uint64_t line) {
  const uint32_t doc = static_cast<uint32_t>(result_.id_offsets.size() - 1);
  auto taken = [&](std::string_view candidate) {
    auto it = id_index_.find(internal::Hash64(candidate, kIdSeed));
    if (it == id_index_.end()) return false;
    for (uint32_t d : it->second) {
      if (result_.id(d) == candidate) return true;
    }
    return false;
  };
  std::string renamed;
  if (taken(id)) {
    uint32_t& n = duplicate_id_counts_[std::string(id)];
    if (n == 0) n = 1;
    do {
      renamed = absl::StrCat(std::string(id), "#", ++n);
    } while (taken(renamed));
    ++result_.counts.duplicate_ids;
    if (callbacks_.on_duplicate_id) {
      callbacks_.on_duplicate_id(file.label, line, std::string(id), renamed);
    }
    id = renamed;
  }
  id_index_[internal::Hash64(id, kIdSeed)].push_back(doc);
  result_.id_bytes.append(id.data(), id.size());
  result_.id_offsets.push_back(result_.id_bytes.size());
}

void Runner::Append(const Work& work) {
  if (sampling_) return;
  const size_t n = work.batch.size();
  uint32_t id_begin = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t ordinal = work.first_ordinal + i;
    ++result_.counts.records_read;
    if (!work.good[i]) {
      ++result_.counts.records_bad;
      result_.bad_record_ordinals.push_back(ordinal);
      if (callbacks_.on_bad_record) {
        BadRecord bad;
        bad.file_index = work.file->index;
        bad.line_number = work.batch.line_numbers[i];
        bad.record_ordinal = ordinal;
        bad.message = work.errors[i];
        bad.raw = work.batch.record(i);
        bad.oversized = work.batch.oversized(i);
        callbacks_.on_bad_record(bad);
      }
      id_begin = work.id_ends[i];
      if (status_.ok() && (options_.strict || (options_.max_bad > 0 &&
                                               result_.counts.records_bad > options_.max_bad))) {
        status_ = absl::FailedPreconditionError(
            options_.strict
                ? absl::StrCat("stopped at the first bad record (--strict): ", work.errors[i])
                : absl::StrCat("stopped: more than ", options_.max_bad,
                               " bad records (--max-bad); the last: ", work.errors[i]));
        stop_ = true;
      }
      continue;
    }
    if (stop_) continue;  // the run is failing; keep accounting, add nothing
    const uint32_t doc = static_cast<uint32_t>(result_.id_offsets.size() - 1);
    AppendId(std::string_view(work.ids).substr(id_begin, work.id_ends[i] - id_begin), *work.file,
             work.batch.line_numbers[i]);
    id_begin = work.id_ends[i];
    lengths_.push_back(work.lengths[i]);
    if (!options_.fields.keep.empty()) {
      keep_values_.push_back(work.keep_values[i]);
      keep_present_.push_back(work.has_keep[i]);
    }

    const uint32_t new_slot = static_cast<uint32_t>(slot_doc_.size());
    auto [it, inserted] = exact_slots_.try_emplace(work.exact[i], new_slot);
    if (inserted) {
      slot_doc_.push_back(doc);
      for (int f = 0; f < 2; ++f) AppendSketch(work.fields[f], i, new_slot, &sketches_[f]);
    } else {
      ++result_.counts.exact_duplicates;
    }
    head_slot_.push_back(it->second);
  }
  result_.counts.utf8_repairs += work.utf8_repairs;
  result_.counts.bytes_read += work.batch.raw_bytes;
  if (callbacks_.on_progress) {
    callbacks_.on_progress(result_.counts.records_read, result_.counts.bytes_read);
  }
}

void Runner::RunReadPipeline(size_t in_flight) {
  tbb::parallel_pipeline(
      in_flight,
      tbb::make_filter<void, Work*>(
          tbb::filter_mode::serial_in_order,
          [this](tbb::flow_control& fc) -> Work* {
            auto work = std::make_unique<Work>();
            if (!ReadNext(work.get())) {
              fc.stop();
              return nullptr;
            }
            return work.release();
          }) &
          tbb::make_filter<Work*, Work*>(tbb::filter_mode::parallel,
                                         [this](Work* work) {
                                           Process(work);
                                           return work;
                                         }) &
          tbb::make_filter<Work*, void>(tbb::filter_mode::serial_in_order,
                                        [this](Work* work) {
                                          std::unique_ptr<Work> owned(work);
                                          Append(*owned);
                                        }));
}

void Runner::FindStopShingles(size_t in_flight) {
  for (const std::string& in : options_.inputs) {
    if (in == "-") {
      result_.counts.df_sample_skipped = true;  // standard input cannot be read twice
      return;
    }
  }
  sampling_ = true;
  RunReadPipeline(in_flight);
  sampling_ = false;
  // Back to the start of the first input for the real pass.
  reader_.reset();
  file_.reset();
  next_file_ = 0;
  next_ordinal_ = 0;
  if (!status_.ok()) return;

  uint64_t documents = 0;
  std::vector<uint32_t> df[2];
  for (ThreadState& ts : thread_state_) {
    documents += ts.sampled_documents;
    for (int f = 0; f < 2; ++f) {
      if (ts.df[f].empty()) continue;
      if (df[f].empty()) {
        df[f] = std::move(ts.df[f]);
      } else {
        for (size_t i = 0; i < df[f].size(); ++i) df[f][i] += ts.df[f][i];
      }
      ts.df[f] = {};
    }
  }
  result_.counts.df_sample_documents = documents;
  if (documents < kMinDfSample) return;  // too few documents to call anything boilerplate
  const double limit = options_.max_shingle_df * static_cast<double>(documents);
  if (!df[0].empty()) result_.counts.stop_cells_title = stop_shingles_[0].Build(df[0], limit);
  if (!df[1].empty()) result_.counts.stop_cells_body = stop_shingles_[1].Build(df[1], limit);
}

FieldRule Runner::Rule(int field) const {
  FieldRule rule;
  rule.sketches = &sketches_[field];
  rule.threshold = field == 0 ? options_.title_threshold : options_.threshold;
  rule.lsh = field == 0 ? result_.title_lsh : result_.lsh;
  rule.max_hamming = options_.max_hamming;
  rule.min_similarity = options_.algo == Algorithm::kSimHash
                            ? SimHashSimilarity(options_.max_hamming)
                            : static_cast<float>(rule.threshold);
  return rule;
}

absl::StatusOr<RunResult> Runner::Run() {
  const int threads =
      options_.threads > 0 ? options_.threads : tbb::info::default_concurrency();
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, threads);
  const size_t in_flight = options_.batches_in_flight > 0
                               ? static_cast<size_t>(options_.batches_in_flight)
                               : static_cast<size_t>(2 * threads);
  result_.lsh = options_.EffectiveLsh();
  result_.title_lsh = options_.EffectiveTitleLsh();
  result_.id_offsets.assign(1, 0);

  // Stage 1: read -> parse, normalize, shingle, sign -> append.
  auto start = Clock::now();
  if (options_.max_shingle_df < 1.0) FindStopShingles(in_flight);
  if (!status_.ok()) return status_;
  RunReadPipeline(in_flight);
  if (!status_.ok()) return status_;
  for (ThreadState& ts : thread_state_) result_.counts.shingles_removed += ts.shingles_removed;
  exact_slots_ = {};  // no longer needed; release before the next stages
  id_index_ = {};
  duplicate_id_counts_ = {};
  result_.counts.documents = result_.id_offsets.size() - 1;
  result_.seconds.read_and_sign = SecondsSince(start);

  // Stage 2: candidate pairs of unique documents, from the LSH of each field in use.
  start = Clock::now();
  const FieldRule title = Rule(0);
  const FieldRule body = Rule(1);
  CandidateLimits limits;
  limits.max_bucket = options_.max_bucket;
  limits.memory_limit_bytes = options_.memory_limit;
  CandidateStats candidate_stats;
  auto found = FindFieldCandidates(options_.match, title, body, limits, &candidate_stats);
  if (!found.ok()) return found.status();
  std::vector<CandidatePair> candidates = std::move(found).value();
  result_.counts.buckets = candidate_stats.buckets;
  result_.counts.candidate_pairs = candidates.size();
  result_.seconds.candidates = SecondsSince(start);

  // Stage 3: verification.
  start = Clock::now();
  std::vector<Edge> edges = JudgeCandidates(candidates, options_.match, title, body,
                                            options_.verify);
  candidates = {};
  result_.counts.verified_edges = edges.size();
  result_.seconds.verify = SecondsSince(start);

  // Stage 4: clusters over documents.
  start = Clock::now();
  Cluster(edges);
  result_.seconds.cluster = SecondsSince(start);
  return std::move(result_);
}

void Runner::Cluster(const std::vector<Edge>& edges) {
  const size_t docs = head_slot_.size();
  const size_t slots = slot_doc_.size();
  // Preference among documents, and each exact group's preferred document.
  const bool by_field = options_.keep == KeepPolicy::kEarliest ||
                        options_.keep == KeepPolicy::kLatest ||
                        options_.keep == KeepPolicy::kFieldMax;
  const std::vector<uint32_t> doc_rank =
      by_field ? RanksByFieldValue(keep_values_, keep_present_,
                                   options_.keep != KeepPolicy::kEarliest)
               : RanksByPolicy(options_.keep, lengths_);
  std::vector<uint32_t> best_doc(slot_doc_);
  for (size_t d = 0; d < docs; ++d) {
    uint32_t& b = best_doc[head_slot_[d]];
    if (doc_rank[d] < doc_rank[b]) b = static_cast<uint32_t>(d);
  }
  if (options_.cluster == ClusterMode::kCenter) {
    std::vector<uint32_t> slot_rank(slots);
    for (size_t s = 0; s < slots; ++s) slot_rank[s] = doc_rank[best_doc[s]];
    const std::vector<uint32_t> center = CenterClusters(slots, edges, slot_rank);
    result_.representative.resize(docs);
    for (size_t d = 0; d < docs; ++d) {
      result_.representative[d] = best_doc[center[head_slot_[d]]];
    }
  } else {
    UnionFind sets(docs);
    for (size_t d = 0; d < docs; ++d) {
      sets.Union(static_cast<uint32_t>(d), slot_doc_[head_slot_[d]]);
    }
    for (const Edge& e : edges) sets.Union(slot_doc_[e.a], slot_doc_[e.b]);
    result_.representative = ChooseRepresentativesByRank(sets, doc_rank);
  }

  result_.similarity.assign(docs, 1.0f);
  const FieldRule title = Rule(0);
  const FieldRule body = Rule(1);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, docs), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t d = r.begin(); d != r.end(); ++d) {
      const uint32_t a = head_slot_[d];
      const uint32_t b = head_slot_[result_.representative[d]];
      if (a == b) continue;  // itself, or an exact duplicate of its representative
      result_.similarity[d] = JudgePair(a, b, options_.match, title, body).similarity;
    }
  });
  uint64_t clusters = 0;
  for (size_t d = 0; d < docs; ++d) clusters += result_.representative[d] == d;
  result_.counts.clusters = clusters;
}

}  // namespace

absl::StatusOr<RunResult> RunPipeline(const PipelineOptions& options,
                                      const RunCallbacks& callbacks) {
  auto rules = options.BuildNewsRules();
  if (!rules.ok()) return rules.status();
  Runner runner(options, callbacks, std::move(rules).value());
  return runner.Run();
}

}  // namespace neardup
