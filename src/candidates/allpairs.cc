#include "neardup/candidates/allpairs.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_sort.h"
#include "tbb/task_arena.h"

namespace neardup {

namespace {

// The smallest integer >= v, minus a relative margin far above double rounding: a bound that is
// one too small only weakens a filter, one too large would lose pairs.
uint64_t CeilDown(double v) {
  const double c = std::ceil(v - 1e-9 * (std::fabs(v) + 1.0));
  return c <= 0 ? 0 : static_cast<uint64_t>(c);
}

// Lower bounds on the overlap of a qualifying pair (at least one shared token, since T > 0).
uint64_t MinOverlap(double t, uint64_t sx, uint64_t sy) {
  return std::max<uint64_t>(1, CeilDown(t / (1.0 + t) * static_cast<double>(sx + sy)));
}
uint64_t MinPartnerSize(double t, uint64_t s) { return std::max<uint64_t>(1, CeilDown(t * s)); }

// First tokens of a set of size s (s >= 1) that go into the index: enough for any partner no
// larger than itself, |x n y| >= 2T / (1 + T) * s.
uint64_t IndexPrefix(double t, uint64_t s) {
  const uint64_t o = std::max<uint64_t>(1, CeilDown(2.0 * t / (1.0 + t) * static_cast<double>(s)));
  return s - std::min(o, s) + 1;
}
// First tokens a set of size s probes with: enough for any partner no larger than itself,
// |x n y| >= T * s.
uint64_t ProbePrefix(double t, uint64_t s) { return s - std::min(MinPartnerSize(t, s), s) + 1; }

std::string Mib(uint64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

absl::Status ValidateSets(const SetCollection& sets) {
  const auto& off = sets.offsets;
  if (off.empty()) {
    if (!sets.tokens.empty()) return absl::InvalidArgumentError("set offsets are empty");
    return absl::OkStatus();
  }
  if (off.front() != 0 || off.back() != sets.tokens.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "set offsets must start at 0 and end at the token count %d (got %d .. %d)",
        sets.tokens.size(), off.front(), off.back()));
  }
  if (off.size() - 1 > UINT32_MAX - 1) {
    return absl::InvalidArgumentError("too many sets for the all-pairs join (max 2^32 - 2)");
  }
  for (size_t i = 0; i + 1 < off.size(); ++i) {
    if (off[i + 1] < off[i]) {
      return absl::InvalidArgumentError(absl::StrFormat("set offsets decrease at set %d", i));
    }
    if (off[i + 1] - off[i] > UINT32_MAX - 1) {
      return absl::InvalidArgumentError(absl::StrFormat("set %d has too many tokens", i));
    }
    for (uint64_t k = off[i] + 1; k < off[i + 1]; ++k) {
      if (sets.tokens[k - 1] >= sets.tokens[k]) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "set %d is not strictly increasing (sorted and deduplicated) at token %d", i,
            k - off[i]));
      }
    }
  }
  return absl::OkStatus();
}

uint64_t IndexEntries(const SetCollection& sets, double t) {
  uint64_t p = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    const uint64_t s = sets.offsets[i + 1] - sets.offsets[i];
    if (s > 0) p += IndexPrefix(t, s);
  }
  return p;
}

uint64_t Estimate(const SetCollection& sets, uint64_t index_entries) {
  const uint64_t tokens = sets.tokens.size();
  const uint64_t n = sets.size();
  const uint64_t threads = static_cast<uint64_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  return tokens * (16 + 4 + 20) + index_entries * 8 + n * (24 + 8 * threads);
}

struct Posting {
  uint32_t rank;  // of the indexed document
  uint32_t pos;   // of the token in it
};

// One worker's state: candidate counters indexed by rank (0 = not seen, > 0 = overlap found in
// the prefixes, -1 = pruned), the ranks it touched for this probe, and what it found.
struct Worker {
  std::vector<int32_t> overlap;
  std::vector<uint32_t> touched;
  std::vector<Edge> edges;
  uint64_t probes = 0;
  uint64_t candidates = 0;
};

