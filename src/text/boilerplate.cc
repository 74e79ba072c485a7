// boilerplate.cc: NewsRules::StripBoilerplate, the removal of notices, credits, datelines,
// bylines and e-mail addresses from news text (news_rules.h), and the index of its one scan.
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/container/inlined_vector.h"
#include "neardup/text/news_rules.h"
#include "text/news_rules_internal.h"

namespace neardup {
namespace {

using namespace news_internal;  // IsAsciiSpace, LineBreakAt, StartsWith, EndsWith, TrimAscii

// Datelines end their byline with one of these before the '='.
constexpr std::array<std::string_view, 4> kBylineEnds = {"기자", "특파원", "통신원", "기자들"};

constexpr std::string_view kSentenceEnds[] = {".", "!", "?", "'", "\"", ")", "]", "\u2026", "다"};

}  // namespace

// --- Boilerplate -------------------------------------------------------------------------------

namespace {

struct Range {
  size_t begin, end;
};

// At most this many removals a line are tracked; more are left in place (never seen in news).
constexpr size_t kMaxRanges = 32;

class RangeList {
 public:
  void Add(size_t begin, size_t end) {
    if (n_ < kMaxRanges && begin < end) ranges_[n_++] = {begin, end};
  }
  size_t size() const { return n_; }
  void Clear() { n_ = 0; }
  // Sorts and merges overlapping ranges.
  void Normalize() {
    std::sort(ranges_.begin(), ranges_.begin() + n_,
              [](const Range& a, const Range& b) { return a.begin < b.begin; });
    size_t m = 0;
    for (size_t i = 0; i < n_; ++i) {
      if (m > 0 && ranges_[i].begin <= ranges_[m - 1].end) {
        ranges_[m - 1].end = std::max(ranges_[m - 1].end, ranges_[i].end);
      } else {
        ranges_[m++] = ranges_[i];
      }
    }
    n_ = m;
  }
  const Range& operator[](size_t i) const { return ranges_[i]; }

 private:
  std::array<Range, kMaxRanges> ranges_;
  size_t n_ = 0;
};

inline bool IsEmailLocal(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '%' || c == '+' || c == '-';
}
inline bool IsEmailDomain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}
inline bool IsAsciiLetter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// E-mail addresses in line [begin, end) of `s`.
void FindEmails(std::string_view s, size_t begin, size_t end, RangeList* ranges) {
  for (size_t at = s.find('@', begin); at != std::string_view::npos && at < end;
       at = s.find('@', at + 1)) {
    size_t l = at;
    while (l > begin && IsEmailLocal(static_cast<unsigned char>(s[l - 1]))) --l;
    size_t r = at + 1;
    while (r < end && IsEmailDomain(static_cast<unsigned char>(s[r]))) ++r;
    while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) --r;  // sentence period
    if (l == at) continue;
    const std::string_view domain = s.substr(at + 1, r - at - 1);
    const size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    bool tld_letters = true;
    for (size_t i = dot + 1; i < domain.size(); ++i) {
      tld_letters &= IsAsciiLetter(static_cast<unsigned char>(domain[i]));
    }
    if (tld_letters) ranges->Add(l, r);
  }
}

// The bracket pair around `pos` within line [begin, end): the nearest opener of < ( [ before it
// and its closer after it, both within `reach` bytes. Returns false if there is none.
bool EnclosingBrackets(std::string_view s, size_t begin, size_t end, size_t pos, size_t reach,
                       Range* range) {
  static constexpr char kOpen[] = "<([";
  static constexpr char kClose[] = ">)]";
  const size_t lo = pos > begin + reach ? pos - reach : begin;
  for (size_t i = pos; i > lo; --i) {
    const char* open = std::strchr(kOpen, s[i - 1]);
    if (open == nullptr || *open == '\0') continue;
    const char close = kClose[open - kOpen];
    const size_t hi = std::min(end, pos + reach);
    for (size_t j = pos; j < hi; ++j) {
      if (s[j] == close) {
        *range = {i - 1, j + 1};
        return true;
      }
    }
    return false;
  }
  return false;
}

