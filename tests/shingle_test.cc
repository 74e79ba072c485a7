#include "neardup/text/shingle.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "internal/hash.h"
#include "neardup/text/normalize.h"

namespace neardup {
namespace {

using Hashes = std::vector<uint64_t>;

// Two headlines from the seed corpus that the issue tracker measured at Jaccard 0.70 (char:5).
constexpr char kHeadlineA[] = "[속보] 尹 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"";
constexpr char kHeadlineB[] = "[속보] 尹대통령 \"홍장원에 '방첩사 도우라' 통화, 계엄과 무관\"";

uint64_t H(std::string_view s) { return internal::Hash64(s, kShingleSeed); }

std::vector<uint64_t> Shingles(std::string_view text, std::string_view spec,
                               uint64_t seed = kShingleSeed) {
  absl::StatusOr<ShingleSpec> parsed = ShingleSpec::Parse(spec);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  std::vector<uint64_t> out;
  Shingle(text, *parsed, seed, &out);
  return out;
}

std::string Normalized(std::string_view text) {
  std::string out;
  Normalizer().Normalize(text, &out);
  return out;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// --- ShingleSpec -----------------------------------------------------------------------------

TEST(ShingleSpecTest, ParsesCharAndWord) {
  absl::StatusOr<ShingleSpec> spec = ShingleSpec::Parse("char:5");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->unit, ShingleUnit::kChar);
  EXPECT_EQ(spec->k, 5);
  spec = ShingleSpec::Parse("word:3");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->unit, ShingleUnit::kWord);
  EXPECT_EQ(spec->k, 3);
  EXPECT_TRUE(ShingleSpec::Parse("char:1").ok());
  EXPECT_TRUE(ShingleSpec::Parse("word:64").ok());
}

TEST(ShingleSpecTest, ToStringRoundTrips) {
  for (const char* text : {"char:5", "word:3", "char:1", "word:64"}) {
    absl::StatusOr<ShingleSpec> spec = ShingleSpec::Parse(text);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->ToString(), text);
  }
  EXPECT_EQ(ShingleSpec().ToString(), "char:5");  // the default
}

TEST(ShingleSpecTest, RejectsMalformedSpecsWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : {Case{"char", "missing \":K\""}, Case{"char:0", "out of range"},
                        Case{"word:65", "out of range"}, Case{"chars:5", "unknown unit \"chars\""},
                        Case{"char:x", "not a whole number"}, Case{"char:", "not a whole number"},
                        Case{"char:-1", "not a whole number"}, Case{"char: 5", "not a whole number"},
                        Case{"char:5x", "not a whole number"}, Case{"", "missing"},
                        Case{"CHAR:5", "unknown unit"}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ShingleSpec> spec = ShingleSpec::Parse(c.text);
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(spec.status().message()).find(c.reason), std::string::npos);
    // Every message names the input and the accepted form.
    EXPECT_NE(std::string(spec.status().message()).find("char:K or word:K"), std::string::npos);
  }
}

// --- char shingles ---------------------------------------------------------------------------

TEST(ShingleSpecTest, SpacesSuffixOnlyForChar) {
  absl::StatusOr<ShingleSpec> spec = ShingleSpec::Parse("char:5+spaces");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->keep_spaces);
  EXPECT_EQ(spec->k, 5);
  EXPECT_EQ(spec->ToString(), "char:5+spaces");
  spec = ShingleSpec::Parse("char:5");
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->keep_spaces);
  EXPECT_EQ(spec->ToString(), "char:5");
  EXPECT_FALSE(ShingleSpec::Parse("word:3+spaces").ok());
  EXPECT_FALSE(ShingleSpec::Parse("char:+spaces").ok());
  EXPECT_FALSE(ShingleSpec::Parse("char:5+space").ok());
  EXPECT_EQ((ShingleSpec{ShingleUnit::kWord, 3, true}).ToString(), "word:3");
}

