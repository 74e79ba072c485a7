// pipeline_benchmark.cc: a whole `neardup cluster` run (read, normalize, shingle, MinHash, LSH,
// verify, union-find) over a synthetic corpus with planted near-duplicates (synth.h): 10,000
// documents of about 2,000 bytes, Korean and English mixed, 30% in planted clusters, written once
// to a temporary file. Arguments: worker threads. The counters show the work the corpus caused
// (candidate pairs, verified edges, clusters), so a change in speed can be told from a change in
// work.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "benchmark/benchmark.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"
#include "neardup/tools/synth.h"

namespace neardup {
namespace {

// The corpus file, written on first use and removed at exit.
class Corpus {
 public:
  static const Corpus& Get() {
    static const Corpus corpus;
    return corpus;
  }
  ~Corpus() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  uint64_t bytes() const { return stats_.bytes; }
  uint64_t documents() const { return stats_.documents; }
  bool ok() const { return ok_; }

 private:
  Corpus() {
    path_ = (std::filesystem::temp_directory_path() /
             ("neardup_pipeline_benchmark_" + std::to_string(getpid()) + ".jsonl"))
                .string();
    SynthOptions options;
    options.documents = 10000;
    options.doc_bytes = 2000;
    std::ofstream out(path_, std::ios::binary);
    auto stats = GenerateCorpus(options, out);
    out.close();
    ok_ = stats.ok() && out.good();
    if (ok_) stats_ = *stats;
  }
  std::string path_;
  SynthStats stats_;
  bool ok_ = false;
};

void BM_Pipeline(benchmark::State& state) {
  const Corpus& corpus = Corpus::Get();
  if (!corpus.ok()) {
    state.SkipWithError("could not write the synthetic corpus");
    return;
  }
  PipelineOptions options;
  options.inputs = {corpus.path()};
  options.threads = static_cast<int>(state.range(0));
  if (!options.Validate().ok()) {
    state.SkipWithError("invalid options");
    return;
  }
  RunCounts counts;
  for (auto _ : state) {
    auto result = RunPipeline(options);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    counts = result->counts;
    benchmark::DoNotOptimize(result->representative.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus.bytes()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(corpus.documents()));
  state.counters["candidate_pairs"] = static_cast<double>(counts.candidate_pairs);
  state.counters["verified_edges"] = static_cast<double>(counts.verified_edges);
  state.counters["clusters"] = static_cast<double>(counts.clusters);
}
BENCHMARK(BM_Pipeline)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
