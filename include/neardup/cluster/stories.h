// cluster/stories.h: the story level above near-duplicates. A story is a group of near-duplicate
// clusters about one event: headlines and articles that are not copies of each other (character
// Jaccard 0.2-0.5) but report the same thing.
//
// Features (after Miranda et al., EMNLP 2018, "Multilingual Clustering of Streaming News"):
// TF-IDF over the normalized title and body, separately, each a sub-vector of its own. The terms
// of a field are its words (runs of letters and digits between spaces and punctuation; for
// Korean, the 어절) and the character bigrams inside each word, so that 홍장원에 and 홍장원은
// share 홍장 and 장원. Aliases are applied by normalization first, so 尹 and 윤석열 meet.
// Weights are (1 + ln tf) * idf, idf = ln((n + 1) / (df + 1)) + 1 over a sample of n documents;
// each sub-vector is cut to its highest-weighted terms, scaled to unit length times the square
// root of its field's weight, and the whole vector to unit length, so that the cosine of two
// documents with both fields is the weighted mean of the title cosine and the body cosine.
//
// Assignment (AssignStories): one pass over the near-duplicate clusters in time order (then
// input order). A cluster joins the story, among those sharing a term with it and begun within
// the window, whose centroid is most similar, provided the cosine to that centroid and to the
// story's first cluster both reach the threshold; otherwise it begins a story. Near-duplicate
// clusters are never split: a story is a union of whole clusters.
//
// Threading: StoryDf and StoryFeaturizer are thread-compatible (one per thread, StoryDf merged
// in a fixed order); AssignStories is serial and depends only on its input, so the result is the
// same at any thread count. Input order matters only among clusters of the same time (and, with
// no time at all, the input order is the order of the pass).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace neardup {

struct StoryOptions {
  // Cosine a cluster must reach against a story's centroid and against its first cluster to join
  // it; in (0, 1]. Measured on the seed board and Korean news (README "Stories").
  double threshold = 0.2;
  // The title's share of the weight where a document has both a title and a body; in [0, 1].
  double title_weight = 0.5;
  // A cluster joins no story whose first document is more than this many seconds before it;
  // 0 = no limit. Clusters without a time ignore the window.
  int64_t window_seconds = 72 * 3600;
  // Terms kept per document and field, the highest-weighted first; 1..1024.
  int title_terms = 24;
  int body_terms = 32;
  // Bigrams inside the body's words too. Off: on Korean news (ko-news-chronicle-2019, against
  // its event labels) words alone give the same precision/recall curve (P 0.87 R 0.31 at
  // threshold 0.15 against P 0.88 R 0.27 with bigrams at 0.2) at a quarter of the terms.
  // Titles always have them: a headline has too few words to match on words alone.
  bool body_bigrams = false;
  // Only the body's first this many bytes (cut at a code point) make its terms: the lede, where
  // news says what happened (300 bytes: about 100 Hangul syllables, the first sentence or two);
  // 0 = the whole body. On ko-news-chronicle-2019 (against its event labels, catch-alls left
  // out, threshold 0.2) 200 / 300 / 400 / 600 / 1000 bytes give F1 0.361 / 0.370 / 0.367 /
  // 0.359 / 0.359 (P 0.92 throughout): a longer lede adds work, not stories. Earlier, at
  // threshold 0.15, 1000 bytes gave P 0.90 R 0.29 against P 0.87 R 0.30 for whole bodies.
  size_t body_bytes = 300;
};

// One weighted term of a document's vector. `key` is a 32-bit hash of the term and its field.
struct StoryTerm {
  uint32_t key = 0;
  float weight = 0.0f;
  friend bool operator==(const StoryTerm& a, const StoryTerm& b) {
    return a.key == b.key && a.weight == b.weight;
  }
};

// The distinct term keys of a field of normalized text (title: field 0, body: field 1), each with
// its count, sorted by key; in-word bigrams with `bigrams`. `out` is replaced.
void StoryTermCounts(std::string_view normalized, int field, bool bigrams,
                     std::vector<std::pair<uint32_t, uint32_t>>* out);

