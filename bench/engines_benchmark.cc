// engines_benchmark.cc: the two alternative candidate engines, SimHash (simhash.h) and the exact
// all-pairs join (allpairs.h), on synthetic inputs and on the Korean entertainment headlines in
// ../shared/data (skipped with a message when absent).
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "internal/hash.h"
#include "neardup/candidates/allpairs.h"
#include "neardup/document.h"
#include "neardup/io/reader.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "neardup/sketch/simhash.h"

namespace neardup {
namespace {

void BM_SimHash64(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> shingles(static_cast<size_t>(state.range(0)));
  for (auto& x : shingles) x = rng();
  for (auto _ : state) benchmark::DoNotOptimize(SimHash64(shingles, SimHashWeight::kTf));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(shingles.size()));
  state.counters["docs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimHash64)->Arg(30)->Arg(2000);

void BM_SimHash64Binary(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> shingles(2000);
  for (auto& x : shingles) x = rng() % 1500;  // unsorted with duplicates: the copy-and-sort path
  for (auto _ : state) benchmark::DoNotOptimize(SimHash64(shingles, SimHashWeight::kBinary));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(shingles.size()));
}
BENCHMARK(BM_SimHash64Binary);

// Random fingerprints, every 10th a copy of the previous one with up to 3 bits flipped.
std::vector<uint64_t> Fingerprints(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> fps(n);
  for (size_t i = 0; i < n; ++i) {
    fps[i] = rng();
    if (i % 10 == 9) {
      fps[i] = fps[i - 1];
      for (uint64_t f = rng() % 4; f > 0; --f) fps[i] ^= uint64_t{1} << (rng() % 64);
    }
  }
  return fps;
}

void BM_FindSimHashPairs(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const std::vector<uint64_t> fps = Fingerprints(static_cast<size_t>(state.range(1)));
  SimHashStats stats;
  for (auto _ : state) {
    auto edges = FindSimHashPairs(fps, k, 1000, &stats);
    benchmark::DoNotOptimize(edges.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(fps.size()));
  state.counters["tables"] = static_cast<double>(stats.tables);
  state.counters["checks"] = static_cast<double>(stats.candidates_checked);
  state.counters["pairs"] = static_cast<double>(stats.edges);
}
BENCHMARK(BM_FindSimHashPairs)
    ->ArgNames({"K", "docs"})
    ->Args({3, 100000})
    ->Args({3, 1000000})
    ->Args({0, 100000})
    ->Args({6, 100000})
    ->Args({8, 100000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void RunJoin(benchmark::State& state, const OwnedSetCollection& sets, double threshold) {
  AllPairsStats stats;
  for (auto _ : state) {
    auto edges = AllPairsJoin(sets.view(), threshold, {}, &stats);
    if (!edges.ok()) {
      state.SkipWithError(std::string(edges.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(edges->data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stats.documents));
  state.counters["pairs"] = static_cast<double>(stats.pairs);
  state.counters["verified"] = static_cast<double>(stats.candidates);
  state.counters["probes"] = static_cast<double>(stats.index_probes);
  state.counters["MiB_est"] = static_cast<double>(stats.estimated_bytes) / (1 << 20);
}

// The headlines, read with neardup's own JSONL reader and normalized as titles, read once.
const std::vector<std::string>& Titles() {
  static const std::vector<std::string> titles = [] {
    std::vector<std::string> out;
    auto reader = RecordReader::Open(
        NEARDUP_SOURCE_DIR "/../shared/data/kocohub-ko-entertainment-titles/docs.jsonl",
        Format::kJsonl);
    if (!reader.ok()) return out;
    RecordParser parser(Format::kJsonl, FieldNames{}, "docs.jsonl", {});
    const Normalizer normalizer;
    RecordBatch batch;
    Document doc;
    std::string norm;
    while (true) {
      const absl::StatusOr<bool> more = (*reader)->ReadBatch(1 << 20, &batch);
      if (!more.ok() || !*more) break;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!parser.Parse(batch.record(i), batch.line_numbers[i], &doc).ok()) continue;
        normalizer.Normalize(doc.title, TextField::kTitle, &norm);
        out.push_back(norm);
      }
    }
    return out;
  }();
  return titles;
}

void BM_AllPairsJoinTitles(benchmark::State& state) {
  const std::vector<std::string>& titles = Titles();
  if (titles.empty()) {
    state.SkipWithError("kocohub titles not found");
    return;
  }
  const ShingleSpec spec{ShingleUnit::kChar, static_cast<int>(state.range(0))};
  OwnedSetCollection sets;
  for (const std::string& t : titles) sets.Add(ShingleSet(t, spec));
  RunJoin(state, sets, static_cast<double>(state.range(1)) / 100);
}
BENCHMARK(BM_AllPairsJoinTitles)
    ->ArgNames({"char", "T%"})
    ->Args({3, 50})
    ->Args({3, 80})
    ->Args({5, 50})
    ->Args({5, 80})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Synthetic headlines: docs sets of ~30 tokens from a Zipf-like vocabulary of 200k, every 5th a
// variant of an earlier one (about a fifth of its tokens replaced).
OwnedSetCollection SyntheticHeadlines(size_t docs) {
  std::mt19937_64 rng(11);
  std::vector<uint64_t> vocab(200000);
  for (auto& v : vocab) v = rng();
  std::uniform_real_distribution<double> u(0, 1);
  auto word = [&] {
    const double x = u(rng);
    return vocab[static_cast<size_t>(x * x * x * static_cast<double>(vocab.size()))];
  };
  std::vector<std::vector<uint64_t>> all;
  all.reserve(docs);
  for (size_t d = 0; d < docs; ++d) {
    std::vector<uint64_t> s;
    if (d % 5 == 4) {
      s = all[d - 1 - rng() % std::min<size_t>(d, 100)];
      for (auto& x : s) {
        if (u(rng) < 0.2) x = word();
      }
    } else {
      const size_t size = 15 + rng() % 30;
      for (size_t i = 0; i < size; ++i) s.push_back(word());
    }
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    all.push_back(std::move(s));
  }
  OwnedSetCollection sets;
  for (const auto& s : all) sets.Add(s);
  return sets;
}

void BM_AllPairsJoinSynthetic(benchmark::State& state) {
  static const OwnedSetCollection sets = SyntheticHeadlines(100000);
  RunJoin(state, sets, static_cast<double>(state.range(0)) / 100);
}
BENCHMARK(BM_AllPairsJoinSynthetic)
    ->ArgNames({"T%"})
    ->Arg(50)
    ->Arg(80)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