// A dateline "(서울=연합뉴스)" / "[서울=뉴시스]" at `pos` and a byline "홍길동 기자 =" after it (or
// alone). Returns the end of what to remove, or `pos` if there is neither.
size_t DatelineEnd(std::string_view s, size_t pos, size_t end) {
  constexpr size_t kReach = 90;  // about 30 Hangul code points
  size_t cut = pos;
  static constexpr std::array<BracketPair, 4> kDateline = {
      {{"(", ")"}, {"[", "]"}, {"\u3010", "\u3011"}, {"\u3014", "\u3015"}}};
  for (const BracketPair& b : kDateline) {
    if (!StartsWith(s.substr(pos, end - pos), b.open)) continue;
    const std::string_view window = s.substr(pos, std::min(end - pos, kReach));
    const size_t close = window.find(b.close);
    if (close == std::string_view::npos) break;
    if (window.substr(0, close).find('=') == std::string_view::npos) break;
    cut = pos + close + b.close.size();
    break;
  }
  // Byline: up to '=' within reach, the text before it ending in 기자 / 특파원 / 통신원.
  size_t p = cut;
  while (p < end && IsAsciiSpace(static_cast<unsigned char>(s[p]))) ++p;
  const std::string_view window = s.substr(p, std::min(end - p, kReach));
  const size_t eq = window.find('=');
  if (eq != std::string_view::npos) {
    const std::string_view before = TrimAscii(window.substr(0, eq));
    for (std::string_view word : kBylineEnds) {
      if (EndsWith(before, word)) {
        cut = p + eq + 1;
        break;
      }
    }
  }
  if (cut == pos) return pos;
  while (cut < end && IsAsciiSpace(static_cast<unsigned char>(s[cut]))) ++cut;  // and the gap
  return cut;
}

}  // namespace

// The needles of StripBoilerplate's scan: each notice group's prefix (needle g for group g), then
// this one.
constexpr std::string_view kPhotoCredit = "사진=";

struct NewsRules::BoilerplateIndex {
  // Every needle is found by testing two of its bytes at each position (`probe` offsets, the two
  // after the first where it is long enough: the lead byte of a Hangul syllable says little),
  // then comparing it whole.
  struct Needle {
    std::string text;
    size_t probe0, probe1;
  };
  std::vector<Needle> needles;
  size_t photo = 0;  // index of kPhotoCredit in `needles`
  // credit_by_last[b]: indices into credit_words_ of the words whose last byte is b, in the
  // order of credit_words_ (longest first), so the first match in a bucket is the first overall.
  std::array<std::vector<uint32_t>, 256> credit_by_last;
};

void NewsRules::RebuildBoilerplateIndex() {
  auto index = std::make_shared<BoilerplateIndex>();
  const auto add = [&](std::string_view text) {
    const size_t n = text.size();
    const size_t p0 = n >= 3 ? 1 : 0, p1 = n >= 3 ? 2 : n - 1;
    index->needles.push_back({std::string(text), p0, p1});
    return index->needles.size() - 1;
  };
  for (const auto& group : notice_groups_) add(group.first);
  index->photo = add(kPhotoCredit);
  for (size_t i = 0; i < credit_words_.size(); ++i) {
    const unsigned char last = static_cast<unsigned char>(credit_words_[i].back());
    index->credit_by_last[last].push_back(static_cast<uint32_t>(i));
  }
  boilerplate_index_ = std::move(index);
}

namespace {

struct NeedleHit {
  size_t pos;     // byte offset in the text
  size_t needle;  // index into BoilerplateIndex::needles
};
using NeedleHits = absl::InlinedVector<NeedleHit, 16>;

// Appends to `*hits` every occurrence of every needle in `s` (overlapping ones too), by position
// and, at one position, by needle. Needles are short and occurrences rare: blocks of 16 positions
// are tested for the two probe bytes of every needle at once, and only positions that pass are
// compared.
template <typename Needles>
void FindNeedles(std::string_view s, const Needles& needles, NeedleHits* hits) {
  const auto* const p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  const auto check = [&](size_t i) {
    for (size_t k = 0; k < needles.size(); ++k) {
      const std::string& t = needles[k].text;
      if (t.size() <= n - i && p[i] == static_cast<unsigned char>(t[0]) &&
          std::memcmp(p + i, t.data(), t.size()) == 0) {
        hits->push_back({i, k});
      }
    }
  };
  size_t i = 0;
#if defined(__SSE2__)
  constexpr size_t kMaxProbe = 2;  // probe offsets are 0..2 (see RebuildBoilerplateIndex)
  constexpr size_t kMaxNeedles = 16;
  if (needles.size() <= kMaxNeedles) {
    __m128i probe0[kMaxNeedles], probe1[kMaxNeedles];
    size_t off0[kMaxNeedles], off1[kMaxNeedles];
    for (size_t k = 0; k < needles.size(); ++k) {
      const std::string& t = needles[k].text;
      off0[k] = needles[k].probe0;
      off1[k] = needles[k].probe1;
      probe0[k] = _mm_set1_epi8(t[off0[k]]);
      probe1[k] = _mm_set1_epi8(t[off1[k]]);
    }
    for (; n - i >= 16 + kMaxProbe; i += 16) {
      __m128i at[kMaxProbe + 1];
      for (size_t o = 0; o <= kMaxProbe; ++o) {
        at[o] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + o));
      }
      __m128i any = _mm_setzero_si128();
      for (size_t k = 0; k < needles.size(); ++k) {
        any = _mm_or_si128(any, _mm_and_si128(_mm_cmpeq_epi8(at[off0[k]], probe0[k]),
                                              _mm_cmpeq_epi8(at[off1[k]], probe1[k])));
      }
      for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(any)); mask != 0;
           mask &= mask - 1) {
        check(i + static_cast<size_t>(__builtin_ctz(mask)));
      }
    }
  }
