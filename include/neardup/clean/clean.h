// clean/clean.h: cleaning inside documents. Scraped pages carry the same menus, footers, bylines
// and promotion blocks in every document; whole-document dedup cannot remove them. Two cleaners
// remove them from the text and say exactly what they removed:
//
//   lines  A line (the bytes up to and including its '\n'; the last line of a text may have none)
//          that occurs in at least LineThreshold() documents is removed from every document
//          where it occurs (CCNet's line dedup). Lines are matched on their normalized form
//          (LineNormalizeOptions(): NFKC, case folding, punctuation and white space unified), so
//          "메뉴  건너뛰기" and "메뉴 건너뛰기\r" are one line; what is removed is the original
//          bytes of the line, its '\n' included (when the last line of a text, which has none,
//          is removed, the '\n' before it stays: it ends the line before). A line whose
//          normalized form is empty (a blank line, a line of spaces) is never counted nor
//          removed, so paragraph breaks stay.
//          Counted in one exact table keyed by a 64-bit hash of the normalized line
//          (LineCounts), about 32 bytes per distinct line.
//   spans  Exact repeated byte spans of at least `min_span_bytes` (Lee et al. 2021, "Deduplicating
//          Training Data Makes Language Models Better": their ExactSubstr, with a suffix array
//          built by libdivsufsort and the LCP array by the Phi method). A winnowing prefilter
//          first keeps only the text around k-grams (k = min_span_bytes / 2) seen twice, so the
//          suffix array sorts the candidates (in news, about a third of the text), not all of it;
//          the result is the same as over all of it. A byte is removed when it
//          lies in a window of `min_span_bytes` bytes that also occurs at an earlier position of
//          the texts (in input order), so every repeat of a span of min_span_bytes or more is
//          removed from all occurrences but its first; SpanMode::kAll removes the first too.
//          Windows never cross from one text into the next. Removed ranges are shrunk to UTF-8
//          character boundaries, so cleaning never cuts a character in two.
//
// Everything here is deterministic: the same texts give the same removals, whatever the thread
// count. Offsets are bytes of the text as given (the decoded field value, not its JSON or CSV
// spelling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "neardup/text/normalize.h"

namespace neardup {

// What --substrings asks for.
enum class SpanMode {
  kOff,    // no span removal
  kLater,  // remove every occurrence of a repeated span but its first (in input order)
  kAll,    // remove every occurrence, the first included
};

struct CleanOptions {
  // --- Repeated lines ---
  // A line is boilerplate when it occurs in at least max(min_docs, ceil(min_doc_share x
  // documents)) documents. Default 10: above the number of outlets that reprint one wire
  // article in the news corpora we hold (8 national dailies), so that a syndicated paragraph is
  // left for near-duplicate detection, while a site's menu or footer, found on hundreds of its
  // pages, goes. Range: >= 2 (a line of one document is never boilerplate).
  uint64_t min_docs = 10;
  // Default 0.001 (0.1%): on a large corpus an article may be reprinted 50 times, while a
  // footer is on thousands of pages; 0 uses `min_docs` alone. Range: [0, 1].
  double min_doc_share = 0.001;
  // Default true. false: no line removal (spans only).
  bool lines = true;
  // Bytes of the line-count table (about 32 per distinct line) past which counting stops with
  // ResourceExhausted rather than exhausting memory. Default 2 GiB (about 67 million distinct
  // lines). Range: >= 1 MiB.
  uint64_t line_table_bytes = uint64_t{2} << 30;

  // --- Repeated spans ---
  SpanMode spans = SpanMode::kOff;
  // Shortest repeated span removed, in bytes. Default 200: about 50 tokens (Lee et al.'s
  // threshold) of English at 4 bytes a token, or 65-100 Hangul syllables (3 bytes each), long
  // enough that a shared phrase or a quoted sentence is not taken for boilerplate.
  // Range: >= 16.
  size_t min_span_bytes = 200;
  // The span search holds a shard of texts in memory: the shard's records and texts, and for
  // the candidate text the prefilter keeps, 9 bytes a byte (the text, the suffix array and the
  // LCP array); at worst (everything a candidate) about 12 bytes per byte of text. A corpus
  // larger than this is cleaned shard by shard (consecutive documents, each shard up to this
  // many bytes of line-cleaned text), and spans are only found within a shard. Default 256 MiB
  // (about 2.3 GiB of memory). Range: [1 MiB, 2 GiB - 1] (32-bit suffix arrays).
  uint64_t span_shard_bytes = uint64_t{256} << 20;

