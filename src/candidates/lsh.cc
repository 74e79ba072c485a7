#include "neardup/candidates/lsh.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "internal/hash.h"
#include "neardup/candidates/band_sorter.h"
#include "neardup/sketch/minhash.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace neardup {

double CandidateProbability(double similarity, const LshParams& params) {
  const double s = std::clamp(similarity, 0.0, 1.0);
  // 1 - prod (1 - s^r)^b computed as -expm1(sum b * log1p(-s^r)): stays accurate when the result
  // is close to 1, which is exactly the region the recall constraint looks at.
  double log_miss = 0.0;
  for (const auto& [count, rows] : {std::pair<int, int>{params.bands, params.rows},
                                    std::pair<int, int>{params.short_bands, params.rows - 1}}) {
    if (count <= 0) continue;
    const double band_match = std::pow(s, rows);
    if (band_match >= 1.0) return 1.0;
    log_miss += static_cast<double>(count) * std::log1p(-band_match);
  }
  return -std::expm1(log_miss);
}

LshParams ChooseLshParams(double threshold, int num_perm) {
  if (num_perm < 1) return LshParams{1, 1};
  const double target = LshRecallTarget(threshold);
  // Scanning r downwards makes the first r that reaches the target the answer. For that r, each
  // short band added takes r - 1 entries away from the full bands; the first s (fewest short
  // bands) that reaches the target wins, with as many full bands as still fit.
  for (int rows = num_perm; rows >= 1; --rows) {
    for (int short_bands = 0; short_bands * (rows - 1) <= num_perm; ++short_bands) {
      if (rows < 2 && short_bands > 0) break;
      const int bands = (num_perm - short_bands * (rows - 1)) / rows;
      if (bands < 1) break;
      const LshParams params{bands, rows, short_bands};
      if (CandidateProbability(target, params) >= kLshMinRecall) return params;
    }
  }
  return LshParams{num_perm, 1};
}

std::string DescribeBanding(const LshParams& params) {
  std::string out = absl::StrFormat("%d band%s x %d row%s", params.bands,
                                    params.bands == 1 ? "" : "s", params.rows,
                                    params.rows == 1 ? "" : "s");
  if (params.short_bands > 0) {
    absl::StrAppendFormat(&out, " + %d band%s x %d row%s", params.short_bands,
                          params.short_bands == 1 ? "" : "s", params.rows - 1,
                          params.rows == 2 ? "" : "s");
  }
  return out;
}

absl::Status ValidateLshParams(const LshParams& params, int num_perm) {
  if (params.bands < 1 || params.rows < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "LSH bands and rows must be >= 1 (got bands=%d, rows=%d)", params.bands, params.rows));
  }
  if (params.short_bands < 0 || (params.short_bands > 0 && params.rows < 2)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "LSH short bands must be >= 0, and need rows >= 2 (got short bands=%d, rows=%d)",
        params.short_bands, params.rows));
  }
  if (params.entries() > num_perm) {
    if (params.short_bands == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("LSH bands * rows = %d * %d exceeds num_perm = %d", params.bands,
                          params.rows, num_perm));
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "LSH bands * rows + short bands * (rows - 1) = %d * %d + %d * %d exceeds num_perm = %d",
        params.bands, params.rows, params.short_bands, params.rows - 1, num_perm));
  }
  return absl::OkStatus();
}

uint64_t BandKey(absl::Span<const uint32_t> signature, const LshParams& params, int band) {
  const size_t begin = static_cast<size_t>(params.band_begin(band));
  uint16_t low[kMaxRows];
  const size_t n = std::min(static_cast<size_t>(params.band_rows(band)), kMaxRows);
  for (size_t i = 0; i < n; ++i) {
    low[i] = static_cast<uint16_t>(signature[begin + i] & kStoredMinHashMask);
  }
  return internal::Hash64(low, n * sizeof(uint16_t), static_cast<uint64_t>(band));
}

