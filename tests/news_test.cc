// Tests of the news steps of normalization (news_rules.h, normalize.h steps 4-6), each with a real
// example from ../shared/seed/000_57a18ff3c3e87f81.txt (also data/samples/seed-board.jsonl) or
// ../shared/data/kocohub-ko-entertainment-titles/docs.jsonl.
#include "neardup/text/news_rules.h"

#include <cstdio>
#include <fstream>
#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

std::string Title(std::string_view text, NormalizeOptions options = {}) {
  std::string out;
  Normalizer(options).Normalize(text, TextField::kTitle, &out);
  return out;
}

std::string Body(std::string_view text, NormalizeOptions options = {}) {
  std::string out;
  Normalizer(options).Normalize(text, TextField::kBody, &out);
  return out;
}

NormalizeOptions NewsOff() {
  NormalizeOptions options;
  options.unify_punctuation = false;
  options.aliases = false;
  options.strip_headline_tags = false;
  options.strip_boilerplate = false;
  return options;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Writes `content` to a fresh file under the test's temporary directory and returns its path.
std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = testing::TempDir() + "/news_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// --- The embedded tables ------------------------------------------------------------------------

TEST(NewsRulesTest, EmbeddedTablesMatchTheDataFiles) {
  EXPECT_EQ(ReadFile(std::string(NEARDUP_SOURCE_DIR) + "/data/news/headline-tags.txt"),
            internal::kDefaultHeadlineTags)
      << "paste data/news/headline-tags.txt into src/news_rules_data.cc";
  EXPECT_EQ(ReadFile(std::string(NEARDUP_SOURCE_DIR) + "/data/news/aliases.tsv"),
            internal::kDefaultAliases)
      << "paste data/news/aliases.tsv into src/news_rules_data.cc";
}

TEST(NewsRulesTest, EmbeddedTablesParse) {
  NewsRules rules;
  EXPECT_TRUE(rules.AddTags(internal::kDefaultHeadlineTags, "tags").ok());
  EXPECT_TRUE(rules.AddAliases(internal::kDefaultAliases, "aliases").ok());
  const NewsRules defaults = NewsRules::Defaults();
  EXPECT_EQ(defaults.tags().size(), rules.tags().size());
  EXPECT_EQ(defaults.aliases().size(), rules.aliases().size());
  EXPECT_GE(defaults.tags().size(), 50u);
  EXPECT_GE(defaults.aliases().size(), 40u);
  // Stored normalized: case folded, spaces removed from tags.
  EXPECT_NE(std::find(defaults.tags().begin(), defaults.tags().end(), "oh!쎈이슈"),
            defaults.tags().end());
}

// --- Step 4: punctuation ------------------------------------------------------------------------

TEST(NewsPunctuationTest, CurlyAndStraightQuotesAgree) {
  // Seed board 47090 vs 47083.
  EXPECT_EQ(Body("\"'尹, 싹 다 잡아들이라' 기억한다\""), "''윤, 싹 다 잡아들이라' 기억한다'");
  EXPECT_EQ(Body("“‘윤, 싹 다 잡아들이라’ 기억한다”"), "''윤, 싹 다 잡아들이라' 기억한다'");
  EXPECT_EQ(Body("`x´"), "'x \u0301");  // ´ is not a quote: NFKC makes it space + acute
}

TEST(NewsPunctuationTest, CornerAndAngleBracketsAreQuotes) {
  EXPECT_EQ(Body("「기생충」 『봉준호』 〈뉴스데스크〉 《한겨레》 «x» ‹y›"),
            "'기생충' '봉준호' '뉴스데스크' '한겨레' 'x' 'y'");
  EXPECT_EQ(Body("<뉴스데스크>"), "<뉴스데스크>");  // ASCII angle brackets stay
}

TEST(NewsPunctuationTest, SquareishBracketsBecomeSquare) {
  EXPECT_EQ(Body("【속보】 〔단독〕 〖종합〗 ［포토］"), "[속보] [단독] [종합] [포토]");
}

TEST(NewsPunctuationTest, EllipsesAgree) {
  // Seed board 47092, 47074, 47076 and a kocohub title ("..").
  EXPECT_EQ(Body("폭탄테러 글…40대 자수"), "폭탄테러 글\u202640대 자수");
  EXPECT_EQ(Body("군 투입 지시···엉터리"), "군 투입 지시\u2026엉터리");
  EXPECT_EQ(Body("직접 지시... 정보사"), "직접 지시\u2026 정보사");
  EXPECT_EQ(Body("\"밤하늘의 ★됐다\"..故전미선"), "'밤하늘의 ★됐다'\u2026고전미선");
  EXPECT_EQ(Body("a‥b⋯c・・d"), "a\u2026b\u2026c\u2026d");
  EXPECT_EQ(Body("The end... Really.."), "the end\u2026 really\u2026");  // ASCII path
  EXPECT_EQ(Body("1.5배. 끝."), "1.5배. 끝.");                          // single periods stay
}

TEST(NewsPunctuationTest, MiddleDotsAgree) {
  // Seed board 47089 and the seed article ("한·미·일").
  EXPECT_EQ(Body("김봉식·조태용·김용빈"), "김봉식·조태용·김용빈");
  EXPECT_EQ(Body("한ㆍ미ㆍ일 한・미・일 한‧미∙일"), "한·미·일 한·미·일 한·미·일");
}

TEST(NewsPunctuationTest, CircledCIsACopyrightSign) {
  EXPECT_EQ(Body("저작권자 ⓒ 한국일보", NewsOff()), "저작권자 c 한국일보");
  NormalizeOptions keep_lines;
  keep_lines.strip_boilerplate = false;
  EXPECT_EQ(Body("저작권자 ⓒ 한국일보", keep_lines), "저작권자 © 한국일보");
}

TEST(NewsPunctuationTest, SwitchesOff) {
  NormalizeOptions options;
  options.unify_punctuation = false;
  EXPECT_EQ(Body("“홍장원” 글…", options), "“홍장원” 글...");
}

// --- Step 5: aliases ----------------------------------------------------------------------------

TEST(NewsAliasTest, SingleHanjaMatchesAnywhere) {
  // Seed board 47088, 47080, 47087.
  EXPECT_EQ(Title("尹대통령 \"홍장원에"), "윤대통령 '홍장원에");
  EXPECT_EQ(Title("올리브영, 美에 매장 낸다"), "올리브영, 미에 매장 낸다");
  EXPECT_EQ(Title("\"尹·여인형, '간첩' 언급 없었다\""), "'윤·여인형, '간첩' 언급 없었다'");
  // A kocohub title: 故 before a name.
  EXPECT_EQ(Title("밤새 조문 행렬…故 전미선"), "밤새 조문 행렬\u2026고 전미선");
}

TEST(NewsAliasTest, WordKeysMatchAtATokenStartAndTakeParticles) {
  // Seed board 47082: 윤석열이 -> 윤이.
  EXPECT_EQ(Title("홍장원 “윤석열이 ‘싹 잡아들여’ 지시"), "홍장원 '윤이 '싹 잡아들여' 지시");
  EXPECT_EQ(Title("(윤석열 탄핵)"), "(윤 탄핵)");
  EXPECT_EQ(Title("반윤석열 연대"), "반윤석열 연대");  // inside a word: no match
  EXPECT_EQ(Title("이재명, ‘허위사실 공표죄’"), "이, '허위사실 공표죄'");
}

TEST(NewsAliasTest, LongestKeyWinsAndLaterEntriesReplace) {
  NewsRules rules = NewsRules::Defaults();
  rules.AddAlias("尹대통령", "윤");
  rules.AddAlias("美", "미국");
  std::string out;
  Normalizer(NormalizeOptions{}, rules).Normalize("尹대통령 美", TextField::kTitle, &out);
  EXPECT_EQ(out, "윤 미국");
  Normalizer(NormalizeOptions{}, rules).Normalize("尹 측", TextField::kTitle, &out);
  EXPECT_EQ(out, "윤 측");
}

TEST(NewsAliasTest, AliasFileIsNormalizedAndExtendsTheDefaults) {
  NewsRules rules = NewsRules::Defaults();
  const std::string path = TempFile(
      "aliases.tsv", "# people\r\n\r\n韓\t한\r\nＯｐｅｎＡＩ\t오픈ai\n김건희 여사\t김\n");
  ASSERT_TRUE(rules.AddAliasFile(path).ok());
  std::string out;
  Normalizer(NormalizeOptions{}, rules).Normalize("OpenAI와 김건희 여사, 韓 총리", TextField::kTitle,
                                                  &out);
  EXPECT_EQ(out, "오픈ai와 김, 한 총리");
}

TEST(NewsAliasTest, AliasFileErrorsNameFileAndLine) {
  NewsRules rules;
  absl::Status status = rules.AddAliasFile(TempFile("bad1.tsv", "尹\t윤\n# ok\n李 이\n"));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("bad1.tsv:3: expected from<TAB>to"), std::string::npos)
      << status;
  status = rules.AddAliasFile(TempFile("bad2.tsv", "a\tb\tc\n"));
  EXPECT_NE(status.message().find("bad2.tsv:1:"), std::string::npos) << status;
  status = rules.AddAliasFile(TempFile("bad3.tsv", "\t윤\n"));
  EXPECT_NE(status.message().find("bad3.tsv:1: empty alias key"), std::string::npos) << status;
  status = rules.AddAliasFile(TempFile("bad4.tsv", "x\ty\n\xFF\t윤\n"));
  EXPECT_NE(status.message().find("bad4.tsv:2: invalid UTF-8"), std::string::npos) << status;
  status = rules.AddAliasFile(testing::TempDir() + "/no-such-file.tsv");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_TRUE(rules.aliases().empty());  // nothing from a failed file
}

