// normalize.h: turns raw text into the form that shingles are taken from.
//
// The steps, each switchable, in this order:
//   1. invalid UTF-8 is repaired: each maximal ill-formed subpart (Unicode 3.9, as WHATWG, ICU and
//      Python do it) becomes one U+FFFD;
//   2. Unicode NFKC (compatibility composition: full-width forms fold, Hangul stays composed);
//   3. case folding (Unicode full case folding, e.g. "Straße" -> "strasse");
//   4. punctuation unification (after NFKC; see below);
//   5. aliases from NewsRules (尹 -> 윤, 윤석열 -> 윤; see news_rules.h);
//   6. titles (TextField::kTitle): headline tags removed from both ends ("[속보]", "(종합2보)");
//      bodies (TextField::kBody): boilerplate removed line by line (datelines, bylines, e-mail
//      addresses, copyright lines, photo credits; see NewsRules::StripBoilerplate);
//   7. every run of white space (Unicode White_Space, incl. tab, CR, LF, NBSP, U+3000) becomes one
//      ASCII space, and leading/trailing space is trimmed.
// Steps 4-6 are for news text (Korean in particular); they are on by default and each can be
// switched off. With `aliases` on, Hanja used as Korean abbreviations become Hangul anywhere, so
// Chinese or Japanese corpora should switch `aliases` off.
//
// Punctuation unification (step 4) maps, code point by code point:
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
// Text is processed by code point, never by byte. A Normalizer is immutable after construction and
// safe to share between threads. Allocation is amortised: `out` and per-thread scratch buffers grow
// to the largest need and are reused. `text` may overlap `*out`.
// Not exactly NFKC_Casefold: default-ignorable code points (soft hyphen, zero-width space) are kept.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "neardup/text/news_rules.h"

namespace neardup {

// Which part of a document a text is: the steps of stage 6 differ.
enum class TextField { kTitle, kBody };

struct NormalizeOptions {
  bool enabled = true;               // false: only step 1 (UTF-8 repair) runs
  bool nfkc = true;                  // step 2
  bool casefold = true;              // step 3
  bool unify_punctuation = true;     // step 4
  bool aliases = true;               // step 5, with NewsRules::aliases()
  bool strip_headline_tags = true;   // step 6, titles, with NewsRules::tags()
  bool strip_boilerplate = true;     // step 6, bodies, with the credit words and notice markers
  bool collapse_whitespace = true;   // step 7
};

// The steps in force, as `--normalize` names them: "nfkc,casefold,punct,aliases,tags,boilerplate,
// whitespace", "none" when normalization is off, "repair-only" when every step is off.
std::string NormalizeStepsName(const NormalizeOptions& options);

class Normalizer {
 public:
  // `rules` supplies the tags, aliases and credit words of steps 5 and 6; it is copied.
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
