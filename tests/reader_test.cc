#include "neardup/io/reader.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "compress_testutil.h"
#include "gtest/gtest.h"

namespace neardup {
namespace {

std::string TempPath(const std::string& name) { return testing::TempDir() + "reader_" + name; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

struct Records {
  std::vector<std::string> raw;
  std::vector<uint64_t> lines;
  std::string all_data;  // every batch's data, concatenated
  size_t batches = 0;
  std::vector<std::string> columns;
  std::string header_raw;
};

// Reads all records of `path` in batches of about `target_bytes`; fails the test on error.
Records ReadAll(const std::string& path, Format format, size_t target_bytes = 1 << 20) {
  Records out;
  auto reader = RecordReader::Open(path, format);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  out.columns = (*reader)->columns();
  out.header_raw = (*reader)->header_raw();
  RecordBatch batch;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->ReadBatch(target_bytes, &batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    ++out.batches;
    out.all_data += batch.data;
    for (size_t i = 0; i < batch.size(); ++i) {
      out.raw.emplace_back(batch.record(i));
      out.lines.push_back(batch.line_numbers[i]);
    }
  }
  EXPECT_EQ(batch.size(), 0u);  // the final, false, batch is empty
  return out;
}

// Parses one jsonl line; `line_number` is 7 so messages can be checked.
absl::Status ParseJsonl(const std::string& record, Document* doc, FieldNames fields = {}) {
  RecordParser parser(Format::kJsonl, std::move(fields), "data.jsonl", {});
  return parser.Parse(record, 7, doc);
}

// ---- formats ------------------------------------------------------------------------------

TEST(ReaderFormatTest, ParseFormatAcceptsNamesAndAliases) {
  EXPECT_EQ(*ParseFormat("jsonl"), Format::kJsonl);
  EXPECT_EQ(*ParseFormat("ndjson"), Format::kJsonl);
  EXPECT_EQ(*ParseFormat("json"), Format::kJsonl);
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("tsv"), Format::kTsv);
  EXPECT_EQ(*ParseFormat("txt"), Format::kText);
  EXPECT_EQ(*ParseFormat("text"), Format::kText);
  EXPECT_EQ(*ParseFormat("auto"), Format::kAuto);
}

TEST(ReaderFormatTest, ParseFormatRejectsUnknownNamesWithTheName) {
  absl::StatusOr<Format> f = ParseFormat("xml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(f.status().message(), "\"xml\"")) << f.status();
}

TEST(ReaderFormatTest, FormatNameRoundTripsThroughParseFormat) {
  for (Format f : {Format::kAuto, Format::kJsonl, Format::kCsv, Format::kTsv, Format::kText}) {
    EXPECT_EQ(*ParseFormat(FormatName(f)), f);
  }
}

TEST(ReaderFormatTest, GuessFormatLooksPastCompressionSuffix) {
  EXPECT_EQ(GuessFormat("a/b.csv.gz"), Format::kCsv);
  EXPECT_EQ(GuessFormat("b.TSV.zst"), Format::kTsv);
  EXPECT_EQ(GuessFormat("notes.txt"), Format::kText);
  EXPECT_EQ(GuessFormat("notes.text.gz"), Format::kText);
  EXPECT_EQ(GuessFormat("docs.ndjson"), Format::kJsonl);
  EXPECT_EQ(GuessFormat("docs.jsonl.zst"), Format::kJsonl);
  EXPECT_EQ(GuessFormat("-"), Format::kJsonl);
  EXPECT_EQ(GuessFormat("README"), Format::kJsonl);
}

// ---- RecordReader -------------------------------------------------------------------------

TEST(RecordReaderTest, BatchesKeepRawBytesExactly) {
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body += "{\"id\": " + std::to_string(i) + ", \"text\": \"doc " + std::to_string(i) + "\"}";
    body += (i % 2 == 0) ? "\r\n" : "\n";
  }
  body += "{\"id\": \"last\"}";  // no terminator
  const std::string path = TempPath("raw.jsonl");
  WriteFile(path, "\xEF\xBB\xBF" + body);
  Records r = ReadAll(path, Format::kJsonl, /*target_bytes=*/1000);
  EXPECT_GT(r.batches, 10u);
  EXPECT_EQ(r.raw.size(), 501u);
  EXPECT_EQ(r.all_data, body);  // the BOM is gone, every other byte is kept
  EXPECT_EQ(r.raw[0], "{\"id\": 0, \"text\": \"doc 0\"}\r\n");
  EXPECT_EQ(r.lines.back(), 501u);
}

