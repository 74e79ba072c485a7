#include "neardup/tools/synth.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/status_macros.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_pipeline.h"
#include "oneapi/tbb/task_arena.h"

namespace neardup {
namespace {

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
uint64_t Threshold(double p) {
  if (!(p > 0)) return 0;
  const double x = std::ldexp(p, 64);
  if (!(x < 18446744073709549568.0)) return ~0ULL;  // the largest double below 2^64
  return static_cast<uint64_t>(x);
}

constexpr uint64_t kOneThird = 0x5555555555555555ULL;

inline bool IsSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }
inline bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
// Lead bytes of U+AC00..U+D7A3 (Hangul syllables) are EA..ED.
inline bool IsHangulLead(char c) {
  const unsigned char b = static_cast<unsigned char>(c);
  return b >= 0xEA && b <= 0xED;
}
bool HasHangul(std::string_view s) {
  for (char c : s) {
    if (IsHangulLead(c)) return true;
  }
  return false;
}

void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// ---------------------------------------------------------------------------------------------
// Pseudo-text vocabularies, fixed for every seed (built once from kVocabSeed), so that corpora of
// different seeds share their language and differ in their documents.

constexpr uint64_t kVocabSeed = 0x73796E7468766F63ULL;  // "synthvoc"
constexpr int kVocabSize = 8192;
constexpr int kRankBuckets = 4096;

// Common Hangul syllables of Korean news text (duplicates removed at start-up).
constexpr std::string_view kSyllables =
    "이다는의에하고을가지서기사한로리대도수자정어시보일인부들제전과상주아해적국나으성라면비생만여"
    "거게동유것장내소구원마경오조개문화공방연미회세중발위무요그실관학작용분간결당후신선물금업행명법"
    "산교양체진현단영통력최민치심선거출입표반직재차운총임권감독배우방송연예팬공개촬영드라마음악앨범"
    "무대활동소속사측근황결혼열애";
constexpr std::string_view kParticles[] = {
    "은", "는", "이", "가", "을", "를", "에", "의", "에서", "으로", "로", "와", "과", "도",
    "만", "까지", "부터", "에게", "라는", "하는", "했던", "된", "한", "할", "하고", "해서",
    "하며", "인", "적인", "들이", "들의", "측은", "에도"};
constexpr std::string_view kEndings[] = {
    "했다.", "한다.", "이다.", "됐다.", "밝혔다.", "전했다.", "있다.", "없다.", "하겠다.",
    "했습니다.", "입니다.", "된다.", "말했다.", "설명했다.", "덧붙였다.", "알려졌다."};
constexpr std::string_view kEnglishCommon =
    "the of and to a in is that for it as was with be by on not he this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so no will "
    "more can said who its into than other time new some could these two may first then do any "
    "like my now over such our man me even most made after also did many before must through back "
    "years where much your way well down should because each just those people how too little "
    "state good very make world still own see men work long get here between both life being "
    "under never day same another know while last might us great old year off come since against "
    "go came right used take three government company report market police city president show "
    "music film group team season fans week public official according million percent minister "
    "country week family school health water plan house local national service support program";
constexpr std::string_view kOnsets[] = {"",  "b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",
                                        "l", "m",  "n",  "p",  "r",  "s",  "t",  "v",  "w",
                                        "st", "tr", "pl", "br", "ch", "sh", "th", "gr", "cl"};
constexpr std::string_view kVowels[] = {"a", "e", "i", "o", "u", "ea", "ou", "io", "ai", "ee"};
constexpr std::string_view kCodas[] = {"", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng",
                                       "ck", "rt"};
constexpr std::string_view kEnglishSuffixes[] = {"", "", "", "s", "ed", "ing", "er", "ly",
                                                 "tion", "ment"};
constexpr std::string_view kKoreanUnits[] = {"년", "월", "일", "명", "개", "%", "억원", "만원",
                                             "시", "회", "위"};
constexpr std::string_view kKoreanTags[] = {"[속보]", "[단독]", "[종합]", "[포토]", "(종합)",
                                            "(종합2보)", "[영상]", "[인터뷰]", "[공식]"};
constexpr std::string_view kEnglishTags[] = {"BREAKING:", "UPDATE:", "[Video]", "(Reuters)",
                                             "EXCLUSIVE:", "[Photos]"};

template <size_t N>
std::string_view Pick(Rng& rng, const std::string_view (&list)[N]) {
  return list[rng.Below(N)];
}

// Words stored kWordStride bytes apart (so that appending one is a fixed-size copy), and a
// sampler of ranks with P(rank r) ~ 1/(r+1) (log-uniform), using a table of kRankBuckets quantiles
// so that sampling needs no floating point.
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

const Language& GetLanguage() {
  static const Language* const language = [] {
    auto* lang = new Language;
    for (size_t i = 0; i < kSyllables.size(); i += 3) {
      std::string s(kSyllables.substr(i, 3));
      if (std::find(lang->syllables.begin(), lang->syllables.end(), s) == lang->syllables.end()) {
        lang->syllables.push_back(std::move(s));
      }
    }
    Rng rng(kVocabSeed, kStreamVocab, 0);
    const auto& syl = lang->syllables;
    std::string w;
    auto stem = [&] {
      w.clear();
      const uint64_t u = rng.Below(100);
      const int n = u < 20 ? 1 : u < 75 ? 2 : 3;
      for (int k = 0; k < n; ++k) w += syl[rng.Below(syl.size())];
    };
    for (int i = 0; i < kVocabSize; ++i) {
      stem();
      if (rng.Below(100) < 65) w.append(Pick(rng, kParticles));
      lang->korean.Add(w);
    }
    for (int i = 0; i < 1024; ++i) {
      stem();
      w.append(Pick(rng, kEndings));
      lang->korean_final.Add(w);
    }
    for (absl::string_view word :
         absl::StrSplit(absl::string_view(kEnglishCommon.data(), kEnglishCommon.size()), ' ',
                        absl::SkipEmpty())) {
      lang->english.Add(std::string_view(word.data(), word.size()));
    }
    while (lang->english.size() < kVocabSize) {
      w.clear();
      const int n = 1 + static_cast<int>(rng.Below(3));
      for (int k = 0; k < n; ++k) {
        w.append(Pick(rng, kOnsets));
        w.append(Pick(rng, kVowels));
        w.append(Pick(rng, kCodas));
      }
      w.append(Pick(rng, kEnglishSuffixes));
      lang->english.Add(w);
    }
    lang->korean.BuildRanks();
    lang->korean_final.BuildRanks();
    lang->english.BuildRanks();
    return lang;
  }();
  return *language;
}

// Writes a number-like token at `p` ("2024년", "15%", "37"; at most 24 bytes); returns its length.
size_t WriteNumberToken(Rng& rng, bool korean, char* p) {
  const uint64_t u = rng.Next();
  const uint64_t kind = u & 3;
  const uint64_t v = kind == 0 ? 1990 + (u >> 2) % 40 : kind == 1 ? 1 + (u >> 2) % 31 : (u >> 2) % 1000;
  char* q = std::to_chars(p, p + 8, v).ptr;
  if (korean) {
    const std::string_view unit = kKoreanUnits[(u >> 20) % std::size(kKoreanUnits)];
    std::memcpy(q, unit.data(), unit.size());
    q += unit.size();
  }
  return static_cast<size_t>(q - p);
}

// Writes one pseudo-text word (no spaces) at `p` (kWordStride bytes of room); returns its length.
// `u` is a fresh random number: its top 44 bits pick the word, bits 0-9 the kind of token.
size_t WritePseudoWord(const Language& lang, Rng& rng, bool korean, bool title, uint64_t u,
                       char* p) {
  const uint64_t percent = ((u & 1023) * 100) >> 10;
  auto copy = [&](const Vocab& vocab) { return vocab.Copy(vocab.Rank(u, title), p); };
  if (korean) {
    if (percent < 3) return copy(lang.english);
    if (percent < 5) return WriteNumberToken(rng, true, p);
    return copy(lang.korean);
  }
  if (percent < 1) return WriteNumberToken(rng, false, p);
  return copy(lang.english);
}

inline char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

// A body of about `target` bytes: sentences of 5-16 words, paragraphs of 2-6 sentences. Written
// through a raw pointer into a buffer with room to spare, one fixed-size copy per word.
void PseudoBody(const Language& lang, Rng& rng, bool korean, size_t target, std::string* out) {
  out->resize(target + 4 * kWordStride);
  char* const base = &(*out)[0];
  char* p = base;
  char* const end = base + target;
  int sentences_left = 2 + static_cast<int>(rng.Below(5));
  while (p < end) {
    const int words = 5 + static_cast<int>(rng.Below(12));
    for (int i = 0; i < words && p < end; ++i) {
      if (p != base && p[-1] != '\n') *p++ = ' ';
      const uint64_t u = rng.Next();
      if (i + 1 == words) {
        if (korean) {
          p += lang.korean_final.Copy(lang.korean_final.Rank(u), p);
        } else {
          p += lang.english.Copy(lang.english.Rank(u), p);
          *p++ = (u & 15) == 0 ? '?' : '.';
        }
      } else {
        char* const start = p;
        p += WritePseudoWord(lang, rng, korean, false, u, p);
        if (i == 0 && !korean) *start = AsciiUpper(*start);
        if (i > 1 && ((u >> 10) & 1023) < 85) *p++ = ',';  // 1 in 12
      }
    }
    if (--sentences_left == 0 && p < end) {
      *p++ = '\n';
      sentences_left = 2 + static_cast<int>(rng.Below(5));
    }
  }
  out->resize(static_cast<size_t>(p - base));
}

// A headline of 4-10 words; sometimes one word quoted, as Korean headlines do.
void PseudoTitle(const Language& lang, Rng& rng, bool korean, std::string* out) {
  const int words = 4 + static_cast<int>(rng.Below(7));
  out->resize(static_cast<size_t>(words) * (kWordStride + 3));
  char* const base = &(*out)[0];
  char* p = base;
  const int quoted = rng.Below(5) == 0 ? static_cast<int>(rng.Below(words)) : -1;
  for (int i = 0; i < words; ++i) {
    if (i > 0) *p++ = ' ';
    if (i == quoted) *p++ = '\'';
    p += WritePseudoWord(lang, rng, korean, true, rng.Next(), p);
    if (i == quoted) *p++ = '\'';
  }
  if (!korean) *base = AsciiUpper(*base);
  out->resize(static_cast<size_t>(p - base));
}

// ---------------------------------------------------------------------------------------------
// Base texts: every base record's text (and title) pooled, originals cut from random windows.

struct BasePool {
  std::string body;   // record texts, each followed by '\n'
  std::string title;  // record titles, each followed by '\n'; empty: use `body`
  uint64_t records = 0;
};

constexpr size_t kMinBaseBytes = 4096;

absl::StatusOr<BasePool> ReadBase(const SynthOptions& options) {
  BasePool pool;
  std::string repaired;
  for (const std::string& path : options.base_files) {
    const Format format = GuessFormat(path);
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, format));
    RecordParser parser(format, options.base_fields, path, reader->columns());
    RecordBatch batch;
    Document doc;
    while (pool.body.size() < options.max_base_bytes) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(1 << 20, &batch));
      if (!more) break;
      for (size_t i = 0; i < batch.size() && pool.body.size() < options.max_base_bytes; ++i) {
        // A record that does not parse is skipped: a base only has to supply text.
        if (!parser.Parse(batch.record(i), batch.line_numbers[i], &doc).ok()) continue;
        ++pool.records;
        const std::pair<const std::string*, std::string*> fields[] = {
            {&doc.body, &pool.body}, {&doc.title, &pool.title}};
        for (const auto& [text, dest] : fields) {
          if (text->empty()) continue;
          RepairUtf8(*text, &repaired);
          dest->append(repaired);
          dest->push_back('\n');
        }
      }
    }
  }
  if (pool.body.size() < kMinBaseBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--base: the base files hold ", pool.body.size(), " bytes of \"",
        options.base_fields.text, "\" text; at least ", kMinBaseBytes, " are needed"));
  }
  if (pool.title.size() < 256) pool.title.clear();
  return pool;
}

