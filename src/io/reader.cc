#include "neardup/io/reader.h"

#include "internal/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"
#include "io/line_reader.h"
#include "neardup/text/normalize.h"

namespace neardup {
namespace {

using io::LineReader;
using io::StripLineEnd;

// Debian's Abseil has its own absl::string_view, distinct from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180). One state machine serves both the record-boundary scan in the reader and the
// field split in the parser, so both agree on where quoted fields end.

enum class CsvState {
  kFieldStart,  // at the start of a field
  kUnquoted,    // inside an unquoted field
  kQuoted,      // inside a quoted field
  kQuoteSeen,   // a quote inside a quoted field: either "" (escaped quote) or the closing quote
};

// Advances `state` over `bytes`; a record is complete when the state is not kQuoted at a line end.
CsvState ScanCsv(std::string_view bytes, CsvState state) {
  for (char c : bytes) {
    switch (state) {
      case CsvState::kFieldStart:
        state = c == '"' ? CsvState::kQuoted : c == ',' ? CsvState::kFieldStart : CsvState::kUnquoted;
        break;
      case CsvState::kUnquoted:
        if (c == ',') state = CsvState::kFieldStart;
        break;
      case CsvState::kQuoted:
        if (c == '"') state = CsvState::kQuoteSeen;
        break;
      case CsvState::kQuoteSeen:
        state = c == '"' ? CsvState::kQuoted : c == ',' ? CsvState::kFieldStart : CsvState::kUnquoted;
        break;
    }
  }
  return state;
}

// Splits one CSV record (its final line end already removed) into fields[0, *count). The strings
// in `fields` are reused across calls. A quote inside an unquoted field is kept as content, as
// most readers do; text after a closing quote (`"abc"def`) breaks RFC 4180 and is an error, like
// an unterminated quote: where such a field was meant to end is a guess, so the record is
// skipped (and kept by --rejects) rather than read as some other text.
absl::Status SplitCsv(std::string_view record, std::vector<std::string>* fields, size_t* count) {
  size_t n = 0;
  auto next_field = [&]() -> std::string* {
    if (n == fields->size()) fields->emplace_back();
    std::string* f = &(*fields)[n++];
    f->clear();
    return f;
  };
  std::string* field = next_field();
  CsvState state = CsvState::kFieldStart;
  for (size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    switch (state) {
      case CsvState::kFieldStart:
        if (c == '"') {
          state = CsvState::kQuoted;
        } else if (c == ',') {
          field = next_field();
        } else {
          field->push_back(c);
          state = CsvState::kUnquoted;
        }
        break;
      case CsvState::kUnquoted:
        if (c == ',') {
          field = next_field();
          state = CsvState::kFieldStart;
        } else {
          field->push_back(c);
        }
        break;
      case CsvState::kQuoted: {
        // Copy the run up to the next quote in one go.
        const size_t q = record.find('"', i);
        if (q == std::string_view::npos) {
          *count = n;
          return absl::InvalidArgumentError("unterminated quoted field");
        }
        field->append(record.data() + i, q - i);
        i = q;
        state = CsvState::kQuoteSeen;
        break;
      }
      case CsvState::kQuoteSeen:
        if (c == '"') {
          field->push_back('"');
          state = CsvState::kQuoted;
        } else if (c == ',') {
          field = next_field();
          state = CsvState::kFieldStart;
        } else {
          *count = n;
          return absl::InvalidArgumentError(absl::StrCat(
              "text after the closing quote of field ", n,
              " (RFC 4180: a quoted field ends at its closing quote, and a quote inside it is "
              "written twice)"));
        }
        break;
    }
  }
  if (state == CsvState::kQuoted) {
    *count = n;
    return absl::InvalidArgumentError("unterminated quoted field");
  }
  *count = n;
  return absl::OkStatus();
}

void SplitTsv(std::string_view record, std::vector<std::string>* fields, size_t* count) {
  size_t n = 0;
  for (;;) {
    const size_t tab = record.find('\t');
    if (n == fields->size()) fields->emplace_back();
    (*fields)[n++].assign(record.substr(0, tab));
    if (tab == std::string_view::npos) break;
    record.remove_prefix(tab + 1);
  }
  *count = n;
}

// ---------------------------------------------------------------------------------------------
// RecordReader

class RecordReaderImpl : public RecordReader {
 public:
  RecordReaderImpl(std::unique_ptr<LineReader> lines, Format format, size_t max_record_bytes)
      : lines_(std::move(lines)), format_(format), max_record_bytes_(max_record_bytes) {}

