#include "neardup/text/markup.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Text without '<' and '&' (most of it) costs one SSE2 scan and is not copied. Otherwise the
// output is written into `*out` sized to the input once: nothing StripMarkup() writes is longer
// than what it replaces (the shortest reference, "&lt;", is 4 bytes; a code point is at most 4
// bytes and needs at least "&#65536;" or "&#x10000;"; a tag is at least 3 bytes). For the named
// references this is checked at compile time, below.

namespace neardup {
namespace {

struct NamedReference {
  const char* name;
  char32_t code_point;
};

// HTML 4.01's 252 entities, apos, and HTML5's upper-case AMP COPY GT LT QUOT REG TRADE, sorted by
// name as bytes (upper case first) for binary search. Generated from Python's
// html.entities.name2codepoint (which is the HTML 4.01 list).
constexpr NamedReference kNamedReferences[] = {
    {"AElig", 0xC6}, {"AMP", 0x26}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0},
    {"Alpha", 0x391}, {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Beta", 0x392},
    {"COPY", 0xA9}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021}, {"Delta", 0x394},
    {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Egrave", 0xC8}, {"Epsilon", 0x395},
    {"Eta", 0x397}, {"Euml", 0xCB}, {"GT", 0x3E}, {"Gamma", 0x393}, {"Iacute", 0xCD},
    {"Icirc", 0xCE}, {"Igrave", 0xCC}, {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A},
    {"LT", 0x3C}, {"Lambda", 0x39B}, {"Mu", 0x39C}, {"Ntilde", 0xD1}, {"Nu", 0x39D},
    {"OElig", 0x152}, {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"Phi", 0x3A6},
    {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8}, {"QUOT", 0x22}, {"REG", 0xAE}, {"Rho", 0x3A1},
    {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE}, {"TRADE", 0x2122}, {"Tau", 0x3A4},
    {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Ugrave", 0xD9}, {"Upsilon", 0x3A5},
    {"Uuml", 0xDC}, {"Xi", 0x39E}, {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396},
    {"aacute", 0xE1}, {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0},
    {"alefsym", 0x2135}, {"alpha", 0x3B1}, {"amp", 0x26}, {"and", 0x2227}, {"ang", 0x2220},
    {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248}, {"atilde", 0xE3}, {"auml", 0xE4},
    {"bdquo", 0x201E}, {"beta", 0x3B2}, {"brvbar", 0xA6}, {"bull", 0x2022}, {"cap", 0x2229},
    {"ccedil", 0xE7}, {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5}, {"cup", 0x222A},
    {"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193}, {"deg", 0xB0},
    {"delta", 0x3B4}, {"diams", 0x2666}, {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA},
    {"egrave", 0xE8}, {"empty", 0x2205}, {"emsp", 0x2003}, {"ensp", 0x2002}, {"epsilon", 0x3B5},
    {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB}, {"euro", 0x20AC},
    {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200}, {"frac12", 0xBD}, {"frac14", 0xBC},
    {"frac34", 0xBE}, {"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E},
    {"hArr", 0x21D4}, {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED},
    {"icirc", 0xEE}, {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111}, {"infin", 0x221E},
    {"int", 0x222B}, {"iota", 0x3B9}, {"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF},
    {"kappa", 0x3BA}, {"lArr", 0x21D0}, {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB},
    {"larr", 0x2190}, {"lceil", 0x2308}, {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
    {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E}, {"lsaquo", 0x2039}, {"lsquo", 0x2018},
    {"lt", 0x3C}, {"macr", 0xAF}, {"mdash", 0x2014}, {"micro", 0xB5}, {"middot", 0xB7},
    {"minus", 0x2212}, {"mu", 0x3BC}, {"nabla", 0x2207}, {"nbsp", 0xA0}, {"ndash", 0x2013},
    {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209}, {"nsub", 0x2284},
    {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4}, {"oelig", 0x153},
    {"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9}, {"omicron", 0x3BF}, {"oplus", 0x2295},
    {"or", 0x2228}, {"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5},
    {"otimes", 0x2297}, {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"permil", 0x2030},
    {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6}, {"plusmn", 0xB1},
    {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F}, {"prop", 0x221D}, {"psi", 0x3C8},
    {"quot", 0x22}, {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB},
    {"rarr", 0x2192}, {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE},
    {"rfloor", 0x230B}, {"rho", 0x3C1}, {"rlm", 0x200F}, {"rsaquo", 0x203A}, {"rsquo", 0x2019},
    {"sbquo", 0x201A}, {"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD},
    {"sigma", 0x3C3}, {"sigmaf", 0x3C2}, {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282},
    {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9}, {"sup2", 0xB2},
    {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4}, {"there4", 0x2234},
    {"theta", 0x3B8}, {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC},
    {"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191},
    {"ucirc", 0xFB}, {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5},
    {"uuml", 0xFC}, {"weierp", 0x2118}, {"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5},
    {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

// The longest name above ("thetasym").
constexpr size_t kMaxNameBytes = 8;

constexpr size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}
constexpr size_t Utf8Length(char32_t c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}
constexpr bool Less(const char* a, const char* b) {
  size_t i = 0;
  while (a[i] != 0 && a[i] == b[i]) ++i;
  return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
}
// What NamedCharacterReference() and StripMarkup() rely on: the table is sorted, no name is
// longer than kMaxNameBytes, and no decoded reference is longer than "&name;".
constexpr bool TableIsSound() {
  for (size_t i = 0; i < std::size(kNamedReferences); ++i) {
    const NamedReference& r = kNamedReferences[i];
    if (Length(r.name) > kMaxNameBytes || Utf8Length(r.code_point) > Length(r.name) + 2) {
      return false;
    }
    if (i > 0 && !Less(kNamedReferences[i - 1].name, r.name)) return false;
  }
  return true;
}
static_assert(TableIsSound());
static_assert(std::size(kNamedReferences) == 260);

// HTML5's numeric reference table for 0x80..0x9F (Windows-1252); 0 where the value is kept.
constexpr char16_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 88-8F
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178}; // 98-9F

// Inline (phrasing) tags, lower case: removed without a trace. Every other tag is a line break.
constexpr std::string_view kInlineTags[] = {
    "a",    "abbr", "b",    "bdi",  "bdo",   "big",  "cite",   "code", "data", "del",  "dfn",
    "em",   "font", "i",    "ins",  "kbd",   "mark", "nobr",   "q",    "s",    "small", "span",
    "strike", "strong", "sub", "sup", "time", "tt",  "u",      "var",  "wbr"};
constexpr size_t kMaxInlineTagBytes = 6;  // "strong", "strike"

// Byte classes for tags.
enum : uint8_t {
  kTagName = 1,        // letters, digits, - _ :
  kAttributeName = 2,  // printable ASCII but white space " ' < > / =
  kUnquotedValue = 4,  // printable ASCII but " ' < >, and non-ASCII bytes
  kTagSpace = 8,       // space \t \n \f \r
};
struct TagBytes {
  uint8_t of[256];
  constexpr TagBytes() : of() {
    for (int c = 0; c < 256; ++c) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      const bool printable = c > 0x20 && c < 0x7F;
      uint8_t bits = 0;
      if (alnum || c == '-' || c == '_' || c == ':') bits |= kTagName;
      if (printable && c != '"' && c != '\'' && c != '<' && c != '>' && c != '/' && c != '=') {
        bits |= kAttributeName;
      }
      if ((printable && c != '"' && c != '\'' && c != '<' && c != '>') || c >= 0x80) {
        bits |= kUnquotedValue;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r') bits |= kTagSpace;
      of[c] = bits;
    }
  }
};
constexpr TagBytes kTagBytes;

inline bool Is(unsigned char c, uint8_t cls) { return (kTagBytes.of[c] & cls) != 0; }
inline bool IsAsciiLetter(unsigned char c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

bool IsInlineTag(std::string_view name) {
  if (name.size() > kMaxInlineTagBytes) return false;
  char lower[kMaxInlineTagBytes];
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
  const std::string_view key(lower, name.size());
  return std::find(std::begin(kInlineTags), std::end(kInlineTags), key) != std::end(kInlineTags);
}

// Where the next "-->" is, remembered: positions only grow during one StripMarkup() call, so a
// search is repeated only once the text has passed the previous answer, and a text with an
// unterminated "<!--" is not searched to its end again for every later "<!--".
class CommentEnds {
 public:
  explicit CommentEnds(std::string_view text) : text_(text) {}
  // The first "-->" at or after `from`, or npos.
  size_t Find(size_t from) {
    if (!known_ || (at_ != std::string_view::npos && at_ < from)) {
      at_ = text_.find("-->", from);
      known_ = true;
    }
    return at_;
  }

 private:
  std::string_view text_;
  bool known_ = false;
  size_t at_ = 0;
};

enum class Tag { kNone, kInline, kBlock, kComment };

// Whether a tag or a comment starts at `pos` (a '<'); if so, sets `*end` just past it. See
// markup.h for the grammar.
Tag MatchTag(std::string_view text, size_t pos, CommentEnds& comments, size_t* end) {
  const auto* const s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = pos + 1;
  if (i < n && s[i] == '!') {
    if (n - i < 3 || s[i + 1] != '-' || s[i + 2] != '-') return Tag::kNone;
    const size_t close = comments.Find(pos + 2);  // "<!-->" is a whole comment
    if (close == std::string_view::npos) return Tag::kNone;
    *end = close + 3;
    return Tag::kComment;
  }
  if (i < n && s[i] == '/') ++i;
  if (i >= n || !IsAsciiLetter(s[i])) return Tag::kNone;
  const size_t name_begin = i;
  while (i < n && Is(s[i], kTagName)) ++i;
  const std::string_view name = text.substr(name_begin, i - name_begin);
  const size_t limit = std::min(n, pos + kMaxTagBytes);
  // Here, and after each attribute: white space, then "/>", ">" or another attribute. Only a
  // quoted value may be followed by an attribute without white space between them.
  bool separated = false;
  for (;;) {
    while (i < limit && Is(s[i], kTagSpace)) {
      ++i;
      separated = true;
    }
    if (i >= limit) return Tag::kNone;
    if (s[i] == '>') break;
    if (s[i] == '/') {
      if (i + 1 < limit && s[i + 1] == '>') {
        ++i;
        break;
      }
      return Tag::kNone;
    }
    if (!separated || !Is(s[i], kAttributeName)) return Tag::kNone;
    while (i < limit && Is(s[i], kAttributeName)) ++i;
    separated = false;
    size_t j = i;
    while (j < limit && Is(s[j], kTagSpace)) ++j;
    if (j >= limit || s[j] != '=') continue;  // a name without a value
    ++j;
    while (j < limit && Is(s[j], kTagSpace)) ++j;
    if (j >= limit) return Tag::kNone;
    if (s[j] == '"' || s[j] == '\'') {
      const void* close = std::memchr(s + j + 1, s[j], limit - j - 1);
      if (close == nullptr) return Tag::kNone;
      i = static_cast<size_t>(static_cast<const unsigned char*>(close) - s) + 1;
      separated = true;
    } else {
      const size_t value = j;
      while (j < limit && Is(s[j], kUnquotedValue)) ++j;
      if (j == value) return Tag::kNone;
      i = j;
    }
  }
  *end = i + 1;
  return IsInlineTag(name) ? Tag::kInline : Tag::kBlock;
}

inline int DigitValue(unsigned char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (hex) {
    const unsigned char lower = c | 0x20;
    if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  }
  return -1;
}

// The code point HTML5 gives the numeric reference with `value` (saturated at 0x110000).
char32_t NumericReference(uint32_t value) {
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0xFFFD;
  if (value >= 0x80 && value <= 0x9F && kWindows1252[value - 0x80] != 0) {
    return kWindows1252[value - 0x80];
  }
  return value;
}

// Whether a character reference that StripMarkup() decodes starts at `pos` (a '&'); if so, sets
// `*code_point` and `*end` just past its ';'.
bool MatchReference(std::string_view text, size_t pos, char32_t* code_point, size_t* end) {
  const auto* const s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = pos + 1;
  if (i < n && s[i] == '#') {
    ++i;
    const bool hex = i < n && (s[i] | 0x20) == 'x';
    if (hex) ++i;
    const size_t digits = i;
    uint32_t value = 0;
    for (int d; i < n && (d = DigitValue(s[i], hex)) >= 0; ++i) {
      value = std::min<uint32_t>(value * (hex ? 16 : 10) + static_cast<uint32_t>(d), 0x110000);
    }
    if (i == digits || i >= n || s[i] != ';') return false;
    *code_point = NumericReference(value);
    *end = i + 1;
    return true;
  }
  const size_t name_begin = i;
  while (i < n && i - name_begin <= kMaxNameBytes &&
         (IsAsciiLetter(s[i]) || (s[i] >= '0' && s[i] <= '9'))) {
    ++i;
  }
  if (i == name_begin || i >= n || s[i] != ';') return false;
  const char32_t c = NamedCharacterReference(text.substr(name_begin, i - name_begin));
  if (c == 0) return false;
  *code_point = c;
  *end = i + 1;
  return true;
}

// Writes `c` as UTF-8 at `dst`; returns the number of bytes.
size_t EncodeUtf8(char32_t c, char* dst) {
  if (c < 0x80) {
    dst[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    dst[0] = static_cast<char>(0xC0 | (c >> 6));
    dst[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    dst[0] = static_cast<char>(0xE0 | (c >> 12));
    dst[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    dst[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  dst[0] = static_cast<char>(0xF0 | (c >> 18));
  dst[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  dst[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  dst[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

}  // namespace

size_t FindMarkup(std::string_view text) {
  const auto* const s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t pos = 0;
#if defined(__SSE2__)
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i amp = _mm_set1_epi8('&');
  for (; n - pos >= 16; pos += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + pos));
    const unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp))));
    if (mask != 0) return pos + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  while (pos < n && s[pos] != '<' && s[pos] != '&') ++pos;
  return pos;
}

char32_t NamedCharacterReference(std::string_view name) {
  const auto it = std::lower_bound(
      std::begin(kNamedReferences), std::end(kNamedReferences), name,
      [](const NamedReference& r, std::string_view key) { return std::string_view(r.name) < key; });
  if (it == std::end(kNamedReferences) || std::string_view(it->name) != name) return 0;
  return it->code_point;
}

bool StripMarkup(std::string_view text, std::string* out) {
  out->clear();
  const size_t n = text.size();
  size_t pos = FindMarkup(text);
  if (pos == n) return false;
  CommentEnds comments(text);
  char* dst = nullptr;  // set at the first change
  size_t copied = 0;    // text before this is in `*out`
  // Copies the text before `pos` that is not yet in `*out`.
  const auto flush = [&] {
    if (dst == nullptr) {
      out->resize(n);  // never outgrown, see the top of this file
      dst = out->data();
    }
    std::memcpy(dst, text.data() + copied, pos - copied);
    dst += pos - copied;
  };
  while (pos < n) {
    size_t end;
    if (text[pos] == '<') {
      const Tag tag = MatchTag(text, pos, comments, &end);
      if (tag == Tag::kNone) {
        ++pos;
      } else {
        flush();
        if (tag == Tag::kBlock) *dst++ = '\n';
        copied = pos = end;
      }
    } else {
      char32_t c;
      if (MatchReference(text, pos, &c, &end)) {
        flush();
        dst += EncodeUtf8(c, dst);
        copied = pos = end;
      } else {
        ++pos;
      }
    }
    pos += FindMarkup(text.substr(pos));
  }
  if (dst == nullptr) return false;
  flush();  // pos == n
  out->resize(static_cast<size_t>(dst - out->data()));
  return true;
}

}  // namespace neardup