// Appends a window of `pool` of about `len` bytes starting near a random offset, both ends moved
// to word boundaries (or, failing that within 64 bytes, to code point boundaries). With `flat`,
// control characters (line breaks) become spaces. Returns false if nothing was appended.
bool AppendWindow(std::string_view pool, Rng& rng, size_t len, bool flat, std::string* out) {
  const size_t n = pool.size();
  size_t s = rng.Below(n);
  {
    const size_t limit = std::min(n, s + 64);
    size_t t = s;
    while (t < limit && !IsSpace(pool[t])) ++t;
    if (t < limit) {
      while (t < n && IsSpace(pool[t])) ++t;
      s = t;
    } else {
      while (s < n && IsContinuation(pool[s])) ++s;
    }
    if (s >= n) s = 0;
  }
  size_t e = std::min(n, s + len);
  if (e < n) {
    const size_t limit = std::min(n, e + 64);
    size_t t = e;
    while (t < limit && !IsSpace(pool[t])) ++t;
    if (t < limit) {
      e = t;
    } else {
      while (e < n && IsContinuation(pool[e])) ++e;
    }
  }
  while (e > s && IsSpace(pool[e - 1])) --e;
  if (e == s) return false;
  const size_t start = out->size();
  out->append(pool.data() + s, e - s);
  if (flat) {
    for (size_t i = start; i < out->size(); ++i) {
      if (static_cast<unsigned char>((*out)[i]) < 0x20) (*out)[i] = ' ';
    }
  }
  return true;
}

void BaseBody(const BasePool& pool, Rng& rng, size_t target, std::string* out) {
  out->clear();
  for (int guard = 0; out->size() < target && guard < 1000; ++guard) {
    const size_t want = std::min<size_t>(100 + rng.Below(301), target - out->size() + 16);
    if (!out->empty()) out->push_back(rng.Below(4) == 0 ? '\n' : ' ');
    if (!AppendWindow(pool.body, rng, want, false, out) && !out->empty()) out->pop_back();
  }
}

