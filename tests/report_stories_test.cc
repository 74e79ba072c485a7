// Tests of the report's stories (cluster --stories) and extra fields (--report-fields).
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

// ---------------------------------------------------------------------------------------------
// Stories and extra fields

// The seed board as `neardup cluster --stories` runs it (default options).
PipelineOptions SeedBoardStoryOptions(bool stories) {
  PipelineOptions options;
  options.inputs = {kSource + "/data/samples/seed-board.jsonl"};
  options.stories = stories;
  options.threads = 2;
  EXPECT_TRUE(options.Validate().ok()) << options.Validate();
  return options;
}

// The text from `begin` up to `end` (or to the end of the page).
std::string Between(const std::string& page, const std::string& begin, const std::string& end) {
  const size_t a = page.find(begin);
  if (a == std::string::npos) return "";
  const size_t b = page.find(end, a + begin.size());
  return page.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The Markdown section of one story: from its heading to the next heading of a story or of the
// clusters.
std::string MarkdownStoryBlock(const std::string& md, const std::string& id) {
  const size_t at = md.find("first document **" + id + "**");
  if (at == std::string::npos) return "";
  const size_t begin = md.rfind("### Story ", at);
  size_t end = md.find("\n### Story ", at);
  if (end == std::string::npos) end = md.find("\n## ", at);
  return md.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The bold words of a Markdown text (the stories' first documents and every member's id), in
// order, one a line.
std::string BoldWords(const std::string& md) {
  std::string out;
  const std::regex bold(R"(\*\*[^*\n]+\*\*)");
  for (auto it = std::sregex_iterator(md.begin(), md.end(), bold); it != std::sregex_iterator();
       ++it) {
    out += it->str() + "\n";
  }
  return out;
}

const std::vector<std::string> kHongStory = {"47091", "47090", "47086", "47083", "47082"};
const std::vector<std::string> kLeeStory = {"47081", "47077"};

TEST(ReportStoriesTest, SeedBoardStoriesInDataHtmlAndMarkdown) {
  const PipelineOptions options = SeedBoardStoryOptions(true);
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_FALSE(result->story.empty());
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, FixedSettings());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_TRUE(data->has_stories);
  ASSERT_GE(data->stories.size(), 2u);
  EXPECT_EQ(data->stories_left_out, 0u);
  EXPECT_EQ(data->multi_cluster_stories, data->stories.size());
  // Largest first: 47091's story has five documents in four clusters (47090 and 47083 are one),
  // the near-duplicate pair first, then the single documents.
  const ReportStory& hong = data->stories[0];
  EXPECT_EQ(hong.first.id, "47091");
  EXPECT_FALSE(hong.first.title.empty());
  EXPECT_EQ(hong.documents, 5u);
  EXPECT_EQ(hong.clusters_total, 4u);
  EXPECT_EQ(data->largest_story, 5u);
  ASSERT_EQ(hong.clusters.size(), 4u);
  ASSERT_EQ(hong.clusters[0].members.size(), 2u);
  EXPECT_EQ(hong.clusters[0].members[0].id + hong.clusters[0].members[1].id, "4709047083");
  for (const ReportStory& story : data->stories) {
    EXPECT_LE(story.documents, hong.documents);
    EXPECT_GE(story.clusters_total, 2u);  // stories of one cluster are not listed
  }

  const std::string html = RenderHtml(*data);
  const std::string md = RenderMarkdown(*data);
  EXPECT_LT(html.find("<section id=\"stories\">"), html.find("<section id=\"clusters\">"));
  EXPECT_LT(md.find("\n## Stories\n"), md.find("\n## 1. "));
  // Each story's block, in the page and in the Markdown, holds its members and not the other's.
  const std::vector<std::string>* members[2] = {&kHongStory, &kLeeStory};
  for (int s = 0; s < 2; ++s) {
    const std::string& first = members[s]->front();
    const std::string html_block = Between(html, "data-story=\"" + first + "\"", "</details>");
    const std::string md_block = MarkdownStoryBlock(md, first);
    ASSERT_FALSE(html_block.empty()) << first;
    ASSERT_FALSE(md_block.empty()) << first;
    for (int t = 0; t < 2; ++t) {
      for (const std::string& id : *members[t]) {
        EXPECT_EQ(html_block.find("<td class=\"id\">" + id) != std::string::npos, s == t) << id;
        EXPECT_EQ(md_block.find("**" + id + "**") != std::string::npos, s == t) << id;
      }
    }
    // 47093's story is its one near-duplicate cluster: in the cluster list, not a story.
    EXPECT_EQ(html_block.find("<td class=\"id\">47093"), std::string::npos);
  }
  const std::string hong_html = Between(html, "data-story=\"47091\"", "</details>");
  EXPECT_NE(hong_html.find("5 documents"), std::string::npos);
  EXPECT_NE(hong_html.find("4 groups"), std::string::npos);
  // The headline is the first document's title, escaped.
  EXPECT_NE(hong_html.find("<span class=\"rt\">" + HtmlEscape(hong.first.title) + "</span>"),
            std::string::npos);
  EXPECT_NE(MarkdownStoryBlock(md, "47091").find("5 documents in 4 groups"), std::string::npos);
}

// A run without stories renders as it always did: stories add a section and change nothing else
// of the data, and their absence leaves no trace on the page.
TEST(ReportStoriesTest, StoryLessRunRendersAsBefore) {
  const PipelineOptions plain_options = SeedBoardStoryOptions(false);
  absl::StatusOr<RunResult> plain_run = RunPipeline(plain_options);
  ASSERT_TRUE(plain_run.ok()) << plain_run.status();
  ASSERT_TRUE(plain_run->story.empty());
  absl::StatusOr<ReportData> plain = CollectReportData(plain_options, *plain_run, FixedSettings());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->has_stories);
  EXPECT_TRUE(plain->stories.empty());
  const std::string html = RenderHtml(*plain);
  const std::string md = RenderMarkdown(*plain);
  EXPECT_EQ(html.find("id=\"stories\""), std::string::npos);
  EXPECT_EQ(html.find("class=\"st\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"sshown\""), std::string::npos);
  EXPECT_EQ(html.find(">Stories<"), std::string::npos);
  EXPECT_EQ(md.find("Stories"), std::string::npos);
  // The search tools stay inside the cluster section, as before.
  EXPECT_LT(html.find("<section id=\"clusters\">"), html.find("<div class=\"tools\">"));

  const PipelineOptions story_options = SeedBoardStoryOptions(true);
  absl::StatusOr<RunResult> story_run = RunPipeline(story_options);
  ASSERT_TRUE(story_run.ok()) << story_run.status();
  absl::StatusOr<ReportData> with = CollectReportData(story_options, *story_run, FixedSettings());
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_FALSE(with->stories.empty());
  // Without its stories, the report of the story run is the report of the plain run, byte for
  // byte.
  ReportData stripped = *with;
  stripped.has_stories = false;
  stripped.stories.clear();
  stripped.stories_total = stripped.multi_cluster_stories = stripped.largest_story = 0;
  stripped.stories_left_out = 0;
  EXPECT_EQ(RenderHtml(stripped), html);
  EXPECT_EQ(RenderMarkdown(stripped), md);
}

