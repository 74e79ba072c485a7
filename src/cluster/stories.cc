#include "neardup/cluster/stories.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "internal/hash.h"
#include "internal/utf8.h"

namespace neardup {
namespace {

constexpr uint64_t kWordSeed = 0x73746f7279773031;    // "storyw01"
constexpr uint64_t kBigramSeed = 0x73746f7279623031;  // "storyb01"

// Letters, marks and digits make words; everything else (spaces, punctuation, symbols) parts them.
// ASCII and Hangul syllables, nearly every character here, are decided inline.
inline bool IsWordChar(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c >= 0xAC00 && c <= 0xD7A3) return true;
  return internal::IsWordChar(c);
}

inline uint64_t Mix(uint64_t x) {  // SplitMix64's finalizer
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A term's key: its hash with the field in the lowest bit, so that a title term and the same body
// term are different dimensions.
inline uint32_t Key(uint64_t hash, int field) {
  return (static_cast<uint32_t>(hash >> 32) & ~uint32_t{1}) | static_cast<uint32_t>(field);
}

// The code point at p[i] (i < n) and its length: valid UTF-8 decoded inline (normalized text
// is valid), anything else by the careful decoder.
inline char32_t DecodeAt(std::string_view text, size_t i, size_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char b = p[i];
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  if ((b & 0xF0) == 0xE0 && i + 2 < text.size() && (p[i + 1] & 0xC0) == 0x80 &&
      (p[i + 2] & 0xC0) == 0x80) {
    *len = 3;
    return (char32_t{b & 0x0Fu} << 12) | (char32_t{p[i + 1] & 0x3Fu} << 6) | (p[i + 2] & 0x3Fu);
  }
  return internal::DecodeUtf8(text, i, len);
}

// Appends the keys of the terms of `text`: its words, and with `bigrams` the bigrams inside words
// of two or more characters. A word's key mixes its code points as they are read.
void TermKeys(std::string_view text, int field, bool bigrams, std::vector<uint32_t>* keys) {
  size_t chars = 0;
  char32_t prev = 0;
  uint64_t word = kWordSeed;
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    const char32_t c = DecodeAt(text, i, &len);
    i += len;
    if (!IsWordChar(c)) {
      if (chars > 0) keys->push_back(Key(Mix(word ^ chars), field));
      chars = 0;
      word = kWordSeed;
      continue;
    }
    if (chars > 0 && bigrams) {
      const uint64_t pair = (static_cast<uint64_t>(prev) << 21) | c;
      keys->push_back(Key(Mix(pair ^ kBigramSeed), field));
    }
    word = (word ^ c) * 0x100000001B3ULL;  // FNV-1a's prime, over code points
    prev = c;
    ++chars;
  }
  if (chars > 0) keys->push_back(Key(Mix(word ^ chars), field));
}

}  // namespace

std::string_view StoryLede(std::string_view body, size_t bytes) {
  if (bytes == 0 || body.size() <= bytes) return body;
  size_t end = bytes;  // cut at a code point: back over continuation bytes
  while (end > 0 && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;
  return body.substr(0, end);
}

void StoryTermCounts(std::string_view normalized, int field, bool bigrams,
                     std::vector<std::pair<uint32_t, uint32_t>>* out) {
  thread_local std::vector<uint32_t> keys;
  keys.clear();
  out->clear();
  TermKeys(normalized, field, bigrams, &keys);
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size();) {
    size_t j = i + 1;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    out->emplace_back(keys[i], static_cast<uint32_t>(j - i));
    i = j;
  }
}

StoryDf::StoryDf() = default;

void StoryDf::Add(std::string_view title, std::string_view body, const StoryOptions& options) {
  if (counts_.empty()) counts_.assign(size_t{1} << kBits, 0);
  ++documents_;
  body = StoryLede(body, options.body_bytes);  // the terms the featurizer will weigh
  for (int f = 0; f < 2; ++f) {
    StoryTermCounts(f == 0 ? title : body, f, f == 0 || options.body_bigrams, &scratch_);
    for (const auto& [key, tf] : scratch_) ++counts_[key >> (32 - kBits)];
  }
}

