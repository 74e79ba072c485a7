// clean_test.cc: the line and span cleaners (neardup/clean/clean.h) against brute-force oracles
// on small random inputs, the offset mapping, and the text-field rewriting of every format.
#include "neardup/clean/clean.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/clean/clean_files.h"
#include "neardup/io/reader.h"

namespace neardup {
namespace {

// The definition of clean.h, literally: a byte is removed when a window of m bytes inside one
// text covers it and the same window occurs at an earlier position (kAll: at any other
// position). count = the most documents any of its windows occurs in. Then UTF-8 snapping.
std::vector<std::vector<Removal>> SpanOracle(const std::vector<std::string>& texts, SpanMode mode,
                                             size_t m) {
  struct Pos {
    size_t doc, off;
  };
  std::vector<Pos> all;  // valid window starts in global order
  for (size_t d = 0; d < texts.size(); ++d) {
    for (size_t s = 0; s + m <= texts[d].size(); ++s) all.push_back({d, s});
  }
  auto window = [&](const Pos& p) { return texts[p.doc].substr(p.off, m); };
  std::vector<std::vector<uint64_t>> mark(texts.size());
  for (size_t d = 0; d < texts.size(); ++d) mark[d].assign(texts[d].size(), 0);
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string w = window(all[i]);
    bool earlier = false, other = false;
    std::set<size_t> docs;
    for (size_t j = 0; j < all.size(); ++j) {
      if (window(all[j]) != w) continue;
      docs.insert(all[j].doc);
      if (j < i) earlier = true;
      if (j != i) other = true;
    }
    if (mode == SpanMode::kAll ? other : earlier) mark[all[i].doc][all[i].off] = docs.size();
  }
  std::vector<std::vector<Removal>> out(texts.size());
  for (size_t d = 0; d < texts.size(); ++d) {
    const std::string& t = texts[d];
    std::vector<uint64_t> covered(t.size(), 0);  // max count of a covering window (0: kept)
    std::vector<uint64_t> first(t.size(), 0);
    for (size_t s = 0; s < t.size(); ++s) {
      if (mark[d][s] == 0) continue;
      for (size_t k = s; k < s + m; ++k) covered[k] = 1;
    }
    size_t p = 0;
    while (p < t.size()) {
      if (!covered[p]) {
        ++p;
        continue;
      }
      size_t e = p;
      uint64_t count = 0;
      while (e < t.size() && covered[e]) {
        if (e + m <= t.size()) count = std::max(count, mark[d][e]);
        ++e;
      }
      Removal r{p, e, Removal::Kind::kSpan, count};
      auto cont = [&](size_t i) { return (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80; };
      while (r.start < r.end && cont(r.start)) ++r.start;
      while (r.end > r.start && r.end < t.size() && cont(r.end)) --r.end;
      if (r.start < r.end) out[d].push_back(r);
      p = e;
    }
  }
  return out;
}

std::vector<std::vector<Removal>> Spans(const std::vector<std::string>& texts, SpanMode mode,
                                        size_t m) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<std::vector<Removal>> out;
  EXPECT_TRUE(FindRepeatedSpans(views, mode, m, &out).ok());
  return out;
}

TEST(SpanCleanerTest, AgreesWithTheBruteForceOracleOnRandomTexts) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const int alphabet = 2 + round % 3;
    const size_t m = 3 + round % 5;
    std::vector<std::string> texts(1 + rng() % 5);
    for (std::string& t : texts) {
      const size_t len = rng() % 30;
      for (size_t i = 0; i < len; ++i) t.push_back(static_cast<char>('a' + rng() % alphabet));
    }
    for (SpanMode mode : {SpanMode::kLater, SpanMode::kAll}) {
      const auto got = Spans(texts, mode, m);
      const auto want = SpanOracle(texts, mode, m);
      ASSERT_EQ(got.size(), want.size());
      for (size_t d = 0; d < texts.size(); ++d) {
        EXPECT_EQ(got[d], want[d]) << "round " << round << " text " << d << " \"" << texts[d]
                                   << "\" m=" << m;
      }
    }
  }
}

