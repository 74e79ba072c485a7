#include "neardup/candidates/band_sorter.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "scoped_dir.h"
#include "tbb/global_control.h"

namespace neardup {
namespace {

// What visit() saw, or what it should see: (key, docs) per call, in call order.
using Groups = std::vector<std::pair<uint64_t, std::vector<uint32_t>>>;

// The oracle: std::sort on (key, doc), then runs of equal keys.
Groups Reference(std::vector<KeyedDoc> records) {
  std::sort(records.begin(), records.end());
  Groups groups;
  for (const KeyedDoc& r : records) {
    if (groups.empty() || groups.back().first != r.key) groups.push_back({r.key, {}});
    groups.back().second.push_back(r.doc);
  }
  return groups;
}

// n records whose keys are drawn from `distinct` values (so buckets have many members) and whose
// docs are a random permutation of 0..n-1 (so a bucket's docs come from every run, out of order).
std::vector<KeyedDoc> RandomRecords(size_t n, size_t distinct, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> keys(distinct);
  for (auto& k : keys) k = rng();
  std::vector<uint32_t> docs(n);
  std::iota(docs.begin(), docs.end(), 0u);
  std::shuffle(docs.begin(), docs.end(), rng);
  std::vector<KeyedDoc> records(n);
  for (size_t i = 0; i < n; ++i) records[i] = {keys[rng() % distinct], docs[i]};
  return records;
}

using testing_util::Listing;

// A fresh empty directory for spill files, removed with whatever it holds when the test ends.
class ScopedDir : public testing_util::ScopedDir {
 public:
  ScopedDir() : testing_util::ScopedDir("neardup_band_sorter") {}
};

// Runs SortAndGroup over `records` (fill copies them) and returns what visit() saw. Also checks
// the fill() contract: consecutive ranges from 0 to n, none longer than the plan's chunk.
struct Outcome {
  absl::Status status;
  Groups groups;
  SpillStats stats;
};

template <typename Budget>
Outcome Sort(const std::vector<KeyedDoc>& records, const Budget& budget, const std::string& dir) {
  const SpillPlan plan = [&] {
    if constexpr (std::is_same_v<Budget, SpillPlan>) {
      return budget;
    } else {
      return PlanSpill(budget);
    }
  }();
  Outcome o;
  size_t filled = 0;
  o.status = SortAndGroup(
      records.size(), budget, dir,
      [&](size_t begin, size_t end, KeyedDoc* out) {
        EXPECT_EQ(begin, filled);
        EXPECT_LT(begin, end);
        EXPECT_LE(end - begin, plan.chunk_records);
        std::copy(records.begin() + begin, records.begin() + end, out);
        filled = end;
      },
      [&](uint64_t key, absl::Span<const uint32_t> docs) {
        EXPECT_FALSE(docs.empty());
        o.groups.push_back({key, std::vector<uint32_t>(docs.begin(), docs.end())});
      },
      &o.stats);
  if (o.status.ok()) EXPECT_EQ(filled, records.size());
  return o;
}

constexpr size_t kLots = size_t{1} << 40;  // a budget nothing in these tests reaches

TEST(BandSorterTest, InMemoryMatchesReferenceAndWritesNothing) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(50000, 5000, 1);
  const Outcome o = Sort(records, kLots, dir);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.groups, Reference(records));
  EXPECT_EQ(o.stats.runs, 0u);
  EXPECT_EQ(o.stats.bytes_written, 0u);
  EXPECT_EQ(o.stats.merge_passes, 0u);
}

TEST(BandSorterTest, PlanKeepsTheMinimumChunkAndFanIn) {
  const SpillPlan tiny = PlanSpill(1000);
  EXPECT_EQ(tiny.chunk_records, kMinChunkBytes / sizeof(KeyedDoc));
  EXPECT_EQ(tiny.fan_in, 2u);
  const SpillPlan mib = PlanSpill(size_t{1} << 20);
  EXPECT_EQ(mib.chunk_records, size_t{1} << 16);
  EXPECT_EQ(mib.fan_in, 16u);
  EXPECT_EQ(mib.merge_buffer_bytes, size_t{1} << 20);
  // The header's promise: 64 MiB merges 2^32 records in one pass.
  const SpillPlan big = PlanSpill(size_t{64} << 20);
  const uint64_t runs = ((uint64_t{1} << 32) + big.chunk_records - 1) / big.chunk_records;
  EXPECT_LE(runs, big.fan_in);
}

// The boundary: n records of a chunk's size stay in memory; one more makes two runs.
TEST(BandSorterTest, ExactlyOneChunkStaysInMemoryOneMoreSpillsTwoRuns) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const size_t chunk = PlanSpill(kMinChunkBytes).chunk_records;
  for (size_t n : {chunk, chunk + 1}) {
    SCOPED_TRACE(n);
    const auto records = RandomRecords(n, n / 4, 2);
    const Outcome o = Sort(records, kMinChunkBytes, dir);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(o.groups, Reference(records));
    EXPECT_EQ(o.stats.runs, n == chunk ? 0u : 2u);
  }
  EXPECT_TRUE(Listing(dir).empty());
}