  // csv/tsv: reads the header row (skipping leading empty lines).
  absl::Status ReadHeader() {
    RecordBatch batch;
    batch.Clear();
    ASSIGN_OR_RETURN(bool found, ReadRecord(&batch));
    if (!found) return absl::OkStatus();
    if (batch.oversized(0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          lines_->label(), ":", batch.line_numbers[0], ": header row of ", batch.oversized_length[0],
          " bytes is longer than --max-record-bytes (", max_record_bytes_, ")"));
    }
    header_raw_ = std::move(batch.data);
    std::string_view row = StripLineEnd(header_raw_);
    size_t count = 0;
    if (format_ == Format::kCsv) {
      absl::Status s = SplitCsv(row, &columns_, &count);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(lines_->label(), ":", batch.line_numbers[0], ": header: ", Av(Sv(s.message()))));
      }
    } else {
      SplitTsv(row, &columns_, &count);
    }
    columns_.resize(count);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ReadBatch(size_t target_bytes, RecordBatch* batch) override {
    batch->Clear();
    while (batch->raw_bytes < target_bytes || batch->size() == 0) {
      ASSIGN_OR_RETURN(bool found, ReadRecord(batch));
      if (!found) break;
    }
    return batch->size() > 0;
  }

  const std::string& header_raw() const override { return header_raw_; }
  const std::vector<std::string>& columns() const override { return columns_; }
  uint64_t bytes_consumed() const override { return lines_->bytes_consumed(); }
  size_t buffer_capacity() const override { return lines_->buffer_capacity(); }

 private:
  // Appends the next record to `batch`; false at end of input. The line reader hands a line
  // longer than the limit out in pieces; a record is taken piece by piece, so a record past the
  // limit keeps only its prefix while the rest is counted and dropped.
  absl::StatusOr<bool> ReadRecord(RecordBatch* batch) {
    std::string_view piece;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, lines_->Next(&piece));
      if (!more) return false;
      if (!lines_->line_complete()) break;  // part of an over-long line: never blank
      const bool skip = (format_ == Format::kJsonl || format_ == Format::kText)
                            ? IsBlank(piece)
                            : StripLineEnd(piece).empty();
      if (!skip) break;
    }
    batch->line_numbers.push_back(lines_->line_number());
    batch->starts.push_back(lines_->piece_offset());
    const size_t start = batch->data.size();
    uint64_t length = 0;
    bool oversized = false;
    // csv: a quoted field may hold line ends, so the record goes on until the quote closes at a
    // line end. At end of input inside quotes the record ends there and RecordParser reports it.
    CsvState state = CsvState::kFieldStart;
    for (;;) {
      length += piece.size();
      if (!oversized && length > max_record_bytes_) {
        oversized = true;
        const size_t keep = std::min(kOversizedPrefixBytes, max_record_bytes_);
        const size_t have = batch->data.size() - start;
        if (have < keep) batch->data.append(piece.substr(0, keep - have));
        batch->data.resize(std::min(batch->data.size(), start + keep));
        const size_t lf = batch->data.find('\n', start);
        if (lf != std::string::npos) batch->data.resize(lf);
      } else if (!oversized) {
        batch->data.append(piece);
      }
      if (format_ == Format::kCsv) state = ScanCsv(piece, state);
      if (lines_->line_complete() && state != CsvState::kQuoted) break;
      ASSIGN_OR_RETURN(bool more, lines_->Next(&piece));
      if (!more) break;
    }
    batch->offsets.push_back(batch->data.size());
    batch->oversized_length.push_back(oversized ? length : 0);
    batch->raw_bytes += length;
    return true;
  }

  std::unique_ptr<LineReader> lines_;
  Format format_;
  size_t max_record_bytes_;
  std::string header_raw_;
  std::vector<std::string> columns_;
};

