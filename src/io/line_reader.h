// io/line_reader.h: the one line reader behind every input format.
//
// A LineReader reads a file (or standard input for "-") in large blocks, decompresses it when its
// first bytes are a gzip (1f 8b) or zstd (28 b5 2f fd) magic number (the file name is never
// consulted), drops a UTF-8 byte-order mark at the start of the (decompressed) data, and hands out
// lines one at a time with their 1-based line numbers.
//
// A line is the raw bytes up to and including its LF ("\n"); a CR right before the LF is part of
// the line end (see StripLineEnd). The last line of a file needs no terminator. Lines are returned
// as views into an internal buffer that is reused, so reading allocates nothing per line; the
// buffer only grows when a single line is longer than it.
//
// Memory is bounded by `max_line_bytes` (see Open): a line longer than that is never held whole.
// It is handed out in pieces instead, each a view of the buffer, and the buffer's capacity stays
// below max(1 MiB, 2 x max_line_bytes). A caller that wants whole lines only (and no limit) passes
// nothing and sees one piece per line, as before.
//
// Errors (open/read failures, corrupt or truncated gzip/zstd data) are Statuses whose message
// starts with the file's label ("<stdin>" for "-").
// Not thread-safe; one LineReader per file.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace neardup::io {

enum class Compression { kNone, kGzip, kZstd };

// A share of one uncompressed file for LineReader::Open: the lines that START at a byte offset in
// [begin, end). With begin > 0 the first such line is the one after the first LF at or after
// offset begin - 1 (a line that starts before `begin` belongs to an earlier share, even when it
// ends inside this one), and a line that starts before `end` is read whole, however far it runs.
// Consecutive shares [0, a), [a, b), ..., [z, size) therefore hand out every line exactly once.
// A UTF-8 byte-order mark belongs to the first line, which starts at offset 0.
// `first_line_number` is the number of the first line handed out (1 + the LFs before it; the
// caller counts them, e.g. with CountLineFeeds, so that numbers match a whole-file read).
struct LineRange {
  uint64_t begin = 0;
  uint64_t end = std::numeric_limits<uint64_t>::max();
  uint64_t first_line_number = 1;
  bool whole() const { return begin == 0 && end == std::numeric_limits<uint64_t>::max(); }
};

class LineReader {
 public:
  static constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

  // Opens `path` ("-" is standard input) and detects its compression. Fails (NotFound,
  // PermissionDenied, ...) with a message naming the file if it cannot be opened or read.
  // `max_line_bytes` (>= 1) bounds how much of one line is buffered: once more than that many bytes
  // of a line are waiting without its LF, Next() hands them out as a piece (see Next()).
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                          size_t max_line_bytes = kNoLimit);
  // Opens one share of `path` (see LineRange). A share other than the whole file needs a regular,
  // uncompressed file: FailedPrecondition otherwise.
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                          size_t max_line_bytes,
                                                          const LineRange& range);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets `*line` to the next line's raw bytes, line end included, and returns true; returns false
  // at end of input. `*line` stays valid until the next call to Next(). After an error the reader
  // must not be used again.
  // A line of which at least `max_line_bytes` bytes are buffered with no LF yet comes in pieces:
  // every piece but the last has line_complete() false (and is at least `max_line_bytes` long, at
  // most the buffer's capacity); the last piece, the one ending in LF (or the end of input), has
  // it true. A line whose last piece would be empty (input ends right after a piece) ends with
  // Next() returning false instead. A line that fits in what is buffered is always one piece, so a
  // line of up to `max_line_bytes` bytes (LF included) is never split.
  absl::StatusOr<bool> Next(std::string_view* line);

  // False when the piece last returned by Next() is not the end of its line (see Next()).
  bool line_complete() const { return !in_line_; }
  // 1-based number of the line last returned by Next() (0 before the first line); every piece of a
  // line has the line's number.
  uint64_t line_number() const { return line_number_; }
  // Bytes allocated for the line buffer (not counting the fixed 1 MiB input block and the
  // decompressor's state): at most max(1 MiB, 2 x max_line_bytes).
  size_t buffer_capacity() const { return capacity_; }
  // Offset of the first byte of the piece last returned by Next() in the input as read (the
  // decompressed stream for gzip/zstd input; after a byte-order mark, 3 for the first line).
  uint64_t piece_offset() const { return piece_offset_; }
  // Bytes read from the underlying file so far (compressed bytes for gzip/zstd input).
  uint64_t bytes_consumed() const;
  // The file name used in error messages: the path, or "<stdin>" for "-".
  const std::string& label() const;
  Compression compression() const { return compression_; }

  class Source;  // defined in line_reader.cc

 private:
  LineReader(std::unique_ptr<Source> source, Compression compression, size_t max_line_bytes);
  absl::Status Refill();
  // Share reading: drops the bytes up to and including the first LF (begin > 0).
  absl::Status SkipPartialLine();

  std::unique_ptr<Source> source_;
  Compression compression_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0;  // start of the unread bytes
  size_t scan_ = 0;   // bytes in [begin_, scan_) are known to hold no LF
  size_t end_ = 0;    // end of the bytes read so far
  bool eof_ = false;
  bool started_ = false;  // the BOM check has run
  bool in_line_ = false;  // the last piece handed out did not end its line
  size_t max_line_bytes_;
  uint64_t line_number_ = 0;
  uint64_t piece_offset_ = 0;
  // Share reading (LineRange): file offset of buf_[0], the end of the share, and the end of a
  // skipped byte-order mark (the first line counts as starting at 0).
  uint64_t buf_offset_ = 0;
  uint64_t range_end_ = std::numeric_limits<uint64_t>::max();
  uint64_t bom_end_ = 0;
  bool skip_partial_ = false;
};

// `line` without its line end: a trailing "\n" or "\r\n" (a lone trailing "\r" is kept).
inline std::string_view StripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  return line;
}

}  // namespace neardup::io