TEST(ReportStoriesTest, CapCountsTheStoriesLeftOut) {
  const PipelineOptions options = SeedBoardStoryOptions(true);
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ReportSettings settings = FixedSettings();
  settings.max_clusters = 1;
  settings.max_members_per_story = 2;
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->stories.size(), 1u);
  EXPECT_EQ(data->stories_left_out, data->multi_cluster_stories - 1);
  EXPECT_GE(data->stories_left_out, 1u);
  const ReportStory& story = data->stories[0];
  EXPECT_EQ(story.first.id, "47091");
  EXPECT_EQ(story.documents, 5u);
  // Two members: the pair; the three single documents, 47091 among them, are left out.
  ASSERT_EQ(story.clusters.size(), 1u);
  EXPECT_EQ(story.clusters_left_out, 3u);
  EXPECT_EQ(story.documents_left_out, 3u);
  EXPECT_FALSE(story.first.title.empty());  // the headline, though its cluster is not shown

  const std::string html = RenderHtml(*data);
  EXPECT_NE(html.find("id=\"stories-left-out\""), std::string::npos);
  const uint64_t out = data->stories_left_out;
  EXPECT_NE(html.find(std::to_string(out) + (out == 1 ? " smaller story" : " smaller stories") +
                      " not shown"),
            std::string::npos);
  EXPECT_NE(html.find("and 3 more groups (3 documents) not shown"), std::string::npos);
  EXPECT_NE(RenderMarkdown(*data).find("and 3 more groups (3 documents) not shown"),
            std::string::npos);

  settings.max_clusters = 0;
  data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(data->stories.empty());
  EXPECT_EQ(data->stories_left_out, data->multi_cluster_stories);
}

