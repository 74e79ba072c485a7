// cli_clean_test.cc: `neardup clean` end to end: the scraped-page corpus (3,000 documents,
// a menu and a footer line in each, a 300-byte span in 300 of them), generated here; the other
// formats; bad records; usage errors.
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "internal/json.h"
#include "testutil.h"

namespace neardup_test {
namespace {

struct Page {
  std::string id, title, text, url;
  std::vector<std::string> unique_lines;  // lines of its own (no span)
};

constexpr char kMenu[] = "메뉴 건너뛰기";
constexpr char kFooter[] = "ⓒ 한국일보 무단 전재 및 재배포 금지";

// A 300-byte span of Hangul and ASCII that no unique line shares 200 bytes with, and that does
// not repeat itself (a periodic span would be a repeat inside its first occurrence too).
std::string Span() {
  std::string s = "구독자 전용 프리미엄 콘텐츠 안내:";
  for (int k = 0; s.size() < 300; ++k) s += " ad" + std::to_string(k);  // ASCII: cut anywhere
  return s.substr(0, 300);
}

std::vector<Page> Pages(size_t n) {
  static const std::vector<std::string> words = {
      "정부", "발표", "경제", "시장", "기자", "오늘", "서울", "회의", "결과", "정책", "국민",
      "사회", "문화", "기술", "개발", "투자", "계획", "보고", "지역", "사업", "market", "vote"};
  std::mt19937 rng(2024);
  const std::string span = Span();
  std::vector<Page> pages(n);
  for (size_t i = 0; i < n; ++i) {
    Page& p = pages[i];
    p.id = "p" + std::to_string(i);
    p.title = "제목 " + std::to_string(i) + " \"quoted\"";
    p.url = "https://news.example/" + std::to_string(i);
    std::vector<std::string> lines = {std::string(kMenu) + (i % 3 == 0 ? "  " : "")};
    for (int k = 0; k < 4; ++k) {
      std::string line = std::to_string(i) + "." + std::to_string(k);
      for (int w = 0; w < 10; ++w) line += " " + words[rng() % words.size()];
      lines.push_back(line);
      if (!(k == 1 && i % 10 == 7)) p.unique_lines.push_back(line);
    }
    if (i % 10 == 7) lines[2] += " " + span + " 끝" + std::to_string(i);  // 300 of 3,000
    lines.push_back(kFooter);
    for (size_t k = 0; k < lines.size(); ++k) p.text += lines[k] + (k + 1 < lines.size() ? "\n" : "");
  }
  return pages;
}

std::string Jsonl(const std::vector<Page>& pages) {
  std::string out;
  for (const Page& p : pages) {
    out += "{\"id\":";
    neardup::internal::AppendJsonString(&out, p.id);
    out += ",\"title\":";
    neardup::internal::AppendJsonString(&out, p.title);
    out += ",\"text\":";
    neardup::internal::AppendJsonString(&out, p.text);
    out += ",\"url\":";
    neardup::internal::AppendJsonString(&out, p.url);
    out += "}\n";
  }
  return out;
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(CliCleanTest, ScrapedPagesLoseTheirBoilerplateAndKeepEverythingElse) {
  const std::vector<Page> pages = Pages(3000);
  const std::string in = Temp("pages.jsonl"), out = Temp("clean.jsonl"),
                    removed = Temp("removed.jsonl"), stats = Temp("stats.json");
  const std::string input = Jsonl(pages);
  WriteFile(in, input);
  Result r = RunNeardup("clean " + in + " -o " + out + " --substrings --removed " + removed +
                        " --stats " + stats + " -j2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> in_lines = Lines(input), out_lines = Lines(ReadFile(out));
  ASSERT_EQ(out_lines.size(), pages.size());
  const std::string span = Span();
  size_t span_records = 0;
  size_t first_with_span = SIZE_MAX;
  for (size_t i = 0; i < pages.size(); ++i) {
    const std::string& line = out_lines[i];
    const std::string text = Field(line, "text");
    EXPECT_EQ(text.find("메뉴"), std::string::npos) << i;
    EXPECT_EQ(text.find("무단 전재"), std::string::npos) << i;
    if (text.find(span) != std::string::npos) {
      ++span_records;
      first_with_span = std::min(first_with_span, i);
    }
    for (const std::string& u : pages[i].unique_lines) {
      EXPECT_NE(text.find(u + "\n"), std::string::npos) << i << ": " << u;
    }
    // Every byte but the text value's: the id and title before it, the url after it.
    const size_t a = in_lines[i].find(",\"text\":"), b = in_lines[i].find(",\"url\":");
    EXPECT_EQ(line.substr(0, a), in_lines[i].substr(0, a));
    EXPECT_EQ(line.substr(line.find(",\"url\":")), in_lines[i].substr(b));
    EXPECT_EQ(Field(line, "title"), pages[i].title);
  }
  EXPECT_EQ(span_records, 1u);
  EXPECT_EQ(first_with_span, 7u);  // the first occurrence
  // The audit file: 2 lines per page, the span in 299 pages, offsets into the original text.
  size_t lines = 0, spans = 0;
  for (const std::string& rl : Lines(ReadFile(removed))) {
    const std::string id = Field(rl, "id");
    const size_t i = std::stoul(id.substr(1));
    const size_t start = std::stoul(Field(rl, "start")), end = std::stoul(Field(rl, "end"));
    ASSERT_LE(end, pages[i].text.size());
    EXPECT_EQ(pages[i].text.substr(start, end - start), Field(rl, "text"));
    if (Field(rl, "kind") == "line") {
      ++lines;
      EXPECT_EQ(Field(rl, "count"), "3000");
    } else {
      ++spans;
      EXPECT_EQ(Field(rl, "kind"), "span");
      EXPECT_NE(Field(rl, "text").find(span), std::string::npos);
      EXPECT_EQ(Field(rl, "count"), "300");
    }
  }
  EXPECT_EQ(lines, 6000u);
  EXPECT_EQ(spans, 299u);
  const std::string st = ReadFile(stats);
  EXPECT_NE(st.find("\"lines_removed\": 6000"), std::string::npos) << st;
  EXPECT_NE(st.find("\"spans_removed\": 299"), std::string::npos) << st;
  EXPECT_NE(st.find("\"boilerplate_lines\": 2"), std::string::npos) << st;

  // One thread writes the same bytes.
  const std::string out1 = Temp("clean1.jsonl"), removed1 = Temp("removed1.jsonl");
  r = RunNeardup("clean " + in + " -o " + out1 + " --substrings --removed " + removed1 +
                 " -j1 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(out1), ReadFile(out));
  EXPECT_EQ(ReadFile(removed1), ReadFile(removed));

  // Lines only: the span stays in all 300; --substrings=all: in none.
  r = RunNeardup("clean " + in + " -o " + out1 + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(ReadFile(out1), span), 300u);
  EXPECT_EQ(Count(ReadFile(out1), "메뉴"), 0u);
  r = RunNeardup("clean " + in + " -o " + out1 + " --substrings=all -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(ReadFile(out1), span), 0u);
  for (const std::string& f : {in, out, removed, stats, out1, removed1}) std::remove(f.c_str());
}

TEST(CliCleanTest, CsvTsvAndTextKeepTheirFormat) {
  const std::string in = Temp("c.csv"), out = Temp("c_out.csv");
  std::string csv = "id,title,text,n\n";
  for (int i = 0; i < 12; ++i) {
    csv += std::to_string(i) + ",\"t, " + std::to_string(i) + "\",\"홈 | 로그인\nbody " +
           std::to_string(i) + " with \"\"quotes\"\"\nCopyright 2024\"," + std::to_string(i) + "\n";
  }
  WriteFile(in, csv);
  Result r = RunNeardup("clean " + in + " -o " + out + " --min-docs 5 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string want = "id,title,text,n\n";
  for (int i = 0; i < 12; ++i) {
    want += std::to_string(i) + ",\"t, " + std::to_string(i) + "\",\"body " + std::to_string(i) +
            " with \"\"quotes\"\"\n\"," + std::to_string(i) + "\n";
  }
  EXPECT_EQ(ReadFile(out), want);

  const std::string tsv = Temp("c.tsv"), tsv_out = Temp("c_out.tsv");
  std::string t = "id\ttext\n";
  for (int i = 0; i < 12; ++i) t += std::to_string(i) + "\tshared words here " + std::to_string(i % 2) + "\n";
  WriteFile(tsv, t);
  r = RunNeardup("clean " + tsv + " -o " + tsv_out + " --min-docs 6 --drop-empty -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(tsv_out), "id\ttext\n");  // every text was boilerplate: all dropped
  r = RunNeardup("clean " + tsv + " -o " + tsv_out + " --min-docs 7 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(tsv_out), t);  // 6 documents each: below 7, nothing removed
  for (const std::string& f : {in, out, tsv, tsv_out}) std::remove(f.c_str());
}

TEST(CliCleanTest, BadRecordsPassThroughAndUsageErrorsAreRefused) {
  const std::string in = Temp("b.jsonl"), out = Temp("b_out.jsonl");
  std::string jsonl;
  for (int i = 0; i < 10; ++i) jsonl += "{\"id\":" + std::to_string(i) + ",\"text\":\"menu\\nbody" + std::to_string(i) + "\"}\n";
  jsonl += "{\"id\":99,\"text\":oops}\n";
  jsonl += "{\"id\":100,\"text\":\"menu\"}";  // the last record, no line end
  WriteFile(in, jsonl);
  Result r = RunNeardup("clean " + in + " -o " + out + " --min-docs 10 --drop-empty");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(":11: invalid JSON"), std::string::npos) << r.err;
  const std::vector<std::string> lines = Lines(ReadFile(out));
  ASSERT_EQ(lines.size(), 11u);  // 10 cleaned, the bad one as read; 100 became empty: dropped
  EXPECT_EQ(lines[0], "{\"id\":0,\"text\":\"body0\"}");
  EXPECT_EQ(lines[10], "{\"id\":99,\"text\":oops}");

  r = RunNeardup("clean " + in + " -o " + out + " --min-span 300");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--substrings"), std::string::npos) << r.err;
  r = RunNeardup("clean " + in + " -o " + out + " --substrings --min-span 8");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--min-span"), std::string::npos) << r.err;
  r = RunNeardup("clean " + in + " -o " + in);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = RunNeardup("clean " + in + " -o " + out + " --text-field body");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("\"body\""), std::string::npos) << r.err;
  for (const std::string& f : {in, out}) std::remove(f.c_str());
}

}  // namespace
}  // namespace neardup_test