TEST(ShingleTest, CharWindowsSkipSpacesByDefault) {
  // Seed board 47093 vs 47088 ("尹 " vs "尹대통령"), and "싹다" vs "싹 다" (47090 vs 47086).
  EXPECT_EQ(Shingles("尹 대통령", "char:3"), Shingles("尹대통령", "char:3"));
  EXPECT_EQ(Shingles("싹 다 잡아", "char:2"), Shingles("싹다잡아", "char:2"));
  EXPECT_EQ(Shingles("  a \t b\n c  ", "char:2"), (Hashes{H("ab"), H("bc")}));
  EXPECT_NE(Shingles("싹 다 잡아", "char:2+spaces"), Shingles("싹다잡아", "char:2+spaces"));
  // A window without spaces hashes as with keep_spaces.
  EXPECT_EQ(Shingles("싹다잡아", "char:2"), Shingles("싹다잡아", "char:2+spaces"));
  // Fewer non-space code points than K: one shingle of all of them; none: no shingle.
  EXPECT_EQ(Shingles(" 싹 다 ", "char:5"), Hashes{H("싹다")});
  EXPECT_TRUE(Shingles("   ", "char:5").empty());
}

TEST(ShingleTest, SpaceFreeWindowsAgreeWithAStraightforwardOracle) {
  // Oracle: delete the spaces, then take keep_spaces windows.
  const std::string texts[] = {"[속보] 尹 '홍장원에 '방첩사 도우라' 통화, 계엄과 무관'",
                               "a  b   c d e f", "😀 😀a 가", " x", "ab"};
  for (const std::string& text : texts) {
    std::string squeezed;
    for (char c : text) {
      if (c != ' ') squeezed += c;
    }
    for (int k : {1, 2, 3, 5, 8}) {
      const std::string spec = "char:" + std::to_string(k);
      EXPECT_EQ(Shingles(text, spec), Shingles(squeezed, spec + "+spaces")) << text << " " << k;
    }
  }
}

TEST(ShingleTest, CharWindowsHashTheirBytes) {
  EXPECT_EQ(Shingles("abcd", "char:3"), (Hashes{H("abc"), H("bcd")}));
  EXPECT_EQ(Shingles("abcd", "char:1"), (Hashes{H("a"), H("b"), H("c"), H("d")}));
  EXPECT_EQ(Shingles("abcd", "char:4"), (Hashes{H("abcd")}));
}

TEST(ShingleTest, SeedChangesEveryHash) {
  EXPECT_EQ(Shingles("abcd", "char:3", 42),
              (Hashes{internal::Hash64("abc", 42), internal::Hash64("bcd", 42)}));
}

TEST(ShingleTest, KoreanCharWindowsAreByCodePoint) {
  // "계엄과 무관": 6 code points, 16 bytes.
  EXPECT_EQ(Shingles("계엄과 무관", "char:3+spaces"),
              (Hashes{H("계엄과"), H("엄과 "), H("과 무"), H(" 무관")}));
  EXPECT_EQ(Shingles("계엄과 무관", "char:3"), (Hashes{H("계엄과"), H("엄과무"), H("과무관")}));
  const std::string headline = Normalized(kHeadlineA);
  const size_t code_points = CodePoints(headline);
  const size_t spaces = static_cast<size_t>(std::count(headline.begin(), headline.end(), ' '));
  for (int k : {1, 2, 5, 9}) {
    SCOPED_TRACE(k);
    EXPECT_EQ(Shingles(headline, "char:" + std::to_string(k) + "+spaces").size(),
              code_points - k + 1);
    EXPECT_EQ(Shingles(headline, "char:" + std::to_string(k)).size(), code_points - spaces - k + 1);
  }
}

TEST(ShingleTest, FourByteCodePointsAreOneCharacter) {
  // U+1F600 and U+20000 (a CJK Extension B ideograph) are four bytes each.
  EXPECT_EQ(Shingles("a\U0001F600\U00020000b", "char:2"),
              (Hashes{H("a\U0001F600"), H("\U0001F600\U00020000"), H("\U00020000b")}));
}