TEST(NewsAliasTest, SwitchesOff) {
  NormalizeOptions options;
  options.aliases = false;
  EXPECT_EQ(Title("尹대통령", options), "尹대통령");
}

// --- Step 6: headline tags ----------------------------------------------------------------------

TEST(NewsHeadlineTagTest, TagsAtTheStartGoWithOrWithoutSpace) {
  // Seed board 47093 and 47082.
  EXPECT_EQ(Title("[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\""),
            "윤 '홍장원에 '방첩사 도우라' 통화, 계엄과 무관'");
  EXPECT_EQ(Title("[속보]홍장원 “윤석열이 ‘싹 잡아들여’ 지시"), "홍장원 '윤이 '싹 잡아들여' 지시");
  EXPECT_EQ(Title("[단독] 비, 600억 빌딩 매입"), "비, 600억 빌딩 매입");
}

TEST(NewsHeadlineTagTest, TagsAtTheEndGoRepeatedly) {
  // kocohub title-00000, title-00001 and a title with "(종합)[Oh!쎈 이슈]".
  EXPECT_EQ(Title("밤새 조문 행렬…故 전미선, 동료들이 그리워하는 따뜻한 배우 [종합]"),
            "밤새 조문 행렬\u2026고 전미선, 동료들이 그리워하는 따뜻한 배우");
  EXPECT_EQ(Title("'연중' 故 전미선, 생전 마지막 미공개 인터뷰…환하게 웃는 모습 '먹먹'[종합]"),
            "'연중' 고 전미선, 생전 마지막 미공개 인터뷰\u2026환하게 웃는 모습 '먹먹'");
  EXPECT_EQ(Title("송강호·봉준호·윤시윤 '추모·조문ing'(종합) [Oh!쎈 이슈]"),
            "송강호·봉준호·윤시윤 '추모·조문ing'");
  EXPECT_EQ(Title("[속보][단독] 헌재 (종합)"), "헌재");
}

