// normalize.h: turns raw text into the form that shingles are taken from.
//
// The steps, each switchable, in this order:
//   1. invalid UTF-8 is repaired: each maximal ill-formed subpart (Unicode 3.9, as WHATWG, ICU and
//      Python do it) becomes one U+FFFD;
//   2. markup is removed (see markup.h): HTML character references are decoded ("&quot;",
//      "&#8220;", "&#x201C;"), inline tags are dropped ("<b>조국</b>" -> "조국"), other tags
//      ("<br>", "<p>", "<div ...>") become a line break, comments go; "a < b", "<한겨레>" and
//      "AT&T" stay as they are. Decoding happens once ("&amp;quot;" -> "&quot;");
//   3. Unicode NFKC (compatibility composition: full-width forms fold, Hangul stays composed);
//   4. case folding (Unicode full case folding, e.g. "Straße" -> "strasse");
//   5. punctuation unification (after NFKC; see below);
//   6. aliases from NewsRules (尹 -> 윤, 윤석열 -> 윤; see news_rules.h);
//   7. titles (TextField::kTitle): headline tags removed from both ends ("[속보]", "(종합2보)");
//      bodies (TextField::kBody): boilerplate removed line by line (datelines, bylines, e-mail
//      addresses, copyright lines, photo credits; see NewsRules::StripBoilerplate);
//   8. every run of white space (Unicode White_Space, incl. tab, CR, LF, NBSP, U+3000) becomes one
//      ASCII space, and leading/trailing space is trimmed.
// Step 2 is for text taken from web pages and news APIs (the Naver API marks the query with
// <b>...</b> and escapes quotes as &quot;). Steps 5-7 are for news text (Korean in particular).
// All are on by default and each can be switched off. With `aliases` on, Hanja used as Korean
// abbreviations become Hangul anywhere, so Chinese or Japanese corpora should switch `aliases`
// off. With normalization off (`enabled` false, "none"), only step 1 runs: markup stays.
//
// Punctuation unification (step 5) maps, code point by code point:
//   - every quotation mark to the ASCII apostrophe ': " ' ` ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‵ ‶ « » ‹ › 「 」
//     『 』 〈 〉 《 》 〝 〞 〟 and their full-width and vertical forms. Double and single quotes
//     become one because Korean headlines use them interchangeably ("'尹, 싹 다..'" vs "‘윤, 싹
//     다..’"); ASCII < > stay as they are;
//   - square-ish brackets 【 】 〔 〕 〖 〗 〘 〙 〚 〛 to [ ]; full-width ( ) [ ] fold with NFKC;
//   - ellipses: a run of two or more dots (. · ・ ‧ ∙ ⋅ ㆍ, any mix) and any run containing … ‥
//     or ⋯ to one … (U+2026), so "...", "···", "‥" and "…" agree;
//   - a single middle dot (· ・ ‧ ∙ ⋅ ㆍ ᆞ, as in "한·미·일") to · (U+00B7);
//   - ⓒ and Ⓒ to © (before NFKC, which would make them the letter c), so copyright lines are
//     still recognised.
// Text is processed by code point, never by byte (step 2 acts at ASCII bytes, which never occur
// inside a multi-byte sequence). A Normalizer is immutable after construction and safe to share
// between threads. Allocation is amortised: `out` and per-thread scratch buffers grow
// to the largest need and are reused. `text` may overlap `*out`.
// Not exactly NFKC_Casefold: default-ignorable code points (soft hyphen, zero-width space) are
// kept, those that step 2 decodes ("&shy;", "&zwj;") included.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "neardup/text/news_rules.h"

namespace neardup {

// Which part of a document a text is: the steps of stage 7 differ.
enum class TextField { kTitle, kBody };

struct NormalizeOptions {
  bool enabled = true;               // false: only step 1 (UTF-8 repair) runs
  bool strip_markup = true;          // step 2, HTML tags, comments and character references
  bool nfkc = true;                  // step 3
  bool casefold = true;              // step 4
  bool unify_punctuation = true;     // step 5
  bool aliases = true;               // step 6, with NewsRules::aliases()
  bool strip_headline_tags = true;   // step 7, titles, with NewsRules::tags()
  bool strip_boilerplate = true;     // step 7, bodies, with the credit words and notice markers
  bool collapse_whitespace = true;   // step 8
};

// The steps in force, as `--normalize` names them: "markup,nfkc,casefold,punct,aliases,tags,
// boilerplate,whitespace" (the defaults, in step order), "none" when normalization is off,
// "repair-only" when every step is off.
std::string NormalizeStepsName(const NormalizeOptions& options);

// The inverse of NormalizeStepsName(), and the syntax of `--normalize`: "default" (every step),
// "none" (normalization off: bytes as read, bar UTF-8 repair), "repair-only" (every step off),
// a comma list of the steps to run ("nfkc,casefold,whitespace": the others are off), or
// "default" followed by steps to remove or add ("default,-markup", "default,-aliases,-tags").
// Step names: markup nfkc casefold punct aliases tags boilerplate whitespace. An unknown name
// is an InvalidArgument error, "unknown normalization step \"x\" (steps: ...)".
// ParseNormalizeSteps(NormalizeStepsName(o)) gives back `o` for every `o`.
absl::StatusOr<NormalizeOptions> ParseNormalizeSteps(std::string_view steps);

class Normalizer {
 public:
  // `rules` supplies the tags, aliases and credit words of steps 6 and 7; it is copied.
  explicit Normalizer(NormalizeOptions options = {}, NewsRules rules = NewsRules::Defaults());

  // Writes the normalized form of `text`, a `field` of a document, to `*out` (replacing its
  // content). Returns the number of invalid UTF-8 sequences that were replaced by U+FFFD (0 for
  // valid input).
  size_t Normalize(std::string_view text, TextField field, std::string* out) const;
  // The same for a body (TextField::kBody).
  size_t Normalize(std::string_view text, std::string* out) const {
    return Normalize(text, TextField::kBody, out);
  }

  const NormalizeOptions& options() const { return options_; }
  const NewsRules& rules() const { return rules_; }

 private:
  NormalizeOptions options_;
  NewsRules rules_;
};

// Writes `text` to `*out` with every invalid UTF-8 sequence replaced by U+FFFD (EF BF BD).
// Returns the number of replacements. Overlong encodings, surrogates and code points above
// U+10FFFF count as invalid.
size_t RepairUtf8(std::string_view text, std::string* out);

}  // namespace neardup
