#include "neardup/text/normalize.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <utf8proc.h>

#include "gtest/gtest.h"
#include "markup_reference.h"

namespace neardup {
namespace {

// Steps 1-4 and 8 only: the news steps (5-7) are tested in news_test.cc. Markup removal (step 2)
// is tested in markup_test.cc, and here through the oracle (Oracle() has it too).
NormalizeOptions Core() {
  NormalizeOptions options;
  options.unify_punctuation = false;
  options.aliases = false;
  options.strip_headline_tags = false;
  options.strip_boilerplate = false;
  return options;
}

NormalizeOptions Options(bool nfkc, bool casefold, bool collapse_whitespace) {
  NormalizeOptions options = Core();
  options.nfkc = nfkc;
  options.casefold = casefold;
  options.collapse_whitespace = collapse_whitespace;
  return options;
}

std::string Norm(std::string_view text, NormalizeOptions options = Core()) {
  std::string out;
  Normalizer(options).Normalize(text, &out);
  return out;
}

// Number of code points in valid UTF-8.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A headline from /work/shared/seed/000_57a18ff3c3e87f81.txt.
constexpr char kHeadline[] = "[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"";

// --- RepairUtf8 ------------------------------------------------------------------------------

TEST(RepairUtf8Test, ValidTextIsCopiedUnchanged) {
  std::string out;
  EXPECT_EQ(RepairUtf8(kHeadline, &out), 0u);
  EXPECT_EQ(out, kHeadline);
  const std::string edges = "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80"
                            "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBD";  // incl. U+FFFD
  EXPECT_EQ(RepairUtf8(edges, &out), 0u);
  EXPECT_EQ(out, edges);
}

TEST(RepairUtf8Test, EmbeddedNulIsValid) {
  std::string out;
  const std::string text("a\0b", 3);
  EXPECT_EQ(RepairUtf8(text, &out), 0u);
  EXPECT_EQ(out, text);
}

TEST(RepairUtf8Test, LoneContinuationAndInvalidLeadBytesAreReplacedOneEach) {
  std::string out;
  EXPECT_EQ(RepairUtf8("a\x80" "b\xFF" "c\xF5" "d", &out), 3u);
  EXPECT_EQ(out, "a\uFFFD" "b\uFFFD" "c\uFFFD" "d");
}

TEST(RepairUtf8Test, OverlongEncodingsAreInvalid) {
  std::string out;
  // "/" as 2-byte overlong: C0 and AF are each invalid on their own.
  EXPECT_EQ(RepairUtf8("\xC0\xAF", &out), 2u);
  EXPECT_EQ(out, "\uFFFD\uFFFD");
  // 3-byte overlong of U+007F: E0 cannot be followed by 81, so E0, 81, BF are three subparts.
  EXPECT_EQ(RepairUtf8("\xE0\x81\xBF", &out), 3u);
  // 4-byte overlong of U+FFFF.
  EXPECT_EQ(RepairUtf8("\xF0\x8F\xBF\xBF", &out), 4u);
}

TEST(RepairUtf8Test, SurrogatesAreInvalid) {
  std::string out;
  EXPECT_EQ(RepairUtf8("x\xED\xA0\x80y", &out), 3u);  // U+D800
  EXPECT_EQ(out, "x\uFFFD\uFFFD\uFFFDy");
  EXPECT_EQ(RepairUtf8("\xED\xBF\xBF", &out), 3u);  // U+DFFF
}

TEST(RepairUtf8Test, CodePointsAboveMaxAreInvalid) {
  std::string out;
  EXPECT_EQ(RepairUtf8("\xF4\x90\x80\x80", &out), 4u);  // U+110000
  EXPECT_EQ(RepairUtf8("\xF7\xBF\xBF\xBF", &out), 4u);
}

TEST(RepairUtf8Test, TruncatedSequenceIsOneReplacementPerMaximalSubpart) {
  std::string out;
  // "한" is ED 95 9C; cut after two bytes, followed by ASCII and at the very end.
  EXPECT_EQ(RepairUtf8("\xED\x95" "a", &out), 1u);
  EXPECT_EQ(out, "\uFFFD" "a");
  EXPECT_EQ(RepairUtf8("ab\xF0\x9F\x98", &out), 1u);  // emoji cut at the end
  EXPECT_EQ(out, "ab\uFFFD");
  // Two truncated sequences back to back are two replacements.
  EXPECT_EQ(RepairUtf8("\xE2\x82\xE2\x82", &out), 2u);
  EXPECT_EQ(out, "\uFFFD\uFFFD");
}

TEST(RepairUtf8Test, KoreanCutMidSyllableKeepsTheRest) {
  // A byte-truncated copy of the headline with one stray Latin-1 byte, as some crawls have.
  std::string broken = std::string(kHeadline).substr(0, 10) + "\xE9" + "계엄과";
  std::string out;
  // "[속보] " is 9 bytes, so byte 9 is the lead E5 of "尹" (E5 B0 B9) followed by E9: one
  // truncated subpart. E9 is then followed by "계" (EA B3 84) instead of a continuation: one more.
  EXPECT_EQ(RepairUtf8(broken, &out), 2u);
  EXPECT_EQ(out, "[속보] \uFFFD\uFFFD계엄과");
}

// --- Normalizer ------------------------------------------------------------------------------

TEST(NormalizerTest, KoreanHeadlineKeepsSyllablesAndPunctuation) {
  EXPECT_EQ(Norm(kHeadline), kHeadline);
}

TEST(NormalizerTest, NewsStepsAreOnByDefault) {
  std::string out;
  Normalizer().Normalize(kHeadline, TextField::kTitle, &out);
  EXPECT_EQ(out, "윤 '홍장원에 '방첩사 도우라' 통화, 계엄과 무관'");
  Normalizer().Normalize(kHeadline, &out);  // a body: the tag stays
  EXPECT_EQ(out, "[속보] 윤 '홍장원에 '방첩사 도우라' 통화, 계엄과 무관'");
  const NormalizeOptions defaults;
  EXPECT_TRUE(defaults.unify_punctuation && defaults.aliases && defaults.strip_headline_tags &&
              defaults.strip_boilerplate);
}

TEST(NormalizerTest, AsciiAndUnicodePathsAgreeOnNewsSteps) {
  // The same ASCII text alone (fast path) and after a Hangul syllable (general path).
  for (const char* text : {"Say \"hi\"... `ok`.. (c) 1.5", "  The END\t\n\n x@y.com. AP  "}) {
    for (TextField field : {TextField::kTitle, TextField::kBody}) {
      std::string ascii, hangul;
      Normalizer().Normalize(text, field, &ascii);
      Normalizer().Normalize(std::string("가 ") + text, field, &hangul);
      EXPECT_EQ("가 " + ascii, hangul) << text;
    }
  }
}

TEST(NormalizerTest, HangulStaysComposed) {
  const std::string out = Norm("한국어");
  EXPECT_EQ(out, "한국어");
  EXPECT_EQ(CodePoints(out), 3u);
}

TEST(NormalizerTest, DecomposedJamoRecomposeToSyllables) {
  // NFD of "한국어": 한 = U+1112 U+1161 U+11AB, 국 = U+1100 U+116E U+11A8, 어 = U+110B U+1165.
  const std::string nfd =
      "\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165";
  EXPECT_EQ(CodePoints(nfd), 8u);
  const std::string out = Norm(nfd);
  EXPECT_EQ(out, "한국어");
  EXPECT_EQ(CodePoints(out), 3u);
}

TEST(NormalizerTest, FullWidthFormsFoldToAscii) {
  EXPECT_EQ(Norm("ＡＢＣ１２３"), "abc123");
}

TEST(NormalizerTest, CaseFoldingIsFull) {
  EXPECT_EQ(Norm("Straße"), "strasse");
  EXPECT_EQ(Norm("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
  // U+01C4 is a compatibility ligature: NFKC splits it, folding lowercases the parts.
  EXPECT_EQ(Norm("Ǆ"), "d\u017E");
  EXPECT_EQ(Norm("Ǆ", Options(false, true, true)), "\u01C6");  // casefold alone: ǆ
}

TEST(NormalizerTest, LatinDecomposedAccentsCompose) {
  EXPECT_EQ(Norm("Cafe\u0301"), "café");
  EXPECT_EQ(Norm("CAFE\u0301 ok"), "café ok");
}

TEST(NormalizerTest, CompatibilityCharactersFold) {
  EXPECT_EQ(Norm("ﬁle"), "file");        // U+FB01 ligature
  EXPECT_EQ(Norm("①"), "1");
  EXPECT_EQ(Norm("ｶﾀｶﾅ"), "カタカナ");  // half-width katakana
}

TEST(NormalizerTest, IdeographicSpaceAndNbspCollapse) {
  EXPECT_EQ(Norm("속보\u3000\u3000尹"), "속보 尹");
  EXPECT_EQ(Norm("a\u00A0\u00A0b"), "a b");
  EXPECT_EQ(Norm("\u3000 홍장원 \u00A0"), "홍장원");
}

TEST(NormalizerTest, EveryUnicodeWhiteSpaceCollapses) {
  const char* const spaces[] = {"\t",     "\n",     "\v",     "\f",     "\r",     " ",
                                "\u0085", "\u00A0", "\u1680", "\u2000", "\u2001", "\u2002",
                                "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
                                "\u2009", "\u200A", "\u2028", "\u2029", "\u202F", "\u205F",
                                "\u3000"};
  for (const char* space : spaces) {
    SCOPED_TRACE(testing::Message() << "space " << testing::PrintToString(std::string(space)));
    EXPECT_EQ(Norm(std::string("계엄") + space + space + "무관" + space), "계엄 무관");
    // Same with ASCII-only neighbours, which take a different path for ASCII spaces.
    EXPECT_EQ(Norm(std::string(space) + "A" + space + "b"), "a b");
  }
  // White space collapses even with NFKC and case folding off.
  EXPECT_EQ(Norm("A\u3000\u1680B", Options(false, false, true)), "A B");
}

TEST(NormalizerTest, NonWhiteSpaceSeparatorsAreKept) {
  // U+200B ZERO WIDTH SPACE and U+001F are not White_Space.
  EXPECT_EQ(Norm("a\u200Bb"), "a\u200Bb");
  EXPECT_EQ(Norm("a\x1F" "b"), "a\x1F" "b");
}

TEST(NormalizerTest, AsciiFastPathLowercasesAndCollapses) {
  EXPECT_EQ(Norm("  The QUICK\tbrown\r\n\r\nFox.  "), "the quick brown fox.");
  EXPECT_EQ(Norm(""), "");
  EXPECT_EQ(Norm(" \t\n "), "");
}

TEST(NormalizerTest, OptionsSwitchStepsOff) {
  // Case folding without NFKC keeps full-width letters full width.
  EXPECT_EQ(Norm("ＡＢ  Cd", Options(false, true, true)), "ａｂ cd");
  EXPECT_EQ(Norm("ＡＢ  Cd", Options(true, false, true)), "AB Cd");
  EXPECT_EQ(Norm("A  B", Options(true, true, false)), "a  b");
  // Without collapsing, NFKC still maps U+3000 to an ASCII space, like any compatibility form.
  EXPECT_EQ(Norm("Straße\u3000Ｘ", Options(true, true, false)), "strasse x");
  EXPECT_EQ(Norm("Straße\u3000Ｘ", Options(false, false, false)), "Straße\u3000Ｘ");
}

TEST(NormalizerTest, DisabledOnlyRepairs) {
  NormalizeOptions off;
  off.enabled = false;
  std::string out;
  EXPECT_EQ(Normalizer(off).Normalize("  ＡＢＣ\u3000Straße \xFF ", &out), 1u);
  EXPECT_EQ(out, "  ＡＢＣ\u3000Straße \uFFFD ");
  EXPECT_EQ(Normalizer(off).Normalize(kHeadline, &out), 0u);
  EXPECT_EQ(out, kHeadline);
}

TEST(NormalizerTest, InvalidInputIsRepairedThenNormalizedAndCounted) {
  std::string out;
  const Normalizer normalizer(Core());
  EXPECT_EQ(normalizer.Normalize("ABC\xC0\xAF  DEF", &out), 2u);
  EXPECT_EQ(out, "abc\uFFFD\uFFFD def");
  EXPECT_EQ(normalizer.Normalize("계엄\xED\xA0\x80 무관\xE2\x82", &out), 4u);
  EXPECT_EQ(out, "계엄\uFFFD\uFFFD\uFFFD 무관\uFFFD");
  EXPECT_EQ(normalizer.Normalize("Straße", &out), 0u);
}

TEST(NormalizerTest, OutputBufferIsReplacedNotAppended) {
  std::string out = "previous content";
  Normalizer().Normalize("한국어", &out);
  EXPECT_EQ(out, "한국어");
  Normalizer().Normalize("ABC", &out);
  EXPECT_EQ(out, "abc");
}

TEST(NormalizerTest, InputMayAliasOutput) {
  std::string text = "  ＡＢＣ１２３  한국어 ";
  Normalizer().Normalize(text, &text);
  EXPECT_EQ(text, "abc123 한국어");
}

TEST(NormalizerTest, LongTextAcrossChunksMatchesPieceByPiece) {
  // Long inputs are normalized in chunks; whitespace runs and combining sequences that straddle
  // a chunk boundary must come out as if processed whole.
  std::string text, expected;
  for (int i = 0; i < 5000; ++i) {
    text += "[속보] 尹\u3000\u3000\"홍장원에 '방첩사 도우라' 통화, ＣＡＦＥ\u0301\u00A0 ";
    expected += "[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, café ";
  }
  expected.pop_back();
  EXPECT_EQ(Norm(text), expected);
  // A long run with no ASCII at all (no chunk boundary available).
  std::string hangul;
  for (int i = 0; i < 20000; ++i) hangul += "계엄과\u3000";
  const std::string out = Norm(hangul);
  EXPECT_EQ(CodePoints(out), 20000u * 4 - 1);
}

TEST(NormalizerTest, ConcurrentUseGivesSameResults) {
  const Normalizer normalizer;  // with the news steps
  const std::string expected = Norm(kHeadline, NormalizeOptions{});
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string out;
      for (int i = 0; i < 2000; ++i) {
        normalizer.Normalize(i % 2 ? std::string_view(kHeadline) : "ＡＢＣ１２３", &out);
        if (out != (i % 2 ? expected : std::string("abc123"))) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

// --- Oracle: the straightforward implementation the fast paths must agree with ---------------

bool IsWhiteSpaceOracle(utf8proc_int32_t c) {
  static const std::vector<utf8proc_int32_t> kSpaces = {
      0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,   0xA0,   0x1680,
      0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
      0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  return std::find(kSpaces.begin(), kSpaces.end(), c) != kSpaces.end();
}

// RepairUtf8, then markup removal (the slow reference), then utf8proc_map over the whole text,
// then white space collapse by code point.
std::string Oracle(std::string_view text) {
  std::string repaired;
  RepairUtf8(text, &repaired);
  repaired = testing_util::ReferenceStripMarkup(repaired);
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(repaired.data()),
      static_cast<utf8proc_ssize_t>(repaired.size()), &mapped,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD));
  EXPECT_GE(n, 0) << utf8proc_errmsg(n);
  std::string result;
  bool pending = false;
  for (utf8proc_ssize_t i = 0; i < n;) {
    utf8proc_int32_t c;
    const utf8proc_ssize_t len = utf8proc_iterate(mapped + i, n - i, &c);
    if (IsWhiteSpaceOracle(c)) {
      pending = !result.empty();
    } else {
      if (pending) result += ' ';
      pending = false;
      result.append(reinterpret_cast<const char*>(mapped + i), static_cast<size_t>(len));
    }
    i += len;
  }
  std::free(mapped);
  return result;
}

std::string Utf8(char32_t c) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

TEST(NormalizerOracleTest, EveryCodePointInContextMatchesUtf8proc) {
  // Each code point between neighbours it could interact with: a Hangul syllable and ASCII
  // before it, a final jamo, a combining acute and a kana voiced mark after it.
  const Normalizer normalizer(Core());
  std::string out;
  int mismatches = 0;
  for (char32_t c = 0x80; c <= 0xE01EF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if (c == 0x323B0) c = 0xE0000;  // skip the unassigned planes 3-13
    const std::string cp = Utf8(c);
    const std::string text = "가" + cp + "A" + cp + "\u11A8" + cp + "\u0301 " + cp + "\u3099" + cp;
    normalizer.Normalize(text, &out);
    if (out != Oracle(text) && ++mismatches <= 10) {
      ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(c) << ": " << out << " vs "
                    << Oracle(text);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(NormalizerOracleTest, RandomMixturesMatchUtf8proc) {
  // Code points chosen to stress the boundaries between the fast paths and utf8proc.
  const std::vector<char32_t> pool = {
      'a', 'Z', ' ', '\t', '\n', '.', '"', 0xA0, 0x3000, 0x2009, 0x85,  // ASCII, white space
      0xAC00, 0xAC01, 0xD55C, 0xD7A3,                                  // Hangul LV, LVT
      0x1100, 0x1112, 0x1161, 0x1175, 0x11A8, 0x11AB, 0x11C2,          // conjoining jamo
      0x3131, 0x3133, 0x314F, 0x3164,                                  // compatibility jamo
      0x0300, 0x0301, 0x0323, 0x0345, 0x3099, 0x309A, 0x309B,          // combining marks
      0x304B, 0x30AB, 0xFF76, 0xFF9E, 0x5C39, 0xF900,                  // kana, CJK
      0xFF21, 0xFF41, 0xFF11, 0x2460, 0xFB01, 0x01C4, 0x00DF, 0x1E9E,  // compat, case
      0x03A3, 0x0390, 0x2026, 0x00B4, 0x00B7, 0x2018, 0x201D, 0xFFFD,  // punctuation, misc
      0x1F600, 0x20000};
  // Markup (step 2) between them: tags, references that decode to code points of the pool or
  // to ones utf8proc changes (&#xFF21; is a full-width A, &nbsp; white space), and text that is
  // no markup.
  const std::vector<std::string> markup = {
      "<b>", "</b>", "<br/>", "<p class=\"x\">", "<!-- c -->", "&amp;", "&quot;", "&lt;b&gt;",
      "&nbsp;", "&#xAC00;", "&#x1161;", "&#769;", "&#xFF21;", "&#150;", "&#0;", "&shy;", "<",
      "&", "AT&T", "<한겨레>"};
  std::mt19937 rng(20240604);
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  const Normalizer normalizer(Core());
  std::string out;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = length(rng); n > 0; --n) {
      text += rng() % 5 ? Utf8(pool[pick(rng)]) : markup[rng() % markup.size()];
    }
    if (i % 7 == 0) text += "\xE2\x82";  // truncated sequence: repair then normalize
    normalizer.Normalize(text, &out);
    ASSERT_EQ(out, Oracle(text)) << "input: " << text;
  }
}

TEST(NormalizerOracleTest, RealKoreanCorporaMatchUtf8proc) {
  const Normalizer normalizer(Core());
  std::string out;
  int documents = 0;
  for (const char* name : {"kocohub-ko-entertainment-titles", "klue-sts-dev",
                           "libreoffice-help-ko"}) {
    std::ifstream in(std::string(NEARDUP_SOURCE_DIR) + "/../shared/data/" + name + "/docs.jsonl");
    std::string line;
    // Raw JSONL lines: the Korean text with its JSON punctuation around it.
    while (std::getline(in, line)) {
      normalizer.Normalize(line, &out);
      ASSERT_EQ(out, Oracle(line)) << name << ": " << line.substr(0, 200);
      ++documents;
    }
  }
  if (documents == 0) FAIL() << "../shared/data not found";
}


// --- Fast paths against straightforward references ------------------------------------------
// Pure ASCII text is mapped 16 bytes at a time where no white space follows white space; the
// UTF-8 check takes three-byte sequences and ASCII bytes without CheckSequence; punctuation
// unification skips 16 bytes at a time to the next byte that can start punctuation. Inputs are
// long enough for several blocks, with the interesting bytes at every offset.

// Byte by byte: case folding, " and ` to ' (with `unify`), runs of white space to one ' '
// (trimmed), then with `unify` runs of two or more '.' to one U+2026.
std::string ReferenceAscii(std::string_view text, bool casefold, bool collapse, bool unify) {
  std::string mapped;
  bool pending = false;
  for (unsigned char c : text) {
    const bool white = c == ' ' || (c >= 0x09 && c <= 0x0D);
    if (collapse && white) {
      pending = !mapped.empty();
      continue;
    }
    if (pending) mapped += ' ';
    pending = false;
    if (casefold && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    if (unify && (c == '"' || c == '`')) c = '\'';
    mapped += static_cast<char>(c);
  }
  if (!unify) return mapped;
  std::string out;
  for (size_t i = 0; i < mapped.size();) {
    size_t j = i;
    while (j < mapped.size() && mapped[j] == '.') ++j;
    if (j - i >= 2) {
      out += "\u2026";
      i = j;
    } else {
      out += mapped[i++];
    }
  }
  return out;
}

std::string TrimAsciiSpace(std::string s) {
  const auto white = [](char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); };
  while (!s.empty() && white(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && white(s[i])) ++i;
  return s.substr(i);
}

TEST(NormalizeFastPathTest, AsciiMatchesAByteByByteReference) {
  const std::vector<std::string> pieces = {"x", "Q", "Yz", "0", " ", "  ", "\t", "\n", "\r",
                                           "\r\n", "\x0B", "\x0C", "\"", "`", "'", ".", "..",
                                           "...", ",", "-", "<b>", "</P>", "<br />", "&amp;",
                                           "&quot;", "&#46;", "&", "<", ">"};
  std::mt19937 rng(11);
  std::string out;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    for (int n = static_cast<int>(rng() % 80); n > 0; --n) text += pieces[rng() % pieces.size()];
    // Long stretches without double white space, so that whole blocks take the fast path.
    if (i % 2) text = "Some Words " + text + " and \"More\" Words, Then An End.";
    for (unsigned bits = 0; bits < 8; ++bits) {
      NormalizeOptions options;
      options.casefold = bits & 1;
      options.collapse_whitespace = bits & 2;
      options.unify_punctuation = bits & 4;
      options.aliases = false;
      options.strip_boilerplate = false;  // its line handling is tested below
      const std::string expected =
          ReferenceAscii(testing_util::ReferenceStripMarkup(text), options.casefold,
                         options.collapse_whitespace, options.unify_punctuation);
      for (TextField field : {TextField::kTitle, TextField::kBody}) {
        Normalizer(options).Normalize(text, field, &out);
        // Titles are trimmed by headline tag stripping (there are no tags here).
        ASSERT_EQ(out, field == TextField::kTitle ? TrimAsciiSpace(expected) : expected)
            << "options " << bits << ", input: " << text;
      }
    }
  }
}

TEST(NormalizeFastPathTest, AsciiLineBreaksReachBoilerplateAtEveryOffset) {
  // A credit word alone on its line is boilerplate; the same word after a space in a line is
  // not. The line break must survive white space collapse wherever the run sits in a block.
  std::string out;
  for (size_t k = 0; k < 40; ++k) {
    const std::string before(k + 1, 'w');
    for (const char* run : {"\n", " \n", "\n\t ", "\r\n", " \r", "\t\x0B\n\x0C", "<br>", " <p> ",
                            "</div>\n"}) {
      Normalizer().Normalize(before + run + "AP" + run + "Tail", &out);
      EXPECT_EQ(out, before + " tail") << k << " " << run;
    }
    for (const char* run : {" ", "  ", "\t", " \t ", "\x0B"}) {
      Normalizer().Normalize(before + run + "AP" + run + "Tail", &out);
      EXPECT_EQ(out, before + " ap tail") << k << " " << run;
    }
  }
}

TEST(NormalizeFastPathTest, Utf8CheckAgreesWithRepair) {
  // Three-byte leads with good and bad continuations, truncated sequences, surrogates and
  // overlongs, at every position and at the end of the text.
  const std::vector<std::string> pieces = {
      "a", " ", "가", "한", "\xEA\xB0", "\xEA", "\xEA\x41\x80", "\xEA\x80\xC0", "\xED\x9F\xBF",
      "\xED\xA0\x80", "\xE0\xA0\x80", "\xE0\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
      "\xEF\xBF", "\xC2\xA0", "\xC2", "\xC0\x80", "\xF0\x9F\x98\x80", "\xF0\x9F",
      "\xF4\x90\x80\x80",
      "\x80", "\xBF", "\xFF", "\xE1\x80\x80", "\xEC\xBF\xBF", "<b>", "<", "&amp;", "&#0;"};
  std::mt19937 rng(13);
  NormalizeOptions off;
  off.enabled = false;
  const Normalizer repair_only(off), normalizer;
  std::string out, repaired;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = static_cast<int>(rng() % 40); n > 0; --n) text += pieces[rng() % pieces.size()];
    const size_t expected = RepairUtf8(text, &repaired);
    ASSERT_EQ(repair_only.Normalize(text, &out), expected) << text;
    ASSERT_EQ(out, repaired) << text;
    ASSERT_EQ(normalizer.Normalize(text, &out), expected) << text;
  }
}

// Punctuation unification over a small alphabet whose mapping is spelled out here.
std::string ReferencePunctuation(const std::vector<std::string>& cps) {
  static const std::map<std::string, std::string> kSingle = {
      {"\"", "'"}, {"`", "'"}, {"\u201C", "'"}, {"\u300D", "'"}, {"\u00AB", "'"},
      {"\u3010", "["}, {"\u3011", "]"}, {"\u3014", "["}, {"\u3015", "]"}};
  const auto dot = [](const std::string& c) {
    return c == "." || c == "\u00B7" || c == "\u318D" || c == "\u2026" || c == "\u2025";
  };
  std::string out;
  for (size_t i = 0; i < cps.size();) {
    if (dot(cps[i])) {
      size_t j = i;
      bool ellipsis = false;
      for (; j < cps.size() && dot(cps[j]); ++j) {
        ellipsis |= cps[j] == "\u2026" || cps[j] == "\u2025";
      }
      if (ellipsis || j - i >= 2) {
        out += "\u2026";
      } else {
        out += cps[i] == "." ? "." : "\u00B7";
      }
      i = j;
      continue;
    }
    const auto it = kSingle.find(cps[i]);
    out += it == kSingle.end() ? cps[i] : it->second;
    ++i;
  }
  return out;
}

TEST(NormalizeFastPathTest, PunctuationMatchesAReferenceAtEveryOffset) {
  const std::vector<std::string> alphabet = {
      "가", "나", "a", "b", " ", ",", "'", "\"", "`", "\u201C", "\u300D", "\u00AB", "\u3010",
      "\u3011", "\u3014", "\u3015", ".", "\u00B7", "\u318D", "\u2026", "\u2025", "\u00E9"};
  std::mt19937 rng(17);
  NormalizeOptions options;
  options.aliases = false;
  options.strip_boilerplate = false;
  options.strip_headline_tags = false;
  const Normalizer normalizer(options);
  std::string out;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> cps;
    // Mostly Hangul with rare punctuation, so the 16-byte skip has long stretches to cross.
    for (int n = static_cast<int>(rng() % 50); n > 0; --n) {
      cps.push_back(rng() % 3 ? alphabet[rng() % 2] : alphabet[rng() % alphabet.size()]);
    }
    std::string text;
    for (const std::string& c : cps) text += c;
    const std::string expected = ReferencePunctuation(cps);
    if (expected.find("  ") != std::string::npos ||
        (!expected.empty() && (expected.front() == ' ' || expected.back() == ' '))) {
      continue;  // white space collapse would change it too; not what is tested here
    }
    normalizer.Normalize(text, &out);
    ASSERT_EQ(out, expected) << text;
  }
}

}  // namespace
}  // namespace neardup
