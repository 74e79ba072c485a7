// Tests of the cluster report: collecting from a run and from a clusters file, escaping, the
// title diff, ordering, the cap, Markdown, UTF-8 truncation (stories and extra fields:
// report_stories_test.cc).
#include "neardup/report/report.h"

#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/io/writer.h"
#include "neardup/pipeline.h"
#include "report_testutil.h"
#include "testutil.h"

namespace neardup {
namespace {

using namespace report_test;  // tests/report_testutil.h

TEST(ReportHtmlEscapeTest, EscapesAllFiveCharacters) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("한글 尹"), "한글 尹");
}

TEST(ReportHtmlEscapeTest, RepairsInvalidUtf8AndControlCharacters) {
  const std::string out = HtmlEscape(std::string("a\xff") + '\0' + "b\x01");
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_EQ(out.find('\x01'), std::string::npos);
  EXPECT_EQ(out, "a\uFFFD\u27E8U+0000\u27E9b\u27E8U+0001\u27E9");
}

// Bidirectional overrides, marks and isolates, and C1 controls, are shown by name in the HTML
// and the Markdown: "photo \u202Egnp.exe" must not display as "photo exe.png".
TEST(ReportHtmlEscapeTest, BidirectionalControlsAreShownByName) {
  EXPECT_EQ(HtmlEscape("photo \u202Egnp.exe"), "photo \u27E8U+202E\u27E9gnp.exe");
  EXPECT_EQ(HtmlEscape("\u2066x\u2069 \u200F\u061C\u0085"),
            "\u27E8U+2066\u27E9x\u27E8U+2069\u27E9 \u27E8U+200F\u27E9\u27E8U+061C\u27E9"
            "\u27E8U+0085\u27E9");
  // Other format characters, Hangul and tab/line ends pass through.
  EXPECT_EQ(HtmlEscape("\u200B\uD55C\t\n"), "\u200B\uD55C\t\n");
  ReportData data = SampleData();
  data.clusters[0].members[1].title = "photo \u202Egnp.exe";
  for (const std::string& page : {RenderHtml(data), RenderMarkdown(data)}) {
    EXPECT_EQ(page.find("\u202E"), std::string::npos);
    EXPECT_NE(page.find("\u27E8U+202E\u27E9gnp.exe"), std::string::npos);
  }
}

TEST(ReportRenderHtmlTest, CorpusTextIsEscapedEverywhere) {
  ReportData data = SampleData();
  data.corpus = {"<i>corpus</i>.jsonl"};
  data.command_line = "neardup cluster '<x>'";
  const std::string html = RenderHtml(data);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<i>corpus"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;double&quot; "
                      "&#39;single&#39;"),
            std::string::npos);
  EXPECT_NE(html.find("x&lt;b&gt;&quot;&#39;&amp;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  // Only the page's own script element.
  EXPECT_EQ(CountOf(html, "<script"), 1u);
  EXPECT_EQ(CountOf(html, "</script>"), 1u);
}

TEST(ReportRenderHtmlTest, SelfContainedWithPolicyAndKoreanFonts) {
  const std::string html = RenderHtml(SampleData());
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(html.find("script-src 'sha256-"), std::string::npos);
  EXPECT_NE(html.find("Noto Sans CJK KR"), std::string::npos);
  EXPECT_NE(html.find("Malgun Gothic"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // SVG namespace only
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<details class=\"cl\""), std::string::npos);
  EXPECT_NE(html.find("id=\"q\""), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(html));
}

TEST(ReportRenderHtmlTest, DeterministicGivenTheData) {
  EXPECT_EQ(RenderHtml(SampleData()), RenderHtml(SampleData()));
  EXPECT_EQ(RenderMarkdown(SampleData()), RenderMarkdown(SampleData()));
}

TEST(ReportDiffTest, MarksTheInsertedWordInAHeadline) {
  const std::vector<DiffSpan> spans = DiffCodePoints(kShortTitle, kLongTitle);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].kind, DiffSpan::kEqual);
  EXPECT_EQ(spans[0].text, "[속보] 尹");
  EXPECT_EQ(spans[1].kind, DiffSpan::kInsert);
  EXPECT_EQ(spans[1].text, "대통령");
  EXPECT_EQ(spans[2].kind, DiffSpan::kEqual);
  EXPECT_EQ(spans[2].text, " \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"");

  const std::string html = RenderHtml(SampleData());
  EXPECT_NE(html.find("[속보] 尹<ins title=\"only in this document\">대통령</ins> &quot;홍장원에"),
            std::string::npos);
}