TEST(BandSorterTest, TwoRunsMatchReference) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(7000, 700, 3);
  const Outcome o = Sort(records, kMinChunkBytes, dir);  // 4,096 records a chunk
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.groups, Reference(records));
  EXPECT_EQ(o.stats.runs, 2u);
  EXPECT_EQ(o.stats.merge_passes, 1u);
  EXPECT_EQ(o.stats.bytes_written, records.size() * kSpillRecordBytes);
  EXPECT_TRUE(Listing(dir).empty());
}

// The smallest budget: 300 runs of 4,096 records against a fan-in of 2, so nine passes, the
// odd counts (75, 19, 5, 3) included.
TEST(BandSorterTest, HundredsOfRunsAtTheSmallestBudgetMergeInPasses) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const size_t chunk = PlanSpill(0).chunk_records;
  const auto records = RandomRecords(300 * chunk - 123, 20000, 4);
  const Outcome o = Sort(records, size_t{0}, dir);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.groups, Reference(records));
  EXPECT_EQ(o.stats.runs, 300u);
  EXPECT_EQ(o.stats.merge_passes, 9u);  // 300 -> 150 -> 75 -> 38 -> 19 -> 10 -> 5 -> 3 -> 2 -> 1
  // Every pass but the last writes all records once more.
  EXPECT_EQ(o.stats.bytes_written, records.size() * kSpillRecordBytes * 9);
  EXPECT_TRUE(Listing(dir).empty());
}

// Hundreds of runs merged at once, each read through a buffer of a few records (many refills).
TEST(BandSorterTest, HundredsOfRunsInOnePassWithSmallBuffers) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(400 * 1000 - 1, 3000, 5);
  const SpillPlan plan{1000, 512, 48 * 1024};  // 400 runs, ~10 records of buffer each
  const Outcome o = Sort(records, plan, dir);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.groups, Reference(records));
  EXPECT_EQ(o.stats.runs, 400u);
  EXPECT_EQ(o.stats.merge_passes, 1u);
  EXPECT_EQ(o.stats.bytes_written, records.size() * kSpillRecordBytes);
}

// Uneven groups, one-record buffers, runs of a few records: every edge of the merge at once.
TEST(BandSorterTest, OddFanInAndOneRecordBuffers) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const size_t n = 1 + rng() % 3000;
    const auto records = RandomRecords(n, 1 + rng() % 50, seed);
    const SpillPlan plan{1 + rng() % 40, 2 + rng() % 5, rng() % 40};
    const Outcome o = Sort(records, plan, dir);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(o.groups, Reference(records));
    EXPECT_EQ(o.stats.runs,
              n > plan.chunk_records ? (n + plan.chunk_records - 1) / plan.chunk_records : 0);
  }
}

// The lead's determinism requirement, stated directly: the same calls to visit() whatever the
// budget, and whatever the thread count.
TEST(BandSorterTest, SameGroupsWhetherOrNotItSpillsAndAtAnyThreadCount) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(100000, 20000, 6);
  const Outcome in_memory = Sort(records, kLots, dir);
  ASSERT_TRUE(in_memory.status.ok()) << in_memory.status;
  for (int threads : {1, 2}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    for (size_t budget : {kLots, size_t{1} << 20, size_t{256} << 10, size_t{0}}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, budget " << budget);
      const Outcome o = Sort(records, budget, dir);
      ASSERT_TRUE(o.status.ok()) << o.status;
      EXPECT_EQ(o.groups, in_memory.groups);
      EXPECT_EQ(o.stats.runs > 0, budget != kLots);
    }
  }
}

TEST(BandSorterTest, NoRecordsVisitsNothing) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  for (const SpillPlan& plan : {PlanSpill(kLots), SpillPlan{1, 2, 0}}) {
    bool filled = false;
    bool visited = false;
    SpillStats stats{7, 7, 7};
    const absl::Status s = SortAndGroup(
        0, plan, dir, [&](size_t, size_t, KeyedDoc*) { filled = true; },
        [&](uint64_t, absl::Span<const uint32_t>) { visited = true; }, &stats);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_FALSE(filled);
    EXPECT_FALSE(visited);
    EXPECT_EQ(stats.runs, 0u);
    EXPECT_EQ(stats.bytes_written, 0u);
  }
}

TEST(BandSorterTest, OneRecordIsOneGroup) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const std::vector<KeyedDoc> records = {{42, 7}};
  for (const SpillPlan& plan : {PlanSpill(kLots), SpillPlan{1, 2, 0}}) {
    const Outcome o = Sort(records, plan, dir);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(o.groups, (Groups{{42, {7}}}));
    EXPECT_EQ(o.stats.runs, 0u);  // one record always fits
  }
}