TEST(NewsHeadlineTagTest, VersionSuffixesAndBracketVariants) {
  EXPECT_EQ(Title("[종합2보] 헌재 변론"), "헌재 변론");
  EXPECT_EQ(Title("헌재 변론(종합 2보)"), "헌재 변론");
  EXPECT_EQ(Title("[1보] 헌재 변론 (2보)"), "헌재 변론");
  EXPECT_EQ(Title("【속보】 헌재 변론"), "헌재 변론");
  EXPECT_EQ(Title("［단독］헌재 변론"), "헌재 변론");
  EXPECT_EQ(Title("[인터뷰①] 배우 (인터뷰)"), "배우");  // NFKC: ① -> 1
  EXPECT_EQ(Title("[2018 MAMA②] 방탄"), "[2018 mama2] 방탄");  // not a listed tag
  EXPECT_EQ(Title("오늘(14일) 결혼"), "오늘(14일) 결혼");       // digits alone are no tag
  EXPECT_EQ(Title("결혼 (20)"), "결혼 (20)");
}

TEST(NewsHeadlineTagTest, OnlyTheEndsAreStripped) {
  EXPECT_EQ(Title("홍장원 [속보] 증언"), "홍장원 [속보] 증언");
  // A title that is only tags stays (trimmed) rather than become empty.
  EXPECT_EQ(Title(" [포토] "), "[포토]");
}