uint64_t PackedBandKey(const uint8_t* packed, const LshParams& params, int band) {
  const int begin = params.band_begin(band);
  uint16_t low[kMaxRows];
  const int n = std::min(params.band_rows(band), static_cast<int>(kMaxRows));
  // Two entries per three-byte group (minhash.h): an odd first entry alone, then whole groups.
  int k = 0, i = begin;
  if ((i & 1) != 0 && k < n) low[k++] = PackedMinHashEntry(packed, i++);
  const uint8_t* g = packed + static_cast<size_t>(i / 2) * 3;
  for (; k + 1 < n; k += 2, i += 2, g += 3) {
    const uint32_t v = static_cast<uint32_t>(g[0]) | static_cast<uint32_t>(g[1]) << 8 |
                       static_cast<uint32_t>(g[2]) << 16;
    low[k] = static_cast<uint16_t>(v & kStoredMinHashMask);
    low[k + 1] = static_cast<uint16_t>(v >> kStoredMinHashBits);
  }
  if (k < n) low[k] = PackedMinHashEntry(packed, i);
  return internal::Hash64(low, static_cast<size_t>(n) * sizeof(uint16_t),
                          static_cast<uint64_t>(band));
}

namespace {

// What one band produced. Kept per band (not per thread) so that nothing depends on which
// thread ran which band; the final sort + unique erases the remaining order anyway.
struct BandResult {
  std::vector<CandidatePair> pairs;
  BucketStats stats;
  SpillStats spill;
  absl::Status status;
};

// The bands' pairs, sorted and without repeats. A pair found in several bands is there once
// per band (on a 1M-document run, some 12 copies of each of 1M pairs), so this is the stage's
// largest sort. The pairs are first scattered by the top bits of `a` into buckets of a few
// thousand (one counting pass; each band writes its own ranges, so the bands run in parallel),
// then each bucket is sorted in cache: about 3x less time than one parallel_sort of them all.
// Peak memory is the bands' pairs plus one copy, as before.
std::vector<CandidatePair> MergeBandPairs(std::vector<BandResult>* bands, size_t total,
                                          size_t num_docs) {
  std::vector<CandidatePair> pairs(total);
  int doc_bits = 1;
  while (doc_bits < 32 && (uint64_t{1} << doc_bits) < num_docs) ++doc_bits;
  // About 4096 pairs a bucket, at most 2^16 buckets, never more buckets than values of a.
  int bucket_bits = 0;
  while (bucket_bits < 16 && bucket_bits < doc_bits && (total >> (bucket_bits + 12)) > 0) {
    ++bucket_bits;
  }
  const int shift = doc_bits - bucket_bits;
  const size_t buckets = size_t{1} << bucket_bits;
  const size_t num_bands = bands->size();
  // at[band * buckets + k]: how many of the band's pairs fall in bucket k; turned into
  // each (band, bucket) range's start, bucket-major and band-minor.
  std::vector<size_t> at(num_bands * buckets, 0);
  tbb::parallel_for(size_t{0}, num_bands, [&](size_t band) {
    size_t* count = at.data() + band * buckets;
    for (const CandidatePair& p : (*bands)[band].pairs) ++count[p.a >> shift];
  });
  size_t next = 0;
  std::vector<size_t> bucket_start(buckets + 1, 0);
  for (size_t k = 0; k < buckets; ++k) {
    bucket_start[k] = next;
    for (size_t band = 0; band < num_bands; ++band) {
      const size_t n = at[band * buckets + k];
      at[band * buckets + k] = next;
      next += n;
    }
  }
  bucket_start[buckets] = next;
  tbb::parallel_for(size_t{0}, num_bands, [&](size_t band) {
    size_t* to = at.data() + band * buckets;
    std::vector<CandidatePair>& from = (*bands)[band].pairs;
    for (const CandidatePair& p : from) pairs[to[p.a >> shift]++] = p;
    std::vector<CandidatePair>().swap(from);
  });
  std::vector<size_t> kept(buckets, 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, buckets, 16),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t k = r.begin(); k != r.end(); ++k) {
                        CandidatePair* first = pairs.data() + bucket_start[k];
                        CandidatePair* last = pairs.data() + bucket_start[k + 1];
                        std::sort(first, last);
                        kept[k] = static_cast<size_t>(std::unique(first, last) - first);
                      }
                    });
  size_t out = 0;
  for (size_t k = 0; k < buckets; ++k) {
    std::copy(pairs.begin() + static_cast<ptrdiff_t>(bucket_start[k]),
              pairs.begin() + static_cast<ptrdiff_t>(bucket_start[k] + kept[k]),
              pairs.begin() + static_cast<ptrdiff_t>(out));
    out += kept[k];
  }
  pairs.resize(out);
  return pairs;
}