// Step 1: each token occurrence's dense id, by ascending document frequency, ties by hash (rare
// tokens first), each set's ids sorted. Sets stats->distinct_tokens. Runs parallel loops and sorts
// inside; call it from one thread.
std::vector<uint32_t> DenseTokenIds(const SetCollection& sets, AllPairsStats* st) {
  const uint64_t num_tokens = sets.tokens.size();
  std::vector<uint32_t> ids(num_tokens);
  // Sort (hash, position) pairs: each run of equal hashes is one distinct token, k-th in hash
  // order; its members learn k by a scatter, without a search per token.
  struct Occurrence {
    uint64_t hash;
    uint64_t pos;
  };
  std::vector<Occurrence> occ(num_tokens);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, num_tokens, 1 << 14),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t k = r.begin(); k != r.end(); ++k) occ[k] = {sets.tokens[k], k};
                    });
  tbb::parallel_sort(occ.begin(), occ.end(),
                     [](const Occurrence& a, const Occurrence& b) { return a.hash < b.hash; });
  std::vector<uint32_t> df;  // of the k-th distinct hash, ascending hash order
  for (size_t i = 0; i < occ.size();) {
    size_t j = i + 1;
    while (j < occ.size() && occ[j].hash == occ[i].hash) ++j;
    for (size_t m = i; m < j; ++m) ids[occ[m].pos] = static_cast<uint32_t>(df.size());
    df.push_back(static_cast<uint32_t>(j - i));
    i = j;
  }
  std::vector<Occurrence>().swap(occ);
  st->distinct_tokens = df.size();
  std::vector<uint32_t> order(df.size());
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  // k follows hash order, so a stable sort by frequency leaves ties in hash order.
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t x, uint32_t y) { return df[x] < df[y]; });
  std::vector<uint32_t> id_of(df.size());
  for (uint32_t r = 0; r < order.size(); ++r) id_of[order[r]] = r;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, sets.size(), 256),
                    [&](const tbb::blocked_range<size_t>& r) {
    for (size_t d = r.begin(); d != r.end(); ++d) {
      const uint64_t b = sets.offsets[d], e = sets.offsets[d + 1];
      for (uint64_t k = b; k < e; ++k) ids[k] = id_of[ids[k]];
      std::sort(ids.begin() + static_cast<ptrdiff_t>(b), ids.begin() + static_cast<ptrdiff_t>(e));
    }
  });
  return ids;
}

// Steps 1-3, the join's read-only state: dense token ids, the documents ranked by (size, index)
// (empty sets rank first and take no part), and the prefix index over the ranks. Built once, on
// one thread (step 1 runs parallel loops inside); then read by every probing thread at once.
class PrefixIndex {
 public:
  PrefixIndex(const SetCollection& sets, double t, AllPairsStats* st)
      : sets_(sets), t_(t), ids_(DenseTokenIds(sets, st)), empty_(st->empty_documents) {
    RankBySize();
    BuildPostings(static_cast<uint32_t>(st->distinct_tokens));
  }

  // Step 4 for the document of rank rx: its pairs with the earlier-ranked documents that reach
  // the threshold go to w->edges. Any number of threads at once, each with its own Worker.
  void Probe(size_t rx, Worker* w) const;

 private:
  uint64_t SizeOf(uint32_t doc) const { return sets_.offsets[doc + 1] - sets_.offsets[doc]; }
  const uint32_t* IdsOf(uint32_t doc) const { return ids_.data() + sets_.offsets[doc]; }

  // Step 2.
  void RankBySize() {
    const size_t n = sets_.size();
    doc_of_rank_.resize(n);
    for (uint32_t d = 0; d < n; ++d) doc_of_rank_[d] = d;
    std::stable_sort(doc_of_rank_.begin(), doc_of_rank_.end(),
                     [&](uint32_t x, uint32_t y) { return SizeOf(x) < SizeOf(y); });
    size_of_rank_.resize(n);
    for (size_t r = 0; r < n; ++r) {
      size_of_rank_[r] = static_cast<uint32_t>(SizeOf(doc_of_rank_[r]));
    }
  }

  // Step 3: the postings of each token id in rank order.
  void BuildPostings(uint32_t num_ids) {
    const size_t n = sets_.size();
    head_.assign(static_cast<size_t>(num_ids) + 1, 0);
    for (size_t r = empty_; r < n; ++r) {
      const uint32_t* x = IdsOf(doc_of_rank_[r]);
      const uint64_t p = IndexPrefix(t_, size_of_rank_[r]);
      for (uint64_t i = 0; i < p; ++i) ++head_[x[i] + 1];
    }
    for (size_t k = 0; k < num_ids; ++k) head_[k + 1] += head_[k];
    postings_.resize(head_[num_ids]);
    std::vector<uint64_t> fill(head_.begin(), head_.end() - 1);
    for (size_t r = empty_; r < n; ++r) {
      const uint32_t* x = IdsOf(doc_of_rank_[r]);
      const uint64_t p = IndexPrefix(t_, size_of_rank_[r]);
      for (uint64_t i = 0; i < p; ++i) {
        postings_[fill[x[i]]++] = {static_cast<uint32_t>(r), static_cast<uint32_t>(i)};
      }
    }
  }