void BaseTitle(const BasePool& pool, Rng& rng, std::string* out) {
  out->clear();
  const std::string& src = pool.title.empty() ? pool.body : pool.title;
  for (int guard = 0; out->empty() && guard < 100; ++guard) {
    AppendWindow(src, rng, 30 + rng.Below(61), true, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Edits.

struct EditCounts {
  uint32_t char_insert = 0, char_delete = 0, char_substitute = 0;
  uint32_t word_insert = 0, word_delete = 0, word_substitute = 0;
  bool tag = false, quotes = false, spacing = false;
  uint64_t truncate_ppm = 0;  // share of body bytes cut, in millionths
};

// Everything an edit needs that is fixed for a run.
struct EditSetup {
  const Language* lang = nullptr;
  uint32_t word_kinds[6];
  int num_word_kinds = 0;
  uint32_t edits = 0;
  uint64_t rate_min_ppm = 0, rate_max_ppm = 0;
};

// A random character like those of `word`: a Hangul syllable, a digit or a lowercase letter.
void AppendRandomChar(const Language& lang, Rng& rng, std::string_view like, std::string* out) {
  const unsigned char c = like.empty() ? 'a' : static_cast<unsigned char>(like[0]);
  if (IsHangulLead(static_cast<char>(c))) {
    out->append(lang.syllables[rng.Below(lang.syllables.size())]);
  } else if (c >= '0' && c <= '9') {
    out->push_back(static_cast<char>('0' + rng.Below(10)));
  } else {
    out->push_back(static_cast<char>('a' + rng.Below(26)));
  }
}

// Byte offsets of the code points of `word`.
void CodePoints(std::string_view word, std::vector<uint32_t>* starts) {
  starts->clear();
  for (size_t i = 0; i < word.size(); ++i) {
    if (!IsContinuation(word[i])) starts->push_back(static_cast<uint32_t>(i));
  }
  starts->push_back(static_cast<uint32_t>(word.size()));
}

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

// Word-level edits of `in` into `out`: each word edited with probability rate_threshold / 2^64.
void EditWords(const EditSetup& setup, std::string_view in, uint64_t rate_threshold, Rng& rng,
               Scratch& scratch, std::string* out, EditCounts* counts) {
  if (setup.num_word_kinds == 0) {
    out->assign(in.data(), in.size());
    return;
  }
  out->clear();
  const size_t n = in.size();
  size_t i = 0;
  size_t copied = 0;  // in[0, copied) is in `out`; unchanged words are copied in long runs
  while (i < n) {
    while (i < n && IsSpace(in[i])) ++i;
    if (i >= n) break;
    const size_t w = i;
    while (i < n && !IsSpace(in[i])) ++i;
    if (!rng.Chance(rate_threshold)) continue;
    const std::string_view word = in.substr(w, i - w);
    out->append(in.data() + copied, w - copied);
    copied = i;
    const bool korean = HasHangul(word);
    const Vocab& vocab = korean ? setup.lang->korean : setup.lang->english;
    switch (setup.word_kinds[rng.Below(setup.num_word_kinds)]) {
      case kEditWordInsert:
        out->append(vocab.Sample(rng));
        out->push_back(' ');
        out->append(word.data(), word.size());
        ++counts->word_insert;
        break;
      case kEditWordDelete:
        // Drop the word and the white space after it, so no double space is left behind.
        while (i < n && IsSpace(in[i])) ++i;
        copied = i;
        ++counts->word_delete;
        break;
      case kEditWordSubstitute:
        out->append(vocab.Sample(rng));
        ++counts->word_substitute;
        break;
      case kEditCharInsert: {
        CodePoints(word, &scratch.cps);
        const size_t k = scratch.cps.size() - 1;  // code points
        const size_t at = scratch.cps[rng.Below(k + 1)];
        out->append(word.data(), at);
        AppendRandomChar(*setup.lang, rng, word.substr(std::min(at, word.size() - 1)), out);
        out->append(word.data() + at, word.size() - at);
        ++counts->char_insert;
        break;
      }
      case kEditCharDelete: {
        CodePoints(word, &scratch.cps);
        const size_t k = scratch.cps.size() - 1;
        if (k > 1) {
          const size_t j = rng.Below(k);
          out->append(word.data(), scratch.cps[j]);
          out->append(word.data() + scratch.cps[j + 1], word.size() - scratch.cps[j + 1]);
        } else {
          while (i < n && IsSpace(in[i])) ++i;  // a one-character word: the word goes
          copied = i;
        }
        ++counts->char_delete;
        break;
      }
      case kEditCharSubstitute: {
        CodePoints(word, &scratch.cps);
        const size_t j = rng.Below(scratch.cps.size() - 1);
        const std::string_view old = word.substr(scratch.cps[j], scratch.cps[j + 1] - scratch.cps[j]);
        out->append(word.data(), scratch.cps[j]);
        const size_t at = out->size();
        AppendRandomChar(*setup.lang, rng, old, out);
        if (std::string_view(*out).substr(at) == old) {  // same character: try once more
          out->resize(at);
          AppendRandomChar(*setup.lang, rng, old, out);
        }
        out->append(word.data() + scratch.cps[j + 1], word.size() - scratch.cps[j + 1]);
        ++counts->char_substitute;
        break;
      }
    }
  }
  out->append(in.data() + copied, n - copied);
}

// Straight quotes to curly ones (alternating opening and closing) and curly ones to straight.
// Returns the number of quotes changed.
size_t SwapQuotes(std::string_view in, std::string* out) {
  out->clear();
  size_t changed = 0;
  bool open_double = true, open_single = true;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '"') {
      out->append(open_double ? "\xE2\x80\x9C" : "\xE2\x80\x9D");
      open_double = !open_double;
      ++changed;
    } else if (c == '\'') {
      out->append(open_single ? "\xE2\x80\x98" : "\xE2\x80\x99");
      open_single = !open_single;
      ++changed;
    } else if (c == '\xE2' && i + 2 < in.size() && in[i + 1] == '\x80' &&
               (in[i + 2] >= '\x98' && in[i + 2] <= '\x9D') && in[i + 2] != '\x9A' &&
               in[i + 2] != '\x9B') {
      out->push_back(in[i + 2] >= '\x9C' ? '"' : '\'');
      i += 2;
      ++changed;
    } else {
      out->push_back(c);
    }
  }
  return changed;
}

// About a fifth of the white-space runs change: a space between two non-ASCII bytes is dropped,
// a run with a line break becomes one space, any other space is doubled.
void ChangeSpacing(std::string_view in, Rng& rng, std::string* out) {
  out->clear();
  const size_t n = in.size();
  size_t i = 0, copied = 0;
  while (i < n) {
    if (!IsSpace(in[i])) {
      ++i;
      continue;
    }
    const size_t ws = i;
    while (i < n && IsSpace(in[i])) ++i;
    if (ws == 0 || i == n || rng.Below(5) != 0) continue;
    const std::string_view run = in.substr(ws, i - ws);
    out->append(in.data() + copied, ws - copied);
    copied = i;
    if (run.find('\n') != std::string_view::npos) {
      out->push_back(' ');
    } else if (run == " " && static_cast<unsigned char>(in[ws - 1]) >= 0x80 &&
               static_cast<unsigned char>(in[i]) >= 0x80) {
      // dropped
    } else {
      out->append("  ");
    }
  }
  out->append(in.data() + copied, n - copied);
}

void ApplyEdits(const EditSetup& setup, bool edit_title, Rng& rng, Scratch& s) {
  EditCounts counts;
  const uint64_t rate_ppm =
      setup.rate_min_ppm + rng.Below(setup.rate_max_ppm - setup.rate_min_ppm + 1);
  const uint64_t rate_threshold =
      rate_ppm >= 1000000 ? ~0ULL
                          : static_cast<uint64_t>((static_cast<unsigned __int128>(rate_ppm) << 64) /
                                                  1000000);
  EditWords(setup, s.body, rate_threshold, rng, s, &s.edited_body, &counts);
  if (edit_title) {
    EditWords(setup, s.title, rate_threshold, rng, s, &s.edited_title, &counts);
  } else {
    s.edited_title = s.title;
  }
  // Document-level edits, each with probability 1/3; the draws happen whether or not the edit is
  // enabled, so that switching one edit off leaves the others' choices unchanged.
  const bool tag = rng.Chance(kOneThird) && (setup.edits & kEditHeadlineTag) && edit_title;
  const bool truncate = rng.Chance(kOneThird) && (setup.edits & kEditTruncate);
  const bool quotes = rng.Chance(kOneThird) && (setup.edits & kEditQuotes);
  const bool spacing = rng.Chance(kOneThird) && (setup.edits & kEditSpacing);
  const uint64_t tag_pick = rng.Next();
  const uint64_t cut_ppm = 1 + rng.Below(std::max<uint64_t>(2 * rate_ppm, 1));
  if (tag) {
    const bool korean = HasHangul(s.edited_title);
    const std::string_view t = korean ? kKoreanTags[(tag_pick >> 1) % std::size(kKoreanTags)]
                                      : kEnglishTags[(tag_pick >> 1) % std::size(kEnglishTags)];
    if (tag_pick & 1) {
      s.edited_title = absl::StrCat(absl::string_view(t.data(), t.size()), " ", s.edited_title);
    } else {
      s.edited_title.push_back(' ');
      s.edited_title.append(t.data(), t.size());
    }
    counts.tag = true;
  }
  if (truncate && s.edited_body.size() > 1) {
    const size_t size = s.edited_body.size();
    size_t cut = size - static_cast<size_t>((static_cast<unsigned __int128>(size) * cut_ppm) /
                                            1000000);
    while (cut > 0 && !IsSpace(s.edited_body[cut])) --cut;  // to a word end
    while (cut > 0 && IsSpace(s.edited_body[cut - 1])) --cut;
    if (cut > 0 && cut < size) {
      counts.truncate_ppm = (size - cut) * 1000000 / size;
      s.edited_body.resize(cut);
    }
  }
  if (quotes) {
    if (edit_title) {
      if (SwapQuotes(s.edited_title, &s.tmp) == 0 && !s.edited_title.empty()) {
        // No quote to change: quote one word of the title.
        size_t start = 0, end = 0;
        std::vector<std::pair<size_t, size_t>> words;
        for (size_t i = 0; i <= s.edited_title.size(); ++i) {
          if (i == s.edited_title.size() || IsSpace(s.edited_title[i])) {
            if (i > start) words.emplace_back(start, i);
            start = i + 1;
          }
        }
        if (!words.empty()) {
          std::tie(start, end) = words[rng.Below(words.size())];
          s.tmp = absl::StrCat(absl::string_view(s.edited_title).substr(0, start), "\xE2\x80\x98",
                               absl::string_view(s.edited_title).substr(start, end - start),
                               "\xE2\x80\x99", absl::string_view(s.edited_title).substr(end));
        }
      }
      s.edited_title.swap(s.tmp);
    }
    SwapQuotes(s.edited_body, &s.tmp);
    s.edited_body.swap(s.tmp);
    counts.quotes = true;
  }
  if (spacing) {
    ChangeSpacing(s.edited_body, rng, &s.tmp);
    s.edited_body.swap(s.tmp);
    if (edit_title) {
      ChangeSpacing(s.edited_title, rng, &s.tmp);
      s.edited_title.swap(s.tmp);
    }
    counts.spacing = true;
  }

  // "rate=0.031 char_ins=1 ... truncate=0.042"
  std::string& e = s.edit;
  e.assign("rate=");
  auto append_ppm = [&e](uint64_t ppm) {
    const uint64_t thousandths = (ppm + 500) / 1000;
    AppendNumber(&e, thousandths / 1000);
    e.push_back('.');
    const uint64_t frac = thousandths % 1000;
    e.push_back(static_cast<char>('0' + frac / 100));
    e.push_back(static_cast<char>('0' + frac / 10 % 10));
    e.push_back(static_cast<char>('0' + frac % 10));
  };
  append_ppm(rate_ppm);
  const std::pair<const char*, uint32_t> word_counts[] = {
      {" char_ins=", counts.char_insert}, {" char_del=", counts.char_delete},
      {" char_sub=", counts.char_substitute}, {" word_ins=", counts.word_insert},
      {" word_del=", counts.word_delete}, {" word_sub=", counts.word_substitute}};
  for (const auto& [name, count] : word_counts) {
    if (count == 0) continue;
    e.append(name);
    AppendNumber(&e, count);
  }
  if (counts.tag) e.append(" tag");
  if (counts.quotes) e.append(" quotes");
  if (counts.spacing) e.append(" spacing");
  if (counts.truncate_ppm > 0) {
    e.append(" truncate=");
    append_ppm(counts.truncate_ppm);
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

// True if any byte of `w` is below 0x20, '"' or '\\' (SWAR "has a byte less than n" and "has a
// zero byte" tests; a false hit needs a borrow, and a borrow starts only at a matching byte).
inline bool NeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t t = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                     ((backslash - kOnes) & ~backslash);
  return (t & kHigh) != 0;
}

// Appends `s` (valid UTF-8) escaped for a JSON string, without quotes. Clean 8-byte words are
// skipped at once; most text has nothing to escape but its line breaks.
void AppendEscaped(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* const data = s.data();
  const size_t n = s.size();
  size_t run = 0, i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      if (!NeedsEscape(w)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out->append(data + run, i - run);
    run = ++i;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(data + run, n - run);
}

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

// Variant clusters on the positions perm[next, n) (the singletons left after clusters and
// chains), as many of the window's share as fit; sizes come from their own stream, so that
// corpora without variants are unchanged.
void PlanVariants(const Setup& setup, uint64_t window, std::vector<uint32_t>& perm, size_t next,
                  WindowPlan* plan) {
  const SynthOptions& o = *setup.options;
  const size_t n = perm.size();
  const uint64_t want =
      o.variants * (window + 1) / setup.windows - o.variants * window / setup.windows;
  Rng rng(o.seed, kStreamVariantPlan, window);
  plan->variant.assign(n, 0);
  for (uint64_t c = 0; c < want; ++c) {
    const uint32_t size = o.variant_size_min +
                          static_cast<uint32_t>(rng.Below(o.variant_size_max - o.variant_size_min + 1));
    if (n - next < size) break;
    auto begin = perm.begin() + static_cast<std::ptrdiff_t>(next);
    std::sort(begin, begin + size);
    for (uint32_t k = 0; k < size; ++k) {
      plan->original[begin[k]] = *begin;
      plan->variant[begin[k]] = k == 0 ? 1 : 2;
    }
    plan->variant_bases.emplace_back(*begin, size);
    next += size;
    ++plan->variant_clusters;
    plan->variant_documents += size;
  }
  std::sort(plan->variant_bases.begin(), plan->variant_bases.end());
}

std::shared_ptr<WindowPlan> PlanWindow(const Setup& setup, uint64_t window) {
  const SynthOptions& o = *setup.options;
  auto plan = std::make_shared<WindowPlan>();
  plan->first = window * o.cluster_window;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(o.cluster_window, o.documents - plan->first));
  Rng rng(o.seed, kStreamPlan, window);
  const double want = o.dup_fraction * n;
  uint64_t target = static_cast<uint64_t>(std::floor(want));
  if (rng.Chance(Threshold(want - std::floor(want)))) ++target;
  target = std::min<uint64_t>(target, n);

  std::vector<uint32_t> sizes;
  for (uint64_t assigned = 0; assigned < target;) {
    const uint64_t u = rng.Next();
    const size_t i = std::upper_bound(setup.size_cdf.begin(), setup.size_cdf.end() - 1, u) -
                     setup.size_cdf.begin();
    const uint64_t size = std::min<uint64_t>(2 + i, target - assigned);
    if (size < 2) break;
    sizes.push_back(static_cast<uint32_t>(size));
    assigned += size;
  }
  std::vector<uint32_t> perm(n);
  for (uint32_t i = 0; i < n; ++i) perm[i] = i;
  for (uint32_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.Below(i)]);

  plan->original.resize(n);
  plan->role.assign(n, 0);
  for (uint32_t i = 0; i < n; ++i) plan->original[i] = i;
  size_t next = 0;
  for (uint32_t size : sizes) {
    auto begin = perm.begin() + static_cast<std::ptrdiff_t>(next);
    std::sort(begin, begin + size);
    for (uint32_t k = 0; k < size; ++k) {
      plan->original[begin[k]] = *begin;
      plan->role[begin[k]] = 1 + k;
    }
    next += size;
    ++plan->clusters;
    plan->clustered += size;
  }
  // Chains: from the singletons left, in the permutation's (random) order, each chain's links in
  // output order. No randomness is drawn, so corpora without chains are unchanged.
  if (o.chains > 0) {
    const uint64_t want = o.chains * (window + 1) / setup.windows - o.chains * window / setup.windows;
    const uint32_t len = o.chain_length;
    const uint64_t fit = (n - next) / len;
    const uint64_t count = std::min(want, fit);
    plan->chain_step.assign(n, 0);
    plan->chain_of.assign(n, 0);
    plan->chain_members.assign(perm.begin() + static_cast<std::ptrdiff_t>(next),
                               perm.begin() + static_cast<std::ptrdiff_t>(next + count * len));
    for (uint64_t c = 0; c < count; ++c) {
      auto begin = plan->chain_members.begin() + static_cast<std::ptrdiff_t>(c * len);
      std::sort(begin, begin + len);
      for (uint32_t k = 0; k < len; ++k) {
        plan->chain_step[begin[k]] = 1 + k;
        plan->chain_of[begin[k]] = static_cast<uint32_t>(c);
      }
    }
    plan->chains = count;
    next += count * len;
  }
  if (o.variants > 0) PlanVariants(setup, window, perm, next, plan.get());
  return plan;
}

void MakeOriginal(const Setup& setup, uint64_t index, Scratch& s) {
  const SynthOptions& o = *setup.options;
  Rng rng(o.seed, kStreamText, index);
  const uint64_t target =
      std::max<uint64_t>(1, o.doc_bytes - setup.jitter_bytes + rng.Below(2 * setup.jitter_bytes + 1));
  if (setup.base != nullptr) {
    if (o.write_title) BaseTitle(*setup.base, rng, &s.title);
    BaseBody(*setup.base, rng, target, &s.body);
  } else {
    const bool korean = rng.Chance(setup.korean_threshold);
    if (o.write_title) PseudoTitle(*setup.lang, rng, korean, &s.title);
    PseudoBody(*setup.lang, rng, korean, target, &s.body);
  }
  if (!o.write_title) s.title.clear();
}

void AppendId(const Setup& setup, uint64_t index, std::string* out) {
  out->append(setup.id_prefix);
  AppendNumber(out, index);
}

// Exact char:5 Jaccard of two bodies after default normalization (what `cluster` estimates).
double BodyJaccard(const Setup& setup, const std::string& a, const std::string& b, Scratch& s) {
  setup.normalizer.Normalize(a, TextField::kBody, &s.normalized);
  const std::vector<uint64_t> x = ShingleSet(s.normalized, ShingleSpec{});
  setup.normalizer.Normalize(b, TextField::kBody, &s.normalized);
  return ExactJaccard(x, ShingleSet(s.normalized, ShingleSpec{}));
}

// Appends chain link `step` (0 = the head) of chain `chain` of `plan` as one JSONL line: the head
// is made, then every step's edits are replayed on the link before it.
void AppendChainLink(const Setup& setup, const WindowPlan& plan, uint32_t chain, uint32_t step,
                     Scratch& s, std::string* out) {
  const SynthOptions& o = *setup.options;
  const uint32_t* members = plan.chain_members.data() + static_cast<size_t>(chain) * o.chain_length;
  const uint64_t head = plan.first + members[0];
  const uint64_t index = plan.first + members[step];
  MakeOriginal(setup, head, s);
  bool near_head = true;
  if (step > 0) {
    s.head_body = s.body;
    for (uint32_t k = 1; k <= step; ++k) {
      Rng rng(o.seed, kStreamChainEdit, plan.first + members[k]);
      ApplyEdits(setup.chain_edit, o.write_title, rng, s);
      s.title.swap(s.edited_title);
      s.body.swap(s.edited_body);
    }
    const double jaccard = BodyJaccard(setup, s.head_body, s.body, s);
    near_head = jaccard >= o.chain_threshold;
    s.chain_links_near_head += near_head;
    std::string edit = absl::StrFormat("chain_link=%d head_jaccard=%.3f ", step, jaccard);
    edit.append(s.edit);
    s.edit.swap(edit);
  } else {
    s.edit = absl::StrCat("chain_head length=", o.chain_length);
  }
  out->append("{\"id\":\"");
  AppendId(setup, index, out);
  if (o.write_title) {
    out->append("\",\"title\":\"");
    AppendEscaped(out, s.title);
  }
  out->append("\",\"text\":\"");
  AppendEscaped(out, s.body);
  out->append("\",\"cluster\":\"");
  AppendId(setup, near_head ? head : index, out);
  out->append("\",\"chain\":\"");
  AppendId(setup, head, out);
  if (o.write_edit) {
    out->append("\",\"edit\":\"");
    out->append(s.edit);
  }
  out->append("\"}\n");
}

// ---------------------------------------------------------------------------------------------
// Variant clusters: citations of one paper written in many ways.

// Venue words with their usual abbreviation.
constexpr std::pair<std::string_view, std::string_view> kVenueWords[] = {
    {"Proceedings", "Proc."},   {"International", "Int."}, {"Conference", "Conf."},
    {"Journal", "J."},          {"Transactions", "Trans."}, {"Symposium", "Symp."},
    {"Workshop", "Workshop"},   {"Annual", "Annu."},       {"Advances", "Adv."},
    {"Information", "Inf."},    {"Processing", "Process."}, {"Systems", "Syst."},
    {"Science", "Sci."},        {"Engineering", "Eng."},   {"Research", "Res."},
    {"Review", "Rev."},         {"Letters", "Lett."},      {"Society", "Soc."},
    {"National", "Natl."},      {"European", "Eur."},      {"Computational", "Comput."},
    {"Applied", "Appl."},       {"Physical", "Phys."},     {"Quarterly", "Q."}};
enum VenueWord : uint32_t {
  kProceedings, kInternational, kConference, kJournal, kTransactions, kSymposium, kWorkshop,
  kAnnual, kAdvances, kInformation, kProcessing, kSystems, kScience, kEngineering, kResearch,
  kReview, kLetters, kSociety, kNational, kEuropean, kComputational, kApplied, kPhysical,
  kQuarterly, kNumVenueWords
};
// Venue shapes: words of kVenueWords by number; kTopic (1 or 2 capitalized vocabulary words).
constexpr uint32_t kTopic = 100, kOf = 101, kOn = 102, kThe = 103, kIn = 104;
constexpr uint32_t kVenueShapes[][8] = {
    {kProceedings, kOf, kThe, kInternational, kConference, kOn, kTopic, ~0u},
    {kProceedings, kOf, kThe, kAnnual, kSymposium, kOn, kTopic, ~0u},
    {kJournal, kOf, kTopic, kResearch, ~0u},
    {kTopic, kTransactions, kOn, kTopic, ~0u},
    {kAdvances, kIn, kTopic, kInformation, kProcessing, kSystems, ~0u},
    {kEuropean, kConference, kOn, kTopic, ~0u},
    {kInternational, kJournal, kOf, kTopic, kScience, ~0u},
    {kWorkshop, kOn, kComputational, kTopic, ~0u},
    {kPhysical, kReview, kLetters, ~0u},
    {kNational, kConference, kOn, kApplied, kTopic, kEngineering, ~0u},
    {kQuarterly, kJournal, kOf, kThe, kTopic, kSociety, ~0u},
};

enum Segment : int { kSegAuthors, kSegTitle, kSegVenue, kSegPages, kSegYear, kNumSegments };
constexpr int kSegmentOrders[][kNumSegments] = {
    {kSegAuthors, kSegTitle, kSegVenue, kSegPages, kSegYear},  // the base's
    {kSegAuthors, kSegYear, kSegTitle, kSegVenue, kSegPages},  // year after the authors
    {kSegTitle, kSegAuthors, kSegVenue, kSegPages, kSegYear},  // title first
    {kSegAuthors, kSegTitle, kSegVenue, kSegYear, kSegPages},  // pages last
};
constexpr std::string_view kSeparators[] = {". ", ", ", "; ", " - "};
constexpr std::string_view kAuthorJoins[] = {", ", ", ", "; ", " & "};

// How a citation is written; all zero is the base's style.
struct CiteStyle {
  int order = 0;           // kSegmentOrders
  int author_form = 0;     // 0 First Last, 1 F. Last, 2 Last, F., 3 Last F, 4 Last, First
  int author_join = 0;     // kAuthorJoins; 0 also puts " and " before the last author
  bool et_al = false;      // only the first author, then "et al."
  int separator = 0;       // kSeparators
  bool quote_title = false, year_parens = false, in_venue = false;
  int pages_form = 0;      // 0 "pp. 1-9", 1 "pages 1-9", 2 "1-9", 3 "p. 1"
  bool abbrev_venue = false, abbrev_title = false;
  int drop = -1;           // a Segment left out, or -1
  int dup = -1;            // a Segment written twice, or -1
};

std::string Capitalized(std::string_view w) {
  std::string s(w);
  if (!s.empty()) s[0] = AsciiUpper(s[0]);
  return s;
}

// A made-up English word (beyond the common ones), capitalized: names and topics. The shorter of
// two draws, as names are short.
std::string MadeUpWord(const Language& lang, Rng& rng) {
  constexpr size_t kFirstMadeUp = 512;
  const size_t n = lang.english.size() - kFirstMadeUp;
  const std::string_view a = lang.english.word(kFirstMadeUp + rng.Below(n));
  const std::string_view b = lang.english.word(kFirstMadeUp + rng.Below(n));
  return Capitalized(b.size() < a.size() ? b : a);
}

void MakeCitation(const Setup& setup, uint64_t index, Citation* c) {
  const Language& lang = *setup.lang;
  Rng rng(setup.options->seed, kStreamCitation, index);
  c->authors.clear();
  const uint64_t u = rng.Below(100);
  const int authors = u < 15 ? 1 : u < 45 ? 2 : u < 75 ? 3 : u < 90 ? 4 : 5;
  for (int i = 0; i < authors; ++i) {
    std::string first = MadeUpWord(lang, rng);
    c->authors.emplace_back(std::move(first), MadeUpWord(lang, rng));
  }
  c->title.clear();
  if (setup.base != nullptr) {
    BaseTitle(*setup.base, rng, &c->title);
  } else {
    const bool korean = rng.Chance(setup.korean_threshold);
    const Vocab& vocab = korean ? lang.korean : lang.english;
    const int words = 4 + static_cast<int>(rng.Below(9));
    for (int i = 0; i < words; ++i) {
      if (i > 0) c->title.push_back(' ');
      c->title.append(vocab.word(vocab.Rank(rng.Next(), true)));
    }
    if (!korean) c->title[0] = AsciiUpper(c->title[0]);
  }
  c->venue.clear();
  for (uint32_t w : kVenueShapes[rng.Below(std::size(kVenueShapes))]) {
    if (w == ~0u) break;
    switch (w) {
      case kTopic:
        c->venue.push_back(MadeUpWord(lang, rng));
        if (rng.Below(2) == 0) c->venue.push_back(MadeUpWord(lang, rng));
        break;
      case kOf: c->venue.emplace_back("of"); break;
      case kOn: c->venue.emplace_back("on"); break;
      case kThe: c->venue.emplace_back("the"); break;
      case kIn: c->venue.emplace_back("in"); break;
      default: c->venue.emplace_back(kVenueWords[w].first);
    }
  }
  c->year = 1970 + static_cast<uint32_t>(rng.Below(55));
  c->volume = rng.Below(2) == 0 ? 1 + static_cast<uint32_t>(rng.Below(60)) : 0;
  if (rng.Below(10) < 7) {
    c->first_page = 1 + static_cast<uint32_t>(rng.Below(900));
    c->last_page = c->first_page + 1 + static_cast<uint32_t>(rng.Below(30));
  } else {
    c->first_page = c->last_page = 0;
  }
}

// `word` cut to a prefix of 3 to 5 letters and a dot, if it is a word of 7 ASCII letters or more.
bool AbbreviateWord(std::string_view word, Rng& rng, std::string* out) {
  if (word.size() < 7) return false;
  for (char ch : word) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return false;
  }
  out->append(word.substr(0, 3 + rng.Below(3)));
  out->push_back('.');
  return true;
}

