// io/reader.h: reading input files as batches of raw records, and parsing one raw record into a
// Document.
//
// Reading is split in two so that the expensive half runs in parallel:
//   RecordReader (serial, one per file) finds record boundaries and hands out batches of raw bytes;
//   RecordParser (one per thread) turns one raw record into a Document.
//
// Every format goes through one line reader (src/io/line_reader.h) that handles buffering,
// decompression (gzip and zstd, detected from the first bytes, not the file name), a UTF-8
// byte-order mark at the start of the file (dropped), CRLF and LF line ends, and line numbers.
//
// Formats:
//   jsonl  one JSON object per line; blank (all white space) lines are skipped (not records).
//          Invalid UTF-8 is replaced by U+FFFD and an unpaired \uD800-\uDFFF escape decodes to
//          U+FFFD, so neither makes a record fail. Members other than the id/title/text fields
//          are skipped without full validation (simdjson On-Demand).
//   csv    RFC 4180: a header row names the columns; fields may be quoted with ", "" is a quote,
//          and a quoted field may span lines (the record then spans lines). Lenient like most
//          readers: a quote inside an unquoted field, or text after a closing quote, is content;
//          a quote left open at end of input makes the rest of the file one (failing) record.
//   tsv    a header row; fields separated by TAB; no quoting (a field cannot hold TAB or newline).
//   text   every line is one document (its body); blank lines are skipped; id is FILE:LINE.
// In csv and tsv an empty line (outside a quoted field) is skipped, as is any empty line before
// the header. Line numbers always count skipped lines.
// A record's raw bytes are kept exactly as read, including its line end(s), so that `dedup` can
// write it back byte for byte.
//
// Oversized records. A record whose raw bytes (line ends included; for csv all the lines of a
// quoted field that spans lines, and a quote that never closes runs to the end of the input) are
// more than `max_record_bytes` is never held in memory whole: the reader keeps only its first
// bytes (see kOversizedPrefixBytes), skips the rest while counting it, and hands the record out
// flagged (RecordBatch::oversized_length) with its line number and its true length. It is still a
// record, so record ordinals are the same whatever the limit, as long as every reader of a file
// uses the same one. A line in pieces is never treated as blank. Memory per reader stays below
// max(1 MiB, 2 x max_record_bytes) for the line buffer, plus a fixed 1 MiB input block.
// A csv/tsv header row longer than the limit fails Open() (InvalidArgument naming file and line).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/document.h"

namespace neardup {

enum class Format { kAuto, kJsonl, kCsv, kTsv, kText };

// "jsonl" (also "json", "ndjson"), "csv", "tsv", "text" (also "txt"), "auto".
absl::StatusOr<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format format);
// From the file name, ignoring a trailing .gz or .zst: .jsonl/.ndjson/.json -> jsonl, .csv, .tsv,
// .txt/.text -> text. Anything else (and "-") -> jsonl.
Format GuessFormat(std::string_view path);

// The default of RecordReader::Open's `max_record_bytes` (the CLI's --max-record-bytes): 64 MiB.
inline constexpr size_t kDefaultMaxRecordBytes = size_t{64} << 20;
// How much of an oversized record RecordBatch keeps: at most this many of its first bytes, and
// never past its first LF (so the kept prefix is part of one line and holds no line end).
inline constexpr size_t kOversizedPrefixBytes = 4096;

struct FieldNames {
  std::string id = "id";
  std::string text = "text";
  std::string title = "title";
  // An extra field read into Document::keep_value for --keep earliest:/latest:/field-max:
  // ("" = none). A string is taken as is, a number as its text; anything else counts as absent.
  std::string keep;
  // An extra field read into Document::date_value for the story window ("" = none); taken as
  // the keep field is.
  std::string date;
};

// Raw records read from one file, back to back.
struct RecordBatch {
  int file_index = 0;        // which input file (index into the run's inputs)
  std::string data;          // raw bytes of every record, each with its own line end(s)
  std::vector<size_t> offsets;        // record i is data[offsets[i], offsets[i + 1])
  std::vector<uint64_t> line_numbers;  // 1-based line on which record i starts
  // Byte offset of record i's first byte in its input as read (decompressed); empty when the
  // records did not come from a RecordReader (an MPI shard).
  std::vector<uint64_t> starts;
  // Per record: 0, or for a record longer than the reader's `max_record_bytes`, its true length in
  // bytes (> max_record_bytes, line ends included). Such a record's bytes in `data` are only a
  // prefix (see kOversizedPrefixBytes): it must not be parsed or written back as a record.
  std::vector<uint64_t> oversized_length;
  // True bytes of every record in the batch, oversized ones counted whole (>= data.size()).
  uint64_t raw_bytes = 0;

  size_t size() const { return line_numbers.size(); }
  std::string_view record(size_t i) const {
    return std::string_view(data).substr(offsets[i], offsets[i + 1] - offsets[i]);
  }
  bool oversized(size_t i) const { return oversized_length[i] != 0; }
  void Clear() {
    data.clear();
    offsets.assign(1, 0);
    line_numbers.clear();
    starts.clear();
    oversized_length.clear();
    raw_bytes = 0;
  }
};