TEST(ShingleTest, TextShorterThanKIsOneShingle) {
  EXPECT_EQ(Shingles("abc", "char:5"), (Hashes{H("abc")}));
  EXPECT_EQ(Shingles("속보", "char:5"), (Hashes{H("속보")}));
}

TEST(ShingleTest, EmptyTextHasNoShingles) {
  EXPECT_TRUE(Shingles("", "char:5").empty());
  EXPECT_TRUE(Shingles("", "word:2").empty());
  EXPECT_TRUE(Shingles("   ", "word:2").empty());
}

TEST(ShingleTest, OutputIsReplacedNotAppended) {
  std::vector<uint64_t> out = {1, 2, 3};
  Shingle("abcd", ShingleSpec{ShingleUnit::kChar, 3}, kShingleSeed, &out);
  EXPECT_EQ(out, (Hashes{H("abc"), H("bcd")}));
  Shingle("", ShingleSpec{ShingleUnit::kChar, 3}, kShingleSeed, &out);
  EXPECT_TRUE(out.empty());
}

TEST(ShingleTest, ShinglesAreNotDeduplicated) {
  EXPECT_EQ(Shingles("aaaa", "char:2"), (Hashes{H("aa"), H("aa"), H("aa")}));
}

TEST(ShingleTest, InvalidUtf8NeverReadsPastTheEnd) {
  // Not a supported input (normalization repairs first) but must stay in bounds: a lead byte at
  // the end claims three more bytes than there are.
  const std::string text = "ab\xF0";
  std::vector<uint64_t> out = Shingles(text, "char:2");
  EXPECT_EQ(out, (Hashes{H("ab"), H("b\xF0")}));
}

TEST(ShingleTest, CharWindowsOfAnyBytesFollowTheLeadBytes) {
  // Oracle: walk the text code point by code point, each as long as its lead byte says (cut at
  // the end), and hash every window of k of them. Random bytes from a small alphabet of lead,
  // continuation, ASCII and space bytes give valid UTF-8, stray continuation bytes, cut
  // sequences and over-long leads; the shingler takes a faster way for valid text and must
  // agree everywhere, with and without spaces.
  const unsigned char alphabet[] = {'a', ' ', '\t', 0x80, 0xBF, 0xC3, 0xE1, 0xED, 0xF0, 0xF4, 0xFF};
  auto walk = [](std::string_view text, size_t k) {
    std::vector<size_t> starts;
    for (size_t pos = 0; pos < text.size();) {
      starts.push_back(pos);
      const unsigned char lead = static_cast<unsigned char>(text[pos]);
      const size_t len = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      pos = std::min(text.size(), pos + len);
    }
    starts.push_back(text.size());
    Hashes out;
    if (starts.size() - 1 < k) {
      if (!text.empty()) out.push_back(H(text));
      return out;
    }
    for (size_t i = 0; i + k < starts.size(); ++i) {
      out.push_back(H(text.substr(starts[i], starts[i + k] - starts[i])));
    }
    return out;
  };
  uint64_t state = 12345;
  for (int round = 0; round < 3000; ++round) {
    const size_t length = internal::SplitMix64(&state) % 24;
    std::string text;
    for (size_t i = 0; i < length; ++i) {
      text += static_cast<char>(alphabet[internal::SplitMix64(&state) % sizeof(alphabet)]);
    }
    std::string squeezed;
    for (char c : text) {
      if (c != ' ' && (c < 0x09 || c > 0x0D)) squeezed += c;
    }
    for (size_t k : {1, 2, 3, 5}) {
      const std::string spec = "char:" + std::to_string(k);
      ASSERT_EQ(Shingles(text, spec + "+spaces"), walk(text, k)) << round << " " << k;
      ASSERT_EQ(Shingles(text, spec), walk(squeezed, k)) << round << " " << k;
    }
  }
  // Valid text takes the fast way; the same oracle holds.
  const std::string korean = "[속보] 尹 \"홍장원에 '방첩사 도우라'\" 통화 😀 é";
  EXPECT_EQ(Shingles(korean, "char:5+spaces"), walk(korean, 5));
}

