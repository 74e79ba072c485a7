// sketch_benchmark.cc: MinHash signing, LSH bucketing and union-find on synthetic inputs sized
// like real work (a ~2,000-character document gives ~2,000 char:5 shingles).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "neardup/cluster/cluster.h"
#include "neardup/candidates/lsh.h"
#include "neardup/sketch/minhash.h"

namespace neardup {
namespace {

// Args: num_perm, scheme (0 one-permutation, 1 permutations), shingles per document.
void BM_MinHash(benchmark::State& state) {
  const int num_perm = static_cast<int>(state.range(0));
  const MinHashScheme scheme =
      state.range(1) == 0 ? MinHashScheme::kOnePermutation : MinHashScheme::kPermutations;
  const MinHasher hasher(num_perm, kMinHashSeed, scheme);
  state.SetLabel(std::string(MinHashSchemeName(scheme)));
  std::mt19937_64 rng(1);
  std::vector<uint64_t> shingles(static_cast<size_t>(state.range(2)));
  for (auto& x : shingles) x = rng();
  std::vector<uint32_t> sig(static_cast<size_t>(num_perm));
  for (auto _ : state) {
    hasher.Sign(shingles, absl::MakeSpan(sig));
    benchmark::DoNotOptimize(sig.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(shingles.size()));
  state.counters["docs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MinHash)
    ->ArgNames({"perm", "scheme", "shingles"})
    ->ArgsProduct({{64, 128, 256}, {0, 1}, {2000}})
    ->Args({128, 0, 40})
    ->Args({128, 1, 40});

// Random signatures with a planted near-duplicate every 10 documents (90% of entries copied),
// so the bucketing has real collisions to report.
std::vector<uint32_t> RandomSignatures(size_t docs, int num_perm) {
  std::mt19937_64 rng(7);
  std::vector<uint32_t> sigs(docs * static_cast<size_t>(num_perm));
  for (size_t d = 0; d < docs; ++d) {
    uint32_t* s = &sigs[d * static_cast<size_t>(num_perm)];
    const bool copy = d % 10 == 9;
    for (int i = 0; i < num_perm; ++i) {
      s[i] = copy && rng() % 10 != 0 ? s[i - num_perm] : static_cast<uint32_t>(rng());
    }
  }
  return sigs;
}

void BM_FindCandidatePairs(benchmark::State& state) {
  const size_t docs = static_cast<size_t>(state.range(0));
  const int num_perm = 128;
  const std::vector<uint32_t> sigs = RandomSignatures(docs, num_perm);
  const LshParams params = ChooseLshParams(0.8, num_perm);
  size_t pairs = 0;
  for (auto _ : state) {
    auto result = FindCandidatePairs(sigs, num_perm, docs, params, 1000, nullptr);
    pairs = result.size();
    benchmark::DoNotOptimize(result.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(docs));
  state.counters["pairs"] = static_cast<double>(pairs);
}
BENCHMARK(BM_FindCandidatePairs)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_UnionFind(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(3);
  std::vector<std::pair<uint32_t, uint32_t>> edges(n);
  for (auto& e : edges) e = {static_cast<uint32_t>(rng() % n), static_cast<uint32_t>(rng() % n)};
  for (auto _ : state) {
    UnionFind uf(n);
    for (const auto& [a, b] : edges) uf.Union(a, b);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) sum += uf.Find(i);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_UnionFind)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
