#include "neardup/text/news_rules.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include <utf8proc.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "neardup/text/normalize.h"

namespace neardup {
namespace {

// Debian's Abseil is built with its own absl::string_view, distinct from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

inline size_t CodePointLength(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Decodes the code point at `pos` of valid UTF-8 (a truncated tail decodes as its lead byte).
inline char32_t DecodeAt(std::string_view s, size_t pos, size_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t n = std::min(CodePointLength(p[0]), s.size() - pos);
  *len = n;
  switch (n) {
    case 2: return (char32_t{p[0] & 0x1Fu} << 6) | (p[1] & 0x3Fu);
    case 3: return (char32_t{p[0] & 0x0Fu} << 12) | (char32_t{p[1] & 0x3Fu} << 6) | (p[2] & 0x3Fu);
    case 4:
      return (char32_t{p[0] & 0x07u} << 18) | (char32_t{p[1] & 0x3Fu} << 12) |
             (char32_t{p[2] & 0x3Fu} << 6) | (p[3] & 0x3Fu);
    default: return p[0];
  }
}

// Start of the code point that ends just before `pos` (pos > 0).
inline size_t PrevCodePoint(std::string_view s, size_t pos) {
  do {
    --pos;
  } while (pos > 0 && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80);
  return pos;
}

// Letters, marks and digits continue a token; anything else (space, punctuation, symbols) ends it.
bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

inline bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

// Line break at `pos`: \n, \r (a \r\n pair counts once), U+0085, U+2028, U+2029.
inline size_t LineBreakAt(std::string_view s, size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t left = s.size() - pos;
  if (p[0] == '\n') return 1;
  if (p[0] == '\r') return left >= 2 && p[1] == '\n' ? 2 : 1;
  if (p[0] == 0xC2 && left >= 2 && p[1] == 0x85) return 2;
  if (p[0] == 0xE2 && left >= 3 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) return 3;
  return 0;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         std::memcmp(s.data() + s.size() - suffix.size(), suffix.data(), suffix.size()) == 0;
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Entries are matched against normalized text, so they are normalized the same way (without the
// news steps, which would apply the rules to themselves).
std::string NormalizeEntry(std::string_view text) {
  NormalizeOptions options;
  options.unify_punctuation = false;
  options.aliases = false;
  options.strip_headline_tags = false;
  options.strip_boilerplate = false;
  static const Normalizer* const normalizer = new Normalizer(options, NewsRules());
  std::string out;
  normalizer->Normalize(text, TextField::kBody, &out);
  return out;
}

bool IsValidUtf8(std::string_view text) {
  std::string repaired;
  return RepairUtf8(text, &repaired) == 0;
}

// Bracket pairs a headline tag may sit in: the ASCII ones, the ones punctuation unification maps
// to them, and the full-width ones (for NFKC off).
struct BracketPair {
  std::string_view open, close;
};
constexpr std::array<BracketPair, 7> kTagBrackets = {{{"[", "]"},
                                                      {"(", ")"},
                                                      {"\u3010", "\u3011"},    // 【 】
                                                      {"\u3014", "\u3015"},    // 〔 〕
                                                      {"\u3016", "\u3017"},    // 〖 〗
                                                      {"\uFF3B", "\uFF3D"},    // ［ ］
                                                      {"\uFF08", "\uFF09"}}};  // （ ）

bool HasBracket(std::string_view s) {
  for (const BracketPair& b : kTagBrackets) {
    if (s.find(b.open) != std::string_view::npos || s.find(b.close) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

constexpr std::string_view kBo = "\uBCF4";  // 보, as in 1보, 2보

// Datelines end their byline with one of these before the '='.
constexpr std::array<std::string_view, 4> kBylineEnds = {"기자", "특파원", "통신원", "기자들"};

constexpr std::string_view kSentenceEnds[] = {".", "!", "?", "'", "\"", ")", "]", "\u2026", "다"};

}  // namespace

// --- Alias index -------------------------------------------------------------------------------

struct NewsRules::AliasIndex {
  struct Entry {
    std::string key, value;
    bool single;  // one code point: matches anywhere
  };
  std::array<bool, 256> lead{};                            // bytes that start some key
  bool ascii_lead = false;                                 // some key starts with ASCII
  std::vector<uint64_t> bmp = std::vector<uint64_t>(1024);  // first code points in the BMP
  absl::flat_hash_map<char32_t, std::vector<Entry>> by_first;  // longest key first

  bool MayStart(char32_t c) const {
    if (c < 0x10000) return (bmp[c >> 6] >> (c & 63)) & 1;
    return by_first.contains(c);
  }

  // The first code point start at or after `pos` in valid UTF-8 `s` at which a key may start
  // (`lead` lets it through and, for a three-byte code point, so does `bmp`), or `size`. A
  // three-byte code point (Hangul, Hanja) is looked up without decoding it: its `bmp` word is
  // given by the lead and second byte, its bit by the third.
  size_t NextCandidate(const unsigned char* s, size_t pos, size_t size) const {
    const unsigned char* p = s + pos;
    const unsigned char* const end = s + size;
    const uint64_t* const words = bmp.data();
    while (end - p >= 3) {
      const unsigned b = p[0];
      if ((b & 0xF0) == 0xE0) {
        const uint64_t word = words[((b & 0x0Fu) << 6) | (p[1] & 0x3Fu)];
        if ((word >> (p[2] & 0x3Fu)) & 1) break;
        p += 3;
      } else if (lead[b]) {
        break;
      } else {
        p += CodePointLength(static_cast<unsigned char>(b));
      }
    }
    // The last two bytes (or a candidate): the general path decides.
    while (p < end && !lead[*p]) p += CodePointLength(*p);
    return p < end ? static_cast<size_t>(p - s) : size;
  }
};

NewsRules::NewsRules() : alias_index_(std::make_shared<AliasIndex>()) {
  RebuildBoilerplateIndex();
}

NewsRules NewsRules::Defaults() {
  static const NewsRules* const defaults = [] {
    auto* rules = new NewsRules();
    // The embedded tables are tested to parse; a failure here would be a build defect.
    rules->AddTags(internal::kDefaultHeadlineTags, "<embedded headline-tags.txt>").IgnoreError();
    rules->AddAliases(internal::kDefaultAliases, "<embedded aliases.tsv>").IgnoreError();
    for (const char* word :
         {"연합뉴스", "연합뉴스tv", "뉴시스", "뉴스1", "뉴스핌", "게티이미지", "게티이미지뱅크",
          "게티이미지코리아", "셔터스톡", "클립아트코리아", "ap", "afp", "epa", "upi", "로이터",
          "ap연합뉴스", "afp연합뉴스", "epa연합뉴스", "upi연합뉴스", "로이터연합뉴스",
          "신화연합뉴스", "신화통신", "연합뉴스 자료사진", "경향신문", "한겨레", "조선일보",
          "중앙일보", "동아일보", "한국일보", "국민일보", "서울신문", "세계일보", "문화일보",
          "매일경제", "한국경제", "머니투데이", "이데일리", "헤럴드경제", "아시아경제",
          "파이낸셜뉴스", "노컷뉴스", "오마이뉴스", "뉴스1코리아", "대통령실", "국회사진기자단",
          "사진공동취재단", "공동취재단", "공동취재", "kbs", "mbc", "sbs", "jtbc", "ytn", "mbn",
          "채널a", "tv조선"}) {
      rules->AddCreditWord(word);
    }
    // ("all rights reserved" alone is left out: such lines carry © as well, and an ASCII marker
    // costs a compare at every "a" of English text.)
    for (const char* marker : {"무단 전재", "무단전재", "재배포 금지", "재배포금지", "\u00A9"}) {
      rules->AddNoticeMarker(marker);
    }
    return rules;
  }();
  return *defaults;
}

void NewsRules::RebuildAliasIndex() {
  auto index = std::make_shared<AliasIndex>();
  for (const auto& [key, value] : aliases_) {
    if (key.empty()) continue;
    size_t len;
    const char32_t first = DecodeAt(key, 0, &len);
    index->lead[static_cast<unsigned char>(key[0])] = true;
    index->ascii_lead |= static_cast<unsigned char>(key[0]) < 0x80;
    if (first < 0x10000) index->bmp[first >> 6] |= uint64_t{1} << (first & 63);
    index->by_first[first].push_back({key, value, len == key.size()});
  }
  for (auto& [first, entries] : index->by_first) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const AliasIndex::Entry& a, const AliasIndex::Entry& b) {
                       return a.key.size() > b.key.size();
                     });
  }
  alias_index_ = std::move(index);
}

// --- Loading -----------------------------------------------------------------------------------

namespace {

absl::Status ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  *text = buffer.str();
  return absl::OkStatus();
}

// Calls `fn(line_number, line)` for each line that is not blank or a '#' comment; stops at the
// first error. A UTF-8 BOM and a '\r' before '\n' are ignored.
template <typename Fn>
absl::Status ForEachDataLine(std::string_view text, std::string_view source, Fn fn) {
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed = TrimAscii(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (!IsValidUtf8(line)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(source), ":", number, ": invalid UTF-8"));
    }
    const std::string error = fn(line);
    if (!error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Av(source), ":", number, ": ", error));
    }
  }
  return absl::OkStatus();
}