void StoryDf::Merge(const StoryDf& other) {
  documents_ += other.documents_;
  if (other.counts_.empty()) return;
  if (counts_.empty()) counts_.assign(size_t{1} << kBits, 0);
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void StoryDf::Finish() {
  if (documents_ == 0) return;
  idf_.assign(size_t{1} << kBits, 0);
  const double n = static_cast<double>(documents_);
  for (size_t i = 0; i < idf_.size(); ++i) {
    const double df = counts_.empty() ? 0.0 : std::min<double>(counts_[i], n);
    const double idf = std::log((n + 1.0) / (df + 1.0)) + 1.0;
    idf_[i] = static_cast<uint8_t>(std::clamp(std::lround(idf * 16), 1L, 255L));
  }
  std::vector<uint32_t>().swap(counts_);
}

StoryFeaturizer::StoryFeaturizer(const StoryDf* df, const StoryOptions& options)
    : df_(df), options_(options) {}

void StoryFeaturizer::Field(std::string_view text, int field, int keep, float scale,
                            std::vector<StoryTerm>* out) {
  keys_.clear();
  TermKeys(text, field, field == 0 || options_.body_bigrams, &keys_);
  if (keys_.empty()) return;
  // Count the terms in a table at most half full, cleared by generation (no sort, no clear).
  size_t size = 64;
  while (size < 2 * keys_.size()) size *= 2;
  if (slot_key_.size() < size) {
    slot_key_.assign(size, 0);
    slot_count_.assign(size, 0);
    slot_generation_.assign(size, 0);
    generation_ = 0;
  }
  if (++generation_ == 0) {  // wrapped: clear once
    std::fill(slot_generation_.begin(), slot_generation_.end(), 0);
    generation_ = 1;
  }
  const size_t mask = size - 1;
  for (uint32_t key : keys_) df_->PrefetchIdf(key);  // a 1 MiB table: ask for all at once
  used_.clear();
  for (uint32_t key : keys_) {
    size_t i = (key * 0x9E3779B1u) & mask;
    while (slot_generation_[i] == generation_ && slot_key_[i] != key) i = (i + 1) & mask;
    if (slot_generation_[i] != generation_) {
      slot_generation_[i] = generation_;
      slot_key_[i] = key;
      slot_count_[i] = 0;
      used_.push_back(static_cast<uint32_t>(i));
    }
    ++slot_count_[i];
  }
  field_terms_.clear();
  double norm2 = 0.0;
  for (uint32_t i : used_) {
    const uint32_t tf = slot_count_[i];
    const float w = (tf == 1 ? 1.0f : 1.0f + std::log(static_cast<float>(tf))) *
                    df_->Idf(slot_key_[i]);
    field_terms_.push_back({slot_key_[i], w});
    norm2 += static_cast<double>(w) * w;
  }
  // The highest weights, ties to the lower key (so the table's order does not matter); the
  // field's norm is over all its terms.
  const size_t n = std::min(field_terms_.size(), static_cast<size_t>(keep));
  auto heavier = [](const StoryTerm& a, const StoryTerm& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
  };
  if (n < field_terms_.size()) {
    std::nth_element(field_terms_.begin(), field_terms_.begin() + static_cast<ptrdiff_t>(n),
                     field_terms_.end(), heavier);
  }
  const float f = scale / static_cast<float>(std::sqrt(norm2));
  for (size_t i = 0; i < n; ++i) out->push_back({field_terms_[i].key, field_terms_[i].weight * f});
}

void StoryFeaturizer::Featurize(std::string_view title, std::string_view body,
                                std::vector<StoryTerm>* out) {
  out->clear();
  const bool has_title = !title.empty();
  const bool has_body = !body.empty();
  float tw = has_title ? static_cast<float>(options_.title_weight) : 0.0f;
  float bw = has_body ? static_cast<float>(1.0 - options_.title_weight) : 0.0f;
  if (has_title && !has_body) tw = 1.0f;
  if (has_body && !has_title) bw = 1.0f;
  if (tw > 0) Field(title, 0, options_.title_terms, std::sqrt(tw), out);
  if (bw > 0) Field(StoryLede(body, options_.body_bytes), 1, options_.body_terms, std::sqrt(bw), out);
  std::sort(out->begin(), out->end(),
            [](const StoryTerm& a, const StoryTerm& b) { return a.key < b.key; });
  double norm2 = 0.0;
  for (const StoryTerm& t : *out) norm2 += static_cast<double>(t.weight) * t.weight;
  if (norm2 <= 0.0) {
    out->clear();
    return;
  }
  const float f = static_cast<float>(1.0 / std::sqrt(norm2));
  for (StoryTerm& t : *out) t.weight *= f;
}

namespace {

// A merge of the two key orders without branches on the keys (which keys come first is a coin
// toss, so branches would mispredict about every other step).
double Dot(absl::Span<const StoryTerm> a, absl::Span<const StoryTerm> b) {
  double dot = 0.0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint32_t ka = a[i].key;
    const uint32_t kb = b[j].key;
    const double product = static_cast<double>(a[i].weight) * b[j].weight;
    dot += ka == kb ? product : 0.0;
    i += ka <= kb;
    j += kb <= ka;
  }
  return dot;
}

double Norm(absl::Span<const StoryTerm> a) {
  double n2 = 0.0;
  for (const StoryTerm& t : a) n2 += static_cast<double>(t.weight) * t.weight;
  return std::sqrt(n2);
}

}  // namespace