TEST(ReportDiffTest, MarksDeletionsAndReplacements) {
  const std::vector<DiffSpan> spans = DiffCodePoints("홍장원, 헌재서 증언", "홍장원, 국회서 증언");
  std::string del, ins;
  for (const DiffSpan& s : spans) {
    if (s.kind == DiffSpan::kDelete) del += s.text;
    if (s.kind == DiffSpan::kInsert) ins += s.text;
  }
  EXPECT_EQ(del, "헌재");
  EXPECT_EQ(ins, "국회");
  EXPECT_TRUE(DiffCodePoints("같다", "같다").size() == 1);
  EXPECT_TRUE(DiffCodePoints("", "").empty());
}

// Equal + deleted spans rebuild `from`, equal + inserted rebuild `to`, on random text mixing
// one- to four-byte code points, with and without the edit bound.
TEST(ReportDiffTest, SpansRebuildBothTextsOnRandomInput) {
  const std::vector<std::string> alphabet = {"a", "b", " ", "가", "나", "尹", "😀", "\""};
  std::mt19937 rng(7);
  for (int round = 0; round < 400; ++round) {
    auto make = [&](int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
      return s;
    };
    std::string a = make(static_cast<int>(rng() % 30));
    std::string b = rng() % 2 ? make(static_cast<int>(rng() % 30)) : a;
    if (!b.empty() && rng() % 2) b.insert(TruncateUtf8(b, rng() % 10).size(), make(3));
    const size_t bound = round % 3 == 0 ? 4 : 128;
    std::string from, to;
    for (const DiffSpan& s : DiffCodePoints(a, b, bound)) {
      EXPECT_FALSE(s.text.empty());
      if (s.kind != DiffSpan::kInsert) from += s.text;
      if (s.kind != DiffSpan::kDelete) to += s.text;
      EXPECT_TRUE(IsValidUtf8(s.text));
    }
    EXPECT_EQ(from, a);
    EXPECT_EQ(to, b);
  }
}

TEST(ReportTruncateUtf8Test, NeverSplitsACodePoint) {
  bool cut = false;
  EXPECT_EQ(TruncateUtf8("가나다", 2, &cut), "가나");
  EXPECT_TRUE(cut);
  EXPECT_EQ(TruncateUtf8("가나다", 3, &cut), "가나다");
  EXPECT_FALSE(cut);
  EXPECT_EQ(TruncateUtf8("a😀b", 2), "a😀");
  const std::string mixed = "a가😀尹é\"<";
  for (size_t n = 0; n <= 10; ++n) {
    const std::string_view t = TruncateUtf8(mixed, n);
    EXPECT_TRUE(IsValidUtf8(t)) << n;
    EXPECT_EQ(mixed.compare(0, t.size(), t), 0);
  }
  // A broken sequence is cut into single bytes, not swallowed with what follows.
  EXPECT_EQ(TruncateUtf8("\xEA\xB0" "a", 1), "\xEA\xB0");
  EXPECT_EQ(TruncateUtf8("\xEA" "ab", 1), "\xEA");
}