  // The rest of the overlap of ranks rx (probing with its first `probe` tokens) and ry, whose
  // prefixes share `found` tokens; the pair goes to w->edges when its Jaccard reaches T.
  void Verify(size_t rx, uint64_t probe, uint32_t ry, int32_t found, Worker* w) const;

  const SetCollection& sets_;
  const double t_;
  const std::vector<uint32_t> ids_;
  const uint64_t empty_;
  std::vector<uint32_t> doc_of_rank_;
  std::vector<uint32_t> size_of_rank_;
  std::vector<uint64_t> head_;
  std::vector<Posting> postings_;
};

void PrefixIndex::Probe(size_t rx, Worker* w) const {
  const uint64_t sx = size_of_rank_[rx];
  const uint32_t* x = IdsOf(doc_of_rank_[rx]);
  // Length filter: partners have size >= T * sx; ranks follow sizes.
  const uint32_t min_size = static_cast<uint32_t>(MinPartnerSize(t_, sx));
  const uint32_t lo = static_cast<uint32_t>(
      std::lower_bound(size_of_rank_.begin(), size_of_rank_.end(), min_size) -
      size_of_rank_.begin());
  if (lo >= rx) return;
  const uint64_t probe = ProbePrefix(t_, sx);
  for (uint64_t i = 0; i < probe; ++i) {
    const Posting* b = postings_.data() + head_[x[i]];
    const Posting* e = postings_.data() + head_[x[i] + 1];
    b = std::lower_bound(b, e, lo, [](const Posting& p, uint32_t r) { return p.rank < r; });
    for (; b != e && b->rank < rx; ++b) {
      ++w->probes;
      int32_t& o = w->overlap[b->rank];
      if (o < 0) continue;
      if (o == 0) w->touched.push_back(b->rank);
      const uint64_t sy = size_of_rank_[b->rank];
      // Positional filter: what is left after these positions bounds the overlap.
      const uint64_t bound = static_cast<uint64_t>(o) + 1 + std::min(sx - i - 1, sy - b->pos - 1);
      o = bound >= MinOverlap(t_, sx, sy) ? o + 1 : -1;
    }
  }
  for (uint32_t ry : w->touched) {
    const int32_t found = w->overlap[ry];
    w->overlap[ry] = 0;
    if (found <= 0) continue;
    ++w->candidates;
    Verify(rx, probe, ry, found, w);
  }
  w->touched.clear();
}

void PrefixIndex::Verify(size_t rx, uint64_t probe, uint32_t ry, int32_t found, Worker* w) const {
  const uint32_t dx = doc_of_rank_[rx];
  const uint64_t sx = size_of_rank_[rx];
  const uint32_t* x = IdsOf(dx);
  const uint32_t dy = doc_of_rank_[ry];
  const uint64_t sy = size_of_rank_[ry];
  const uint32_t* y = IdsOf(dy);
  const uint64_t need = MinOverlap(t_, sx, sy);
  // `found` is exactly |x[0, probe) n y[0, py)|: every such match is an index entry. A match not
  // yet counted lies past both prefixes' last tokens wx, wy on one side: if wx <= wy, it has x
  // position >= probe (else its value <= wx <= wy puts it in y's prefix), so merging x[probe..)
  // with y's tokens above wx finds the rest; likewise the other way round.
  const uint64_t py = IndexPrefix(t_, sy);
  const uint32_t wx = x[probe - 1], wy = y[py - 1];
  uint64_t i, j;
  if (wx <= wy) {
    i = probe;
    j = static_cast<uint64_t>(std::upper_bound(y, y + sy, wx) - y);
  } else {
    j = py;
    i = static_cast<uint64_t>(std::upper_bound(x, x + sx, wy) - x);
  }
  uint64_t common = static_cast<uint64_t>(found);
  while (i < sx && j < sy && common + std::min(sx - i, sy - j) >= need) {
    if (x[i] < y[j]) {
      ++i;
    } else if (y[j] < x[i]) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  if (i < sx && j < sy) return;  // stopped early: cannot reach `need`
  // Exactly as ExactJaccard computes it, so the two agree at the threshold.
  const double jaccard = static_cast<double>(common) / static_cast<double>(sx + sy - common);
  if (jaccard < t_) return;
  w->edges.push_back({std::min(dx, dy), std::max(dx, dy), static_cast<float>(jaccard)});
}

// The figures known before the join, from valid sets.
AllPairsStats Measure(const SetCollection& sets, double t) {
  AllPairsStats st;
  st.documents = sets.size();
  st.total_tokens = sets.tokens.size();
  st.index_entries = IndexEntries(sets, t);
  st.estimated_bytes = Estimate(sets, st.index_entries);
  for (size_t i = 0; i < sets.size(); ++i) {
    st.empty_documents += sets.offsets[i + 1] == sets.offsets[i];
  }
  return st;
}

// The join's estimated memory against the budget.
absl::Status CheckBudget(const AllPairsStats& st, double t, const AllPairsLimits& limits) {
  if (st.estimated_bytes <= limits.memory_budget_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "the exact all-pairs join of %d documents (%d shingles, %d prefix-index entries at "
      "threshold %g) needs about %s, more than the memory limit of %s; use --algo minhash "
      "(a fixed-size sketch per document) or raise --memory-limit",
      st.documents, st.total_tokens, st.index_entries, t, Mib(st.estimated_bytes),
      Mib(limits.memory_budget_bytes)));
}

