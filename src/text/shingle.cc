#include "neardup/text/shingle.h"

#include <algorithm>
#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"

namespace neardup {
namespace {

constexpr int kMaxK = 64;

// Debian's Abseil is built with its own absl::string_view, distinct from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Byte length of the code point that starts with `lead`. The text is valid UTF-8 after
// normalization; for anything else a stray continuation or invalid byte counts as one code
// point, so windows stay well defined and never run past the end.
inline size_t CodePointLength(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

inline size_t NextCodePoint(std::string_view text, size_t pos) {
  return std::min(text.size(), pos + CodePointLength(static_cast<unsigned char>(text[pos])));
}

// Whether s[0, count] (count code points, s[count] == text.size()) are the starts the walk of
// NextCodePoint would find: every code point as long as its lead byte says. True for all valid
// UTF-8; for anything else the caller walks instead.
bool StartsAgreeWithWalk(std::string_view text, const size_t* s, size_t count) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  if (count == 0 || s[0] != 0) return false;
  bool agree = true;
  for (size_t i = 0; i < count; ++i) agree &= s[i + 1] - s[i] == CodePointLength(p[s[i]]);
  return agree;
}

// Windows of k code points of `text`, whose code points start at s[0, count) (s[count] is the
// end), hashed in one call.
void HashCodePointWindows(std::string_view text, const size_t* s, size_t count, int k,
                          uint64_t seed, std::vector<uint64_t>* out) {
  const size_t kk = static_cast<size_t>(k);
  if (count < kk) {  // shorter than one window: the whole text is the one shingle
    out->push_back(internal::Hash64(text, seed));
    return;
  }
  const size_t windows = count - kk + 1;
  const size_t first = out->size();
  out->resize(first + windows);
  internal::HashWindows(text, s, windows, kk, seed, out->data() + first);
}

// The code point starts by the walk: any bytes at all.
size_t WalkCodePoints(std::string_view text, size_t* s) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); pos = NextCodePoint(text, pos)) s[count++] = pos;
  s[count] = text.size();
  return count;
}

// A per-thread buffer of at least n + 1 code point starts, reused.
size_t* StartsBuffer(size_t n) {
  thread_local std::vector<size_t> starts;
  if (starts.size() < n + 1) starts.resize(n + 1);
  return starts.data();
}

void ShingleChars(std::string_view text, int k, uint64_t seed, std::vector<uint64_t>* out) {
  // Window i is code points [i, i + k): find every code point's start once, then hash all
  // windows in one call. The starts are the bytes that are not continuation bytes (a loop
  // without branches), which is the walk's answer whenever the text is valid UTF-8.
  size_t* const s = StartsBuffer(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    s[count] = i;
    count += (p[i] & 0xC0) != 0x80;
  }
  s[count] = text.size();
  if (!StartsAgreeWithWalk(text, s, count)) count = WalkCodePoints(text, s);
  HashCodePointWindows(text, s, count, k, seed, out);
}

inline bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

// Char windows over the non-space code points (ASCII white space is skipped).
void ShingleCharsSkippingSpaces(std::string_view text, int k, uint64_t seed,
                                std::vector<uint64_t>* out) {
  // Windows of k non-space code points hashed without their spaces are exactly the windows of
  // the text with its spaces removed: remove them (into a per-thread buffer, reused) and find
  // the code point starts in the same pass, then hash contiguous windows with no per-shingle
  // copying.
  thread_local std::string compact;
  if (compact.size() < text.size()) compact.resize(text.size());
  char* const dst = compact.data();
  size_t* const s = StartsBuffer(text.size());
  size_t n = 0;
  size_t count = 0;
  for (char c : text) {
    // Written always, kept only when not a space: no branch to mispredict.
    const auto b = static_cast<unsigned char>(c);
    const bool keep = !IsAsciiSpace(b);
    dst[n] = c;
    s[count] = n;
    count += keep & ((b & 0xC0) != 0x80);
    n += keep;
  }
  if (n == 0) return;  // no code point but spaces
  s[count] = n;
  const std::string_view kept(dst, n);
  if (!StartsAgreeWithWalk(kept, s, count)) count = WalkCodePoints(kept, s);
  HashCodePointWindows(kept, s, count, k, seed, out);
}

