#include "neardup/clean/clean_files.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "neardup/io/writer.h"
#include "neardup/stats.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"
#include "tbb/task_group.h"

namespace neardup {
namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr size_t kBatchBytes = size_t{4} << 20;

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  }
  return true;
}

// One record of pass 2, from parsing to writing.
struct Pending {
  enum class State : uint8_t { kBad, kOversized, kNoText, kGood };
  State state = State::kGood;
  size_t file = 0;
  uint64_t line = 0;
  uint64_t start = 0;   // offset in its input (oversized records are copied from there)
  uint64_t length = 0;  // oversized: true length
  std::string raw;      // as read (an oversized record: its prefix only)
  std::string repaired; // jsonl with invalid UTF-8: what was parsed; else empty (raw was)
  std::string reason;   // kBad
  size_t begin = 0, end = 0;  // the text value's place in raw (or repaired)
  std::string id;
  std::string body;
  size_t body_bytes = 0;
  std::string cleaned;  // body without its boilerplate lines (span search input)
  std::vector<Removal> removals;  // line removals, then all, in original offsets
  // Rendered in parallel before the serial write (Render): the rewritten record (when there
  // are removals), the --removed lines, and whether the text became empty.
  std::string output;
  std::string removed_lines;
  bool emptied = false;
  std::string_view parsed() const { return repaired.empty() ? raw : repaired; }
};

// Per-thread parsing state for one file.
struct Worker {
  Worker(Format format, const FieldNames& fields, const std::string& label,
         const std::vector<std::string>& columns, const Normalizer* normalizer)
      : parser(format, fields, label, columns), normalizer(normalizer) {}
  RecordParser parser;
  const Normalizer* normalizer;
  Document doc;
  std::string scratch;
};

class Cleaner {
 public:
  Cleaner(const CleanFilesOptions& options, AtomicFile* out, AtomicFile* removed,
          const std::function<void(std::string_view)>& warn)
      : options_(options),
        out_(out),
        removed_(removed),
        warn_(warn),
        normalizer_(LineNormalizeOptions()) {}

  // A run that failed may leave a shard in the background: wait for it (its error, if any, is
  // the second one and is dropped).
  ~Cleaner() {
    try {
      group_.wait();
    } catch (...) {
    }
  }

  absl::StatusOr<CleanFigures> Run();

 private:
  const std::string& Label(size_t file) const {
    return options_.labels.empty() ? options_.inputs[file] : options_.labels[file];
  }
  absl::Status ResolveFormats();
  // Reads every input, calling `batch(file, reader, batch)` for each batch in order.
  absl::Status ForEachBatch(
      const std::function<absl::Status(size_t, const RecordReader&, const RecordBatch&)>& batch);
  absl::Status CountLines();
  absl::Status CleanPass();
  // A shard of records on its way out: searched for spans and rendered (in the background),
  // then written.
  struct Shard {
    std::vector<Pending> records;
    uint64_t candidate_bytes = 0;
    double span_seconds = 0;
    absl::Status status;
  };
  // Hands the current shard to the background (after writing the one before it).
  absl::Status FlushShard();
  // Waits for the shard in the background and writes it.
  absl::Status FinishInFlight();
  absl::Status Search(Shard* shard) const;
  void Render(Pending* p) const;
  absl::Status WriteRecord(const Pending& p);

  const CleanFilesOptions& options_;
  AtomicFile* out_;
  AtomicFile* removed_;
  const std::function<void(std::string_view)>& warn_;
  Normalizer normalizer_;
  std::vector<Format> formats_;
  LineCounts counts_;
  uint64_t threshold_ = UINT64_MAX;
  CleanFigures figures_;
  std::vector<Pending> shard_;
  std::unique_ptr<Shard> in_flight_;
  tbb::task_group group_;
  uint64_t shard_bytes_ = 0;
  bool header_written_ = false;
  std::vector<std::string> first_columns_;
  size_t first_header_file_ = 0;
  bool owes_newline_ = false;
};