TEST(BandSorterTest, AllKeysEqualMakeOneGroupInDocOrder) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(20000, 1, 7);
  for (size_t budget : {kLots, size_t{0}}) {
    const Outcome o = Sort(records, budget, dir);
    ASSERT_TRUE(o.status.ok()) << o.status;
    ASSERT_EQ(o.groups.size(), 1u);
    std::vector<uint32_t> all(records.size());
    std::iota(all.begin(), all.end(), 0u);
    EXPECT_EQ(o.groups[0].second, all);
  }
}

// 0 and UINT64_MAX (and docs 0 and UINT32_MAX) are ordinary values, not sentinels.
TEST(BandSorterTest, ExtremeKeysAndDocs) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const uint64_t keys[] = {0, 1, UINT64_MAX - 1, UINT64_MAX};
  std::mt19937_64 rng(8);
  std::vector<KeyedDoc> records;
  for (uint32_t d = 0; d < 10000; ++d) records.push_back({keys[rng() % 4], d});
  records.push_back({UINT64_MAX, UINT32_MAX});
  records.push_back({0, UINT32_MAX - 1});
  std::shuffle(records.begin(), records.end(), rng);
  const Groups expected = Reference(records);
  ASSERT_EQ(expected.size(), 4u);
  for (const SpillPlan& plan : {PlanSpill(kLots), PlanSpill(0), SpillPlan{100, 3, 100}}) {
    const Outcome o = Sort(records, plan, dir);
    ASSERT_TRUE(o.status.ok()) << o.status;
    EXPECT_EQ(o.groups, expected);
  }
}

// Keys that agree in their high bytes (small integers, a few distinct high parts) and buckets of
// every size: the in-memory sort goes byte by byte down to the last one and still matches.
TEST(BandSorterTest, KeysSharingHighBytesSortLikeTheReference) {
  const ScopedDir scoped;
  std::mt19937_64 rng(21);
  std::vector<KeyedDoc> records;
  for (uint32_t d = 0; d < 60000; ++d) {
    const uint64_t high = (rng() % 3) << 40;
    const uint64_t low = d % 7 == 0 ? 12345 : rng() % (d % 2 == 0 ? 300 : 1000000);
    records.push_back({high | low, d});
  }
  std::shuffle(records.begin(), records.end(), rng);
  const Outcome o = Sort(records, kLots, scoped.path());
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(o.groups, Reference(records));
}

TEST(BandSorterTest, InvalidPlanIsRejected) {
  const std::vector<KeyedDoc> records = {{1, 1}, {2, 2}};
  EXPECT_EQ(Sort(records, SpillPlan{0, 2, 100}, "/tmp").status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sort(records, SpillPlan{1, 1, 100}, "/tmp").status.code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BandSorterTest, MissingTempDirFailsNamingIt) {
  const ScopedDir scoped;
  const std::string dir = scoped.path() + "/does-not-exist";
  const auto records = RandomRecords(10000, 100, 9);
  const Outcome o = Sort(records, size_t{0}, dir);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kNotFound) << o.status;
  EXPECT_NE(o.status.message().find("cannot create a spill file in " + dir + ": No such file"),
            std::string::npos)
      << o.status;
  EXPECT_TRUE(o.groups.empty());
  // Records that fit never look at the directory.
  EXPECT_TRUE(Sort(records, kLots, dir).status.ok());
}

TEST(BandSorterTest, TempDirThatIsAFileFails) {
  const ScopedDir scoped;
  const std::string file = scoped.path() + "/plain-file";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  const Outcome o = Sort(RandomRecords(10000, 100, 10), size_t{0}, file);
  EXPECT_FALSE(o.status.ok());
  EXPECT_NE(o.status.message().find("cannot create a spill file in " + file + ": Not a directory"),
            std::string::npos)
      << o.status;
}

// A full disk, simulated by a file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so the write
// fails with EFBIG instead of killing the process; needs no privilege). The limit is lowered
// only for this test's process and raised back before any assertion.
TEST(BandSorterTest, FullDiskFailsNamingTheDirAndLeavesNoFile) {
  const ScopedDir scoped;
  const std::string& dir = scoped.path();
  const auto records = RandomRecords(100000, 1000, 11);  // 1.2 MB of runs
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 256 << 10;
  const sighandler_t old_handler = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const Outcome o = Sort(records, size_t{0}, dir);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);

  EXPECT_FALSE(o.status.ok());
  EXPECT_NE(o.status.message().find("cannot write a spill file in " + dir + ": File too large"),
            std::string::npos)
      << o.status;
  EXPECT_TRUE(o.groups.empty());
  EXPECT_GT(o.stats.runs, 0u);
  EXPECT_LE(o.stats.bytes_written, size_t{256} << 10);
  EXPECT_TRUE(Listing(dir).empty());
}

}  // namespace
}  // namespace neardup
