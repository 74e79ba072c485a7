#include "io/line_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "compress_testutil.h"
#include "gtest/gtest.h"

namespace neardup::io {
namespace {

using neardup_test::Gzip;
using neardup_test::Zstd;

std::string TempPath(const std::string& name) { return testing::TempDir() + "line_reader_" + name; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

struct Lines {
  std::vector<std::string> raw;
  std::vector<uint64_t> numbers;
};

// Reads every line of `path`; fails the test on error.
Lines ReadAll(const std::string& path) {
  Lines lines;
  auto reader = LineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return lines;
  std::string_view line;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&line);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    lines.raw.emplace_back(line);
    lines.numbers.push_back((*reader)->line_number());
  }
  return lines;
}

// The error that reading `path` to the end ends with (OK if none).
absl::Status ReadToEnd(const std::string& path) {
  auto reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::string_view line;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&line);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
  }
}

// Many lines of varying length, more than one read block (1 MiB) in total.
std::string ManyLines() {
  std::string text;
  for (int i = 0; i < 60000; ++i) {
    text += "line " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 37), 'x');
    text += (i % 3 == 0) ? "\r\n" : "\n";
  }
  return text;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

TEST(LineReaderTest, LinesKeepTheirTerminators) {
  const std::string path = TempPath("terminators.txt");
  WriteFile(path, "a\nb\r\n\nc\n");
  Lines lines = ReadAll(path);
  EXPECT_EQ(lines.raw, (std::vector<std::string>{"a\n", "b\r\n", "\n", "c\n"}));
  EXPECT_EQ(lines.numbers, (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(LineReaderTest, LastLineWithoutTerminatorIsStillALine) {
  const std::string path = TempPath("no_trailing_newline.txt");
  WriteFile(path, "first\nlast");
  Lines lines = ReadAll(path);
  EXPECT_EQ(lines.raw, (std::vector<std::string>{"first\n", "last"}));
}

TEST(LineReaderTest, CrBeforeLfBelongsToTheLineEnd) {
  EXPECT_EQ(StripLineEnd("text\r\n"), "text");
  EXPECT_EQ(StripLineEnd("text\n"), "text");
  EXPECT_EQ(StripLineEnd("text"), "text");
  EXPECT_EQ(StripLineEnd("text\r"), "text\r");  // a lone CR is content
  EXPECT_EQ(StripLineEnd("\r\n"), "");
}

TEST(LineReaderTest, Utf8BomAtStartIsDropped) {
  const std::string path = TempPath("bom.txt");
  WriteFile(path, "\xEF\xBB\xBFhello\n\xEF\xBB\xBFsecond\n");
  Lines lines = ReadAll(path);
  // Only the BOM at the very start goes; one later in the file is content.
  EXPECT_EQ(lines.raw, (std::vector<std::string>{"hello\n", "\xEF\xBB\xBFsecond\n"}));
  EXPECT_EQ(lines.numbers, (std::vector<uint64_t>{1, 2}));
}

TEST(LineReaderTest, FileOfOnlyABomHasNoLines) {
  const std::string path = TempPath("only_bom.txt");
  WriteFile(path, "\xEF\xBB\xBF");
  EXPECT_TRUE(ReadAll(path).raw.empty());
}

TEST(LineReaderTest, EmptyFileHasNoLines) {
  const std::string path = TempPath("empty.txt");
  WriteFile(path, "");
  EXPECT_TRUE(ReadAll(path).raw.empty());
}

TEST(LineReaderTest, LinesAcrossManyBlocksReproduceTheFile) {
  const std::string path = TempPath("many.txt");
  const std::string text = ManyLines();
  WriteFile(path, text);
  Lines lines = ReadAll(path);
  EXPECT_EQ(lines.raw.size(), 60000u);
  EXPECT_EQ(lines.numbers.back(), 60000u);
  EXPECT_EQ(Join(lines.raw), text);
}

TEST(LineReaderTest, LineLongerThanTheBufferIsReturnedWhole) {
  const std::string path = TempPath("long_line.txt");
  const std::string long_line = std::string(3 << 20, 'y') + "\n";
  WriteFile(path, "short\n" + long_line + "end");
  Lines lines = ReadAll(path);
  ASSERT_EQ(lines.raw.size(), 3u);
  EXPECT_EQ(lines.raw[1], long_line);
  EXPECT_EQ(lines.raw[2], "end");
}

TEST(LineReaderTest, GzipAndPlainGiveSameLines) {
  const std::string text = ManyLines();
  const std::string plain = TempPath("same.txt");
  // Named .txt on purpose: compression is detected from the magic bytes, not the name.
  const std::string gz = TempPath("same_gz.txt");
  WriteFile(plain, text);
  WriteFile(gz, Gzip(text));
  auto reader = LineReader::Open(gz);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->compression(), Compression::kGzip);
  Lines from_plain = ReadAll(plain);
  Lines from_gz = ReadAll(gz);
  EXPECT_EQ(from_gz.raw, from_plain.raw);
  EXPECT_EQ(from_gz.numbers, from_plain.numbers);
}

TEST(LineReaderTest, ConcatenatedGzipMembersReadAsOneStream) {
  const std::string path = TempPath("members.gz");
  // The first member ends mid-line: the line continues in the second member.
  WriteFile(path, Gzip("one\ntw") + Gzip("o\nthree\n") + Gzip("four"));
  Lines lines = ReadAll(path);
  EXPECT_EQ(lines.raw, (std::vector<std::string>{"one\n", "two\n", "three\n", "four"}));
}

TEST(LineReaderTest, TruncatedGzipIsAnErrorNamingTheFile) {
  const std::string path = TempPath("truncated.gz");
  const std::string gz = Gzip(ManyLines());
  WriteFile(path, gz.substr(0, gz.size() / 2));
  absl::Status status = ReadToEnd(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("truncated gzip"), absl::string_view::npos) << status;
}

TEST(LineReaderTest, GzipMissingOnlyItsTrailerIsTruncated) {
  const std::string path = TempPath("no_trailer.gz");
  const std::string gz = Gzip("all the data\n");
  WriteFile(path, gz.substr(0, gz.size() - 4));  // drop the ISIZE field
  EXPECT_EQ(ReadToEnd(path).code(), absl::StatusCode::kDataLoss);
}

TEST(LineReaderTest, CorruptGzipIsAnErrorNamingTheFile) {
  const std::string path = TempPath("corrupt.gz");
  std::string gz = Gzip(ManyLines());
  for (size_t i = 20; i < 60; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  WriteFile(path, gz);
  absl::Status status = ReadToEnd(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
}

TEST(LineReaderTest, ZstdRoundTripGivesSameLinesAsPlain) {
  const std::string text = ManyLines();
  const std::string plain = TempPath("zstd_same.txt");
  const std::string zst = TempPath("zstd_same.dat");
  WriteFile(plain, text);
  // Two frames back to back, split mid-line.
  WriteFile(zst, Zstd(text.substr(0, 500001)) + Zstd(text.substr(500001)));
  auto reader = LineReader::Open(zst);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->compression(), Compression::kZstd);
  Lines from_zst = ReadAll(zst);
  EXPECT_EQ(from_zst.raw, ReadAll(plain).raw);
  EXPECT_EQ(Join(from_zst.raw), text);
}

TEST(LineReaderTest, TruncatedZstdIsAnErrorNamingTheFile) {
  const std::string path = TempPath("truncated.zst");
  const std::string zst = Zstd(ManyLines());
  WriteFile(path, zst.substr(0, zst.size() - 10));
  absl::Status status = ReadToEnd(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("truncated zstd"), absl::string_view::npos) << status;
}

TEST(LineReaderTest, BomInsideCompressedDataIsDropped) {
  const std::string path = TempPath("bom.gz");
  WriteFile(path, Gzip("\xEF\xBB\xBFx\ny\n"));
  EXPECT_EQ(ReadAll(path).raw, (std::vector<std::string>{"x\n", "y\n"}));
}

TEST(LineReaderTest, BytesConsumedCountsCompressedBytes) {
  const std::string path = TempPath("consumed.gz");
  const std::string gz = Gzip(ManyLines());
  WriteFile(path, gz);
  auto reader = LineReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string_view line;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&line);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
  }
  EXPECT_EQ((*reader)->bytes_consumed(), gz.size());
}

TEST(LineReaderTest, DashReadsStandardInput) {
  const std::string path = TempPath("stdin.gz");
  WriteFile(path, Gzip("from\nstdin\n"));
  // Point fd 0 at the file for the duration of the read.
  const int saved = ::dup(STDIN_FILENO);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, STDIN_FILENO), STDIN_FILENO);
  ::close(fd);
  std::vector<std::string> lines;
  {
    auto reader = LineReader::Open("-");
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->label(), "<stdin>");
    std::string_view line;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next(&line);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
      lines.emplace_back(line);
    }
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  EXPECT_EQ(lines, (std::vector<std::string>{"from\n", "stdin\n"}));
}

