// Plans (plan.h): a sample of the inputs, then models of what the run allocates and how fast it
// goes. Reads the first records of each input; hashes nothing else.
#include "neardup/tools/plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "internal/status_macros.h"
#include "neardup/io/reader.h"
#include "neardup/sketch/engine.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

// What the first records of one input say.
struct Sample {
  uint64_t records = 0;       // good records sampled
  uint64_t bad = 0;           // records that did not parse
  uint64_t raw_bytes = 0;     // their bytes as read (decompressed)
  uint64_t id_bytes = 0;
  uint64_t titles = 0, bodies = 0;                 // records with a non-empty field
  uint64_t title_shingles = 0, body_shingles = 0;  // distinct shingles, summed
};

// Reads about `budget` bytes of records from the start of input `i` into `sample`; sets `*whole`
// when the file ended within the budget and `*consumed` to the bytes taken from the file
// (compressed bytes for .gz/.zst).
absl::Status SampleInput(const PipelineOptions& options, size_t i, const Normalizer& normalizer,
                         uint64_t budget, Sample* sample, bool* whole, uint64_t* consumed) {
  const std::string& path = options.inputs[i];
  const Format format = options.FormatOf(i);
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                   RecordReader::Open(path, format, options.max_record_bytes));
  RecordParser parser(format, options.fields, path, reader->columns());
  RecordBatch batch;
  Document doc;
  std::string text;
  uint64_t read = 0;
  *whole = false;
  while (read < budget) {
    ASSIGN_OR_RETURN(bool more, reader->ReadBatch(std::min<uint64_t>(budget - read, 1 << 20), &batch));
    if (!more) {
      *whole = true;
      break;
    }
    read += batch.raw_bytes;
    for (size_t r = 0; r < batch.size(); ++r) {
      if (batch.oversized(r) || !parser.Parse(batch.record(r), batch.line_numbers[r], &doc).ok()) {
        ++sample->bad;
        continue;
      }
      ++sample->records;
      sample->id_bytes += doc.id.size();
      if (!doc.title.empty()) {
        normalizer.Normalize(doc.title, TextField::kTitle, &text);
        const size_t n = ShingleSet(text, options.title_shingle).size();
        sample->titles += n > 0;
        sample->title_shingles += n;
      }
      if (!doc.body.empty()) {
        normalizer.Normalize(doc.body, TextField::kBody, &text);
        const size_t n = ShingleSet(text, options.shingle).size();
        sample->bodies += n > 0;
        sample->body_shingles += n;
      }
    }
    sample->raw_bytes += batch.raw_bytes;
  }
  if (!*whole) {
    // One more read tells whether the sample happened to be the whole file.
    auto more = reader->ReadBatch(1, &batch);
    *whole = more.ok() && !*more;
  }
  *consumed = reader->bytes_consumed();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Memory model (plan.h): the sizes of vectors, the capacities of hash maps.

double PowerOfTwoAtLeast(double n) { return n <= 1 ? 1 : std::exp2(std::ceil(std::log2(n))); }
double VectorBytes(double n, double element) { return n * element; }
double HashMapBytes(double n, double slot) {
  return PowerOfTwoAtLeast(n * 8 / 7 + 1) * (slot + 1);
}

