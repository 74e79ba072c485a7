#include "neardup/text/news_rules.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <utf8proc.h>

#include "internal/utf8.h"
#include "absl/strings/str_cat.h"
#include "neardup/text/normalize.h"
#include "text/news_rules_internal.h"

namespace neardup {
namespace {

using namespace news_internal;  // IsAsciiSpace, StartsWith, TrimAscii, ...

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

using internal::IsWordChar;  // letters, marks and digits continue a token

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

// Alias and tag tables are read whole, so they are bounded: a table past this size is refused
// (a device such as /dev/zero, or a corpus given by mistake, would be read without end).
constexpr size_t kMaxTableBytes = size_t{64} << 20;

absl::Status ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  text->clear();
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    text->append(buffer, static_cast<size_t>(in.gcount()));
    if (text->size() > kMaxTableBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": longer than ", kMaxTableBytes >> 20,
          " MB, too long for a table of aliases or tags (one entry a line)"));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
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

}  // namespace neardup
