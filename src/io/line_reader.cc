#include "io/line_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace neardup::io {
namespace {

// Bytes per read(2), and the initial line buffer. The fuzz build (scripts/fuzz) makes it 4 KiB, so
// that small inputs cross block boundaries and grow the buffer, and each run allocates little.
#ifndef NEARDUP_IO_BLOCK_BYTES
#define NEARDUP_IO_BLOCK_BYTES (1 << 20)
#endif
constexpr size_t kBlockSize = NEARDUP_IO_BLOCK_BYTES;

// The raw file: a descriptor plus an input buffer that the decompressors read from in place.
class InputFile {
 public:
  InputFile(int fd, bool owned, std::string label)
      : fd_(fd), owned_(owned), label_(std::move(label)), buf_(new char[kBlockSize]) {}
  ~InputFile() {
    if (owned_) ::close(fd_);
  }

  const std::string& label() const { return label_; }
  uint64_t consumed() const { return consumed_; }
  std::string_view available() const { return std::string_view(buf_.get() + pos_, end_ - pos_); }
  void Consume(size_t n) { pos_ += n; }
  // True once the file is exhausted and the buffer is empty.
  bool done() const { return eof_ && pos_ == end_; }

  // Moves to `offset` in the file, dropping what is buffered.
  absl::Status Seek(uint64_t offset) {
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat(label_, ": seek failed"));
    }
    pos_ = end_ = 0;
    eof_ = false;
    return absl::OkStatus();
  }

  // Reads until at least `min` (<= kBlockSize) bytes are buffered or the file ends.
  absl::Status Fill(size_t min) {
    if (end_ - pos_ >= min) return absl::OkStatus();
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ < min && !eof_) {
      ASSIGN_OR_RETURN(size_t n, ReadRaw(buf_.get() + end_, kBlockSize - end_));
      end_ += n;
    }
    return absl::OkStatus();
  }

  // Copies buffered bytes to `dst`, or reads straight into it when the buffer is empty.
  absl::StatusOr<size_t> Read(char* dst, size_t n) {
    if (pos_ < end_) {
      size_t k = std::min(n, end_ - pos_);
      std::memcpy(dst, buf_.get() + pos_, k);
      pos_ += k;
      return k;
    }
    if (eof_) return 0;
    return ReadRaw(dst, n);
  }

 private:
  absl::StatusOr<size_t> ReadRaw(char* dst, size_t n) {
    ssize_t r;
    do {
      r = ::read(fd_, dst, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return absl::ErrnoToStatus(errno, absl::StrCat(label_, ": read failed"));
    if (r == 0) eof_ = true;
    consumed_ += static_cast<uint64_t>(r);
    return static_cast<size_t>(r);
  }

  int fd_;
  bool owned_;
  std::string label_;
  std::unique_ptr<char[]> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
};

}  // namespace

// Decompressed bytes of one file.
class LineReader::Source {
 public:
  explicit Source(std::unique_ptr<InputFile> file) : file_(std::move(file)) {}
  virtual ~Source() = default;
  // Writes up to `n` bytes to `dst`; returns 0 only at the end of the data.
  virtual absl::StatusOr<size_t> Read(char* dst, size_t n) = 0;
  InputFile& file() { return *file_; }

 protected:
  std::unique_ptr<InputFile> file_;
};

namespace {

class PlainSource : public LineReader::Source {
 public:
  using Source::Source;
  absl::StatusOr<size_t> Read(char* dst, size_t n) override { return file_->Read(dst, n); }
};

// gzip, including several members back to back (as `cat a.gz b.gz` or pigz produce).
class GzipSource : public LineReader::Source {
 public:
  explicit GzipSource(std::unique_ptr<InputFile> file) : Source(std::move(file)) {}
  ~GzipSource() override {
    if (initialized_) inflateEnd(&zs_);
  }