TEST(NewsHeadlineTagTest, BodiesKeepTagsAndTheStepSwitchesOff) {
  EXPECT_EQ(Body("[속보] 헌재"), "[속보] 헌재");
  NormalizeOptions options;
  options.strip_headline_tags = false;
  EXPECT_EQ(Title("[속보] 헌재", options), "[속보] 헌재");
}

TEST(NewsHeadlineTagTest, TagFileExtendsTheList) {
  NewsRules rules = NewsRules::Defaults();
  const std::string path = TempFile("tags.txt", "# extra\n[DA:차이나]\n스브스夜\n\n");
  ASSERT_TRUE(rules.AddTagFile(path).ok());
  std::string out;
  Normalizer(NormalizeOptions{}, rules).Normalize("[DA:차이나] 판빙빙 [스브스夜]",
                                                  TextField::kTitle, &out);
  EXPECT_EQ(out, "판빙빙");
  absl::Status status = rules.AddTagFile(TempFile("badtags.txt", "ok\n[속보\n"));
  EXPECT_NE(status.message().find("badtags.txt:2:"), std::string::npos) << status;
  status = rules.AddTagFile(TempFile("badtags2.txt", "[]\n"));
  EXPECT_NE(status.message().find("badtags2.txt:1: empty tag"), std::string::npos) << status;
}

// --- Step 6: boilerplate ------------------------------------------------------------------------

TEST(NewsBoilerplateTest, PhotoCaptionCreditAndPublisherLineGo) {
  // The seed article: its first paragraph is a caption ending in the credit "연합뉴스", its last
  // line the publisher.
  const std::string article =
      "손정의(일본명 손 마사요시) 소프트뱅크그룹 회장이 4일 오후 삼성 서초사옥에 도착해 "
      "취재진의 질문에 답하고 있다. 연합뉴스\n\n\n이재용 삼성전자 회장이 ‘한·미·일 인공지능(AI) "
      "동맹’이 본격화할지 주목된다.\n\n전망된다.\n\n경향신문";
  EXPECT_EQ(Body(article),
            "손정의(일본명 손 마사요시) 소프트뱅크그룹 회장이 4일 오후 삼성 서초사옥에 도착해 "
            "취재진의 질문에 답하고 있다. 이재용 삼성전자 회장이 '한·미·일 인공지능(ai) "
            "동맹'이 본격화할지 주목된다. 전망된다.");
  // A credit word inside a sentence stays.
  EXPECT_EQ(Body("연합뉴스에 따르면 그렇다"), "연합뉴스에 따르면 그렇다");
  EXPECT_EQ(Body("사진은 연합뉴스"), "사진은 연합뉴스");  // no sentence end before it
  EXPECT_EQ(Body("답하고 있다. (사진=연합뉴스)\n본문"), "답하고 있다. 본문");
  EXPECT_EQ(Body("회동한다. 대통령실 제공\n본문"), "회동한다. 본문");
  EXPECT_EQ(Body("이재용 회장(사진=뉴스1)이 말했다"), "이재용 회장 이 말했다");
}