PlanMemory ModelMemory(const PipelineOptions& o, const PlanCorpus& c, int threads,
                       int bands_at_once) {
  PlanMemory m;
  const double n = c.documents;
  const double nt = n * c.title_share, nb = n * c.body_share;
  // Per-document state appended while reading (pipeline.cc Runner, RunResult): id bytes and
  // offsets (8), raw length (8), exact group (4), slot's document (4); the exact-duplicate map
  // (Hash128 -> slot: 24-byte slots) and the repeated-id map (uint64 -> InlinedVector<uint32, 1>:
  // 24-byte slots), both released after reading; per field, row_of_slot (4 per document) and
  // slot_of_row (4 per document with the field).
  m.per_document = VectorBytes(n * c.id_bytes, 1) + VectorBytes(n, 8) + VectorBytes(n, 8) +
                   2 * VectorBytes(n, 4) + 2 * VectorBytes(n, 4) + VectorBytes(nt, 4) +
                   VectorBytes(nb, 4);
  m.maps = HashMapBytes(n, 24) + HashMapBytes(n, 24);
  // Sketches per field (match.h FieldSketches), as the engine models them (sketch/engine.h).
  const SketchEngine& engine = SketchEngine::Get(o.algo);
  auto sketch = [&](double docs, double shingles) {
    return engine.ModelSketchBytes(docs, shingles, o.num_perm);
  };
  m.title_sketches = sketch(nt, c.title_shingles);
  m.body_sketches = sketch(nb, c.body_shingles);
  m.batches_in_flight = 2 * threads;
  m.batches = 2.0 * threads * static_cast<double>(o.batch_bytes) * kPlanBatchFactor;
  m.baseline = static_cast<double>(kPlanBaselineBytes);
  // Candidates: the engine's search at its peak (sketch/engine.h); pairs are 8 bytes, twice while
  // the bands' pairs are merged and sorted.
  m.buckets = engine.ModelSearchBytes(std::max(nt, nb),
                                      std::max(nt * c.title_shingles, nb * c.body_shingles),
                                      bands_at_once, static_cast<double>(o.memory_limit));
  m.candidate_pairs = 2 * 8 * kPlanCandidatesPerDocument * n;
  // Summed line by line, in the order `neardup plan` lists them.
  for (double b : {m.per_document, m.maps, m.title_sketches, m.body_sketches, m.batches,
                   m.baseline}) {
    m.reading_total += b;
  }
  for (double b : {m.per_document, m.title_sketches + m.body_sketches, m.buckets,
                   m.candidate_pairs, m.baseline}) {
    m.candidates_total += b;
  }
  m.peak = std::max(m.reading_total, m.candidates_total);
  return m;
}

// The request's sizes override the sample's; a missing one follows from the other.
void ApplyRequest(const PipelineOptions& options, const PlanRequest& request, PlanCorpus* c) {
  if (request.documents > 0) {
    const double per_doc = c->documents > 0 ? c->bytes / c->documents : kPlanAssumedDocumentBytes;
    c->documents = static_cast<double>(request.documents);
    if (request.bytes == 0) c->bytes = c->documents * per_doc;
  }
  if (request.bytes > 0) {
    if (request.documents == 0) {
      const double per_doc = c->documents > 0 ? c->bytes / c->documents : kPlanAssumedDocumentBytes;
      c->documents = std::round(request.bytes / per_doc);
    }
    c->bytes = request.bytes;
  }
  if (options.inputs.empty()) {
    c->disk_bytes = c->bytes;
    // Distinct shingles of a document: about one per non-space character; pseudo-text bytes
    // are about 2.6 per character (Korean 3, English 1).
    c->body_shingles = std::max(1.0, c->bytes / std::max(c->documents, 1.0) / 2.6);
  }
}

}  // namespace