TEST(LineReaderTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = TempPath("does_not_exist.txt");
  std::remove(path.c_str());
  auto reader = LineReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find(path), absl::string_view::npos) << reader.status();
}

// ---- the line limit: long lines come in pieces, memory stays bounded -----------------------

struct Piece {
  std::string bytes;
  uint64_t line_number;
  bool complete;
};

std::vector<Piece> ReadPieces(const std::string& path, size_t max_line_bytes,
                              size_t* max_capacity = nullptr) {
  std::vector<Piece> pieces;
  auto reader = LineReader::Open(path, max_line_bytes);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return pieces;
  std::string_view line;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->Next(&line);
    EXPECT_TRUE(more.ok()) << more.status();
    if (max_capacity) *max_capacity = std::max(*max_capacity, (*reader)->buffer_capacity());
    if (!more.ok() || !*more) break;
    pieces.push_back({std::string(line), (*reader)->line_number(), (*reader)->line_complete()});
  }
  return pieces;
}

TEST(LineReaderLimitTest, LinesWithinTheLimitAreWholeAndComplete) {
  const std::string path = TempPath("limit_short.txt");
  WriteFile(path, "abc\nde\n\nxyz");
  std::vector<Piece> p = ReadPieces(path, 4);  // "abc\n" is exactly 4 bytes: not split
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].bytes, "abc\n");
  EXPECT_TRUE(p[0].complete);
  EXPECT_EQ(p[3].bytes, "xyz");
  EXPECT_EQ(p[3].line_number, 4u);
  EXPECT_TRUE(p[3].complete);
}

