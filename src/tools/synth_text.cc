// The text of originals: pseudo-text from fixed vocabularies, or windows of base files.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/status_macros.h"
#include "neardup/io/reader.h"
#include "neardup/text/normalize.h"
#include "tools/synth_internal.h"

namespace neardup::synth_internal {
namespace {

constexpr uint64_t kVocabSeed = 0x73796E7468766F63ULL;  // "synthvoc"
constexpr int kVocabSize = 8192;

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
template <size_t N>
std::string_view Pick(Rng& rng, const std::string_view (&list)[N]) {
  return list[rng.Below(N)];
}

}  // namespace

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

namespace {

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

}  // namespace

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
// Base texts.

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

namespace {

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

}  // namespace

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

}  // namespace neardup::synth_internal