  // InvalidArgument naming the field and its range when a value is out of range.
  absl::Status Validate() const;
};

// The normalization lines are matched with: markup, NFKC, case folding, punctuation and white
// space; no aliases, headline tags or news boilerplate rules (those would make unlike lines
// match).
NormalizeOptions LineNormalizeOptions();

// One removal from one text: bytes [start, end) of the text as given.
struct Removal {
  enum class Kind : uint8_t { kLine, kSpan };
  size_t start = 0;
  size_t end = 0;
  Kind kind = Kind::kLine;
  // kLine: documents the line occurs in. kSpan: the most documents that any of the span's
  // windows of `min_span_bytes` bytes occurs in (within its shard), its first occurrence
  // included (1: a span repeated inside one document).
  uint64_t count = 0;
  friend bool operator==(const Removal& a, const Removal& b) {
    return a.start == b.start && a.end == b.end && a.kind == b.kind && a.count == b.count;
  }
};
std::string_view RemovalKindName(Removal::Kind kind);  // "line", "span"

// The lines of `text`: calls `line(start, end, hash)` for every line whose normalized form is
// not empty, in order, with `hash` the 64-bit hash of the normalized form. `scratch` is reused
// between calls. Thread-safe for distinct `scratch`.
template <typename F>
void ForEachLine(std::string_view text, const Normalizer& normalizer, std::string* scratch,
                 F&& line);
uint64_t LineHash(std::string_view line, const Normalizer& normalizer, std::string* scratch,
                  bool* blank);

// Documents per line (per normalized-line hash). Add() the documents' line hashes, then ask.
// Not thread-safe: fill one per thread and Merge(), or fill serially; the counts do not depend
// on the order.
class LineCounts {
 public:
  // Counts one document's lines: `hashes` may repeat (a line twice in one document counts once)
  // and is sorted and deduplicated in place.
  void AddDocument(std::vector<uint64_t>* hashes);
  void Merge(const LineCounts& other);
  uint64_t documents() const { return documents_; }
  size_t distinct_lines() const { return counts_.size(); }
  // Documents in which the line with `hash` occurs (0 when never seen).
  uint64_t count(uint64_t hash) const {
    auto it = counts_.find(hash);
    return it == counts_.end() ? 0 : it->second;
  }
  // Approximate bytes held (the table's slots): what CleanOptions::line_table_bytes bounds.
  size_t memory_bytes() const;
  // Distinct lines with count >= threshold.
  size_t CountAtLeast(uint64_t threshold) const;

 private:
  absl::flat_hash_map<uint64_t, uint32_t> counts_;
  uint64_t documents_ = 0;
};

// max(min_docs, ceil(min_doc_share x documents)).
uint64_t LineThreshold(const CleanOptions& options, uint64_t documents);

// Appends to `*out`, in order, a Removal (kLine) for every line of `text` that occurs in at least
// `threshold` documents according to `counts`. Thread-safe (const) for distinct `scratch`.
void FindBoilerplateLines(std::string_view text, const LineCounts& counts, uint64_t threshold,
                          const Normalizer& normalizer, std::string* scratch,
                          std::vector<Removal>* out);

// Repeated spans over `texts` taken together, in order (see the top of this file): for each
// text, its Removals (kSpan), in order, non-overlapping, each at least one byte. The candidate
// text's total size must be below 2 GiB (InvalidArgument otherwise; a shard below 2 GiB always is).
// Memory: 9 bytes per byte of candidate text, and about 1 byte per byte for the prefilter.
// The prefilter and the LCP array run in parallel on the caller's oneTBB threads, the suffix
// array on one; the result does not depend on the thread count.
// `candidate_bytes`, when given, gets the bytes the prefilter kept for the suffix array.
absl::Status FindRepeatedSpans(const std::vector<std::string_view>& texts, SpanMode mode,
                               size_t min_span_bytes, std::vector<std::vector<Removal>>* out,
                               uint64_t* candidate_bytes = nullptr);

// `text` without the bytes of `removals` (sorted, non-overlapping).
std::string ApplyRemovals(std::string_view text, absl::Span<const Removal> removals);

// Maps removals found in `cleaned` = ApplyRemovals(original, removed) back to offsets of the
// original: each of `found` becomes one or more Removals of the original (one per piece of the
// original it covers, as a removed line may sit inside it), appended to `*out` in order.
void MapToOriginal(absl::Span<const Removal> removed, absl::Span<const Removal> found,
                   std::vector<Removal>* out);

// --- Implementation of the template ---

template <typename F>
void ForEachLine(std::string_view text, const Normalizer& normalizer, std::string* scratch,
                 F&& line) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    bool blank = false;
    const uint64_t hash = LineHash(text.substr(start, end - start), normalizer, scratch, &blank);
    if (!blank) line(start, end, hash);
    start = end;
  }
}

}  // namespace neardup