TEST(RecordReaderTest, BlankLinesAreSkippedButStillCounted) {
  const std::string path = TempPath("blank.jsonl");
  WriteFile(path, "\n{\"id\": \"a\"}\n  \r\n\n{\"id\": \"b\"}\n\n");
  Records r = ReadAll(path, Format::kJsonl);
  EXPECT_EQ(r.raw, (std::vector<std::string>{"{\"id\": \"a\"}\n", "{\"id\": \"b\"}\n"}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 5}));
}

TEST(RecordReaderTest, CsvHeaderIsReadAtOpenAndNotARecord) {
  const std::string path = TempPath("header.csv");
  const std::string header = "\"id\",title,text\r\n";
  const std::string rows = "1,A,alpha\r\n2,B,beta\r\n";
  WriteFile(path, "\xEF\xBB\xBF" + header + rows);
  Records r = ReadAll(path, Format::kCsv);
  EXPECT_EQ(r.header_raw, header);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "title", "text"}));
  EXPECT_EQ(r.all_data, rows);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(RecordReaderTest, CsvQuotedFieldSpansLines) {
  const std::string path = TempPath("multiline.csv");
  const std::string rec1 = "1,\"first line\nsecond, with comma\r\nthird \"\"quoted\"\"\"\n";
  const std::string rec2 = "2,plain\n";
  WriteFile(path, "id,text\n" + rec1 + rec2);
  Records r = ReadAll(path, Format::kCsv);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_EQ(r.raw[0], rec1);
  EXPECT_EQ(r.raw[1], rec2);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 5}));

  RecordParser parser(Format::kCsv, {}, "multi.csv", r.columns);
  Document doc;
  ASSERT_TRUE(parser.Parse(r.raw[0], r.lines[0], &doc).ok());
  EXPECT_EQ(doc.id, "1");
  EXPECT_EQ(doc.body, "first line\nsecond, with comma\r\nthird \"quoted\"");
}

TEST(RecordReaderTest, CsvUnterminatedQuoteRunsToEndAndFailsToParse) {
  const std::string path = TempPath("unterminated.csv");
  WriteFile(path, "id,text\n1,ok\n2,\"never closed\n3,more\n");
  Records r = ReadAll(path, Format::kCsv);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_EQ(r.raw[1], "2,\"never closed\n3,more\n");
  RecordParser parser(Format::kCsv, {}, "u.csv", r.columns);
  Document doc;
  absl::Status s = parser.Parse(r.raw[1], r.lines[1], &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "u.csv:3: unterminated quoted field")) << s;
}

// RFC 4180: a quoted field ends at its closing quote. Text after it is an error naming the field
// (the record is skipped, not read as a guess), and it merges no rows; a doubled quote is a quote.
TEST(RecordReaderTest, CsvTextAfterAClosingQuoteIsAnErrorAndMergesNothing) {
  const std::string path = TempPath("afterquote.csv");
  WriteFile(path, "id,text\n1,\"abc\"def\n2,plain\n3,\"q\"\"uoted\"\n");
  Records r = ReadAll(path, Format::kCsv);
  ASSERT_EQ(r.raw.size(), 3u);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4}));
  RecordParser parser(Format::kCsv, {}, "q.csv", r.columns);
  Document doc;
  absl::Status s = parser.Parse(r.raw[0], r.lines[0], &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "q.csv:2: text after the closing quote of field 2")) << s;
  ASSERT_TRUE(parser.Parse(r.raw[1], r.lines[1], &doc).ok());
  EXPECT_EQ(doc.body, "plain");
  ASSERT_TRUE(parser.Parse(r.raw[2], r.lines[2], &doc).ok());
  EXPECT_EQ(doc.body, "q\"uoted");
}

