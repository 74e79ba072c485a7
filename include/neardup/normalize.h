// normalize.h: turns raw text into the form that shingles are taken from.
//
// The steps, each switchable, in this order:
//   1. invalid UTF-8 is repaired: each maximal ill-formed subpart (Unicode 3.9, as WHATWG, ICU and
//      Python do it) becomes one U+FFFD;
//   2. Unicode NFKC (compatibility composition: full-width forms fold, Hangul stays composed);
//   3. case folding (Unicode full case folding, e.g. "Straße" -> "strasse");
//   4. every run of white space (Unicode White_Space, incl. tab, CR, LF, NBSP, U+3000) becomes one
//      ASCII space, and leading/trailing space is trimmed.
// Text is processed by code point, never by byte. A Normalizer is immutable after construction and
// safe to share between threads. Allocation is amortised: `out` and per-thread scratch buffers grow
// to the largest need and are reused. `text` may overlap `*out`.
// Not exactly NFKC_Casefold: default-ignorable code points (soft hyphen, zero-width space) are kept.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace neardup {

struct NormalizeOptions {
  bool enabled = true;               // false: only step 1 (UTF-8 repair) runs
  bool nfkc = true;                  // step 2
  bool casefold = true;              // step 3
  bool collapse_whitespace = true;   // step 4
};

class Normalizer {
 public:
  explicit Normalizer(NormalizeOptions options = {});

  // Writes the normalized form of `text` to `*out` (replacing its content). Returns the number of
  // invalid UTF-8 sequences that were replaced by U+FFFD (0 for valid input).
  size_t Normalize(std::string_view text, std::string* out) const;

  const NormalizeOptions& options() const { return options_; }

 private:
  NormalizeOptions options_;
};

// Writes `text` to `*out` with every invalid UTF-8 sequence replaced by U+FFFD (EF BF BD).
// Returns the number of replacements. Overlong encodings, surrogates and code points above
// U+10FFFF count as invalid.
size_t RepairUtf8(std::string_view text, std::string* out);

}  // namespace neardup