// `neardup report` from a cluster file with "story" shows the stories `cluster --report` shows.
TEST(ReportStoriesTest, ReportFromTheClusterFileGivesTheSameStories) {
  const PipelineOptions options = SeedBoardStoryOptions(true);
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string clusters_path = TempPath("stories.clusters.jsonl");
  WriteClustersFile(*result, clusters_path);
  ReportSettings settings = FixedSettings();
  settings.extra_fields = {"date", "author"};
  absl::StatusOr<ReportData> direct = CollectReportData(options, *result, settings);
  absl::StatusOr<ReportData> via_file =
      CollectReportDataFromClusters(clusters_path, options, settings);
  ASSERT_TRUE(direct.ok()) << direct.status();
  ASSERT_TRUE(via_file.ok()) << via_file.status();
  EXPECT_EQ(via_file->stories_total, direct->stories_total);
  EXPECT_EQ(via_file->largest_story, direct->largest_story);
  ASSERT_EQ(via_file->stories.size(), direct->stories.size());
  // The pages' story sections (headlines, counts, groups, members, texts, fields) are the same
  // bytes.
  const std::string direct_html = RenderHtml(*direct);
  const std::string file_html = RenderHtml(*via_file);
  const std::string section = Between(direct_html, "<section id=\"stories\">", "</section>");
  ASSERT_FALSE(section.empty());
  EXPECT_EQ(section, Between(file_html, "<section id=\"stories\">", "</section>"));
  EXPECT_EQ(Between(RenderMarkdown(*direct), "\n## Stories\n", "\n## Clusters"),
            Between(RenderMarkdown(*via_file), "\n## Stories\n", "\n## Clusters"));
  // The seed board's records have a date and an author.
  EXPECT_NE(section.find("<span class=\"fk\">date</span> "), std::string::npos);
  EXPECT_NE(section.find("<span class=\"fk\">author</span> "), std::string::npos);

  // The same through the command: `cluster --stories --report` and `report CLUSTERS`.
  const std::string input = kSource + "/data/samples/seed-board.jsonl";
  const std::string cli_clusters = TempPath("stories.cli.clusters.jsonl");
  const std::string run_md = TempPath("stories.run.md"), file_md = TempPath("stories.file.md");
  neardup_test::Result r =
      neardup_test::RunNeardup("cluster " + input + " --stories -o " + cli_clusters +
                               " --report " + run_md + " --report-format md -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = neardup_test::RunNeardup("report " + cli_clusters + " " + input + " -o " + file_md +
                               " --report-format md -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The run's report also says which rule matched each member (the edges): compare the ids.
  const std::string run_stories =
      Between(neardup_test::ReadFile(run_md), "\n## Stories\n", "\n## Clusters");
  ASSERT_FALSE(run_stories.empty());
  EXPECT_EQ(BoldWords(run_stories),
            BoldWords(Between(neardup_test::ReadFile(file_md), "\n## Stories\n", "\n## Clusters")));
  EXPECT_NE(MarkdownStoryBlock(run_stories, "47091").find("**47082**"), std::string::npos);
}

// A corpus whose records carry press, date (a number in one record) and url, one value markup.
std::string FieldsCorpus() {
  const std::string body = "서울시가 내년부터 모든 시내버스에 저상버스를 도입한다고 밝혔다 교통약자";
  return "{\"id\": \"f1\", \"title\": \"저상버스 전면 도입\", \"text\": \"" + body +
         "\", \"press\": \"연합뉴스\", \"date\": \"2019-01-02\", \"url\": \"https://a.example/1\"}\n"
         "{\"id\": \"f2\", \"title\": \"저상버스 전면 도입 (종합)\", \"text\": \"" + body +
         " 편의\", \"press\": \"<script>alert(3)</script> & 'Q'\", \"date\": 20190103}\n"
         "{\"id\": \"f3\", \"title\": \"무관한 제목\", \"text\": \"고양이는 하루 대부분을 잠으로 보낸다\"}\n";
}

TEST(ReportFieldsTest, ShowsTheValuesEscapedAndWarnsOfAFieldNoMemberHas) {
  const std::string path = TempPath("fields.jsonl");
  WriteFile(path, FieldsCorpus());
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ReportSettings settings = FixedSettings();
  settings.extra_fields = {"press", "date", "url", "nope", "press", ""};
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->extra_fields, (std::vector<std::string>{"press", "date", "url", "nope"}));
  EXPECT_EQ(data->extra_fields_missing, std::vector<std::string>{"nope"});
  ASSERT_EQ(data->clusters.size(), 1u);
  const ReportCluster& c = data->clusters[0];
  ASSERT_EQ(c.members.size(), 2u);
  using Values = std::vector<std::optional<std::string>>;
  EXPECT_EQ(c.members[0].extra,
            (Values{"연합뉴스", "2019-01-02", "https://a.example/1", std::nullopt}));
  EXPECT_EQ(c.members[1].extra,  // a number as its text
            (Values{"<script>alert(3)</script> & 'Q'", "20190103", std::nullopt, std::nullopt}));

  const std::string html = RenderHtml(*data);
  EXPECT_NE(html.find("<span class=\"fk\">press</span> 연합뉴스"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"fk\">date</span> 20190103"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"fk\">press</span> &lt;script&gt;alert(3)&lt;/script&gt; "
                      "&amp; &#39;Q&#39;"),
            std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(CountOf(html, "<script"), 1u);
  const std::string warning = Between(html, "id=\"fields-missing\"", "</p>");
  EXPECT_NE(warning.find("<code>nope</code>"), std::string::npos) << warning;
  EXPECT_EQ(warning.find("press"), std::string::npos);

  const std::string md = RenderMarkdown(*data);
  EXPECT_NE(md.find("  - press: 연합뉴스 · date: 2019-01-02 · url: https://a.example/1\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("press: \\<script\\>alert(3)\\</script\\> \\& 'Q' · date: 20190103\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**Warning:** no document shown has the field `nope`"), std::string::npos);
  for (size_t i = 0; i < md.size(); ++i) {
    if (md[i] == '<') EXPECT_TRUE(i > 0 && md[i - 1] == '\\') << md.substr(i, 20);
  }

  // Without --report-fields nothing of it shows.
  data = CollectReportData(options, *result, FixedSettings());
  ASSERT_TRUE(data.ok());
  EXPECT_TRUE(data->clusters[0].members[0].extra.empty());
  EXPECT_EQ(RenderHtml(*data).find("class=\"fx\""), std::string::npos);
  EXPECT_EQ(RenderHtml(*data).find("fields-missing"), std::string::npos);
}

TEST(ReportFieldsTest, CsvColumnsAndTheClusterFile) {
  const std::string path = TempPath("fields.csv");
  WriteFile(path,
            "id,title,text,press\n"
            "c1,저상버스 전면 도입,서울시가 내년부터 모든 시내버스에 저상버스를 도입한다,\"한겨레, 서울\"\n"
            "c2,저상버스 전면 도입 (종합),서울시가 내년부터 모든 시내버스에 저상버스를 도입한다 "
            "편의,<b>경향</b>\n");
  const PipelineOptions options = Options({path});
  absl::StatusOr<RunResult> result = RunPipeline(options);
  ASSERT_TRUE(result.ok()) << result.status();
  ReportSettings settings = FixedSettings();
  settings.extra_fields = {"press", "url"};
  absl::StatusOr<ReportData> data = CollectReportData(options, *result, settings);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->clusters.size(), 1u);
  EXPECT_EQ(data->clusters[0].members[0].extra[0], std::optional<std::string>("한겨레, 서울"));
  EXPECT_EQ(data->clusters[0].members[1].extra[0], std::optional<std::string>("<b>경향</b>"));
  EXPECT_EQ(data->extra_fields_missing, std::vector<std::string>{"url"});
  EXPECT_NE(RenderHtml(*data).find("&lt;b&gt;경향&lt;/b&gt;"), std::string::npos);

  const std::string clusters_path = TempPath("fields.clusters.jsonl");
  WriteClustersFile(*result, clusters_path);
  absl::StatusOr<ReportData> via_file =
      CollectReportDataFromClusters(clusters_path, options, settings);
  ASSERT_TRUE(via_file.ok()) << via_file.status();
  ASSERT_EQ(via_file->clusters.size(), 1u);
  EXPECT_EQ(via_file->clusters[0].members[1].extra, data->clusters[0].members[1].extra);
  EXPECT_EQ(via_file->extra_fields_missing, std::vector<std::string>{"url"});
}

TEST(ReportFieldsTest, CommandLineFlag) {
  const std::string path = TempPath("fields_cli.jsonl");
  WriteFile(path, FieldsCorpus());
  const std::string html = TempPath("fields_cli.html");
  const std::string clusters = TempPath("fields_cli.clusters.jsonl");
  neardup_test::Result r = neardup_test::RunNeardup(
      "cluster " + path + " -t 0.5 --shingle char:3 -o " + clusters + " --report " + html +
      " --report-fields press,url,nope -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string page = neardup_test::ReadFile(html);
  EXPECT_NE(page.find("<span class=\"fk\">press</span> 연합뉴스"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(3)"), std::string::npos);
  EXPECT_NE(Between(page, "id=\"fields-missing\"", "</p>").find("nope"), std::string::npos);
  r = neardup_test::RunNeardup("report " + clusters + " " + path + " -o " + html +
                               " --report-fields press -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  page = neardup_test::ReadFile(html);
  EXPECT_NE(page.find("<span class=\"fk\">press</span> 연합뉴스"), std::string::npos);
  EXPECT_EQ(page.find("fields-missing"), std::string::npos);
}

}  // namespace
}  // namespace neardup
