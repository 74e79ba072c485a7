#include "neardup/sketch/simhash.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_sort.h"

namespace neardup {

namespace {

// kSpread[b] has byte k equal to bit k of b: adding kSpread[byte] to a uint64 adds one to eight
// byte-wide counters at once, so a hash costs eight lookups instead of 64 bit tests.
constexpr std::array<uint64_t, 256> MakeSpread() {
  std::array<uint64_t, 256> t{};
  for (int b = 0; b < 256; ++b) {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= static_cast<uint64_t>((b >> k) & 1) << (8 * k);
    t[static_cast<size_t>(b)] = v;
  }
  return t;
}
constexpr std::array<uint64_t, 256> kSpread = MakeSpread();

// Bitwise majority of hashes[0..n): bit i set iff more than n/2 of them have bit i set.
uint64_t Majority(const uint64_t* hashes, size_t n) {
  uint64_t ones[64] = {};
  size_t k = 0;
  while (k < n) {
    // Byte counters overflow past 255: flush them every 255 hashes.
    const size_t chunk_end = std::min(n, k + 255);
    uint64_t acc[8] = {};
    for (; k < chunk_end; ++k) {
      const uint64_t x = hashes[k];
      for (int j = 0; j < 8; ++j) acc[j] += kSpread[(x >> (8 * j)) & 0xFF];
    }
    for (int j = 0; j < 8; ++j) {
      for (int b = 0; b < 8; ++b) ones[8 * j + b] += (acc[j] >> (8 * b)) & 0xFF;
    }
  }
  uint64_t fp = 0;
  for (int i = 0; i < 64; ++i) {
    if (2 * ones[i] > n) fp |= uint64_t{1} << i;
  }
  return fp;
}

}  // namespace

uint64_t SimHash64(absl::Span<const uint64_t> shingle_hashes, SimHashWeight weight) {
  if (weight == SimHashWeight::kTf || shingle_hashes.size() < 2) {
    return Majority(shingle_hashes.data(), shingle_hashes.size());
  }
  bool strictly_increasing = true;
  for (size_t i = 1; i < shingle_hashes.size() && strictly_increasing; ++i) {
    strictly_increasing = shingle_hashes[i - 1] < shingle_hashes[i];
  }
  if (strictly_increasing) return Majority(shingle_hashes.data(), shingle_hashes.size());
  // Per thread, not per call: SimHash64 runs inside parallel signing loops.
  thread_local std::vector<uint64_t> scratch;
  scratch.assign(shingle_hashes.begin(), shingle_hashes.end());
  std::sort(scratch.begin(), scratch.end());
  scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
  return Majority(scratch.data(), scratch.size());
}

absl::Status ValidateSimHashMaxHamming(int max_hamming) {
  if (max_hamming < 0 || max_hamming > kSimHashMaxHamming) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SimHash distance must be between 0 and %d bits (got %d)", kSimHashMaxHamming,
        max_hamming));
  }
  return absl::OkStatus();
}

int SimHashTableLayout::min_key_bits() const {
  int bits = 64;
  for (uint64_t m : table_masks) bits = std::min(bits, __builtin_popcountll(m));
  return table_masks.empty() ? 0 : bits;
}

SimHashTableLayout MakeSimHashLayout(int max_hamming, int num_blocks) {
  SimHashTableLayout layout;
  layout.max_hamming = max_hamming;
  layout.num_blocks = num_blocks;
  if (num_blocks < 1 || num_blocks > 64 || max_hamming < 0 || max_hamming >= num_blocks + 1) {
    return layout;
  }
  const int keyed = num_blocks - max_hamming;
  if (keyed < 1) return layout;  // K >= B: no block is guaranteed to agree
  // Block masks, block 0 at the top.
  std::vector<uint64_t> block_mask(static_cast<size_t>(num_blocks));
  int top = 64;  // bits [top - len, top) form the next block
  for (int b = 0; b < num_blocks; ++b) {
    const int len = 64 / num_blocks + (b < 64 % num_blocks ? 1 : 0);
    const int low = top - len;
    const uint64_t ones = len == 64 ? ~uint64_t{0} : ((uint64_t{1} << len) - 1);
    block_mask[static_cast<size_t>(b)] = ones << low;
    top = low;
  }
  // Combinations of `keyed` blocks in lexicographic order.
  std::vector<int> pick(static_cast<size_t>(keyed));
  for (int i = 0; i < keyed; ++i) pick[static_cast<size_t>(i)] = i;
  while (true) {
    if (layout.table_masks.size() == 64) return SimHashTableLayout{max_hamming, num_blocks, {}};
    uint64_t mask = 0;
    for (int b : pick) mask |= block_mask[static_cast<size_t>(b)];
    layout.table_masks.push_back(mask);
    int i = keyed - 1;
    while (i >= 0 && pick[static_cast<size_t>(i)] == num_blocks - keyed + i) --i;
    if (i < 0) break;
    ++pick[static_cast<size_t>(i)];
    for (int j = i + 1; j < keyed; ++j) {
      pick[static_cast<size_t>(j)] = pick[static_cast<size_t>(j - 1)] + 1;
    }
  }
  return layout;
}