TEST(LineReaderLimitTest, LongLineComesInPiecesThatRebuildIt) {
  const std::string path = TempPath("limit_long.txt");
  std::string long_line;
  for (int i = 0; i < (5 << 20) / 10; ++i) long_line += "0123456789";
  long_line += "\n";
  WriteFile(path, "first\n" + long_line + "last\n");
  size_t max_capacity = 0;
  const size_t limit = 1 << 20;
  std::vector<Piece> p = ReadPieces(path, limit, &max_capacity);
  ASSERT_GE(p.size(), 4u);
  EXPECT_EQ(p.front().bytes, "first\n");
  EXPECT_EQ(p.back().bytes, "last\n");
  EXPECT_EQ(p.back().line_number, 3u);
  std::string rebuilt;
  for (size_t i = 1; i + 1 < p.size(); ++i) {
    EXPECT_EQ(p[i].line_number, 2u);
    EXPECT_EQ(p[i].complete, i + 2 == p.size()) << i;
    if (!p[i].complete) EXPECT_GE(p[i].bytes.size(), limit);
    rebuilt += p[i].bytes;
  }
  EXPECT_EQ(rebuilt, long_line);
  EXPECT_LT(max_capacity, 2 * limit);
}

TEST(LineReaderLimitTest, SmallLimitKeepsTheBufferAtOneBlock) {
  const std::string path = TempPath("limit_small.txt");
  WriteFile(path, std::string(3 << 20, 'q'));  // no LF at all
  size_t max_capacity = 0;
  std::vector<Piece> p = ReadPieces(path, 10, &max_capacity);
  ASSERT_FALSE(p.empty());
  std::string rebuilt;
  for (const Piece& piece : p) {
    EXPECT_EQ(piece.line_number, 1u);
    rebuilt += piece.bytes;
  }
  EXPECT_EQ(rebuilt.size(), size_t{3} << 20);
  EXPECT_LE(max_capacity, size_t{1} << 20);
}