TEST(RecordReaderTest, EmptyCsvHasNoHeaderAndNoRecords) {
  const std::string path = TempPath("empty.csv");
  WriteFile(path, "");
  Records r = ReadAll(path, Format::kCsv);
  EXPECT_TRUE(r.columns.empty());
  EXPECT_EQ(r.header_raw, "");
  EXPECT_TRUE(r.raw.empty());
}

TEST(RecordReaderTest, GzipInputGivesSameRecordsAsPlain) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"id\": " + std::to_string(i) + "}\n";
  const std::string plain = TempPath("same.jsonl");
  const std::string gz = TempPath("same.jsonl.gz");
  WriteFile(plain, text);
  WriteFile(gz, neardup_test::Gzip(text));
  Records a = ReadAll(plain, Format::kJsonl, 4096);
  Records b = ReadAll(gz, Format::kJsonl, 4096);
  EXPECT_EQ(b.raw, a.raw);
  EXPECT_EQ(b.lines, a.lines);
}

TEST(RecordReaderTest, OpenWithAutoFormatIsAnError) {
  const std::string path = TempPath("auto.jsonl");
  WriteFile(path, "{}\n");
  EXPECT_EQ(RecordReader::Open(path, Format::kAuto).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RecordReaderTest, MissingFileIsAnErrorNamingIt) {
  const std::string path = TempPath("missing.jsonl");
  std::remove(path.c_str());
  auto reader = RecordReader::Open(path, Format::kJsonl);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(Contains(reader.status().message(), path)) << reader.status();
}

// ---- oversized records: skipped, counted, memory bounded ------------------------------------

struct Oversized {
  std::vector<std::string> raw;            // kept bytes (a prefix for an oversized record)
  std::vector<uint64_t> lines;
  std::vector<uint64_t> oversized_length;  // 0 = a normal record
  uint64_t raw_bytes = 0;
  size_t max_buffer_capacity = 0;
  size_t max_batch_capacity = 0;
};

Oversized ReadLimited(const std::string& path, Format format, size_t max_record_bytes,
                      size_t target_bytes = 1 << 20) {
  Oversized out;
  auto reader = RecordReader::Open(path, format, max_record_bytes);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  RecordBatch batch;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->ReadBatch(target_bytes, &batch);
    EXPECT_TRUE(more.ok()) << more.status();
    out.max_buffer_capacity = std::max(out.max_buffer_capacity, (*reader)->buffer_capacity());
    out.max_batch_capacity = std::max(out.max_batch_capacity, batch.data.capacity());
    if (!more.ok() || !*more) break;
    EXPECT_EQ(batch.oversized_length.size(), batch.size());
    out.raw_bytes += batch.raw_bytes;
    for (size_t i = 0; i < batch.size(); ++i) {
      out.raw.emplace_back(batch.record(i));
      out.lines.push_back(batch.line_numbers[i]);
      out.oversized_length.push_back(batch.oversized_length[i]);
      EXPECT_EQ(batch.oversized(i), batch.oversized_length[i] != 0);
    }
  }
  return out;
}

TEST(RecordReaderOversizedTest, FiftyMegabyteLineWithOneMegabyteLimitIsSkippedAndBounded) {
  const std::string path = TempPath("huge_line.jsonl");
  const std::string before = "{\"id\":\"a\",\"text\":\"before\"}\n";
  const std::string after = "{\"id\":\"c\",\"text\":\"after\"}\n";
  const std::string huge =
      "{\"id\":\"b\",\"text\":\"" + std::string(50'000'000, 'x') + "\"}\n";
  WriteFile(path, before + huge + after);
  const size_t limit = 1 << 20;
  Oversized r = ReadLimited(path, Format::kJsonl, limit);
  ASSERT_EQ(r.raw.size(), 3u);
  EXPECT_EQ(r.raw[0], before);
  EXPECT_EQ(r.raw[2], after);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(r.oversized_length, (std::vector<uint64_t>{0, huge.size(), 0}));
  // Only a prefix of the huge record is kept, without a line end.
  EXPECT_EQ(r.raw[1], huge.substr(0, kOversizedPrefixBytes));
  EXPECT_EQ(r.raw_bytes, before.size() + huge.size() + after.size());
  // Memory: neither the reader's buffer nor the batch ever held the record whole.
  EXPECT_LT(r.max_buffer_capacity, 2 * limit);
  EXPECT_LT(r.max_batch_capacity, 4 * limit);
}