absl::Status Cleaner::ResolveFormats() {
  for (size_t f = 0; f < options_.inputs.size(); ++f) {
    const Format format =
        options_.format == Format::kAuto ? GuessFormat(options_.inputs[f]) : options_.format;
    if (!formats_.empty() && format != formats_[0]) {
      return absl::InvalidArgumentError(absl::StrCat(
          Label(f), " is ", std::string(FormatName(format)), " and ", Label(0), " is ",
          std::string(FormatName(formats_[0])),
          ": their records cannot go into one output file"));
    }
    formats_.push_back(format);
  }
  return absl::OkStatus();
}

absl::Status Cleaner::ForEachBatch(
    const std::function<absl::Status(size_t, const RecordReader&, const RecordBatch&)>& batch) {
  RecordBatch records;
  for (size_t f = 0; f < options_.inputs.size(); ++f) {
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                     RecordReader::Open(options_.inputs[f], formats_[f],
                                        options_.max_record_bytes));
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(kBatchBytes, &records));
      if (!more) break;
      RETURN_IF_ERROR(batch(f, *reader, records));
    }
  }
  return absl::OkStatus();
}

absl::Status Cleaner::CountLines() {
  std::vector<std::vector<uint64_t>> hashes;
  std::vector<uint8_t> good;
  return ForEachBatch([&](size_t f, const RecordReader& reader,
                          const RecordBatch& batch) -> absl::Status {
    tbb::enumerable_thread_specific<Worker> workers(formats_[f], options_.fields, Label(f),
                                                    reader.columns(), &normalizer_);
    const size_t n = batch.size();
    if (hashes.size() < n) hashes.resize(n);
    good.assign(n, 0);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16), [&](const auto& range) {
      Worker& w = workers.local();
      for (size_t i = range.begin(); i != range.end(); ++i) {
        hashes[i].clear();
        if (batch.oversized(i)) continue;
        if (!w.parser.Parse(batch.record(i), batch.line_numbers[i], &w.doc).ok()) continue;
        good[i] = 1;
        if (!(w.doc.has & Document::kHasText)) continue;
        ForEachLine(w.doc.body, normalizer_, &w.scratch,
                    [&](size_t, size_t, uint64_t h) { hashes[i].push_back(h); });
      }
    });
    for (size_t i = 0; i < n; ++i) {
      if (good[i]) counts_.AddDocument(&hashes[i]);
    }
    if (counts_.memory_bytes() > options_.clean.line_table_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the line table holds ", counts_.distinct_lines(), " distinct lines in ",
          counts_.memory_bytes(), " bytes, over its limit of ", options_.clean.line_table_bytes,
          " (--line-memory); raise it, or clean the corpus in parts"));
    }
    return absl::OkStatus();
  });
}

absl::Status Cleaner::CleanPass() {
  std::vector<Pending> batch_records;
  return ForEachBatch([&](size_t f, const RecordReader& reader,
                          const RecordBatch& batch) -> absl::Status {
    const std::string& header = reader.header_raw();
    if (!header.empty() && batch.size() > 0) {
      if (!header_written_) {
        RETURN_IF_ERROR(out_->Write(header));
        first_columns_ = reader.columns();
        first_header_file_ = f;
        header_written_ = true;
      } else if (reader.columns() != first_columns_ && f != first_header_file_) {
        return absl::InvalidArgumentError(
            absl::StrCat(Label(f), ": its header row differs from ", Label(first_header_file_),
                         "'s, so its records cannot go into one output file"));
      }
    }
    tbb::enumerable_thread_specific<Worker> workers(formats_[f], options_.fields, Label(f),
                                                    reader.columns(), &normalizer_);
    const size_t n = batch.size();
    batch_records.clear();
    batch_records.resize(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16), [&](const auto& range) {
      Worker& w = workers.local();
      for (size_t i = range.begin(); i != range.end(); ++i) {
        Pending& p = batch_records[i];
        p.file = f;
        p.line = batch.line_numbers[i];
        p.start = batch.starts.empty() ? 0 : batch.starts[i];
        p.raw.assign(batch.record(i));
        if (batch.oversized(i)) {
          p.state = Pending::State::kOversized;
          p.length = batch.oversized_length[i];
          continue;
        }
        absl::Status s = w.parser.Parse(p.raw, p.line, &w.doc);
        if (!s.ok()) {
          p.state = Pending::State::kBad;
          p.reason = std::string(s.message());
          continue;
        }
        p.id = w.doc.id;
        const RecordParser::TextSpan span = w.parser.text_span();
        if (!span.found) {
          p.state = Pending::State::kNoText;
          continue;
        }
        if (span.bytes.data() != p.raw.data()) p.repaired.assign(span.bytes);
        p.begin = span.begin;
        p.end = span.end;
        p.body = std::move(w.doc.body);
        p.body_bytes = p.body.size();
        if (threshold_ != UINT64_MAX) {
          FindBoilerplateLines(p.body, counts_, threshold_, normalizer_, &w.scratch, &p.removals);
        }
        if (options_.clean.spans != SpanMode::kOff) p.cleaned = ApplyRemovals(p.body, p.removals);
      }
    });
    for (Pending& p : batch_records) {
      const uint64_t size = p.cleaned.size() + 1;
      if (!shard_.empty() && shard_bytes_ + size > options_.clean.span_shard_bytes) {
        RETURN_IF_ERROR(FlushShard());
      }
      shard_bytes_ += size;
      shard_.push_back(std::move(p));
    }
    if (options_.clean.spans == SpanMode::kOff) RETURN_IF_ERROR(FlushShard());
    return absl::OkStatus();
  });
}

