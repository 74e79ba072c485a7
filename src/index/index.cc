#include "neardup/index/index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "index/store.h"
#include "internal/hash.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "internal/temp_dir.h"
#include "neardup/cluster/stories.h"
#include "neardup/io/reader.h"
#include "neardup/io/writer.h"
#include "neardup/sketch/engine.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/global_control.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"

namespace neardup {

using index_internal::GetBytes;
using index_internal::GetFixed;
using index_internal::OrdinalKey;
using index_internal::OrdinalOfKey;
using index_internal::PutBytes;
using index_internal::PutFixed;
using index_internal::Store;
using index_internal::Txn;

namespace {

constexpr char kMarkerFile[] = "NEARDUP_INDEX";
constexpr char kLockFile[] = "writer.lock";
constexpr uint32_t kNoCluster = std::numeric_limits<uint32_t>::max();
// The stop-shingle table's words per field (a 2^18-bit count-min bitmap, internal/runner.h).
constexpr size_t kStopWords = (size_t{1} << 18) / 64;
// LMDB keys are at most 511 bytes; longer ids are keyed by a prefix and their hash.
constexpr size_t kMaxIdKey = 400;

std::string MarkerText() { return absl::StrCat("neardup-index ", kIndexFormatVersion, "\n"); }

// Counters kept in meta/"counters", updated by every commit.
struct Counters {
  uint32_t next_ordinal = 0;
  uint64_t adds = 0;
  uint64_t documents = 0;
  uint64_t clusters = 0;
  uint64_t removed = 0;
  uint32_t next_segment = 0;
  uint64_t text_bytes = 0;
  uint64_t band_entries = 0;
  std::string Encode() const {
    std::string out;
    PutFixed(&out, next_ordinal);
    PutFixed(&out, adds);
    PutFixed(&out, documents);
    PutFixed(&out, clusters);
    PutFixed(&out, removed);
    PutFixed(&out, next_segment);
    PutFixed(&out, text_bytes);
    PutFixed(&out, band_entries);
    return out;
  }
  bool Decode(std::string_view in) {
    return GetFixed(&in, &next_ordinal) && GetFixed(&in, &adds) && GetFixed(&in, &documents) &&
           GetFixed(&in, &clusters) && GetFixed(&in, &removed) && GetFixed(&in, &next_segment) &&
           GetFixed(&in, &text_bytes) && GetFixed(&in, &band_entries) && in.empty();
  }
};

// A band segment: the band keys of the documents of one or more consecutive adds.
struct Segment {
  uint32_t id = 0;
  uint64_t documents = 0;
};
std::string EncodeSegments(const std::vector<Segment>& segments) {
  std::string out;
  for (const Segment& s : segments) {
    PutFixed(&out, s.id);
    PutFixed(&out, s.documents);
  }
  return out;
}
std::vector<Segment> DecodeSegments(std::string_view in) {
  std::vector<Segment> out;
  Segment s;
  while (GetFixed(&in, &s.id) && GetFixed(&in, &s.documents)) out.push_back(s);
  return out;
}
std::string BandBlobKey(uint32_t segment, int field, int band) {
  std::string key = OrdinalKey(segment);
  key.push_back(static_cast<char>(field));
  key.push_back(static_cast<char>(band >> 8));
  key.push_back(static_cast<char>(band));
  return key;
}

// One (key, ordinal) entry of a band segment; arrays of them are sorted by (key, ordinal).
struct BandEntry {
  uint32_t key;
  uint32_t ordinal;
  bool operator<(const BandEntry& o) const {
    return key != o.key ? key < o.key : ordinal < o.ordinal;
  }
};
static_assert(sizeof(BandEntry) == 8, "band entries are packed");

std::string IdKey(std::string_view id) {
  if (id.size() <= kMaxIdKey) return std::string(id);
  std::string key(id.substr(0, kMaxIdKey));
  const internal::Hash128 h = internal::Hash128Of(id, 0x6964);
  PutFixed(&key, h.low);
  PutFixed(&key, h.high);
  return key;
}

// A document's record in the docs table.
struct DocRecord {
  uint32_t cluster = kNoCluster;  // ordinal of the representative
  float similarity = 1;
  uint32_t add = 0;
  std::string_view id;
  std::string_view date;
};
std::string EncodeDoc(uint32_t cluster, float similarity, uint32_t add, std::string_view id,
                      std::string_view date) {
  std::string out;
  PutFixed(&out, cluster);
  PutFixed(&out, similarity);
  PutFixed(&out, add);
  PutBytes(&out, id);
  PutBytes(&out, date);
  return out;
}
bool DecodeDoc(std::string_view in, DocRecord* d) {
  return GetFixed(&in, &d->cluster) && GetFixed(&in, &d->similarity) && GetFixed(&in, &d->add) &&
         GetBytes(&in, &d->id) && GetBytes(&in, &d->date);
}
// A cluster's record: its size and its representative's id (kept after a removal).
std::string EncodeCluster(uint64_t size, std::string_view rep_id) {
  std::string out;
  PutFixed(&out, size);
  out.append(rep_id);
  return out;
}
bool DecodeCluster(std::string_view in, uint64_t* size, std::string_view* rep_id) {
  if (!GetFixed(&in, size)) return false;
  *rep_id = in;
  return true;
}

absl::Status Corrupt(const std::string& dir, std::string_view what) {
  return absl::DataLossError(absl::StrCat(dir, ": the index is damaged (", std::string(what), ")"));
}

// A new record as the signing pass sees it.
struct NewRecord {
  std::string id;     // as the record gives it (the run may rename a repeat)
  std::string text;   // zstd of (title length, title, body)
  std::string date;
  std::vector<uint32_t> keys[2];  // band keys per field (title, body); empty: no sketch
};

// Signs `options.inputs` as the pipeline does (the same reader, parser, normalizer, shingles,
// stop-shingles and MinHash) and keeps, per good record in order, its band keys and its text
// compressed. Bad records are skipped here; the pipeline run reports them.
absl::StatusOr<std::vector<NewRecord>> SignInputs(const PipelineOptions& options,
                                                  const StopShingleTable* stop,
                                                  const std::string& date_field) {
  ASSIGN_OR_RETURN(NewsRules rules, options.BuildNewsRules());
  const Normalizer normalizer(options.normalize, std::move(rules));
  const MinHasher hashers[2] = {
      MinHasher(options.num_perm, options.minhash_seed, options.title_minhash_scheme),
      MinHasher(options.num_perm, options.minhash_seed, options.minhash_scheme)};
  const SketchEngine& engine = SketchEngine::Get(options.algo);
  const LshParams params[2] = {options.EffectiveTitleLsh(), options.EffectiveLsh()};
  const bool wanted[2] = {options.match != MatchMode::kBody, options.match != MatchMode::kTitle};
  const int num_perm = options.num_perm;
  FieldNames fields = options.fields;
  fields.date = date_field;

  struct ThreadState {
    std::vector<std::unique_ptr<RecordParser>> parsers;
    int parsers_file = -1;
    Document doc;
    std::string normalized;
    std::vector<uint64_t> shingles;
    std::string plain;
    ZSTD_CCtx* zstd = nullptr;
    ~ThreadState() { ZSTD_freeCCtx(zstd); }
  };
  tbb::enumerable_thread_specific<ThreadState> states;
  std::vector<NewRecord> out;
  for (size_t file = 0; file < options.inputs.size(); ++file) {
    ASSIGN_OR_RETURN(auto reader, RecordReader::Open(options.inputs[file], options.FormatOf(file),
                                                     options.max_record_bytes));
    const std::vector<std::string> columns = reader->columns();
    RecordBatch batch;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(options.batch_bytes, &batch));
      if (!more) break;
      const size_t n = batch.size();
      std::vector<NewRecord> records(n);
      std::vector<uint8_t> good(n, 0);
      SketchBatch sketches[2];
      for (SketchBatch& b : sketches) engine.ResetBatch(n, num_perm, &b);
      tbb::parallel_for(size_t{0}, n, [&](size_t i) {
        ThreadState& ts = states.local();
        if (ts.parsers_file != static_cast<int>(file)) {
          ts.parsers.clear();
          ts.parsers.push_back(std::make_unique<RecordParser>(
              options.FormatOf(file), fields, options.LabelOf(file), columns));
          ts.parsers_file = static_cast<int>(file);
        }
        if (batch.oversized(i)) return;
        ts.doc.Clear();
        if (!ts.parsers[0]->Parse(batch.record(i), batch.line_numbers[i], &ts.doc).ok()) return;
        good[i] = 1;
        NewRecord& r = records[i];
        r.id = ts.doc.id;
        if (ts.doc.has_date_value) r.date = ts.doc.date_value;
        for (int f = 0; f < 2; ++f) {
          if (!wanted[f]) continue;
          normalizer.Normalize(f == 0 ? ts.doc.title : ts.doc.body,
                               f == 0 ? TextField::kTitle : TextField::kBody, &ts.normalized);
          Shingle(ts.normalized, f == 0 ? options.title_shingle : options.shingle,
                  options.shingle_seed, &ts.shingles);
          if (stop != nullptr && !(*stop)[f].empty()) {
            const std::vector<uint64_t>& bits = (*stop)[f];
            auto bit = [&](uint64_t c) { return bits[c >> 6] >> (c & 63) & 1; };
            const uint64_t mask = (uint64_t{1} << 18) - 1;
            ts.shingles.erase(std::remove_if(ts.shingles.begin(), ts.shingles.end(),
                                             [&](uint64_t h) {
                                               return bit(h & mask) && bit((h >> 32) & mask);
                                             }),
                              ts.shingles.end());
          }
          sketches[f].counts[i] = static_cast<uint32_t>(ts.shingles.size());
          SignContext context;
          context.hasher = &hashers[f];
          context.simhash_weight = options.simhash_weight;
          engine.Sign(context, &ts.shingles, i, num_perm, &sketches[f]);
          if (!sketches[f].present[i]) continue;
          absl::Span<const uint32_t> signature(&sketches[f].minhash[i * num_perm], num_perm);
          r.keys[f].resize(params[f].total_bands());
          for (int b = 0; b < params[f].total_bands(); ++b) {
            r.keys[f][b] = static_cast<uint32_t>(BandKey(signature, params[f], b));
          }
        }
        ts.plain.clear();
        PutBytes(&ts.plain, ts.doc.title);
        ts.plain.append(ts.doc.body);
        if (ts.zstd == nullptr) ts.zstd = ZSTD_createCCtx();
        r.text.resize(ZSTD_compressBound(ts.plain.size()));
        const size_t z = ZSTD_compressCCtx(ts.zstd, r.text.data(), r.text.size(),
                                           ts.plain.data(), ts.plain.size(), 3);
        r.text.resize(ZSTD_isError(z) ? 0 : z);
      });
      for (size_t i = 0; i < n; ++i) {
        if (good[i]) out.push_back(std::move(records[i]));
      }
    }
  }
  return out;
}