SimHashTableLayout ChooseSimHashLayout(int max_hamming) {
  const int k = std::clamp(max_hamming, 0, kSimHashMaxHamming);
  return MakeSimHashLayout(k, k <= 2 ? k + 1 : k + 2);
}

namespace {

struct Entry {
  uint64_t fp;
  uint32_t doc;
};

// What one thread found; combined after the tables (edges) or after each table (oversized).
struct Local {
  std::vector<Edge> edges;
  std::vector<uint32_t> oversized_docs;  // members of oversized buckets of the current table
  SimHashStats stats;
};

class TableScanner {
 public:
  TableScanner(const SimHashTableLayout& layout, int table, size_t max_bucket,
               const absl::flat_hash_map<uint32_t, uint64_t>& oversized_in)
      : layout_(layout),
        table_(table),
        mask_(layout.table_masks[static_cast<size_t>(table)]),
        max_bucket_(max_bucket),
        oversized_in_(oversized_in) {}

  uint64_t Key(const Entry& e) const { return e.fp & mask_; }

  // Checks the pairs of the bucket entries[0..m), members in increasing document order.
  void Bucket(const Entry* e, size_t m, Local* out) const {
    SimHashStats& st = out->stats;
    st.largest_bucket = std::max<uint64_t>(st.largest_bucket, m);
    if (m < 2) return;
    ++st.buckets;
    if (m <= max_bucket_) {
      for (size_t i = 0; i < m; ++i) {
        for (size_t j = i + 1; j < m; ++j) Check(e[i], e[j], out);
      }
      return;
    }
    // Oversized: a star from the first member plus a chain, 2m - 3 distinct pairs (lsh.h).
    ++st.oversized_buckets;
    for (size_t j = 0; j < m; ++j) out->oversized_docs.push_back(e[j].doc);
    for (size_t j = 1; j < m; ++j) Check(e[0], e[j], out);
    for (size_t j = 1; j + 1 < m; ++j) Check(e[j], e[j + 1], out);
    st.pairs_not_checked += static_cast<uint64_t>(m) * (m - 1) / 2 - (2 * static_cast<uint64_t>(m) - 3);
  }

 private:
  void Check(const Entry& x, const Entry& y, Local* out) const {
    ++out->stats.candidates_checked;
    const int d = HammingDistance(x.fp, y.fp);
    if (d > layout_.max_hamming || ReportedEarlier(x, y)) return;
    out->edges.push_back({x.doc, y.doc, SimHashSimilarity(d)});
  }

  // True if an earlier table keys x and y together in a bucket that was not oversized: that
  // table checked the pair already (the first table to do so reports it).
  bool ReportedEarlier(const Entry& x, const Entry& y) const {
    uint64_t oversized = 0;
    bool looked_up = false;
    for (int t = 0; t < table_; ++t) {
      if (((x.fp ^ y.fp) & layout_.table_masks[static_cast<size_t>(t)]) != 0) continue;
      if (!looked_up) {
        looked_up = true;
        const auto it = oversized_in_.find(x.doc);  // x and y share that bucket: either will do
        if (it != oversized_in_.end()) oversized = it->second;
      }
      if ((oversized >> t & 1) == 0) return true;
    }
    return false;
  }