#endif
  for (; i < n; ++i) check(i);
}

}  // namespace

namespace {

// The notice markers in one line (the scan's hits [first, last) start in it): true when the line
// is dropped whole (a marker in a line of at most 200 code points); otherwise the bracketed
// notice around each marker goes to `ranges`. Every occurrence of a marker starts with its
// group's prefix, and the hits come in order.
bool MarkNotices(std::string_view s, size_t line_begin, size_t line_end, const NeedleHits& hits,
                 size_t first, size_t last,
                 const std::vector<std::pair<std::string, std::vector<size_t>>>& groups,
                 const std::vector<std::string>& markers,
                 absl::InlinedVector<size_t, 8>* marker_at, RangeList* ranges) {
  const std::string_view line = s.substr(line_begin, line_end - line_begin);
  marker_at->assign(markers.size(), std::string_view::npos);
  for (size_t h = first; h < last; ++h) {
    if (hits[h].needle >= groups.size()) continue;
    const size_t at = hits[h].pos - line_begin;
    for (const size_t i : groups[hits[h].needle].second) {
      if ((*marker_at)[i] == std::string_view::npos && StartsWith(line.substr(at), markers[i])) {
        (*marker_at)[i] = at;
      }
    }
  }
  for (size_t i = 0; i < markers.size(); ++i) {
    const size_t m = (*marker_at)[i];
    if (m == std::string_view::npos) continue;
    size_t cps = 0;
    for (unsigned char c : line) cps += (c & 0xC0) != 0x80;
    if (cps <= 200) return true;
    Range r;
    if (EnclosingBrackets(s, line_begin, line_end, line_begin + m, 300, &r)) {
      ranges->Add(r.begin, r.end);
    }
  }
  return false;
}

// A credit at the end of a line (`trimmed`: the line without its outer white space), such as
// "연합뉴스 제공" or "(사진=뉴스1)": true when the line is nothing else (drop it); a credit after a
// sentence end and white space goes to `ranges`. by_last[b]: the words ending in byte b.
bool MarkCredit(std::string_view s, std::string_view trimmed, size_t line_end,
                const std::vector<std::string>& words,
                const std::array<std::vector<uint32_t>, 256>& by_last, RangeList* ranges) {
  std::string_view t = trimmed;
  bool closer = false;
  if (t.back() == ')' || t.back() == ']') {
    closer = true;
    t.remove_suffix(1);
  }
  if (EndsWith(t, "제공")) t = TrimAscii(t.substr(0, t.size() - std::strlen("제공")));
  bool credit = false;
  if (!t.empty()) {  // only the words ending in t's last byte can end t
    for (const uint32_t w : by_last[static_cast<unsigned char>(t.back())]) {
      const std::string& word = words[w];
      if (EndsWith(t, word)) {
        t.remove_suffix(word.size());
        credit = true;
        break;
      }
    }
  }
  if (credit && EndsWith(t, "사진=")) t.remove_suffix(std::strlen("사진="));
  if (credit && closer) {
    credit = !t.empty() && t.back() == (trimmed.back() == ')' ? '(' : '[');
    if (credit) t.remove_suffix(1);
  }
  if (!credit) return false;
  const std::string_view before = TrimAscii(t);
  if (before.empty()) return true;
  if (before.size() < t.size()) {  // white space before the credit
    for (std::string_view end_mark : kSentenceEnds) {
      if (EndsWith(before, end_mark)) {
        ranges->Add(static_cast<size_t>(before.data() - s.data()) + before.size(), line_end);
        break;
      }
    }
  }
  return false;
}

// The removals inside a kept line: the dateline and byline at its start (`t_begin`: its first
// byte that is not white space), e-mail addresses, and photo credits in brackets, (사진=...) or
// [사진=...] (the scan's hits [first, last) with needle `photo`).
void MarkInLine(std::string_view s, size_t line_begin, size_t t_begin, size_t line_end,
                bool has_at, const NeedleHits& hits, size_t first, size_t last, size_t photo,
                RangeList* ranges) {
  const std::string_view line = s.substr(line_begin, line_end - line_begin);
  const size_t date_end = DatelineEnd(s, t_begin, line_end);
  if (date_end > t_begin) ranges->Add(t_begin, date_end);
  if (has_at && line.find('@') != std::string_view::npos) {
    FindEmails(s, line_begin, line_end, ranges);
  }
  for (size_t h = first; h < last; ++h) {
    if (hits[h].needle != photo || hits[h].pos + kPhotoCredit.size() > line_end) continue;
    const size_t at = hits[h].pos - line_begin;
    Range r;
    if (at > 0 && (line[at - 1] == '(' || line[at - 1] == '[') &&
        EnclosingBrackets(s, line_begin, line_end, line_begin + at, 120, &r)) {
      ranges->Add(r.begin, r.end);
    }
  }
}

}  // namespace