absl::Status Cleaner::FlushShard() {
  if (shard_.empty()) return absl::OkStatus();
  // The shard is searched and rendered in the background while the next one is read and
  // parsed; the one before it is written first, so the output stays in input order.
  RETURN_IF_ERROR(FinishInFlight());
  in_flight_ = std::make_unique<Shard>();
  in_flight_->records = std::move(shard_);
  shard_.clear();
  shard_bytes_ = 0;
  Shard* shard = in_flight_.get();
  group_.run([this, shard] { shard->status = Search(shard); });
  return absl::OkStatus();
}

absl::Status Cleaner::FinishInFlight() {
  if (in_flight_ == nullptr) return absl::OkStatus();
  group_.wait();
  std::unique_ptr<Shard> shard = std::move(in_flight_);
  RETURN_IF_ERROR(shard->status);
  figures_.span_candidate_bytes += shard->candidate_bytes;
  figures_.span_seconds += shard->span_seconds;
  if (options_.clean.spans != SpanMode::kOff) ++figures_.span_shards;
  for (const Pending& p : shard->records) RETURN_IF_ERROR(WriteRecord(p));
  return absl::OkStatus();
}

absl::Status Cleaner::Search(Shard* shard) const {
  std::vector<Pending>& records = shard->records;
  if (options_.clean.spans != SpanMode::kOff) {
    const auto start = Clock::now();
    std::vector<std::string_view> texts;
    std::vector<size_t> which;
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].state != Pending::State::kGood) continue;
      texts.push_back(records[i].cleaned);
      which.push_back(i);
    }
    std::vector<std::vector<Removal>> spans;
    RETURN_IF_ERROR(FindRepeatedSpans(texts, options_.clean.spans,
                                      options_.clean.min_span_bytes, &spans,
                                      &shard->candidate_bytes));
    // Back to offsets of the original value, merged with the line removals.
    tbb::parallel_for(size_t{0}, which.size(), [&](size_t k) {
      Pending& p = records[which[k]];
      p.cleaned.clear();
      p.cleaned.shrink_to_fit();
      if (spans[k].empty()) return;
      std::vector<Removal> merged;
      MapToOriginal(p.removals, spans[k], &merged);
      merged.insert(merged.end(), p.removals.begin(), p.removals.end());
      std::sort(merged.begin(), merged.end(),
                [](const Removal& a, const Removal& b) { return a.start < b.start; });
      p.removals = std::move(merged);
    });
    shard->span_seconds = SecondsSince(start);
  }
  tbb::parallel_for(tbb::blocked_range<size_t>(0, records.size(), 16), [&](const auto& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) Render(&records[i]);
  });
  return absl::OkStatus();
}

