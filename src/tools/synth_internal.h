// tools/synth_internal.h: the parts of `neardup synth` (synth.h) that its files share; private to
// src/tools/synth*.cc. The generator is split by what it makes:
//   synth_text.cc      the pseudo-text vocabularies, pseudo-text and base-text originals;
//   synth_edit.cc      the edits that turn an original into a copy or a chain link;
//   synth_variants.cc  variant clusters: citation-like bases and their variants;
//   synth.cc           planning windows (clusters, chains), the JSONL lines, the parallel
//                      generation and the public API.
// Everything here is a function of its arguments (and the fixed vocabularies), so that any document
// can be made on its own, on any thread: see synth.h, "Determinism".
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/text/normalize.h"
#include "neardup/tools/synth.h"

namespace neardup::synth_internal {

// ---------------------------------------------------------------------------------------------
// Randomness: SplitMix64 streams keyed by (seed, stream, index), so that any document can be made
// on its own, on any thread. Probabilities are turned into integer thresholds once, so that no
// floating-point arithmetic runs per document.

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

enum Stream : uint64_t {
  kStreamPlan = 1,
  kStreamText = 2,
  kStreamEdit = 3,
  kStreamVocab = 4,
  kStreamChainEdit = 5,
  kStreamVariantPlan = 6,
  kStreamCitation = 7,
  kStreamVariantEdit = 8,
};

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index)
      : state_(Mix64(Mix64(seed ^ (stream * kGolden)) + index)) {}
  uint64_t Next() {
    state_ += kGolden;
    return Mix64(state_);
  }
  // Uniform in [0, n) (Lemire's multiply; the bias for n << 2^64 is negligible). n >= 1.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // True with probability threshold / 2^64.
  bool Chance(uint64_t threshold) { return Next() < threshold; }

 private:
  uint64_t state_;
};

// Probability p in [0, 1] as a threshold for Rng::Chance; p = 1 is "always" up to 2^-64.
inline uint64_t Threshold(double p) {
  if (!(p > 0)) return 0;
  const double x = std::ldexp(p, 64);
  if (!(x < 18446744073709549568.0)) return ~0ULL;  // the largest double below 2^64
  return static_cast<uint64_t>(x);
}

inline bool IsSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }
inline bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
// Lead bytes of U+AC00..U+D7A3 (Hangul syllables) are EA..ED.
inline bool IsHangulLead(char c) {
  const unsigned char b = static_cast<unsigned char>(c);
  return b >= 0xEA && b <= 0xED;
}
inline bool HasHangul(std::string_view s) {
  for (char c : s) {
    if (IsHangulLead(c)) return true;
  }
  return false;
}

inline void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// ---------------------------------------------------------------------------------------------
// Pseudo-text vocabularies, fixed for every seed (built once by GetLanguage, synth_text.cc), so
// that corpora of different seeds share their language and differ in their documents.

// Words stored kWordStride bytes apart (so that appending one is a fixed-size copy), and a
// sampler of ranks with P(rank r) ~ 1/(r+1) (log-uniform), using a table of kRankBuckets quantiles
// so that sampling needs no floating point.
constexpr int kRankBuckets = 4096;
constexpr size_t kWordStride = 32;  // every vocabulary word is shorter
// Headlines leave out function words: title words skip the kFunctionWords most frequent ranks
// (the 1/rank shape is kept over the rest). Without this, unrelated titles share "the", "of" and
// their char:3 shingles far more than real headlines do.
constexpr uint32_t kFunctionWords = 128;