TEST(CollectReportDataTest, PlantedClustersLargestFirstWithTexts) {
  const std::string path = TempPath("planted.jsonl");
  WriteFile(path, PlantedCorpus());
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->counts.records_bad, 1u);
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, FixedSettings());
  ASSERT_TRUE(data.ok()) << data.status();

  ASSERT_EQ(data->clusters.size(), 3u);
  EXPECT_EQ(data->clusters[0].size, 3u);
  // Ties (b and c, two members each) go to the cluster whose representative came first.
  EXPECT_EQ(data->clusters[1].members[0].id, "b1");
  EXPECT_EQ(data->clusters[2].members[0].id, "c1");
  const ReportCluster& a = data->clusters[0];
  ASSERT_EQ(a.members.size(), 3u);
  EXPECT_EQ(a.members[0].id, "a1");
  EXPECT_TRUE(a.members[0].representative);
  EXPECT_EQ(a.members[0].title, kShortTitle);
  EXPECT_EQ(a.members[1].id, "a2");  // after the bad record: ordinals line up
  EXPECT_EQ(a.members[1].title, kLongTitle);
  EXPECT_FALSE(a.members[1].identical_to_representative);
  EXPECT_EQ(a.members[2].id, "a3");
  EXPECT_TRUE(a.members[2].identical_to_representative);
  EXPECT_FLOAT_EQ(a.members[2].similarity, 1.0f);
  EXPECT_FALSE(a.members[0].body_start.empty());

  EXPECT_EQ(data->documents, 9u);
  EXPECT_EQ(data->bad_records, 1u);
  EXPECT_EQ(data->exact_duplicates, 1u);
  EXPECT_EQ(data->near_duplicates, 3u);
  EXPECT_EQ(data->multi_member_clusters, 3u);
  EXPECT_EQ(data->singletons, 2u);
  EXPECT_EQ(data->clusters_left_out, 0u);
  uint64_t binned = 0;
  for (uint64_t c : data->similarity_bins) binned += c;
  EXPECT_EQ(binned, 4u);  // every non-representative member
  EXPECT_EQ(data->generated_at, "2025-02-04 12:00:00 UTC");

  const std::string html = RenderHtml(*data);
  EXPECT_LT(html.find("id=\"c1\""), html.find("id=\"c2\""));
  EXPECT_NE(html.find("<ins title=\"only in this document\">대통령</ins>"), std::string::npos);
  EXPECT_NE(html.find("same text"), std::string::npos);
  EXPECT_EQ(html.find("left-out"), std::string::npos);
}

TEST(CollectReportDataTest, CapCountsTheRestAsLeftOut) {
  const std::string path = TempPath("cap.jsonl");
  WriteFile(path, PlantedCorpus());
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ReportSettings settings = FixedSettings();
  settings.max_clusters = 1;
  settings.max_members_per_cluster = 2;
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->clusters.size(), 1u);
  EXPECT_EQ(data->clusters[0].size, 3u);
  EXPECT_EQ(data->clusters_left_out, 2u);
  ASSERT_EQ(data->clusters[0].members.size(), 2u);
  EXPECT_EQ(data->clusters[0].members_left_out, 1u);
  EXPECT_EQ(data->multi_member_clusters, 3u);  // the summary still counts every cluster

  const std::string html = RenderHtml(*data);
  EXPECT_NE(html.find("id=\"left-out\""), std::string::npos);
  EXPECT_NE(html.find("2 smaller clusters with 2+ documents not shown"), std::string::npos);
  EXPECT_NE(html.find("--report-max-clusters"), std::string::npos);
  EXPECT_NE(html.find("and 1 more member not shown"), std::string::npos);
  const std::string md = RenderMarkdown(*data);
  EXPECT_NE(md.find("2 smaller clusters with 2+ documents not shown"), std::string::npos);

  settings.max_clusters = 0;
  data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(data->clusters.empty());
  EXPECT_EQ(data->clusters_left_out, 3u);
}

TEST(CollectReportDataTest, BodyStartIsCutAtCodePoints) {
  const std::string path = TempPath("long.jsonl");
  std::string body;
  for (int i = 0; i < 200; ++i) body += "가나다라 ";
  WriteFile(path, JsonLine("x1", "같은 제목", body) + JsonLine("x2", "같은 제목", body + "끝"));
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok());
  ReportSettings settings = FixedSettings();
  for (size_t n : {1, 2, 7, 33}) {
    settings.body_code_points = n;
    settings.title_code_points = n;
    absl::StatusOr<ReportData> data = CollectReportData(options, *result, settings);
    ASSERT_TRUE(data.ok());
    ASSERT_EQ(data->clusters.size(), 1u);
    for (const ReportMember& m : data->clusters[0].members) {
      EXPECT_TRUE(IsValidUtf8(m.body_start));
      EXPECT_TRUE(IsValidUtf8(m.title));
      EXPECT_TRUE(m.body_truncated);
      EXPECT_EQ(TruncateUtf8(m.body_start, n), m.body_start);
      EXPECT_EQ(m.body_start, std::string(TruncateUtf8(body, n)));
    }
  }
}

