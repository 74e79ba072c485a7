#include "io/line_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace neardup::io {
namespace {

std::string TempPath(const std::string& name) { return testing::TempDir() + "line_reader_" + name; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// One complete gzip member holding `data`.
std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// One complete zstd frame holding `data`.
std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
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

}  // namespace
}  // namespace neardup::io