// The canonical form of a tag: normalized, brackets and spaces removed; "" with `*error` set if
// the tag is not acceptable.
std::string CanonicalTag(std::string_view tag, std::string* error) {
  std::string normalized = NormalizeEntry(TrimAscii(tag));
  std::string_view t = normalized;
  for (const BracketPair& b : kTagBrackets) {
    if (t.size() >= b.open.size() + b.close.size() && StartsWith(t, b.open) &&
        EndsWith(t, b.close)) {
      t = t.substr(b.open.size(), t.size() - b.open.size() - b.close.size());
      break;
    }
  }
  std::string canonical;
  for (char c : t) {
    if (c != ' ') canonical += c;
  }
  if (canonical.empty()) {
    *error = "empty tag";
  } else if (HasBracket(canonical)) {
    *error = absl::StrCat("tag \"", canonical, "\" contains a bracket");
    canonical.clear();
  }
  return canonical;
}

}  // namespace

absl::Status NewsRules::AddTag(std::string_view tag) {
  std::string error;
  std::string canonical = CanonicalTag(tag, &error);
  if (canonical.empty()) return absl::InvalidArgumentError(error);
  if (tag_set_.emplace(canonical, tags_.size()).second) tags_.push_back(std::move(canonical));
  return absl::OkStatus();
}

