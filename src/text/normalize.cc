#include "neardup/text/normalize.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <utf8proc.h>

#include "neardup/text/markup.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Markup (step 2): '<' and '&' are looked for by the scan for the ASCII prefix, and in the rest
// of non-ASCII text by one more SSE2 scan; only text that has one is checked for valid UTF-8
// first (repaired if need be) and copied without its markup. Then three paths, chosen per call:
//   - pure ASCII (found by one SSE2 scan): a byte map, 16 bytes at a time where no white space
//     follows white space (NFKC is the identity on ASCII);
//   - other UTF-8, checked as it goes: "simple" code points (ASCII, Hangul syllables, CJK, kana,
//     common punctuation) are copied, and only the runs between them go through utf8proc;
//   - invalid UTF-8 (found by the check): repaired into a per-thread buffer, then as above.
// Allocation: besides growing `out`, each thread keeps a UTF-32 buffer for utf8proc and string
// buffers for repaired or aliased input; they grow to the largest need seen and are reused.

namespace neardup {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the ASCII prefix of [p, end), sixteen (SSE2) or eight bytes at a time.
size_t AsciiPrefix(const unsigned char* p, const unsigned char* end) {
  const unsigned char* start = p;
#if defined(__SSE2__)
  while (end - p >= 16) {
    const unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    if (mask != 0) return static_cast<size_t>(p - start) + static_cast<size_t>(__builtin_ctz(mask));
    p += 16;
  }
#endif
  while (end - p >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if (word & 0x8080808080808080ULL) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return static_cast<size_t>(p - start);
}

// AsciiPrefix() that also looks for markup (step 2) in what it reads: sets `*markup` to the
// position of the first '<' or '&' if the scan meets one (it reads up to the first non-ASCII
// byte, or to the end of its 16-byte block), and leaves it unchanged otherwise, when there is
// none before the returned prefix length. Pure ASCII text, the most common input, is thus
// checked for markup by the scan that has to read it anyway.
size_t AsciiPrefixAndMarkup(const unsigned char* p, const unsigned char* end, size_t* markup) {
  const unsigned char* start = p;
#if defined(__SSE2__)
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i amp = _mm_set1_epi8('&');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
    const unsigned special = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp))));
    if (special != 0) {
      *markup = static_cast<size_t>(p - start) + static_cast<size_t>(__builtin_ctz(special));
      return static_cast<size_t>(p - start) + AsciiPrefix(p, end);
    }
    if (high != 0) return static_cast<size_t>(p - start) + static_cast<size_t>(__builtin_ctz(high));
    p += 16;
  }
#endif
  for (; p < end && *p < 0x80; ++p) {
    if (*p == '<' || *p == '&') {
      *markup = static_cast<size_t>(p - start);
      return static_cast<size_t>(p - start) + AsciiPrefix(p, end);
    }
  }
  return static_cast<size_t>(p - start);
}

// Validates the sequence starting at `p` (a non-ASCII byte) against Unicode 15, Table 3-7
// (well-formed UTF-8 byte sequences). Returns its length if it is well formed; otherwise returns
// the negated length of its "maximal subpart" (the longest prefix that could start a well-formed
// sequence, at least 1 byte), which is what one U+FFFD replaces.
inline int CheckSequence(const unsigned char* p, const unsigned char* end) {
  const unsigned char b0 = p[0];
  int len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;        // overlong
    else if (b0 == 0xED) hi = 0x9F;   // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;        // overlong
    else if (b0 == 0xF4) hi = 0x8F;   // above U+10FFFF
  } else {
    return -1;  // continuation byte, C0/C1 (always overlong) or F5..FF
  }
  if (end - p < 2 || p[1] < lo || p[1] > hi) return -1;
  for (int i = 2; i < len; ++i) {
    if (end - p <= i || (p[i] & 0xC0) != 0x80) return -i;
  }
  return len;
}

// Lead bytes by what CheckSequence() needs to see after them.
struct LeadClasses {
  enum : uint8_t { kAscii, kThree, kOther };  // kThree: E1..EC, EE, EF
  uint8_t of[256];
  constexpr LeadClasses() : of() {
    for (int b = 0; b < 256; ++b) {
      of[b] = b < 0x80 ? kAscii : (b >= 0xE1 && b <= 0xEF && b != 0xED) ? kThree : kOther;
    }
  }
};
constexpr LeadClasses kLeadClasses;

