// io_benchmark.cc: reading JSONL (RecordReader finding record boundaries, RecordParser turning a
// line into a Document) and writing it (the synthetic corpus generator, synth.h), on a corpus of
// 20,000 synthetic documents of about 2,000 bytes, Korean and English mixed.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "neardup/document.h"
#include "neardup/io/reader.h"
#include "neardup/tools/synth.h"

namespace neardup {
namespace {

SynthOptions CorpusOptions() {
  SynthOptions options;
  options.documents = 20000;
  options.doc_bytes = 2000;
  return options;
}

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
  bool ok() const { return ok_; }

 private:
  Corpus() {
    path_ = (std::filesystem::temp_directory_path() /
             ("neardup_io_benchmark_" + std::to_string(getpid()) + ".jsonl"))
                .string();
    std::ofstream out(path_, std::ios::binary);
    auto stats = GenerateCorpus(CorpusOptions(), out);
    out.close();
    ok_ = stats.ok() && out.good();
    if (ok_) stats_ = *stats;
  }
  std::string path_;
  SynthStats stats_;
  bool ok_ = false;
};

// Record boundaries only (buffering, line ends, line numbers); state.range(0) is the batch size.
void BM_ReadBatches(benchmark::State& state) {
  const Corpus& corpus = Corpus::Get();
  if (!corpus.ok()) return state.SkipWithError("could not write the synthetic corpus");
  int64_t records = 0;
  for (auto _ : state) {
    auto reader = RecordReader::Open(corpus.path(), Format::kJsonl);
    if (!reader.ok()) return state.SkipWithError("cannot open the corpus");
    RecordBatch batch;
    while (true) {
      auto more = (*reader)->ReadBatch(static_cast<size_t>(state.range(0)), &batch);
      if (!more.ok()) return state.SkipWithError("read error");
      if (!*more) break;
      records += static_cast<int64_t>(batch.size());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus.bytes()));
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_ReadBatches)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// Reading and parsing every record into a Document (simdjson On-Demand, UTF-8 checks), as the
// pipeline's first stages do on one thread.
void BM_ReadJsonl(benchmark::State& state) {
  const Corpus& corpus = Corpus::Get();
  if (!corpus.ok()) return state.SkipWithError("could not write the synthetic corpus");
  int64_t records = 0;
  for (auto _ : state) {
    auto reader = RecordReader::Open(corpus.path(), Format::kJsonl);
    if (!reader.ok()) return state.SkipWithError("cannot open the corpus");
    RecordParser parser(Format::kJsonl, FieldNames{}, corpus.path(), {});
    RecordBatch batch;
    Document doc;
    while (true) {
      auto more = (*reader)->ReadBatch(1 << 20, &batch);
      if (!more.ok()) return state.SkipWithError("read error");
      if (!*more) break;
      for (size_t i = 0; i < batch.size(); ++i) {
        if (!parser.Parse(batch.record(i), batch.line_numbers[i], &doc).ok()) {
          return state.SkipWithError("parse error");
        }
        benchmark::DoNotOptimize(doc.body.data());
      }
      records += static_cast<int64_t>(batch.size());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus.bytes()));
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_ReadJsonl)->Unit(benchmark::kMillisecond);

// Generating the same corpus into memory (nothing written to disk); state.range(0) is threads.
void BM_SynthGenerate(benchmark::State& state) {
  SynthOptions options = CorpusOptions();
  options.threads = static_cast<int>(state.range(0));
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto stats = GenerateCorpus(options, [](std::string_view out) {
      benchmark::DoNotOptimize(out.data());
      return absl::OkStatus();
    });
    if (!stats.ok()) return state.SkipWithError("generation failed");
    bytes += stats->bytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(options.documents));
}
BENCHMARK(BM_SynthGenerate)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