// --- word shingles ---------------------------------------------------------------------------

TEST(ShingleTest, WordWindowsSpanKTokens) {
  EXPECT_EQ(Shingles("the quick brown fox", "word:2"),
              (Hashes{H("the quick"), H("quick brown"), H("brown fox")}));
  EXPECT_EQ(Shingles("계엄과 무관 통화", "word:2"), (Hashes{H("계엄과 무관"), H("무관 통화")}));
  EXPECT_EQ(Shingles("a b c", "word:1"), (Hashes{H("a"), H("b"), H("c")}));
}

TEST(ShingleTest, FewerTokensThanKIsOneShingle) {
  EXPECT_EQ(Shingles("계엄과 무관", "word:3"), (Hashes{H("계엄과 무관")}));
  EXPECT_EQ(Shingles("solo", "word:2"), (Hashes{H("solo")}));
}

TEST(ShingleTest, WordWindowsIgnoreLeadingAndTrailingSpaces) {
  EXPECT_EQ(Shingles(" a b c ", "word:2"), (Hashes{H("a b"), H("b c")}));
  // Uncollapsed text is hashed as it stands.
  EXPECT_EQ(Shingles("a  b c", "word:2"), (Hashes{H("a  b"), H("b c")}));
}

// --- sets and Jaccard ------------------------------------------------------------------------

TEST(ShingleSetTest, IsSortedAndDeduplicated) {
  std::vector<uint64_t> expected = {H("ab"), H("ba")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ShingleSet("ababa", ShingleSpec{ShingleUnit::kChar, 2}), expected);
}

TEST(ExactJaccardTest, CountsIntersectionOverUnion) {
  EXPECT_DOUBLE_EQ(ExactJaccard({1, 2, 3}, {2, 3, 4}), 0.5);
  EXPECT_DOUBLE_EQ(ExactJaccard({1, 2}, {1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(ExactJaccard({1, 2}, {3}), 0.0);
  EXPECT_DOUBLE_EQ(ExactJaccard({}, {1}), 0.0);
  EXPECT_DOUBLE_EQ(ExactJaccard({}, {}), 1.0);
}

TEST(ExactJaccardTest, SeedHeadlinesAreAboutSeventyPercentSimilar) {
  // As the issue tracker measured it: NFKC + case folding only, spaces in the windows.
  NormalizeOptions core;
  core.unify_punctuation = core.aliases = core.strip_headline_tags = core.strip_boilerplate = false;
  std::string a, b;
  Normalizer(core).Normalize(kHeadlineA, TextField::kTitle, &a);
  Normalizer(core).Normalize(kHeadlineB, TextField::kTitle, &b);
  const ShingleSpec spec{ShingleUnit::kChar, 5, /*keep_spaces=*/true};
  const double j = ExactJaccard(ShingleSet(a, spec), ShingleSet(b, spec));
  EXPECT_GE(j, 0.65);
  EXPECT_LE(j, 0.75);
}

TEST(ExactJaccardTest, NewsNormalizationAndSpaceFreeShinglesMakeTheSeedHeadlinesClose) {
  std::string a, b;
  Normalizer().Normalize(kHeadlineA, TextField::kTitle, &a);
  Normalizer().Normalize(kHeadlineB, TextField::kTitle, &b);
  const ShingleSpec spec{ShingleUnit::kChar, 5};
  EXPECT_GE(ExactJaccard(ShingleSet(a, spec), ShingleSet(b, spec)), 0.75);
}

TEST(ExactJaccardTest, NormalizationMakesFullWidthAndCaseVariantsIdentical) {
  const ShingleSpec spec{ShingleUnit::kChar, 5};
  EXPECT_DOUBLE_EQ(ExactJaccard(ShingleSet(Normalized("ＯｐｅｎＡＩ 최고경영자(CEO)"), spec),
                                ShingleSet(Normalized("openai  최고경영자(ceo)"), spec)),
                   1.0);
}

}  // namespace
}  // namespace neardup