void AppendAuthors(const Citation& c, const CiteStyle& st, std::string* out) {
  const size_t n = st.et_al ? 1 : c.authors.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      out->append(st.author_join == 0 && i + 1 == n ? " and " : kAuthorJoins[st.author_join]);
    }
    const std::string& first = c.authors[i].first;
    const std::string& last = c.authors[i].second;
    switch (st.author_form) {
      case 0: absl::StrAppend(out, first, " ", last); break;
      case 1: absl::StrAppend(out, first.substr(0, 1), ". ", last); break;
      case 2: absl::StrAppend(out, last, ", ", first.substr(0, 1), "."); break;
      case 3: absl::StrAppend(out, last, " ", first.substr(0, 1)); break;
      default: absl::StrAppend(out, last, ", ", first); break;
    }
  }
  if (st.et_al) out->append(" et al.");
}

void AppendSegment(const Citation& c, const CiteStyle& st, int segment, Rng& rng,
                   std::string* out) {
  switch (segment) {
    case kSegAuthors:
      AppendAuthors(c, st, out);
      break;
    case kSegTitle: {
      if (st.quote_title) out->push_back('"');
      size_t i = 0;
      for (absl::string_view w : absl::StrSplit(c.title, ' ', absl::SkipEmpty())) {
        if (i++ > 0) out->push_back(' ');
        const std::string_view word(w.data(), w.size());
        if (!(st.abbrev_title && rng.Below(3) == 0 && AbbreviateWord(word, rng, out))) {
          out->append(word);
        }
      }
      if (st.quote_title) out->push_back('"');
      break;
    }
    case kSegVenue: {
      if (st.in_venue) out->append("In ");
      for (size_t i = 0; i < c.venue.size(); ++i) {
        if (i > 0) out->push_back(' ');
        const std::string& word = c.venue[i];
        if (st.abbrev_venue) {
          const auto* known = std::find_if(std::begin(kVenueWords), std::end(kVenueWords),
                                           [&](const auto& kv) { return kv.first == word; });
          if (known != std::end(kVenueWords)) {
            out->append(known->second);
            continue;
          }
          if (AbbreviateWord(word, rng, out)) continue;
        }
        out->append(word);
      }
      break;
    }
    case kSegPages:
      if (c.volume != 0) absl::StrAppend(out, "vol. ", c.volume, c.first_page != 0 ? ", " : "");
      if (c.first_page != 0) {
        switch (st.pages_form) {
          case 0: absl::StrAppend(out, "pp. ", c.first_page, "-", c.last_page); break;
          case 1: absl::StrAppend(out, "pages ", c.first_page, "-", c.last_page); break;
          case 2: absl::StrAppend(out, c.first_page, "-", c.last_page); break;
          default: absl::StrAppend(out, "p. ", c.first_page); break;
        }
      }
      break;
    case kSegYear:
      if (st.year_parens) {
        absl::StrAppend(out, "(", c.year, ")");
      } else {
        AppendNumber(out, c.year);
      }
      break;
  }
}

