#include "neardup/pipeline.h"

#include "internal/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <mutex>


#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "neardup/cluster/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/cluster/match.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/sketch/simhash.h"
#include "neardup/cluster/verify.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/global_control.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_pipeline.h"

namespace neardup {
namespace internal {



bool Runner::ReadNext(Work* work) {
  while (!stop_.load(std::memory_order_relaxed)) {
    if (!reader_) {
      ByteShare share;
      size_t i;
      if (sampling_) {
        if (next_file_ >= options_.inputs.size()) return false;
        i = next_file_++;
      } else {
        if (next_file_ >= tasks_.size()) return false;
        share = tasks_[next_file_].share;
        i = tasks_[next_file_++].file;
      }
      Format format = options_.FormatOf(i);
      auto reader = RecordReader::Open(options_.inputs[i], format, options_.max_record_bytes,
                                       share);
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
      if (sampling_ && next_ordinal_ >= SampleDocuments()) return false;
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

void Runner::SketchField(const std::string& text, int f, size_t i, SketchBatch* field,
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
  field->counts[i] = static_cast<uint32_t>(ts->shingles.size());
  SignContext context;
  context.hasher = &hashers_[f];
  context.simhash_weight = options_.simhash_weight;
  engine_.Sign(context, &ts->shingles, i, num_perm_, field);
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
  for (SketchBatch& f : work->fields) engine_.ResetBatch(n, num_perm_, &f);
  const bool stories = options_.stories && !sampling_;
  if (stories) work->stories.Reset(n);
  work->utf8_repairs = 0;
  for (uint64_t& h : work->has) h = 0;

  for (size_t i = 0; i < n; ++i) {
    // A record without a set (bad, or an empty field) ends where the previous one did.
    for (SketchBatch& f : work->fields) f.token_ends[i] = f.tokens.size();
    if (stories) work->stories.Skip(i);
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
    // An empty title or text is a missing one (as for --keep's field below).
    work->has[0] += ts.doc.has & Document::kHasId ? 1 : 0;
    work->has[1] += (ts.doc.has & Document::kHasTitle) && !ts.doc.title.empty() ? 1 : 0;
    work->has[2] += (ts.doc.has & Document::kHasText) && !ts.doc.body.empty() ? 1 : 0;
    work->ids += ts.doc.id;
    work->id_ends[i] = static_cast<uint32_t>(work->ids.size());
    work->lengths[i] = ts.doc.title.size() + ts.doc.body.size();
    if (!options_.fields.keep.empty() && ts.doc.has_keep_value && !ts.doc.keep_value.empty()) {
      work->keep_values[i] = std::move(ts.doc.keep_value);
      work->has_keep[i] = 1;
    }
    work->utf8_repairs += ts.doc.utf8_repairs;
    work->utf8_repairs += normalizer_.Normalize(ts.doc.title, TextField::kTitle, &ts.title);
    work->utf8_repairs += normalizer_.Normalize(ts.doc.body, TextField::kBody, &ts.body);

    if (sampling_) {
      // Whole batches, as the pass began with each: the stop-shingles count the first
      // df_sample documents, the story terms the first story_sample.
      if (options_.max_shingle_df < 1.0 && work->first_ordinal < options_.df_sample) {
        CountShingles(ts.title, options_.title_shingle, &ts.df[0], &ts);
        CountShingles(ts.body, options_.shingle, &ts.df[1], &ts);
        ++ts.sampled_documents;
      }
      if (options_.stories && work->first_ordinal < options_.story_sample) {
        stories_.Sample(ts.title, ts.body, &ts.story);
      }
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
    if (stories) {
      std::optional<std::string_view> date;
      if (ts.doc.has_date_value) date = ts.doc.date_value;
      stories_.Sign(ts.title, ts.body, date, i, &ts.story, &work->stories);
    }
  }
}

void Runner::AppendSketch(const SketchBatch& field, size_t i, uint32_t slot,
                          FieldSketches* sketches) {
  if (!field.present[i]) {
    sketches->AppendEmpty(slot);
    return;
  }
  engine_.Append(field, i, slot, num_perm_, sketches);
}

void Runner::AppendId(std::string_view id, const FileInfo& file, uint64_t line) {
  const uint32_t doc = static_cast<uint32_t>(result_.id_offsets.size() - 1);
  auto taken = [&](std::string_view candidate) {
    const uint64_t h = internal::Hash64(candidate, kIdSeed);
    auto it = id_index_.find(h);
    if (it == id_index_.end()) return false;
    if (result_.id(it->second) == candidate) return true;
    auto more = id_more_.find(h);
    if (more == id_more_.end()) return false;
    for (uint32_t d : more->second) {
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
  const uint64_t h = internal::Hash64(id, kIdSeed);
  if (!id_index_.try_emplace(h, doc).second) id_more_[h].push_back(doc);
  result_.id_bytes.append(id.data(), id.size());
  result_.id_offsets.push_back(result_.id_bytes.size());
}

void Runner::Append(const Work& work) {
  if (callbacks_.cancelled && status_.ok() && callbacks_.cancelled()) {
    status_ = absl::CancelledError("interrupted");
    stop_ = true;
  }
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
        bad.start = i < work.batch.starts.size() ? work.batch.starts[i]
                    : i < work.bad_starts.size() ? work.bad_starts[i]
                                                 : 0;
        bad.length = bad.oversized ? work.batch.oversized_length[i] : bad.raw.size();
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
    if (options_.stories) stories_.Append(work.stories, i, &result_.counts);
    if (inserted) {
      slot_doc_.push_back(doc);
      if (places_.kept()) {
        const bool known = work.batch.starts.size() == n;
        places_.Add(work.file->index, known, known ? work.batch.starts[i] : 0,
                    work.batch.record(i).size());
      }
      for (int f = 0; f < 2; ++f) {
        AppendSketch(work.fields[f], i, new_slot, &sketches_[f]);
        shingle_counts_[f].push_back(work.fields[f].counts[i]);
      }
    } else {
      ++result_.counts.exact_duplicates;
    }
    head_slot_.push_back(it->second);
  }
  result_.counts.utf8_repairs += work.utf8_repairs;
  if (options_.stories) stories_.AppendBatchEnd(work.stories, &result_.counts);
  for (int k = 0; k < 3; ++k) result_.counts.records_with_field[k] += work.has[k];
  if (!options_.fields.keep.empty()) {
    for (size_t i = 0; i < n; ++i) result_.counts.records_with_field[3] += work.good[i] && work.has_keep[i];
  }
  result_.counts.bytes_read += work.batch.raw_bytes;
  if (callbacks_.on_progress) {
    callbacks_.on_progress(result_.counts.records_read, result_.counts.bytes_read);
  }
}

void Runner::RunReadPipeline(size_t in_flight) {
  // Finished batches are recycled: a batch's buffers (about batch_bytes of raw text, the
  // signatures of its records) keep their capacity, so the serial reading stage neither regrows
  // them nor faults in fresh pages for every batch. At most `in_flight` batches exist.
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Work>> pool;
  tbb::parallel_pipeline(
      in_flight,
      tbb::make_filter<void, Work*>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fc) -> Work* {
            std::unique_ptr<Work> work;
            {
              std::lock_guard<std::mutex> lock(pool_mutex);
              if (!pool.empty()) {
                work = std::move(pool.back());
                pool.pop_back();
              }
            }
            if (!work) work = std::make_unique<Work>();
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
                                        [&](Work* work) {
                                          std::unique_ptr<Work> owned(work);
                                          if (shard_ != nullptr && !sampling_) {
                                            WriteShard(*owned);
                                          } else {
                                            Append(*owned);
                                          }
                                          std::lock_guard<std::mutex> lock(pool_mutex);
                                          pool.push_back(std::move(owned));
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
    stories_.CombineSample(&ts.story, &result_.counts);
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
  stories_.FinishSample();
  result_.counts.df_sample_documents = documents;
  if (options_.max_shingle_df >= 1.0) return;  // sampled for the stories alone
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
  rule.min_similarity = engine_.MinSimilarity(rule.threshold, options_.max_hamming);
  rule.measure = options_.similarity;
  rule.shingle_counts = shingle_counts_[field];
  if (options_.similarity == SimilarityMeasure::kContainment) {
    rule.threshold = ContainmentLshJaccard(rule.threshold);  // the exact engine's join
  }
  return rule;
}

absl::Status Runner::RepresentativeSimilarities(const std::vector<Edge>& edges,
                                                const DistributedHooks* hooks) {
  // The similarity of each document to its representative: the edge's where the two are an
  // edge (as the verification measured it: exactly, or by the estimate where that was sure),
  // else the sketches' estimate, asked once for every distinct pair (of the processes that
  // hold the sketches, in a distributed run). It depends on nothing but the edges and sketches.
  const size_t docs = head_slot_.size();
  auto by_pair = [](const Edge& x, const Edge& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; };
  std::vector<Edge> sorted_copy;
  const bool sorted = std::is_sorted(edges.begin(), edges.end(), by_pair);
  if (!sorted) {
    sorted_copy = edges;
    std::sort(sorted_copy.begin(), sorted_copy.end(), by_pair);
  }
  const std::vector<Edge>& by_ab = sorted ? edges : sorted_copy;
  auto edge_of = [&](uint32_t a, uint32_t b) -> const Edge* {
    Edge key;
    key.a = std::min(a, b);
    key.b = std::max(a, b);
    auto it = std::lower_bound(by_ab.begin(), by_ab.end(), key, by_pair);
    return it != by_ab.end() && it->a == key.a && it->b == key.b ? &*it : nullptr;
  };
  std::vector<CandidatePair> pairs;
  for (size_t d = 0; d < docs; ++d) {
    const uint32_t a = head_slot_[d];
    const uint32_t b = head_slot_[result_.representative[d]];
    if (a == b) continue;  // itself, or an exact duplicate of its representative
    if (const Edge* e = edge_of(a, b)) {
      result_.similarity[d] = e->similarity;
    } else {
      pairs.push_back({a, b});
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::vector<float> sims(pairs.size(), 0.0f);
  if (hooks != nullptr) {
    auto asked = hooks->similarities(pairs);
    if (!asked.ok()) return asked.status();
    sims = std::move(asked).value();
  } else {
    const FieldRule title = Rule(0);
    const FieldRule body = Rule(1);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, pairs.size(), 1024),
                      [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        sims[i] = JudgePair(pairs[i].a, pairs[i].b, options_.match, title, body,
                            options_.min_body_shingles)
                      .similarity;
      }
    });
  }
  for (size_t d = 0; d < docs; ++d) {
    const CandidatePair p{head_slot_[d], head_slot_[result_.representative[d]]};
    if (p.a == p.b || edge_of(p.a, p.b) != nullptr) continue;
    const size_t i = static_cast<size_t>(
        std::lower_bound(pairs.begin(), pairs.end(), p) - pairs.begin());
    result_.similarity[d] = sims[i];
  }
  return absl::OkStatus();
}

MatchRule Runner::Rules() const { return options_.EffectiveMatchRule(); }

absl::StatusOr<RunResult> Runner::Run() {
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism,
                                  ThreadCount(options_));

  // Stage 1: read -> parse, normalize, shingle, sign -> append.
  auto start = Clock::now();
  if (options_.max_shingle_df < 1.0 || options_.stories) FindStopShingles(in_flight_);
  if (!status_.ok()) return status_;
  places_.Stamp(options_, ExactFromReplay());
  RunReadPipeline(in_flight_);
  if (!status_.ok()) return status_;
  uint64_t shingles_removed = 0;
  for (ThreadState& ts : thread_state_) shingles_removed += ts.shingles_removed;
  return Finish(shingles_removed, SecondsSince(start));
}

absl::StatusOr<RunResult> Runner::Finish(uint64_t shingles_removed, double read_seconds,
                                         const DistributedHooks* hooks) {
  result_.counts.shingles_removed = shingles_removed;
  exact_slots_ = {};  // no longer needed; release before the next stages
  id_index_ = {};
  id_more_ = {};
  duplicate_id_counts_ = {};
  result_.counts.documents = result_.id_offsets.size() - 1;
  result_.seconds.read_and_sign = read_seconds;

  std::vector<Edge> edges;
  if (hooks != nullptr) {
    // Stages 2 and 3 across the processes (src/mpi/).
    auto found = hooks->edges(&result_.counts, &result_.seconds);
    if (!found.ok()) return found.status();
    edges = std::move(found).value();
    result_.counts.verified_edges = edges.size();
  } else {
    auto found = FindEdges();
    if (!found.ok()) return found.status();
    edges = std::move(found).value();
  }

  // Stage 4: clusters over documents.
  if (callbacks_.on_stage) callbacks_.on_stage("clustering");
  if (callbacks_.cancelled && callbacks_.cancelled()) return absl::CancelledError("interrupted");
  auto start = Clock::now();
  absl::Status clustered = Cluster(edges, hooks);
  if (!clustered.ok()) return clustered;
  if (options_.keep_edges) CollectEdges(edges);
  result_.seconds.cluster = SecondsSince(start);
  if (options_.stories) {
    if (callbacks_.on_stage) callbacks_.on_stage("grouping stories");
    if (callbacks_.cancelled && callbacks_.cancelled()) return absl::CancelledError("interrupted");
    start = Clock::now();
    result_.story = stories_.Finalize(result_.representative, &result_.counts.stories);
    result_.seconds.stories = SecondsSince(start);
  }
  return std::move(result_);
}

void Runner::CollectEdges(const std::vector<Edge>& edges) {
  const std::vector<uint32_t>& rep = result_.representative;
  std::vector<DocumentEdge>& out = result_.edges;
  out.reserve(edges.size());
  // Slots are numbered in the order of their first documents, so a < b carries over.
  for (const Edge& e : edges) {
    DocumentEdge d;
    d.a = slot_doc_[std::min(e.a, e.b)];
    d.b = slot_doc_[std::max(e.a, e.b)];
    d.similarity = e.similarity;
    d.title_similarity = e.title_similarity;
    d.body_similarity = e.body_similarity;
    d.reason = e.reason;
    d.exact = e.exact;
    d.same_cluster = rep[d.a] == rep[d.b];
    out.push_back(d);
  }
  const float absent = std::numeric_limits<float>::quiet_NaN();
  for (size_t doc = 0; doc < head_slot_.size(); ++doc) {
    const uint32_t slot = head_slot_[doc];
    const uint32_t first = slot_doc_[slot];
    if (first == doc) continue;
    DocumentEdge d;
    d.a = first;
    d.b = static_cast<uint32_t>(doc);
    d.similarity = 1;
    // A field is present when it has shingles (the counts travel in MPI shards, sketches may not).
    d.title_similarity = shingle_counts_[0][slot] > 0 ? 1.0f : absent;
    d.body_similarity = shingle_counts_[1][slot] > 0 ? 1.0f : absent;
    d.reason = kExactDuplicateReason;
    d.exact = 1;
    d.same_cluster = rep[d.a] == rep[d.b];
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const DocumentEdge& x, const DocumentEdge& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
}

absl::StatusOr<std::vector<Edge>> Runner::FindEdges() {
  // Stage 2: candidate pairs of unique documents, from the LSH of each field in use.
  if (callbacks_.on_stage) callbacks_.on_stage("finding candidates");
  if (callbacks_.cancelled && callbacks_.cancelled()) return absl::CancelledError("interrupted");
  auto start = Clock::now();
  const FieldRule title = Rule(0);
  const FieldRule body = Rule(1);
  CandidateLimits limits;
  limits.max_bucket = options_.max_bucket;
  limits.memory_limit_bytes = options_.memory_limit;
  limits.temp_dir = options_.temp_dir;
  CandidateStats candidate_stats;
  auto found = FindFieldCandidates(options_.match, title, body, limits, &candidate_stats,
                                   options_.min_body_shingles);
  if (!found.ok()) return found.status();
  std::vector<CandidatePair> candidates = std::move(found).value();
  result_.counts.buckets = candidate_stats.buckets;
  result_.counts.candidate_pairs = candidates.size();
  result_.seconds.candidates = SecondsSince(start);

  // Stage 3: verification.
  if (callbacks_.on_stage) callbacks_.on_stage("verifying candidates");
  if (callbacks_.cancelled && callbacks_.cancelled()) return absl::CancelledError("interrupted");
  start = Clock::now();
  std::vector<Edge> edges;
  if (ExactFromReplay()) {
    auto verified = VerifyExactly(candidates);
    if (!verified.ok()) return verified.status();
    edges = std::move(verified).value();
  } else {
    edges = JudgeCandidates(candidates, options_.match, title, body,
                            options_.verify != VerifyMode::kNone, options_.min_body_shingles);
  }
  candidates = {};
  result_.counts.verified_edges = edges.size();
  result_.seconds.verify = SecondsSince(start);
  return edges;
}

absl::Status Runner::Cluster(const std::vector<Edge>& edges, const DistributedHooks* hooks) {
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
    if (options_.cluster == ClusterMode::kAnchored) {
      std::vector<uint32_t> slot_rank(slots);
      for (size_t s = 0; s < slots; ++s) slot_rank[s] = doc_rank[best_doc[s]];
      const std::vector<uint32_t> label = AnchoredClusters(slots, edges, slot_rank,
                                                           options_.core_degree,
                                                           &result_.counts.anchored);
      for (size_t s = 0; s < slots; ++s) sets.Union(slot_doc_[s], slot_doc_[label[s]]);
    } else if (options_.cluster == ClusterMode::kMedoid) {
      std::vector<uint32_t> slot_rank(slots);
      for (size_t s = 0; s < slots; ++s) slot_rank[s] = doc_rank[best_doc[s]];
      MedoidStats medoid;
      const std::vector<uint32_t> label = MedoidClusters(slots, edges, slot_rank, &medoid);
      for (size_t s = 0; s < slots; ++s) sets.Union(slot_doc_[s], slot_doc_[label[s]]);
      result_.counts.components_split = medoid.components_split;
    } else {
      for (const Edge& e : edges) sets.Union(slot_doc_[e.a], slot_doc_[e.b]);
    }
    result_.representative = ChooseRepresentativesByRank(sets, doc_rank);
  }

  result_.similarity.assign(docs, 1.0f);
  absl::Status s = RepresentativeSimilarities(edges, hooks);
  if (!s.ok()) return s;
  uint64_t clusters = 0;
  for (size_t d = 0; d < docs; ++d) clusters += result_.representative[d] == d;
  result_.counts.clusters = clusters;
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<RunResult> RunPipeline(const PipelineOptions& options,
                                      const RunCallbacks& callbacks) {
  auto rules = options.BuildNewsRules();
  if (!rules.ok()) return rules.status();
  internal::Runner runner(options, callbacks, std::move(rules).value());
  return runner.Run();
}

}  // namespace neardup