// The band segments' arrays of one read transaction, looked up by key.
class BandLookup {
 public:
  absl::Status Load(const Txn& txn, const Store& store, const std::vector<Segment>& segments) {
    for (const Segment& s : segments) {
      for (int f = 0; f < 2; ++f) {
        for (int b = 0; b < 256; ++b) {
          auto blob = txn.Get(store.bands, BandBlobKey(s.id, f, b));
          if (absl::IsNotFound(blob.status())) break;
          if (!blob.ok()) return blob.status();
          if (blob->size() % sizeof(BandEntry) != 0) return Corrupt(store.dir, "a band segment");
          if (arrays_[f].size() <= static_cast<size_t>(b)) arrays_[f].resize(b + 1);
          arrays_[f][b].push_back(*blob);
        }
      }
    }
    return absl::OkStatus();
  }
  // Appends to `out` the ordinals whose band `band` of field `f` has `key` (at most `cap` per
  // segment, the earliest).
  void Find(int f, int band, uint32_t key, size_t cap, std::vector<uint32_t>* out) const {
    if (arrays_[f].size() <= static_cast<size_t>(band)) return;
    for (std::string_view blob : arrays_[f][band]) {
      const char* base = blob.data();
      size_t lo = 0, hi = blob.size() / sizeof(BandEntry);
      auto key_at = [&](size_t i) {
        uint32_t k;
        std::memcpy(&k, base + i * sizeof(BandEntry), 4);
        return k;
      };
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (key_at(mid) < key) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      const size_t n = blob.size() / sizeof(BandEntry);
      for (size_t i = lo, taken = 0; i < n && key_at(i) == key && taken < cap; ++i, ++taken) {
        uint32_t ordinal;
        std::memcpy(&ordinal, base + i * sizeof(BandEntry) + 4, 4);
        out->push_back(ordinal);
      }
    }
  }

