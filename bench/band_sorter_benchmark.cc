// band_sorter_benchmark.cc: SortAndGroup on one band's worth of records, in memory and spilled
// to $TMPDIR (default /tmp) under smaller budgets. The spill files are small enough to stay in the
// page cache, so this measures the sorter's own cost (packing, system calls, merge), not the disk.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "neardup/candidates/band_sorter.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace neardup {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer: a stand-in for a band key hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Args: records, budget in MiB (0: unlimited, the in-memory path).
void BM_SortAndGroup(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const size_t budget =
      state.range(1) == 0 ? ~size_t{0} : static_cast<size_t>(state.range(1)) << 20;
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  SpillStats stats;
  uint64_t groups = 0;
  for (auto _ : state) {
    groups = 0;
    const absl::Status status = SortAndGroup(
        n, budget, dir,
        [](size_t begin, size_t end, KeyedDoc* out) {
          // Keys computed in parallel, as lsh.cc does; every tenth document shares its
          // predecessor's key, so there are buckets to report.
          tbb::parallel_for(
              tbb::blocked_range<size_t>(begin, end, 4096),
              [&](const tbb::blocked_range<size_t>& r) {
                for (size_t d = r.begin(); d != r.end(); ++d) {
                  out[d - begin] = {Mix(d % 10 == 9 ? d - 1 : d), static_cast<uint32_t>(d)};
                }
              });
        },
        [&groups](uint64_t, absl::Span<const uint32_t> docs) { groups += docs.size() > 1; },
        &stats);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetLabel(state.range(1) == 0
                     ? "in memory"
                     : absl::StrFormat("%d runs, %d merge passes", stats.runs, stats.merge_passes));
  state.counters["buckets"] = static_cast<double>(groups);
  state.counters["spilled_MB"] = static_cast<double>(stats.bytes_written) / 1e6;
}
BENCHMARK(BM_SortAndGroup)
    ->ArgNames({"records", "budget_mib"})
    ->ArgsProduct({{4 << 20}, {0, 16, 4, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace neardup

BENCHMARK_MAIN();
