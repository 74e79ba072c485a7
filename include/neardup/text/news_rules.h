// news_rules.h: the data behind news normalization (see normalize.h): headline tags, aliases,
// credit words and notice markers, and the three text transformations that use them.
//
// Korean news copies of one story differ in ways that say nothing about the story: a "[속보]" or
// "(종합2보)" label on the title, "尹" for "윤석열", a dateline "(서울=연합뉴스) 홍길동 기자 =", a
// reporter's e-mail, a copyright line, a photo credit "연합뉴스" after a caption. NewsRules holds
// what to recognize; Normalizer (normalize.h) runs the transformations in its pipeline.
//
// Data: NewsRules::Defaults() is built from tables embedded in the binary, mirrored as
// data/news/headline-tags.txt and data/news/aliases.tsv (the files document the formats; a test
// checks that the embedded copies match them). Users extend them with AddTagFile() and
// AddAliasFile(). All keys are stored normalized (NFKC + case folding + white space collapse),
// since they are matched against normalized text.
//
// Thread safety: a const NewsRules is safe to share; the Add*() functions are not thread-safe.
// Every transformation works on valid UTF-8 (what Normalizer produces) and allocates nothing
// besides growing `out`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace neardup {

class NewsRules {
 public:
  // No tags, aliases, credit words or markers: every transformation is the identity (bar white
  // space handling in StripBoilerplate).
  NewsRules();

  // The shipped defaults (copied from a table parsed once per process).
  static NewsRules Defaults();

  // Adds the headline tags in `path`: one tag a line, with or without brackets; blank lines and
  // lines starting with '#' are skipped. Errors (unreadable file, invalid UTF-8, a tag that is
  // empty or contains a bracket) name "path:line". On error no tag of the file is added.
  absl::Status AddTagFile(const std::string& path);
  // Adds the aliases in `path`: "from<TAB>to" a line (to may be empty: the key is deleted);
  // blank lines and lines starting with '#' are skipped; a '\r' before the line end is ignored.
  // A key already present is replaced. Errors name "path:line" (missing or extra tab, empty key,
  // invalid UTF-8). On error no alias of the file is added.
  absl::Status AddAliasFile(const std::string& path);

  // The same, from text already in memory (`source` names it in errors).
  absl::Status AddTags(std::string_view text, std::string_view source);
  absl::Status AddAliases(std::string_view text, std::string_view source);

  // Single entries, normalized on the way in. AddTag rejects an empty tag or one with a bracket.
  absl::Status AddTag(std::string_view tag);
  void AddAlias(std::string_view from, std::string_view to);
  // Credit words end a photo caption ("... 답하고 있다. 연합뉴스") or stand alone on a line.
  void AddCreditWord(std::string_view word);
  // A short line containing a notice marker (e.g. "무단 전재") is a copyright notice.
  void AddNoticeMarker(std::string_view marker);

  // The stored entries, normalized, in insertion order (tags: spaces removed, no brackets).
  const std::vector<std::string>& tags() const { return tags_; }
  const std::vector<std::pair<std::string, std::string>>& aliases() const { return aliases_; }
  const std::vector<std::string>& credit_words() const { return credit_words_; }
  const std::vector<std::string>& notice_markers() const { return notice_markers_; }

  // --- The transformations (normalized input, see normalize.h for the order) ---

  // Returns `title` without the headline tags at its start and end, repeatedly ("[속보][단독]
  // x (종합)" -> "x"), and without the white space around them. A tag is a bracket pair from
  // [ ] ( ) 【 】 〔 〕 〖 〗 ［ ］ （ ） whose content, spaces removed, is a listed tag, a listed
  // tag followed by a version suffix (digits, optionally then 보), or a bare suffix with 보
  // ("1보"). A title that is nothing but tags is returned unchanged (trimmed). The result is a
  // substring of `title`.
  std::string_view StripHeadlineTags(std::string_view title) const;

  // Replaces aliases in `text`, writing to `*out` (replacing its content; must not alias
  // `text`). A key of one code point matches anywhere; a longer key only at a token start (start
  // of text, or after a code point that is not a letter, digit or mark). The longest matching key
  // wins; replaced text is not scanned again. Returns the number of replacements.
  size_t ApplyAliases(std::string_view text, std::string* out) const;
  // False when no key can occur in `text` (a cheap pre-check; true does not promise a match).
  bool MayHaveAliases(std::string_view text) const;

  // Removes boilerplate from a body, line by line (a line ends at \n, \r, U+0085, U+2028 or
  // U+2029), writing to `*out` (replacing its content; must not alias `text`):
  //   - a line with a notice marker (무단 전재, 무단전재, 재배포 금지, 재배포금지, ©) is dropped when it has at most 200 code points; in a longer line only the
  //     bracketed segment (<...>, (...), [...]) holding the marker goes;
  //   - a dateline at a line start, "(서울=연합뉴스)" or "[서울=뉴시스]" (a bracket pair with '='
  //     inside, at most 30 code points), and a byline after it or alone at a line start, "홍길동
  //     기자 =" / "워싱턴 김철수 특파원 =" (at most 30 code points, ending in 기자/특파원/통신원
  //     and '=');
  //   - e-mail addresses (local@domain.tld) anywhere;
  //   - photo credits: "(사진=...)" / "[사진=...]" anywhere, and a credit word (optionally
  //     "사진=" before it or "제공" after it, optionally in brackets) that ends a line after a
  //     sentence end (. ! ? … ' " ) ]) or stands alone on its line.
  // If `collapse_whitespace`, `text` must come with its white space collapsed within lines (runs
  // of white space are one ASCII space, or one '\n' where they hold a line break, and no line
  // starts or ends with a space: what Normalizer produces); kept lines and the parts around a
  // removal are then joined by single spaces. Otherwise removed lines leave their line break and
  // other text is kept as it stands. Returns the number of removals.
  size_t StripBoilerplate(std::string_view text, bool collapse_whitespace,
                          std::string* out) const;

 private:
  struct AliasIndex;  // alias lookup by first code point, rebuilt by every Add
  // What StripBoilerplate scans for in one pass (notice group prefixes and "사진=") and the
  // credit words by last byte; rebuilt by AddCreditWord and AddNoticeMarker.
  struct BoilerplateIndex;

  void RebuildAliasIndex();
  void RebuildBoilerplateIndex();

  std::vector<std::string> tags_;  // canonical: no spaces
  std::vector<std::pair<std::string, std::string>> aliases_;
  std::vector<std::string> credit_words_;
  std::vector<std::string> notice_markers_;
  // Notice markers grouped by their first (up to) 6 bytes, with the markers' indices: a line is
  // searched once per group, not once per marker ("무단 전재" and "무단전재" share "무단").
  std::vector<std::pair<std::string, std::vector<size_t>>> notice_groups_;
  absl::flat_hash_map<std::string, size_t> tag_set_;    // canonical tag -> index in tags_
  std::shared_ptr<const AliasIndex> alias_index_;       // immutable once built, shared by copies
  std::shared_ptr<const BoilerplateIndex> boilerplate_index_;  // likewise
};

namespace internal {
// The embedded default tables (src/news_rules_data.cc), in the file formats above.
extern const char kDefaultHeadlineTags[];
extern const char kDefaultAliases[];
}  // namespace internal

}  // namespace neardup