TEST(SpanCleanerTest, AgreesWithTheOracleWhenFewWindowsRepeat) {
  // Mostly unique text with planted copies: the hash prefilter passes only a few regions to the
  // suffix array, and must pass every window that repeats.
  std::mt19937 rng(17);
  for (int round = 0; round < 40; ++round) {
    const size_t m = 6 + round % 10;
    std::vector<std::string> texts(2 + rng() % 4);
    for (std::string& t : texts) {
      const size_t len = 20 + rng() % 120;
      for (size_t i = 0; i < len; ++i) t.push_back(static_cast<char>('a' + rng() % 26));
    }
    for (int copies = 0; copies < 3; ++copies) {
      const std::string& from = texts[rng() % texts.size()];
      const size_t len = m + rng() % 20;
      if (from.size() < len) continue;
      const std::string piece = from.substr(rng() % (from.size() - len + 1), len);
      std::string& to = texts[rng() % texts.size()];
      to.insert(rng() % (to.size() + 1), piece);
    }
    for (SpanMode mode : {SpanMode::kLater, SpanMode::kAll}) {
      EXPECT_EQ(Spans(texts, mode, m), SpanOracle(texts, mode, m)) << "round " << round;
    }
  }
}

TEST(SpanCleanerTest, KeepsTheFirstOccurrenceAndNeverCutsACharacter) {
  const std::string span = "무단 전재 및 재배포 금지 ";  // 3-byte syllables
  std::vector<std::string> texts = {"가 " + span + "나", "다 " + span + "라", "마바사"};
  const auto got = Spans(texts, SpanMode::kLater, 12);
  EXPECT_TRUE(got[0].empty());
  ASSERT_EQ(got[1].size(), 1u);
  const std::string kept = ApplyRemovals(texts[1], got[1]);
  EXPECT_EQ(kept, "다라");  // the shared " " + span goes, the differing characters stay
  EXPECT_EQ(got[1][0].count, 2u);
  EXPECT_TRUE(got[2].empty());
  // Every removal starts and ends on a character boundary, here and in a mixed random round.
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {"가", "나", "a", "é", "𝔸"};
  std::vector<std::string> mixed(4);
  for (std::string& t : mixed) {
    for (int i = 0; i < 40; ++i) t += pieces[rng() % pieces.size()];
  }
  const auto r = Spans(mixed, SpanMode::kAll, 5);
  for (size_t d = 0; d < mixed.size(); ++d) {
    for (const Removal& x : r[d]) {
      ASSERT_LE(x.end, mixed[d].size());
      EXPECT_NE(static_cast<unsigned char>(mixed[d][x.start]) & 0xC0, 0x80);
      if (x.end < mixed[d].size()) {
        EXPECT_NE(static_cast<unsigned char>(mixed[d][x.end]) & 0xC0, 0x80);
      }
    }
  }
  EXPECT_EQ(SpanOracle(mixed, SpanMode::kAll, 5), r);
}

TEST(SpanCleanerTest, WindowsNeverCrossFromOneTextIntoTheNext) {
  // "abcdef" and "ghij" back to back contain "efgh", which the third text has: no match.
  const auto got = Spans({"abcdef", "ghij", "xxefghxx"}, SpanMode::kAll, 4);
  for (const auto& r : got) EXPECT_TRUE(r.empty());
}

// The lines of `text` (as ForEachLine cuts them) that the oracle says occur in >= threshold
// documents, counting each document once per distinct normalized line.
TEST(LineCleanerTest, AgreesWithABruteForceCountOfNormalizedLines) {
  const Normalizer normalizer(LineNormalizeOptions());
  const std::vector<std::string> pool = {"메뉴 건너뛰기\n", "메뉴  건너뛰기 \n", "ＭＥＮＵ home\n",
                                         "menu HOME\n",     "\n",                 "   \n",
                                         "기사 본문 하나\n", "기사 본문 둘\n",    "footer ⓒ 2019",
                                         "Footer ⓒ 2019\n", "unique"};
  std::mt19937 rng(11);
  for (int round = 0; round < 40; ++round) {
    std::vector<std::string> docs(2 + rng() % 12);
    for (std::string& d : docs) {
      const size_t lines = rng() % 6;
      for (size_t i = 0; i < lines; ++i) d += pool[rng() % pool.size()];
      if (rng() % 2) d += "tail " + std::to_string(rng() % 3);
    }
    // Oracle: normalized line -> documents.
    auto cut = [](const std::string& t) {
      std::vector<std::pair<size_t, size_t>> lines;
      size_t s = 0;
      while (s < t.size()) {
        size_t e = t.find('\n', s);
        e = e == std::string::npos ? t.size() : e + 1;
        lines.push_back({s, e});
        s = e;
      }
      return lines;
    };
    std::map<std::string, std::set<size_t>> seen;
    std::string norm;
    for (size_t d = 0; d < docs.size(); ++d) {
      for (auto [s, e] : cut(docs[d])) {
        normalizer.Normalize(docs[d].substr(s, e - s), &norm);
        if (!norm.empty()) seen[norm].insert(d);
      }
    }
    LineCounts counts;
    std::string scratch;
    for (const std::string& d : docs) {
      std::vector<uint64_t> hashes;
      ForEachLine(d, normalizer, &scratch, [&](size_t, size_t, uint64_t h) { hashes.push_back(h); });
      counts.AddDocument(&hashes);
    }
    EXPECT_EQ(counts.distinct_lines(), seen.size());
    const uint64_t threshold = 2 + round % 3;
    for (size_t d = 0; d < docs.size(); ++d) {
      std::vector<Removal> want;
      for (auto [s, e] : cut(docs[d])) {
        normalizer.Normalize(docs[d].substr(s, e - s), &norm);
        if (norm.empty()) continue;
        const uint64_t n = seen[norm].size();
        if (n >= threshold) want.push_back({s, e, Removal::Kind::kLine, n});
      }
      std::vector<Removal> got;
      FindBoilerplateLines(docs[d], counts, threshold, normalizer, &scratch, &got);
      EXPECT_EQ(got, want) << "round " << round << " doc " << d;
    }
  }
}

