// Repeated spans with a suffix array (libdivsufsort) and the LCP array by the Phi method
// (Kärkkäinen, Manzini and Puglisi 2009), which needs no inverse suffix array: the text, the
// suffix array and one more array of 4 bytes per byte.
#include <divsufsort.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "neardup/clean/clean.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The suffix-array search over `texts` (pieces of documents; owner[t] is the document of piece
// t, nondecreasing): for each piece its covered ranges, not yet shrunk to UTF-8 boundaries, with
// counts of distinct owners.
absl::Status SuffixArraySpans(const std::vector<std::string_view>& texts,
                              const std::vector<size_t>& owner, SpanMode mode,
                              size_t min_span_bytes, std::vector<std::vector<Removal>>* out) {
  out->assign(texts.size(), {});
  if (texts.empty()) return absl::OkStatus();
  // The texts back to back, each followed by one separator byte; starts[d] is text d's offset.
  std::vector<uint64_t> starts(texts.size() + 1);
  uint64_t total = 0;
  for (size_t d = 0; d < texts.size(); ++d) {
    starts[d] = total;
    total += texts[d].size() + 1;
  }
  starts[texts.size()] = total;
  if (total >= (uint64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("a span shard of ", total, " bytes: the suffix array takes below 2 GiB"));
  }
  const size_t m = min_span_bytes;
  const saidx_t n = static_cast<saidx_t>(total);
  std::unique_ptr<unsigned char[]> text(new unsigned char[total]);
  for (size_t d = 0; d < texts.size(); ++d) {
    std::copy(texts[d].begin(), texts[d].end(), text.get() + starts[d]);
    text[starts[d + 1] - 1] = 0xFF;  // never in valid UTF-8; windows across it are refused below
  }
  std::unique_ptr<saidx_t[]> sa(new saidx_t[total]);
  if (divsufsort(text.get(), sa.get(), n) != 0) {
    return absl::ResourceExhaustedError("divsufsort failed (out of memory?)");
  }
  // Phi[SA[i]] = SA[i-1]; then in text order PLCP[i] = lcp(i, Phi[i]), capped at m (all we need
  // to know is whether it reaches m), written over Phi in place. Both loops read or write at
  // random places: the addresses are known ahead, so they are prefetched, and both run in
  // parallel chunks (a PLCP chunk starts its carried length at 0, which costs at most m
  // comparisons a chunk and changes no value).
  std::unique_ptr<uint32_t[]> plcp(new uint32_t[total]);
  constexpr uint32_t kNone = UINT32_MAX;
  constexpr size_t kAhead = 16;
  constexpr size_t kChunk = size_t{1} << 20;
  plcp[static_cast<size_t>(sa[0])] = kNone;
  tbb::parallel_for(tbb::blocked_range<size_t>(1, total, kChunk), [&](const auto& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) {
      if (i + kAhead < total) __builtin_prefetch(&plcp[static_cast<size_t>(sa[i + kAhead])], 1);
      plcp[static_cast<size_t>(sa[i])] = static_cast<uint32_t>(sa[i - 1]);
    }
  });
  tbb::parallel_for(tbb::blocked_range<size_t>(0, total, kChunk), [&](const auto& range) {
    size_t l = 0;
    for (size_t i = range.begin(); i != range.end(); ++i) {
      if (i + kAhead < range.end() && plcp[i + kAhead] != kNone) {
        __builtin_prefetch(&text[plcp[i + kAhead]]);
      }
      const uint32_t j = plcp[i];
      if (j == kNone) {
        plcp[i] = 0;
        l = 0;
        continue;
      }
      while (l < m && i + l < total && j + l < total && text[i + l] == text[j + l]) ++l;
      plcp[i] = static_cast<uint32_t>(l);
      if (l > 0) --l;
    }
  });
  // Which text a position belongs to, and whether its window [s, s + m) stays inside that text.
  // coarse[b] is the piece that holds position b * 4096; from there a few steps forward find
  // any position's piece (pieces are at least m bytes), without a binary search a position.
  std::vector<uint32_t> coarse((total >> 12) + 1);
  for (size_t b = 0, d = 0; b < coarse.size(); ++b) {
    while (d + 1 < texts.size() && starts[d + 1] <= (uint64_t{b} << 12)) ++d;
    coarse[b] = static_cast<uint32_t>(d);
  }
  auto doc_of = [&](uint64_t s) {
    size_t d = coarse[s >> 12];
    while (starts[d + 1] <= s) ++d;
    return d;
  };
  // Groups of suffixes that share their first m bytes are runs of consecutive ranks with
  // lcp >= m. In each group, the valid windows (inside one text) after the earliest are later
  // copies. Each PLCP entry is read once, at its own rank, so it is reused to hold, per
  // position, the number of documents its window occurs in when the window is to be removed
  // (0: kept). A run of one rank (most of any text) costs nothing more.
  std::vector<uint64_t> group;
  std::vector<std::pair<uint64_t, size_t>> valid;  // (position, text)
  std::vector<size_t> docs;
  auto close_group = [&]() {
    if (group.size() >= 2) {
      valid.clear();
      for (uint64_t s : group) {
        const size_t d = doc_of(s);
        if (s + m < starts[d + 1]) valid.emplace_back(s, d);  // the separator is not in it
      }
      if (valid.size() >= 2) {
        std::sort(valid.begin(), valid.end());
        docs.clear();
        for (const auto& v : valid) docs.push_back(owner[v.second]);
        docs.erase(std::unique(docs.begin(), docs.end()), docs.end());  // sorted by position
        const uint32_t count = static_cast<uint32_t>(docs.size());
        for (size_t k = mode == SpanMode::kAll ? 0 : 1; k < valid.size(); ++k) {
          plcp[valid[k].first] = count;
        }
      }
    }
    group.clear();
  };
  for (saidx_t i = 0; i < n; ++i) {
    if (static_cast<size_t>(i) + kAhead < total) {
      __builtin_prefetch(&plcp[static_cast<size_t>(sa[i + kAhead])], 1);
    }
    const uint64_t s = static_cast<uint64_t>(sa[i]);
    const uint32_t l = plcp[s];  // lcp with the previous rank (0 for rank 0)
    plcp[s] = 0;                 // read once; set again if its group marks it
    if (l < m) close_group();
    group.push_back(s);
  }
  close_group();
  sa.reset();

  // Sweep each text: a byte is removed when a marked window [s, s + m) covers it.
  for (size_t d = 0; d < texts.size(); ++d) {
    const uint64_t base = starts[d];
    const size_t len = texts[d].size();
    std::vector<Removal>& removals = (*out)[d];
    int64_t cover_end = -1;  // end (exclusive) of the coverage so far, text offsets
    uint64_t count = 0;
    int64_t open = -1;  // start of the current removed range
    for (size_t p = 0; p <= len; ++p) {
      const uint32_t c = p + m <= len ? plcp[base + p] : 0;
      if (c > 0) {
        if (open < 0) {
          open = static_cast<int64_t>(p);
          count = c;
        }
        count = std::max<uint64_t>(count, c);
        cover_end = static_cast<int64_t>(p + m);
      }
      if (open >= 0 && static_cast<int64_t>(p) >= cover_end) {
        removals.push_back({static_cast<size_t>(open), static_cast<size_t>(cover_end),
                            Removal::Kind::kSpan, count});
        open = -1;
      }
    }
  }
  return absl::OkStatus();
}