  absl::Status Init() {
    std::memset(&zs_, 0, sizeof(zs_));
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      return absl::InternalError(absl::StrCat(file_->label(), ": cannot initialize zlib"));
    }
    initialized_ = true;
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt out_size = zs_.avail_out;
    while (zs_.avail_out > 0) {
      if (file_->available().empty() && !file_->done()) {
        if (zs_.avail_out != out_size) break;  // return what we have before blocking on input
        RETURN_IF_ERROR(file_->Fill(1));
      }
      std::string_view in = file_->available();
      if (in.empty() && !in_member_) break;  // clean end: every member finished
      if (!in_member_) {
        if (started_) inflateReset(&zs_);
        started_ = in_member_ = true;
      }
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs_.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), 1u << 30));
      const uInt in_size = zs_.avail_in;
      const uInt out_before = zs_.avail_out;
      int ret = inflate(&zs_, Z_NO_FLUSH);
      file_->Consume(in_size - zs_.avail_in);
      if (ret == Z_STREAM_END) {
        in_member_ = false;
      } else if (ret == Z_OK || ret == Z_BUF_ERROR) {
        // With input used up and nothing left to flush, an unfinished member is a truncation.
        if (file_->done() && zs_.avail_out == out_before) {
          return absl::DataLossError(
              absl::StrCat(file_->label(), ": truncated gzip stream (unexpected end of file)"));
        }
      } else {
        return absl::DataLossError(absl::StrCat(file_->label(), ": corrupt gzip data: ",
                                                zs_.msg != nullptr ? zs_.msg : "inflate failed"));
      }
    }
    return static_cast<size_t>(out_size - zs_.avail_out);
  }

 private:
  z_stream zs_;
  bool initialized_ = false;
  bool started_ = false;    // a member has been started (inflateReset needed for the next one)
  bool in_member_ = false;  // inside a member that has not reached its end
};

// zstd; ZSTD_decompressStream moves on to the next frame by itself.
class ZstdSource : public LineReader::Source {
 public:
  explicit ZstdSource(std::unique_ptr<InputFile> file)
      : Source(std::move(file)), dctx_(ZSTD_createDCtx()) {}
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }

  absl::Status Init() {
    if (dctx_ == nullptr) {
      return absl::InternalError(absl::StrCat(file_->label(), ": cannot initialize zstd"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(char* dst, size_t n) override {
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos < out.size) {
      if (file_->available().empty()) {
        if (out.pos > 0) break;
        RETURN_IF_ERROR(file_->Fill(1));
      }
      std::string_view avail = file_->available();
      ZSTD_inBuffer in{avail.data(), avail.size(), 0};
      const size_t before = out.pos;
      size_t ret = ZSTD_decompressStream(dctx_, &out, &in);
      file_->Consume(in.pos);
      if (ZSTD_isError(ret)) {
        return absl::DataLossError(
            absl::StrCat(file_->label(), ": corrupt zstd data: ", ZSTD_getErrorName(ret)));
      }
      // 0 means a frame ended and everything is flushed. (A call that made no progress says
      // nothing: at a frame boundary it returns the size of the next frame header.)
      const bool progress = in.pos > 0 || out.pos > before;
      if (progress) frame_open_ = ret != 0;
      if (!progress && file_->done()) {
        // No input left and nothing more to flush.
        if (frame_open_) {
          return absl::DataLossError(
              absl::StrCat(file_->label(), ": truncated zstd frame (unexpected end of file)"));
        }
        break;
      }
    }
    return out.pos;
  }

 private:
  ZSTD_DCtx* dctx_;
  bool frame_open_ = true;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                             size_t max_line_bytes) {
  return Open(path, max_line_bytes, LineRange{});
}

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                             size_t max_line_bytes,
                                                             const LineRange& range) {
  if (max_line_bytes == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the line limit must be at least 1"));
  }
  std::unique_ptr<InputFile> file;
  if (path == "-") {
    file = std::make_unique<InputFile>(STDIN_FILENO, /*owned=*/false, "<stdin>");
  } else {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return absl::ErrnoToStatus(errno, path);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    file = std::make_unique<InputFile>(fd, /*owned=*/true, path);
  }
  RETURN_IF_ERROR(file->Fill(4));
  const std::string_view head = file->available();
  std::unique_ptr<Source> source;
  Compression compression = Compression::kNone;
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') {
    auto gz = std::make_unique<GzipSource>(std::move(file));
    RETURN_IF_ERROR(gz->Init());
    source = std::move(gz);
    compression = Compression::kGzip;
  } else if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    auto zst = std::make_unique<ZstdSource>(std::move(file));
    RETURN_IF_ERROR(zst->Init());
    source = std::move(zst);
    compression = Compression::kZstd;
  } else {
    source = std::make_unique<PlainSource>(std::move(file));
  }
  if (!range.whole() && (compression != Compression::kNone || path == "-")) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": only an uncompressed file can be read in shares (byte ranges)"));
  }
  std::unique_ptr<LineReader> reader(new LineReader(std::move(source), compression, max_line_bytes));
  if (!range.whole()) {
    reader->range_end_ = range.end;
    reader->line_number_ = range.first_line_number - 1;
    if (range.begin > 0) {
      // Start one byte early: if that byte is the LF, a line starts right at `begin`.
      RETURN_IF_ERROR(reader->source_->file().Seek(range.begin - 1));
      reader->buf_offset_ = range.begin - 1;
      reader->started_ = true;  // a byte-order mark can only be at offset 0
      reader->skip_partial_ = true;
    }
  }
  return reader;
}