absl::Status NewsRules::AddTags(std::string_view text, std::string_view source) {
  std::vector<std::string> parsed;
  absl::Status status = ForEachDataLine(text, source, [&](std::string_view line) {
    std::string error;
    std::string canonical = CanonicalTag(line, &error);
    if (!canonical.empty()) parsed.push_back(std::move(canonical));
    return error;
  });
  if (!status.ok()) return status;
  for (std::string& tag : parsed) {
    if (tag_set_.emplace(tag, tags_.size()).second) tags_.push_back(std::move(tag));
  }
  return absl::OkStatus();
}

absl::Status NewsRules::AddTagFile(const std::string& path) {
  std::string text;
  absl::Status status = ReadWholeFile(path, &text);
  if (!status.ok()) return status;
  return AddTags(text, path);
}

void NewsRules::AddAlias(std::string_view from, std::string_view to) {
  std::string key = NormalizeEntry(from);
  if (key.empty()) return;
  std::string value = NormalizeEntry(to);
  auto it = std::find_if(aliases_.begin(), aliases_.end(),
                         [&key](const auto& alias) { return alias.first == key; });
  if (it != aliases_.end()) {
    it->second = std::move(value);
  } else {
    aliases_.emplace_back(std::move(key), std::move(value));
  }
  RebuildAliasIndex();
}

absl::Status NewsRules::AddAliases(std::string_view text, std::string_view source) {
  std::vector<std::pair<std::string, std::string>> parsed;
  absl::Status status = ForEachDataLine(text, source, [&](std::string_view line) -> std::string {
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return "expected from<TAB>to, found no tab";
    if (line.find('\t', tab + 1) != std::string_view::npos) {
      return "expected from<TAB>to, found more than one tab";
    }
    std::string key = NormalizeEntry(line.substr(0, tab));
    if (key.empty()) return "empty alias key";
    parsed.emplace_back(std::move(key), NormalizeEntry(line.substr(tab + 1)));
    return "";
  });
  if (!status.ok()) return status;
  for (auto& [key, value] : parsed) {
    auto it = std::find_if(aliases_.begin(), aliases_.end(),
                           [&key = key](const auto& alias) { return alias.first == key; });
    if (it != aliases_.end()) {
      it->second = std::move(value);
    } else {
      aliases_.emplace_back(std::move(key), std::move(value));
    }
  }
  RebuildAliasIndex();
  return absl::OkStatus();
}

absl::Status NewsRules::AddAliasFile(const std::string& path) {
  std::string text;
  absl::Status status = ReadWholeFile(path, &text);
  if (!status.ok()) return status;
  return AddAliases(text, path);
}