 private:
  std::vector<std::vector<std::string_view>> arrays_[2];
};

// Removes its file when it goes.
struct ScopedFile {
  std::string path;
  ~ScopedFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

int HookPoint(const char* point) {
  // Tests: NEARDUP_INDEX_TEST_KILL=POINT kills the process with SIGKILL there (before-commit:
  // inside the write transaction, every change made and not committed).
  const char* want = std::getenv("NEARDUP_INDEX_TEST_KILL");
  if (want != nullptr && std::string_view(want) == point) ::raise(SIGKILL);
  return 0;
}

}  // namespace

absl::Status CheckIndexOptions(const PipelineOptions& options) {
  auto refuse = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("the index does not support ", std::string(what)));
  };
  if (options.algo != Algorithm::kMinHash) {
    return refuse("--algo simhash or exact (its band keys are MinHash's): use --algo minhash");
  }
  if (options.keep != KeepPolicy::kFirst) {
    return refuse("--keep other than first: representatives are the earliest documents added");
  }
  if (options.stories) return refuse("--stories (yet): run `cluster --stories` on the outputs");
  if (options.format != Format::kAuto && options.format != Format::kJsonl) {
    return refuse("--format csv, tsv or text: name inputs by their extension (--format auto)");
  }
  return absl::OkStatus();
}

struct Index::Impl {
  Store store;
  IndexSettings settings;
  int lock_fd = -1;
  ~Impl() {
    if (lock_fd >= 0) ::close(lock_fd);
  }

  absl::StatusOr<Counters> ReadCounters(const Txn& txn) const {
    ASSIGN_OR_RETURN(std::string_view c, txn.Get(store.meta, "counters"));
    Counters counters;
    if (!counters.Decode(c)) return Corrupt(store.dir, "counters");
    return counters;
  }
  absl::StatusOr<std::vector<Segment>> ReadSegments(const Txn& txn) const {
    auto s = txn.Get(store.meta, "segments");
    if (absl::IsNotFound(s.status())) return std::vector<Segment>{};
    if (!s.ok()) return s.status();
    return DecodeSegments(*s);
  }
  // The stop-shingle table fixed by the first add, or nullopt before it.
  absl::StatusOr<std::optional<StopShingleTable>> ReadStop(const Txn& txn) const {
    auto s = txn.Get(store.meta, "stop");
    if (absl::IsNotFound(s.status())) return std::optional<StopShingleTable>();
    if (!s.ok()) return s.status();
    std::string_view in = *s;
    StopShingleTable table;
    for (int f = 0; f < 2; ++f) {
      uint64_t words;
      if (!GetFixed(&in, &words) || (words != 0 && words != kStopWords) ||
          in.size() < words * 8) {
        return Corrupt(store.dir, "stop-shingles");
      }
      table[f].resize(words);
      std::memcpy(table[f].data(), in.data(), words * 8);
      in.remove_prefix(words * 8);
    }
    return std::optional<StopShingleTable>(std::move(table));
  }