// Whether [p, end) is well-formed UTF-8 (as CheckSequence() checks it). Korean and Chinese text is
// mostly three-byte sequences whose lead (E1..EC, EE, EF) allows any continuation bytes, and
// single ASCII bytes between them; both are handled without calling CheckSequence().
bool IsValidUtf8(const unsigned char* p, const unsigned char* end) {
  while (p < end) {
    const uint8_t lead = kLeadClasses.of[*p];
    if (lead == LeadClasses::kAscii) {
      ++p;
      continue;
    }
    // Both continuation bytes in 80..BF.
    if (lead == LeadClasses::kThree && end - p >= 3 && ((p[1] ^ 0x80) | (p[2] ^ 0x80)) < 0x40) {
      p += 3;
      continue;
    }
    const int n = CheckSequence(p, end);
    if (n < 0) return false;
    p += n;
  }
  return true;
}

// Unicode White_Space (PropList.txt), all 25 code points.
bool IsWhiteSpace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The line breaks NewsRules::StripBoilerplate splits lines at.
inline bool IsLineBreak(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

// ASCII byte maps for one combination of options: the byte to write (lowercased when case
// folding, ' ' for white space when collapsing, ' for " and ` when unifying punctuation) and
// whether it is collapsible white space.
struct AsciiMap {
  uint8_t byte[128];
  uint8_t space[128];
  constexpr AsciiMap(bool casefold, bool collapse, bool unify) : byte(), space() {
    for (int c = 0; c < 128; ++c) {
      const bool white = c == 0x20 || (c >= 0x09 && c <= 0x0D);
      space[c] = collapse && white;
      byte[c] = static_cast<uint8_t>(space[c]                              ? ' '
                                     : casefold && c >= 'A' && c <= 'Z'       ? c + 32
                                     : unify && (c == '"' || c == '`') ? '\''
                                                                              : c);
    }
  }
};
// Indexed [casefold][collapse][unify].
constexpr AsciiMap kAsciiMaps[2][2][2] = {
    {{AsciiMap(false, false, false), AsciiMap(false, false, true)},
     {AsciiMap(false, true, false), AsciiMap(false, true, true)}},
    {{AsciiMap(true, false, false), AsciiMap(true, false, true)},
     {AsciiMap(true, true, false), AsciiMap(true, true, true)}}};

// Appends code points to `*out`, folding runs of white space into one ASCII space and trimming
// both ends when `collapse` is set (a trailing run is dropped by never being flushed). State
// persists across chunks; call Reserve() before each batch of Put()s.
class Emitter {
 public:
  // With `keep_lines`, a white space run that holds a line break becomes '\n' instead of ' '.
  Emitter(std::string* out, bool collapse, bool keep_lines)
      : out_(out), collapse_(collapse), keep_lines_(keep_lines) {
    out_->clear();
  }

  // Makes room for `max_bytes` more bytes of output (one more for a pending space is included).
  void Reserve(size_t max_bytes) {
    const size_t need = pos_ + max_bytes + 1;
    if (need > out_->size()) out_->resize(std::max(need, 2 * out_->size()));
    base_ = out_->data();
  }

  // Appends the bytes of one 2- to 4-byte code point that is known not to be white space.
  void PutBytes(const char* bytes, size_t n) {
    char* dst = base_ + pos_;
    if (pending_) {
      *dst++ = pending_;
      pending_ = 0;
    }
    // Fixed-size copies: a libc call per code point would dominate Hangul text.
    if (n == 3) {
      std::memcpy(dst, bytes, 2);
      dst[2] = bytes[2];
    } else if (n == 2) {
      std::memcpy(dst, bytes, 2);
    } else {
      std::memcpy(dst, bytes, 4);
    }
    pos_ = static_cast<size_t>(dst + n - base_);
  }

  // Appends `n` bytes of code points that are known not to be white space.
  void PutRun(const char* bytes, size_t n) {
    char* dst = base_ + pos_;
    if (pending_) {
      *dst++ = pending_;
      pending_ = 0;
    }
    std::memcpy(dst, bytes, n);
    pos_ = static_cast<size_t>(dst + n - base_);
  }

  void Put(char32_t c) {
    if (collapse_ && IsWhiteSpace(c)) {
      if (pos_ != 0) pending_ = pending_ == '\n' || (keep_lines_ && IsLineBreak(c)) ? '\n' : ' ';
      return;
    }
    char* dst = base_ + pos_;
    if (pending_) {
      *dst++ = pending_;
      pending_ = 0;
    }
    if (c < 0x80) {
      *dst++ = static_cast<char>(c);
    } else if (c < 0x800) {
      *dst++ = static_cast<char>(0xC0 | (c >> 6));
      *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      *dst++ = static_cast<char>(0xE0 | (c >> 12));
      *dst++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    } else {
      *dst++ = static_cast<char>(0xF0 | (c >> 18));
      *dst++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      *dst++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      *dst++ = static_cast<char>(0x80 | (c & 0x3F));
    }
    pos_ = static_cast<size_t>(dst - base_);
  }

  void Finish() { out_->resize(pos_); }

  // What one Put() or PutBytes() changes, so that it can be taken back (see NormalizeUnicode).
  struct State {
    size_t pos = 0;
    char pending = 0;
  };
  State state() const { return {pos_, pending_}; }
  void Restore(State s) {
    pos_ = s.pos;
    pending_ = s.pending;
  }

 private:
  std::string* out_;
  char* base_ = nullptr;
  size_t pos_ = 0;
  bool collapse_;
  bool keep_lines_;
  char pending_ = 0;  // white space seen since the last code point: 0, ' ' or '\n'

};

// Pure ASCII: NFKC is the identity and full case folding is A-Z -> a-z. Leading white space is
// skipped; after that every byte is written, and the write position advances unless the byte is
// white space following white space (branch-free: white space is unpredictable in prose). With
// `keep_lines` a merged run keeps '\n' if any of its bytes is a line break ('\n' < ' ', so min()
// does it). A 16-byte block in which no white space follows white space needs no merging: it is
// mapped with SSE2 and stored whole, which is nearly every block of prose.
void NormalizeAscii(std::string_view text, bool casefold, bool collapse, bool unify,
                    bool keep_lines, std::string* out) {
  const AsciiMap& map = kAsciiMaps[casefold][collapse][unify];
  keep_lines &= collapse;
  out->resize(text.size());
  char* const begin = out->data();
  char* dst = begin;
  const auto* const src = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size && map.space[src[i]]) ++i;
  unsigned prev_space = 0;
  const auto step = [&](unsigned char c) {
    const unsigned is_space = map.space[c];
    const char byte =
        keep_lines && (c == '\n' || c == '\r') ? '\n' : static_cast<char>(map.byte[c]);
    const unsigned merge = is_space & prev_space;
    char* const slot = dst - merge;
    *slot = merge ? std::min(*slot, byte) : byte;
    dst = slot + 1;
    prev_space = is_space;
  };
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i fold = casefold ? _mm_set1_epi8(32) : zero;
  const __m128i ws_to = _mm_set1_epi8(' ');
  const __m128i nl_to = keep_lines ? _mm_set1_epi8('\n') : ws_to;
  for (; size - i >= 16; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i ws = zero;
    if (collapse) {  // ' ' or 0x09..0x0D
      const __m128i t = _mm_sub_epi8(v, _mm_set1_epi8(0x09));
      ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                        _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(4)), t));
    }
    const unsigned ws_mask = static_cast<unsigned>(_mm_movemask_epi8(ws));
    if (ws_mask & ((ws_mask << 1) | prev_space)) {  // white space follows white space
      for (size_t k = i; k < i + 16; ++k) step(src[k]);
      continue;
    }
    const __m128i a = _mm_sub_epi8(v, _mm_set1_epi8('A'));
    const __m128i upper = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(25)), a);
    __m128i r = _mm_add_epi8(v, _mm_and_si128(upper, fold));
    if (unify) {
      const __m128i q = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('`')));
      r = _mm_or_si128(_mm_and_si128(q, _mm_set1_epi8('\'')), _mm_andnot_si128(q, r));
    }
    if (ws_mask != 0) {
      const __m128i nl = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
      const __m128i to = _mm_or_si128(_mm_and_si128(nl, nl_to), _mm_andnot_si128(nl, ws_to));
      r = _mm_or_si128(_mm_and_si128(ws, to), _mm_andnot_si128(ws, r));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), r);  // dst + 16 <= begin + i + 16
    dst += 16;
    prev_space = ws_mask >> 15;
  }