TEST(RecordReaderOversizedTest, CompressedHugeLineIsBoundedToo) {
  const std::string text = "{\"id\":\"a\"}\n" + std::string(20'000'000, ' ') + "x\n{\"id\":\"b\"}\n";
  const std::string path = TempPath("huge_line.jsonl.gz");
  WriteFile(path, neardup_test::Gzip(text));
  Oversized r = ReadLimited(path, Format::kJsonl, 1 << 20);
  ASSERT_EQ(r.raw.size(), 3u);
  EXPECT_EQ(r.oversized_length, (std::vector<uint64_t>{0, 20'000'002, 0}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_LT(r.max_buffer_capacity, size_t{2} << 20);
}

TEST(RecordReaderOversizedTest, RecordOfExactlyTheLimitIsKeptOneMoreByteIsNot) {
  const std::string path = TempPath("limit_edge.txt");
  // Limit 10: "123456789\n" is 10 bytes with its LF; "1234567890\n" is 11.
  WriteFile(path, "123456789\n1234567890\nok\n");
  Oversized r = ReadLimited(path, Format::kText, 10);
  ASSERT_EQ(r.raw.size(), 3u);
  EXPECT_EQ(r.raw[0], "123456789\n");
  EXPECT_EQ(r.oversized_length, (std::vector<uint64_t>{0, 11, 0}));
  EXPECT_EQ(r.raw[1], "1234567890");  // the prefix is at most the limit, and has no line end
  EXPECT_EQ(r.raw[2], "ok\n");
}

TEST(RecordReaderOversizedTest, OversizedLastLineWithoutLineEnd) {
  const std::string path = TempPath("limit_last.tsv");
  WriteFile(path, "id\ttext\n1\tok\n2\t" + std::string(100, 'y'));
  Oversized r = ReadLimited(path, Format::kTsv, 64);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_EQ(r.oversized_length, (std::vector<uint64_t>{0, 102}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(RecordReaderOversizedTest, CsvQuotedFieldPastTheLimitIsOneOversizedRecord) {
  const std::string path = TempPath("limit_quoted.csv");
  std::string field;
  for (int i = 0; i < 1000; ++i) field += "line " + std::to_string(i) + "\n";
  const std::string big = "1,\"" + field + "\"\n";
  WriteFile(path, "id,text\n" + big + "2,after\n");
  Oversized r = ReadLimited(path, Format::kCsv, 1000);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_EQ(r.oversized_length[0], big.size());
  EXPECT_EQ(r.raw[0], "1,\"line 0");  // the prefix stops before the first LF
  EXPECT_EQ(r.raw[1], "2,after\n");
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 1003}));
}

TEST(RecordReaderOversizedTest, CsvQuoteThatNeverClosesIsBoundedAndRunsToTheEnd) {
  const std::string path = TempPath("limit_unclosed.csv");
  std::string rest;
  for (int i = 0; i < 200000; ++i) rest += std::to_string(i) + ",short line\n";
  WriteFile(path, "id,text\n1,ok\n2,\"never closed\n" + rest);
  const size_t limit = 64 << 10;
  Oversized r = ReadLimited(path, Format::kCsv, limit);
  ASSERT_EQ(r.raw.size(), 2u);
  EXPECT_EQ(r.oversized_length[0], 0u);
  EXPECT_EQ(r.oversized_length[1], std::string("2,\"never closed\n").size() + rest.size());
  EXPECT_LE(r.raw[1].size(), kOversizedPrefixBytes);
  EXPECT_LE(r.max_buffer_capacity, size_t{1} << 20);
  EXPECT_LT(r.max_batch_capacity, size_t{4} << 20);
}

TEST(RecordReaderOversizedTest, RecordsAfterAnOversizedOneKeepTheirOrdinals) {
  // The same file read with and without a limit gives the same records in the same places.
  const std::string path = TempPath("limit_ordinals.jsonl");
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "{\"id\":\"" + std::to_string(i) + "\",\"text\":\"" +
            std::string(i % 7 == 3 ? 5000 : 10, 't') + "\"}\n";
    if (i % 10 == 0) text += "\n";  // blank lines are still skipped
  }
  WriteFile(path, text);
  Records all = ReadAll(path, Format::kJsonl, 4096);
  Oversized limited = ReadLimited(path, Format::kJsonl, 1000, 4096);
  ASSERT_EQ(limited.raw.size(), all.raw.size());
  EXPECT_EQ(limited.lines, all.lines);
  for (size_t i = 0; i < all.raw.size(); ++i) {
    if (limited.oversized_length[i] != 0) {
      EXPECT_EQ(limited.oversized_length[i], all.raw[i].size()) << i;
      EXPECT_GT(all.raw[i].size(), 1000u) << i;
    } else {
      EXPECT_EQ(limited.raw[i], all.raw[i]) << i;
    }
  }
}

TEST(RecordReaderOversizedTest, OversizedHeaderFailsOpenNamingFileAndLine) {
  const std::string path = TempPath("limit_header.csv");
  WriteFile(path, "\nid," + std::string(500, 'h') + "\n1,x\n");
  auto reader = RecordReader::Open(path, Format::kCsv, 100);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(reader.status().message(), "limit_header.csv:2: header row of 504 bytes"))
      << reader.status();
}

