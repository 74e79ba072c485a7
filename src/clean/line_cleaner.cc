#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "neardup/clean/clean.h"

namespace neardup {
namespace {

// Seed of the normalized-line hash ("cleanln1").
constexpr uint64_t kLineSeed = 0x636c65616e6c6e31ULL;

}  // namespace

absl::Status CleanOptions::Validate() const {
  if (min_docs < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_docs is ", min_docs, ": a line must occur in at least 2 documents"));
  }
  if (!(min_doc_share >= 0 && min_doc_share <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_doc_share is ", min_doc_share, ", expected a share in [0, 1]"));
  }
  if (line_table_bytes < (uint64_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("line_table_bytes is ", line_table_bytes, ", expected at least 1 MiB"));
  }
  if (min_span_bytes < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_span_bytes is ", min_span_bytes, ", expected at least 16"));
  }
  if (span_shard_bytes < (uint64_t{1} << 20) || span_shard_bytes >= (uint64_t{1} << 31)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "span_shard_bytes is ", span_shard_bytes, ", expected 1 MiB to 2 GiB - 1"));
  }
  return absl::OkStatus();
}

NormalizeOptions LineNormalizeOptions() {
  NormalizeOptions o;
  o.aliases = false;
  o.strip_headline_tags = false;
  o.strip_boilerplate = false;
  return o;
}

std::string_view RemovalKindName(Removal::Kind kind) {
  return kind == Removal::Kind::kLine ? "line" : "span";
}

uint64_t LineHash(std::string_view line, const Normalizer& normalizer, std::string* scratch,
                  bool* blank) {
  normalizer.Normalize(line, TextField::kBody, scratch);
  *blank = scratch->empty();
  return internal::Hash64(*scratch, kLineSeed);
}

void LineCounts::AddDocument(std::vector<uint64_t>* hashes) {
  std::sort(hashes->begin(), hashes->end());
  hashes->erase(std::unique(hashes->begin(), hashes->end()), hashes->end());
  for (uint64_t h : *hashes) ++counts_[h];
  ++documents_;
}

void LineCounts::Merge(const LineCounts& other) {
  for (const auto& [hash, n] : other.counts_) counts_[hash] += n;
  documents_ += other.documents_;
}

size_t LineCounts::memory_bytes() const {
  // A slot is the 16-byte pair plus one control byte.
  return counts_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1);
}

size_t LineCounts::CountAtLeast(uint64_t threshold) const {
  size_t n = 0;
  for (const auto& entry : counts_) n += entry.second >= threshold;
  return n;
}

uint64_t LineThreshold(const CleanOptions& options, uint64_t documents) {
  const uint64_t share =
      static_cast<uint64_t>(std::ceil(options.min_doc_share * static_cast<double>(documents)));
  return std::max(options.min_docs, share);
}

void FindBoilerplateLines(std::string_view text, const LineCounts& counts, uint64_t threshold,
                          const Normalizer& normalizer, std::string* scratch,
                          std::vector<Removal>* out) {
  ForEachLine(text, normalizer, scratch, [&](size_t start, size_t end, uint64_t hash) {
    const uint64_t n = counts.count(hash);
    if (n >= threshold) out->push_back({start, end, Removal::Kind::kLine, n});
  });
}

std::string ApplyRemovals(std::string_view text, absl::Span<const Removal> removals) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const Removal& r : removals) {
    out.append(text.substr(at, r.start - at));
    at = r.end;
  }
  out.append(text.substr(at));
  return out;
}

void MapToOriginal(absl::Span<const Removal> removed, absl::Span<const Removal> found,
                   std::vector<Removal>* out) {
  // Walk the kept pieces of the original: piece k is [orig_begin, orig_end) and starts at
  // cleaned offset `clean_begin`.
  size_t k = 0;  // next removed range
  size_t orig_begin = 0;
  size_t clean_begin = 0;
  auto piece_end = [&]() { return k < removed.size() ? removed[k].start : SIZE_MAX; };
  auto next_piece = [&]() {
    clean_begin += piece_end() - orig_begin;
    orig_begin = removed[k].end;
    ++k;
  };
  for (const Removal& f : found) {
    size_t a = f.start;
    while (a < f.end) {
      // Advance to the piece holding cleaned offset a.
      while (k < removed.size() && clean_begin + (piece_end() - orig_begin) <= a) next_piece();
      const size_t piece_clean_end =
          k < removed.size() ? clean_begin + (piece_end() - orig_begin) : SIZE_MAX;
      const size_t b = std::min(f.end, piece_clean_end);
      Removal r = f;
      r.start = orig_begin + (a - clean_begin);
      r.end = orig_begin + (b - clean_begin);
      // Two pieces that touch (a removed range of length 0 cannot occur) stay separate entries.
      out->push_back(r);
      a = b;
    }
  }
}

}  // namespace neardup