#endif
  for (; i < size; ++i) step(src[i]);
  if (prev_space) --dst;  // trailing run (dst > begin: the text has a non-space byte)
  out->resize(static_cast<size_t>(dst - begin));
}

// Per-thread UTF-32 scratch for utf8proc, grown geometrically and kept for the next call. Its size
// is bounded by the longest run of non-simple code points (see IsSimple) in any text seen.
struct Scratch {
  std::unique_ptr<utf8proc_int32_t[]> buf;
  size_t capacity = 0;
  std::string repaired;  // holds the repaired copy of invalid input
  std::string markup;    // holds the input without its markup
  std::string alias;     // holds a copy of `text` when it points into `*out`
  std::string stage;     // output of one news step, swapped with `*out`

  utf8proc_int32_t* Reserve(size_t n) {
    if (n > capacity) {
      size_t cap = capacity ? capacity : 1024;
      while (cap < n) cap *= 2;
      buf.reset(new utf8proc_int32_t[cap]);
      capacity = cap;
    }
    return buf.get();
  }
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// A "simple" non-ASCII code point is one that NFKC and case folding leave unchanged whatever its
// neighbours: it has no decomposition that survives recomposition, no case folding, combining
// class 0, and is never the second half of a canonical composition pair. Such code points are
// copied as they stand, and utf8proc only sees the runs between them (plus the simple code point
// just before a run, which a following combining mark or jamo may compose with). This keeps
// Korean, Chinese and Japanese text off utf8proc's decompose-and-recompose path almost entirely.
// Every range here is checked against utf8proc by tests/normalize_test.cc (the oracle tests).
inline bool IsSimple(char32_t c) {
  if (c >= 0xAC00 && c <= 0xD7A3) return true;  // Hangul syllables (LV + T jamo is not simple)
  if (c >= 0x4E00 && c <= 0x9FFF) return true;  // CJK Unified Ideographs
  if (c >= 0x3400 && c <= 0x4DBF) return true;  // CJK Extension A
  if (c >= 0x3041 && c <= 0x3096) return true;  // hiragana (U+3099/U+309A marks are not simple)
  if (c >= 0x30A1 && c <= 0x30FA) return true;  // katakana
  if (c >= 0x3001 && c <= 0x3002) return true;  // 、。
  if (c >= 0x3008 && c <= 0x3011) return true;  // 〈〉《》「」『』【】
  switch (c) {
    case 0x00B7:                                   // middle dot
    case 0x2013: case 0x2014:                      // en and em dash
    case 0x2018: case 0x2019: case 0x201C: case 0x201D:  // curly quotes
      return true;
    default:
      return false;
  }
}

// Whether the three bytes at `p` are a Hangul syllable (U+AC00..U+D7A3), a simple code point.
// Two continuation bytes and a code point in that range are also all it takes for the sequence
// to be well formed (not overlong, not a surrogate), so it needs no other check.
inline bool IsHangulSyllableAt(const unsigned char* p) {
  const unsigned b0 = p[0], b1 = p[1], b2 = p[2];
  if ((b0 & 0xF0) != 0xE0 || ((b1 ^ 0x80) | (b2 ^ 0x80)) >= 0x40) return false;
  const char32_t c = (char32_t{b0 & 0x0Fu} << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  return c >= 0xAC00 && c <= 0xD7A3;
}

// Decodes the code point at `p` (valid UTF-8, non-ASCII lead) and sets `*len`.
inline char32_t DecodeNonAscii(const unsigned char* p, size_t* len) {
  if (p[0] < 0xE0) {
    *len = 2;
    return (char32_t{p[0] & 0x1Fu} << 6) | (p[1] & 0x3Fu);
  }
  if (p[0] < 0xF0) {
    *len = 3;
    return (char32_t{p[0] & 0x0Fu} << 12) | (char32_t{p[1] & 0x3Fu} << 6) | (p[2] & 0x3Fu);
  }
  *len = 4;
  return (char32_t{p[0] & 0x07u} << 18) | (char32_t{p[1] & 0x3Fu} << 12) |
         (char32_t{p[2] & 0x3Fu} << 6) | (p[3] & 0x3Fu);
}

// Runs utf8proc (decompose with `options`, then compose) on valid UTF-8 `run` and emits the result.
void NormalizeRun(std::string_view run, utf8proc_option_t options, Scratch& scratch,
                  Emitter& emit) {
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(run.data());
  const auto src_len = static_cast<utf8proc_ssize_t>(run.size());
  // A UTF-8 byte seldom decomposes into more than one code point (a Hangul syllable is three
  // bytes and three jamo); when it does, utf8proc reports the size it needs and we retry.
  size_t want = run.size() + 16;
  utf8proc_ssize_t n;
  for (;;) {
    n = utf8proc_decompose_custom(src, src_len, scratch.Reserve(want),
                                  static_cast<utf8proc_ssize_t>(want), options, nullptr, nullptr);
    if (n < 0 || static_cast<size_t>(n) <= want) break;
    want = static_cast<size_t>(n);
  }
  utf8proc_int32_t* buf = scratch.buf.get();
  if (n >= 0 && (options & UTF8PROC_COMPOSE)) n = utf8proc_normalize_utf32(buf, n, options);
  if (n < 0) {
    // Unreachable for repaired input and these options; keep the run unchanged rather than lose
    // text.
    emit.Reserve(run.size());
    for (utf8proc_ssize_t i = 0; i < src_len;) {
      utf8proc_int32_t c;
      i += utf8proc_iterate(src + i, src_len - i, &c);
      emit.Put(static_cast<char32_t>(c));
    }
    return;
  }
  emit.Reserve(4 * static_cast<size_t>(n));
  for (utf8proc_ssize_t i = 0; i < n; ++i) emit.Put(static_cast<char32_t>(buf[i]));
}

// General path for valid UTF-8 that contains non-ASCII characters. Simple code points are
// emitted as they come, but the emitter's state before the last one is kept: when a non-simple
// code point follows it, that emission is taken back and the simple code point starts
// utf8proc's run instead (a combining mark or jamo may compose with it). Hangul syllables, most
// of Korean text, take a short path.
// With `fold_copyright`, ⓒ and Ⓒ become © here, before NFKC would make them the letter c.
// With `validate`, every sequence is checked before it is used, and the function returns false
// (leaving `*out` unspecified) at the first ill-formed one; otherwise `text` must be valid.
bool NormalizeUnicode(std::string_view text, utf8proc_option_t options, bool casefold,
                      bool collapse, bool keep_lines, bool fold_copyright, bool validate,
                      std::string* out) {
  Scratch& scratch = ThreadScratch();
  const uint8_t* const lower = kAsciiMaps[casefold][false][false].byte;
  const bool transform = options != 0;  // otherwise only white space changes
  Emitter emit(out, collapse, keep_lines);
  emit.Reserve(text.size());  // simple code points never grow

  const auto* const base = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  constexpr size_t kNone = ~size_t{0};
  size_t last_simple = kNone;  // start of the previous code point if it was simple and emitted
  Emitter::State before_last;  // the emitter's state before it
  size_t run_begin = kNone;    // start of the pending utf8proc run
  const auto flush_run = [&](size_t pos) {
    NormalizeRun(text.substr(run_begin, pos - run_begin), options, scratch, emit);
    emit.Reserve(size - pos);
    run_begin = kNone;
  };

  for (size_t pos = 0; pos < size;) {
    const unsigned char b = base[pos];
    if (b < 0x80) {
      if (run_begin != kNone) flush_run(pos);
      before_last = emit.state();
      emit.Put(lower[b]);
      last_simple = pos++;
      continue;
    }
    if (run_begin == kNone && size - pos >= 3 && IsHangulSyllableAt(base + pos)) {
      // A run of Hangul syllables (a word) is copied at once; only its last syllable may still
      // join a utf8proc run.
      size_t run_end = pos + 3;
      while (size - run_end >= 3 && IsHangulSyllableAt(base + run_end)) run_end += 3;
      const Emitter::State before = emit.state();
      emit.PutRun(text.data() + pos, run_end - pos);
      before_last = run_end - pos == 3 ? before : Emitter::State{emit.state().pos - 3, 0};
      last_simple = run_end - 3;
      pos = run_end;
      continue;
    }
    if (validate && CheckSequence(base + pos, base + size) < 0) return false;
    size_t len;
    const char32_t c = DecodeNonAscii(base + pos, &len);
    if (fold_copyright && (c == 0x24D2 || c == 0x24B8)) {
      if (run_begin != kNone) flush_run(pos);
      last_simple = kNone;
      emit.PutBytes("\xC2\xA9", 2);  // ©
      pos += len;
      continue;
    }
    bool simple = !transform || IsSimple(c);
    if (simple && collapse && IsWhiteSpace(c)) simple = false;  // e.g. U+3000 when NFKC is off
    if (simple) {
      if (run_begin != kNone) flush_run(pos);
      before_last = emit.state();
      emit.PutBytes(text.data() + pos, len);
      last_simple = pos;
    } else if (run_begin == kNone) {
      if (last_simple != kNone) {
        emit.Restore(before_last);
        run_begin = last_simple;
      } else {
        run_begin = pos;
      }
      last_simple = kNone;
    }
    pos += len;
  }
  if (run_begin != kNone) flush_run(size);
  emit.Finish();
  return true;
}

// --- Punctuation unification (step 5) -----------------------------------------------------------

enum class Punct : uint8_t { kNone, kQuote, kOpenSquare, kCloseSquare, kOpenRound, kCloseRound,
                             kPeriod, kMiddleDot, kEllipsis };

// The class of a code point for unification; see normalize.h for the table and its reasons.
Punct ClassifyPunct(char32_t c) {
  switch (c) {
    case '"': case '`': case 0x00AB: case 0x00BB: case 0x2039: case 0x203A: case 0x2329:
    case 0x232A: case 0xFE41: case 0xFE42: case 0xFE43: case 0xFE44: case 0xFF02: case 0xFF07:
    case 0xFF40: case 0xFF62: case 0xFF63:
      return Punct::kQuote;
    case 0x3010: case 0xFF3B:
      return Punct::kOpenSquare;
    case 0x3011: case 0xFF3D:
      return Punct::kCloseSquare;
    case 0xFF08: return Punct::kOpenRound;
    case 0xFF09: return Punct::kCloseRound;
    case '.': case 0xFF0E:
      return Punct::kPeriod;
    case 0x00B7: case 0x0387: case 0x119E: case 0x2027: case 0x2219: case 0x22C5: case 0x30FB:
    case 0x318D: case 0xFF65:
      return Punct::kMiddleDot;
    case 0x2025: case 0x2026: case 0x22EF:
      return Punct::kEllipsis;
    default:
      break;
  }
  if (c >= 0x2018 && c <= 0x201F) return Punct::kQuote;          // ‘ ’ ‚ ‛ “ ” „ ‟
  if (c >= 0x2032 && c <= 0x2036) return Punct::kQuote;          // ′ ″ ‴ ‵ ‶
  if (c >= 0x3008 && c <= 0x300F) return Punct::kQuote;          // 〈 〉 《 》 「 」 『 』
  if (c >= 0x301D && c <= 0x301F) return Punct::kQuote;          // 〝 〞 〟
  if (c >= 0x3014 && c <= 0x301B) {                              // 〔 〕 〖 〗 〘 〙 〚 〛
    return (c & 1) == 0 ? Punct::kOpenSquare : Punct::kCloseSquare;
  }
  return Punct::kNone;
}

// Bytes that can start a code point ClassifyPunct() does not map to kNone (the apostrophe maps to
// itself and is left out). Continuation bytes are never set, so a byte-wise scan is safe.
constexpr unsigned char kPunctLeadBytes[] = {'"', '`', '.', 0xC2, 0xCE, 0xE1, 0xE2, 0xE3, 0xEF};
struct PunctLeads {
  bool lead[256];
  constexpr PunctLeads() : lead() {
    for (unsigned char b : kPunctLeadBytes) lead[b] = true;
  }
};
constexpr PunctLeads kPunctLeads;

// The first position at or after `pos` whose byte kPunctLeads marks, or `size`. Korean text has
// none for long stretches (its lead bytes are EA..ED), so blocks of 16 are tested at once.
inline size_t NextPunctLead(const unsigned char* s, size_t pos, size_t size) {
#if defined(__SSE2__)
  for (; size - pos >= 16; pos += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos));
    __m128i hit = _mm_setzero_si128();
    for (unsigned char b : kPunctLeadBytes) {
      hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(b))));
    }
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  while (pos < size && !kPunctLeads.lead[s[pos]]) ++pos;
  return pos;
}