// Step 4 over every document, in parallel, with a Worker per thread. The pairs are counted
// against the memory budget as blocks finish; past it, the remaining blocks stop early and the
// result is false. The edges only grow, so "over budget" at any point means the complete result
// is too: the outcome does not depend on scheduling.
bool ProbeAll(const PrefixIndex& index, size_t n, uint64_t empty_documents,
              uint64_t pair_budget, tbb::enumerable_thread_specific<Worker>* workers) {
  std::atomic<uint64_t> pairs_so_far{0};
  std::atomic<bool> over_budget{false};
  tbb::parallel_for(
      tbb::blocked_range<size_t>(empty_documents, n, 64),
      [&](const tbb::blocked_range<size_t>& range) {
        if (over_budget.load(std::memory_order_relaxed)) return;
        Worker& w = workers->local();
        const size_t edges_before = w.edges.size();
        for (size_t rx = range.begin(); rx != range.end(); ++rx) index.Probe(rx, &w);
        const uint64_t found = w.edges.size() - edges_before;
        if (pairs_so_far.fetch_add(found, std::memory_order_relaxed) + found > pair_budget) {
          over_budget.store(true, std::memory_order_relaxed);
        }
      });
  return !over_budget.load();
}

// The workers' edges in (a, b) order, and their counts added to *st.
std::vector<Edge> CombineWorkers(tbb::enumerable_thread_specific<Worker>* workers,
                                 AllPairsStats* st) {
  size_t count = 0;
  for (const Worker& w : *workers) count += w.edges.size();
  std::vector<Edge> edges;
  edges.reserve(count);
  for (Worker& w : *workers) {
    edges.insert(edges.end(), w.edges.begin(), w.edges.end());
    std::vector<Edge>().swap(w.edges);
    st->index_probes += w.probes;
    st->candidates += w.candidates;
  }
  tbb::parallel_sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  st->pairs = edges.size();
  return edges;
}

}  // namespace

uint64_t EstimateAllPairsBytes(const SetCollection& sets, double threshold) {
  if (!(threshold > 0 && threshold <= 1)) return 0;
  return Estimate(sets, IndexEntries(sets, threshold));
}

absl::StatusOr<std::vector<Edge>> AllPairsJoin(const SetCollection& sets, double threshold,
                                               const AllPairsLimits& limits,
                                               AllPairsStats* stats) {
  if (stats != nullptr) *stats = AllPairsStats{};
  const double t = threshold;
  if (!(t > 0 && t <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("all-pairs threshold must be in (0, 1] (got %g)", threshold));
  }
  if (absl::Status s = ValidateSets(sets); !s.ok()) return s;
  const size_t n = sets.size();
  AllPairsStats st = Measure(sets, t);
  if (absl::Status s = CheckBudget(st, t, limits); !s.ok() || n < 2) {
    if (stats != nullptr) *stats = st;
    if (!s.ok()) return s;
    return std::vector<Edge>{};
  }
  const PrefixIndex index(sets, t, &st);  // steps 1-3
  const uint64_t pair_budget =
      (limits.memory_budget_bytes - st.estimated_bytes) / (2 * sizeof(Edge));
  tbb::enumerable_thread_specific<Worker> workers([n] {
    Worker w;
    w.overlap.assign(n, 0);
    return w;
  });
  if (!ProbeAll(index, n, st.empty_documents, pair_budget, &workers)) {
    if (stats != nullptr) *stats = st;
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the exact all-pairs join of %d documents (%d shingles) at threshold %g found more than "
        "%d pairs, which with its working memory (about %s) exceeds the memory limit of %s; "
        "raise the threshold, use --algo minhash, or raise --memory-limit",
        n, st.total_tokens, t, pair_budget, Mib(st.estimated_bytes),
        Mib(limits.memory_budget_bytes)));
  }
  std::vector<Edge> edges = CombineWorkers(&workers, &st);
  if (stats != nullptr) *stats = st;
  return edges;
}

}  // namespace neardup
