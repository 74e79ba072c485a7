// internal/utf8.h: the byte-level UTF-8 helpers neardup needs outside normalization (which has its
// own vectorized scanner in text/normalize.cc): sequence lengths, decoding one code point,
// encoding one. None of them validates; RepairUtf8 (text/normalize.h) is the validator.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace neardup::internal {

// Length of the UTF-8 sequence that a lead byte announces: 1 for ASCII, 2, 3 or 4 for the lead
// bytes of multi-byte sequences (C0-DF, E0-EF, F0-F7). A continuation byte (80-BF) or an invalid
// lead byte (F8-FF) counts as 1, so that broken text is walked one byte at a time.
inline size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Byte length of the code point that starts at `text[i]` (i < text.size()): the announced length,
// but never past the end of `text` and never over a byte that is not a continuation byte, so a
// broken sequence is cut into single bytes, not swallowed together with what follows.
size_t Utf8CodePointLength(std::string_view text, size_t i);

// The code point that starts at `text[i]` (i < text.size()) and its byte length (as
// Utf8CodePointLength). A sequence cut short, or a stray byte, decodes as its first byte's value
// (0x80-0xFF), which is never mistaken for a code point of the same number in valid text because
// `*length` is then 1 and the byte is >= 0x80.
char32_t DecodeUtf8(std::string_view text, size_t i, size_t* length);

// Whether `c` is a letter, mark or digit (Unicode categories L*, M*, N*): what words are made
// of. Spaces, punctuation and symbols are not.
bool IsWordChar(char32_t c);

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF; surrogates are encoded as they are).
void AppendUtf8(char32_t cp, std::string* out);

}  // namespace neardup::internal