LineReader::LineReader(std::unique_ptr<Source> source, Compression compression,
                       size_t max_line_bytes)
    : source_(std::move(source)),
      compression_(compression),
      buf_(new char[kBlockSize]),
      capacity_(kBlockSize),
      max_line_bytes_(max_line_bytes) {}

LineReader::~LineReader() = default;

uint64_t LineReader::bytes_consumed() const { return source_->file().consumed(); }
const std::string& LineReader::label() const { return source_->file().label(); }

// Makes room (moving the partial line to the front, growing only for a line longer than the
// buffer) and reads one more block. Next() never calls it with `max_line_bytes_` or more bytes of
// a line pending, so the buffer only doubles while it is smaller than the limit.
absl::Status LineReader::Refill() {
  if (begin_ > 0) {
    buf_offset_ += begin_;
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  if (end_ == capacity_) {
    std::unique_ptr<char[]> bigger(new char[capacity_ * 2]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ *= 2;
  }
  ASSIGN_OR_RETURN(size_t n, source_->Read(buf_.get() + end_, capacity_ - end_));
  if (n == 0) eof_ = true;
  end_ += n;
  return absl::OkStatus();
}

absl::Status LineReader::SkipPartialLine() {
  skip_partial_ = false;
  for (;;) {
    const char* base = buf_.get();
    const void* lf = std::memchr(base + begin_, '\n', end_ - begin_);
    if (lf != nullptr) {
      begin_ = scan_ = static_cast<size_t>(static_cast<const char*>(lf) - base) + 1;
      return absl::OkStatus();
    }
    begin_ = scan_ = end_;
    if (eof_) return absl::OkStatus();
    RETURN_IF_ERROR(Refill());
  }
}

absl::StatusOr<bool> LineReader::Next(std::string_view* line) {
  if (!started_) {
    started_ = true;
    while (end_ < 3 && !eof_) RETURN_IF_ERROR(Refill());
    if (end_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) {
      begin_ = scan_ = 3;
      bom_end_ = 3;
    }
  }
  if (skip_partial_) RETURN_IF_ERROR(SkipPartialLine());
  if (!in_line_ && range_end_ != std::numeric_limits<uint64_t>::max()) {
    // A share ends before the first line that starts at or after its end.
    uint64_t start = buf_offset_ + begin_;
    if (start == bom_end_) start = 0;
    if (start >= range_end_) return false;
  }
  for (;;) {
    const char* base = buf_.get();
    const void* lf = std::memchr(base + scan_, '\n', end_ - scan_);
    if (lf != nullptr) {
      const size_t stop = static_cast<size_t>(static_cast<const char*>(lf) - base) + 1;
      piece_offset_ = buf_offset_ + begin_;
      *line = std::string_view(base + begin_, stop - begin_);
      begin_ = scan_ = stop;
      if (!in_line_) ++line_number_;
      in_line_ = false;
      return true;
    }
    scan_ = end_;
    if (eof_) {
      if (begin_ == end_) {
        in_line_ = false;  // a long line ended with the input, right after a piece
        return false;
      }
      piece_offset_ = buf_offset_ + begin_;
      *line = std::string_view(base + begin_, end_ - begin_);  // last line, no terminator
      begin_ = end_;
      if (!in_line_) ++line_number_;
      in_line_ = false;
      return true;
    }
    if (end_ - begin_ >= max_line_bytes_) {
      // Too much of one line to keep: hand it out as a piece and reuse the buffer for the rest.
      piece_offset_ = buf_offset_ + begin_;
      *line = std::string_view(base + begin_, end_ - begin_);
      begin_ = scan_ = end_;
      if (!in_line_) ++line_number_;
      in_line_ = true;
      return true;
    }
    RETURN_IF_ERROR(Refill());
  }
}

}  // namespace neardup::io