void NewsRules::AddCreditWord(std::string_view word) {
  std::string w = NormalizeEntry(word);
  if (w.empty() || std::find(credit_words_.begin(), credit_words_.end(), w) != credit_words_.end()) {
    return;
  }
  credit_words_.push_back(std::move(w));
  // Longest first, so that "ap연합뉴스" wins over "연합뉴스".
  std::stable_sort(credit_words_.begin(), credit_words_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  RebuildBoilerplateIndex();
}

void NewsRules::AddNoticeMarker(std::string_view marker) {
  std::string m = NormalizeEntry(marker);
  if (!m.empty() && std::find(notice_markers_.begin(), notice_markers_.end(), m) ==
                        notice_markers_.end()) {
    // The group prefix ends on a code point boundary at or before byte 6.
    size_t cut = 0;
    while (cut < m.size()) {
      const size_t next = cut + CodePointLength(static_cast<unsigned char>(m[cut]));
      if (next > 6 && cut > 0) break;
      cut = std::min(next, m.size());
    }
    const std::string prefix = m.substr(0, cut);
    auto group = std::find_if(notice_groups_.begin(), notice_groups_.end(),
                              [&](const auto& g) { return g.first == prefix; });
    if (group == notice_groups_.end()) {
      notice_groups_.push_back({prefix, {}});
      group = notice_groups_.end() - 1;
    }
    group->second.push_back(notice_markers_.size());
    notice_markers_.push_back(std::move(m));
    RebuildBoilerplateIndex();
  }
}

// --- Headline tags -----------------------------------------------------------------------------

namespace {

// Is `inner` (the text between a bracket pair) a tag of `set`?
bool IsTag(std::string_view inner, const absl::flat_hash_map<std::string, size_t>& set) {
  char buf[128];
  size_t n = 0;
  for (char c : inner) {
    if (c == ' ') continue;
    if (n == sizeof(buf)) return false;  // far longer than any tag
    buf[n++] = c;
  }
  std::string_view t(buf, n);
  if (t.empty()) return false;
  if (set.contains(Av(t))) return true;
  // Version suffix: digits, optionally followed by 보.
  const bool bo = EndsWith(t, kBo);
  if (bo) t.remove_suffix(kBo.size());
  const size_t before = t.size();
  while (!t.empty() && t.back() >= '0' && t.back() <= '9') t.remove_suffix(1);
  if (t.size() == before) return false;  // no digits
  if (t.empty()) return bo;              // "1보" alone; bare digits are not a tag
  return set.contains(Av(t));
}

}  // namespace

std::string_view NewsRules::StripHeadlineTags(std::string_view title) const {
  const std::string_view original = TrimAscii(title);
  if (tag_set_.empty()) return original;
  std::string_view t = original;
  for (bool changed = true; changed && !t.empty();) {
    changed = false;
    for (const BracketPair& b : kTagBrackets) {
      if (StartsWith(t, b.open)) {
        const size_t close = t.find(b.close, b.open.size());
        if (close != std::string_view::npos &&
            IsTag(t.substr(b.open.size(), close - b.open.size()), tag_set_)) {
          t = TrimAscii(t.substr(close + b.close.size()));
          changed = true;
          break;
        }
      }
      if (EndsWith(t, b.close)) {
        const size_t inner_end = t.size() - b.close.size();
        const size_t open = t.rfind(b.open, inner_end);
        if (open != std::string_view::npos &&
            IsTag(t.substr(open + b.open.size(), inner_end - open - b.open.size()), tag_set_)) {
          t = TrimAscii(t.substr(0, open));
          changed = true;
          break;
        }
      }
    }
  }
  return t.empty() ? original : t;
}

// --- Aliases -----------------------------------------------------------------------------------

bool NewsRules::MayHaveAliases(std::string_view text) const {
  const AliasIndex& index = *alias_index_;
  if (!index.ascii_lead) {  // only a non-ASCII byte can start a key: look for one, 8 at a time
    const char* p = text.data();
    const char* const end = p + text.size();
    for (; end - p >= 8; p += 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) return true;
    }
    for (; p < end; ++p) {
      if (static_cast<unsigned char>(*p) >= 0x80) return true;
    }
    return false;
  }
  for (unsigned char c : text) {
    if (index.lead[c]) return true;
  }
  return false;
}