// Writes `c` in style `st` into `out` (the text) and its title segment into `title`.
void RenderCitation(const Citation& c, const CiteStyle& st, Rng& rng, std::string* out,
                    std::string* title) {
  out->clear();
  for (int k = 0; k < kNumSegments; ++k) {
    const int segment = kSegmentOrders[st.order][k];
    for (int copy = 0; copy < (segment == st.dup ? 2 : 1); ++copy) {
      if (segment == st.drop) continue;
      const size_t at = out->size();
      std::string_view separator = at > 0 ? kSeparators[st.separator] : std::string_view();
      if (!separator.empty() && separator[0] == '.' && out->back() == '.') {
        separator.remove_prefix(1);  // after "Proc."
      }
      out->append(separator);
      AppendSegment(c, st, segment, rng, out);
      if (out->size() == at + separator.size()) {
        out->resize(at);  // an empty segment (no pages)
      } else if (segment == kSegTitle && title != nullptr) {
        title->assign(*out, at + separator.size());
      }
    }
  }
  if (!out->empty() && out->back() != '.') out->push_back('.');
}

// One character edit in a random word of `text` of three or more code points: a code point
// inserted, deleted or substituted, or two neighbours swapped. Returns false if none was made.
bool Misspell(const Language& lang, Rng& rng, std::string* text, std::vector<uint32_t>* cps) {
  std::vector<std::pair<size_t, size_t>> words;
  const std::string& t = *text;
  for (size_t i = 0; i < t.size();) {
    while (i < t.size() && IsSpace(t[i])) ++i;
    const size_t w = i;
    while (i < t.size() && !IsSpace(t[i])) ++i;
    if (i - w >= 3) words.emplace_back(w, i);
  }
  if (words.empty()) return false;
  const auto [w, e] = words[rng.Below(words.size())];
  const std::string word = t.substr(w, e - w);
  CodePoints(word, cps);
  const size_t k = cps->size() - 1;
  const size_t j = rng.Below(k);
  const std::string_view at(word.data() + (*cps)[j], (*cps)[j + 1] - (*cps)[j]);
  std::string edited = word.substr(0, (*cps)[j]);
  switch (rng.Below(4)) {
    case 0:  // insert before code point j
      AppendRandomChar(lang, rng, at, &edited);
      edited.append(at);
      break;
    case 1:  // delete code point j
      break;
    case 2: {  // substitute code point j
      const size_t before = edited.size();
      AppendRandomChar(lang, rng, at, &edited);
      if (std::string_view(edited).substr(before) == at) edited.append(at);  // became an insert
      break;
    }
    default:  // swap code points j and j + 1 (or j - 1 and j at the end)
      if (j + 1 < k) {
        edited.append(word, (*cps)[j + 1], (*cps)[j + 2] - (*cps)[j + 1]);
        edited.append(at);
        edited.append(word, (*cps)[j + 2], std::string::npos);
        text->replace(w, e - w, edited);
        return true;
      }
      edited.append(at);
      break;
  }
  edited.append(word, (*cps)[j + 1], std::string::npos);
  text->replace(w, e - w, edited);
  return true;
}