absl::StatusOr<PlanCorpus> SamplePlanCorpus(const PipelineOptions& options,
                                            uint64_t sample_bytes) {
  PlanCorpus c;
  Sample total;
  ASSIGN_OR_RETURN(NewsRules rules, options.BuildNewsRules());
  const Normalizer normalizer(options.normalize, rules);
  double documents = 0, bytes = 0;
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    const std::string& path = options.inputs[i];
    if (path == "-") {
      return absl::InvalidArgumentError(
          "plan: standard input cannot be sampled; give --documents and --bytes");
    }
    // A device or FIFO has no size to scale a sample by, and one such as /dev/zero never ends a
    // record: it would be read without bound.
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plan: ", path, " is not a regular file (a device, FIFO or pipe has no size to scale a "
          "sample by); give --documents and --bytes"));
    }
    ASSIGN_OR_RETURN(InputFacts facts, ProbeInput(path));
    Sample s;
    bool whole = false;
    uint64_t consumed = 0;
    RETURN_IF_ERROR(SampleInput(options, i, normalizer, sample_bytes, &s, &whole, &consumed));
    c.disk_bytes += static_cast<double>(facts.size);
    double file_docs, file_bytes;
    if (whole) {
      file_docs = static_cast<double>(s.records);
      file_bytes = static_cast<double>(s.raw_bytes);
    } else {
      // Records and decompressed bytes per byte on disk, from the sample: the sample's own bytes
      // for a plain file; for a compressed one the compressed bytes the reader took, which
      // include its read-ahead, so that estimate is rougher.
      const double disk = facts.compressed ? static_cast<double>(consumed)
                                           : static_cast<double>(s.raw_bytes);
      const double per_disk_byte = disk > 0 ? 1.0 / disk : 0;
      const double scale = static_cast<double>(facts.size) * per_disk_byte;
      file_docs = static_cast<double>(s.records) * scale;
      file_bytes = static_cast<double>(s.raw_bytes) * scale;
      c.estimated = true;
    }
    documents += file_docs;
    bytes += file_bytes;
    PlanInputFacts& f = c.inputs.emplace_back();
    f.path = path;
    f.disk_bytes = facts.size;
    f.compressed = facts.compressed;
    f.whole = whole;
    f.records = s.records;
    f.bad = s.bad;
    f.sampled_bytes = s.raw_bytes;
    f.documents = file_docs;
    total.records += s.records;
    total.id_bytes += s.id_bytes;
    total.titles += s.titles;
    total.bodies += s.bodies;
    total.title_shingles += s.title_shingles;
    total.body_shingles += s.body_shingles;
  }
  c.documents = documents;
  c.bytes = bytes;
  if (total.records > 0) {
    const double n = static_cast<double>(total.records);
    c.title_share = static_cast<double>(total.titles) / n;
    c.body_share = static_cast<double>(total.bodies) / n;
    c.id_bytes = static_cast<double>(total.id_bytes) / n;
    if (total.titles > 0) {
      c.title_shingles = static_cast<double>(total.title_shingles) / static_cast<double>(total.titles);
    }
    if (total.bodies > 0) {
      c.body_shingles = static_cast<double>(total.body_shingles) / static_cast<double>(total.bodies);
    }
  }
  return c;
}

RunPlan MakePlan(const PipelineOptions& options, const PlanCorpus& corpus,
                 const PlanRequest& request) {
  const PipelineOptions& o = options;
  RunPlan plan;
  plan.corpus = corpus;
  plan.request = request;
  PlanCorpus& c = plan.corpus;
  ApplyRequest(o, request, &c);
  plan.threads = o.threads > 0 ? o.threads
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  plan.body_lsh = o.EffectiveLsh();
  plan.title_lsh = o.EffectiveTitleLsh();
  const CandidateSearch search = SketchEngine::Get(o.algo).candidate_search();
  const bool minhash = search == CandidateSearch::kLshBands;
  if (minhash) {
    for (int i = 0; i <= 13; ++i) {
      const double s = 0.30 + 0.05 * i;
      plan.s_curve.push_back({s, CandidateProbability(s, plan.body_lsh),
                              CandidateProbability(s, plan.title_lsh)});
    }
  } else if (search == CandidateSearch::kHammingTables) {
    plan.simhash_layout = ChooseSimHashLayout(o.max_hamming);
  }

  plan.bands_at_once = std::min(plan.threads, std::max(plan.body_lsh.total_bands(), plan.title_lsh.total_bands()));
  // lsh.h SpillOptions: bands side by side only while that many bands' keys fit the limit; a
  // band that alone does not fit is sorted in runs on disk.
  plan.band_bytes = 16 * c.documents * std::max(c.title_share, c.body_share);
  const double limit = static_cast<double>(o.memory_limit);
  if (minhash && plan.band_bytes * plan.bands_at_once > limit) plan.bands_at_once = 1;
  plan.spills = minhash && plan.band_bytes > limit;
  plan.spill_bytes = plan.band_bytes * 12 / 16;
  plan.memory = ModelMemory(o, c, plan.threads, plan.bands_at_once);
  plan.join_over_limit =
      search == CandidateSearch::kAllPairsJoin && plan.memory.buckets > static_cast<double>(o.memory_limit);

  plan.cluster_file_bytes = c.documents * (kPlanClusterLineBytes + 2 * c.id_bytes);
  if (request.speed_mb > 0) {
    plan.seconds = c.bytes / 1e6 / request.speed_mb;
    plan.seconds_from_speed = true;
  } else {
    const double one =
        c.documents * kPlanMicrosPerDocument * 1e-6 + c.bytes * kPlanNanosPerByte * 1e-9;
    const double eff = plan.threads == 1 ? 1.0 : plan.threads * kPlanThreadEfficiency;
    plan.seconds = one / eff;
  }
  return plan;
}

}  // namespace neardup
