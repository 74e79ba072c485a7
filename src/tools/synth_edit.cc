// The edits that make a copy (or a chain link) of an original: word-level character and word
// edits, then document-level tags, truncation, quotes and spacing (synth.h).
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tools/synth_internal.h"

namespace neardup::synth_internal {
namespace {

constexpr uint64_t kOneThird = 0x5555555555555555ULL;

constexpr std::string_view kKoreanTags[] = {"[속보]", "[단독]", "[종합]", "[포토]", "(종합)",
                                            "(종합2보)", "[영상]", "[인터뷰]", "[공식]"};
constexpr std::string_view kEnglishTags[] = {"BREAKING:", "UPDATE:", "[Video]", "(Reuters)",
                                             "EXCLUSIVE:", "[Photos]"};


struct EditCounts {
  uint32_t char_insert = 0, char_delete = 0, char_substitute = 0;
  uint32_t word_insert = 0, word_delete = 0, word_substitute = 0;
  bool tag = false, quotes = false, spacing = false;
  uint64_t truncate_ppm = 0;  // share of body bytes cut, in millionths
};

}  // namespace

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

namespace {

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

}  // namespace

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


}  // namespace neardup::synth_internal