  // The neighbourhood run shared by Add and Query: signs the new records, finds the earlier
  // documents they reach, and runs the pipeline over those (first, in the order added) and the
  // new records.
  struct Neighbourhood {
    std::vector<NewRecord> records;
    std::vector<uint32_t> earlier;       // ordinals, ascending
    std::vector<DocRecord> earlier_docs;  // their records (views into the transaction)
    RunResult result;                    // over earlier then new
  };
  absl::StatusOr<Neighbourhood> RunNeighbourhood(const Txn& txn, const PipelineOptions& options,
                                                 const RunCallbacks& callbacks) const {
    RETURN_IF_ERROR(CheckIndexOptions(options));
    ASSIGN_OR_RETURN(std::optional<StopShingleTable> stop, ReadStop(txn));
    ASSIGN_OR_RETURN(std::vector<Segment> segments, ReadSegments(txn));
    Neighbourhood n;
    std::optional<tbb::global_control> threads;
    if (options.threads > 0) {
      threads.emplace(tbb::global_control::max_allowed_parallelism, options.threads);
    }
    ASSIGN_OR_RETURN(n.records,
                     SignInputs(options, stop ? &*stop : nullptr, settings.date_field));
    BandLookup lookup;
    RETURN_IF_ERROR(lookup.Load(txn, store, segments));
    {
      tbb::enumerable_thread_specific<std::vector<uint32_t>> found;
      tbb::parallel_for(size_t{0}, n.records.size(), [&](size_t i) {
        std::vector<uint32_t>& out = found.local();
        for (int f = 0; f < 2; ++f) {
          const std::vector<uint32_t>& keys = n.records[i].keys[f];
          for (size_t b = 0; b < keys.size(); ++b) {
            lookup.Find(f, static_cast<int>(b), keys[b], options.max_bucket, &out);
          }
        }
        if (out.size() > (size_t{1} << 16)) {
          std::sort(out.begin(), out.end());
          out.erase(std::unique(out.begin(), out.end()), out.end());
        }
      });
      for (std::vector<uint32_t>& part : found) {
        n.earlier.insert(n.earlier.end(), part.begin(), part.end());
      }
      std::sort(n.earlier.begin(), n.earlier.end());
      n.earlier.erase(std::unique(n.earlier.begin(), n.earlier.end()), n.earlier.end());
    }
    // The earlier documents, as JSON lines in the index's field names, to a temporary file.
    ScopedFile temp;
    std::vector<uint32_t> live;
    if (!n.earlier.empty()) {
      const std::string dir =
          options.temp_dir.empty() ? internal::TemporaryDirectory() : options.temp_dir;
      std::string path = absl::StrCat(dir, "/neardup-index-", TemporaryOwnerTag(), "-XXXXXX");
      int fd = ::mkstemp(path.data());
      if (fd < 0) {
        return absl::InternalError(absl::StrCat("cannot create a temporary file in ", dir, ": ",
                                                std::strerror(errno)));
      }
      temp.path = path;
      std::string line, plain;
      std::string buffer;
      ZSTD_DCtx* zstd = ZSTD_createDCtx();
      absl::Status status;
      for (uint32_t ordinal : n.earlier) {
        auto doc = txn.Get(store.docs, OrdinalKey(ordinal));
        if (absl::IsNotFound(doc.status())) continue;  // removed
        if (!doc.ok()) {
          status = doc.status();
          break;
        }
        DocRecord record;
        auto text = txn.Get(store.texts, OrdinalKey(ordinal));
        if (!DecodeDoc(*doc, &record) || !text.ok()) {
          status = Corrupt(store.dir, "a document");
          break;
        }
        const unsigned long long size = ZSTD_getFrameContentSize(text->data(), text->size());
        if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
          status = Corrupt(store.dir, "a document's text");
          break;
        }
        plain.resize(size);
        const size_t z = ZSTD_decompressDCtx(zstd, plain.data(), plain.size(), text->data(),
                                             text->size());
        std::string_view in(plain.data(), ZSTD_isError(z) ? 0 : z);
        std::string_view title;
        if (ZSTD_isError(z) || !GetBytes(&in, &title)) {
          status = Corrupt(store.dir, "a document's text");
          break;
        }
        line.assign("{");
        internal::AppendJsonString(&line, options.fields.id);
        line.push_back(':');
        internal::AppendJsonString(&line, record.id);
        line.push_back(',');
        internal::AppendJsonString(&line, options.fields.title);
        line.push_back(':');
        internal::AppendJsonString(&line, title);
        line.push_back(',');
        internal::AppendJsonString(&line, options.fields.text);
        line.push_back(':');
        internal::AppendJsonString(&line, in);
        line.append("}\n");
        buffer += line;
        live.push_back(ordinal);
        n.earlier_docs.push_back(record);
      }
      ZSTD_freeDCtx(zstd);
      size_t written = 0;
      while (status.ok() && written < buffer.size()) {
        ssize_t w = ::write(fd, buffer.data() + written, buffer.size() - written);
        if (w < 0) {
          if (errno == EINTR) continue;
          status = absl::ResourceExhaustedError(
              absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
          break;
        }
        written += static_cast<size_t>(w);
      }
      ::close(fd);
      RETURN_IF_ERROR(status);
    }
    n.earlier = std::move(live);

    PipelineOptions local = options;
    local.inputs.clear();
    local.input_labels.clear();
    if (!n.earlier.empty()) {
      local.inputs.push_back(temp.path);
      local.input_labels.push_back(temp.path + ".jsonl");  // its format: JSON lines
    }
    for (size_t i = 0; i < options.inputs.size(); ++i) {
      local.inputs.push_back(options.inputs[i]);
      local.input_labels.push_back(options.LabelOf(i));
    }
    if (stop) local.stop_shingles = *stop;
    ASSIGN_OR_RETURN(n.result, RunPipeline(local, callbacks));
    const size_t k = n.earlier.size();
    if (n.result.num_documents() != k + n.records.size()) {
      return absl::InternalError(absl::StrCat(
          "the index read ", n.records.size(), " good records and the pipeline ",
          n.result.num_documents() - k, "; please report this"));
    }
    return n;
  }
};

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Index::~Index() = default;

const IndexSettings& Index::settings() const { return impl_->settings; }