inline Punct PunctAt(std::string_view s, size_t pos, size_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  if (p[0] < 0x80) {
    *len = 1;
    return ClassifyPunct(p[0]);
  }
  return ClassifyPunct(DecodeNonAscii(p, len));
}

// Writes `text` with punctuation unified to `*out` (replacing its content). Returns whether
// anything changed; when nothing did, `*out` is left empty and the caller keeps `text`.
bool UnifyPunctuation(std::string_view text, std::string* out) {
  out->clear();
  size_t copied = 0;
  bool changed = false;
  const auto* const bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t pos = 0; pos < text.size();) {
    pos = NextPunctLead(bytes, pos, text.size());
    if (pos == text.size()) break;
    // A lone '.' (not followed by another dot, which is never ASCII except '.') stays as it is.
    if (bytes[pos] == '.' && (pos + 1 == text.size() || (bytes[pos + 1] < 0x80 &&
                                                          bytes[pos + 1] != '.'))) {
      ++pos;
      continue;
    }
    size_t len;
    const Punct p = PunctAt(text, pos, &len);
    if (p == Punct::kNone) {
      pos += len;
      continue;
    }
    size_t end = pos + len;
    std::string_view replacement;
    switch (p) {
      case Punct::kQuote: replacement = "'"; break;
      case Punct::kOpenSquare: replacement = "["; break;
      case Punct::kCloseSquare: replacement = "]"; break;
      case Punct::kOpenRound: replacement = "("; break;
      case Punct::kCloseRound: replacement = ")"; break;
      default: {
        // A run of dots: two or more, or any ellipsis in it, is one ellipsis.
        size_t count = 1;
        bool ellipsis = p == Punct::kEllipsis;
        while (end < text.size()) {
          size_t next_len;
          const Punct q = PunctAt(text, end, &next_len);
          if (q != Punct::kPeriod && q != Punct::kMiddleDot && q != Punct::kEllipsis) break;
          ellipsis |= q == Punct::kEllipsis;
          ++count;
          end += next_len;
        }
        if (ellipsis || count >= 2) {
          replacement = "\u2026";
        } else {
          replacement = p == Punct::kPeriod ? "." : "\u00B7";
        }
        break;
      }
    }
    if (text.compare(pos, end - pos, replacement) != 0) {
      if (!changed) out->reserve(text.size() + text.size() / 2);
      out->append(text.data() + copied, pos - copied);
      out->append(replacement.data(), replacement.size());
      copied = end;
      changed = true;
    }
    pos = end;
  }
  if (changed) out->append(text.data() + copied, text.size() - copied);
  return changed;
}

}  // namespace