// A bijective 64-bit finalizer (MurmurHash3's fmix64).
uint64_t Remix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  return h ^ (h >> 33);
}

// Rolling hash of the m-byte windows of a text: Hash(s) for s = 0, 1, ... in turn.
class WindowHasher {
 public:
  WindowHasher(std::string_view text, size_t m) : t_(text), m_(m) {
    for (size_t i = 0; i < m; ++i) power_ *= kBase;  // kBase^m
    for (size_t i = 0; i < m && i < text.size(); ++i) h_ = h_ * kBase + Byte(i);
  }
  // The hash of window s; call with s = 0, 1, 2, ... (s + m <= size).
  uint64_t Next(size_t s) {
    if (s > 0) h_ = h_ * kBase + Byte(s + m_ - 1) - Byte(s - 1) * power_;
    return h_ * 0x9E3779B97F4A7C15ULL;
  }

 private:
  static constexpr uint64_t kBase = 0x100000001B3ULL;
  uint64_t Byte(size_t i) const { return static_cast<unsigned char>(t_[i]) + 1; }
  std::string_view t_;
  size_t m_;
  uint64_t power_ = 1;
  uint64_t h_ = 0;
};

}  // namespace

absl::Status FindRepeatedSpans(const std::vector<std::string_view>& texts, SpanMode mode,
                               size_t min_span_bytes, std::vector<std::vector<Removal>>* out,
                               uint64_t* candidate_bytes) {
  out->assign(texts.size(), {});
  if (mode == SpanMode::kOff || texts.empty()) return absl::OkStatus();
  const size_t m = min_span_bytes;
  // A prefilter, so that the suffix array sorts only what can repeat. Winnowing (Schleimer,
  // Wilkerson and Aiken 2003): of the k-grams inside each window of m bytes, the one with the
  // smallest hash (the last of equals) is an anchor; equal windows choose the same k-gram at the
  // same place, so a window that repeats has an anchor whose hash occurs at two anchors. Anchors
  // (about 2 in w + 1 positions) set their hash's bit in `seen`, and in `twice` when `seen` had
  // it already; the text within reach of an anchor whose `twice` bit is set (every window that
  // contains it) is a candidate region. Nothing that repeats is left out (a collision only lets
  // unique text through, which the suffix array then finds unique), and the bits end the same
  // whatever the order the texts are hashed in, so this runs in parallel.
  const size_t k = m / 2;  // long enough that common phrases rarely make an anchor repeat
  const size_t w = m - k + 1;  // k-grams in a window of m bytes
  std::vector<std::vector<std::pair<size_t, uint64_t>>> anchors(texts.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, texts.size()), [&](const auto& range) {
    std::vector<uint64_t> hashes;
    // The least hash of each window of w k-grams, the last of equals, with blocks of w: `pre`
    // is the least from its block's start up to a place, `suf` from a place to its block's end;
    // a window is the end of one block and the start of the next (van Herk / Gil-Werman).
    std::vector<uint32_t> pre, suf;
    for (size_t d = range.begin(); d != range.end(); ++d) {
      const std::string_view t = texts[d];
      if (t.size() < m) continue;
      const size_t grams = t.size() - k + 1;
      hashes.resize(grams);
      pre.resize(grams);
      suf.resize(grams);
      WindowHasher hasher(t, k);
      for (size_t i = 0; i < grams; ++i) hashes[i] = hasher.Next(i);
      for (size_t i = 0; i < grams; ++i) {
        pre[i] = i % w == 0 || hashes[i] <= hashes[pre[i - 1]] ? static_cast<uint32_t>(i)
                                                                : pre[i - 1];
      }
      for (size_t i = grams; i-- > 0;) {
        suf[i] = i + 1 == grams || (i + 1) % w == 0 || hashes[i] < hashes[suf[i + 1]]
                     ? static_cast<uint32_t>(i)
                     : suf[i + 1];
      }
      auto& out = anchors[d];
      for (size_t j = 0; j + w <= grams; ++j) {
        const size_t right = pre[j + w - 1];
        size_t a = right;
        if (j % w != 0 && hashes[suf[j]] < hashes[right]) a = suf[j];
        // An anchor's hash is the least of w: its top bits are near 0. Mixed again for the
        // bitmaps, which take the top bits.
        if (out.empty() || out.back().first != a) out.emplace_back(a, Remix(hashes[a]));
      }
    }
  });
  uint64_t anchor_count = 0;
  for (const auto& a : anchors) anchor_count += a.size();
  int bits_log = 12;
  while ((uint64_t{1} << bits_log) < 64 * anchor_count) ++bits_log;  // 64 bits an anchor
  const size_t words = (size_t{1} << bits_log) / 64;
  std::unique_ptr<std::atomic<uint64_t>[]> seen(new std::atomic<uint64_t>[words]);
  std::unique_ptr<std::atomic<uint64_t>[]> twice(new std::atomic<uint64_t>[words]);
  for (size_t i = 0; i < words; ++i) {
    seen[i].store(0, std::memory_order_relaxed);
    twice[i].store(0, std::memory_order_relaxed);
  }
  const int shift = 64 - bits_log;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, texts.size()), [&](const auto& range) {
    for (size_t d = range.begin(); d != range.end(); ++d) {
      for (const auto& [a, h] : anchors[d]) {
        const uint64_t idx = h >> shift;
        const uint64_t bit = uint64_t{1} << (idx & 63);
        const uint64_t old = seen[idx >> 6].fetch_or(bit, std::memory_order_relaxed);
        if ((old & bit) && !(twice[idx >> 6].load(std::memory_order_relaxed) & bit)) {
          twice[idx >> 6].fetch_or(bit, std::memory_order_relaxed);
        }
      }
    }
  });
  seen.reset();
  // The candidate regions of each text: every window that holds a twice-seen anchor at a,
  // [a - w + 1, a + m), merged.
  std::vector<std::vector<std::pair<size_t, size_t>>> regions(texts.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, texts.size()), [&](const auto& range) {
    for (size_t d = range.begin(); d != range.end(); ++d) {
      auto& r = regions[d];
      const size_t len = texts[d].size();
      for (const auto& [a, h] : anchors[d]) {
        const uint64_t idx = h >> shift;
        if (!(twice[idx >> 6].load(std::memory_order_relaxed) & (uint64_t{1} << (idx & 63)))) {
          continue;
        }
        const size_t from = a + 1 >= w ? a + 1 - w : 0;
        const size_t to = std::min(len, a + m);
        if (!r.empty() && r.back().second >= from) {
          r.back().second = std::max(r.back().second, to);
        } else {
          r.emplace_back(from, to);
        }
      }
    }
  });
  twice.reset();
  anchors.clear();
  std::vector<std::string_view> pieces;
  std::vector<size_t> owner;
  std::vector<size_t> offset;
  for (size_t d = 0; d < texts.size(); ++d) {
    for (const auto& [a, b] : regions[d]) {
      pieces.push_back(texts[d].substr(a, b - a));
      owner.push_back(d);
      offset.push_back(a);
    }
  }
  regions.clear();
  if (candidate_bytes != nullptr) {
    *candidate_bytes = 0;
    for (std::string_view piece : pieces) *candidate_bytes += piece.size();
  }
  std::vector<std::vector<Removal>> found;
  absl::Status status = SuffixArraySpans(pieces, owner, mode, m, &found);
  if (!status.ok()) return status;
  for (size_t k = 0; k < pieces.size(); ++k) {
    for (Removal r : found[k]) {
      r.start += offset[k];
      r.end += offset[k];
      (*out)[owner[k]].push_back(r);
    }
  }
  // Shrink to UTF-8 character boundaries: a start inside a character moves to the next one;
  // an end inside a character moves back to its start.
  for (size_t d = 0; d < texts.size(); ++d) {
    const std::string_view t = texts[d];
    std::vector<Removal>& removals = (*out)[d];
    size_t w = 0;
    for (Removal r : removals) {
      while (r.start < r.end && IsContinuation(static_cast<unsigned char>(t[r.start]))) ++r.start;
      while (r.end > r.start && r.end < t.size() &&
             IsContinuation(static_cast<unsigned char>(t[r.end]))) {
        --r.end;
      }
      if (r.start < r.end) removals[w++] = r;
    }
    removals.resize(w);
  }
  return absl::OkStatus();
}

}  // namespace neardup