// ---------------------------------------------------------------------------------------------
// JSON helpers

std::string_view JsonTypeName(simdjson::ondemand::json_type type) {
  using simdjson::ondemand::json_type;
  switch (type) {
    case json_type::array: return "an array";
    case json_type::object: return "an object";
    case json_type::number: return "a number";
    case json_type::string: return "a string";
    case json_type::boolean: return "a boolean";
    case json_type::null: return "null";
  }
  return "unknown";
}

std::string Invalid(simdjson::error_code err) {
  return absl::StrCat("invalid JSON: ", simdjson::error_message(err));
}

bool ParseHex4(std::string_view s, size_t i, uint32_t* out) {
  if (i + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
  }
  *out = v;
  return true;
}

// The slow path for a JSON string simdjson refuses (it rejects an unpaired \uD800-\uDFFF escape):
// unescapes `token` (with its quotes) and turns each unpaired surrogate into U+FFFD, as a lenient
// decoder would. Returns false on a genuinely malformed escape.
bool UnescapeLenient(std::string_view token, std::string* out) {
  out->clear();
  if (token.size() < 2 || token.front() != '"') return false;
  const size_t close = token.find_last_of('"');
  if (close == 0) return false;
  std::string_view s = token.substr(1, close - 1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!ParseHex4(s, i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' &&
              ParseHex4(s, i + 3, &low) && low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        internal::AppendUtf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Formats

absl::StatusOr<Format> ParseFormat(std::string_view name) {
  const std::string lower = Lower(name);
  if (lower == "auto") return Format::kAuto;
  if (lower == "jsonl" || lower == "json" || lower == "ndjson") return Format::kJsonl;
  if (lower == "csv") return Format::kCsv;
  if (lower == "tsv") return Format::kTsv;
  if (lower == "text" || lower == "txt") return Format::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", Av(name), "\" (expected auto, jsonl, csv, tsv or text)"));
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kAuto: return "auto";
    case Format::kJsonl: return "jsonl";
    case Format::kCsv: return "csv";
    case Format::kTsv: return "tsv";
    case Format::kText: return "text";
  }
  return "unknown";
}

Format GuessFormat(std::string_view path) {
  std::string name = Lower(path);
  for (std::string_view suffix : {".gz", ".zst"}) {
    if (EndsWith(name, suffix)) {
      name.resize(name.size() - suffix.size());
      break;
    }
  }
  if (EndsWith(name, ".csv")) return Format::kCsv;
  if (EndsWith(name, ".tsv")) return Format::kTsv;
  if (EndsWith(name, ".txt") || EndsWith(name, ".text")) return Format::kText;
  return Format::kJsonl;
}

absl::Status CopyInputBytes(const std::string& path, uint64_t start, uint64_t length,
                            const std::function<absl::Status(std::string_view)>& write) {
  constexpr size_t kPiece = size_t{1} << 20;
  const uint64_t end = start + length;
  const auto short_input = [&] {
    return absl::DataLossError(absl::StrCat(
        path, ": ends before byte ", end, ", where a record read earlier ended: it changed"));
  };
  ASSIGN_OR_RETURN(InputFacts facts, ProbeInput(path));
  if (!facts.compressed) {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return absl::ErrnoToStatus(errno, path);
    std::string buffer(static_cast<size_t>(std::min<uint64_t>(kPiece, length)), '\0');
    absl::Status status;
    for (uint64_t at = start; at < end && status.ok();) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - at));
      const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::ErrnoToStatus(errno, absl::StrCat(path, ": read failed"));
      } else if (n == 0) {
        status = short_input();
      } else {
        status = write(std::string_view(buffer.data(), static_cast<size_t>(n)));
        at += static_cast<uint64_t>(n);
      }
    }
    ::close(fd);
    return status;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> lines, LineReader::Open(path, kPiece));
  std::string_view piece;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, lines->Next(&piece));
    if (!more) return short_input();
    const uint64_t at = lines->piece_offset();
    if (at >= end) return short_input();
    const uint64_t piece_end = at + piece.size();
    if (piece_end <= start) continue;
    const uint64_t from = std::max(at, start);
    const uint64_t to = std::min(piece_end, end);
    RETURN_IF_ERROR(write(piece.substr(static_cast<size_t>(from - at),
                                       static_cast<size_t>(to - from))));
    if (to == end) return absl::OkStatus();
  }
}