// Replacement policy: one U+FFFD per "maximal subpart" of an ill-formed sequence (Unicode 15,
// section 3.9, "U+FFFD Substitution of Maximal Subparts"; also what WHATWG, ICU and Python do).
// A truncated sequence (E2 82 then "a") is one U+FFFD; a byte that cannot start or continue a
// sequence (C0, F5..FF, a stray continuation) is one U+FFFD each.
size_t RepairUtf8(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  const auto* const start = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = start + text.size();
  const auto* p = start;
  const auto* run = start;  // start of the pending valid run
  size_t replaced = 0;
  while (p < end) {
    p += AsciiPrefix(p, end);
    if (p == end) break;
    const int n = CheckSequence(p, end);
    if (n > 0) {
      p += n;
      continue;
    }
    out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    out->append(kReplacement, 3);
    ++replaced;
    p += -n;
    run = p;
  }
  out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(end - run));
  return replaced;
}

Normalizer::Normalizer(NormalizeOptions options, NewsRules rules)
    : options_(options), rules_(std::move(rules)) {}

// Step 2, when there is markup, writes the thread's `markup` buffer, which becomes `text`. Steps
// 3-4 write `*out`; each later step that changes the text writes the thread's `stage`
// buffer, which is then swapped with `*out`.
size_t Normalizer::Normalize(std::string_view text, TextField field, std::string* out) const {
  Scratch& scratch = ThreadScratch();
  if (!text.empty() && text.data() >= out->data() && text.data() < out->data() + out->size()) {
    scratch.alias.assign(text);
    text = scratch.alias;
  }

  // Pure ASCII takes its own path. Other text is checked as it is normalized; if it turns out
  // to be ill-formed, it is repaired and normalized again. The scan for the ASCII prefix also
  // looks for markup; the rest of other text is scanned for it below, if step 2 is on.
  const auto* start = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = start + text.size();
  size_t markup = text.size();  // the first '<' or '&'
  const auto* p = start + AsciiPrefixAndMarkup(start, end, &markup);
  bool ascii = p == end;
  size_t replaced = 0;

  if (!options_.enabled) {
    if (IsValidUtf8(p, end)) {
      out->assign(text);
    } else {
      replaced = RepairUtf8(text, &scratch.repaired);
      out->swap(scratch.repaired);  // leaves the scratch with `out`'s old buffer
    }
    return replaced;
  }

  // Step 2 comes after step 1: removing a tag must not join the halves of a broken sequence
  // into a valid one. So text with markup is validated (and repaired) first; text without it
  // (one scan) is validated as it is normalized, below.
  bool valid = false;  // known to be valid UTF-8
  if (options_.strip_markup && markup == text.size() && !ascii) {
    const size_t from = static_cast<size_t>(p - start);
    markup = from + FindMarkup(text.substr(from));
  }
  if (options_.strip_markup && markup != text.size()) {
    if (!ascii && !IsValidUtf8(p, end)) {
      replaced = RepairUtf8(text, &scratch.repaired);
      text = scratch.repaired;
    }
    valid = true;
    if (StripMarkup(text, &scratch.markup)) {
      text = scratch.markup;
      start = reinterpret_cast<const unsigned char*>(text.data());
      end = start + text.size();
      ascii = AsciiPrefix(start, end) == text.size();
    }
  }

  const bool title = field == TextField::kTitle;
  const bool boilerplate = !title && options_.strip_boilerplate;
  // Boilerplate removal needs the line structure: white space is collapsed first, but a run
  // with a line break becomes '\n'; StripBoilerplate then joins the lines.
  const bool collapse = options_.collapse_whitespace;
  const bool unify = options_.unify_punctuation;
  if (ascii) {
    NormalizeAscii(text, options_.casefold, collapse, unify, boilerplate, out);
    // The byte map did the quotes; only runs of periods are left.
    if (unify && out->find("..") != std::string::npos && UnifyPunctuation(*out, &scratch.stage)) {
      out->swap(scratch.stage);
    }
  } else {
    int options = 0;
    if (options_.nfkc) options |= UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    if (options_.casefold) options |= UTF8PROC_CASEFOLD;
    if (!NormalizeUnicode(text, static_cast<utf8proc_option_t>(options), options_.casefold,
                          collapse, boilerplate, unify, /*validate=*/!valid, out)) {
      replaced = RepairUtf8(text, &scratch.repaired);
      text = scratch.repaired;
      NormalizeUnicode(text, static_cast<utf8proc_option_t>(options), options_.casefold, collapse,
                       boilerplate, unify, /*validate=*/false, out);
    }
    if (unify && UnifyPunctuation(*out, &scratch.stage)) out->swap(scratch.stage);
  }

  if (options_.aliases && !rules_.aliases().empty() && rules_.MayHaveAliases(*out)) {
    if (rules_.ApplyAliases(*out, &scratch.stage) > 0) out->swap(scratch.stage);
  }

  if (title) {
    if (options_.strip_headline_tags) {
      const std::string_view kept = rules_.StripHeadlineTags(*out);
      const size_t offset = static_cast<size_t>(kept.data() - out->data());
      const size_t size = kept.size();
      out->erase(offset + size);
      out->erase(0, offset);
    }
  } else if (boilerplate) {
    rules_.StripBoilerplate(*out, options_.collapse_whitespace, &scratch.stage);
    out->swap(scratch.stage);
  }
  return replaced;
}

