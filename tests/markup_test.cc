// Tests of markup removal (markup.h) and of its place in normalization (normalize.h, step 2).
#include "neardup/text/markup.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "markup_reference.h"
#include "neardup/text/normalize.h"

namespace neardup {
namespace {

using testing_util::ReferenceStripMarkup;

// StripMarkup's result as a string: the text itself when it reports no change.
std::string Strip(std::string_view text) {
  std::string out = "stale";
  if (!StripMarkup(text, &out)) {
    EXPECT_TRUE(out.empty()) << "no change must leave *out empty: " << text;
    return std::string(text);
  }
  return out;
}

// The whole default normalization of a body and of a title.
std::string Body(std::string_view text, NormalizeOptions options = {}) {
  std::string out;
  Normalizer(options).Normalize(text, TextField::kBody, &out);
  return out;
}
std::string Title(std::string_view text, NormalizeOptions options = {}) {
  std::string out;
  Normalizer(options).Normalize(text, TextField::kTitle, &out);
  return out;
}

NormalizeOptions Steps(std::string_view steps) {
  absl::StatusOr<NormalizeOptions> o = ParseNormalizeSteps(steps);
  EXPECT_TRUE(o.ok()) << o.status();
  return o.ok() ? *o : NormalizeOptions{};
}

// --- Character references -----------------------------------------------------------------------

TEST(MarkupTest, NamedReferencesDecode) {
  EXPECT_EQ(Strip("&quot;검찰 개혁&quot;"), "\"검찰 개혁\"");
  EXPECT_EQ(Strip("KT&amp;G &lt;1987&gt; it&apos;s"), "KT&G <1987> it's");
  EXPECT_EQ(Strip("a&nbsp;b&middot;c&hellip;"), "a\u00A0b\u00B7c\u2026");
  EXPECT_EQ(Strip("&lsquo;&rsquo;&ldquo;&rdquo;&sbquo;&bdquo;"), "‘’“”‚„");
  EXPECT_EQ(Strip("&ndash;&mdash;&laquo;&raquo;&lsaquo;&rsaquo;&bull;"), "–—«»‹›•");
  EXPECT_EQ(Strip("&trade;&copy;&reg;&times;&divide;&deg;&plusmn;&para;&sect;"), "™©®×÷°±¶§");
  EXPECT_EQ(Strip("&prime;&Prime;"), "\u2032\u2033");  // case matters
  EXPECT_EQ(Strip("&thinsp;&ensp;&emsp;&zwj;&zwnj;&shy;"),
            "\u2009\u2002\u2003\u200D\u200C\u00AD");
  EXPECT_EQ(Strip("caf&eacute; 5&euro; &alpha;&Omega; &thetasym;"), "café 5€ αΩ ϑ");
  EXPECT_EQ(Strip("&AMP;&QUOT;&LT;&GT;&COPY;&REG;&TRADE;"), "&\"<>©®™");
}

TEST(MarkupTest, EveryBriefedNameIsKnown) {
  const std::vector<std::pair<const char*, char32_t>> names = {
      {"quot", 0x22},     {"amp", 0x26},     {"lt", 0x3C},      {"gt", 0x3E},
      {"apos", 0x27},     {"nbsp", 0xA0},    {"middot", 0xB7},  {"hellip", 0x2026},
      {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"sbquo", 0x201A},  {"bdquo", 0x201E}, {"ndash", 0x2013}, {"mdash", 0x2014},
      {"laquo", 0xAB},    {"raquo", 0xBB},   {"lsaquo", 0x2039}, {"rsaquo", 0x203A},
      {"bull", 0x2022},   {"trade", 0x2122}, {"copy", 0xA9},    {"reg", 0xAE},
      {"times", 0xD7},    {"divide", 0xF7},  {"deg", 0xB0},     {"plusmn", 0xB1},
      {"para", 0xB6},     {"sect", 0xA7},    {"prime", 0x2032}, {"Prime", 0x2033},
      {"thinsp", 0x2009}, {"ensp", 0x2002},  {"emsp", 0x2003},  {"zwj", 0x200D},
      {"zwnj", 0x200C},   {"shy", 0xAD}};
  for (const auto& [name, code_point] : names) {
    EXPECT_EQ(NamedCharacterReference(name), code_point) << name;
  }
  for (const char* unknown : {"", "D", "T", "P", "W", "Quot", "QUOTE", "nbs", "nbspx", "lt1",
                              "thetasyms", "amp;"}) {
    EXPECT_EQ(NamedCharacterReference(unknown), 0u) << unknown;
  }
}

TEST(MarkupTest, NumericReferencesDecodeAsHtml5Does) {
  EXPECT_EQ(Strip("&#65;&#0066;&#x43;&#X44;&#x0000045;"), "ABCDE");
  EXPECT_EQ(Strip("&#8220;조국&#8221; &#x1F600;"), "“조국” 😀");
  EXPECT_EQ(Strip("&#10;"), "\n");
  // Zero, surrogates and values above U+10FFFF (however many digits) are U+FFFD.
  EXPECT_EQ(Strip("&#0;|&#x0;|&#xD800;|&#57343;|&#x110000;|&#1114112;|&#99999999999999999999;"),
            "\uFFFD|\uFFFD|\uFFFD|\uFFFD|\uFFFD|\uFFFD|\uFFFD");
  EXPECT_EQ(Strip("&#x10FFFF;"), "\U0010FFFF");
  // 0x80..0x9F read as Windows-1252, but for the five C1 controls it leaves undefined.
  EXPECT_EQ(Strip("&#150;&#151;&#146;&#147;&#148;&#149;&#128;&#x99;"), "–—’“”•€™");
  EXPECT_EQ(Strip("&#129;&#x8D;&#157;"), "\u0081\u008D\u009D");
}

TEST(MarkupTest, ReferencesNeedTheirSemicolonAndAKnownName) {
  for (const char* text : {"AT&T", "a & b", "R&D; 투자", "S&P; 500", "&nbsp", "&quot &amp",
                           "&#;", "&#x;", "&#65", "&#x41 ", "&#xG;", "&#-1;", "&foo;",
                           "&Quot;", "& quot;", "&", "&#", "&#x", "&thetasyms;",
                           "&#１２;"}) {
    EXPECT_EQ(Strip(text), text) << text;
  }
  EXPECT_EQ(Strip("&&amp;;"), "&&;");
  EXPECT_EQ(Strip("&amp&amp;"), "&amp&");
}

TEST(MarkupTest, ReferencesDecodeOnce) {
  EXPECT_EQ(Strip("&amp;quot;"), "&quot;");
  EXPECT_EQ(Strip("&amp;amp;lt;"), "&amp;lt;");
  EXPECT_EQ(Strip("&amp;#65;"), "&#65;");
  // A decoded '<' never starts a tag.
  EXPECT_EQ(Strip("&lt;b&gt;조국&lt;/b&gt;"), "<b>조국</b>");
  EXPECT_EQ(Strip("&lt;!-- x --&gt;"), "<!-- x -->");
}

// --- Tags and comments ---------------------------------------------------------------------------

TEST(MarkupTest, InlineTagsVanish) {
  EXPECT_EQ(Strip("<b>조국</b> 법무부 장관"), "조국 법무부 장관");
  EXPECT_EQ(Strip("<B>A</B><I>b</I><em>c</em><STRONG>d</STRONG><u>e</u><s>f</s>"), "Abcdef");
  EXPECT_EQ(Strip("<span class=\"x\">g</span><font color=red>h</font><a href='/y'>i</a>"),
            "ghi");
  EXPECT_EQ(Strip("10<sup>3</sup> H<sub>2</sub>O <mark>m</mark><small>s</small><big>b</big>"),
            "103 H2O msb");
  EXPECT_EQ(Strip("<abbr>a</abbr><cite>c</cite><code>k</code><q>q</q>"), "ackq");
  EXPECT_EQ(Strip("long<wbr>word <time datetime=2019-01-02>1월 2일</time>"), "longword 1월 2일");
}

TEST(MarkupTest, OtherTagsBecomeLineBreaks) {
  EXPECT_EQ(Strip("첫째<br>둘째<br/>셋째<br />넷째<BR>"), "첫째\n둘째\n셋째\n넷째\n");
  EXPECT_EQ(Strip("<p>문단</p><div id=\"a\">블록</div>"), "\n문단\n\n블록\n");
  EXPECT_EQ(Strip("<ul><li>하나</li></ul><table><tr><td>칸</td></tr></table>"),
            "\n\n하나\n\n\n\n\n칸\n\n\n");
  EXPECT_EQ(Strip("<h1>제목</h1><h6>x</h6><hr><img src=\"a.jpg\" alt=\"사진\"/>끝"),
            "\n제목\n\nx\n\n\n끝");
  EXPECT_EQ(Strip("Word<o:p></o:p> <my-element>x</my-element>"), "Word\n\n \nx\n");
}

TEST(MarkupTest, AttributesMayHoldQuotedGreaterThanAndAnyText) {
  EXPECT_EQ(Strip("<a href=\"x?a>b\" title='1 > 0'>링크</a>"), "링크");
  EXPECT_EQ(Strip("<img alt=\"<조국>\" src=x.png>본문"), "\n본문");
  EXPECT_EQ(Strip("<font face=\"굴림\" size = 3 >글</font>"), "글");
  EXPECT_EQ(Strip("<a\nhref=\"x\"\n>줄</a>"), "줄");
  EXPECT_EQ(Strip("<input disabled checked>x"), "\nx");
  EXPECT_EQ(Strip("<a title=\"x\"href=\"y\">z</a>"), "z");  // no space after a quoted value
  EXPECT_EQ(Strip("<a href=http://x.org/a?b=1>u</a>"), "u");
  EXPECT_EQ(Strip("<a title=조국>u</a>"), "u");
}

TEST(MarkupTest, CommentsVanish) {
  EXPECT_EQ(Strip("앞<!-- 광고 <b>x</b> -->뒤"), "앞뒤");
  EXPECT_EQ(Strip("a<!---->b<!-->c<!--->d"), "abcd");
  EXPECT_EQ(Strip("a<!-- x -- y -->b"), "ab");
  EXPECT_EQ(Strip("a<!-- never closed <b>x</b>"), "a<!-- never closed x");
  EXPECT_EQ(Strip("a<!- x ->b <!DOCTYPE html> <![CDATA[x]]>"),
            "a<!- x ->b <!DOCTYPE html> <![CDATA[x]]>");
}

TEST(MarkupTest, TextThatOnlyLooksLikeMarkupStays) {
  for (const char* text :
       {"a < b", "x<3", "a<b", "a <b", "<<속보>>", "<한겨레>", "<연합뉴스> 기자", "3 <> 4",
        "<foo@bar.com>", "<http://example.org/a>", "< b>", "</ b>", "<1987>", "<b", "</b",
        "<b x=\"unclosed>", "<b x='a\">", "<b x=>", "<b =x>", "<b\"x\">", "<b x=\"1\"=>",
        "<b/x>", "<b / x>", "<b 조국>", "<B조국>", "<", ">", "<>", "</>", "<!>", "<!-",
        "x <a", "a <- b -> c"}) {
    EXPECT_EQ(Strip(text), text) << text;
  }
  // Only the tag part goes: "<<b>>" holds the tag "<b>".
  EXPECT_EQ(Strip("<<b>>"), "<>");
  EXPECT_EQ(Strip("a <b and c> d"), "a  d");  // what a browser does too
  EXPECT_EQ(Strip("if (a<b && c>d)"), "if (ad)");
}

TEST(MarkupTest, OverlongTagsAreText) {
  // "<a title=\"" is 10 bytes, "\">" 2: a value of kMaxTagBytes - 12 bytes makes the longest tag.
  const std::string fits = "<a title=\"" + std::string(kMaxTagBytes - 12, 'v') + "\">";
  ASSERT_EQ(fits.size(), kMaxTagBytes);
  EXPECT_EQ(Strip(fits + "x</a>"), "x");
  const std::string too_long = "<a title=\"" + std::string(kMaxTagBytes - 11, 'v') + "\">";
  EXPECT_EQ(Strip(too_long + "x</a>"), too_long + "x");
}

TEST(MarkupTest, TagsGoBeforeReferencesAreRead) {
  // A reference inside a tag goes with the tag; a reference split by a tag is not joined.
  EXPECT_EQ(Strip("<a title=\"&quot;\">x</a>&amp;"), "x&");
  EXPECT_EQ(Strip("&am<b>p;"), "&amp;");
}

TEST(MarkupTest, NoMarkupMeansNoChangeAndNoOutput) {
  std::string out = "previous";
  EXPECT_FALSE(StripMarkup("조국 법무부 장관 \"검찰 개혁\"", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(StripMarkup("AT&T a < b <한겨레>", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(StripMarkup("", &out));
  EXPECT_TRUE(StripMarkup("<b></b>", &out));
  EXPECT_EQ(out, "");
}

TEST(MarkupTest, FindMarkupFindsTheFirstLessThanOrAmpersandAtEveryOffset) {
  for (size_t k = 0; k < 40; ++k) {
    std::string text(k, 'x');
    EXPECT_EQ(FindMarkup(text), k);
    EXPECT_EQ(FindMarkup(text + "<" + std::string(20, 'y') + "&"), k);
    EXPECT_EQ(FindMarkup(text + "&" + std::string(20, 'y')), k);
    EXPECT_EQ(FindMarkup("가" + text + "&"), k + 3);
  }
}

TEST(MarkupTest, ShortNamedReferencesDecodeToNoMoreBytes) {
  // StripMarkup writes into a buffer the size of its input (see markup.cc, which checks the
  // whole table at compile time); the shortest names come closest.
  for (const char* name : {"lt", "gt", "ne", "ni", "or", "mu", "xi", "Xi", "pi", "le", "ge",
                           "and", "cap", "cup", "int", "sub", "sup", "shy", "loz", "sum"}) {
    const std::string ref = std::string("&") + name + ";";
    const std::string decoded = Strip(ref);
    EXPECT_NE(decoded, ref) << name;
    EXPECT_LE(decoded.size(), ref.size()) << name;
  }
}

// --- Against the slow reference (markup_reference.h) ---------------------------------------------

TEST(MarkupOracleTest, RandomMarkupMatchesTheReference) {
  const std::vector<std::string> pieces = {
      "<", ">", "/", "=", "\"", "'", "&", ";", "#", "x", "X", " ", "\n", "!", "-", "--", "`",
      "a", "b", "B", "p", "br", "span", "o:p", "h1", "1", "65", "0", "150", "129", "x41",
      "D800", "110000", "조국", "한", "é", "\xF0\x9F\x98\x80", "<b>", "</b>", "<br/>", "<p>",
      "<!--", "-->", "<a href=\"", "\">", "title='", "&amp;", "&quot;", "&lt;", "&nbsp;",
      "&#", "&#x", "quot", "amp", "lt", "nbsp", "Prime", "prime", "shy", "eacute", "euro",
      "hellip", "D", "foo", "Quot", "thetasym", "thetasyms", "ne", "nbsp1", "AMP", "QUOT"};
  std::mt19937 rng(29);
  int changed = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string text;
    for (int n = static_cast<int>(rng() % 14); n > 0; --n) text += pieces[rng() % pieces.size()];
    const std::string expected = ReferenceStripMarkup(text);
    ASSERT_EQ(Strip(text), expected) << "input: " << text;
    changed += expected != text;
  }
  EXPECT_GT(changed, 5000);  // the pieces do make markup
}

// --- In normalization ----------------------------------------------------------------------------

TEST(MarkupNormalizeTest, NaverMarkupNormalizesLikeThePlainText) {
  const std::string marked = "<b>조국</b> 법무부 장관 &quot;검찰 개혁&quot;";
  const std::string plain = "조국 법무부 장관 \"검찰 개혁\"";
  EXPECT_EQ(Body(marked), Body(plain));
  EXPECT_EQ(Title(marked), Title(plain));
  EXPECT_EQ(Body(marked), "조국 법무부 장관 '검찰 개혁'");
  // Without the markup step they differ; with normalization off the bytes are kept.
  EXPECT_NE(Body(marked, Steps("default,-markup")), Body(plain, Steps("default,-markup")));
  EXPECT_EQ(Body(marked, Steps("default,-markup")),
            "<b>조국</b> 법무부 장관 &quot;검찰 개혁&quot;");
  EXPECT_EQ(Body(marked, Steps("none")), marked);
  EXPECT_EQ(Title(marked, Steps("none")), marked);
}

TEST(MarkupNormalizeTest, MarkupIsOnByDefaultAndRunsBeforeTheOtherSteps) {
  EXPECT_TRUE(NormalizeOptions{}.strip_markup);
  // Decoded text goes through NFKC, case folding and punctuation: &#xFF21; is a full-width A,
  // &ldquo; a quote, &nbsp; white space.
  EXPECT_EQ(Body("&#xFF21;&Omega;&nbsp;&nbsp;&ldquo;x&rdquo;&hellip;"), "aω 'x'…");
  // A block tag is a line break for boilerplate removal: the credit word alone on its line goes.
  EXPECT_EQ(Body("답하고 있다.<br>연합뉴스<br>다음 문단"), Body("답하고 있다.\n연합뉴스\n다음 문단"));
  EXPECT_EQ(Body("답하고 있다.<br>연합뉴스<br>다음 문단"), "답하고 있다. 다음 문단");
  // In a title a block tag is a space, and headline tags are still found at the ends.
  EXPECT_EQ(Title("<b>[속보]</b> 尹<br>대통령"), "윤 대통령");
  EXPECT_EQ(Title("&lt;b&gt; stays text"), "<b> stays text");
}

TEST(MarkupNormalizeTest, AsciiAndUnicodePathsAgree) {
  for (const char* text : {"<p>Say &quot;hi&quot;</p> AT&T &amp; <i>co</i>.. x<3",
                           "<br>The END<br/>\n x@y.com. AP &copy;"}) {
    for (TextField field : {TextField::kTitle, TextField::kBody}) {
      std::string ascii, hangul;
      Normalizer().Normalize(text, field, &ascii);
      Normalizer().Normalize(std::string("가 ") + text, field, &hangul);
      EXPECT_EQ("가 " + ascii, hangul) << text;
    }
  }
}

TEST(MarkupNormalizeTest, InvalidUtf8IsRepairedBeforeMarkupGoes) {
  std::string out;
  NormalizeOptions options;
  options.unify_punctuation = options.aliases = options.strip_boilerplate = false;
  const Normalizer normalizer(options);
  // The halves of a broken sequence around a tag stay two U+FFFD; they do not become "€".
  EXPECT_EQ(normalizer.Normalize("\xE2\x82<b>\xAC", &out), 2u);
  EXPECT_EQ(out, "\uFFFD\uFFFD");
  // Invalid bytes inside a removed tag are still counted, as in any text.
  EXPECT_EQ(normalizer.Normalize("<a title=\"\xFF\">x</a>&amp;", &out), 1u);
  EXPECT_EQ(out, "x&");
  EXPECT_EQ(normalizer.Normalize("&quot;\xC0\xAF&quot;", &out), 2u);
  EXPECT_EQ(out, "\"\uFFFD\uFFFD\"");
  EXPECT_EQ(normalizer.Normalize("<b>조국</b>", &out), 0u);
  EXPECT_EQ(out, "조국");
}

TEST(MarkupNormalizeTest, InputMayAliasOutput) {
  std::string text = "<b>조국</b> &quot;X&quot; <br> AT&T";
  const std::string expected = Body(text);
  Normalizer().Normalize(text, &text);
  EXPECT_EQ(text, expected);
  EXPECT_EQ(text, "조국 'x' at&t");
}

// --- Step names ----------------------------------------------------------------------------------

TEST(NormalizeStepsTest, MarkupIsAStepByName) {
  EXPECT_EQ(NormalizeStepsName(NormalizeOptions{}),
            "markup,nfkc,casefold,punct,aliases,tags,boilerplate,whitespace");
  EXPECT_FALSE(Steps("default,-markup").strip_markup);
  EXPECT_TRUE(Steps("default,-markup").nfkc);
  EXPECT_EQ(NormalizeStepsName(Steps("default,-markup")),
            "nfkc,casefold,punct,aliases,tags,boilerplate,whitespace");
  EXPECT_EQ(NormalizeStepsName(Steps("markup,whitespace")), "markup,whitespace");
  EXPECT_EQ(NormalizeStepsName(Steps("nfkc,casefold,whitespace")), "nfkc,casefold,whitespace");
  EXPECT_EQ(NormalizeStepsName(Steps("default,-aliases,-tags")),
            "markup,nfkc,casefold,punct,boilerplate,whitespace");
  EXPECT_EQ(NormalizeStepsName(Steps("none")), "none");
  EXPECT_FALSE(Steps("none").enabled);
  EXPECT_EQ(NormalizeStepsName(Steps("repair-only")), "repair-only");
}

TEST(NormalizeStepsTest, ParseIsTheInverseOfTheName) {
  const std::vector<bool NormalizeOptions::*> members = {
      &NormalizeOptions::strip_markup,        &NormalizeOptions::nfkc,
      &NormalizeOptions::casefold,            &NormalizeOptions::unify_punctuation,
      &NormalizeOptions::aliases,             &NormalizeOptions::strip_headline_tags,
      &NormalizeOptions::strip_boilerplate,   &NormalizeOptions::collapse_whitespace};
  for (unsigned bits = 0; bits < (1u << members.size()); ++bits) {
    NormalizeOptions o;
    for (size_t k = 0; k < members.size(); ++k) o.*members[k] = (bits >> k) & 1;
    const std::string name = NormalizeStepsName(o);
    const absl::StatusOr<NormalizeOptions> parsed = ParseNormalizeSteps(name);
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.status();
    EXPECT_EQ(NormalizeStepsName(*parsed), name);
    for (size_t k = 0; k < members.size(); ++k) {
      EXPECT_EQ((*parsed).*members[k], o.*members[k]) << name << " step " << k;
    }
  }
}

TEST(NormalizeStepsTest, UnknownStepsAreErrorsThatListTheSteps) {
  for (const char* bad : {"html", "default,-html", "markup,", "", "default,markup,x", "-"}) {
    const absl::StatusOr<NormalizeOptions> parsed = ParseNormalizeSteps(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("markup, nfkc"), std::string::npos)
        << parsed.status();
  }
}

}  // namespace
}  // namespace neardup