// Token boundaries: a token is a maximal run of bytes other than ' '.
inline size_t SkipSpaces(std::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  return pos;
}
inline size_t SkipToken(std::string_view text, size_t pos) {
  while (pos < text.size() && text[pos] != ' ') ++pos;
  return pos;
}

// A window runs from the first byte of its first token to the last byte of its k-th token and is
// hashed as it stands: with collapsed white space that is the tokens joined by single spaces.
void ShingleWords(std::string_view text, int k, uint64_t seed, std::vector<uint64_t>* out) {
  size_t begin = SkipSpaces(text, 0);
  if (begin == text.size()) return;  // no token
  size_t end = begin;
  int count = 0;
  for (size_t pos = begin; count < k;) {
    pos = SkipSpaces(text, pos);
    if (pos == text.size()) break;
    end = SkipToken(text, pos);
    pos = end;
    ++count;
  }
  for (;;) {
    out->push_back(internal::Hash64(text.substr(begin, end - begin), seed));
    if (count < k) break;  // fewer than k tokens: one shingle
    const size_t next = SkipSpaces(text, end);
    if (next == text.size()) break;
    end = SkipToken(text, next);
    begin = SkipSpaces(text, SkipToken(text, begin));
  }
}

}  // namespace

absl::StatusOr<ShingleSpec> ShingleSpec::Parse(std::string_view text) {
  const auto error = [text](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid shingle spec \"", Av(text), "\": ", Av(why),
                                                   " (expected char:K or word:K, or char:K+spaces "
                                                   "to keep spaces, K from 1 to ",
                                                   kMaxK, ", e.g. char:5)"));
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return error("missing \":K\"");
  const std::string_view unit = text.substr(0, colon);
  std::string_view number = text.substr(colon + 1);
  ShingleSpec spec;
  constexpr std::string_view kSpaces = "+spaces";
  if (number.size() >= kSpaces.size() &&
      number.substr(number.size() - kSpaces.size()) == kSpaces) {
    if (unit != "char") return error("\"+spaces\" applies to char shingles only");
    spec.keep_spaces = true;
    number.remove_suffix(kSpaces.size());
  }
  if (unit == "char") {
    spec.unit = ShingleUnit::kChar;
  } else if (unit == "word") {
    spec.unit = ShingleUnit::kWord;
  } else {
    return error(absl::StrCat("unknown unit \"", Av(unit), "\""));
  }
  // Digits only: no sign, no spaces, no trailing text.
  if (number.empty() ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return error(absl::StrCat("K \"", Av(number), "\" is not a whole number"));
  }
  int k = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), k);
  if (ec != std::errc() || ptr != number.data() + number.size() || k < 1 || k > kMaxK) {
    return error(absl::StrCat("K = ", Av(number), " is out of range"));
  }
  spec.k = k;
  return spec;
}

std::string ShingleSpec::ToString() const {
  if (unit == ShingleUnit::kWord) return absl::StrCat("word:", k);
  return absl::StrCat("char:", k, keep_spaces ? "+spaces" : "");
}

void Shingle(std::string_view text, const ShingleSpec& spec, uint64_t seed,
             std::vector<uint64_t>* out) {
  out->clear();
  if (text.empty()) return;
  const int k = std::clamp(spec.k, 1, kMaxK);
  if (spec.unit == ShingleUnit::kChar) {
    if (spec.keep_spaces) {
      ShingleChars(text, k, seed, out);
    } else {
      ShingleCharsSkippingSpaces(text, k, seed, out);
    }
  } else {
    ShingleWords(text, k, seed, out);
  }
}

std::vector<uint64_t> ShingleSet(std::string_view text, const ShingleSpec& spec, uint64_t seed) {
  std::vector<uint64_t> hashes;
  Shingle(text, spec, seed, &hashes);
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  return hashes;
}

double ExactJaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  const size_t total = a.size() + b.size() - common;
  return static_cast<double>(common) / static_cast<double>(total);
}

}  // namespace neardup
