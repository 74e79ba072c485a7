// Throughput of the text front end: normalization (ASCII fast path, Korean through utf8proc,
// markup removal) and char:5 shingling, on real corpora from ../shared (see
// ../shared/data/README.md).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "neardup/document.h"
#include "neardup/io/reader.h"
#include "neardup/text/markup.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

std::string ReadFile(const std::string& relative) {
  std::ifstream in(std::string(NEARDUP_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The first `max_lines` lines of a file, each one benchmark "document". The JSONL lines are used
// raw (keys and escapes included): the byte mix is what matters here.
std::vector<std::string> ReadLines(const std::string& relative, size_t max_lines) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(relative));
  std::string line;
  while (lines.size() < max_lines && std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The bodies of the first `max_docs` records of a JSONL file, parsed (JSON escapes undone).
std::vector<std::string> ReadBodies(const std::string& relative, size_t max_docs) {
  std::vector<std::string> bodies;
  RecordParser parser(Format::kJsonl, FieldNames{}, relative, {});
  Document doc;
  uint64_t line_number = 0;
  for (const std::string& line : ReadLines(relative, max_docs)) {
    if (parser.Parse(line, ++line_number, &doc).ok()) bodies.push_back(doc.body);
  }
  return bodies;
}

// The seed article (one line a document) dressed as a news API returns it: each line's first
// word in <b>...</b>, quotes as &quot;, and a <br> at the line end. About 1 in 7 bytes is markup.
std::vector<std::string> NaverStyleLines() {
  std::vector<std::string> docs;
  for (const std::string& line : ReadLines("../shared/seed/000_57a18ff3c3e87f81.txt", 1000)) {
    const size_t space = line.find(' ');
    std::string doc = space == std::string::npos
                          ? line
                          : "<b>" + line.substr(0, space) + "</b>" + line.substr(space);
    std::string quoted;
    for (char c : doc) quoted += c == '"' ? std::string("&quot;") : std::string(1, c);
    docs.push_back(quoted + "<br>");
  }
  return docs;
}

size_t TotalBytes(const std::vector<std::string>& docs) {
  size_t n = 0;
  for (const std::string& d : docs) n += d.size();
  return n;
}

// Steps 1-4 and 8 only (markup on, the news steps off), to show what the news steps cost.
NormalizeOptions CoreOptions() {
  NormalizeOptions options;
  options.unify_punctuation = false;
  options.aliases = false;
  options.strip_headline_tags = false;
  options.strip_boilerplate = false;
  return options;
}

void RunNormalize(benchmark::State& state, const std::vector<std::string>& docs,
                  NormalizeOptions options = {}, TextField field = TextField::kBody) {
  if (docs.empty()) {
    state.SkipWithError("corpus not found under ../shared");
    return;
  }
  const Normalizer normalizer(options);
  std::string out;
  for (auto _ : state) {
    for (const std::string& doc : docs) {
      normalizer.Normalize(doc, field, &out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TotalBytes(docs)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * docs.size()));
}

// English prose, pure ASCII, ~12 KB a document.
void BM_NormalizeAscii(benchmark::State& state) {
  static const std::vector<std::string> docs =
      ReadLines("../shared/data/brown-corpus/docs.jsonl", 100);
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeAscii)->ThreadRange(1, 2);

// A Korean news page (Hangul with ASCII punctuation, digits and spaces), one line a document.
void BM_NormalizeKorean(benchmark::State& state) {
  static const std::vector<std::string> docs =
      ReadLines("../shared/seed/000_57a18ff3c3e87f81.txt", 1000);
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeKorean)->ThreadRange(1, 2);

// Short Korean headlines (~100 bytes): per-call overhead dominates.
void BM_NormalizeKoreanTitles(benchmark::State& state) {
  static const std::vector<std::string> docs =
      ReadLines("../shared/data/kocohub-ko-entertainment-titles/docs.jsonl", 2000);
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeKoreanTitles);

// The same three corpora without the news steps (punctuation, aliases, tags, boilerplate).
void BM_NormalizeAsciiCore(benchmark::State& state) {
  RunNormalize(state, ReadLines("../shared/data/brown-corpus/docs.jsonl", 100), CoreOptions());
}
BENCHMARK(BM_NormalizeAsciiCore);
void BM_NormalizeKoreanCore(benchmark::State& state) {
  RunNormalize(state, ReadLines("../shared/seed/000_57a18ff3c3e87f81.txt", 1000), CoreOptions());
}
BENCHMARK(BM_NormalizeKoreanCore);
void BM_NormalizeKoreanTitlesCore(benchmark::State& state) {
  RunNormalize(state, ReadLines("../shared/data/kocohub-ko-entertainment-titles/docs.jsonl", 2000),
               CoreOptions());
}
BENCHMARK(BM_NormalizeKoreanTitlesCore);

// Titles as titles: headline tags are stripped instead of boilerplate.
void BM_NormalizeKoreanTitlesAsTitles(benchmark::State& state) {
  RunNormalize(state, ReadLines("../shared/data/kocohub-ko-entertainment-titles/docs.jsonl", 2000),
               NormalizeOptions{}, TextField::kTitle);
}
BENCHMARK(BM_NormalizeKoreanTitlesAsTitles);

// A whole article (the seed page) as one body: boilerplate is line-aware.
void BM_NormalizeKoreanArticle(benchmark::State& state) {
  RunNormalize(state, {ReadFile("../shared/seed/000_57a18ff3c3e87f81.txt")});
}
BENCHMARK(BM_NormalizeKoreanArticle);

// Help pages in Korean and English, one raw line a body: many lines go through boilerplate
// removal, aliases and punctuation.
void BM_NormalizeMixedBodies(benchmark::State& state) {
  static const std::vector<std::string> docs =
      ReadLines("../shared/data/libreoffice-help-ko/docs.jsonl", 1000);
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeMixedBodies);

// Markup (step 2). Korean lines with Naver-style markup, the same lines plain (as
// BM_NormalizeKorean), and the markup step alone on them.
void BM_NormalizeKoreanMarkup(benchmark::State& state) {
  static const std::vector<std::string> docs = NaverStyleLines();
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeKoreanMarkup);

void BM_NormalizeKoreanMarkupOff(benchmark::State& state) {
  NormalizeOptions options;
  options.strip_markup = false;
  RunNormalize(state, NaverStyleLines(), options);
}
BENCHMARK(BM_NormalizeKoreanMarkupOff);

// E-mail bodies, many of them HTML (tags, &nbsp;, numeric references), ~4 KB each.
void BM_NormalizeHtmlMail(benchmark::State& state) {
  static const std::vector<std::string> docs =
      ReadBodies("../shared/data/spam-assassin/docs.jsonl", 1000);
  RunNormalize(state, docs);
}
BENCHMARK(BM_NormalizeHtmlMail);

void BM_StripMarkup(benchmark::State& state, std::vector<std::string> docs) {
  if (docs.empty()) {
    state.SkipWithError("corpus not found under ../shared");
    return;
  }
  std::string out;
  for (auto _ : state) {
    for (const std::string& doc : docs) {
      benchmark::DoNotOptimize(StripMarkup(doc, &out));
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TotalBytes(docs)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * docs.size()));
}
// Without markup: the scan for '<' and '&' is all there is.
BENCHMARK_CAPTURE(BM_StripMarkup, KoreanPlain,
                  ReadLines("../shared/seed/000_57a18ff3c3e87f81.txt", 1000));
BENCHMARK_CAPTURE(BM_StripMarkup, KoreanMarkup, NaverStyleLines());
BENCHMARK_CAPTURE(BM_StripMarkup, HtmlMail,
                  ReadBodies("../shared/data/spam-assassin/docs.jsonl", 1000));

void BM_ShingleChar5(benchmark::State& state) {
  std::string text;
  Normalizer().Normalize(ReadFile("../shared/seed/000_57a18ff3c3e87f81.txt"), &text);
  if (text.empty()) {
    state.SkipWithError("corpus not found under ../shared");
    return;
  }
  const ShingleSpec spec{ShingleUnit::kChar, 5};
  std::vector<uint64_t> hashes;
  for (auto _ : state) {
    Shingle(text, spec, kShingleSeed, &hashes);
    benchmark::DoNotOptimize(hashes.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * hashes.size()));
}
BENCHMARK(BM_ShingleChar5);

// char:5 with spaces kept in the windows (the pre-news behaviour), for comparison.
void BM_ShingleChar5Spaces(benchmark::State& state) {
  std::string text;
  Normalizer().Normalize(ReadFile("../shared/seed/000_57a18ff3c3e87f81.txt"), &text);
  if (text.empty()) {
    state.SkipWithError("corpus not found under ../shared");
    return;
  }
  const ShingleSpec spec{ShingleUnit::kChar, 5, /*keep_spaces=*/true};
  std::vector<uint64_t> hashes;
  for (auto _ : state) {
    Shingle(text, spec, kShingleSeed, &hashes);
    benchmark::DoNotOptimize(hashes.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * hashes.size()));
}
BENCHMARK(BM_ShingleChar5Spaces);

void BM_ShingleWord3(benchmark::State& state) {
  std::string text;
  Normalizer().Normalize(ReadFile("../shared/seed/000_57a18ff3c3e87f81.txt"), &text);
  if (text.empty()) {
    state.SkipWithError("corpus not found under ../shared");
    return;
  }
  const ShingleSpec spec{ShingleUnit::kWord, 3};
  std::vector<uint64_t> hashes;
  for (auto _ : state) {
    Shingle(text, spec, kShingleSeed, &hashes);
    benchmark::DoNotOptimize(hashes.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * hashes.size()));
}
BENCHMARK(BM_ShingleWord3);

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