class Vocab {
 public:
  void Add(std::string_view w) {
    w = w.substr(0, kWordStride - 1);
    const size_t at = bytes_.size();
    bytes_.resize(at + kWordStride, '\0');
    std::copy(w.begin(), w.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(at));
    lengths_.push_back(static_cast<uint8_t>(w.size()));
  }
  size_t size() const { return lengths_.size(); }
  std::string_view word(size_t i) const {
    return std::string_view(bytes_.data() + i * kWordStride, lengths_[i]);
  }
  void BuildRanks() {
    const double n = static_cast<double>(size());
    ranks_.resize(kRankBuckets + 1);
    for (int i = 0; i <= kRankBuckets; ++i) {
      const double x = std::floor(std::pow(n + 1, static_cast<double>(i) / kRankBuckets)) - 1;
      ranks_[i] = static_cast<uint32_t>(std::min(std::max(x, 0.0), n));
    }
    ranks_[kRankBuckets] = static_cast<uint32_t>(size());
    head_buckets_ = 0;
    while (head_buckets_ + 1 < kRankBuckets && ranks_[head_buckets_] < kFunctionWords) {
      ++head_buckets_;
    }
  }
  // A rank from the top 44 bits of `u` (the low 20 bits are left for the caller). With
  // `skip_head`, from the same distribution restricted to ranks >= kFunctionWords.
  size_t Rank(uint64_t u, bool skip_head = false) const {
    uint64_t bucket = u >> 52;  // 12 bits: kRankBuckets
    if (skip_head) bucket = head_buckets_ + ((bucket * (kRankBuckets - head_buckets_)) >> 12);
    const uint32_t lo = ranks_[bucket], hi = ranks_[bucket + 1];
    const uint64_t r = lo + ((((u >> 20) & 0xFFFFFFFFULL) * (hi - lo)) >> 32);
    return std::min<uint64_t>(r, size() - 1);
  }
  std::string_view Sample(Rng& rng) const { return word(Rank(rng.Next())); }
  // Writes word `i` at `p`, which must have kWordStride bytes of room; returns its length.
  size_t Copy(size_t i, char* p) const {
    std::memcpy(p, bytes_.data() + i * kWordStride, kWordStride);
    return lengths_[i];
  }

 private:
  std::string bytes_;
  std::vector<uint8_t> lengths_;
  std::vector<uint32_t> ranks_;
  uint64_t head_buckets_ = 0;  // buckets whose ranks start below kFunctionWords
};

struct Language {
  Vocab korean;         // stems with and without particles
  Vocab korean_final;   // sentence-final predicates ("발표했다.")
  Vocab english;        // common words first, then made-up ones
  std::vector<std::string> syllables;  // single Hangul syllables, for character edits
};

inline char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

// The vocabularies, built on first use (thread-safe) and kept for the process.
const Language& GetLanguage();

// A pseudo-text body of about `target` bytes, and a headline (synth_text.cc).
void PseudoBody(const Language& lang, Rng& rng, bool korean, size_t target, std::string* out);
void PseudoTitle(const Language& lang, Rng& rng, bool korean, std::string* out);

// ---------------------------------------------------------------------------------------------
// Base texts: every base record's text (and title) pooled, originals cut from random windows.

struct BasePool {
  std::string body;   // record texts, each followed by '\n'
  std::string title;  // record titles, each followed by '\n'; empty: use `body`
  uint64_t records = 0;
};

constexpr size_t kMinBaseBytes = 4096;

// Pools the base files' text (at most max_base_bytes); fails when they cannot be read or hold
// less than kMinBaseBytes of text.
absl::StatusOr<BasePool> ReadBase(const SynthOptions& options);
// A body of about `target` bytes of windows of the pool, and a title of one window (30-90 bytes).
void BaseBody(const BasePool& pool, Rng& rng, size_t target, std::string* out);
void BaseTitle(const BasePool& pool, Rng& rng, std::string* out);

// ---------------------------------------------------------------------------------------------
// Edits (synth_edit.cc).

// Everything an edit needs that is fixed for a run.
struct EditSetup {
  const Language* lang = nullptr;
  uint32_t word_kinds[6];
  int num_word_kinds = 0;
  uint32_t edits = 0;
  uint64_t rate_min_ppm = 0, rate_max_ppm = 0;
};

// A random character like those of `like`: a Hangul syllable, a digit or a lowercase letter.
void AppendRandomChar(const Language& lang, Rng& rng, std::string_view like, std::string* out);
// Byte offsets of the code points of `word`, and word.size() last.
void CodePoints(std::string_view word, std::vector<uint32_t>* starts);