// The first `bytes` of a normalized body, cut at a code point (all of it when bytes is 0).
std::string_view StoryLede(std::string_view body, size_t bytes);

// Document frequencies of the terms over a sample of documents, kept in a fixed table of
// counters (a term's count may include other terms that share its cell: rare terms can only look
// more common, never less). After Finish(), Idf() reads a table of 1 MiB, which stays in cache.
class StoryDf {
 public:
  StoryDf();
  // Counts one document's terms (normalized title and body) as StoryFeaturizer takes them under
  // `options` (body_bytes, body_bigrams).
  void Add(std::string_view title, std::string_view body, const StoryOptions& options);
  // Adds the other's counts to these (order-independent: sums).
  void Merge(const StoryDf& other);
  // Turns the counts into the idf table; call once, after the last Add or Merge.
  void Finish();
  uint64_t documents() const { return documents_; }
  // ln((documents + 1) / (df + 1)) + 1, in steps of 1/16 (1 without any document).
  void PrefetchIdf(uint32_t key) const {
    if (!idf_.empty()) __builtin_prefetch(idf_.data() + (key >> (32 - kBits)));
  }
  float Idf(uint32_t key) const {
    return idf_.empty() ? 1.0f : static_cast<float>(idf_[key >> (32 - kBits)]) * (1.0f / 16);
  }

 private:
  static constexpr int kBits = 20;
  std::vector<uint32_t> counts_;  // empty until the first Add or Merge
  std::vector<uint8_t> idf_;      // from Finish()
  uint64_t documents_ = 0;
  std::vector<std::pair<uint32_t, uint32_t>> scratch_;
};

// Turns documents into weighted, unit-length term vectors (sorted by key). One per thread.
class StoryFeaturizer {
 public:
  StoryFeaturizer(const StoryDf* df, const StoryOptions& options);
  void Featurize(std::string_view title, std::string_view body, std::vector<StoryTerm>* out);

 private:
  void Field(std::string_view text, int field, int keep, float scale, std::vector<StoryTerm>* out);

  const StoryDf* df_;
  StoryOptions options_;
  std::vector<uint32_t> keys_;
  // Term counts of one field: open addressing on the key, cleared by generation.
  std::vector<uint32_t> slot_key_;
  std::vector<uint32_t> slot_count_;
  std::vector<uint32_t> slot_generation_;
  std::vector<uint32_t> used_;
  uint32_t generation_ = 0;
  std::vector<StoryTerm> field_terms_;
};

// Cosine of two term vectors sorted by key (their dot product over their norms; 0 if either is
// empty).
double StoryCosine(absl::Span<const StoryTerm> a, absl::Span<const StoryTerm> b);

// Seconds since 1970-01-01 UTC of a date as news dumps write it: ISO 8601 ("2025-02-04",
// "2025-02-04T09:07:00", with "Z" or "+09:00"), "2025.02.04", "2025/02/04", "20250204", each
// with an optional " 09:07" or " 09:07:30"; or epoch seconds (9 to 11 digits, or 13 digits of
// epoch milliseconds). A date without an offset is taken as UTC. nullopt when it is none of
// these, or out of range.
std::optional<int64_t> ParseStoryDate(std::string_view text);

// One near-duplicate cluster as AssignStories sees it.
struct StoryUnit {
  uint32_t first_document = 0;   // the cluster's earliest document (in input order): its id
  std::optional<int64_t> time;   // the cluster's earliest time, if any member has one
  absl::Span<const StoryTerm> terms;  // the representative's vector
};

struct StoryStats {
  uint64_t stories = 0;           // stories, singletons included
  uint64_t multi = 0;             // stories of two or more clusters
  uint64_t largest = 0;           // clusters in the largest story
  uint64_t joined = 0;            // clusters that joined an earlier story
  uint64_t candidates_scored = 0;  // (cluster, story) cosines computed
};

// For each unit, the index (into `units`) of the first unit of its story, where the units are
// taken in the order (time, first_document), undated units last. Deterministic.
std::vector<uint32_t> AssignStories(absl::Span<const StoryUnit> units,
                                    const StoryOptions& options, StoryStats* stats);

}  // namespace neardup