TEST(LineCleanerTest, ThresholdIsTheLargerOfCountAndShare) {
  CleanOptions o;
  EXPECT_EQ(LineThreshold(o, 100), 10u);         // 10 > 0.1
  EXPECT_EQ(LineThreshold(o, 1000000), 1000u);   // 0.1% of a million
  o.min_doc_share = 0;
  EXPECT_EQ(LineThreshold(o, 1000000), 10u);
  o.min_docs = 1;
  EXPECT_FALSE(o.Validate().ok());
  o.min_docs = 2;
  o.min_span_bytes = 8;
  EXPECT_FALSE(o.Validate().ok());
}

TEST(LineCleanerTest, MergedCountsEqualOneTable) {
  LineCounts a, b, all;
  std::vector<uint64_t> d1 = {1, 2, 2, 3}, d2 = {2, 4}, d3 = {3, 3};
  auto copy = [](std::vector<uint64_t> v) { return v; };
  std::vector<uint64_t> x1 = copy(d1), x2 = copy(d2), x3 = copy(d3);
  a.AddDocument(&d1);
  b.AddDocument(&d2);
  b.AddDocument(&d3);
  a.Merge(b);
  all.AddDocument(&x1);
  all.AddDocument(&x2);
  all.AddDocument(&x3);
  for (uint64_t h : {1, 2, 3, 4, 5}) EXPECT_EQ(a.count(h), all.count(h)) << h;
  EXPECT_EQ(a.count(2), 2u);
  EXPECT_EQ(a.count(3), 2u);
  EXPECT_EQ(a.documents(), 3u);
}

TEST(MapToOriginalTest, MappedPiecesHoldTheCleanedBytesAndAvoidRemovedLines) {
  std::mt19937 rng(5);
  for (int round = 0; round < 500; ++round) {
    std::string original;
    const size_t len = rng() % 40;
    for (size_t i = 0; i < len; ++i) original.push_back(static_cast<char>('a' + rng() % 26));
    std::vector<Removal> removed;
    for (size_t p = 0; p < len;) {
      const size_t gap = rng() % 6, size = 1 + rng() % 5;
      if (p + gap + size > len) break;
      if (rng() % 2) removed.push_back({p + gap, p + gap + size, Removal::Kind::kLine, 2});
      p += gap + size;
    }
    const std::string cleaned = ApplyRemovals(original, removed);
    std::vector<Removal> found;
    for (size_t p = 0; p < cleaned.size();) {
      const size_t gap = rng() % 4, size = 1 + rng() % 8;
      if (p + gap + size > cleaned.size()) break;
      found.push_back({p + gap, p + gap + size, Removal::Kind::kSpan, 3});
      p += gap + size;
    }
    std::vector<Removal> mapped;
    MapToOriginal(removed, found, &mapped);
    std::string from_mapped;
    for (const Removal& r : mapped) {
      from_mapped += original.substr(r.start, r.end - r.start);
      for (const Removal& x : removed) EXPECT_TRUE(r.end <= x.start || r.start >= x.end);
    }
    std::string from_found;
    for (const Removal& f : found) from_found += cleaned.substr(f.start, f.end - f.start);
    EXPECT_EQ(from_mapped, from_found) << "round " << round;
    // Everything removed together is the cleaned text minus the found spans.
    std::vector<Removal> both = mapped;
    both.insert(both.end(), removed.begin(), removed.end());
    std::sort(both.begin(), both.end(),
              [](const Removal& a, const Removal& b) { return a.start < b.start; });
    EXPECT_EQ(ApplyRemovals(original, both), ApplyRemovals(cleaned, found));
  }
}

