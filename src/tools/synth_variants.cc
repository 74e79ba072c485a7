// Variant clusters (synth.h): a citation-like base and variants of it, each an edit of the base,
// like the citations of one paper in citation-matching data.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tools/synth_internal.h"

namespace neardup::synth_internal {

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

namespace {

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

}  // namespace

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
  AppendLine(setup, index, s.edited_title, s.edited_body, base, nullptr, s.edit, out);
}

}  // namespace neardup::synth_internal
