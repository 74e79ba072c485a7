// End-to-end tests of the rules that decide the clusters with the defaults (issue 15): the auto
// field rule (--match auto), containment (--similarity containment), exact verification
// (--verify), and medoid-checked components (--cluster medoid), through the neardup binary on
// small JSONL inputs written here, on synth's planted chains, and on a real Korean news corpus
// (../shared/data/ko-news-chronicle-2019) against Jaccard similarities computed here.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "testutil.h"

namespace {

using namespace neardup_test;  // tests/testutil.h

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// One JSONL record; an empty title or text is left out.
std::string Record(const std::string& id, const std::string& title, const std::string& text) {
  std::string line = "{\"id\":" + JsonString(id);
  if (!title.empty()) line += ",\"title\":" + JsonString(title);
  if (!text.empty()) line += ",\"text\":" + JsonString(text);
  return line + "}\n";
}

std::string WriteInput(const std::string& name, const std::vector<std::string>& records) {
  const std::string path = Temp(name);
  std::ofstream f(path, std::ios::binary);
  for (const std::string& r : records) f << r;
  return path;
}

// id -> cluster, from a cluster file.
std::map<std::string, std::string> ClusterOf(const std::string& clusters_file) {
  std::map<std::string, std::string> c;
  for (const std::string& line : Lines(ReadFile(clusters_file))) c[Field(line, "id")] = Field(line, "cluster");
  return c;
}

// Runs `cluster` on `input` with `flags`; returns id -> cluster.
std::map<std::string, std::string> Cluster(const std::string& input, const std::string& flags) {
  const std::string out = Temp("clusters.jsonl");
  const Result r = RunNeardup("cluster " + input + " -q -o " + out + " " + flags);
  EXPECT_EQ(r.exit_code, 0) << flags << ": " << r.err;
  auto c = ClusterOf(out);
  std::remove(out.c_str());
  return c;
}

// --- Text ---------------------------------------------------------------------------------------

std::u32string CodePoints(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string Utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) AppendUtf8(c, &out);
  return out;
}

// The first `share` of a text's code points.
std::string Prefix(const std::string& text, double share) {
  const std::u32string cps = CodePoints(text);
  return Utf8(cps.substr(0, static_cast<size_t>(static_cast<double>(cps.size()) * share)));
}