absl::Status Cleaner::WriteRecord(const Pending& p) {
  ++figures_.read;
  auto emit = [&](std::string_view bytes) -> absl::Status {
    if (owes_newline_) RETURN_IF_ERROR(out_->Write("\n"));
    RETURN_IF_ERROR(out_->Write(bytes));
    owes_newline_ = bytes.empty() || bytes.back() != '\n';
    ++figures_.written;
    return absl::OkStatus();
  };
  switch (p.state) {
    case Pending::State::kBad:
      ++figures_.bad;
      warn_(absl::StrCat(p.reason, "; written unchanged"));
      return emit(p.raw);
    case Pending::State::kOversized: {
      ++figures_.oversized;
      warn_(absl::StrCat(Label(p.file), ":", p.line, ": a record of ", p.length,
                         " bytes, over --max-record-bytes ", options_.max_record_bytes,
                         "; written unchanged"));
      if (owes_newline_) RETURN_IF_ERROR(out_->Write("\n"));
      char last = '\n';
      RETURN_IF_ERROR(CopyInputBytes(options_.inputs[p.file], p.start, p.length,
                                     [&](std::string_view piece) {
                                       if (!piece.empty()) last = piece.back();
                                       return out_->Write(piece);
                                     }));
      owes_newline_ = last != '\n';
      ++figures_.written;
      return absl::OkStatus();
    }
    case Pending::State::kNoText:
      ++figures_.documents;
      return emit(p.raw);
    case Pending::State::kGood:
      break;
  }
  ++figures_.documents;
  ++figures_.with_text;
  figures_.text_bytes += p.body_bytes;
  if (p.removals.empty()) return emit(p.raw);
  ++figures_.changed;
  for (const Removal& r : p.removals) {
    if (r.kind == Removal::Kind::kLine) {
      ++figures_.lines_removed;
      figures_.line_bytes_removed += r.end - r.start;
    } else {
      ++figures_.spans_removed;
      figures_.span_bytes_removed += r.end - r.start;
    }
  }
  if (removed_ != nullptr) RETURN_IF_ERROR(removed_->Write(p.removed_lines));
  if (p.emptied) {
    ++figures_.emptied;
    if (options_.drop_empty) {
      ++figures_.dropped;
      return absl::OkStatus();
    }
  }
  return emit(p.output);
}

void Cleaner::Render(Pending* p) const {
  if (p->state != Pending::State::kGood || p->removals.empty()) return;
  if (removed_ != nullptr) {
    std::string& line = p->removed_lines;
    for (const Removal& r : p->removals) {
      line.append("{\"id\":");
      internal::AppendJsonString(&line, p->id);
      line.append(",\"field\":");
      internal::AppendJsonString(&line, options_.fields.text);
      absl::StrAppend(&line, ",\"start\":", r.start, ",\"end\":", r.end, ",\"kind\":\"",
                      std::string(RemovalKindName(r.kind)), "\",\"count\":", r.count,
                      ",\"text\":");
      internal::AppendJsonString(&line, std::string_view(p->body).substr(r.start, r.end - r.start));
      line.append("}\n");
    }
  }
  const std::string value = ApplyRemovals(p->body, p->removals);
  p->emptied = IsBlank(value) && !IsBlank(p->body);
  RewriteTextValue(formats_[p->file], p->parsed(), p->begin, p->end, value, &p->output);
  p->body.clear();
  p->body.shrink_to_fit();
}

absl::StatusOr<CleanFigures> Cleaner::Run() {
  RETURN_IF_ERROR(options_.clean.Validate());
  RETURN_IF_ERROR(ResolveFormats());
  auto start = Clock::now();
  if (options_.clean.lines) {
    RETURN_IF_ERROR(CountLines());
    threshold_ = LineThreshold(options_.clean, counts_.documents());
    figures_.distinct_lines = counts_.distinct_lines();
    figures_.boilerplate_lines = counts_.CountAtLeast(threshold_);
    figures_.line_threshold = threshold_;
    figures_.line_table_bytes = counts_.memory_bytes();
  }
  figures_.count_seconds = SecondsSince(start);
  start = Clock::now();
  RETURN_IF_ERROR(CleanPass());
  RETURN_IF_ERROR(FlushShard());
  RETURN_IF_ERROR(FinishInFlight());
  figures_.clean_seconds = SecondsSince(start);
  if (figures_.documents > 0 && figures_.with_text == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no record has the text field \"", options_.fields.text,
        "\", so nothing was cleaned; name the field with --text-field"));
  }
  return figures_;
}

}  // namespace