// Parses `record`, replaces its text value with `value` and parses the result again.
Document Rewritten(Format format, const std::string& record, const std::string& value,
                   std::vector<std::string> columns = {}) {
  RecordParser parser(format, FieldNames(), "t", columns);
  Document doc;
  EXPECT_TRUE(parser.Parse(record, 1, &doc).ok()) << record;
  const RecordParser::TextSpan span = parser.text_span();
  EXPECT_TRUE(span.found);
  std::string out;
  RewriteTextValue(format, span.bytes, span.begin, span.end, value, &out);
  Document again;
  RecordParser reparser(format, FieldNames(), "t", columns);
  EXPECT_TRUE(reparser.Parse(out, 1, &again).ok()) << out;
  EXPECT_EQ(again.body, value) << out;
  EXPECT_EQ(again.title, doc.title);
  EXPECT_EQ(again.id, doc.id);
  return again;
}

TEST(RewriteTextValueTest, EachFormatRoundTripsAndLeavesOtherFieldsAlone) {
  const std::string value = "line \"one\", \\ two\n셋";
  Rewritten(Format::kJsonl, "{\"id\":\"a\",\"text\":\"x\\u0041\\n\",\"title\":\"t\\\"q\"}\n", value);
  // A repeated key: the last one is the value read, and the one rewritten.
  RecordParser parser(Format::kJsonl, FieldNames(), "t", {});
  Document doc;
  const std::string twice = "{\"text\":\"first\", \"text\" : \"second\" ,\"id\":1}\n";
  ASSERT_TRUE(parser.Parse(twice, 1, &doc).ok());
  const auto span = parser.text_span();
  EXPECT_EQ(span.bytes.substr(span.begin, span.end - span.begin), "\"second\"");
  std::string out;
  RewriteTextValue(Format::kJsonl, span.bytes, span.begin, span.end, "2", &out);
  EXPECT_EQ(out, "{\"text\":\"first\", \"text\" : \"2\" ,\"id\":1}\n");
  const std::vector<std::string> cols = {"id", "title", "text", "url"};
  Rewritten(Format::kCsv, "7,\"a, title\",\"quoted \"\"text\"\"\",u\r\n", value, cols);
  Rewritten(Format::kCsv, "7,title,plain,u\n", "still plain", cols);
  // A quote inside an unquoted field is content (as the reader splits it), not a quoted comma.
  Rewritten(Format::kCsv, "7,bro\"ken, title,plain,u\n", value,
            {"id", "title", "x", "text", "url"});
  Rewritten(Format::kCsv, "7,title,plain,u\n", value, cols);
  Rewritten(Format::kTsv, "7\ttitle\tplain text\tu\n", "plain", cols);
  // Other bytes stay: only the value changes.
  RecordParser csv(Format::kCsv, FieldNames(), "t", cols);
  ASSERT_TRUE(csv.Parse("7,\"a, title\",\"body\",u\n", 1, &doc).ok());
  const auto cell = csv.text_span();
  out.clear();
  RewriteTextValue(Format::kCsv, cell.bytes, cell.begin, cell.end, "b", &out);
  EXPECT_EQ(out, "7,\"a, title\",\"b\",u\n");
}

TEST(RewriteTextValueTest, TextFieldAbsentOrNullIsNotFound) {
  RecordParser parser(Format::kJsonl, FieldNames(), "t", {});
  Document doc;
  ASSERT_TRUE(parser.Parse("{\"id\":\"a\",\"title\":\"t\"}\n", 1, &doc).ok());
  EXPECT_FALSE(parser.text_span().found);
  ASSERT_TRUE(parser.Parse("{\"id\":\"a\",\"text\":null}\n", 1, &doc).ok());
  EXPECT_FALSE(parser.text_span().found);
}

}  // namespace
}  // namespace neardup