absl::Status Index::Create(const std::string& dir, const IndexSettings& settings) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(dir, " exists and is not a directory"));
    }
    if (::access((dir + "/" + kMarkerFile).c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(absl::StrCat(dir, " is already an index"));
    }
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {  // only an empty one goes
      return absl::InvalidArgumentError(
          absl::StrCat(dir, " exists and is not empty; an index needs a directory of its own"));
    }
  }
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
  }
  {
    Store store;
    RETURN_IF_ERROR(index_internal::OpenStore(dir, false, true, &store));
    Txn txn;
    RETURN_IF_ERROR(txn.Begin(store, false));
    std::string record = MarkerText();
    PutFixed<uint32_t>(&record, static_cast<uint32_t>(settings.option_args.size()));
    for (const std::string& a : settings.option_args) PutBytes(&record, a);
    PutBytes(&record, settings.date_field);
    RETURN_IF_ERROR(txn.Put(store.meta, "settings", record));
    RETURN_IF_ERROR(txn.Put(store.meta, "counters", Counters{}.Encode()));
    RETURN_IF_ERROR(txn.Commit());
  }
  // The marker last: a directory without it is not an index.
  std::ofstream marker(dir + "/" + kMarkerFile);
  marker << MarkerText();
  marker.close();
  if (!marker) return absl::InternalError(absl::StrCat("cannot write ", dir, "/", kMarkerFile));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Index>> Index::Open(const std::string& dir, Mode mode) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": no such index (make one with `neardup index create ", dir, "`)"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, " is not an index (not a directory)"));
  }
  std::ifstream marker(dir + "/" + kMarkerFile);
  std::string line;
  if (!marker || !std::getline(marker, line)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, " is not a neardup index (no ", kMarkerFile, " file)"));
  }
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  int version = 0;
  if (words.size() != 2 || words[0] != "neardup-index" || !absl::SimpleAtoi(words[1], &version)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/", kMarkerFile, ": not a neardup index marker: ", line));
  }
  if (version != kIndexFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": index format version ", version, ", this neardup reads version ",
                     kIndexFormatVersion));
  }
  auto impl = std::make_unique<Impl>();
  if (mode == Mode::kWrite) {
    const std::string lock = dir + "/" + kLockFile;
    impl->lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (impl->lock_fd < 0) {
      return absl::InternalError(absl::StrCat("cannot open ", lock, ": ", std::strerror(errno)));
    }
    if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
      char pid[32] = {0};
      ssize_t got = ::pread(impl->lock_fd, pid, sizeof(pid) - 1, 0);
      std::string holder = got > 0 ? std::string(pid, static_cast<size_t>(got)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return absl::FailedPreconditionError(absl::StrCat(
          dir, " is being changed by another neardup",
          holder.empty() ? "" : absl::StrCat(" (process ", holder, ")"),
          "; one add or remove at a time: run this one when it has finished (queries may run "
          "meanwhile)"));
    }
    const std::string pid = absl::StrCat(::getpid(), "\n");
    if (::ftruncate(impl->lock_fd, 0) == 0) {
      (void)!::pwrite(impl->lock_fd, pid.data(), pid.size(), 0);
    }
  }
  RETURN_IF_ERROR(index_internal::OpenStore(dir, mode == Mode::kRead, false, &impl->store));
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(impl->store, true));
  auto record = txn.Get(impl->store.meta, "settings");
  if (!record.ok()) return Corrupt(dir, "no settings");
  std::string_view in = *record;
  const std::string marker_text = MarkerText();
  if (in.substr(0, marker_text.size()) != marker_text) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": its settings are of another index format version"));
  }
  in.remove_prefix(marker_text.size());
  uint32_t count;
  if (!GetFixed(&in, &count)) return Corrupt(dir, "settings");
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view a;
    if (!GetBytes(&in, &a)) return Corrupt(dir, "settings");
    impl->settings.option_args.emplace_back(a);
  }
  std::string_view date;
  if (!GetBytes(&in, &date)) return Corrupt(dir, "settings");
  impl->settings.date_field = std::string(date);
  return std::unique_ptr<Index>(new Index(std::move(impl)));
}