TEST(NewsBoilerplateTest, DatelineAndBylineGo) {
  EXPECT_EQ(Body("(서울=연합뉴스) 홍길동 기자 = 헌법재판소는 4일"), "헌법재판소는 4일");
  EXPECT_EQ(Body("【서울=뉴시스】김철수 기자 = 헌재는"), "헌재는");
  EXPECT_EQ(Body("(워싱턴=연합뉴스) 김철수 특파원 = 트럼프"), "트럼프");
  EXPECT_EQ(Body("(세종=연합뉴스) 정부는"), "정부는");
  EXPECT_EQ(Body("홍길동 기자 = 헌재는"), "헌재는");
  EXPECT_EQ(Body("(괄호) 본문 = 수식"), "(괄호) 본문 = 수식");  // no '=' in brackets, no byline
}

TEST(NewsBoilerplateTest, EmailAddressesGo) {
  EXPECT_EQ(Body("말했다. 홍길동 기자 hong@yna.co.kr"), "말했다. 홍길동 기자");
  EXPECT_EQ(Body("Write to jane.doe+news@example.com. Thanks"), "write to . thanks");
  EXPECT_EQ(Body("a@b 와 x@y.z"), "a@b 와 x@y.z");  // not addresses
}

TEST(NewsBoilerplateTest, NoticeLinesGo) {
  EXPECT_EQ(Body("본문이다.\n<저작권자(c) 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지>"),
            "본문이다.");
  EXPECT_EQ(Body("본문이다.\nCopyright ⓒ 경향신문. All rights reserved.\n"), "본문이다.");
  EXPECT_EQ(Body("본문이다.\n[ⓒ 한국일보, 무단전재 및 재배포 금지]"), "본문이다.");
  // In a long line (a body without line breaks) only the bracketed notice goes.
  std::string long_line;
  for (int i = 0; i < 30; ++i) long_line += "헌법재판소는 변론을 열었다. ";
  EXPECT_EQ(Body(long_line + "<저작권자 ⓒ 뉴스1, 무단 전재 및 재배포 금지>"),
            long_line.substr(0, long_line.size() - 1));
}

TEST(NewsBoilerplateTest, KeepsLineBreaksWithoutCollapseAndSwitchesOff) {
  NormalizeOptions keep;
  keep.collapse_whitespace = false;
  EXPECT_EQ(Body("(서울=연합뉴스) 홍길동 기자 = 본문\n무단 전재 및 재배포 금지\n끝", keep),
            "본문\n\n끝");
  NormalizeOptions off;
  off.strip_boilerplate = false;
  EXPECT_EQ(Body("있다. 연합뉴스\n경향신문", off), "있다. 연합뉴스 경향신문");
  // Titles are not bodies.
  EXPECT_EQ(Title("있다. 연합뉴스"), "있다. 연합뉴스");
}

TEST(NewsNormalizeTest, BodiesCollapseEveryWhiteSpaceAroundLines) {
  // The body path collapses white space but keeps line breaks for boilerplate removal, then joins.
  for (const char* space : {"\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00A0", "\u1680",
                            "\u2003", "\u2028", "\u2029", "\u202F", "\u205F", "\u3000"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(space)));
    EXPECT_EQ(Body(std::string(space) + "계엄" + space + "\n" + space + "무관" + space), "계엄 무관");
    EXPECT_EQ(Body(std::string(space) + "A" + space + "\r\n" + space + "b" + space), "a b");
  }
}

TEST(NewsNormalizeTest, DisabledStillOnlyRepairs) {
  NormalizeOptions off;
  off.enabled = false;
  EXPECT_EQ(Title("[속보] 尹 “x” …", off), "[속보] 尹 “x” …");
}