// `key(d, band)` is document d's key in band `band`.
template <typename KeyOf>
absl::StatusOr<std::vector<CandidatePair>> FindPairs(KeyOf key, size_t num_docs,
                                                     const LshParams& params, size_t max_bucket,
                                                     const SpillOptions& spill,
                                                     BucketStats* stats) {
  const int total_bands = params.total_bands();
  std::vector<BandResult> bands(static_cast<size_t>(total_bands));
  const uint64_t band_bytes = static_cast<uint64_t>(num_docs) * sizeof(KeyedDoc);
  const uint64_t side_by_side = std::min<uint64_t>(
      static_cast<uint64_t>(std::max(1, tbb::this_task_arena::max_concurrency())),
      static_cast<uint64_t>(total_bands));
  const bool limited = spill.memory_limit > 0;
  const bool parallel_bands = !limited || band_bytes * side_by_side <= spill.memory_limit;
  const size_t budget = limited ? static_cast<size_t>(std::min<uint64_t>(spill.memory_limit, SIZE_MAX))
                                : SIZE_MAX;

  // The pairs are held per band, then merged: about kPairHeldBytes each at the peak. Past the
  // memory limit the run stops with the figure rather than grow without bound (a threshold near
  // 0 makes nearly every pair a candidate).
  // Below kPairFloorBytes pairs are never refused (a limit that small is for forcing the band
  // keys to disk, as tests do; the pairs of such a run are a few MB).
  constexpr uint64_t kPairHeldBytes = 2 * sizeof(CandidatePair);
  constexpr uint64_t kPairFloorBytes = uint64_t{64} << 20;
  const uint64_t pair_budget = std::max(spill.memory_limit, kPairFloorBytes);
  std::atomic<uint64_t> emitted{0};
  std::atomic<int> bands_done{0};
  std::atomic<bool> over{false};
  auto run_band = [&](int band) {
    if (limited && over.load()) return;
    BandResult& out = bands[static_cast<size_t>(band)];
    out.status = SortAndGroup(
        num_docs, budget, spill.temp_dir,
        [&](size_t begin, size_t end, KeyedDoc* records) {
          tbb::parallel_for(tbb::blocked_range<size_t>(begin, end, 4096),
                            [&](const tbb::blocked_range<size_t>& r) {
                              for (size_t d = r.begin(); d != r.end(); ++d) {
                                records[d - begin] = {key(d, band), static_cast<uint32_t>(d)};
                              }
                            });
        },
        [&](uint64_t, absl::Span<const uint32_t> docs) {
          EmitBucketPairs(docs.size(), max_bucket, [docs](size_t i) { return docs[i]; },
                          &out.stats, &out.pairs);
        },
        &out.spill);
    if (!out.status.ok()) std::vector<CandidatePair>().swap(out.pairs);
    const uint64_t held = emitted.fetch_add(out.pairs.size()) + out.pairs.size();
    const int done = bands_done.fetch_add(1) + 1;
    if (limited && held * kPairHeldBytes > pair_budget && !over.exchange(true)) {
      out.status = absl::ResourceExhaustedError(absl::StrFormat(
          "candidate pairs: %d after %d of %d bands would take about %.1f MB, past --memory-limit "
          "(%.1f MB, or 64 MB when lower); a higher --threshold (or --bands/--rows with more "
          "rows) makes fewer, or raise --memory-limit",
          held, done, total_bands, static_cast<double>(held * kPairHeldBytes) / (1 << 20),
          static_cast<double>(spill.memory_limit) / (1 << 20)));
    }
    if (limited && over.load()) std::vector<CandidatePair>().swap(out.pairs);
  };
  if (parallel_bands) {
    tbb::parallel_for(0, total_bands, run_band);
  } else {
    for (int band = 0; band < total_bands; ++band) {
      run_band(band);
      if (!bands[static_cast<size_t>(band)].status.ok() || over.load()) break;
    }
  }
  for (const BandResult& b : bands) {
    if (!b.status.ok()) return b.status;
  }

  size_t total = 0;
  BucketStats combined;
  for (const BandResult& b : bands) {
    total += b.pairs.size();
    combined.buckets += b.stats.buckets;
    combined.largest_bucket = std::max(combined.largest_bucket, b.stats.largest_bucket);
    combined.oversized_buckets += b.stats.oversized_buckets;
    combined.pairs_not_generated += b.stats.pairs_not_generated;
    combined.pairs_emitted += b.stats.pairs_emitted;
    combined.spilled_runs += b.spill.runs;
    combined.spilled_bytes += b.spill.bytes_written;
  }
  std::vector<CandidatePair> pairs = MergeBandPairs(&bands, total, num_docs);
  if (stats != nullptr) *stats = combined;
  return pairs;
}