absl::StatusOr<IndexAddResult> Index::Add(
    const PipelineOptions& options, const RunCallbacks& callbacks,
    const std::function<absl::Status(const IndexAddResult&)>& before_commit) {
  if (impl_->lock_fd < 0) return absl::FailedPreconditionError("the index was opened to read");
  const Store& store = impl_->store;
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(store, false));
  ASSIGN_OR_RETURN(Counters counters, impl_->ReadCounters(txn));
  ASSIGN_OR_RETURN(std::optional<StopShingleTable> stop, impl_->ReadStop(txn));
  ASSIGN_OR_RETURN(Impl::Neighbourhood n, impl_->RunNeighbourhood(txn, options, callbacks));
  const RunResult& r = n.result;
  const size_t k = n.earlier.size();
  const size_t m = n.records.size();
  const uint32_t first = counters.next_ordinal;
  if (uint64_t{first} + m >= kNoCluster) {
    return absl::ResourceExhaustedError("the index holds at most 2^32 - 2 documents");
  }

  // Final ids: the run renamed repeats among its own documents; a repeat of a document of an
  // earlier add is renamed here the same way ("ID#2", "ID#3", ...).
  IndexAddResult out;
  std::vector<std::string> ids(m);
  absl::flat_hash_set<std::string> taken;
  for (size_t j = 0; j < m; ++j) {
    std::string id(r.id(k + j));
    auto in_index = [&](const std::string& candidate) {
      return txn.Get(store.ids, IdKey(candidate)).ok() || taken.contains(candidate);
    };
    if (in_index(id)) {
      std::string base = id;
      for (int suffix = 2;; ++suffix) {
        id = absl::StrCat(base, "#", suffix);
        if (!in_index(id)) break;
      }
      if (callbacks.on_duplicate_id) callbacks.on_duplicate_id("", 0, base, id);
    }
    taken.insert(id);
    ids[j] = std::move(id);
  }

  // Clusters: a new document led (in the run) by an earlier one joins that one's cluster.
  std::vector<uint32_t> cluster(m);
  std::vector<uint64_t> size_delta_new(m, 0);
  absl::flat_hash_map<uint32_t, uint64_t> grown;  // earlier cluster -> new members
  out.assignments.resize(m);
  for (size_t j = 0; j < m; ++j) {
    const uint32_t rep = r.representative[k + j];
    IndexAssignment& a = out.assignments[j];
    a.id = ids[j];
    a.similarity = r.similarity[k + j];
    if (rep < k) {
      cluster[j] = n.earlier_docs[rep].cluster;
      ++grown[cluster[j]];
      a.matched = std::string(n.earlier_docs[rep].id);
      a.matched_earlier = true;
    } else if (rep - k == j) {
      cluster[j] = first + static_cast<uint32_t>(j);
      a.representative = true;
      a.similarity = 1;
    } else {
      cluster[j] = first + (rep - static_cast<uint32_t>(k));
      a.matched = ids[rep - k];
    }
    if (cluster[j] >= first) ++size_delta_new[cluster[j] - first];
  }
  // Cluster ids and sizes after the add.
  absl::flat_hash_map<uint32_t, std::pair<uint64_t, std::string>> earlier_clusters;
  for (const auto& [c, added] : grown) {
    auto rec = txn.Get(store.clusters, OrdinalKey(c));
    uint64_t size;
    std::string_view rep_id;
    if (!rec.ok() || !DecodeCluster(*rec, &size, &rep_id)) return Corrupt(store.dir, "a cluster");
    earlier_clusters[c] = {size + added, std::string(rep_id)};
  }
  for (size_t j = 0; j < m; ++j) {
    IndexAssignment& a = out.assignments[j];
    if (cluster[j] >= first) {
      a.cluster = ids[cluster[j] - first];
      a.cluster_size = size_delta_new[cluster[j] - first];
    } else {
      const auto& c = earlier_clusters[cluster[j]];
      a.cluster = c.second;
      a.cluster_size = c.first;
    }
  }
  out.earlier_reached = k;
  out.records_bad = r.counts.records_bad;
  // The new records alone, for WriteDedup: kept = led a new cluster.
  RunResult& nr = out.new_records;
  nr.id_offsets.assign(1, 0);
  for (size_t j = 0; j < m; ++j) {
    nr.id_bytes += ids[j];
    nr.id_offsets.push_back(nr.id_bytes.size());
    nr.representative.push_back(out.assignments[j].representative
                                    ? static_cast<uint32_t>(j)
                                    : std::numeric_limits<uint32_t>::max());
    nr.similarity.push_back(out.assignments[j].similarity);
  }
  for (uint64_t bad : r.bad_record_ordinals) nr.bad_record_ordinals.push_back(bad - k);
  nr.counts = r.counts;
  nr.counts.documents = m;
  nr.counts.records_read = r.counts.records_read - k;

  // The writes, all in this one transaction.
  for (size_t j = 0; j < m; ++j) {
    const uint32_t ordinal = first + static_cast<uint32_t>(j);
    RETURN_IF_ERROR(txn.Put(store.docs, OrdinalKey(ordinal),
                            EncodeDoc(cluster[j], out.assignments[j].similarity,
                                      static_cast<uint32_t>(counters.adds), ids[j],
                                      n.records[j].date),
                            MDB_APPEND));
    RETURN_IF_ERROR(
        txn.Put(store.texts, OrdinalKey(ordinal), n.records[j].text, MDB_APPEND));
    counters.text_bytes += n.records[j].text.size();
  }
  {
    std::vector<size_t> order(m);
    for (size_t j = 0; j < m; ++j) order[j] = j;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return IdKey(ids[a]) < IdKey(ids[b]); });
    std::string value;
    for (size_t j : order) {
      value.clear();
      PutFixed<uint32_t>(&value, first + static_cast<uint32_t>(j));
      RETURN_IF_ERROR(txn.Put(store.ids, IdKey(ids[j]), value));
    }
  }
  for (size_t j = 0; j < m; ++j) {
    if (!out.assignments[j].representative) continue;
    RETURN_IF_ERROR(txn.Put(store.clusters, OrdinalKey(first + static_cast<uint32_t>(j)),
                            EncodeCluster(size_delta_new[j], ids[j]), MDB_APPEND));
    ++counters.clusters;
  }
  for (const auto& [c, rec] : earlier_clusters) {
    RETURN_IF_ERROR(txn.Put(store.clusters, OrdinalKey(c), EncodeCluster(rec.first, rec.second)));
  }
  // This add's band segment, then merges while the newest is as large as the one before.
  ASSIGN_OR_RETURN(std::vector<Segment> segments, impl_->ReadSegments(txn));
  std::vector<uint8_t> removed;  // by ordinal, for merges; loaded when there were removals
  if (counters.removed > 0) {
    removed.assign(first, 0);
    MDB_cursor* cursor;
    RETURN_IF_ERROR(index_internal::LmdbStatus(mdb_cursor_open(txn.get(), store.removed, &cursor),
                                               "cannot read", store.dir));
    MDB_val key, value;
    for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
      const uint32_t o = OrdinalOfKey(std::string_view(static_cast<char*>(key.mv_data), 4));
      if (o < first) removed[o] = 1;
    }
    mdb_cursor_close(cursor);
  }
  const int bands[2] = {options.EffectiveTitleLsh().total_bands(),
                        options.EffectiveLsh().total_bands()};
  if (m > 0) {
    const uint32_t id = counters.next_segment++;
    std::vector<BandEntry> entries;
    for (int f = 0; f < 2; ++f) {
      for (int b = 0; b < bands[f]; ++b) {
        entries.clear();
        for (size_t j = 0; j < m; ++j) {
          if (static_cast<size_t>(b) < n.records[j].keys[f].size()) {
            entries.push_back({n.records[j].keys[f][b], first + static_cast<uint32_t>(j)});
          }
        }
        std::sort(entries.begin(), entries.end());
        ASSIGN_OR_RETURN(char* dst, txn.Reserve(store.bands, BandBlobKey(id, f, b),
                                                entries.size() * sizeof(BandEntry)));
        if (!entries.empty()) std::memcpy(dst, entries.data(), entries.size() * sizeof(BandEntry));
        counters.band_entries += entries.size();
      }
    }
    segments.push_back({id, m});
  }
  while (segments.size() >= 2 &&
         segments.back().documents * 2 >= segments[segments.size() - 2].documents) {
    const Segment older = segments[segments.size() - 2];
    const Segment newer = segments.back();
    const uint32_t id = counters.next_segment++;
    std::vector<BandEntry> merged;
    for (int f = 0; f < 2; ++f) {
      for (int b = 0; b < bands[f]; ++b) {
        merged.clear();
        size_t older_count = 0;
        for (const Segment& s : {older, newer}) {
          auto blob = txn.Get(store.bands, BandBlobKey(s.id, f, b));
          if (!blob.ok()) return Corrupt(store.dir, "a band segment");
          const size_t count = blob->size() / sizeof(BandEntry);
          const size_t at = merged.size();
          merged.resize(at + count);
          if (count > 0) std::memcpy(&merged[at], blob->data(), count * sizeof(BandEntry));
          if (s.id == older.id) older_count = count;
        }
        // Both halves are sorted by (key, ordinal).
        std::inplace_merge(merged.begin(), merged.begin() + static_cast<ptrdiff_t>(older_count),
                           merged.end());
        if (!removed.empty()) {
          const size_t before = merged.size();
          merged.erase(std::remove_if(merged.begin(), merged.end(),
                                      [&](const BandEntry& e) {
                                        return e.ordinal < removed.size() && removed[e.ordinal];
                                      }),
                       merged.end());
          counters.band_entries -= before - merged.size();
        }
        RETURN_IF_ERROR(txn.Delete(store.bands, BandBlobKey(older.id, f, b)));
        RETURN_IF_ERROR(txn.Delete(store.bands, BandBlobKey(newer.id, f, b)));
        ASSIGN_OR_RETURN(char* dst, txn.Reserve(store.bands, BandBlobKey(id, f, b),
                                                merged.size() * sizeof(BandEntry)));
        if (!merged.empty()) std::memcpy(dst, merged.data(), merged.size() * sizeof(BandEntry));
      }
    }
    segments.pop_back();
    segments.back() = {id, older.documents + newer.documents};
  }
  RETURN_IF_ERROR(txn.Put(store.meta, "segments", EncodeSegments(segments)));
  if (!stop) {  // the first add fixes the stop-shingles (sampled from its first documents)
    std::string table;
    for (int f = 0; f < 2; ++f) {
      const std::vector<uint64_t>& bits = r.stop_shingles[f];
      PutFixed<uint64_t>(&table, bits.size());
      table.append(reinterpret_cast<const char*>(bits.data()), bits.size() * 8);
    }
    RETURN_IF_ERROR(txn.Put(store.meta, "stop", table));
  }
  counters.next_ordinal = first + static_cast<uint32_t>(m);
  counters.documents += m;
  ++counters.adds;
  RETURN_IF_ERROR(txn.Put(store.meta, "counters", counters.Encode()));
  if (before_commit) RETURN_IF_ERROR(before_commit(out));
  HookPoint("before-commit");
  RETURN_IF_ERROR(txn.Commit());
  HookPoint("after-commit");
  return out;
}