std::string NormalizeStepsName(const NormalizeOptions& n) {
  if (!n.enabled) return "none";
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(n.strip_markup, "markup");
  add(n.nfkc, "nfkc");
  add(n.casefold, "casefold");
  add(n.unify_punctuation, "punct");
  add(n.aliases, "aliases");
  add(n.strip_headline_tags, "tags");
  add(n.strip_boilerplate, "boilerplate");
  add(n.collapse_whitespace, "whitespace");
  return out.empty() ? "repair-only" : out;
}

absl::StatusOr<NormalizeOptions> ParseNormalizeSteps(std::string_view text) {
  NormalizeOptions o;
  if (text == "default") return o;
  if (text == "none") {
    o.enabled = false;
    return o;
  }
  // In step order, as NormalizeStepsName() writes them.
  static constexpr std::pair<std::string_view, bool NormalizeOptions::*> kSteps[] = {
      {"markup", &NormalizeOptions::strip_markup},
      {"nfkc", &NormalizeOptions::nfkc},
      {"casefold", &NormalizeOptions::casefold},
      {"punct", &NormalizeOptions::unify_punctuation},
      {"aliases", &NormalizeOptions::aliases},
      {"tags", &NormalizeOptions::strip_headline_tags},
      {"boilerplate", &NormalizeOptions::strip_boilerplate},
      {"whitespace", &NormalizeOptions::collapse_whitespace}};
  // A list starting with "default" removes (or adds) steps; otherwise it names the steps to run.
  std::vector<std::string_view> items;
  for (size_t begin = 0;;) {
    const size_t comma = text.find(',', begin);
    items.push_back(text.substr(begin, comma - begin));
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  const bool from_default = items[0] == "default";
  if (!from_default) {
    for (const auto& [name, member] : kSteps) o.*member = false;
    if (text == "repair-only") return o;
  }
  for (size_t i = from_default ? 1 : 0; i < items.size(); ++i) {
    std::string_view item = items[i];
    const bool remove = !item.empty() && item[0] == '-';
    if (remove) item.remove_prefix(1);
    bool found = false;
    for (const auto& [name, member] : kSteps) {
      if (name == item) {
        o.*member = !remove;
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          "unknown normalization step \"" + std::string(item) +
          "\" (steps: markup, nfkc, casefold, punct, aliases, tags, boilerplate, whitespace; or "
          "default, none)");
    }
  }
  return o;
}

}  // namespace neardup