TEST(RecordReaderOversizedTest, ZeroLimitIsRefused) {
  const std::string path = TempPath("limit_zero.jsonl");
  WriteFile(path, "{}\n");
  EXPECT_EQ(RecordReader::Open(path, Format::kJsonl, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RecordReaderOversizedTest, DefaultLimitIsSixtyFourMebibytes) {
  EXPECT_EQ(kDefaultMaxRecordBytes, size_t{64} << 20);
}

// ---- RecordParser: jsonl ------------------------------------------------------------------

TEST(ReaderJsonlTest, ReadsIdTitleAndText) {
  Document doc;
  ASSERT_TRUE(ParseJsonl(R"({"id": "a1", "title": "T", "text": "body", "extra": [1, {"x": 2}]})",
                         &doc)
                  .ok());
  EXPECT_EQ(doc.id, "a1");
  EXPECT_EQ(doc.title, "T");
  EXPECT_EQ(doc.body, "body");
}

TEST(ReaderJsonlTest, EscapesAndSurrogatePairsAreUnescaped) {
  Document doc;
  absl::Status s = ParseJsonl(
      R"({"text": "a\"b\\c\/d\ne\tf \u00e9 \u4e2d \ud83d\ude00 \uD55C"})" "\r\n", &doc);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(doc.body, "a\"b\\c/d\ne\tf \xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xED\x95\x9C");
}

TEST(ReaderJsonlTest, LoneSurrogateEscapeBecomesReplacementCharacter) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"text": "x\ud800y\udc00z"})", &doc);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(doc.body, "x\xEF\xBF\xBDy\xEF\xBF\xBDz");
}

TEST(ReaderJsonlTest, NumericIdKeepsItsText) {
  Document doc;
  ASSERT_TRUE(ParseJsonl(R"({"id": 17, "text": "x"})", &doc).ok());
  EXPECT_EQ(doc.id, "17");
  ASSERT_TRUE(ParseJsonl(R"({"text": "x", "id": 3.5 })", &doc).ok());
  EXPECT_EQ(doc.id, "3.5");
  ASSERT_TRUE(ParseJsonl("{\"id\":-2e3}\n", &doc).ok());
  EXPECT_EQ(doc.id, "-2e3");
}

TEST(ReaderJsonlTest, MissingIdDefaultsToFileAndLine) {
  Document doc;
  ASSERT_TRUE(ParseJsonl(R"({"text": "x"})", &doc).ok());
  EXPECT_EQ(doc.id, "data.jsonl:7");
  EXPECT_EQ(doc.title, "");
}

TEST(ReaderJsonlTest, NullFieldsCountAsAbsent) {
  Document doc;
  ASSERT_TRUE(ParseJsonl(R"({"id": null, "title": null, "text": "x"})", &doc).ok());
  EXPECT_EQ(doc.id, "data.jsonl:7");
  EXPECT_EQ(doc.title, "");
  EXPECT_EQ(doc.body, "x");
}