// A share of one input for RecordReader::Open, so that several processes can read one large file
// together (MPI): the records that START at a byte offset in [begin, end). A share that starts
// inside a record skips to the next line; a record that starts before `end` is read whole. Shares
// [0, a), [a, b), ..., [z, size) of a file hand out each of its records exactly once, with the
// same line numbers, raw bytes and oversized flags as a whole-file read, provided
// `first_line_number` = 1 + CountLineFeeds(path, 0, begin - 1) + 1 for begin > 0 (1 for 0).
// Only uncompressed jsonl and text files can be shared (one record a line); the whole file
// (the default) works for every input.
struct ByteShare {
  uint64_t begin = 0;
  uint64_t end = UINT64_MAX;
  uint64_t first_line_number = 1;
  bool whole() const { return begin == 0 && end == UINT64_MAX; }
};

// What a reading plan needs to know about an input before opening it.
struct InputFacts {
  uint64_t size = 0;        // bytes on disk
  bool compressed = false;  // gzip or zstd magic number at the start
};
// Size and compression of `path` (a file, not "-"). Fails like RecordReader::Open would.
absl::StatusOr<InputFacts> ProbeInput(const std::string& path);
// Streams bytes [start, start + length) of `path` as read (decompressed for gzip/zstd, at the
// offsets RecordBatch::starts gives) to `write`, in pieces of at most 1 MiB, never holding more:
// a plain file by offset, a compressed one by decompressing up to the range. Fails when the file
// cannot be read or ends before the range does (it changed since it was read).
absl::Status CopyInputBytes(const std::string& path, uint64_t start, uint64_t length,
                            const std::function<absl::Status(std::string_view)>& write);
// Number of LF bytes at offsets [begin, end) of `path` (clamped to its size): line numbers of a
// share (ByteShare). Reads the range at memchr speed.
absl::StatusOr<uint64_t> CountLineFeeds(const std::string& path, uint64_t begin, uint64_t end);
// True when a file of `format` with these facts can be read in shares (ByteShare).
inline bool Shareable(Format format, const InputFacts& facts) {
  return !facts.compressed && (format == Format::kJsonl || format == Format::kText);
}

class RecordReader {
 public:
  // Opens `path` ("-" is standard input). For csv and tsv the header row is read here; a missing
  // header (empty file) is not an error, the file simply has no records. `format` must not be
  // kAuto (resolve it with GuessFormat first). `max_record_bytes` (>= 1, else InvalidArgument)
  // bounds the bytes of one record held in memory; longer records are flagged, not kept (see
  // "Oversized records" above).
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(
      const std::string& path, Format format, size_t max_record_bytes = kDefaultMaxRecordBytes);
  // Opens one share of `path` (see ByteShare); FailedPrecondition when the share is not the whole
  // file and the file cannot be shared (compressed, csv/tsv, standard input).
  static absl::StatusOr<std::unique_ptr<RecordReader>> Open(const std::string& path,
                                                            Format format,
                                                            size_t max_record_bytes,
                                                            const ByteShare& share);
  virtual ~RecordReader() = default;

  // Replaces `*batch` with the next records: whole records, at least one, stopping once about
  // `target_bytes` have been read (counting oversized records at their true length). Returns false (and an empty batch) at end of input; an I/O or
  // decompression error (e.g. a truncated .gz) is returned as a Status naming the file.
  virtual absl::StatusOr<bool> ReadBatch(size_t target_bytes, RecordBatch* batch) = 0;

  // csv/tsv: the header row exactly as read (with its line end); "" for other formats.
  virtual const std::string& header_raw() const = 0;
  // csv/tsv: the column names parsed from the header row.
  virtual const std::vector<std::string>& columns() const = 0;
  // Bytes consumed from the underlying file so far (compressed bytes for .gz/.zst), for progress.
  virtual uint64_t bytes_consumed() const = 0;
  // Bytes allocated for the reader's line buffer: below max(1 MiB, 2 x max_record_bytes) whatever
  // the input (the batches' own memory is the caller's). For tests and memory accounting.
  virtual size_t buffer_capacity() const = 0;
};

// Turns raw records into Documents. Not thread-safe: use one per thread. Cheap to construct.
class RecordParser {
 public:
  // `file_label` is the file name used in default ids ("FILE:LINE") and in error messages.
  // `columns` are the header columns for csv/tsv (ignored otherwise).
  RecordParser(Format format, FieldNames fields, std::string file_label,
               std::vector<std::string> columns);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Parses one raw record (as in RecordBatch::record, line ends included) that starts on
  // `line_number`. On failure returns InvalidArgument with a message "FILE:LINE: reason" (e.g.
  // "data.jsonl:17: invalid JSON: unclosed string", "x.csv:4: 3 fields, header has 5"). A field that
  // is present but not a string: numbers are taken as their text for the id and rejected for
  // title/text ("field "text" is a number, expected a string"); null counts as absent. An absent
  // or empty id becomes "FILE:LINE".
  absl::Status Parse(std::string_view record, uint64_t line_number, Document* doc);

  // Where the text field's value is written, for a caller that rewrites that value alone
  // (`clean`). After a successful Parse(): `bytes` is what was parsed, the record itself, or for
  // a JSONL record with invalid UTF-8 its repaired copy (valid until the next Parse());
  // [begin, end) is the value as written there: jsonl the string token with its quotes (the
  // last one of a repeated key), csv the cell with its quotes if it has any, tsv the cell, text
  // the line without its line end. `found` is false when the record has no text field (absent,
  // null, or a column the header lacks).
  struct TextSpan {
    std::string_view bytes;
    size_t begin = 0;
    size_t end = 0;
    bool found = false;
  };
  TextSpan text_span() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neardup