bool IsSpace(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Sorted, distinct 64-bit hashes of the character 5-grams of `text` (code points), with ASCII
// letters lower-cased and, when `keep_spaces`, every run of white space one space (trimmed), or
// else white space dropped.
std::vector<uint64_t> Char5(const std::string& text, bool keep_spaces) {
  std::u32string cps;
  cps.reserve(text.size());
  for (char32_t c : CodePoints(text)) {
    if (IsSpace(c)) {
      if (keep_spaces && !cps.empty() && cps.back() != ' ') cps.push_back(' ');
      continue;
    }
    cps.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  if (!cps.empty() && cps.back() == ' ') cps.pop_back();
  std::vector<uint64_t> out;
  out.reserve(cps.size());
  for (size_t i = 0; i + 5 <= cps.size(); ++i) {
    // Five code points of at most 21 bits each, mixed into 64 bits.
    const uint64_t lo = (uint64_t{cps[i]} << 42) | (uint64_t{cps[i + 1]} << 21) | cps[i + 2];
    const uint64_t hi = (uint64_t{cps[i + 3]} << 21) | cps[i + 4];
    out.push_back(Mix(lo ^ Mix(hi)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t common = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const size_t uni = a.size() + b.size() - common;
  return uni == 0 ? 1.0 : static_cast<double>(common) / static_cast<double>(uni);
}

// --- Korean news text -------------------------------------------------------------------------

const std::string kRuling =
    "대법원 전원합의체는 19일 정기상여금이 통상임금에 포함되는지를 두고 근로자들이 회사를 상대로 "
    "낸 임금 청구 소송 상고심에서 원고 일부 승소로 판결한 원심을 확정했다. 재판부는 \"근로자가 "
    "소정근로를 온전하게 제공하면 그 대가로 정기적이고 일률적으로 지급되는 임금은 조건이 붙어 "
    "있더라도 통상임금에 해당한다\"고 판시했다. 이번 판결로 지급일 당시 재직 중인 근로자에게만 "
    "주는 이른바 재직 조건부 상여금을 통상임금에서 제외해 온 기존 판례는 11년 만에 변경됐다. "
    "다만 재판부는 법적 안정성과 신뢰 보호를 위해 새 법리를 이날 이후 산정되는 통상임금부터 "
    "적용하도록 했다. 경영계는 연장·야간·휴일근로 수당과 퇴직금 등 통상임금을 기준으로 산정되는 "
    "각종 급여가 늘어 기업의 인건비 부담이 커질 것이라며 우려를 나타냈다. 노동계는 늦었지만 "
    "당연한 판단이라며 환영했고, 고용노동부는 판결 취지를 반영해 관련 지침을 조속히 정비하겠다고 "
    "밝혔다.";

const std::string kFareRise =
    "서울시는 오는 10월 7일 첫차부터 지하철 기본요금을 1400원에서 1550원으로 150원 인상한다고 "
    "밝혔다. 교통카드 기준 성인 요금이며 청소년은 900원에서 1000원으로, 어린이는 500원에서 "
    "550원으로 각각 오른다. 시는 지난해 버스 요금을 300원 올린 데 이어 지하철 요금도 단계적으로 "
    "조정하기로 하면서 당초 계획했던 추가 인상분을 한 차례 미룬 바 있다. 서울교통공사의 누적 "
    "적자가 17조원을 넘어선 상황에서 노후 전동차 교체와 안전 투자 재원을 마련하기 위한 불가피한 "
    "조치라는 설명이다. 경기도와 인천시, 코레일도 수도권 통합환승제에 따라 같은 날부터 요금을 "
    "함께 조정한다. 시는 기후동행카드 이용자는 이번 인상과 관계없이 기존 가격으로 대중교통을 "
    "무제한 이용할 수 있다고 덧붙였다.";

const std::string kFareReaction =
    "지하철 요금이 다시 오른다는 소식에 출퇴근 시민들 사이에서는 한숨이 나왔다. 경기 고양시에서 "
    "서울 여의도로 출근하는 직장인 김모씨는 \"버스와 지하철을 갈아타면 하루 교통비만 5000원이 "
    "넘는다\"며 \"월급 빼고 다 오른다는 말이 실감 난다\"고 말했다. 대학생 이모씨도 \"아르바이트 "
    "시급은 그대로인데 통학비 부담만 커졌다\"고 했다. 시민단체들은 무임승차 손실 보전 등 정부 "
    "지원 없이 요금 인상으로 적자를 메우는 것은 시민에게 책임을 떠넘기는 일이라고 비판했다. "
    "반면 전문가들 사이에서는 원가 대비 낮은 요금 구조를 고려하면 인상이 불가피하다는 의견도 "
    "적지 않다. 한 교통 전문가는 \"요금 현실화와 함께 노인 무임승차 제도에 대한 사회적 논의가 "
    "필요하다\"고 지적했다.";

const std::string kExports =
    "산업통상자원부는 1일 지난달 수출이 1년 전보다 11.7% 늘어난 587억7000만 달러로 집계됐다고 "
    "밝혔다. 월간 수출은 지난해 10월 증가세로 돌아선 뒤 여덟 달 연속 늘었고, 증가율은 20개월 만에 "
    "가장 높았다. 품목별로는 반도체 수출이 인공지능 서버에 쓰이는 고대역폭메모리와 고용량 기업용 "
    "저장장치 수요가 이어지면서 54.5% 증가한 113억8000만 달러를 기록해 두 달 연속 100억 달러를 "
    "넘었다. 메모리 반도체 가격이 오르고 재고가 빠르게 줄어든 것도 수출 단가를 끌어올렸다. "
    "자동차 수출은 친환경차 판매가 늘면서 65억 달러로 같은 달 기준 역대 최대를 기록했고, 선박과 "
    "무선통신기기 수출도 두 자릿수 증가율을 보였다. 반면 석유화학과 철강은 중국산 저가 제품 공급 "
    "과잉의 영향으로 수출이 각각 3.2%, 7.9% 줄었다. 지역별로는 대미 수출이 109억 달러로 역대 최대 "
    "실적을 이어갔고, 대중 수출도 반도체를 중심으로 회복세를 보이며 석 달 연속 늘었다. 수입은 "
    "원유와 가스 등 에너지 수입이 줄면서 2.3% 감소한 537억2000만 달러에 그쳐 무역수지는 "
    "50억5000만 달러 흑자를 냈다. 무역수지는 열두 달 연속 흑자 흐름을 이어갔다. 정부는 하반기에도 "
    "반도체 업황 개선이 이어질 것으로 보고 올해 수출 목표 7000억 달러 달성에 총력을 기울이겠다는 "
    "계획이다. 다만 중동 정세 불안과 주요국의 보호무역 강화, 환율 변동성은 여전히 부담 요인으로 "
    "꼽힌다.";

TEST(CliRulesTest, TheKoreanTextsAreAsLongAsTheTestsNeed) {
  EXPECT_GE(CodePoints(kRuling).size(), 300u);
  EXPECT_GE(CodePoints(kFareRise).size(), 300u);
  EXPECT_GE(CodePoints(kFareReaction).size(), 300u);
  EXPECT_GE(CodePoints(kExports).size(), 680u);
  EXPECT_LE(CodePoints(kExports).size(), 720u);
  // Unrelated articles share next to nothing.
  EXPECT_LT(Jaccard(Char5(kFareRise, false), Char5(kFareReaction, false)), 0.1);
}

// --- The auto field rule ------------------------------------------------------------------------

// One article re-headlined by another outlet: the same long body under a completely different
// headline is one cluster with the defaults (long bodies decide alone), judged by the body; with
// --match both the headlines must pass too, and they do not.
TEST(CliRulesTest, ReheadlinedArticleIsOneClusterByItsBody) {
  const std::string title_a = "대법 \"재직 조건 붙은 상여금도 통상임금\"…11년 만에 판례 변경";
  const std::string title_b = "경영계 '인건비 폭탄' 우려…노동계는 \"당연한 판단\" 환영";
  ASSERT_LT(Jaccard(Char5(title_a, false), Char5(title_b, false)), 0.05);
  const std::string in = WriteInput("reheadlined.jsonl", {Record("r1", title_a, kRuling),
                                                           Record("r2", title_b, kRuling),
                                                           Record("r3", "", kFareRise)});
  const std::string edges = Temp("reheadlined.edges.jsonl");
  // The default verification decides this pair by its estimate (far above the threshold); exact
  // verification judges it from the shingle sets, by the same rule.
  for (const std::string verify : {"auto", "exact"}) {
    SCOPED_TRACE(verify);
    auto c = Cluster(in, "--verify " + verify + " --edges " + edges);
    EXPECT_EQ(c["r1"], c["r2"]);
    EXPECT_NE(c["r1"], c["r3"]);
    const std::vector<std::string> e = Lines(ReadFile(edges));
    ASSERT_EQ(e.size(), 1u) << ReadFile(edges);
    EXPECT_EQ(Field(e[0], "rule"), "body");
    EXPECT_EQ(Field(e[0], "similarity"), "1");
    EXPECT_LT(std::stod(Field(e[0], "title_similarity")), 0.2);
    c = Cluster(in, "--match both --verify " + verify);
    EXPECT_NE(c["r1"], c["r2"]) << "--match both needs the headlines to pass as well";
  }
  for (const std::string& f : {in, edges}) std::remove(f.c_str());
}

// Two different articles under one headline are the same story, not a copy: not clustered with
// the defaults, although their headlines are identical; --match title would join them.
TEST(CliRulesTest, DifferentLongBodiesUnderOneHeadlineStayApart) {
  const std::string title = "서울 지하철 기본요금 150원 오른다";
  const std::string in = WriteInput("oneheadline.jsonl", {Record("s1", title, kFareRise),
                                                           Record("s2", title, kFareReaction)});
  auto c = Cluster(in, "");
  EXPECT_NE(c["s1"], c["s2"]);
  c = Cluster(in, "--match title");
  EXPECT_EQ(c["s1"], c["s2"]) << "the headlines are identical";
  std::remove(in.c_str());
}

// A board listing: titles only. The same headline with a small rewrite (尹 / 尹대통령) is one
// cluster by its title; another headline about the same person stays alone.
TEST(CliRulesTest, TitleOnlyListingsClusterByTitle) {
  const std::string in = WriteInput(
      "board.jsonl",
      {Record("b1", "[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"", ""),
       Record("b2", "[속보] 헌재, 尹 탄핵심판 변론기일 2차례 추가 지정", ""),
       Record("b3", "[속보] 尹대통령 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"", "")});
  const std::string edges = Temp("board.edges.jsonl");
  auto c = Cluster(in, "--edges " + edges);
  EXPECT_EQ(c["b1"], c["b3"]);
  EXPECT_NE(c["b1"], c["b2"]);
  const std::vector<std::string> e = Lines(ReadFile(edges));
  ASSERT_EQ(e.size(), 1u) << ReadFile(edges);
  EXPECT_EQ(Field(e[0], "a"), "b1");
  EXPECT_EQ(Field(e[0], "b"), "b3");
  EXPECT_EQ(Field(e[0], "rule"), "title");
  EXPECT_EQ(Field(e[0], "body_similarity"), "null");
  for (const std::string& f : {in, edges}) std::remove(f.c_str());
}

// --- Containment --------------------------------------------------------------------------------

// A truncated copy (the first 45% of a 700-character article) lies wholly inside its original:
// containment 1, Jaccard about 0.45. Clustered under --similarity containment, not under the
// default Jaccard.
TEST(CliRulesTest, TruncatedCopyIsContainedButNotSimilar) {
  const std::string cut = Prefix(kExports, 0.45);
  const auto whole = Char5(kExports, false), part = Char5(cut, false);
  ASSERT_LT(Jaccard(whole, part), 0.5);
  ASSERT_GT(Jaccard(whole, part), 0.4);
  const std::string title = "반도체 수출 54.5% 급증…8개월 연속 수출 증가";
  const std::string in = WriteInput("truncated.jsonl", {Record("t1", title, kExports),
                                                         Record("t2", title, cut),
                                                         Record("t3", "", kRuling)});
  for (const std::string verify : {"auto", "exact"}) {
    SCOPED_TRACE(verify);
    auto c = Cluster(in, "--verify " + verify);
    EXPECT_NE(c["t1"], c["t2"]) << "Jaccard is about 0.45";
    c = Cluster(in, "--similarity containment --verify " + verify);
    EXPECT_EQ(c["t1"], c["t2"]) << "the copy is wholly inside the original";
    EXPECT_NE(c["t1"], c["t3"]);
  }
  std::remove(in.c_str());
}

// A copy made of the first half of an article written twice (a page that repeats its lead) is
// as contained in the original as the plain half: only the few 5-grams across the seam are new.
// --verify exact clusters it under containment, and so must the default --verify auto: its
// containment estimate is taken from the Jaccard estimate and the shingle counts
// (FieldRule::shingle_counts, positions with repeats, 2x the set here), which makes it about
// 0.67, below the threshold 0.9 by more than kVerifyMargin, so under containment a low estimate
// rejects nothing without the exact sets.
TEST(CliRulesTest, RepeatedLeadIsContainedUnderDefaultVerification) {
  const std::string half = Prefix(kExports, 0.5);
  const std::string copy = half + " " + half;
  const auto whole = Char5(kExports, false), twice = Char5(copy, false);
  size_t inside = 0;
  for (uint64_t h : twice) inside += std::binary_search(whole.begin(), whole.end(), h);
  ASSERT_GT(static_cast<double>(inside) / static_cast<double>(twice.size()), 0.97);
  const std::string in = WriteInput("repeated.jsonl", {Record("u1", "", kExports),
                                                        Record("u2", "", copy)});
  auto c = Cluster(in, "--similarity containment --verify exact");
  ASSERT_EQ(c["u1"], c["u2"]) << "exactly, the copy is contained";
  c = Cluster(in, "--similarity containment");
  EXPECT_EQ(c["u1"], c["u2"]) << "--verify auto decided otherwise than the exact check";
  std::remove(in.c_str());
}

// --- Exact verification ---------------------------------------------------------------------------

// Pseudo-text of lower-case ASCII words: the default normalization leaves it as it is, so the
// default shingles (char:5, spaces skipped) are this test's Char5(text, false).
std::string Words(uint64_t seed, int words) {
  uint64_t x = seed;
  auto next = [&] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  std::string text;
  for (int w = 0; w < words; ++w) {
    if (w > 0) text.push_back(' ');
    const int len = 3 + static_cast<int>(next() % 6);
    for (int k = 0; k < len; ++k) text.push_back(static_cast<char>('a' + next() % 26));
  }
  return text;
}

// Substitutes letters of `base` one at a time until the exact char-5 Jaccard with `base` falls
// below `threshold`; returns the last edit at or above it and the first below it. Letters at
// pseudo-random positions first (each changes up to five shingles), then, once the next such
// edit would cross, letters from the end backwards (each changes one or two), so the two
// straddle the threshold closely.
std::pair<std::string, std::string> StraddleThreshold(const std::string& base, uint64_t seed,
                                                      double threshold) {
  const auto base_set = Char5(base, false);
  auto substitute = [](std::string text, size_t pos, uint64_t r) {
    text[pos] = static_cast<char>('a' + (text[pos] - 'a' + 1 + r % 25) % 26);
    return text;
  };
  std::string text = base;
  uint64_t x = seed;
  for (;;) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t pos = (x >> 33) % text.size();
    if (text[pos] == ' ') continue;
    const std::string next = substitute(text, pos, x >> 20);
    if (Jaccard(base_set, Char5(next, false)) < threshold) break;
    text = next;
  }
  for (size_t pos = text.size(); pos-- > 0;) {
    if (text[pos] == ' ') continue;
    const std::string next = substitute(text, pos, pos);
    if (Jaccard(base_set, Char5(next, false)) < threshold) return {text, next};
    text = next;
  }
  return {text, text};
}

// Two pairs straddle the default threshold 0.7 by less than 0.005 of exact char-5 Jaccard, far
// inside what a 128-entry MinHash estimate can tell apart. --verify exact clusters the pair
// above and not the one below, and reports the exact similarity; both were candidates (--verify
// none joins both). Output is byte-identical at 1 and 2 threads.
TEST(CliRulesTest, ExactVerificationDecidesAtTheThreshold) {
  const std::string base_a = Words(11, 130), base_b = Words(23, 130);
  const auto [above, unused_a] = StraddleThreshold(base_a, 5, 0.7);
  const auto [unused_b, below] = StraddleThreshold(base_b, 9, 0.7);
  const double j_above = Jaccard(Char5(base_a, false), Char5(above, false));
  const double j_below = Jaccard(Char5(base_b, false), Char5(below, false));
  ASSERT_GE(j_above, 0.7);
  ASSERT_LT(j_above, 0.705);
  ASSERT_LT(j_below, 0.7);
  ASSERT_GT(j_below, 0.695);
  ASSERT_GE(Char5(base_a, false).size(), 400u);
  const std::string in = WriteInput(
      "straddle.jsonl", {Record("a0", "", base_a), Record("b0", "", base_b),
                         Record("a1", "", above), Record("b1", "", below)});
  std::string first;
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const std::string out = Temp("straddle.clusters.jsonl"), edges = Temp("straddle.edges.jsonl"),
                      stats = Temp("straddle.stats.json");
    const Result r = RunNeardup("cluster " + in + " --verify exact -q -j " +
                                std::to_string(threads) + " -o " + out + " --edges " + edges +
                                " --stats " + stats);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto c = ClusterOf(out);
    EXPECT_EQ(c.at("a0"), c.at("a1")) << "Jaccard " << j_above;
    EXPECT_NE(c.at("b0"), c.at("b1")) << "Jaccard " << j_below;
    EXPECT_NE(c.at("a0"), c.at("b0"));
    const std::vector<std::string> e = Lines(ReadFile(edges));
    ASSERT_EQ(e.size(), 1u) << ReadFile(edges);
    EXPECT_EQ(Field(e[0], "measured"), "exact");
    EXPECT_NEAR(std::stod(Field(e[0], "similarity")), j_above, 1e-5);
    const std::string s = ReadFile(stats);
    EXPECT_NE(s.find("\"exact_checks\": 2"), std::string::npos) << s;
    EXPECT_NE(s.find("\"verified_edges\": 1"), std::string::npos) << s;
    if (threads == 1) {
      first = ReadFile(out) + ReadFile(edges);
    } else {
      EXPECT_EQ(ReadFile(out) + ReadFile(edges), first);
    }
    for (const std::string& f : {out, edges, stats}) std::remove(f.c_str());
  }
  const auto none = Cluster(in, "--verify none");
  EXPECT_EQ(none.at("b0"), none.at("b1")) << "the pair below was a candidate";
  std::remove(in.c_str());
}

// --- Clustering on synth's chains and variant groups ------------------------------------------------

struct SynthChains {
  std::map<std::string, std::vector<std::pair<int, std::string>>> links;  // head -> (link, id)
  std::vector<std::string> ids;
};

// Reads a synth corpus: every chain's members by link number (the head is link 0).
SynthChains ReadChains(const std::string& corpus) {
  SynthChains s;
  for (const std::string& line : Lines(ReadFile(corpus))) {
    const std::string id = Field(line, "id");
    s.ids.push_back(id);
    const std::string head = Field(line, "chain");
    if (head.empty()) continue;
    const std::string edit = Field(line, "edit");
    int link = 0;
    const size_t p = edit.find("chain_link=");
    if (p != std::string::npos) link = std::stoi(edit.substr(p + 11));
    s.links[head].push_back({link, id});
  }
  for (auto& [head, members] : s.links) std::sort(members.begin(), members.end());
  return s;
}

// For each chain, whether its head and its last link share a cluster.
std::vector<bool> EndsTogether(const SynthChains& s, const std::map<std::string, std::string>& c) {
  std::vector<bool> out;
  for (const auto& [head, members] : s.links) {
    out.push_back(c.at(members.front().second) == c.at(members.back().second));
  }
  return out;
}

// Checks the medoid guarantee on a cluster file and its edges file: in every cluster some member
// reaches every other in at most two edges of the cluster (exact copies, one node for the
// clustering, are merged first).
void ExpectEveryClusterWithinTwoEdges(const std::string& clusters, const std::string& edges) {
  const auto cluster_of = ClusterOf(clusters);
  std::map<std::string, std::string> parent;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = find(it->second);
  };
  std::vector<std::pair<std::string, std::string>> links;
  for (const std::string& line : Lines(ReadFile(edges))) {
    const std::string a = Field(line, "a"), b = Field(line, "b");
    if (Field(line, "rule") == "exact-duplicate") {
      parent[find(a)] = find(b);
    } else if (cluster_of.at(a) == cluster_of.at(b)) {
      links.push_back({a, b});
    }
  }
  std::map<std::string, std::set<std::string>> adj;
  for (const auto& [a, b] : links) {
    adj[find(a)].insert(find(b));
    adj[find(b)].insert(find(a));
  }
  std::map<std::string, std::set<std::string>> nodes_of;  // cluster -> its nodes
  for (const auto& [id, cluster] : cluster_of) nodes_of[cluster].insert(find(id));
  int multi = 0;
  for (const auto& [cluster, nodes] : nodes_of) {
    if (nodes.size() < 2) continue;
    ++multi;
    bool centred = false;
    for (const std::string& m : nodes) {
      std::set<std::string> reached = {m};
      for (const std::string& v : adj[m]) {
        reached.insert(v);
        for (const std::string& w : adj[v]) reached.insert(w);
      }
      if (reached == nodes) {
        centred = true;
        break;
      }
    }
    EXPECT_TRUE(centred) << "cluster " << cluster << " (" << nodes.size()
                         << " nodes) has no member within two edges of all others";
  }
  EXPECT_GT(multi, 10);
}

// Chains whose links are near-duplicates of their neighbours only (a chain edit rate of 7-8%):
// the default clustering cuts every chain so that its ends are apart (15 of these 20 are joined
// end to end by components). No link here has the core degree's near-duplicates, so every
// cluster is a star: within two edges of one member.
TEST(CliRulesTest, DefaultClusteringCutsSparseChainsComponentsJoinsThem) {
  const std::string corpus = Temp("chains.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 400 --chains 20 --dup-fraction 0 --chain-edit-rate 0.07:0.08 "
                       "--seed 4 -q -o " + corpus).exit_code, 0);
  const SynthChains s = ReadChains(corpus);
  ASSERT_EQ(s.links.size(), 20u);
  const std::string clusters = Temp("chains.default.jsonl"), edges = Temp("chains.edges.jsonl");
  const Result r = RunNeardup("cluster " + corpus + " -q -o " + clusters + " --edges " + edges);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<bool> defaults = EndsTogether(s, ClusterOf(clusters));
  const std::vector<bool> components = EndsTogether(s, Cluster(corpus, "--cluster components"));
  EXPECT_EQ(std::count(defaults.begin(), defaults.end(), true), 0);
  EXPECT_GT(std::count(components.begin(), components.end(), true), 10) << "most chains";
  ExpectEveryClusterWithinTwoEdges(clusters, edges);
  for (const std::string& f : {corpus, clusters, edges}) std::remove(f.c_str());
}

// Synth's default chains (3-4% an edit): each link is within the threshold of the next three to
// five, so the middle link is a near-duplicate of nearly every other and medoid keeps most chains
// whole (16 of these 20). Anchored stars start at the head (the record --keep first keeps) and
// keep every chain's ends apart.
TEST(CliRulesTest, DefaultClusteringCutsDenseChainsMedoidDoesNot) {
  const std::string corpus = Temp("dense-chains.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 400 --chains 20 --dup-fraction 0 --seed 4 -q -o " + corpus)
                .exit_code, 0);
  const SynthChains s = ReadChains(corpus);
  ASSERT_EQ(s.links.size(), 20u);
  const std::vector<bool> defaults = EndsTogether(s, Cluster(corpus, ""));
  const std::vector<bool> medoid = EndsTogether(s, Cluster(corpus, "--cluster medoid"));
  EXPECT_EQ(std::count(defaults.begin(), defaults.end(), true), 0);
  EXPECT_GT(std::count(medoid.begin(), medoid.end(), true), 10) << "dense chains, as meant";
  std::remove(corpus.c_str());
}

// Reads `neardup eval --json`'s "ari".
double Ari(const std::string& clusters, const std::string& truth) {
  const Result r = RunNeardup("eval " + clusters + " --truth " + truth +
                              " --truth-field cluster --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const size_t p = r.out.find("\"ari\": ");
  if (p == std::string::npos) {
    ADD_FAILURE() << r.out;
    return 0;
  }
  return std::stod(r.out.substr(p + 7));
}

// Citation-like variant groups of 60-120 members (synth --variants) at the citation setting:
// the default keeps them as whole as connected components do (within 0.03 ARI), where medoid
// splits the sparse ones into stars. The stats count the core groups, one a planted group.
TEST(CliRulesTest, DefaultClusteringKeepsVariantGroupsWhole) {
  const std::string corpus = Temp("variants.jsonl");
  ASSERT_EQ(RunNeardup("synth -n 2000 --variants 5 --variant-size 60:120 --seed 4 -q -o " +
                       corpus).exit_code, 0);
  double ari[3];
  const char* modes[3] = {"anchored", "medoid", "components"};
  const std::string out = Temp("variants.clusters.jsonl"), stats = Temp("variants.stats.json");
  for (int m = 0; m < 3; ++m) {
    const Result r = RunNeardup("cluster " + corpus + " --shingle char:3 -t 0.6 -q -o " + out +
                                " --cluster " + modes[m] + " --stats " + stats);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ari[m] = Ari(out, corpus);
    if (m == 0) {
      const std::string st = ReadFile(stats);
      EXPECT_NE(st.find("\"core_groups\": 5,"), std::string::npos) << st;
    }
  }
  EXPECT_GE(ari[0], ari[2] - 0.03) << "anchored " << ari[0] << ", components " << ari[2];
  EXPECT_GT(ari[0], ari[1] + 0.1) << "anchored " << ari[0] << ", medoid " << ari[1];
  for (const std::string& f : {corpus, out, stats}) std::remove(f.c_str());
}

// --- Real data: Korean newspaper articles ---------------------------------------------------------

// ko-news-chronicle-2019 with the defaults, against char-5 Jaccard of the raw bodies computed
// here (code points, ASCII lower-cased, white space runs as one space; the pairs file's
// definition without NFKC):
//  - every pair the pairs file lists at jaccard_char5 >= 0.8 is in one cluster;
//  - every pair at >= 0.8 by this test's own computation (all pairs, by prefix filtering) too;
//  - at least 98% of the pairs that share a cluster have Jaccard >= 0.5.
// (The pairs file cannot stand in for the last check: it leaves out pairs far above 0.5, e.g.
// knc-201904-0151/0152 at 0.96, and its values differ from its stated definition.)
TEST(CliRulesTest, KoreanNewsDefaultsClusterNearDuplicateBodiesOnly) {
  const std::string dir = kShared + "/ko-news-chronicle-2019";
  const std::string docs = dir + "/docs.jsonl", pairs = dir + "/pairs_body_char5_jaccard_ge_0.5.jsonl";
  ASSERT_TRUE(Exists(docs)) << docs << " is missing: the shared corpora sit beside the checkout";
  ASSERT_TRUE(Exists(pairs)) << pairs << " is missing: the shared corpora sit beside the checkout";
  const auto cluster_of = Cluster(docs, "");
  ASSERT_EQ(cluster_of.size(), 6177u);

  std::vector<std::string> ids;
  std::vector<std::vector<uint64_t>> sets;
  std::unordered_map<std::string, size_t> index;
  for (const std::string& line : Lines(ReadFile(docs))) {
    index[Field(line, "id")] = ids.size();
    ids.push_back(Field(line, "id"));
    sets.push_back(Char5(Field(line, "text"), true));
  }
  ASSERT_EQ(ids.size(), 6177u);
  auto jaccard = [&](size_t a, size_t b) { return Jaccard(sets[a], sets[b]); };

  int listed = 0;
  for (const std::string& line : Lines(ReadFile(pairs))) {
    if (std::stod(Field(line, "jaccard_char5")) < 0.8) continue;
    ++listed;
    const std::string a = Field(line, "id_a"), b = Field(line, "id_b");
    EXPECT_EQ(cluster_of.at(a), cluster_of.at(b)) << a << " " << b << ": " << line;
  }
  EXPECT_GE(listed, 18);

  // Every pair at >= 0.8, by prefix filtering: with the hashes of every set in one global order,
  // two such sets share one of the first n - ceil(0.8 n) + 1 hashes of each. The order puts rare
  // hashes first (by a count of the hash's bucket in a table of 2^21, then the hash), so that
  // prefixes seldom hold the 5-grams every article has.
  std::vector<uint16_t> bucket_count(size_t{1} << 21, 0);
  auto bucket = [](uint64_t h) { return static_cast<size_t>(h >> 43); };
  for (const auto& s : sets) {
    for (uint64_t h : s) {
      uint16_t& c = bucket_count[bucket(h)];
      if (c < UINT16_MAX) ++c;
    }
  }
  std::vector<std::pair<uint64_t, uint32_t>> prefixes;  // (hash, document)
  for (size_t d = 0; d < sets.size(); ++d) {
    std::vector<std::pair<uint16_t, uint64_t>> order;
    for (uint64_t h : sets[d]) order.push_back({bucket_count[bucket(h)], h});
    std::sort(order.begin(), order.end());
    const size_t n = order.size();
    const size_t prefix = n - (4 * n + 4) / 5 + 1;
    for (size_t k = 0; k < prefix && k < n; ++k) {
      prefixes.push_back({order[k].second, static_cast<uint32_t>(d)});
    }
  }
  std::sort(prefixes.begin(), prefixes.end());
  std::vector<std::pair<uint32_t, uint32_t>> candidates;
  for (size_t i = 0; i < prefixes.size();) {
    size_t end = i;
    while (end < prefixes.size() && prefixes[end].first == prefixes[i].first) ++end;
    for (size_t x = i; x < end; ++x) {
      for (size_t y = x + 1; y < end; ++y) {
        const uint32_t a = prefixes[x].second, b = prefixes[y].second;  // a < b: sorted
        // Sets of n and m hashes have Jaccard at most min(n, m) / max(n, m).
        const size_t n = sets[a].size(), m = sets[b].size();
        if (5 * std::min(n, m) >= 4 * std::max(n, m)) candidates.push_back({a, b});
      }
    }
    i = end;
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<std::pair<size_t, size_t>> high;
  for (const auto& [a, b] : candidates) {
    if (jaccard(a, b) >= 0.8) high.push_back({a, b});
  }
  EXPECT_GE(high.size(), 100u);
  for (const auto& [a, b] : high) {
    EXPECT_EQ(cluster_of.at(ids[a]), cluster_of.at(ids[b]))
        << ids[a] << " " << ids[b] << " Jaccard " << jaccard(a, b);
  }

  std::map<std::string, std::vector<size_t>> members;
  for (const auto& [id, cluster] : cluster_of) members[cluster].push_back(index.at(id));
  size_t clustered = 0, similar = 0;
  std::string low;
  for (const auto& [cluster, m] : members) {
    for (size_t i = 0; i < m.size(); ++i) {
      for (size_t j = i + 1; j < m.size(); ++j) {
        ++clustered;
        const double s = jaccard(m[i], m[j]);
        if (s >= 0.5) {
          ++similar;
        } else {
          low += ids[m[i]] + "/" + ids[m[j]] + " " + std::to_string(s) + "\n";
        }
      }
    }
  }
  EXPECT_GE(clustered, 200u);
  EXPECT_GE(static_cast<double>(similar), 0.98 * static_cast<double>(clustered))
      << similar << " of " << clustered << " clustered pairs at >= 0.5; below:\n" << low;
}

}  // namespace