void RewriteTextValue(Format format, std::string_view record, size_t begin, size_t end,
                      std::string_view value, std::string* out) {
  out->append(record.substr(0, begin));
  switch (format) {
    case Format::kJsonl:
      internal::AppendJsonString(out, value);
      break;
    case Format::kCsv: {
      const bool was_quoted = begin < end && record[begin] == '"';
      const bool needs = value.find_first_of(",\"\r\n") != std::string_view::npos;
      if (was_quoted || needs) {
        out->push_back('"');
        for (char c : value) {
          if (c == '"') out->push_back('"');
          out->push_back(c);
        }
        out->push_back('"');
      } else {
        out->append(value);
      }
      break;
    }
    default:
      out->append(value);
      break;
  }
  out->append(record.substr(end));
}

absl::StatusOr<CleanFigures> CleanFiles(const CleanFilesOptions& options, AtomicFile* out,
                                        AtomicFile* removed,
                                        const std::function<void(std::string_view)>& warn) {
  Cleaner cleaner(options, out, removed, warn);
  return cleaner.Run();
}

std::string CleanStatsJson(const CleanFilesOptions& options, const CleanFigures& f) {
  const double total = f.count_seconds + f.clean_seconds;
  const double mb = static_cast<double>(f.text_bytes) / 1e6;
  std::string out = "{\n";
  auto add = [&](std::string_view key, std::string value, bool last = false) {
    absl::StrAppend(&out, "  \"", std::string(key), "\": ", value, last ? "\n" : ",\n");
  };
  auto num = [](double v) {
    std::string s;
    internal::AppendJsonNumber(&s, v);
    return s;
  };
  add("command", "\"clean\"");
  add("records_read", absl::StrCat(f.read));
  add("records_bad", absl::StrCat(f.bad));
  add("records_oversized", absl::StrCat(f.oversized));
  add("documents", absl::StrCat(f.documents));
  add("documents_with_text", absl::StrCat(f.with_text));
  add("documents_changed", absl::StrCat(f.changed));
  add("documents_emptied", absl::StrCat(f.emptied));
  add("documents_dropped", absl::StrCat(f.dropped));
  add("records_written", absl::StrCat(f.written));
  add("text_bytes", absl::StrCat(f.text_bytes));
  add("line_bytes_removed", absl::StrCat(f.line_bytes_removed));
  add("span_bytes_removed", absl::StrCat(f.span_bytes_removed));
  add("lines_removed", absl::StrCat(f.lines_removed));
  add("spans_removed", absl::StrCat(f.spans_removed));
  add("distinct_lines", absl::StrCat(f.distinct_lines));
  add("boilerplate_lines", absl::StrCat(f.boilerplate_lines));
  add("line_threshold", absl::StrCat(f.line_threshold));
  add("line_table_bytes", absl::StrCat(f.line_table_bytes));
  add("span_shards", absl::StrCat(f.span_shards));
  add("span_candidate_bytes", absl::StrCat(f.span_candidate_bytes));
  std::string field;
  internal::AppendJsonString(&field, options.fields.text);
  add("text_field", field);
  add("lines", options.clean.lines ? "true" : "false");
  add("min_docs", absl::StrCat(options.clean.min_docs));
  add("min_doc_share", num(options.clean.min_doc_share));
  add("substrings", options.clean.spans == SpanMode::kOff     ? "\"off\""
                    : options.clean.spans == SpanMode::kLater ? "\"later\""
                                                              : "\"all\"");
  add("min_span_bytes", absl::StrCat(options.clean.min_span_bytes));
  add("span_shard_bytes", absl::StrCat(options.clean.span_shard_bytes));
  add("count_seconds", num(f.count_seconds));
  add("clean_seconds", num(f.clean_seconds));
  add("span_seconds", num(f.span_seconds));
  add("text_mb_per_second", num(total > 0 ? mb / total : 0));
  add("peak_memory_bytes", absl::StrCat(PeakMemoryBytes()), true);
  out.append("}\n");
  return out;
}

}  // namespace neardup