TEST(CollectReportDataTest, SeedBoardSampleFormsTheKnownClusters) {
  const PipelineOptions options = Options({kSource + "/data/samples/seed-board.jsonl"});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, FixedSettings());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_FALSE(data->clusters.empty());
  EXPECT_EQ(data->documents, result->counts.documents);
  EXPECT_EQ(data->clusters_total, result->counts.clusters);
  uint64_t previous = UINT64_MAX;
  bool found_pair = false;
  for (const ReportCluster& c : data->clusters) {
    EXPECT_LE(c.size, previous);
    previous = c.size;
    EXPECT_TRUE(c.members[0].representative);
    std::set<std::string> ids;
    for (const ReportMember& m : c.members) {
      ids.insert(m.id);
      EXPECT_FALSE(m.title.empty()) << m.id;
      EXPECT_TRUE(m.text_found);
    }
    if (ids.count("47093") && ids.count("47088")) found_pair = true;
  }
  EXPECT_TRUE(found_pair);
  const std::string html = RenderHtml(*data);
  EXPECT_NE(html.find("대통령</ins>"), std::string::npos);
}

TEST(CollectReportDataFromClustersTest, MatchesTheReportOfTheRun) {
  const std::string path = TempPath("from_clusters.jsonl");
  WriteFile(path, PlantedCorpus());
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok());
  const std::string clusters_path = TempPath("from_clusters.clusters.jsonl");
  WriteClustersFile(*result, clusters_path);
  absl::StatusOr<ReportData> direct = CollectReportData(options, *result, FixedSettings());
  absl::StatusOr<ReportData> via_file =
      CollectReportDataFromClusters(clusters_path, options, FixedSettings());
  ASSERT_TRUE(direct.ok());
  ASSERT_TRUE(via_file.ok()) << via_file.status();
  EXPECT_EQ(via_file->clusters_file, clusters_path);
  EXPECT_EQ(via_file->documents, direct->documents);
  EXPECT_EQ(via_file->exact_duplicates, direct->exact_duplicates);
  EXPECT_EQ(via_file->near_duplicates, direct->near_duplicates);
  EXPECT_EQ(via_file->clusters_total, direct->clusters_total);
  EXPECT_EQ(via_file->similarity_bins, direct->similarity_bins);
  EXPECT_EQ(via_file->bad_records, 1u);
  EXPECT_EQ(via_file->members_without_text, 0u);
  ASSERT_EQ(via_file->clusters.size(), direct->clusters.size());
  for (size_t c = 0; c < direct->clusters.size(); ++c) {
    const ReportCluster& x = direct->clusters[c];
    const ReportCluster& y = via_file->clusters[c];
    ASSERT_EQ(x.members.size(), y.members.size());
    EXPECT_EQ(x.size, y.size);
    for (size_t m = 0; m < x.members.size(); ++m) {
      EXPECT_EQ(x.members[m].id, y.members[m].id);
      EXPECT_EQ(x.members[m].title, y.members[m].title);
      EXPECT_EQ(x.members[m].body_start, y.members[m].body_start);
      EXPECT_EQ(x.members[m].identical_to_representative, y.members[m].identical_to_representative);
      EXPECT_NEAR(x.members[m].similarity, y.members[m].similarity, 1e-6);
    }
  }
}

