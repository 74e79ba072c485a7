// Shares of one input (io/reader.h ByteShare), the way MPI ranks read one large file together:
// cut anywhere, the shares hand out every record exactly once, with the line numbers, raw bytes
// and oversized flags of a whole-file read.
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/io/reader.h"

namespace neardup {
namespace {

std::string TempPath(const std::string& name) { return testing::TempDir() + "share_" + name; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

struct Read {
  std::vector<std::string> raw;
  std::vector<uint64_t> lines;
  std::vector<uint64_t> oversized;
};

void ReadInto(const std::string& path, Format format, size_t max_record_bytes,
              const ByteShare& share, Read* out) {
  auto reader = RecordReader::Open(path, format, max_record_bytes, share);
  ASSERT_TRUE(reader.ok()) << reader.status();
  RecordBatch batch;
  for (;;) {
    auto more = (*reader)->ReadBatch(7, &batch);  // small batches: many calls
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      out->raw.emplace_back(batch.record(i));
      out->lines.push_back(batch.line_numbers[i]);
      out->oversized.push_back(batch.oversized_length[i]);
    }
  }
}

// The share [begin, end) with the line number a distributed run gives it.
ByteShare ShareOf(const std::string& path, uint64_t begin, uint64_t end) {
  ByteShare share;
  share.begin = begin;
  share.end = end;
  if (begin > 0) {
    auto feeds = CountLineFeeds(path, 0, begin - 1);
    EXPECT_TRUE(feeds.ok()) << feeds.status();
    share.first_line_number = *feeds + 2;
  }
  return share;
}

// Every way of cutting `bytes` into two and three shares reads what the whole file reads.
void ExpectSharesMatchWholeRead(const std::string& name, const std::string& bytes, Format format,
                                size_t max_record_bytes = kDefaultMaxRecordBytes) {
  const std::string path = TempPath(name);
  WriteFile(path, bytes);
  Read whole;
  ReadInto(path, format, max_record_bytes, ByteShare{}, &whole);
  const uint64_t size = bytes.size();
  // Every pair of cuts in a short file; in a longer one every cut a, and b in steps of 7, or 17
  // past 100 bytes (each (a, b) opens the file three times, which adds up under the sanitizers:
  // 1,400 pairs took 29 s under ASan).
  const uint64_t step = size < 40 ? 1 : size < 100 ? 7 : 17;
  for (uint64_t a = 0; a <= size; ++a) {
    for (uint64_t b = a; b <= size; b += step) {
      Read parts;
      ReadInto(path, format, max_record_bytes, ShareOf(path, 0, a), &parts);
      ReadInto(path, format, max_record_bytes, ShareOf(path, a, b), &parts);
      ReadInto(path, format, max_record_bytes, ShareOf(path, b, size), &parts);
      ASSERT_EQ(parts.raw, whole.raw) << name << " cut at " << a << ", " << b;
      ASSERT_EQ(parts.lines, whole.lines) << name << " cut at " << a << ", " << b;
      ASSERT_EQ(parts.oversized, whole.oversized) << name << " cut at " << a << ", " << b;
    }
  }
}

TEST(MpiShareTest, JsonlCutAnywhereReadsEveryRecordOnce) {
  ExpectSharesMatchWholeRead("plain.jsonl",
                             "{\"id\":\"1\"}\n{\"id\":\"2\",\"text\":\"x\"}\n\n  \n{\"id\":\"3\"}\n"
                             "{\"id\":\"4\"}",
                             Format::kJsonl);
}

TEST(MpiShareTest, ByteOrderMarkCrlfAndBlankLines) {
  ExpectSharesMatchWholeRead("bom.jsonl", "\xEF\xBB\xBF{\"id\":\"a\"}\r\n\r\n{\"id\":\"b\"}\r\n\n",
                             Format::kJsonl);
  ExpectSharesMatchWholeRead("bom.txt", "\xEF\xBB\xBFone\r\ntwo\n\nthree\n", Format::kText);
}

TEST(MpiShareTest, OversizedLinesStayWithTheShareTheyStartIn) {
  std::string bytes = "{\"id\":\"short\"}\n";
  bytes += "{\"id\":\"long\",\"text\":\"" + std::string(90, 'x') + "\"}\n";
  bytes += "{\"id\":\"after\"}\n";
  ExpectSharesMatchWholeRead("oversized.jsonl", bytes, Format::kJsonl, /*max_record_bytes=*/64);
}

TEST(MpiShareTest, EmptyFileAndSharesPastTheEnd) {
  ExpectSharesMatchWholeRead("empty.jsonl", "", Format::kJsonl);
  ExpectSharesMatchWholeRead("one.jsonl", "{}", Format::kJsonl);
}

TEST(MpiShareTest, CompressedAndCsvFilesCannotBeShared) {
  const std::string csv = TempPath("t.csv");
  WriteFile(csv, "id,text\n1,a\n");
  ByteShare share;
  share.begin = 2;
  share.end = 5;
  EXPECT_EQ(RecordReader::Open(csv, Format::kCsv, kDefaultMaxRecordBytes, share).status().code(),
            absl::StatusCode::kFailedPrecondition);

  const std::string gz = TempPath("t.jsonl.gz");
  gzFile f = gzopen(gz.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzputs(f, "{\"id\":\"1\"}\n{\"id\":\"2\"}\n");
  gzclose(f);
  auto facts = ProbeInput(gz);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(facts->compressed);
  EXPECT_FALSE(Shareable(Format::kJsonl, *facts));
  EXPECT_EQ(RecordReader::Open(gz, Format::kJsonl, kDefaultMaxRecordBytes, share).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The whole file is always fine.
  EXPECT_TRUE(RecordReader::Open(gz, Format::kJsonl, kDefaultMaxRecordBytes, ByteShare{}).ok());
}

TEST(MpiShareTest, ProbeAndCountLineFeeds) {
  const std::string path = TempPath("count.jsonl");
  WriteFile(path, "a\nb\n\nc");
  auto facts = ProbeInput(path);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->size, 6u);
  EXPECT_FALSE(facts->compressed);
  EXPECT_EQ(*CountLineFeeds(path, 0, 6), 3u);
  EXPECT_EQ(*CountLineFeeds(path, 2, 4), 1u);
  EXPECT_EQ(*CountLineFeeds(path, 5, 100), 0u);
  EXPECT_FALSE(ProbeInput(TempPath("missing.jsonl")).ok());
}

}  // namespace
}  // namespace neardup