// A variant of citation `c`: a random style, then misspellings. Its edits go to `edit`.
void MakeVariant(const Setup& setup, const Citation& c, Rng& rng, Scratch& s) {
  CiteStyle st;
  // Each part of the style keeps the base's choice with some probability (in percent).
  auto draw = [&rng](uint64_t keep_percent, size_t choices) {
    return rng.Below(100) < keep_percent ? 0 : 1 + static_cast<int>(rng.Below(choices - 1));
  };
  auto chance = [&rng](uint64_t percent) { return rng.Below(100) < percent; };
  st.order = draw(75, std::size(kSegmentOrders));
  st.author_form = draw(60, 5);
  st.author_join = draw(60, std::size(kAuthorJoins));
  st.et_al = c.authors.size() >= 3 && chance(12);
  st.separator = draw(70, std::size(kSeparators));
  st.quote_title = chance(15);
  st.year_parens = chance(25);
  st.in_venue = chance(10);
  st.pages_form = draw(60, 4);
  st.abbrev_venue = chance(20);
  st.abbrev_title = chance(8);
  if (chance(20)) {
    constexpr int kDroppable[] = {kSegVenue, kSegPages, kSegYear};
    st.drop = kDroppable[rng.Below(3)];
  }
  if (chance(8)) {
    constexpr int kDuplicable[] = {kSegYear, kSegPages, kSegVenue};
    st.dup = kDuplicable[rng.Below(3)];
    if (st.dup == st.drop) st.dup = -1;
  }
  s.edited_title.clear();
  RenderCitation(c, st, rng, &s.edited_body, &s.edited_title);
  const uint64_t u = rng.Below(10);
  const int typos = u < 5 ? 0 : u < 8 ? 1 : 2;
  int made = 0;
  for (int i = 0; i < typos; ++i) made += Misspell(*setup.lang, rng, &s.edited_body, &s.cps);
  s.edit = absl::StrCat("variant order=", st.order, " authors=", st.author_form,
                        st.et_al ? " et_al" : "", " sep=", st.separator,
                        st.abbrev_venue ? " abbrev_venue" : "", st.abbrev_title ? " abbrev_title" : "",
                        made > 0 ? absl::StrCat(" typos=", made) : "");
  constexpr const char* kSegNames[] = {"authors", "title", "venue", "pages", "year"};
  if (st.drop >= 0) absl::StrAppend(&s.edit, " drop=", kSegNames[st.drop]);
  if (st.dup >= 0) absl::StrAppend(&s.edit, " dup=", kSegNames[st.dup]);
}