size_t NewsRules::StripBoilerplate(std::string_view s, bool collapse, std::string* out) const {
  // Output never outgrows the input: removals shrink it, and a removal or line break becomes at
  // most one space.
  out->resize(s.size() + 1);
  char* const base = out->data();
  char* dst = base;
  size_t removals = 0;
  RangeList ranges;
  absl::InlinedVector<size_t, 8> marker_at;
  // Notice markers and photo credits are found in one scan of the whole text; each line then
  // looks only at the hits inside it. Lines are searched for '@' only if the text has one.
  const BoilerplateIndex& index = *boilerplate_index_;
  NeedleHits hits;
  FindNeedles(s, index.needles, &hits);
  size_t hit = 0;
  const bool has_at = std::memchr(s.data(), '@', s.size()) != nullptr;

  // Appends [begin, end) of `s`. When collapsing, the input's lines are already collapsed, so
  // a part is trimmed and copied whole, and parts are joined by one space.
  const auto emit = [&](size_t begin, size_t end) {
    if (collapse) {
      while (begin < end && IsAsciiSpace(static_cast<unsigned char>(s[begin]))) ++begin;
      while (end > begin && IsAsciiSpace(static_cast<unsigned char>(s[end - 1]))) --end;
      if (begin == end) return;
      if (dst != base) *dst++ = ' ';
    }
    std::memcpy(dst, s.data() + begin, end - begin);
    dst += end - begin;
  };

  for (size_t line_begin = 0; line_begin < s.size();) {
    // Find the line end and the break after it.
    size_t line_end = line_begin, brk = 0;
    if (collapse) {  // collapsed input: lines end at '\n' only
      const void* nl = std::memchr(s.data() + line_begin, '\n', s.size() - line_begin);
      line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - s.data()) : s.size();
      brk = nl ? 1 : 0;
    }
    while (!collapse && line_end < s.size()) {
      const unsigned char b = static_cast<unsigned char>(s[line_end]);
      if ((b == '\n' || b == '\r' || b == 0xC2 || b == 0xE2) &&
          (brk = LineBreakAt(s, line_end)) != 0) {
        break;
      }
      ++line_end;
    }
    const size_t next = line_end + brk;
    const std::string_view line = s.substr(line_begin, line_end - line_begin);
    ranges.Clear();
    bool drop_line = false;

    // The hits that start in this line: [hit, line_hits_end). One that runs past the line end
    // is not in the line.
    while (hit < hits.size() && hits[hit].pos < line_begin) ++hit;
    size_t line_hits_end = hit;
    bool notice_hit = false;
    for (; line_hits_end < hits.size() && hits[line_hits_end].pos < line_end; ++line_hits_end) {
      notice_hit |= hits[line_hits_end].needle < notice_groups_.size();
    }

    if (notice_hit) {
      drop_line = MarkNotices(s, line_begin, line_end, hits, hit, line_hits_end, notice_groups_,
                              notice_markers_, &marker_at, &ranges);
    }

    // Credit words at the line end (or alone on the line).
    const std::string_view trimmed = TrimAscii(line);
    const size_t t_begin = trimmed.empty() ? line_end : static_cast<size_t>(trimmed.data() - s.data());
    if (!drop_line && !trimmed.empty() && !credit_words_.empty()) {
      drop_line = MarkCredit(s, trimmed, line_end, credit_words_, index.credit_by_last, &ranges);
    }

    if (!drop_line) {
      MarkInLine(s, line_begin, t_begin, line_end, has_at, hits, hit, line_hits_end, index.photo,
                 &ranges);
    }

    if (drop_line) {
      ++removals;
      if (!collapse) {
        std::memcpy(dst, s.data() + line_end, brk);
        dst += brk;
      }
    } else {
      ranges.Normalize();
      removals += ranges.size();
      size_t p = line_begin;
      for (size_t i = 0; i < ranges.size(); ++i) {
        emit(p, ranges[i].begin);
        p = ranges[i].end;
      }
      emit(p, line_end);
      if (!collapse) {
        std::memcpy(dst, s.data() + line_end, brk);
        dst += brk;
      }
    }
    line_begin = next;
  }
  out->resize(static_cast<size_t>(dst - base));
  return removals;
}

}  // namespace neardup
