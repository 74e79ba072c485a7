// report_testutil.h: what report_test.cc and report_stories_test.cc share: scratch paths, small
// corpora, options and a fixed sample of report data.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/io/writer.h"
#include "neardup/pipeline.h"
#include "neardup/report/report.h"

namespace neardup::report_test {

inline const std::string kSource = NEARDUP_SOURCE_DIR;

inline constexpr char kShortTitle[] = "[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"";
inline constexpr char kLongTitle[] = "[속보] 尹대통령 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"";

inline std::string TempPath(const std::string& name) { return testing::TempDir() + "report_" + name; }

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

inline bool IsValidUtf8(std::string_view s) {
  std::string repaired;
  return RepairUtf8(s, &repaired) == 0;
}

inline PipelineOptions Options(std::vector<std::string> inputs, double threshold = 0.5) {
  PipelineOptions options;
  options.inputs = std::move(inputs);
  options.threshold = threshold;
  options.shingle = ShingleSpec::Parse("char:3").value();
  options.threads = 2;
  EXPECT_TRUE(options.Validate().ok()) << options.Validate();
  return options;
}

inline ReportSettings FixedSettings() {
  ReportSettings settings;
  settings.generated_at = "2025-02-04 12:00:00 UTC";
  settings.command_line = "neardup cluster in.jsonl --report r.html";
  return settings;
}

inline std::string JsonLine(const std::string& id, const std::string& title, const std::string& text) {
  auto q = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  };
  return "{\"id\": " + q(id) + ", \"title\": " + q(title) + ", \"text\": " + q(text) + "}\n";
}

// A corpus with planted clusters: a (3 members, one an exact copy), b (2), c (2), and singletons;
// a bad record in the middle.
inline std::string PlantedCorpus() {
  const std::string story_a = "서울시가 내년부터 모든 시내버스에 저상버스를 도입한다고 밝혔다 교통약자";
  const std::string story_b = "기상청은 오늘 밤부터 중부지방에 강한 비가 내릴 것으로 예보했다 시간당";
  const std::string story_c = "한국은행이 기준금리를 동결했다 물가 상승세가 둔화하고 있지만 가계부채";
  std::string s;
  s += JsonLine("s1", "전혀 관계없는 제목 하나", "고양이는 하루 대부분을 잠으로 보낸다");
  s += JsonLine("b1", "[속보] 중부지방 폭우 예보", story_b);
  s += JsonLine("a1", kShortTitle, story_a);
  s += "{\"id\": \"broken\", \"title\": \n";  // a bad record
  s += JsonLine("a2", kLongTitle, story_a + " 편의");
  s += JsonLine("c1", "기준금리 동결", story_c);
  s += JsonLine("a3", kShortTitle, story_a);  // exact copy of a1
  s += JsonLine("b2", "[속보] 중부지방 폭우 예보 (종합)", story_b + " 50mm");
  s += JsonLine("s2", "완전히 다른 이야기", "축구 국가대표팀이 평가전에서 승리했다 감독은");
  s += JsonLine("c2", "기준금리 동결 (종합)", story_c + " 우려");
  return s;
}

inline void WriteClustersFile(const RunResult& result, const std::string& path) {
  auto out = AtomicFile::Create(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(WriteClusters(result, out->get()).ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

inline ReportData SampleData() {
  ReportData data;
  data.corpus = {"board.jsonl"};
  data.documents = 5;
  data.clusters_total = 3;
  data.multi_member_clusters = 1;
  data.singletons = 2;
  data.largest_cluster = 3;
  data.size_histogram = {{1, 2}, {3, 1}};
  data.similarity_bins.assign(ReportData::kSimilarityBins, 0);
  data.similarity_bins[17] = 2;
  data.generated_at = "2025-02-04 12:00:00 UTC";
  data.parameters = {{"engine", "minhash"}, {"threshold", "0.5"}};
  ReportCluster cluster;
  cluster.size = 3;
  cluster.min_similarity = 0.85f;
  ReportMember rep;
  rep.id = "47093";
  rep.title = kShortTitle;
  rep.representative = true;
  ReportMember m1;
  m1.id = "47088";
  m1.title = kLongTitle;
  m1.similarity = 0.9f;
  ReportMember m2;
  m2.id = "x<b>\"'&";
  m2.title = "<script>alert(1)</script> & \"double\" 'single'";
  m2.body_start = "<img src=x onerror=alert(2)>";
  m2.similarity = 0.85f;
  cluster.members = {rep, m1, m2};
  data.clusters.push_back(cluster);
  return data;
}


}  // namespace neardup::report_test