// Two headlines that differ only by a name an --alias-file makes equal are one exact group in
// the run; the report from the cluster file calls them "same text" only when it normalizes with
// the same aliases (it used the built-in tables alone, and disagreed with the run).
TEST(CollectReportDataFromClustersTest, SameTextFollowsTheRunsAliasFile) {
  const std::string path = TempPath("alias_corpus.jsonl");
  const std::string body = "한국은행이 기준금리를 동결했다 물가 상승세가 둔화하고 있지만 가계부채";
  WriteFile(path, JsonLine("x1", "길동이 기준금리 동결 발표", body) +
                      JsonLine("x2", "홍길동 기준금리 동결 발표", body) +
                      JsonLine("s1", "전혀 관계없는 제목", "고양이는 하루 대부분을 잠으로 보낸다"));
  const std::string aliases = TempPath("aliases.tsv");
  WriteFile(aliases, "홍길동\t길동이\n");
  PipelineOptions options = Options({path});
  options.alias_files = {aliases};
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->counts.exact_duplicates, 1u);  // the alias made the two one text
  const std::string clusters_path = TempPath("alias_corpus.clusters.jsonl");
  WriteClustersFile(*result, clusters_path);

  auto identical = [&](const PipelineOptions& o) {
    absl::StatusOr<ReportData> data = CollectReportDataFromClusters(clusters_path, o, FixedSettings());
    EXPECT_TRUE(data.ok()) << data.status();
    std::vector<std::string> ids;
    for (const ReportCluster& c : data->clusters) {
      for (const ReportMember& m : c.members) {
        if (m.identical_to_representative && !m.representative) ids.push_back(m.id);
      }
    }
    return ids;
  };
  EXPECT_EQ(identical(options), std::vector<std::string>{"x2"});
  options.alias_files.clear();  // normalized without the run's aliases: not the same text
  EXPECT_TRUE(identical(options).empty());
}

TEST(CollectReportDataFromClustersTest, MissingTextsAndMalformedLines) {
  const std::string inputs = TempPath("partial.jsonl");
  WriteFile(inputs, JsonLine("a1", "제목 하나", "본문"));
  const std::string clusters = TempPath("partial.clusters.jsonl");
  WriteFile(clusters,
            "{\"id\":\"a1\",\"cluster\":\"a1\",\"representative\":true,\"similarity\":1}\n"
            "{\"id\":\"zz\",\"cluster\":\"a1\",\"representative\":false,\"similarity\":0.75}\n"
            "{\"id\":\"s\",\"cluster\":\"s\",\"representative\":true,\"similarity\":1}\n");
  PipelineOptions options = Options({inputs});
  absl::StatusOr<ReportData> data =
      CollectReportDataFromClusters(clusters, options, FixedSettings());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->clusters.size(), 1u);
  ASSERT_EQ(data->clusters[0].members.size(), 2u);
  EXPECT_TRUE(data->clusters[0].members[0].text_found);
  EXPECT_EQ(data->clusters[0].members[0].title, "제목 하나");
  EXPECT_FALSE(data->clusters[0].members[1].text_found);
  EXPECT_EQ(data->clusters[0].members[1].id, "zz");
  EXPECT_EQ(data->members_without_text, 1u);
  EXPECT_EQ(data->clusters_lines_unmatched, 2u);  // zz and s: the caller warns
  EXPECT_NE(RenderHtml(*data).find("text not found"), std::string::npos);

  // Inputs that hold none of the ids (another corpus): an error, not a page of missing texts.
  const std::string other = TempPath("other.jsonl");
  WriteFile(other, JsonLine("b1", "다른 제목", "다른 본문"));
  data = CollectReportDataFromClusters(clusters, Options({other}), FixedSettings());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(std::string(data.status().message()).find("none of the 3 ids of " + clusters +
                                                      " is in the inputs (1 records read)"),
            std::string::npos)
      << data.status();

  WriteFile(clusters, "{\"id\":\"a1\",\"cluster\":\"a1\"}\nnot json\n");
  data = CollectReportDataFromClusters(clusters, options, FixedSettings());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(std::string(data.status().message()).find(":2:"), std::string::npos)
      << data.status();
  EXPECT_FALSE(
      CollectReportDataFromClusters(TempPath("missing.jsonl"), options, FixedSettings()).ok());
  // A story on some lines only: not a clusters file `cluster` writes.
  WriteFile(clusters, "{\"id\":\"a1\",\"cluster\":\"a1\",\"story\":\"a1\"}\n"
                      "{\"id\":\"zz\",\"cluster\":\"a1\"}\n");
  data = CollectReportDataFromClusters(clusters, options, FixedSettings());
  ASSERT_FALSE(data.ok());
  EXPECT_NE(std::string(data.status().message()).find(":2: line 1 has a \"story\" and line 2 "),
            std::string::npos)
      << data.status();
}