// A citation of a variant cluster's base (see MakeCitation).
struct Citation {
  std::vector<std::pair<std::string, std::string>> authors;  // first and last names
  std::string title;
  std::vector<std::string> venue;   // words; those of kVenueWords by their full spelling
  uint32_t year = 0, volume = 0, first_page = 0, last_page = 0;  // volume, pages: 0 = none
};

struct Scratch {
  std::string title, body;          // the original
  std::string edited_title, edited_body, tmp, edit;
  std::vector<uint32_t> cps;
  std::string head_body, normalized;  // chains: the head's body, a normalized text
  uint64_t chain_links_near_head = 0;  // chain links written within chain_threshold of the head
  Citation citation;                // variant clusters: the base
};

// Edits s.title and s.body into s.edited_title and s.edited_body at a rate drawn from `setup`'s
// range, and describes them in s.edit ("rate=0.031 char_ins=1 ... truncate=0.042").
void ApplyEdits(const EditSetup& setup, bool edit_title, Rng& rng, Scratch& s);

// ---------------------------------------------------------------------------------------------
// Planning: which documents of a window form clusters.

struct WindowPlan {
  uint64_t first = 0;             // global index of the window's first document
  // Per position p in the window: the position of p's cluster original, and p's role:
  // 0 singleton, 1 original, 2 or more a copy.
  std::vector<uint32_t> original;
  std::vector<uint32_t> role;
  uint64_t clusters = 0;
  uint64_t clustered = 0;
  // Chains (empty without): per position, 0 or 1 + its step in its chain (0 = the head) and the
  // chain's number; chain c's positions, in order, are chain_members[c * length, (c + 1) * length).
  std::vector<uint32_t> chain_step;
  std::vector<uint32_t> chain_of;
  std::vector<uint32_t> chain_members;
  uint64_t chains = 0;
  // Variant clusters (empty without): per position, 0, 1 for a base or 2 for a variant (whose base
  // is at `original`); the (position, size) of each base, by position.
  std::vector<uint8_t> variant;
  std::vector<std::pair<uint32_t, uint32_t>> variant_bases;
  uint64_t variant_clusters = 0;
  uint64_t variant_documents = 0;
};

struct Setup {
  const SynthOptions* options = nullptr;
  const Language* lang = nullptr;
  const BasePool* base = nullptr;  // null: pseudo-text
  EditSetup edit;
  EditSetup chain_edit;            // as `edit`, at the chains' per-step rates
  Normalizer normalizer;           // chains: the truth's similarity measure
  uint64_t windows = 1;            // windows in the corpus
  std::vector<uint64_t> size_cdf;  // size_cdf[i]: threshold for cluster size 2 + i
  uint64_t korean_threshold = 0;
  uint64_t jitter_bytes = 0;
  std::string id_prefix;           // JSON-escaped
};

// Appends `s` (valid UTF-8) escaped for a JSON string, without quotes (synth.cc).
void AppendEscaped(std::string* out, std::string_view s);
// Appends the id of document `index` (JSON-escaped).
void AppendId(const Setup& setup, uint64_t index, std::string* out);
// Appends one JSONL line: {"id", "title" (if options->write_title), "text", "cluster", "chain" (if
// `chain` is not null), "edit" (if options->write_edit)}, the ids those of the given indices.
void AppendLine(const Setup& setup, uint64_t index, std::string_view title, std::string_view body,
                uint64_t cluster, const uint64_t* chain, std::string_view edit, std::string* out);

// Variant clusters (synth_variants.cc): plans them on perm[next, n) of a window (see there), and
// appends document `p` of `plan`, a member of one, as one JSONL line.
void PlanVariants(const Setup& setup, uint64_t window, std::vector<uint32_t>& perm, size_t next,
                  WindowPlan* plan);
void AppendVariant(const Setup& setup, const WindowPlan& plan, uint32_t p, Scratch& s,
                   std::string* out);

}  // namespace neardup::synth_internal