absl::StatusOr<std::vector<IndexAssignment>> Index::Query(const PipelineOptions& options,
                                                          const RunCallbacks& callbacks) {
  const Store& store = impl_->store;
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(store, true));
  ASSIGN_OR_RETURN(Impl::Neighbourhood n, impl_->RunNeighbourhood(txn, options, callbacks));
  const RunResult& r = n.result;
  const size_t k = n.earlier.size();
  std::vector<IndexAssignment> out(n.records.size());
  for (size_t j = 0; j < out.size(); ++j) {
    IndexAssignment& a = out[j];
    a.id = n.records[j].id;
    const uint32_t rep = r.representative[k + j];
    if (rep >= k) {
      a.similarity = 0;
      a.cluster_size = 0;
      continue;
    }
    const DocRecord& d = n.earlier_docs[rep];
    auto rec = txn.Get(store.clusters, OrdinalKey(d.cluster));
    uint64_t size;
    std::string_view rep_id;
    if (!rec.ok() || !DecodeCluster(*rec, &size, &rep_id)) return Corrupt(store.dir, "a cluster");
    a.cluster = std::string(rep_id);
    a.cluster_size = size;
    a.matched = std::string(d.id);
    a.matched_earlier = true;
    a.similarity = r.similarity[k + j];
  }
  return out;
}

