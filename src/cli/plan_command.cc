// `neardup plan`: the flags of `cluster`, a corpus size (given or sampled from the inputs), and
// models of what the run allocates and how fast it goes. Prints; hashes nothing.
#include "cli/plan_command.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/run_flags.h"
#include "neardup/cluster/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/candidates/lsh.h"
#include "neardup/cluster/match.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/sketch/simhash.h"

namespace neardup::cli {
namespace {

// ---------------------------------------------------------------------------------------------
// Measured constants. Throughput of `neardup cluster` end to end (read, parse, normalize, shingle,
// sign both fields, candidates, verification, clusters, writing), per thread, minhash at the
// defaults, on the development machine (2 cores, shared): the cost of a run is modelled as
// kMicrosPerDocument per document plus kNanosPerByte per input byte, divided by the thread count
// times kThreadEfficiency. The split between the two terms was fitted at 1 thread on `neardup
// synth` corpora of 20,000 documents of 300 bytes and 100,000 of 2,000 bytes; both were then
// scaled to the idle machine's `scripts/bench` run at 1M documents of 2,000 bytes (2,167 MB:
// 24.3 s at 1 thread, 12.5 s at 2, i.e. 1.95x, after the faster normalization and 12-bit
// signatures; earlier 32.0 s and 16.7 s). --speed replaces the model by a throughput of your own.
constexpr double kMicrosPerDocument = 7.6;
constexpr double kNanosPerByte = 7.7;
constexpr double kThreadEfficiency = 0.975;

// Memory that does not grow with the corpus: the binary, oneTBB, the allocator's arenas, the
// normalization tables (measured: peak RSS of a run on a 21-record file, 11 MiB).
constexpr uint64_t kBaselineBytes = 11ull << 20;
// Bytes of a stored MinHash signature (match.h FieldSketches keeps them packed, minhash.h).
double MinHashSignatureBytes(int num_perm) {
  return static_cast<double>(PackedMinHashBytes(num_perm));
}
// Each batch in flight holds its raw bytes and, per record, the parsed and normalized fields and
// the signatures: about this many times the batch's raw bytes.
constexpr double kBatchFactor = 3.0;
// Without inputs: bytes per document assumed when --bytes is not given, and the id length.
constexpr uint64_t kAssumedDocumentBytes = 2000;
constexpr double kAssumedIdBytes = 8;
// The cluster file's line without its two ids:
// {"id":"","cluster":"","representative":false,"similarity":0.796875,"cluster_size":2,
//  "cluster_min_similarity":0.796875}
constexpr double kClusterLineBytes = 112;
// Candidate pairs assumed per document when nothing else is known (a corpus with planted copies
// has about one; boilerplate-heavy corpora more, up to --max-bucket per bucket).
constexpr double kCandidatesPerDocument = 1.0;

struct PlanFlags {
  RunFlags run;
  uint64_t documents = 0;
  std::string bytes;
  double speed_mb = 0;
  std::string sample_bytes = "1M";
};

// What the first records of the inputs say.
struct Sample {
  uint64_t records = 0;       // good records sampled
  uint64_t bad = 0;           // records that did not parse
  uint64_t raw_bytes = 0;     // their bytes as read (decompressed)
  uint64_t id_bytes = 0;
  uint64_t titles = 0, bodies = 0;                 // records with a non-empty field
  uint64_t title_shingles = 0, body_shingles = 0;  // distinct shingles, summed
};

struct Corpus {
  double documents = 0;
  double bytes = 0;            // input bytes as read (decompressed)
  double disk_bytes = 0;       // input bytes on disk
  double title_share = 1, body_share = 1;
  double id_bytes = kAssumedIdBytes;
  double title_shingles = 40, body_shingles = 0;  // distinct shingles per document with the field
  bool estimated = false;      // some count is extrapolated from a sample
  std::vector<std::string> notes;
};

std::string Bytes(double b) {
  if (b >= 1e9) return absl::StrFormat("%.2f GB", b / 1e9);
  if (b >= 1e6) return absl::StrFormat("%.1f MB", b / 1e6);
  if (b >= 1e3) return absl::StrFormat("%.1f kB", b / 1e3);
  return absl::StrFormat("%.0f B", b);
}

std::string Count(double x) {
  std::string digits = absl::StrFormat("%.0f", x);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Seconds(double s) {
  if (s < 60) return absl::StrFormat("%.1f s", s);
  if (s < 3600) return absl::StrFormat("%.1f min", s / 60);
  return absl::StrFormat("%.1f h", s / 3600);
}

// Reads about `budget` bytes of records from the start of `path` into `sample`; sets `*whole` when
// the file ended within the budget and `*consumed` to the bytes taken from the file (compressed
// bytes for .gz/.zst).
absl::Status SampleInput(const PipelineOptions& options, size_t i, const Normalizer& normalizer,
                         uint64_t budget, Sample* sample, bool* whole, uint64_t* consumed) {
  const std::string& path = options.inputs[i];
  const Format format = options.FormatOf(i);
  auto reader = RecordReader::Open(path, format, options.max_record_bytes);
  if (!reader.ok()) return reader.status();
  RecordParser parser(format, options.fields, path, (*reader)->columns());
  RecordBatch batch;
  Document doc;
  std::string text;
  uint64_t read = 0;
  *whole = false;
  while (read < budget) {
    auto more = (*reader)->ReadBatch(std::min<uint64_t>(budget - read, 1 << 20), &batch);
    if (!more.ok()) return more.status();
    if (!*more) {
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
    auto more = (*reader)->ReadBatch(1, &batch);
    *whole = more.ok() && !*more;
  }
  *consumed = (*reader)->bytes_consumed();
  return absl::OkStatus();
}

absl::StatusOr<Corpus> Measure(const PlanFlags& flags, uint64_t sample_budget) {
  const PipelineOptions& options = flags.run.options;
  Corpus c;
  Sample total;
  auto rules = options.BuildNewsRules();
  if (!rules.ok()) return rules.status();
  const Normalizer normalizer(options.normalize, *rules);
  double documents = 0, bytes = 0;
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    const std::string& path = options.inputs[i];
    if (path == "-") return absl::InvalidArgumentError("plan: standard input cannot be sampled; "
                                                       "give --documents and --bytes");
    auto facts = ProbeInput(path);
    if (!facts.ok()) return facts.status();
    Sample s;
    bool whole = false;
    uint64_t consumed = 0;
    absl::Status st = SampleInput(options, i, normalizer, sample_budget, &s, &whole, &consumed);
    if (!st.ok()) return st;
    c.disk_bytes += static_cast<double>(facts->size);
    double file_docs, file_bytes;
    if (whole) {
      file_docs = static_cast<double>(s.records);
      file_bytes = static_cast<double>(s.raw_bytes);
    } else {
      // Records and decompressed bytes per byte on disk, from the sample: the sample's own bytes
      // for a plain file; for a compressed one the compressed bytes the reader took, which
      // include its read-ahead, so that estimate is rougher (and says so).
      const double disk = facts->compressed ? static_cast<double>(consumed)
                                            : static_cast<double>(s.raw_bytes);
      const double per_disk_byte = disk > 0 ? 1.0 / disk : 0;
      const double scale = static_cast<double>(facts->size) * per_disk_byte;
      file_docs = static_cast<double>(s.records) * scale;
      file_bytes = static_cast<double>(s.raw_bytes) * scale;
      c.estimated = true;
    }
    documents += file_docs;
    bytes += file_bytes;
    c.notes.push_back(absl::StrFormat(
        "%s: %s on disk%s; %s %s records (%s sampled, %.0f bytes a record%s) -> %s documents",
        path, Bytes(static_cast<double>(facts->size)),
        facts->compressed ? ", compressed (the count is rough: pass --documents)" : "",
        whole ? "read all" : "sampled the first", Count(static_cast<double>(s.records)),
        Bytes(static_cast<double>(s.raw_bytes)),
        s.records > 0 ? static_cast<double>(s.raw_bytes) / static_cast<double>(s.records) : 0.0,
        s.bad > 0 ? absl::StrCat(", ", s.bad, " bad") : "",
        whole ? Count(file_docs) : absl::StrCat("about ", Count(file_docs))));
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

// ---------------------------------------------------------------------------------------------
// Memory model, in resident bytes (the peak RSS that --stats reports). A vector grown by doubling
// reserves up to twice its size, but the pages it never touched are not resident, and a large
// buffer freed after a growth goes back to the system: its size counts, not its capacity.
// absl::flat_hash_map holds 2^k - 1 slots of (key, value) plus one control byte each, at most 7/8
// full, and hashing touches every page of it: its capacity counts.

double PowerOfTwoAtLeast(double n) { return n <= 1 ? 1 : std::exp2(std::ceil(std::log2(n))); }
double VectorBytes(double n, double element) { return n * element; }
double HashMapBytes(double n, double slot) {
  return PowerOfTwoAtLeast(n * 8 / 7 + 1) * (slot + 1);
}

struct MemoryLine {
  std::string what;
  double bytes;
};

struct MemoryPlan {
  std::vector<MemoryLine> read;        // at the end of reading: the usual peak
  std::vector<MemoryLine> candidates;  // while the candidates are found
  double read_total = 0, candidates_total = 0;
};

MemoryPlan PlanMemory(const PipelineOptions& o, const Corpus& c, int threads, int bands_at_once) {
  MemoryPlan m;
  const double n = c.documents;
  const double nt = n * c.title_share, nb = n * c.body_share;
  // Per-document state appended while reading (pipeline.cc Runner, RunResult): id bytes and
  // offsets (8), raw length (8), exact group (4), slot's document (4); the exact-duplicate map
  // (Hash128 -> slot: 24-byte slots) and the repeated-id map (uint64 -> InlinedVector<uint32, 1>:
  // 24-byte slots), both released after reading; per field, row_of_slot (4 per document) and
  // slot_of_row (4 per document with the field).
  const double per_doc = VectorBytes(n * c.id_bytes, 1) + VectorBytes(n, 8) + VectorBytes(n, 8) +
                         2 * VectorBytes(n, 4) + 2 * VectorBytes(n, 4) + VectorBytes(nt, 4) +
                         VectorBytes(nb, 4);
  const double maps = HashMapBytes(n, 24) + HashMapBytes(n, 24);
  // Sketches per field (match.h FieldSketches): minhash num_perm entries, simhash 8, exact the
  // distinct shingle hashes (8 each) plus an offset (8).
  auto sketch = [&](double docs, double shingles) {
    switch (o.algo) {
      case Algorithm::kMinHash:
        return VectorBytes(docs, MinHashSignatureBytes(o.num_perm));
      case Algorithm::kSimHash:
        return VectorBytes(docs, 8);
      case Algorithm::kExact:
        return VectorBytes(docs * shingles, 8) + VectorBytes(docs, 8);
    }
    return 0.0;
  };
  const double title_sketch = sketch(nt, c.title_shingles);
  const double body_sketch = sketch(nb, c.body_shingles);
  const double batches = 2.0 * threads * static_cast<double>(o.batch_bytes) * kBatchFactor;
  m.read = {{"per-document state (ids, lengths, slots, rows)", per_doc},
            {"exact-duplicate and repeated-id maps", maps},
            {"title sketches", title_sketch},
            {"body sketches", body_sketch},
            {absl::StrFormat("batches in flight (%d x %s x %.0f)", 2 * threads,
                             Bytes(static_cast<double>(o.batch_bytes)), kBatchFactor),
             batches},
            {"baseline (binary, oneTBB, tables)", static_cast<double>(kBaselineBytes)}};
  // Candidates (lsh.cc): each band being bucketed holds (key, document) pairs of 16 bytes for
  // every document with the field, `bands_at_once` at a time; pairs are 8 bytes, twice while the
  // bands' pairs are merged and sorted. simhash: one table of 16-byte entries at a time. exact:
  // about 40 bytes per shingle (allpairs.h EstimateAllPairsBytes).
  const double larger = std::max(nt, nb);
  double buckets = 0;
  switch (o.algo) {
    case Algorithm::kMinHash:  // beyond --memory-limit, sorted in runs on disk (lsh.h)
      buckets = std::min(bands_at_once * larger * 16, static_cast<double>(o.memory_limit));
      break;
    case Algorithm::kSimHash: buckets = larger * 16; break;
    case Algorithm::kExact:
      buckets = 40 * std::max(nt * c.title_shingles, nb * c.body_shingles);
      break;
  }
  const double pairs = 2 * 8 * kCandidatesPerDocument * n;
  m.candidates = {{"per-document state", per_doc},
                  {"title and body sketches", title_sketch + body_sketch},
                  {o.algo == Algorithm::kExact ? std::string("all-pairs join (40 bytes a shingle)")
                   : o.algo == Algorithm::kMinHash
                       ? absl::StrFormat("buckets being sorted (%d band%s at once)", bands_at_once,
                                         bands_at_once == 1 ? "" : "s")
                       : std::string("buckets being sorted (one table at a time)"),
                   buckets},
                  {absl::StrFormat("candidate pairs (%.0f a document assumed, 16 bytes)",
                                   kCandidatesPerDocument),
                   pairs},
                  {"baseline", static_cast<double>(kBaselineBytes)}};
  for (const MemoryLine& l : m.read) m.read_total += l.bytes;
  for (const MemoryLine& l : m.candidates) m.candidates_total += l.bytes;
  return m;
}

void PrintSCurve(const std::vector<std::pair<std::string, LshParams>>& fields,
                 const std::vector<double>& thresholds) {
  std::cout << "\nS-curve: probability that a pair of Jaccard similarity s becomes a candidate, "
               "1-(1-s^rows)^bands\n";
  std::cout << "  s    ";
  for (const auto& [name, p] : fields) std::cout << absl::StrFormat("  %-10s", name);
  std::cout << "\n";
  for (int i = 0; i <= 13; ++i) {
    const double s = 0.30 + 0.05 * i;
    std::string line = absl::StrFormat("  %.2f ", s);
    std::string mark;
    for (size_t f = 0; f < fields.size(); ++f) {
      line += absl::StrFormat("  %-10.6f", CandidateProbability(s, fields[f].second));
      if (std::fabs(thresholds[f] - s) < 1e-9) {
        mark += absl::StrCat(mark.empty() ? "  <- " : ", ", fields[f].first, " threshold");
      }
    }
    std::cout << line << mark << "\n";
  }
}

int Run(PlanFlags& flags) {
  PipelineOptions& o = flags.run.options;
  // `cluster` needs an input; plan can do without. A placeholder passes the shared checks.
  const bool no_inputs = o.inputs.empty();
  if (no_inputs) o.inputs = {"-"};
  absl::Status s = flags.run.Finalize();
  if (no_inputs) o.inputs.clear();
  auto sample_budget = ParseByteSize(flags.sample_bytes, "--sample-bytes");
  if (s.ok() && !sample_budget.ok()) s = sample_budget.status();
  double given_bytes = 0;
  if (s.ok() && !flags.bytes.empty()) {
    auto b = ParseByteSize(flags.bytes, "--bytes");
    if (b.ok()) given_bytes = static_cast<double>(*b);
    else s = b.status();
  }
  if (s.ok() && no_inputs && flags.documents == 0 && given_bytes == 0) {
    s = absl::InvalidArgumentError("plan: give INPUT files, --documents or --bytes");
  }
  if (s.ok() && flags.speed_mb < 0) s = absl::InvalidArgumentError("--speed must be > 0");
  if (!s.ok()) {
    PrintError(s);
    return kExitUsage;
  }

  Corpus c;
  if (!no_inputs) {
    auto measured = Measure(flags, *sample_budget);
    if (!measured.ok()) {
      PrintError(measured.status());
      return measured.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage
                                                                            : kExitFailed;
    }
    c = *measured;
  } else {
    c.notes.push_back("no INPUT: every document is assumed to have a title and a body");
  }
  // Given sizes override the sample; a missing one follows from the other.
  if (flags.documents > 0) {
    const double per_doc = c.documents > 0 ? c.bytes / c.documents : kAssumedDocumentBytes;
    c.documents = static_cast<double>(flags.documents);
    if (given_bytes == 0) c.bytes = c.documents * per_doc;
  }
  if (given_bytes > 0) {
    if (flags.documents == 0) {
      const double per_doc = c.documents > 0 ? c.bytes / c.documents : kAssumedDocumentBytes;
      c.documents = std::round(given_bytes / per_doc);
    }
    c.bytes = given_bytes;
  }
  if (no_inputs) {
    c.disk_bytes = c.bytes;
    // Distinct shingles of a document: about one per non-space character; pseudo-text bytes
    // are about 2.6 per character (Korean 3, English 1).
    c.body_shingles = std::max(1.0, c.bytes / std::max(c.documents, 1.0) / 2.6);
  }

  const int threads = o.threads > 0 ? o.threads
                                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const LshParams body = o.EffectiveLsh();
  const LshParams title = o.EffectiveTitleLsh();

  std::cout << absl::StrFormat("neardup plan: --algo %s, --match %s, --cluster %s, %d thread%s\n",
                               AlgorithmName(o.algo), MatchModeName(o.match),
                               ClusterModeName(o.cluster), threads, threads == 1 ? "" : "s");
  std::cout << "\nCorpus\n";
  for (const std::string& note : c.notes) std::cout << "  " << note << "\n";
  std::cout << absl::StrFormat(
      "  documents %s%s, %s (%.0f bytes a document); titles in %.0f%%, bodies in %.0f%%\n",
      c.estimated && flags.documents == 0 ? "about " : "", Count(c.documents), Bytes(c.bytes),
      c.documents > 0 ? c.bytes / c.documents : 0.0, 100 * c.title_share, 100 * c.body_share);

  std::cout << "\nCandidates\n";
  const double title_t = o.title_threshold, body_t = o.threshold;
  if (o.algo == Algorithm::kMinHash) {
    std::cout << absl::StrFormat(
        "  body:  threshold %.2f, %s, %d bands x %d rows (%d of %d permutations)%s\n", body_t,
        o.shingle.ToString(), body.bands, body.rows, body.bands * body.rows, o.num_perm,
        o.lsh ? ", as given" : "");
    std::cout << absl::StrFormat(
        "  title: threshold %.2f, %s, %d bands x %d rows (%d of %d permutations)%s\n", title_t,
        o.title_shingle.ToString(), title.bands, title.rows, title.bands * title.rows, o.num_perm,
        o.title_lsh ? ", as given" : "");
    std::cout << absl::StrFormat(
        "  chosen so that a pair %.2f above the threshold is a candidate with probability >= "
        "%.2f (fewest false candidates); buckets above %d members are capped\n",
        kLshRecallMargin, kLshMinRecall, o.max_bucket);
    PrintSCurve({{"body", body}, {"title", title}}, {body_t, title_t});
  } else if (o.algo == Algorithm::kSimHash) {
    const SimHashTableLayout layout = ChooseSimHashLayout(o.max_hamming);
    std::cout << absl::StrFormat(
        "  simhash: pairs within %d of 64 bits (similarity >= %.3f), %d blocks, %d tables of "
        ">= %d-bit keys; every such pair is found (no S-curve)\n",
        o.max_hamming, 1 - o.max_hamming / 64.0, layout.num_blocks, layout.num_tables(),
        layout.min_key_bits());
  } else {
    std::cout << absl::StrFormat(
        "  exact: prefix-filtered all-pairs join; every pair at or above the threshold (body "
        "%.2f, title %.2f) is found (no S-curve); join memory limit %s\n",
        body_t, title_t, Bytes(static_cast<double>(o.memory_limit)));
  }

  int bands_at_once = std::min(threads, std::max(body.bands, title.bands));
  // lsh.h SpillOptions: bands side by side only while that many bands' keys fit the limit; a
  // band that alone does not fit is sorted in runs on disk.
  const double band_bytes =
      16 * c.documents * std::max(c.title_share, c.body_share);
  const double limit = static_cast<double>(o.memory_limit);
  const bool minhash = o.algo == Algorithm::kMinHash;
  if (minhash && band_bytes * bands_at_once > limit) bands_at_once = 1;
  const bool spills = minhash && band_bytes > limit;
  const MemoryPlan m = PlanMemory(o, c, threads, bands_at_once);
  std::cout << "\nMemory (a model of the run's arrays; the peak is the larger stage)\n";
  auto stage = [&](const char* name, const std::vector<MemoryLine>& lines, double total) {
    std::cout << absl::StrFormat("  %s: %s (%.0f bytes a document)\n", name, Bytes(total),
                                 c.documents > 0 ? total / c.documents : 0.0);
    for (const MemoryLine& l : lines) {
      if (l.bytes > 0) std::cout << absl::StrFormat("    %-58s %10s\n", l.what, Bytes(l.bytes));
    }
  };
  stage("reading and signing", m.read, m.read_total);
  stage("finding candidates", m.candidates, m.candidates_total);
  const double peak = std::max(m.read_total, m.candidates_total);
  std::cout << absl::StrFormat("  expected peak: %s (%.0f bytes a document)\n", Bytes(peak),
                               c.documents > 0 ? peak / c.documents : 0.0);
  if (o.algo == Algorithm::kExact && m.candidates[2].bytes > static_cast<double>(o.memory_limit)) {
    std::cout << absl::StrFormat(
        "  warning: the join needs about %s, more than --memory-limit %s: the run would refuse\n",
        Bytes(m.candidates[2].bytes), Bytes(static_cast<double>(o.memory_limit)));
  }

  const double cluster_file = c.documents * (kClusterLineBytes + 2 * c.id_bytes);
  std::cout << "\nDisk\n";
  std::cout << absl::StrFormat("  inputs: %s on disk, %s as read\n", Bytes(c.disk_bytes),
                               Bytes(c.bytes));
  std::cout << absl::StrFormat("  cluster -o: about %s (%.0f bytes a document)\n",
                               Bytes(cluster_file), c.documents > 0 ? cluster_file / c.documents : 0);
  std::cout << absl::StrFormat(
      "  dedup -o and --dropped: %s together (every record is kept or dropped, as read); "
      "--dropped-map at most %s\n",
      Bytes(c.bytes), Bytes(cluster_file));
  if (spills) {
    std::cout << absl::StrFormat(
        "  band keys: %s a band, more than --memory-limit %s: sorted in runs of 12-byte records "
        "on disk (--temp-dir, else $TMPDIR), one band at a time, about %s\n",
        Bytes(band_bytes), Bytes(limit), Bytes(band_bytes * 12 / 16));
  }
  std::cout << "  outputs are written beside their targets and renamed: no other temporary "
               "space, except standard input, spooled to $TMPDIR when read twice, and band "
               "keys beyond --memory-limit\n";

  std::cout << "\nTime\n";
  double seconds;
  if (flags.speed_mb > 0) {
    seconds = c.bytes / 1e6 / flags.speed_mb;
    std::cout << absl::StrFormat("  at --speed %.1f MB/s: %s\n", flags.speed_mb, Seconds(seconds));
  } else {
    const double one = c.documents * kMicrosPerDocument * 1e-6 + c.bytes * kNanosPerByte * 1e-9;
    const double eff = threads == 1 ? 1.0 : threads * kThreadEfficiency;
    seconds = one / eff;
    std::cout << absl::StrFormat(
        "  about %s at %d thread%s (%s documents/s, %.1f MB/s)\n", Seconds(seconds), threads,
        threads == 1 ? "" : "s", Count(seconds > 0 ? c.documents / seconds : 0),
        seconds > 0 ? c.bytes / 1e6 / seconds : 0.0);
    std::cout << absl::StrFormat(
        "  model: %.1f us a document + %.1f ns a byte per thread, %.3g efficiency per added "
        "thread, measured for minhash on a shared 2-core machine; --speed MB/s for your own\n",
        kMicrosPerDocument, kNanosPerByte, kThreadEfficiency);
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddPlanCommand(CLI::App* app, std::function<int()>* run) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app->add_subcommand(
      "plan",
      "Before any hashing: the LSH bands and rows, the S-curve, and the memory, disk and time a "
      "cluster run with the same flags should take");
  flags->run.Add(cmd);
  cmd->get_option("inputs")->required(false)->description(
      "Input files to size (optional): each file's size on disk and its first --sample-bytes "
      "of records give the document count and shape; nothing else is read");
  cmd->add_option("--documents,-n", flags->documents,
                  "Documents in the corpus (overrides the estimate from INPUT)");
  cmd->add_option("--bytes", flags->bytes,
                  "Corpus bytes as read, e.g. 2G (overrides the estimate from INPUT; default "
                  "without INPUT: 2,000 bytes a document)");
  cmd->add_option("--speed", flags->speed_mb,
                  "Expected throughput in MB/s for this run (default: the measured model below)");
  cmd->add_option("--sample-bytes", flags->sample_bytes,
                  "Bytes of records read from the start of each INPUT")
      ->capture_default_str();
  cmd->footer(absl::StrFormat(
      "Takes every flag of `neardup cluster`, so a cluster command line can be planned by "
      "changing its subcommand. Prints:\n"
      "  Candidates  bands x rows per field (as the run chooses them: a pair %.2f above the "
      "threshold is a candidate with probability >= %.2f), and the S-curve 1-(1-s^rows)^bands "
      "at s = 0.30, 0.35, ..., 0.95\n"
      "  Memory      a model of the arrays the run allocates: per document ids, lengths and "
      "slots (about 40 bytes), two hash maps while reading (25-byte slots, 44-88%% full), "
      "num_perm x %.1f bytes of MinHash per field (8 for simhash, 8 a shingle for exact), %.0f x "
      "the batches in flight, %s of baseline; then the LSH buckets, 16 bytes a document per "
      "band being sorted (resident bytes, as --stats peak_memory_bytes counts them)\n"
      "  Disk        inputs, the cluster file (about %.0f bytes + 2 ids a line), dedup outputs "
      "(the input's size)\n"
      "  Time        %.1f us a document + %.1f ns a byte per thread, %.3g efficiency per thread "
      "(minhash, measured on a shared 2-core machine); or the corpus at --speed MB/s\n"
      "Without INPUT: --documents and/or --bytes, every document with a title and a body.\n",
      kLshRecallMargin, kLshMinRecall, kStoredMinHashBits / 8.0, kBatchFactor, Bytes(static_cast<double>(kBaselineBytes)),
      kClusterLineBytes, kMicrosPerDocument, kNanosPerByte, kThreadEfficiency));
  *run = [flags] { return Run(*flags); };
  return cmd;
}

}  // namespace neardup::cli