size_t NewsRules::ApplyAliases(std::string_view text, std::string* out) const {
  const AliasIndex& index = *alias_index_;
  out->clear();
  out->reserve(text.size() + 16);
  size_t copied = 0, replaced = 0;
  const auto* const bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t pos = 0; pos < text.size();) {
    pos = index.NextCandidate(bytes, pos, text.size());
    if (pos == text.size()) break;
    const unsigned char b = bytes[pos];
    if (!index.lead[b]) {
      pos += CodePointLength(b);
      continue;
    }
    size_t len;
    const char32_t c = DecodeAt(text, pos, &len);
    const AliasIndex::Entry* match = nullptr;
    if (index.MayStart(c)) {
      const auto it = index.by_first.find(c);
      if (it != index.by_first.end()) {
        const std::string_view rest = text.substr(pos);
        bool token_start = true;  // computed lazily: only multi-character keys need it
        bool token_start_known = false;
        for (const AliasIndex::Entry& e : it->second) {
          if (!StartsWith(rest, e.key)) continue;
          if (!e.single) {
            if (!token_start_known) {
              size_t prev_len;
              token_start = pos == 0 || !IsWordChar(DecodeAt(text, PrevCodePoint(text, pos),
                                                             &prev_len));
              token_start_known = true;
            }
            if (!token_start) continue;
          }
          match = &e;
          break;
        }
      }
    }
    if (match == nullptr) {
      pos += len;
      continue;
    }
    out->append(text.data() + copied, pos - copied);
    out->append(match->value);
    pos += match->key.size();
    copied = pos;
    ++replaced;
  }
  out->append(text.data() + copied, text.size() - copied);
  return replaced;
}

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

    // Notices: where each marker first occurs in the line. Every occurrence starts with its
    // group's prefix, and the hits come in order.
    if (notice_hit) marker_at.assign(notice_markers_.size(), std::string_view::npos);
    for (size_t h = hit; notice_hit && h < line_hits_end; ++h) {
      if (hits[h].needle >= notice_groups_.size()) continue;
      const size_t at = hits[h].pos - line_begin;
      for (const size_t i : notice_groups_[hits[h].needle].second) {
        if (marker_at[i] == std::string_view::npos &&
            StartsWith(line.substr(at), notice_markers_[i])) {
          marker_at[i] = at;
        }
      }
    }
    for (size_t i = 0; notice_hit && i < notice_markers_.size(); ++i) {
      const size_t m = marker_at[i];
      if (m == std::string_view::npos) continue;
      size_t cps = 0;
      for (unsigned char c : line) cps += (c & 0xC0) != 0x80;
      if (cps <= 200) {
        drop_line = true;
        break;
      }
      Range r;
      if (EnclosingBrackets(s, line_begin, line_end, line_begin + m, 300, &r)) {
        ranges.Add(r.begin, r.end);
      }
    }

    // Credit words at the line end (or alone on the line).
    const std::string_view trimmed = TrimAscii(line);
    const size_t t_begin = trimmed.empty() ? line_end : static_cast<size_t>(trimmed.data() - s.data());
    if (!drop_line && !trimmed.empty() && !credit_words_.empty()) {
      std::string_view t = trimmed;
      bool closer = false;
      if (t.back() == ')' || t.back() == ']') {
        closer = true;
        t.remove_suffix(1);
      }
      if (EndsWith(t, "제공")) t = TrimAscii(t.substr(0, t.size() - std::strlen("제공")));
      bool credit = false;
      if (!t.empty()) {  // only the words ending in t's last byte can end t
        for (const uint32_t w : index.credit_by_last[static_cast<unsigned char>(t.back())]) {
          const std::string& word = credit_words_[w];
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
      if (credit) {
        const std::string_view before = TrimAscii(t);
        if (before.empty()) {
          drop_line = true;
        } else if (before.size() < t.size()) {  // white space before the credit
          for (std::string_view end_mark : kSentenceEnds) {
            if (EndsWith(before, end_mark)) {
              ranges.Add(static_cast<size_t>(before.data() - s.data()) + before.size(), line_end);
              break;
            }
          }
        }
      }
    }

    if (!drop_line) {
      // Dateline and byline at the line start.
      const size_t date_end = DatelineEnd(s, t_begin, line_end);
      if (date_end > t_begin) ranges.Add(t_begin, date_end);
      // E-mail addresses.
      if (has_at && line.find('@') != std::string_view::npos) {
        FindEmails(s, line_begin, line_end, &ranges);
      }
      // Photo credits in brackets: (사진=...) / [사진=...].
      for (size_t h = hit; h < line_hits_end; ++h) {
        if (hits[h].needle != index.photo || hits[h].pos + kPhotoCredit.size() > line_end) continue;
        const size_t at = hits[h].pos - line_begin;
        Range r;
        if (at > 0 && (line[at - 1] == '(' || line[at - 1] == '[') &&
            EnclosingBrackets(s, line_begin, line_end, line_begin + at, 120, &r)) {
          ranges.Add(r.begin, r.end);
        }
      }
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