absl::StatusOr<InputFacts> ProbeInput(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  InputFacts facts;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return absl::ErrnoToStatus(e, path);
  }
  facts.size = static_cast<uint64_t>(st.st_size);
  unsigned char head[4] = {0, 0, 0, 0};
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof(head), 0);
  } while (n < 0 && errno == EINTR);
  const int e = errno;
  ::close(fd);
  if (n < 0) return absl::ErrnoToStatus(e, absl::StrCat(path, ": read failed"));
  facts.compressed = (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
                     (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f &&
                      head[3] == 0xfd);
  return facts;
}

absl::StatusOr<uint64_t> CountLineFeeds(const std::string& path, uint64_t begin, uint64_t end) {
  if (end <= begin) return 0;
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  uint64_t count = 0;
  uint64_t pos = begin;
  while (pos < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(end - pos, 1 << 20));
    ssize_t n;
    do {
      n = ::pread(fd, buf.get(), want, static_cast<off_t>(pos));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return absl::ErrnoToStatus(e, absl::StrCat(path, ": read failed"));
    }
    if (n == 0) break;
    const char* p = buf.get();
    const char* stop = p + n;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(stop - p)))) !=
           nullptr) {
      ++count;
      ++p;
    }
    pos += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return count;
}

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                                 Format format,
                                                                 size_t max_record_bytes) {
  return Open(path, format, max_record_bytes, ByteShare{});
}

absl::StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                                 Format format,
                                                                 size_t max_record_bytes,
                                                                 const ByteShare& share) {
  if (!share.whole() && format != Format::kJsonl && format != Format::kText) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": only jsonl and text files can be read in shares (byte ranges)"));
  }
  if (format == Format::kAuto) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": format must be resolved (GuessFormat) before opening"));
  }
  if (max_record_bytes == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the record limit (--max-record-bytes) must be at least 1"));
  }
  io::LineRange range;
  range.begin = share.begin;
  range.end = share.end;
  range.first_line_number = share.first_line_number;
  ASSIGN_OR_RETURN(std::unique_ptr<LineReader> lines,
                   LineReader::Open(path, max_record_bytes, range));
  auto reader = std::make_unique<RecordReaderImpl>(std::move(lines), format, max_record_bytes);
  if (format == Format::kCsv || format == Format::kTsv) RETURN_IF_ERROR(reader->ReadHeader());
  return std::unique_ptr<RecordReader>(std::move(reader));
}

// ---------------------------------------------------------------------------------------------
// RecordParser

struct RecordParser::Impl {
  Format format;
  FieldNames fields;
  std::string label;
  std::vector<std::string> columns;
  // csv/tsv: column index of each field, or -1 when the header lacks it.
  int id_col = -1, title_col = -1, text_col = -1, keep_col = -1, date_col = -1;

  // Reused between records.
  simdjson::ondemand::parser json;
  std::unique_ptr<char[]> padded;
  size_t padded_capacity = 0;
  std::string repaired;  // the record with invalid UTF-8 replaced
  std::string scratch;   // lenient string unescaping
  std::vector<std::string> cells;
  // The last Parse(): what was parsed, and for jsonl the text token's place in it.
  std::string_view parsed;
  size_t text_begin = 0, text_end = 0;
  bool text_found = false;