// --- Jaccard on the seed board ------------------------------------------------------------------

// The "title" of each line of data/samples/seed-board.jsonl, by "id" (a minimal JSON string
// reader: the file has no \u escapes).
std::map<std::string, std::string> SeedTitles() {
  std::map<std::string, std::string> titles;
  std::ifstream in(std::string(NEARDUP_SOURCE_DIR) + "/data/samples/seed-board.jsonl");
  std::string line;
  const auto field = [](const std::string& l, const std::string& name) {
    std::string value;
    size_t p = l.find("\"" + name + "\": \"");
    if (p == std::string::npos) return value;
    for (p += name.size() + 5; p < l.size() && l[p] != '"'; ++p) {
      if (l[p] == '\\' && p + 1 < l.size()) ++p;
      value += l[p];
    }
    return value;
  };
  while (std::getline(in, line)) titles[field(line, "id")] = field(line, "title");
  return titles;
}

double TitleJaccard(const std::string& a, const std::string& b, int k) {
  const ShingleSpec spec{ShingleUnit::kChar, k, /*keep_spaces=*/false};
  return ExactJaccard(ShingleSet(Title(a), spec), ShingleSet(Title(b), spec));
}

TEST(NewsJaccardTest, SeedBoardPairs) {
  const std::map<std::string, std::string> titles = SeedTitles();
  ASSERT_EQ(titles.size(), 21u);
  struct Pair {
    const char* a;
    const char* b;
    double min3, max3;  // bounds at char:3
  };
  const Pair pairs[] = {
      {"47093", "47088", 0.6, 1.0},  // 尹 vs 尹대통령: same headline
      {"47090", "47083", 0.59, 1.0},  // same headline, quotes and word order differ (0.600)
      {"47091", "47090", 0.0, 0.3},  // same event, different wording
      {"47093", "47076", 0.0, 0.3},
      {"47084", "47075", 0.0, 0.3},  // 한동훈
      {"47081", "47077", 0.0, 0.5},  // 이재명
  };
  for (const Pair& p : pairs) {
    const double j3 = TitleJaccard(titles.at(p.a), titles.at(p.b), 3);
    const double j4 = TitleJaccard(titles.at(p.a), titles.at(p.b), 4);
    const double j5 = TitleJaccard(titles.at(p.a), titles.at(p.b), 5);
    std::printf("%s vs %s: char:3 %.3f  char:4 %.3f  char:5 %.3f\n", p.a, p.b, j3, j4, j5);
    std::printf("  %s\n  %s\n", Title(titles.at(p.a)).c_str(), Title(titles.at(p.b)).c_str());
    EXPECT_GE(j3, p.min3) << p.a << " vs " << p.b;
    EXPECT_LE(j3, p.max3) << p.a << " vs " << p.b;
  }
}


// --- Fast paths against straightforward references ------------------------------------------
// StripBoilerplate finds notice markers and photo credits in one scan of the whole text (16 bytes
// at a time, then a scalar tail), ApplyAliases skips code points that cannot start a key, and
// credit words are looked up by their last byte. These tests put the patterns at every offset
// around the 16-byte blocks, at both ends of the text and across line breaks.