TEST(LineReaderLimitTest, CompressedLongLineIsBoundedToo) {
  const std::string text = "a\n" + std::string(8 << 20, 'z') + "\nb\n";
  for (const std::string& name : {std::string("limit_long.gz"), std::string("limit_long.zst")}) {
    const std::string path = TempPath(name);
    WriteFile(path, name.back() == 'z' ? Gzip(text) : Zstd(text));
    size_t max_capacity = 0;
    std::vector<Piece> p = ReadPieces(path, 1 << 20, &max_capacity);
    std::string rebuilt;
    for (const Piece& piece : p) rebuilt += piece.bytes;
    EXPECT_EQ(rebuilt, text) << name;
    EXPECT_EQ(p.back().line_number, 3u) << name;
    EXPECT_LT(max_capacity, size_t{2} << 20) << name;
  }
}

TEST(LineReaderLimitTest, ZeroLimitIsRefused) {
  const std::string path = TempPath("limit_zero.txt");
  WriteFile(path, "x\n");
  EXPECT_EQ(LineReader::Open(path, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace neardup::io

namespace neardup::io {
namespace {

// piece_offset(): each piece's bytes are found at that offset of the file, across buffer refills
// (lines longer than the buffer, pieces of over-long lines), a byte-order mark, CRLF and blank
// lines, and in a share of the file.
TEST(LineReaderOffsetTest, EveryPieceIsAtItsOffset) {
  std::string data = "\xEF\xBB\xBF{\"a\":1}\r\n\n";
  for (int i = 0; i < 3000; ++i) {
    data += std::string(static_cast<size_t>(1 + (i * 7919) % 3000), static_cast<char>('a' + i % 26));
    data += i % 5 == 0 ? "\r\n" : "\n";
    if (i % 11 == 0) data += "\n";
  }
  data += "tail without end";
  const std::string path = TempPath("offsets.txt");
  WriteFile(path, data);
  for (size_t limit : {size_t{64}, size_t{1} << 20}) {
    auto reader = LineReader::Open(path, limit);
    ASSERT_TRUE(reader.ok()) << reader.status();
    std::string_view piece;
    size_t pieces = 0;
    uint64_t expect = 3;  // after the byte-order mark
    for (;;) {
      absl::StatusOr<bool> more = (*reader)->Next(&piece);
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
      const uint64_t at = (*reader)->piece_offset();
      ASSERT_EQ(at, expect) << "piece " << pieces;
      ASSERT_EQ(data.substr(at, piece.size()), piece) << "piece " << pieces;
      expect = at + piece.size();
      ++pieces;
    }
    EXPECT_EQ(expect, data.size());
    EXPECT_GT(pieces, 3000u);
  }
  // A share starting in the middle: offsets are still offsets of the file.
  LineRange range;
  range.begin = data.size() / 2;
  range.first_line_number = 1;  // not checked here
  auto share = LineReader::Open(path, LineReader::kNoLimit, range);
  ASSERT_TRUE(share.ok()) << share.status();
  std::string_view piece;
  size_t pieces = 0;
  for (;;) {
    absl::StatusOr<bool> more = (*share)->Next(&piece);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    const uint64_t at = (*share)->piece_offset();
    ASSERT_GE(at, range.begin);
    ASSERT_EQ(data.substr(at, piece.size()), piece);
    ++pieces;
  }
  EXPECT_GT(pieces, 1000u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace neardup::io