  absl::Status Error(uint64_t line, std::string_view reason) const {
    return absl::InvalidArgumentError(absl::StrCat(label, ":", line, ": ", Av(reason)));
  }

  // Parses `json_text` into `doc`; fills `*err` with the simdjson error (if any) so the caller can
  // retry after repairing UTF-8. Returns a non-empty reason on failure.
  std::string ParseJson(std::string_view json_text, Document* doc, simdjson::error_code* err);
  std::string TakeString(simdjson::ondemand::value& value, std::string_view key, std::string* out,
                         simdjson::error_code* err);
  absl::Status ParseDelimited(std::string_view record, uint64_t line, Document* doc);
};

std::string RecordParser::Impl::TakeString(simdjson::ondemand::value& value, std::string_view key,
                                           std::string* out, simdjson::error_code* err) {
  // Take the raw token first: it does not advance the iterator, and the lenient path needs it.
  const std::string_view token = value.raw_json_token();
  std::string_view s;
  simdjson::error_code e = value.get_string().get(s);
  if (e == simdjson::SUCCESS) {
    out->assign(s);
    return "";
  }
  if (e == simdjson::STRING_ERROR && UnescapeLenient(token, &scratch)) {
    out->swap(scratch);
    *err = simdjson::SUCCESS;
    return "";
  }
  *err = e;
  return absl::StrCat("field \"", Av(key), "\": invalid string: ", simdjson::error_message(e));
}

std::string RecordParser::Impl::ParseJson(std::string_view json_text, Document* doc,
                                          simdjson::error_code* err) {
  using simdjson::ondemand::json_type;
  doc->Clear();
  text_found = false;
  parsed = json_text;
  if (padded_capacity < json_text.size() + simdjson::SIMDJSON_PADDING) {
    padded_capacity = std::max(json_text.size() + simdjson::SIMDJSON_PADDING, 2 * padded_capacity);
    padded.reset(new char[padded_capacity]);
  }
  std::memcpy(padded.get(), json_text.data(), json_text.size());
  std::memset(padded.get() + json_text.size(), 0, simdjson::SIMDJSON_PADDING);

  simdjson::ondemand::document jdoc;
  if ((*err = json.iterate(padded.get(), json_text.size(), padded_capacity).get(jdoc))) {
    return Invalid(*err);
  }
  json_type type;
  if ((*err = jdoc.type().get(type))) return Invalid(*err);
  if (type != json_type::object) {
    return absl::StrCat("expected a JSON object, got ", Av(JsonTypeName(type)));
  }
  simdjson::ondemand::object object;
  if ((*err = jdoc.get_object().get(object))) return Invalid(*err);
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if ((*err = std::move(field_result).get(field))) return Invalid(*err);
    std::string_view key;
    if ((*err = field.unescaped_key().get(key))) return Invalid(*err);
    const bool is_id = key == fields.id;
    const bool is_title = key == fields.title;
    const bool is_text = key == fields.text;
    if (!is_id && !is_title && !is_text) {
      const bool is_keep = !fields.keep.empty() && key == fields.keep;
      const bool is_date = !fields.date.empty() && key == fields.date;
      if (!is_keep && !is_date) continue;  // the iterator skips the value
      simdjson::ondemand::value value = field.value();
      if ((*err = value.type().get(type))) return Invalid(*err);
      std::string* target = is_keep ? &doc->keep_value : &doc->date_value;
      if (type == json_type::string) {
        std::string reason = TakeString(value, key == fields.keep ? fields.keep : fields.date,
                                        target, err);
        if (!reason.empty()) return reason;
      } else if (type == json_type::number) {
        std::string_view token = value.raw_json_token();
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t' ||
                                  token.back() == '\r' || token.back() == '\n')) {
          token.remove_suffix(1);
        }
        target->assign(token);
      } else {
        continue;
      }
      if (is_keep) doc->has_keep_value = true;
      if (is_date) {
        if (is_keep) doc->date_value = doc->keep_value;
        doc->has_date_value = true;
      }
      continue;
    }
    const std::string& name = is_id ? fields.id : is_title ? fields.title : fields.text;
    simdjson::ondemand::value value = field.value();
    if ((*err = value.type().get(type))) return Invalid(*err);
    if (type == json_type::null) {
      if (is_text) text_found = false;
      continue;
    }
    doc->has |= (is_id ? Document::kHasId : 0) | (is_title ? Document::kHasTitle : 0) |
                (is_text ? Document::kHasText : 0);
    if (type == json_type::string) {
      if (is_text) {
        std::string_view token = value.raw_json_token();
        while (!token.empty() && token.back() != '"') token.remove_suffix(1);
        text_begin = static_cast<size_t>(token.data() - padded.get());
        text_end = text_begin + token.size();
        text_found = true;
      }
      std::string* target = is_id ? &doc->id : is_title ? &doc->title : &doc->body;
      std::string reason = TakeString(value, name, target, err);
      if (!reason.empty()) return reason;
      if (is_id && is_title) doc->title = *target;
      if ((is_id || is_title) && is_text) doc->body = *target;
    } else if (is_id && type == json_type::number) {
      std::string_view token = value.raw_json_token();
      // raw_json_token() runs up to the next token, so it may carry trailing white space.
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t' ||
                                token.back() == '\r' || token.back() == '\n')) {
        token.remove_suffix(1);
      }
      doc->id.assign(token);
      if (is_title || is_text) {
        return absl::StrCat("field \"", name, "\" is a number, expected a string");
      }
    } else {
      return absl::StrCat("field \"", name, "\" is ", Av(JsonTypeName(type)), ", expected a string",
                          is_id ? " or a number" : "");
    }
  }
  // Reject anything after the object, e.g. `{"a":1} {"b":2}`.
  const char* rest = nullptr;
  if (jdoc.current_location().get(rest) == simdjson::SUCCESS) {
    return "invalid JSON: unexpected content after the object";
  }
  return "";
}