namespace {

// Removes the documents `ordinals` (ascending, present) in `txn`.
absl::Status RemoveOrdinals(const Store& store, Txn* txn, const std::vector<uint32_t>& ordinals,
                            Counters* counters) {
  for (uint32_t o : ordinals) {
    const std::string key = OrdinalKey(o);
    ASSIGN_OR_RETURN(std::string_view value, txn->Get(store.docs, key));
    DocRecord d;
    if (!DecodeDoc(value, &d)) return Corrupt(store.dir, "a document");
    const std::string id(d.id);
    const uint32_t c = d.cluster;
    auto text = txn->Get(store.texts, key);
    if (text.ok()) counters->text_bytes -= text->size();
    RETURN_IF_ERROR(txn->Delete(store.texts, key));
    RETURN_IF_ERROR(txn->Delete(store.docs, key));
    RETURN_IF_ERROR(txn->Delete(store.ids, IdKey(id)));
    RETURN_IF_ERROR(txn->Put(store.removed, key, ""));
    auto rec = txn->Get(store.clusters, OrdinalKey(c));
    uint64_t size;
    std::string_view rep_id;
    if (!rec.ok() || !DecodeCluster(*rec, &size, &rep_id)) return Corrupt(store.dir, "a cluster");
    if (size <= 1) {
      RETURN_IF_ERROR(txn->Delete(store.clusters, OrdinalKey(c)));
      --counters->clusters;
    } else {
      const std::string rep(rep_id);
      RETURN_IF_ERROR(txn->Put(store.clusters, OrdinalKey(c), EncodeCluster(size - 1, rep)));
    }
    --counters->documents;
    ++counters->removed;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> Index::RemoveIds(const std::vector<std::string>& ids, uint64_t* unknown) {
  if (impl_->lock_fd < 0) return absl::FailedPreconditionError("the index was opened to read");
  const Store& store = impl_->store;
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(store, false));
  ASSIGN_OR_RETURN(Counters counters, impl_->ReadCounters(txn));
  std::vector<uint32_t> ordinals;
  *unknown = 0;
  for (const std::string& id : ids) {
    auto v = txn.Get(store.ids, IdKey(id));
    uint32_t o;
    std::string_view in = v.ok() ? *v : std::string_view();
    if (!v.ok() || !GetFixed(&in, &o)) {
      ++*unknown;
      continue;
    }
    ordinals.push_back(o);
  }
  std::sort(ordinals.begin(), ordinals.end());
  ordinals.erase(std::unique(ordinals.begin(), ordinals.end()), ordinals.end());
  RETURN_IF_ERROR(RemoveOrdinals(store, &txn, ordinals, &counters));
  RETURN_IF_ERROR(txn.Put(store.meta, "counters", counters.Encode()));
  HookPoint("before-commit");
  RETURN_IF_ERROR(txn.Commit());
  return ordinals.size();
}

absl::StatusOr<uint64_t> Index::RemoveBefore(int64_t before, uint64_t* undated) {
  if (impl_->lock_fd < 0) return absl::FailedPreconditionError("the index was opened to read");
  const Store& store = impl_->store;
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(store, false));
  ASSIGN_OR_RETURN(Counters counters, impl_->ReadCounters(txn));
  std::vector<uint32_t> ordinals;
  *undated = 0;
  MDB_cursor* cursor;
  RETURN_IF_ERROR(index_internal::LmdbStatus(mdb_cursor_open(txn.get(), store.docs, &cursor),
                                             "cannot read", store.dir));
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    DocRecord d;
    if (!DecodeDoc(std::string_view(static_cast<char*>(value.mv_data), value.mv_size), &d)) {
      mdb_cursor_close(cursor);
      return Corrupt(store.dir, "a document");
    }
    std::optional<int64_t> t = ParseStoryDate(d.date);
    if (!t) {
      ++*undated;
      continue;
    }
    if (*t < before) {
      ordinals.push_back(OrdinalOfKey(std::string_view(static_cast<char*>(key.mv_data), 4)));
    }
  }
  mdb_cursor_close(cursor);
  RETURN_IF_ERROR(RemoveOrdinals(store, &txn, ordinals, &counters));
  RETURN_IF_ERROR(txn.Put(store.meta, "counters", counters.Encode()));
  HookPoint("before-commit");
  RETURN_IF_ERROR(txn.Commit());
  return ordinals.size();
}

absl::StatusOr<IndexStats> Index::Stats() {
  const Store& store = impl_->store;
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(store, true));
  ASSIGN_OR_RETURN(Counters counters, impl_->ReadCounters(txn));
  ASSIGN_OR_RETURN(std::vector<Segment> segments, impl_->ReadSegments(txn));
  IndexStats s;
  s.documents = counters.documents;
  s.clusters = counters.clusters;
  s.adds = counters.adds;
  s.removed = counters.removed;
  s.band_entries = counters.band_entries;
  s.band_segments = segments.size();
  s.text_bytes = counters.text_bytes;
  s.settings = impl_->settings;
  struct stat st;
  if (::stat((store.dir + "/data.mdb").c_str(), &st) == 0) {
    s.file_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  }
  MDB_envinfo info;
  MDB_stat env_stat;
  if (mdb_env_info(store.env, &info) == 0 && mdb_env_stat(store.env, &env_stat) == 0) {
    s.used_bytes = static_cast<uint64_t>(info.me_last_pgno + 1) * env_stat.ms_psize;
  }
  if (!impl_->settings.date_field.empty()) {
    absl::flat_hash_set<int64_t> days;
    MDB_cursor* cursor;
    RETURN_IF_ERROR(index_internal::LmdbStatus(mdb_cursor_open(txn.get(), store.docs, &cursor),
                                               "cannot read", store.dir));
    MDB_val key, value;
    for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
      DocRecord d;
      if (!DecodeDoc(std::string_view(static_cast<char*>(value.mv_data), value.mv_size), &d)) {
        continue;
      }
      std::optional<int64_t> t = ParseStoryDate(d.date);
      if (t) days.insert(*t >= 0 ? *t / 86400 : (*t - 86399) / 86400);
    }
    mdb_cursor_close(cursor);
    s.dated_days = days.size();
  }
  return s;
}

}  // namespace neardup