// Appends document `p` of `plan`, a member of a variant cluster, as one JSONL line.
void AppendVariant(const Setup& setup, const WindowPlan& plan, uint32_t p, Scratch& s,
                   std::string* out) {
  const SynthOptions& o = *setup.options;
  const uint64_t index = plan.first + p;
  const uint64_t base = plan.first + plan.original[p];
  MakeCitation(setup, base, &s.citation);
  if (plan.variant[p] == 1) {
    Rng unused(o.seed, kStreamVariantEdit, index);  // the base's style draws nothing
    s.edited_title.clear();
    RenderCitation(s.citation, CiteStyle{}, unused, &s.edited_body, &s.edited_title);
    const auto it = std::lower_bound(plan.variant_bases.begin(), plan.variant_bases.end(),
                                     std::make_pair(p, 0u));
    s.edit = absl::StrCat("variant_base size=", it->second);
  } else {
    Rng rng(o.seed, kStreamVariantEdit, index);
    MakeVariant(setup, s.citation, rng, s);
  }
  out->append("{\"id\":\"");
  AppendId(setup, index, out);
  if (o.write_title) {
    out->append("\",\"title\":\"");
    AppendEscaped(out, s.edited_title);
  }
  out->append("\",\"text\":\"");
  AppendEscaped(out, s.edited_body);
  out->append("\",\"cluster\":\"");
  AppendId(setup, base, out);
  if (o.write_edit) {
    out->append("\",\"edit\":\"");
    out->append(s.edit);
  }
  out->append("\"}\n");
}

// Appends document `p` of `plan` as one JSONL line.
void AppendDocument(const Setup& setup, const WindowPlan& plan, uint32_t p, Scratch& s,
                    std::string* out) {
  const SynthOptions& o = *setup.options;
  if (!plan.chain_step.empty() && plan.chain_step[p] != 0) {
    AppendChainLink(setup, plan, plan.chain_of[p], plan.chain_step[p] - 1, s, out);
    return;
  }
  if (!plan.variant.empty() && plan.variant[p] != 0) {
    AppendVariant(setup, plan, p, s, out);
    return;
  }
  const uint64_t index = plan.first + p;
  const uint64_t original = plan.first + plan.original[p];
  const uint32_t role = plan.role[p];
  MakeOriginal(setup, original, s);
  const std::string* title = &s.title;
  const std::string* body = &s.body;
  if (role >= 2) {
    Rng rng(o.seed, kStreamEdit, index);
    ApplyEdits(setup.edit, o.write_title, rng, s);
    title = &s.edited_title;
    body = &s.edited_body;
  }
  out->append("{\"id\":\"");
  AppendId(setup, index, out);
  if (o.write_title) {
    out->append("\",\"title\":\"");
    AppendEscaped(out, *title);
  }
  out->append("\",\"text\":\"");
  AppendEscaped(out, *body);
  out->append("\",\"cluster\":\"");
  AppendId(setup, original, out);
  if (o.write_edit) {
    out->append("\",\"edit\":\"");
    out->append(role == 0 ? "singleton" : role == 1 ? "original" : s.edit);
  }
  out->append("\"}\n");
}

struct Batch {
  uint64_t begin = 0, end = 0;  // global indices
  std::shared_ptr<const WindowPlan> plan;
  std::string out;
};