absl::Status RecordParser::Impl::ParseDelimited(std::string_view record, uint64_t line,
                                                Document* doc) {
  std::string_view row = StripLineEnd(record);
  size_t count = 0;
  if (format == Format::kCsv) {
    absl::Status s = SplitCsv(row, &cells, &count);
    if (!s.ok()) return Error(line, Sv(s.message()));
  } else {
    SplitTsv(row, &cells, &count);
  }
  if (count != columns.size()) {
    return Error(line, absl::StrCat(count, count == 1 ? " field" : " fields", ", header has ",
                                    columns.size()));
  }
  if (id_col >= 0) doc->id = cells[id_col];
  if (title_col >= 0) doc->title = cells[title_col];
  if (text_col >= 0) doc->body = cells[text_col];
  doc->has = (id_col >= 0 ? Document::kHasId : 0) | (title_col >= 0 ? Document::kHasTitle : 0) |
             (text_col >= 0 ? Document::kHasText : 0);
  if (keep_col >= 0) {
    doc->keep_value = cells[keep_col];
    doc->has_keep_value = true;
  }
  if (date_col >= 0) {
    doc->date_value = cells[date_col];
    doc->has_date_value = true;
  }
  return absl::OkStatus();
}

RecordParser::RecordParser(Format format, FieldNames fields, std::string file_label,
                           std::vector<std::string> columns)
    : impl_(std::make_unique<Impl>()) {
  impl_->format = format;
  impl_->fields = std::move(fields);
  impl_->label = std::move(file_label);
  impl_->columns = std::move(columns);
  auto find = [&](const std::string& name) {
    auto it = std::find(impl_->columns.begin(), impl_->columns.end(), name);
    return it == impl_->columns.end() ? -1 : static_cast<int>(it - impl_->columns.begin());
  };
  impl_->id_col = find(impl_->fields.id);
  impl_->title_col = find(impl_->fields.title);
  impl_->text_col = find(impl_->fields.text);
  if (!impl_->fields.keep.empty()) impl_->keep_col = find(impl_->fields.keep);
  if (!impl_->fields.date.empty()) impl_->date_col = find(impl_->fields.date);
}

