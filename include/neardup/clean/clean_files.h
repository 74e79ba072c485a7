// clean/clean_files.h: `neardup clean` as a library call: reads input files, removes boilerplate
// lines and repeated spans (clean.h) from each record's text field, and writes every record back
// in its format and order with only that field's value changed.
//
// Two passes over the inputs (so they must be readable twice: the caller spools standard input):
//   1. count: every good record's lines, normalized and hashed, into LineCounts (skipped when
//      CleanOptions::lines is false);
//   2. clean: each record's boilerplate lines are found; with spans on, records are gathered into
//      shards of up to CleanOptions::span_shard_bytes of line-cleaned text and the repeated spans
//      of each shard found together; then the records are written.
// Parsing, hashing and line finding run in parallel (oneTBB, on the caller's thread limit);
// counting and writing are serial and in input order, so the outputs are the same at any thread
// count.
//
// What is written:
//   - a record with nothing removed: its bytes exactly as read (line ends included);
//   - a record with removals: the same bytes but for the text field's value, written anew in the
//     format's own spelling: jsonl a JSON string (UTF-8 as is, the control characters, quote and
//     backslash escaped), csv a cell quoted when it was quoted or now needs quotes, tsv and text
//     the bytes. A jsonl record that held invalid UTF-8 is written from its repaired copy (U+FFFD);
//   - a bad record (one the reader refuses: invalid JSON, a csv row of the wrong width) or an
//     oversized one (longer than max_record_bytes): as read, counted and reported to `warn`;
//   - csv/tsv: the first input's header row once; inputs with another header are refused;
//   - a last record without a line end gets one only when another record follows it.
// A record whose text becomes empty (white space only) is counted; with `drop_empty` it is left
// out of the output (and counted as dropped).
// Removed file: one JSON line per removal, in input order:
//   {"id":"a-17","field":"text","start":0,"end":18,"kind":"line","count":3000,"text":"..."}
// with `start`/`end` bytes of the original decoded value, `count` as Removal::count, `text` the
// removed bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/clean/clean.h"
#include "neardup/io/reader.h"

namespace neardup {

class AtomicFile;

struct CleanFilesOptions {
  std::vector<std::string> inputs;  // paths, read twice
  std::vector<std::string> labels;  // names for messages and default ids; empty: the paths
  Format format = Format::kAuto;    // kAuto: guessed per file (GuessFormat); all must agree
  FieldNames fields;                // id and text are used; titles are never touched
  size_t max_record_bytes = kDefaultMaxRecordBytes;
  CleanOptions clean;
  bool drop_empty = false;
};

// What a run did; read = documents + bad + oversized.
struct CleanFigures {
  uint64_t read = 0;
  uint64_t bad = 0;
  uint64_t oversized = 0;
  uint64_t documents = 0;        // good records
  uint64_t with_text = 0;        // documents with a text field
  uint64_t changed = 0;          // documents with at least one removal
  uint64_t emptied = 0;          // documents whose text was not empty and now is
  uint64_t dropped = 0;          // emptied and left out (drop_empty)
  uint64_t written = 0;          // records written
  uint64_t input_bytes = 0;      // bytes of the inputs as read (decompressed)
  uint64_t text_bytes = 0;       // bytes of the text values (decoded)
  uint64_t line_bytes_removed = 0;
  uint64_t span_bytes_removed = 0;
  uint64_t lines_removed = 0;
  uint64_t spans_removed = 0;
  uint64_t distinct_lines = 0;   // normalized lines counted
  uint64_t boilerplate_lines = 0;  // distinct lines at or over the threshold
  uint64_t line_threshold = 0;
  uint64_t span_shards = 0;
  uint64_t span_candidate_bytes = 0;  // text the prefilter kept for the suffix arrays
  uint64_t line_table_bytes = 0;
  double count_seconds = 0;
  double clean_seconds = 0;      // pass 2, span search included
  double span_seconds = 0;       // span search (prefilter, suffix arrays, LCP), which runs
                                 // beside the reading and parsing of the next shard
};

// Runs the cleaning. `out` gets the records (required); `removed` the removals (may be null).
// `warn` gets one line per bad or oversized record ("FILE:LINE: reason; written unchanged").
// Fails on I/O errors, differing csv/tsv headers or formats, a line table over its limit, and
// when the text field names a field that no record has (nothing would be cleaned).
absl::StatusOr<CleanFigures> CleanFiles(const CleanFilesOptions& options, AtomicFile* out,
                                        AtomicFile* removed,
                                        const std::function<void(std::string_view)>& warn);

// The --stats JSON of a clean run: the figures, the options in force and peak memory.
std::string CleanStatsJson(const CleanFilesOptions& options, const CleanFigures& figures);

// `record` (as parsed: RecordParser::text_span().bytes) with its text value, at [begin, end),
// replaced by `value` written as `format` writes it (see above), appended to `*out`.
void RewriteTextValue(Format format, std::string_view record, size_t begin, size_t end,
                      std::string_view value, std::string* out);

}  // namespace neardup