  const SimHashTableLayout& layout_;
  const int table_;
  const uint64_t mask_;
  const size_t max_bucket_;
  const absl::flat_hash_map<uint32_t, uint64_t>& oversized_in_;
};

}  // namespace

std::vector<Edge> FindSimHashPairs(absl::Span<const uint64_t> fingerprints, int max_hamming,
                                   size_t max_bucket, SimHashStats* stats) {
  if (!ValidateSimHashMaxHamming(max_hamming).ok()) {
    if (stats != nullptr) *stats = SimHashStats{};
    return {};
  }
  return FindSimHashPairs(fingerprints, ChooseSimHashLayout(max_hamming), max_bucket, stats);
}

std::vector<Edge> FindSimHashPairs(absl::Span<const uint64_t> fingerprints,
                                   const SimHashTableLayout& layout, size_t max_bucket,
                                   SimHashStats* stats) {
  if (stats != nullptr) *stats = SimHashStats{};
  const size_t n = fingerprints.size();
  if (n < 2 || n > UINT32_MAX || max_bucket < 2 || layout.table_masks.empty() ||
      layout.table_masks.size() > 64 || layout.max_hamming < 0 || layout.max_hamming > 64) {
    return {};
  }

  std::vector<Entry> entries(n);  // the one table alive at a time
  tbb::enumerable_thread_specific<Local> locals;
  // Documents whose bucket was oversized in some table: bit t set for table t. Sparse (only
  // members of oversized buckets), written between tables, read-only while a table is scanned.
  absl::flat_hash_map<uint32_t, uint64_t> oversized_in;
  SimHashStats total;

  for (int t = 0; t < layout.num_tables(); ++t) {
    const TableScanner scanner(layout, t, max_bucket, oversized_in);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 14),
                      [&](const tbb::blocked_range<size_t>& r) {
                        for (size_t d = r.begin(); d != r.end(); ++d) {
                          entries[d] = {fingerprints[d], static_cast<uint32_t>(d)};
                        }
                      });
    tbb::parallel_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
      const uint64_t ka = scanner.Key(a), kb = scanner.Key(b);
      return ka != kb ? ka < kb : a.doc < b.doc;
    });
    // Each range handles the buckets that start inside it, following the last one past its end.
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 12),
                      [&](const tbb::blocked_range<size_t>& r) {
                        Local& local = locals.local();
                        size_t begin = r.begin();
                        while (begin < r.end() && begin > 0 &&
                               scanner.Key(entries[begin]) == scanner.Key(entries[begin - 1])) {
                          ++begin;
                        }
                        while (begin < r.end()) {
                          const uint64_t key = scanner.Key(entries[begin]);
                          size_t end = begin + 1;
                          while (end < n && scanner.Key(entries[end]) == key) ++end;
                          scanner.Bucket(&entries[begin], end - begin, &local);
                          begin = end;
                        }
                      });
    for (Local& local : locals) {
      for (uint32_t doc : local.oversized_docs) oversized_in[doc] |= uint64_t{1} << t;
      local.oversized_docs.clear();
    }
  }
  std::vector<Entry>().swap(entries);

  size_t count = 0;
  for (const Local& local : locals) count += local.edges.size();
  std::vector<Edge> edges;
  edges.reserve(count);
  for (Local& local : locals) {
    edges.insert(edges.end(), local.edges.begin(), local.edges.end());
    std::vector<Edge>().swap(local.edges);
    const SimHashStats& st = local.stats;
    total.buckets += st.buckets;
    total.largest_bucket = std::max(total.largest_bucket, st.largest_bucket);
    total.oversized_buckets += st.oversized_buckets;
    total.pairs_not_checked += st.pairs_not_checked;
    total.candidates_checked += st.candidates_checked;
  }
  // Pairs reach here in scheduling order; sorting makes the output independent of it. Only pairs
  // from oversized buckets can appear twice.
  tbb::parallel_sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  edges.erase(std::unique(edges.begin(), edges.end(),
                          [](const Edge& x, const Edge& y) { return x.a == y.a && x.b == y.b; }),
              edges.end());
  total.tables = static_cast<uint64_t>(layout.num_tables());
  total.edges = edges.size();
  if (stats != nullptr) *stats = total;
  return edges;
}

}  // namespace neardup