TEST(ReaderJsonlTest, CustomFieldNamesAreUsed) {
  FieldNames fields;
  fields.id = "doc_id";
  fields.text = "content";
  fields.title = "headline";
  Document doc;
  ASSERT_TRUE(ParseJsonl(R"({"id": "no", "doc_id": "yes", "headline": "H", "content": "C"})",
                         &doc, fields)
                  .ok());
  EXPECT_EQ(doc.id, "yes");
  EXPECT_EQ(doc.title, "H");
  EXPECT_EQ(doc.body, "C");
}

TEST(ReaderJsonlTest, NumberTextFieldIsAnErrorSayingSo) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"id": "a", "text": 42})", &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "data.jsonl:7: field \"text\" is a number, expected a string");
}

TEST(ReaderJsonlTest, ObjectTitleFieldIsAnErrorSayingSo) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"title": {"en": "x"}, "text": "y"})", &doc);
  EXPECT_EQ(s.message(), "data.jsonl:7: field \"title\" is an object, expected a string");
}

TEST(ReaderJsonlTest, BooleanIdIsAnError) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"id": true})", &doc);
  EXPECT_EQ(s.message(), "data.jsonl:7: field \"id\" is a boolean, expected a string or a number");
}

TEST(ReaderJsonlTest, InvalidJsonIsAnErrorNamingFileAndLine) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"id": "a", "text": "unclosed})", &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "data.jsonl:7: invalid JSON")) << s;
  s = ParseJsonl(R"({"id": "a" "text": "b"})", &doc);
  EXPECT_TRUE(absl::StartsWith(s.message(), "data.jsonl:7: invalid JSON")) << s;
}

TEST(ReaderJsonlTest, LineThatIsNotAnObjectIsAnError) {
  Document doc;
  absl::Status s = ParseJsonl(R"(["id", "text"])", &doc);
  EXPECT_EQ(s.message(), "data.jsonl:7: expected a JSON object, got an array");
  s = ParseJsonl("\"just a string\"", &doc);
  EXPECT_EQ(s.message(), "data.jsonl:7: expected a JSON object, got a string");
}

TEST(ReaderJsonlTest, ContentAfterTheObjectIsAnError) {
  Document doc;
  absl::Status s = ParseJsonl(R"({"id": "a"} {"id": "b"})", &doc);
  EXPECT_TRUE(absl::StartsWith(s.message(), "data.jsonl:7: invalid JSON")) << s;
}

TEST(ReaderJsonlTest, InvalidUtf8InStringIsRepairedNotFatal) {
  Document doc;
  // A stray continuation byte and a truncated 3-byte sequence, inside and outside the used fields.
  absl::Status s =
      ParseJsonl("{\"id\": \"x\", \"other\": \"\xC3\", \"text\": \"caf\x80 na\xE2\x82 end\"}\n", &doc);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(doc.id, "x");
  EXPECT_EQ(doc.body.find("caf\xEF\xBF\xBD na"), 0u) << doc.body;
  EXPECT_TRUE(Contains(doc.body, " end")) << doc.body;
}

TEST(ReaderJsonlTest, ParserIsReusableAcrossRecordsOfDifferentSizes) {
  RecordParser parser(Format::kJsonl, {}, "r.jsonl", {});
  Document doc;
  const std::string big = "{\"text\": \"" + std::string(100000, 'b') + "\"}";
  ASSERT_TRUE(parser.Parse(big, 1, &doc).ok());
  EXPECT_EQ(doc.body.size(), 100000u);
  ASSERT_TRUE(parser.Parse(R"({"title": "small"})", 2, &doc).ok());
  EXPECT_EQ(doc.title, "small");
  EXPECT_EQ(doc.body, "");  // nothing left over from the previous record
  EXPECT_EQ(doc.id, "r.jsonl:2");
}

// ---- RecordParser: csv, tsv, text ---------------------------------------------------------