// `n` bytes of filler that holds no marker, credit word, '=' or bracket: Hangul, ASCII letters
// and single spaces, never starting or ending with a space.
std::string Filler(size_t n) {
  static const std::string kPattern = "가나다 abc 라마 xyz 바사아 ";
  std::string out;
  while (out.size() < n) out += kPattern;
  out.resize(n);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  while (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Collapsed parts joined by single spaces, empty parts left out (what collapse mode produces).
std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

TEST(NewsFastPathTest, EmptyTextsStayEmpty) {
  const NewsRules rules = NewsRules::Defaults();
  std::string out = "stale";
  EXPECT_EQ(rules.StripBoilerplate("", true, &out), 0u);
  EXPECT_EQ(out, "");
  out = "stale";
  EXPECT_EQ(rules.StripBoilerplate("", false, &out), 0u);
  EXPECT_EQ(out, "");
  out = "stale";
  EXPECT_EQ(rules.ApplyAliases("", &out), 0u);
  EXPECT_EQ(out, "");
  for (TextField field : {TextField::kTitle, TextField::kBody}) {
    for (const char* text : {"", " ", "\n", "\r\n \t", "\xE3\x80\x80"}) {
      out = "stale";
      Normalizer().Normalize(text, field, &out);
      EXPECT_EQ(out, "") << text;
    }
  }
}

TEST(NewsFastPathTest, NoticeLinesGoAtEveryOffsetAndAtBothEnds) {
  const NewsRules rules = NewsRules::Defaults();
  std::string out;
  for (const std::string& marker : rules.notice_markers()) {
    for (size_t k = 0; k <= 70; ++k) {
      const std::string before = Filler(k), after = Filler(70 - k);
      // A line of its own, in the middle, first and last.
      const std::string notice = Filler(k % 7) + marker + Filler(k % 5);
      rules.StripBoilerplate(before + "\n" + notice + "\n" + after, true, &out);
      EXPECT_EQ(out, Join({before, after})) << marker << " at " << k;
      rules.StripBoilerplate(notice + "\n" + after, true, &out);
      EXPECT_EQ(out, after) << marker << " at " << k;
      rules.StripBoilerplate(before + "\n" + notice, true, &out);
      EXPECT_EQ(out, before) << marker << " at " << k;
      rules.StripBoilerplate(notice, true, &out);
      EXPECT_EQ(out, "") << marker << " at " << k;
      // Without collapse the dropped line leaves its line break.
      rules.StripBoilerplate(before + "\n" + notice + "\r\n" + after, false, &out);
      EXPECT_EQ(out, before + "\n\r\n" + after) << marker << " at " << k;
      // Cut by a line break, a marker is no marker.
      if (marker.size() > 3) {
        const std::string cut = before + marker.substr(0, 3) + "\n" + marker.substr(3) + after;
        rules.StripBoilerplate(cut, true, &out);
        EXPECT_EQ(out, Join({before + marker.substr(0, 3), marker.substr(3) + after}))
            << marker << " at " << k;
        // Cut by the end of the text, too.
        const std::string tail = before + marker.substr(0, marker.size() - 1);
        rules.StripBoilerplate(tail, true, &out);
        EXPECT_EQ(out, tail) << marker << " at " << k;
      }
    }
  }
}

TEST(NewsFastPathTest, NoticeInALongLineTakesOnlyItsBrackets) {
  const NewsRules rules = NewsRules::Defaults();
  std::string out;
  for (size_t k = 0; k <= 40; ++k) {
    // Over 200 code points: the line stays, without the bracketed notice.
    const std::string before = Filler(600 + k), after = Filler(640 - k);
    rules.StripBoilerplate(before + " <무단 전재 금지> " + after, true, &out);
    EXPECT_EQ(out, Join({before, after})) << k;
    rules.StripBoilerplate(before + "(ⓒ" + after.substr(0, 6) + ")", true, &out);
    EXPECT_EQ(out, before + "(ⓒ" + after.substr(0, 6) + ")") << k;  // ⓒ is not ©
    rules.StripBoilerplate(before + "(©" + after.substr(0, 6) + ")", true, &out);
    EXPECT_EQ(out, before) << k;
  }
}

TEST(NewsFastPathTest, PhotoCreditsGoAtEveryOffset) {
  const NewsRules rules = NewsRules::Defaults();
  std::string out;
  for (size_t k = 0; k <= 70; ++k) {
    const std::string before = Filler(k), after = Filler(70 - k);
    for (const char* credit : {"(사진=연합뉴스)", "[사진=독자 제공]"}) {
      rules.StripBoilerplate(Join({before, credit, after}), true, &out);
      EXPECT_EQ(out, Join({before, after})) << credit << " at " << k;
      rules.StripBoilerplate(Join({before, credit}), true, &out);
      EXPECT_EQ(out, before) << credit << " at " << k;
    }
    // Without a bracket before it, or cut by the text's end, it stays.
    for (const std::string text : {Join({before, "사진=연합뉴스", after}), Join({before, "(사진"}),
                                   Join({before, "(사진="}), Join({before, "(사진=" + after})}) {
      rules.StripBoilerplate(text, true, &out);
      EXPECT_EQ(out, text) << k;
    }
  }
}

TEST(NewsFastPathTest, EveryCreditWordEndsACaption) {
  // The reference: the first credit word, in credit_words() order, that ends the line.
  const NewsRules rules = NewsRules::Defaults();
  std::string out;
  const std::string sentence = "대통령이 답하고 있다.";
  for (const std::string& word : rules.credit_words()) {
    const std::string expected_kept = sentence;
    for (const std::string text :
         {sentence + " " + word, sentence + " " + word + " 제공", sentence + " (" + word + ")",
          sentence + " [사진=" + word + "]"}) {
      rules.StripBoilerplate(text, true, &out);
      EXPECT_EQ(out, expected_kept) << text;
    }
    rules.StripBoilerplate(Filler(20) + "\n" + word + "\n" + Filler(9), true, &out);
    EXPECT_EQ(out, Join({Filler(20), Filler(9)})) << word;
    // Not after a sentence end, or glued to the word before: kept.
    for (const std::string text : {"가나라 " + word, "다." + word}) {  // (다 ends a sentence)
      bool longer_word_ends_it = false;
      for (const std::string& other : rules.credit_words()) {
        longer_word_ends_it |= other.size() > word.size() && text.size() >= other.size() &&
                               text.compare(text.size() - other.size(), other.size(), other) == 0;
      }
      if (longer_word_ends_it) continue;
      rules.StripBoilerplate(text, true, &out);
      EXPECT_EQ(out, text) << text;
    }
  }
}

// Straightforward alias replacement: at each code point, the longest key that starts there (a
// key of several code points only at a token start), else the code point itself. The test
// alphabet's only non-word characters are ' ' and ','.
std::string ReferenceAliases(const NewsRules& rules, std::string_view text) {
  std::vector<std::pair<std::string, std::string>> keys = rules.aliases();
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::string out;
  size_t pos = 0;
  bool token_start = true;
  while (pos < text.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + pos;
    const size_t len = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    const std::pair<std::string, std::string>* match = nullptr;
    for (const auto& key : keys) {
      if (text.substr(pos, key.first.size()) != key.first) continue;
      if (key.first.size() > len && !token_start) continue;
      match = &key;
      break;
    }
    const size_t taken = match ? match->first.size() : len;
    out += match ? match->second : std::string(text.substr(pos, len));
    // A replaced key ends in a word character (every key of this alphabet does).
    token_start = !match && (text[pos] == ' ' || text[pos] == ',');
    pos += taken;
  }
  return out;
}

TEST(NewsFastPathTest, AliasesMatchAStraightforwardMatcherOnRandomText) {
  const NewsRules rules = NewsRules::Defaults();
  const std::vector<std::string> pieces = {
      "尹", "李", "美", "文", "金", "윤석열", "윤석", "윤", "이재명", "이재", "이", "문재인",
      "한동훈", "한", "가", "나", "힣", "a", "Z", "7", " ", ",", "\u3400", "\u4E00", "é",
      "\U00020000"};
  std::mt19937 rng(7);
  std::string out;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = static_cast<int>(rng() % 60); n > 0; --n) text += pieces[rng() % pieces.size()];
    const size_t replaced = rules.ApplyAliases(text, &out);
    ASSERT_EQ(out, ReferenceAliases(rules, text)) << text;
    EXPECT_EQ(replaced > 0, out != text || text.find("李") != std::string::npos ||
                                text.find("伊") != std::string::npos || replaced > 0);
  }
}

}  // namespace
}  // namespace neardup