// Invalid arguments give no pairs: callers validate with ValidateLshParams first.
bool Usable(size_t entries, size_t needed, int num_perm, size_t num_docs,
            const LshParams& params) {
  return num_docs >= 2 && ValidateLshParams(params, num_perm).ok() && entries >= needed &&
         num_docs <= UINT32_MAX;
}

}  // namespace

std::vector<CandidatePair> FindCandidatePairs(absl::Span<const uint32_t> signatures, int num_perm,
                                              size_t num_docs, const LshParams& params,
                                              size_t max_bucket, BucketStats* stats) {
  if (stats != nullptr) *stats = BucketStats{};
  const size_t stride = static_cast<size_t>(num_perm);
  if (!Usable(signatures.size(), num_docs * stride, num_perm, num_docs, params)) return {};
  // Without a memory limit nothing is written, so nothing can fail.
  return *FindPairs(
      [&](size_t d, int band) {
        return BandKey(signatures.subspan(d * stride, stride), params, band);
      },
      num_docs, params, max_bucket, SpillOptions{}, stats);
}

absl::StatusOr<std::vector<CandidatePair>> FindCandidatePairsPacked(
    absl::Span<const uint8_t> packed, int num_perm, size_t num_docs, const LshParams& params,
    size_t max_bucket, const SpillOptions& spill, BucketStats* stats) {
  if (stats != nullptr) *stats = BucketStats{};
  if (num_perm < 1) return std::vector<CandidatePair>{};
  const size_t stride = PackedMinHashBytes(num_perm);
  if (!Usable(packed.size(), num_docs * stride, num_perm, num_docs, params)) {
    return std::vector<CandidatePair>{};
  }
  return FindPairs(
      [&](size_t d, int band) { return PackedBandKey(packed.data() + d * stride, params, band); },
      num_docs, params, max_bucket, spill, stats);
}

std::vector<CandidatePair> FindCandidatePairsPacked(absl::Span<const uint8_t> packed, int num_perm,
                                                    size_t num_docs, const LshParams& params,
                                                    size_t max_bucket, BucketStats* stats) {
  return *FindCandidatePairsPacked(packed, num_perm, num_docs, params, max_bucket, SpillOptions{},
                                   stats);
}

void BucketStats::Add(const BucketStats& other) {
  buckets += other.buckets;
  largest_bucket = std::max(largest_bucket, other.largest_bucket);
  oversized_buckets += other.oversized_buckets;
  pairs_not_generated += other.pairs_not_generated;
  pairs_emitted += other.pairs_emitted;
  spilled_runs += other.spilled_runs;
  spilled_bytes += other.spilled_bytes;
}

}  // namespace neardup