double StoryCosine(absl::Span<const StoryTerm> a, absl::Span<const StoryTerm> b) {
  const double na = Norm(a);
  const double nb = Norm(b);
  if (na <= 0.0 || nb <= 0.0) return 0.0;
  return Dot(a, b) / (na * nb);
}

// --- dates ---------------------------------------------------------------------------------

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool TakeDigits(std::string_view* s, size_t n, int* out) {
  if (s->size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = (*s)[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  s->remove_prefix(n);
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<int64_t> ParseStoryDate(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  // Epoch seconds (or milliseconds): all digits, but not a compact date of 8 digits.
  if (AllDigits(text) && text.size() != 8) {
    if (text.size() < 9 || text.size() > 13 || text.size() == 12) return std::nullopt;
    int64_t v = 0;
    for (char c : text) v = v * 10 + (c - '0');
    return text.size() == 13 ? v / 1000 : v;
  }
  std::string_view s = text;
  int y = 0, m = 0, d = 0;
  if (!TakeDigits(&s, 4, &y)) return std::nullopt;
  if (!s.empty() && (s.front() == '-' || s.front() == '.' || s.front() == '/')) {
    const char sep = s.front();
    s.remove_prefix(1);
    if (!TakeDigits(&s, 2, &m) && !TakeDigits(&s, 1, &m)) return std::nullopt;
    if (s.empty() || s.front() != sep) return std::nullopt;
    s.remove_prefix(1);
    if (!TakeDigits(&s, 2, &d) && !TakeDigits(&s, 1, &d)) return std::nullopt;
    if (sep == '.' && !s.empty() && s.front() == '.') s.remove_prefix(1);  // "2025.02.04."
  } else {
    if (!TakeDigits(&s, 2, &m) || !TakeDigits(&s, 2, &d)) return std::nullopt;
  }
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t seconds = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400;
  if (s.empty()) return seconds;
  if (s.front() != ' ' && s.front() != 'T') return std::nullopt;
  while (!s.empty() && (s.front() == ' ' || s.front() == 'T')) s.remove_prefix(1);
  int hh = 0, mm = 0, ss = 0;
  if (!TakeDigits(&s, 2, &hh) && !TakeDigits(&s, 1, &hh)) return std::nullopt;
  if (s.empty() || s.front() != ':') return std::nullopt;
  s.remove_prefix(1);
  if (!TakeDigits(&s, 2, &mm)) return std::nullopt;
  if (!s.empty() && s.front() == ':') {
    s.remove_prefix(1);
    if (!TakeDigits(&s, 2, &ss)) return std::nullopt;
    if (!s.empty() && s.front() == '.') {  // fractions of a second
      s.remove_prefix(1);
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') s.remove_prefix(1);
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  seconds += hh * 3600 + mm * 60 + ss;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty() || s == "Z" || s == "UTC" || s == "GMT") return seconds;
  if (s.front() != '+' && s.front() != '-') return std::nullopt;
  const int sign = s.front() == '-' ? -1 : 1;
  s.remove_prefix(1);
  int oh = 0, om = 0;
  if (!TakeDigits(&s, 2, &oh)) return std::nullopt;
  if (!s.empty() && s.front() == ':') s.remove_prefix(1);
  if (!s.empty() && !TakeDigits(&s, 2, &om)) return std::nullopt;
  if (!s.empty() || oh > 14 || om > 59) return std::nullopt;
  return seconds - sign * (oh * 3600 + om * 60);
}

// --- assignment ----------------------------------------------------------------------------

namespace {

// Candidates come from a fixed table of "recent stories" rings: each term hashes to a bucket
// that remembers the last kRing (term, story) pairs of that bucket. A cluster looks up the
// bucket of each of its terms and counts the stories recorded under that very term, so finding
// candidates costs the same however common a term is or however long the input, and a common
// term still finds the stories of the last hours. Terms sharing a bucket only compete for its
// slots; they never make each other's stories candidates.
constexpr size_t kRing = 8;
constexpr int kMaxBucketBits = 20;  // 2^20 buckets x 8 slots x 8 bytes = 64 MiB at most

struct RingSlot {
  uint32_t story;
  uint32_t key;
};
static_assert(sizeof(RingSlot) * kRing == 64, "a ring is one cache line");
// Stories scored exactly per cluster: the best by the sum of shared term weights.
constexpr size_t kScoredPerUnit = 4;
// A centroid keeps at most this many terms (the heaviest) once it grows past twice as many.
constexpr size_t kCentroidTerms = 128;

struct Story {
  uint32_t first_unit = 0;
  std::optional<int64_t> first_time;
  uint32_t clusters = 0;
  // The sum of the members' vectors, sorted by key; empty while the story is its first cluster
  // alone (most stories: the sum would be a copy of that cluster's vector).
  std::vector<StoryTerm> sum;
  double sum_norm = 0.0;
  double first_norm = 0.0;
};

void AddInto(absl::Span<const StoryTerm> v, std::vector<StoryTerm>* sum,
             std::vector<StoryTerm>* scratch) {
  scratch->clear();
  size_t i = 0, j = 0;
  while (i < sum->size() || j < v.size()) {
    if (j == v.size() || (i < sum->size() && (*sum)[i].key < v[j].key)) {
      scratch->push_back((*sum)[i++]);
    } else if (i == sum->size() || v[j].key < (*sum)[i].key) {
      scratch->push_back(v[j++]);
    } else {
      scratch->push_back({v[j].key, (*sum)[i].weight + v[j].weight});
      ++i;
      ++j;
    }
  }
  if (scratch->size() > 2 * kCentroidTerms) {
    std::nth_element(scratch->begin(), scratch->begin() + kCentroidTerms, scratch->end(),
                     [](const StoryTerm& a, const StoryTerm& b) {
                       return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
                     });
    scratch->resize(kCentroidTerms);
    std::sort(scratch->begin(), scratch->end(),
              [](const StoryTerm& a, const StoryTerm& b) { return a.key < b.key; });
  }
  sum->swap(*scratch);
}

}  // namespace

std::vector<uint32_t> AssignStories(absl::Span<const StoryUnit> units,
                                    const StoryOptions& options, StoryStats* stats) {
  StoryStats local;
  StoryStats& st = stats != nullptr ? *stats : local;
  st = StoryStats{};
  std::vector<uint32_t> order(units.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const StoryUnit& x = units[a];
    const StoryUnit& y = units[b];
    if (x.time.has_value() != y.time.has_value()) return x.time.has_value();
    if (x.time != y.time) return *x.time < *y.time;
    return x.first_document != y.first_document ? x.first_document < y.first_document : a < b;
  });

  std::vector<uint32_t> story_of(units.size(), 0);
  std::vector<Story> stories;
  // The rings: about 8 buckets per cluster up to 2^20, each kRing (story, term) slots, the
  // newest first (story kNoStory when empty).
  constexpr uint32_t kNoStory = ~uint32_t{0};
  int bucket_bits = 10;
  while (bucket_bits < kMaxBucketBits && (size_t{1} << bucket_bits) < 8 * units.size()) {
    ++bucket_bits;
  }
  // Each ring on a cache line of its own.
  std::vector<RingSlot> ring_storage(((size_t{1} << bucket_bits) + 1) * kRing,
                                     RingSlot{kNoStory, 0});
  RingSlot* const rings = ring_storage.data() +
                          (64 - reinterpret_cast<uintptr_t>(ring_storage.data()) % 64) % 64 /
                              sizeof(RingSlot);
  auto bucket_of = [bucket_bits](uint32_t key) { return key >> (32 - bucket_bits); };
  std::vector<double> shared;      // by story: the weight shared with the current cluster
  std::vector<uint32_t> touched;   // stories with shared > 0
  std::vector<std::pair<double, uint32_t>> ranked;
  std::vector<StoryTerm> scratch;
  const double threshold = options.threshold;

  for (uint32_t u : order) {
    const StoryUnit& unit = units[u];
    const double unit_norm = Norm(unit.terms);
    // Candidate stories: those sharing a term, ranked by the weight they share.
    touched.clear();
    // The rings are spread over up to 64 MiB: ask for all of them before reading any.
    for (const StoryTerm& t : unit.terms) __builtin_prefetch(rings + bucket_of(t.key) * kRing);
    for (const StoryTerm& t : unit.terms) {
      const RingSlot* ring = rings + bucket_of(t.key) * kRing;
      for (size_t i = 0; i < kRing; ++i) {
        const uint32_t s = ring[i].story;
        if (s == kNoStory) break;  // rings fill from the front
        if (ring[i].key != t.key) continue;
        if (shared[s] == 0.0) touched.push_back(s);
        shared[s] += t.weight;
      }
    }
    ranked.clear();
    for (uint32_t s : touched) {
      const double w = shared[s];
      shared[s] = 0.0;
      const Story& story = stories[s];
      if (options.window_seconds > 0 && unit.time && story.first_time &&
          *unit.time - *story.first_time > options.window_seconds) {
        continue;
      }
      ranked.emplace_back(w, s);
    }
    const size_t n = std::min(ranked.size(), kScoredPerUnit);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(n), ranked.end(),
                      [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    int best = -1;
    double best_cos = 0.0;
    for (size_t k = 0; k < n; ++k) {
      const uint32_t s = ranked[k].second;
      const Story& story = stories[s];
      ++st.candidates_scored;
      if (unit_norm <= 0.0 || story.sum_norm <= 0.0 || story.first_norm <= 0.0) continue;
      const absl::Span<const StoryTerm> first = units[story.first_unit].terms;
      const double to_first = Dot(unit.terms, first) / (unit_norm * story.first_norm);
      if (to_first < threshold) continue;
      const double to_centroid =
          story.clusters == 1 ? to_first
                              : Dot(unit.terms, story.sum) / (unit_norm * story.sum_norm);
      if (to_centroid < threshold) continue;
      if (best < 0 || to_centroid > best_cos ||
          (to_centroid == best_cos && s < static_cast<uint32_t>(best))) {
        best = static_cast<int>(s);
        best_cos = to_centroid;
      }
    }
    uint32_t s;
    if (best >= 0) {
      s = static_cast<uint32_t>(best);
      ++st.joined;
    } else {
      s = static_cast<uint32_t>(stories.size());
      Story story;
      story.first_unit = u;
      story.first_time = unit.time;
      story.first_norm = unit_norm;
      stories.push_back(std::move(story));
      shared.push_back(0.0);
    }
    Story& story = stories[s];
    ++story.clusters;
    story_of[u] = story.first_unit;
    // The story goes into the ring of each of the cluster's terms, unless it is there already
    // under that term.
    for (const StoryTerm& t : unit.terms) {
      const uint32_t b = bucket_of(t.key);
      RingSlot* ring = rings + b * kRing;
      if (std::any_of(ring, ring + kRing,
                      [&](const RingSlot& r) { return r.story == s && r.key == t.key; })) {
        continue;
      }
      std::memmove(ring + 1, ring, (kRing - 1) * sizeof(RingSlot));  // the oldest falls out
      ring[0] = RingSlot{s, t.key};
    }
    if (story.clusters == 2) {  // the sum begins as the first cluster's vector
      story.sum.assign(units[story.first_unit].terms.begin(), units[story.first_unit].terms.end());
    }
    if (story.clusters >= 2) {
      AddInto(unit.terms, &story.sum, &scratch);
      story.sum_norm = Norm(story.sum);
    } else {
      story.sum_norm = story.first_norm;
    }
  }
  st.stories = stories.size();
  for (const Story& story : stories) {
    if (story.clusters > 1) ++st.multi;
    st.largest = std::max<uint64_t>(st.largest, story.clusters);
  }
  return story_of;
}

}  // namespace neardup