RecordParser::~RecordParser() = default;

RecordParser::TextSpan RecordParser::text_span() const {
  const Impl& p = *impl_;
  TextSpan span;
  span.bytes = p.parsed;
  switch (p.format) {
    case Format::kJsonl:
      span.found = p.text_found;
      span.begin = p.text_begin;
      span.end = p.text_end;
      break;
    case Format::kText:
      span.found = true;
      span.end = StripLineEnd(p.parsed).size();
      break;
    case Format::kCsv:
    case Format::kTsv: {
      if (p.text_col < 0) break;
      // The cell's raw bounds: field separators outside quotes (the parse succeeded, so the
      // row is well formed).
      // The same state machine as the split, so that a quote inside an unquoted field stays
      // content there too.
      const std::string_view row = StripLineEnd(p.parsed);
      const char sep = p.format == Format::kCsv ? ',' : '\t';
      int col = 0;
      size_t start = 0;
      CsvState state = CsvState::kFieldStart;
      for (size_t i = 0; i <= row.size(); ++i) {
        const bool end = i == row.size();
        const bool quoted = p.format == Format::kCsv && state == CsvState::kQuoted;
        if (!end && p.format == Format::kCsv) state = ScanCsv(row.substr(i, 1), state);
        if (end || (!quoted && row[i] == sep)) {
          if (col == p.text_col) {
            span.found = true;
            span.begin = start;
            span.end = i;
            break;
          }
          ++col;
          start = i + 1;
        }
      }
      break;
    }
    case Format::kAuto:
      break;
  }
  return span;
}

absl::Status RecordParser::Parse(std::string_view record, uint64_t line_number, Document* doc) {
  Impl& p = *impl_;
  doc->Clear();
  switch (p.format) {
    case Format::kJsonl: {
      simdjson::error_code err = simdjson::SUCCESS;
      std::string reason = p.ParseJson(record, doc, &err);
      if (err == simdjson::UTF8_ERROR) {
        // simdjson validates the whole document; repair the bytes (U+FFFD) and parse again.
        const size_t repairs = RepairUtf8(record, &p.repaired);
        err = simdjson::SUCCESS;
        reason = p.ParseJson(p.repaired, doc, &err);
        doc->utf8_repairs = static_cast<uint32_t>(repairs);
      }
      if (!reason.empty()) {
        doc->Clear();
        return p.Error(line_number, reason);
      }
      break;
    }
    case Format::kCsv:
    case Format::kTsv:
      p.parsed = record;
      RETURN_IF_ERROR(p.ParseDelimited(record, line_number, doc));
      break;
    case Format::kText:
      p.parsed = record;
      doc->body.assign(StripLineEnd(record));
      doc->has = Document::kHasText;
      break;
    case Format::kAuto:
      return absl::InvalidArgumentError(
          absl::StrCat(p.label, ": format must be resolved (GuessFormat) before parsing"));
  }
  if (doc->id.empty()) doc->id = absl::StrCat(p.label, ":", line_number);
  if (!p.fields.keep.empty() && !doc->has_keep_value && p.format == Format::kJsonl) {
    // The keep field is one of the others (e.g. --keep latest:id).
    const std::string* same = p.fields.keep == p.fields.id      ? &doc->id
                              : p.fields.keep == p.fields.title ? &doc->title
                              : p.fields.keep == p.fields.text  ? &doc->body
                                                                : nullptr;
    if (same != nullptr && !same->empty()) {
      doc->keep_value = *same;
      doc->has_keep_value = true;
    }
  }
  return absl::OkStatus();
}

}  // namespace neardup