absl::StatusOr<SynthStats> Generate(const SynthOptions& options, const SynthWriter& write) {
  RETURN_IF_ERROR(options.Validate());
  SynthStats stats;
  Setup setup;
  setup.options = &options;
  setup.lang = &GetLanguage();
  BasePool base;
  if (!options.base_files.empty()) {
    ASSIGN_OR_RETURN(base, ReadBase(options));
    setup.base = &base;
    stats.base_records = base.records;
    stats.base_bytes = base.body.size() + base.title.size();
  }
  setup.edit.lang = setup.lang;
  setup.edit.edits = options.edits;
  for (uint32_t kind : {kEditCharInsert, kEditCharDelete, kEditCharSubstitute, kEditWordInsert,
                        kEditWordDelete, kEditWordSubstitute}) {
    if (options.edits & kind) setup.edit.word_kinds[setup.edit.num_word_kinds++] = kind;
  }
  setup.edit.rate_min_ppm = static_cast<uint64_t>(std::llround(options.edit_rate_min * 1e6));
  setup.edit.rate_max_ppm = std::max(setup.edit.rate_min_ppm,
                                     static_cast<uint64_t>(std::llround(options.edit_rate_max * 1e6)));
  setup.chain_edit = setup.edit;
  setup.chain_edit.rate_min_ppm =
      static_cast<uint64_t>(std::llround(options.chain_edit_rate_min * 1e6));
  setup.chain_edit.rate_max_ppm = std::max(
      setup.chain_edit.rate_min_ppm,
      static_cast<uint64_t>(std::llround(options.chain_edit_rate_max * 1e6)));
  setup.windows = std::max<uint64_t>(
      1, (options.documents + options.cluster_window - 1) / options.cluster_window);
  {
    std::vector<double> weights;
    double total = 0;
    const uint32_t max_size = std::min(options.max_cluster_size, options.cluster_window);
    for (uint32_t s = 2; s <= max_size; ++s) {
      weights.push_back(std::pow(static_cast<double>(s), -options.cluster_size_exponent));
      total += weights.back();
    }
    double acc = 0;
    for (double w : weights) {
      acc += w;
      setup.size_cdf.push_back(Threshold(acc / total));
    }
    setup.size_cdf.back() = ~0ULL;
  }
  setup.korean_threshold = Threshold(options.korean_share);
  setup.jitter_bytes = static_cast<uint64_t>(
      std::floor(static_cast<double>(options.doc_bytes) * options.doc_bytes_jitter));
  AppendEscaped(&setup.id_prefix, options.id_prefix);

  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  const int concurrency = arena.max_concurrency();
  // Batches are recycled so their buffers keep their capacity.
  std::mutex free_mu;
  std::vector<Batch*> free_batches;
  std::deque<Batch> all_batches;
  tbb::enumerable_thread_specific<Scratch> scratch;

  uint64_t next = 0;
  uint64_t planned_window = ~0ULL;
  std::shared_ptr<WindowPlan> plan;
  absl::Status status;
  std::atomic<bool> failed{false};

  arena.execute([&] {
    tbb::parallel_pipeline(
        static_cast<size_t>(2 * concurrency),
        tbb::make_filter<void, Batch*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> Batch* {
              if (next >= options.documents || failed.load(std::memory_order_relaxed)) {
                fc.stop();
                return nullptr;
              }
              const uint64_t window = next / options.cluster_window;
              if (window != planned_window) {
                plan = PlanWindow(setup, window);
                planned_window = window;
                stats.clusters += plan->clusters;
                stats.clustered_documents += plan->clustered;
                stats.chains += plan->chains;
                stats.chained_documents += plan->chains * options.chain_length;
                stats.variant_clusters += plan->variant_clusters;
                stats.variant_documents += plan->variant_documents;
              }
              Batch* batch;
              {
                std::lock_guard<std::mutex> lock(free_mu);
                if (free_batches.empty()) {
                  batch = &all_batches.emplace_back();
                } else {
                  batch = free_batches.back();
                  free_batches.pop_back();
                }
              }
              batch->begin = next;
              batch->end = std::min({next + options.batch_documents, options.documents,
                                     plan->first + plan->original.size()});
              batch->plan = plan;
              next = batch->end;
              return batch;
            }) &
            tbb::make_filter<Batch*, Batch*>(
                tbb::filter_mode::parallel,
                [&](Batch* batch) {
                  Scratch& s = scratch.local();
                  batch->out.clear();
                  if (failed.load(std::memory_order_relaxed)) return batch;
                  const WindowPlan& p = *batch->plan;
                  for (uint64_t i = batch->begin; i < batch->end; ++i) {
                    AppendDocument(setup, p, static_cast<uint32_t>(i - p.first), s, &batch->out);
                  }
                  return batch;
                }) &
            tbb::make_filter<Batch*, void>(
                tbb::filter_mode::serial_in_order, [&](Batch* batch) {
                  if (status.ok()) {
                    status = write(batch->out);
                    if (status.ok()) {
                      stats.documents += batch->end - batch->begin;
                      stats.bytes += batch->out.size();
                    } else {
                      failed.store(true, std::memory_order_relaxed);
                    }
                  }
                  batch->plan.reset();
                  std::lock_guard<std::mutex> lock(free_mu);
                  free_batches.push_back(batch);
                }));
  });
  if (!status.ok()) return status;
  for (const Scratch& s : scratch) stats.chain_links_near_head += s.chain_links_near_head;
  return stats;
}

}  // namespace

absl::StatusOr<uint32_t> ParseSynthEdits(std::string_view list) {
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"char_insert", kEditCharInsert},     {"char_delete", kEditCharDelete},
      {"char_substitute", kEditCharSubstitute}, {"word_insert", kEditWordInsert},
      {"word_delete", kEditWordDelete},     {"word_substitute", kEditWordSubstitute},
      {"headline_tag", kEditHeadlineTag},   {"truncate", kEditTruncate},
      {"quotes", kEditQuotes},              {"spacing", kEditSpacing},
      {"all", kEditAll},                    {"none", 0}};
  uint32_t edits = 0;
  for (absl::string_view item : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    const std::string_view name(item.data(), item.size());
    const auto* it = std::find_if(std::begin(kNames), std::end(kNames),
                                  [&](const auto& kv) { return kv.first == name; });
    if (it == std::end(kNames)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--edits: unknown edit \"", item, "\" (known: ", SynthEditNames(kEditAll),
          ", all, none)"));
    }
    edits |= it->second;
  }
  return edits;
}

std::string SynthEditNames(uint32_t edits) {
  static constexpr const char* kNames[] = {"char_insert", "char_delete",   "char_substitute",
                                           "word_insert", "word_delete",   "word_substitute",
                                           "headline_tag", "truncate",     "quotes",
                                           "spacing"};
  std::string out;
  for (int i = 0; i < 10; ++i) {
    if (!(edits & (1u << i))) continue;
    if (!out.empty()) out.push_back(',');
    out.append(kNames[i]);
  }
  return out;
}

absl::Status SynthOptions::Validate() const {
  auto in = [](double x, double lo, double hi) { return x >= lo && x <= hi; };  // false for NaN
  if (documents > (1ull << 40)) return absl::InvalidArgumentError("--documents must be at most 2^40");
  if (doc_bytes < 16 || doc_bytes > (16ull << 20)) {
    return absl::InvalidArgumentError("--doc-bytes must be from 16 to 16777216");
  }
  if (!in(doc_bytes_jitter, 0, 0.9)) {
    return absl::InvalidArgumentError("--doc-bytes-jitter must be from 0 to 0.9");
  }
  if (max_base_bytes < kMinBaseBytes) {
    return absl::InvalidArgumentError("--max-base-bytes must be at least 4096");
  }
  if (base_fields.text.empty()) return absl::InvalidArgumentError("--base-text-field is empty");
  if (!in(korean_share, 0, 1)) return absl::InvalidArgumentError("--korean-share must be from 0 to 1");
  if (!in(dup_fraction, 0, 1)) return absl::InvalidArgumentError("--dup-fraction must be from 0 to 1");
  if (cluster_window < 2 || cluster_window > (1u << 24)) {
    return absl::InvalidArgumentError("--cluster-window must be from 2 to 16777216");
  }
  if (max_cluster_size < 2 || max_cluster_size > (1u << 24)) {
    return absl::InvalidArgumentError("--max-cluster-size must be from 2 to 16777216");
  }
  if (!in(cluster_size_exponent, 0, 10)) {
    return absl::InvalidArgumentError("--cluster-size-exponent must be from 0 to 10");
  }
  if (!in(edit_rate_min, 0, 1) || !in(edit_rate_max, edit_rate_min, 1)) {
    return absl::InvalidArgumentError("--edit-rate must be MIN:MAX with 0 <= MIN <= MAX <= 1");
  }
  if (chain_length < 2 || chain_length > 1000) {
    return absl::InvalidArgumentError("--chain-length must be from 2 to 1000");
  }
  if (chains > documents / chain_length) {
    return absl::InvalidArgumentError(
        "--chains: that many chains of --chain-length documents do not fit in --documents");
  }
  if (!in(chain_edit_rate_min, 0, 1) || !in(chain_edit_rate_max, chain_edit_rate_min, 1)) {
    return absl::InvalidArgumentError(
        "--chain-edit-rate must be MIN:MAX with 0 <= MIN <= MAX <= 1");
  }
  if (!(chain_threshold > 0 && chain_threshold <= 1)) {
    return absl::InvalidArgumentError("--chain-threshold must be in (0, 1]");
  }
  if (variant_size_min < 2 || variant_size_max < variant_size_min ||
      variant_size_max > (1u << 20)) {
    return absl::InvalidArgumentError(
        "--variant-size must be MIN:MAX with 2 <= MIN <= MAX <= 2^20");
  }
  if (variants > 0 && variant_size_max > cluster_window) {
    return absl::InvalidArgumentError("--variant-size: MAX must be at most --cluster-window");
  }
  if (variants > documents / variant_size_min) {
    return absl::InvalidArgumentError(
        "--variants: that many clusters of --variant-size documents do not fit in --documents");
  }
  if ((edits & ~static_cast<uint32_t>(kEditAll)) != 0) {
    return absl::InvalidArgumentError("--edits: unknown edit flags");
  }
  if (threads < 0) return absl::InvalidArgumentError("--threads must be >= 0");
  if (batch_documents < 1) return absl::InvalidArgumentError("batch_documents must be >= 1");
  return absl::OkStatus();
}

absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, const SynthWriter& write) {
  return Generate(options, write);
}

absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, std::ostream& out) {
  return Generate(options, [&out](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return out ? absl::OkStatus() : absl::InternalError("synth: writing the output failed");
  });
}

}  // namespace neardup