// The run renames a repeated id "ID#2"; the report shows the run's ids and still finds the texts,
// from the run and from its clusters file.
TEST(CollectReportDataTest, RepeatedIdsKeepTheRunsNames) {
  const std::string path = TempPath("repeated.jsonl");
  WriteFile(path, JsonLine("same", kShortTitle, "같은 본문 같은 본문") +
                      JsonLine("other", "무관한 제목", "다른 이야기") +
                      JsonLine("same", kLongTitle, "같은 본문 같은 본문"));
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<ReportData> direct = CollectReportData(options, *result, FixedSettings());
  ASSERT_TRUE(direct.ok()) << direct.status();
  ASSERT_EQ(direct->clusters.size(), 1u);
  ASSERT_EQ(direct->clusters[0].members.size(), 2u);
  EXPECT_EQ(direct->clusters[0].members[0].id, std::string(result->id(0)));
  EXPECT_EQ(direct->clusters[0].members[1].id, std::string(result->id(2)));
  EXPECT_EQ(direct->clusters[0].members[1].title, kLongTitle);

  const std::string clusters_path = TempPath("repeated.clusters.jsonl");
  WriteClustersFile(*result, clusters_path);
  absl::StatusOr<ReportData> via_file =
      CollectReportDataFromClusters(clusters_path, options, FixedSettings());
  ASSERT_TRUE(via_file.ok()) << via_file.status();
  ASSERT_EQ(via_file->clusters.size(), 1u);
  ASSERT_EQ(via_file->clusters[0].members.size(), 2u);
  EXPECT_EQ(via_file->members_without_text, 0u);
  EXPECT_EQ(via_file->clusters[0].members[1].id, direct->clusters[0].members[1].id);
  EXPECT_EQ(via_file->clusters[0].members[1].title, kLongTitle);
}

TEST(ReportRenderMarkdownTest, SummaryClustersAndEscapedText) {
  ReportData data = SampleData();
  data.clusters_left_out = 4;
  const std::string md = RenderMarkdown(data);
  EXPECT_NE(md.find("# Near-duplicate clusters"), std::string::npos);
  EXPECT_NE(md.find("- **Corpus:** `board.jsonl`"), std::string::npos);
  EXPECT_NE(md.find("- **Documents:** 5"), std::string::npos);
  EXPECT_NE(md.find("threshold `0.5`"), std::string::npos);
  EXPECT_NE(md.find("## 1. 3 documents, min similarity 0.85"), std::string::npos);
  EXPECT_NE(md.find("**47093**"), std::string::npos);
  EXPECT_NE(md.find("尹{+대통령+} \"홍장원에"), std::string::npos) << md;
  EXPECT_NE(md.find("4 smaller clusters"), std::string::npos);
  // No markup survives: tags, emphasis and link brackets are escaped.
  for (size_t i = 0; i < md.size(); ++i) {
    if (md[i] == '<' || md[i] == '[') {
      EXPECT_TRUE(i > 0 && md[i - 1] == '\\') << md.substr(i, 20);
    }
  }
  EXPECT_NE(md.find("\\<script\\>alert(1)\\</script\\>"), std::string::npos);
  EXPECT_NE(md.find("\\[속보\\]"), std::string::npos);
}

TEST(ReportTest, SameReportAtAnyThreadCount) {
  const std::string path = TempPath("threads.jsonl");
  WriteFile(path, PlantedCorpus());
  std::string first;
  for (int threads : {1, 2}) {
    PipelineOptions options = Options({path});
    options.threads = threads;
    absl::StatusOr<RunResult> result = RunPipeline(options);
    ASSERT_TRUE(result.ok());
    absl::StatusOr<ReportData> data = CollectReportData(options, *result, FixedSettings());
    ASSERT_TRUE(data.ok());
    const std::string html = RenderHtml(*data);
    if (first.empty()) first = html;
    EXPECT_EQ(html, first);
  }
}

}  // namespace
}  // namespace neardup