TEST(ReaderDelimitedTest, CsvFieldsAreMatchedByHeaderName) {
  RecordParser parser(Format::kCsv, {}, "x.csv", {"text", "extra", "id"});
  Document doc;
  ASSERT_TRUE(parser.Parse("\"hello, world\",,\"7\"\r\n", 2, &doc).ok());
  EXPECT_EQ(doc.body, "hello, world");
  EXPECT_EQ(doc.id, "7");
  EXPECT_EQ(doc.title, "");
}

TEST(ReaderDelimitedTest, CsvFieldCountMismatchNamesBothCounts) {
  RecordParser parser(Format::kCsv, {}, "x.csv", {"a", "b", "c", "d", "text"});
  Document doc;
  absl::Status s = parser.Parse("1,2,3\n", 4, &doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "x.csv:4: 3 fields, header has 5");
}

TEST(ReaderDelimitedTest, CsvWithoutIdColumnUsesFileAndLine) {
  RecordParser parser(Format::kCsv, {}, "x.csv", {"text"});
  Document doc;
  ASSERT_TRUE(parser.Parse("body\n", 9, &doc).ok());
  EXPECT_EQ(doc.id, "x.csv:9");
}

TEST(ReaderDelimitedTest, TsvSplitsOnTabsWithoutQuoting) {
  RecordParser parser(Format::kTsv, {}, "x.tsv", {"id", "title", "text"});
  Document doc;
  ASSERT_TRUE(parser.Parse("k1\t\"Quoted\"\tsome, text\r\n", 2, &doc).ok());
  EXPECT_EQ(doc.id, "k1");
  EXPECT_EQ(doc.title, "\"Quoted\"");
  EXPECT_EQ(doc.body, "some, text");
  absl::Status s = parser.Parse("k2\tonly two\n", 3, &doc);
  EXPECT_EQ(s.message(), "x.tsv:3: 2 fields, header has 3");
}

TEST(ReaderDelimitedTest, TextLineIsTheBodyAndIdIsFileAndLine) {
  const std::string path = TempPath("lines.txt");
  WriteFile(path, "first doc\r\n\n   \nsecond doc");
  Records r = ReadAll(path, Format::kText);
  ASSERT_EQ(r.raw.size(), 2u);
  RecordParser parser(Format::kText, {}, "lines.txt", {});
  Document doc;
  ASSERT_TRUE(parser.Parse(r.raw[0], r.lines[0], &doc).ok());
  EXPECT_EQ(doc.body, "first doc");
  EXPECT_EQ(doc.id, "lines.txt:1");
  ASSERT_TRUE(parser.Parse(r.raw[1], r.lines[1], &doc).ok());
  EXPECT_EQ(doc.body, "second doc");
  EXPECT_EQ(doc.id, "lines.txt:4");
}

// ---- real data ----------------------------------------------------------------------------

TEST(ReaderRealDataTest, SpamAssassinCorpusReadsAndParsesEveryRecord) {
  const std::string path = NEARDUP_SOURCE_DIR "/../shared/data/spam-assassin/docs.jsonl";
  if (!std::ifstream(path).good()) FAIL() << "corpus not present: " << path;
  auto reader = RecordReader::Open(path, GuessFormat(path));
  ASSERT_TRUE(reader.ok()) << reader.status();
  RecordParser parser(Format::kJsonl, {}, "docs.jsonl", {});
  RecordBatch batch;
  Document doc;
  size_t records = 0, with_title = 0;
  uint64_t raw_bytes = 0;
  for (;;) {
    absl::StatusOr<bool> more = (*reader)->ReadBatch(1 << 20, &batch);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    raw_bytes += batch.data.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status s = parser.Parse(batch.record(i), batch.line_numbers[i], &doc);
      ASSERT_TRUE(s.ok()) << s;
      EXPECT_FALSE(doc.id.empty());
      EXPECT_FALSE(doc.body.empty()) << doc.id;
      with_title += doc.title.empty() ? 0 : 1;
      ++records;
    }
  }
  EXPECT_EQ(records, 6046u);
  EXPECT_GT(with_title, 0u);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  EXPECT_EQ(raw_bytes, static_cast<uint64_t>(in.tellg()));  // no BOM, no blank lines here
  EXPECT_EQ((*reader)->bytes_consumed(), raw_bytes);
}

}  // namespace
}  // namespace neardup
