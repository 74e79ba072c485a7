#include "dist/shuffle.h"

#ifdef NEARDUP_WITH_MPI

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

#include "neardup/cluster/match.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_sort.h"

namespace neardup::mpi::shuffle {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int MyRank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int Ranks() {
  int p = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

template <typename T>
void AppendPod(std::string* out, const T& v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
std::vector<T> FromBytes(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

uint64_t AllreduceU64(uint64_t v, MPI_Op op) {
  uint64_t out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, op, MPI_COMM_WORLD);
  return out;
}

// One band key of one slot on its way to the rank that owns the key.
struct KeyRec {
  uint64_t key;
  uint32_t band;
  uint32_t slot;
  friend bool operator<(const KeyRec& x, const KeyRec& y) {
    if (x.band != y.band) return x.band < y.band;
    if (x.key != y.key) return x.key < y.key;
    return x.slot < y.slot;
  }
};

// The pairs of one bucket (members in increasing slot order) by lsh.h's rule.
void EmitBucket(const KeyRec* m, size_t n, size_t max_bucket, BucketStats* st,
                std::vector<CandidatePair>* out) {
  EmitBucketPairs(n, max_bucket, [m](size_t i) { return m[i].slot; }, st, out);
}

FieldRule RuleFor(const PipelineOptions& options, int field, const FieldSketches* sketches) {
  FieldRule rule;
  rule.sketches = sketches;
  rule.threshold = field == 0 ? options.title_threshold : options.threshold;
  rule.lsh = field == 0 ? options.EffectiveTitleLsh() : options.EffectiveLsh();
  rule.max_hamming = options.max_hamming;
  rule.min_similarity = static_cast<float>(rule.threshold);
  rule.measure = options.similarity;
  return rule;
}

// The sketches a rank needs to judge pairs whose first slot it owns: its own and the second
// slots' (fetched from their owners), under compact ids that keep the slot order (JudgePair
// depends only on the sketches, not on the ids).
class PairJudge {
 public:
  PairJudge(const PipelineOptions& options, const SlotStore& store, const SlotMap& map,
            const std::vector<CandidatePair>& pairs, Traffic* traffic)
      : options_(options),
        fields_{FieldSketches(options.algo, store.num_perm),
                FieldSketches(options.algo, store.num_perm)} {
    const int ranks = Ranks();
    const int me = MyRank();
    const size_t np = static_cast<size_t>(store.num_perm);
    for (const CandidatePair& p : pairs) {
      universe_.push_back(p.a);
      universe_.push_back(p.b);
    }
    std::sort(universe_.begin(), universe_.end());
    universe_.erase(std::unique(universe_.begin(), universe_.end()), universe_.end());

    // Ask the owners for the sketches of the slots that live elsewhere.
    std::vector<std::string> requests(static_cast<size_t>(ranks));
    for (uint32_t s : universe_) {
      const int owner = map.Owner(s);
      if (owner != me) AppendPod(&requests[static_cast<size_t>(owner)], s);
    }
    std::vector<std::string> asked = Exchange(requests, traffic);
    std::vector<std::string> answers(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      std::string& out = answers[static_cast<size_t>(r)];
      for (uint32_t s : FromBytes<uint32_t>(asked[static_cast<size_t>(r)])) {
        for (int f = 0; f < 2; ++f) {
          const uint8_t has = store.Has(f, s) ? 1 : 0;
          const uint32_t n = store.Count(f, s);
          out.append(reinterpret_cast<const char*>(&n), sizeof(n));
          out.push_back(static_cast<char>(has));
          if (has) out.append(reinterpret_cast<const char*>(store.Signature(f, s)), np * 4);
        }
      }
    }
    asked.clear();
    std::vector<std::string> answered = Exchange(std::move(answers), traffic);

    // Sketches in universe order: own ones from the store, the others from the answers (each
    // owner answered in the order it was asked, which is universe order).
    std::vector<size_t> cursor(static_cast<size_t>(ranks), 0);
    for (size_t id = 0; id < universe_.size(); ++id) {
      const uint32_t s = universe_[id];
      const int owner = map.Owner(s);
      for (int f = 0; f < 2; ++f) {
        const uint32_t* sig = nullptr;
        if (owner == me) {
          if (store.Has(f, s)) sig = store.Signature(f, s);
          counts_[f].push_back(store.Count(f, s));
        } else {
          const std::string& in = answered[static_cast<size_t>(owner)];
          size_t& at = cursor[static_cast<size_t>(owner)];
          uint32_t n = 0;
          std::memcpy(&n, in.data() + at, sizeof(n));
          at += sizeof(n);
          counts_[f].push_back(n);
          const bool has = in[at++] != 0;
          if (has) {
            sig = reinterpret_cast<const uint32_t*>(in.data() + at);
            at += np * 4;
          }
        }
        if (sig != nullptr) {
          // The answer bytes may not be aligned for uint32_t; copy through an aligned buffer.
          aligned_.assign(np, 0);
          std::memcpy(aligned_.data(), sig, np * 4);
          fields_[f].AppendMinHash(static_cast<uint32_t>(id), aligned_.data());
        } else {
          fields_[f].AppendEmpty(static_cast<uint32_t>(id));
        }
      }
    }
  }

  uint32_t Id(uint32_t slot) const {
    return static_cast<uint32_t>(std::lower_bound(universe_.begin(), universe_.end(), slot) -
                                 universe_.begin());
  }
  uint32_t Slot(uint32_t id) const { return universe_[id]; }
  FieldRule Rule(int field) const {
    FieldRule rule = RuleFor(options_, field, &fields_[field]);
    rule.shingle_counts = counts_[field];  // by id, as the sketches
    return rule;
  }

 private:
  const PipelineOptions& options_;
  std::vector<uint32_t> universe_;
  FieldSketches fields_[2];
  std::vector<uint32_t> counts_[2];
  std::vector<uint32_t> aligned_;
};

}  // namespace

std::vector<std::string> Exchange(std::vector<std::string> send, Traffic* traffic) {
  const int ranks = Ranks();
  const int me = MyRank();
  const size_t per_rank = std::max<size_t>(1, kRoundBytes / static_cast<size_t>(ranks));
  uint64_t rounds = 0;
  for (const std::string& s : send) rounds = std::max<uint64_t>(rounds, (s.size() + per_rank - 1) / per_rank);
  rounds = AllreduceU64(rounds, MPI_MAX);
  std::vector<std::string> recv(static_cast<size_t>(ranks));
  std::vector<int> sc(static_cast<size_t>(ranks)), sd(static_cast<size_t>(ranks));
  std::vector<int> rc(static_cast<size_t>(ranks)), rd(static_cast<size_t>(ranks));
  std::string sbuf;
  std::unique_ptr<char[]> rbuf;  // not zeroed: MPI fills it
  size_t rbuf_size = 0;
  sbuf.reserve(std::min(kRoundBytes, [&] {
    size_t n = 0;
    for (const std::string& s : send) n += s.size();
    return n;
  }()));
  for (uint64_t k = 0; k < rounds; ++k) {
    sbuf.clear();
    for (int r = 0; r < ranks; ++r) {
      const std::string& s = send[static_cast<size_t>(r)];
      const size_t off = static_cast<size_t>(k) * per_rank;
      const size_t n = off < s.size() ? std::min(per_rank, s.size() - off) : 0;
      sc[static_cast<size_t>(r)] = static_cast<int>(n);
      sd[static_cast<size_t>(r)] = static_cast<int>(sbuf.size());
      sbuf.append(s, off < s.size() ? off : 0, n);
    }
    MPI_Alltoall(sc.data(), 1, MPI_INT, rc.data(), 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    for (int r = 0; r < ranks; ++r) {
      rd[static_cast<size_t>(r)] = static_cast<int>(total);
      total += static_cast<size_t>(rc[static_cast<size_t>(r)]);
    }
    if (total > rbuf_size) {
      rbuf.reset(new char[total]);
      rbuf_size = total;
    }
    MPI_Alltoallv(sbuf.data(), sc.data(), sd.data(), MPI_BYTE, rbuf.get(), rc.data(), rd.data(),
                  MPI_BYTE, MPI_COMM_WORLD);
    for (int r = 0; r < ranks; ++r) {
      recv[static_cast<size_t>(r)].append(rbuf.get() + rd[static_cast<size_t>(r)],
                                          static_cast<size_t>(rc[static_cast<size_t>(r)]));
    }
    traffic->sent += sbuf.size() - static_cast<size_t>(sc[static_cast<size_t>(me)]);
    traffic->received += total - static_cast<size_t>(rc[static_cast<size_t>(me)]);
  }
  return recv;
}

void SlotStore::Build(internal::LocalSketches&& sketches, const std::vector<uint8_t>& heads,
                      uint32_t first_slot, int perms) {
  local = std::move(sketches);
  num_perm = perms;
  first = first_slot;
  count = 0;
  for (uint8_t h : heads) count += h;
  for (int f = 0; f < 2; ++f) {
    signature[f].assign(count, nullptr);
    counts[f].assign(count, 0);
    size_t src = 0;
    uint32_t k = 0;
    for (size_t i = 0; i < heads.size(); ++i) {
      const bool present = local.present[f][i] != 0;
      if (heads[i]) {
        counts[f][k] = local.counts[f][i];
        signature[f][k++] = present ? local.rows[f][src] : nullptr;
      }
      if (present) ++src;
    }
    local.counts[f] = {};
    local.present[f] = {};
    local.rows[f] = {};
  }
}

int SlotMap::Owner(uint32_t slot) const {
  const auto end = starts.end() - 1;  // starts[size] is the end of the last range
  return static_cast<int>(std::upper_bound(starts.begin(), end, slot) - starts.begin()) - 1;
}

namespace {

// Stage 2 on one rank: band keys to the ranks that own them, buckets paired there, pairs to the
// owners of their first slots. Every method is collective (all ranks call it, in the same order)
// and runs on the thread that calls MPI; the loops inside run in parallel.
class BandShuffle {
 public:
  BandShuffle(const PipelineOptions& options, const SlotStore& store, const SlotMap& map,
              Traffic* traffic)
      : options_(options), store_(store), map_(map), traffic_(traffic), ranks_(Ranks()) {}

  // The fields that give candidates (0 title, 1 body): as FindFieldCandidates (match.h) decides.
  std::vector<int> CandidateFields() const {
    const MatchMode mode = options_.match;
    bool need_title = mode == MatchMode::kTitle || mode == MatchMode::kEither;
    if (mode == MatchMode::kAuto) {
      uint64_t titled_without_body = 0;
      for (uint32_t s = store_.first; s < store_.first + store_.count && !titled_without_body;
           ++s) {
        titled_without_body = store_.Has(0, s) && (!store_.Has(1, s) ||
                                                   store_.Count(1, s) < options_.min_body_shingles);
      }
      need_title = AllreduceU64(titled_without_body, MPI_MAX) != 0;
    }
    std::vector<int> fields;
    if (need_title) fields.push_back(0);
    if (mode != MatchMode::kTitle) fields.push_back(1);
    return fields;
  }

  // The candidate pairs of `field` whose first slot this rank owns, appended to *mine (unsorted,
  // possibly repeated), in rounds of bands.
  void FieldCandidates(int field, std::vector<CandidatePair>* mine) {
    std::vector<uint32_t> slots;
    for (uint32_t s = store_.first; s < store_.first + store_.count; ++s) {
      if (store_.Has(field, s)) slots.push_back(s);
    }
    if (AllreduceU64(slots.size(), MPI_SUM) < 2) return;  // as FindCandidatePairs
    const uint64_t most = std::max<uint64_t>(1, AllreduceU64(slots.size(), MPI_MAX));
    const LshParams lsh = field == 0 ? options_.EffectiveTitleLsh() : options_.EffectiveLsh();
    // Bands per round, so that one rank sends at most about kRoundBytes of keys per round.
    const int per_round = static_cast<int>(std::clamp<uint64_t>(
        kRoundBytes / (most * sizeof(KeyRec)), 1, static_cast<uint64_t>(lsh.total_bands())));
    for (int b0 = 0; b0 < lsh.total_bands(); b0 += per_round) {
      const int b1 = std::min(lsh.total_bands(), b0 + per_round);
      std::vector<KeyRec> bucketed = ToKeyOwners(BandKeys(field, slots, lsh, b0, b1));
      ToPairOwners(PairBuckets(std::move(bucketed)), mine);
    }
  }

  const BucketStats& stats() const { return stats_; }

 private:
  // The keys of bands [b0, b1) of `slots` (own slots with the field), slot by slot.
  std::vector<KeyRec> BandKeys(int field, const std::vector<uint32_t>& slots, const LshParams& lsh,
                               int b0, int b1) const {
    const size_t np = static_cast<size_t>(store_.num_perm);
    const size_t nb = static_cast<size_t>(b1 - b0);
    std::vector<KeyRec> keys(slots.size() * nb);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, slots.size(), 1024),
                      [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        const absl::Span<const uint32_t> sig(store_.Signature(field, slots[i]), np);
        for (int b = b0; b < b1; ++b) {
          keys[i * nb + static_cast<size_t>(b - b0)] = {BandKey(sig, lsh, b),
                                                        static_cast<uint32_t>(b), slots[i]};
        }
      }
    });
    return keys;
  }

  // Each key to the rank that owns it (key mod ranks); returns the keys this rank owns, sorted.
  std::vector<KeyRec> ToKeyOwners(std::vector<KeyRec> keys) {
    std::vector<std::string> send(static_cast<size_t>(ranks_));
    {
      std::vector<size_t> per(static_cast<size_t>(ranks_), 0);
      for (const KeyRec& k : keys) ++per[k.key % static_cast<uint64_t>(ranks_)];
      for (int r = 0; r < ranks_; ++r) send[r].reserve(per[r] * sizeof(KeyRec));
    }
    for (const KeyRec& k : keys) AppendPod(&send[k.key % static_cast<uint64_t>(ranks_)], k);
    keys = {};
    std::vector<std::string> got = Exchange(std::move(send), traffic_);
    std::vector<KeyRec> bucketed;
    size_t received = 0;
    for (const std::string& g : got) received += g.size() / sizeof(KeyRec);
    bucketed.reserve(received);
    for (std::string& g : got) {
      std::vector<KeyRec> part = FromBytes<KeyRec>(g);
      bucketed.insert(bucketed.end(), part.begin(), part.end());
      g = std::string();
    }
    tbb::parallel_sort(bucketed.begin(), bucketed.end());
    return bucketed;
  }

  // The pairs of each bucket (a run of equal band and key) by lsh.h's rule.
  std::vector<CandidatePair> PairBuckets(std::vector<KeyRec> bucketed) {
    std::vector<CandidatePair> pairs;
    for (size_t begin = 0; begin < bucketed.size();) {
      size_t end = begin + 1;
      while (end < bucketed.size() && bucketed[end].band == bucketed[begin].band &&
             bucketed[end].key == bucketed[begin].key) {
        ++end;
      }
      EmitBucket(&bucketed[begin], end - begin, options_.max_bucket, &stats_, &pairs);
      begin = end;
    }
    return pairs;
  }

  // Each pair to the owner of its first slot's sketch; what this rank receives goes to *mine.
  void ToPairOwners(std::vector<CandidatePair> pairs, std::vector<CandidatePair>* mine) {
    std::vector<std::string> route(static_cast<size_t>(ranks_));
    {
      std::vector<int> owner(pairs.size());
      std::vector<size_t> per(static_cast<size_t>(ranks_), 0);
      for (size_t i = 0; i < pairs.size(); ++i) ++per[owner[i] = map_.Owner(pairs[i].a)];
      for (int r = 0; r < ranks_; ++r) route[r].reserve(per[r] * sizeof(CandidatePair));
      for (size_t i = 0; i < pairs.size(); ++i) AppendPod(&route[owner[i]], pairs[i]);
    }
    pairs = {};
    for (const std::string& g : Exchange(std::move(route), traffic_)) {
      std::vector<CandidatePair> part = FromBytes<CandidatePair>(g);
      mine->insert(mine->end(), part.begin(), part.end());
    }
  }

  const PipelineOptions& options_;
  const SlotStore& store_;
  const SlotMap& map_;
  Traffic* traffic_;
  const int ranks_;
  BucketStats stats_;
};

// The candidate figures summed over the ranks into *counts on rank 0, as the single-process run
// counts them. Collective.
void ReduceCandidateFigures(uint64_t pairs, const BucketStats& stats, RunCounts* counts) {
  uint64_t sums[5] = {pairs, stats.buckets, stats.oversized_buckets, stats.pairs_not_generated,
                      stats.pairs_emitted};
  uint64_t total[5] = {0, 0, 0, 0, 0};
  MPI_Reduce(sums, total, 5, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  uint64_t largest = 0;
  MPI_Reduce(&stats.largest_bucket, &largest, 1, MPI_UINT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
  if (MyRank() == 0) {
    counts->candidate_pairs = total[0];
    counts->buckets.buckets = total[1];
    counts->buckets.oversized_buckets = total[2];
    counts->buckets.pairs_not_generated = total[3];
    counts->buckets.pairs_emitted = total[4];
    counts->buckets.largest_bucket = largest;
  }
}

// Stage 3 on one rank: the verified edges among `pairs` (sorted, first slots owned here), with
// the second slots' sketches fetched from their owners. Collective.
std::vector<Edge> JudgeOwnPairs(const PipelineOptions& options, const SlotStore& store,
                                const SlotMap& map, std::vector<CandidatePair> pairs,
                                Traffic* traffic) {
  PairJudge judge(options, store, map, pairs, traffic);
  for (CandidatePair& p : pairs) p = {judge.Id(p.a), judge.Id(p.b)};
  std::vector<Edge> edges =
      JudgeCandidates(pairs, options.match, judge.Rule(0), judge.Rule(1),
                      options.verify == VerifyMode::kSignature, options.min_body_shingles);
  for (Edge& e : edges) {
    e.a = judge.Slot(e.a);
    e.b = judge.Slot(e.b);
  }
  return edges;
}

// Every rank's edges on rank 0, sorted by (a, b); empty elsewhere. Collective.
std::vector<Edge> GatherEdges(std::vector<Edge> edges, Traffic* traffic) {
  std::vector<std::string> to_root(static_cast<size_t>(Ranks()));
  to_root[0].assign(reinterpret_cast<const char*>(edges.data()), edges.size() * sizeof(Edge));
  edges = {};
  std::vector<std::string> got = Exchange(std::move(to_root), traffic);
  std::vector<Edge> all;
  if (MyRank() != 0) return all;
  for (const std::string& g : got) {
    std::vector<Edge> part = FromBytes<Edge>(g);
    all.insert(all.end(), part.begin(), part.end());
  }
  // Ranks own increasing slot ranges and sort their pairs, so this is already in (a, b) order.
  auto by_pair = [](const Edge& x, const Edge& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; };
  if (!std::is_sorted(all.begin(), all.end(), by_pair)) {
    std::sort(all.begin(), all.end(), by_pair);
  }
  return all;
}

}  // namespace

std::vector<Edge> DistributedEdges(const PipelineOptions& options, const SlotStore& store,
                                   const SlotMap& map, RunCounts* counts, StageSeconds* seconds,
                                   Traffic* traffic) {
  const bool root = MyRank() == 0;
  auto start = Clock::now();
  std::vector<CandidatePair> mine;
  BandShuffle shuffle(options, store, map, traffic);
  for (int field : shuffle.CandidateFields()) shuffle.FieldCandidates(field, &mine);
  tbb::parallel_sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  ReduceCandidateFigures(mine.size(), shuffle.stats(), counts);
  if (root) seconds->candidates = SecondsSince(start);

  // Verification where the first slot lives; edges to rank 0.
  start = Clock::now();
  std::vector<Edge> all =
      GatherEdges(JudgeOwnPairs(options, store, map, std::move(mine), traffic), traffic);
  if (root) seconds->verify = SecondsSince(start);
  return all;
}

std::vector<float> DistributedSimilarities(const PipelineOptions& options, const SlotStore& store,
                                           const SlotMap& map,
                                           const std::vector<CandidatePair>& pairs,
                                           Traffic* traffic) {
  const int ranks = Ranks();
  const int me = MyRank();
  // Rank 0's pairs to the owners of their first slots; the answers come back in the same order
  // when `pairs` is sorted by its first slot (Cluster() sorts it).
  std::vector<std::string> send(static_cast<size_t>(ranks));
  for (size_t i = 0; i < pairs.size(); ++i) {
    AppendPod(&send[static_cast<size_t>(map.Owner(pairs[i].a))], pairs[i]);
  }
  std::vector<CandidatePair> mine = FromBytes<CandidatePair>(Exchange(std::move(send), traffic)[0]);
  std::vector<float> sims(mine.size(), 0.0f);
  {
    PairJudge judge(options, store, map, mine, traffic);
    const FieldRule title = judge.Rule(0);
    const FieldRule body = judge.Rule(1);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, mine.size(), 4096),
                      [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        sims[i] = JudgePair(judge.Id(mine[i].a), judge.Id(mine[i].b), options.match, title, body,
                            options.min_body_shingles)
                      .similarity;
      }
    });
  }
  std::vector<std::string> back(static_cast<size_t>(ranks));
  back[0].assign(reinterpret_cast<const char*>(sims.data()), sims.size() * sizeof(float));
  std::vector<std::string> got = Exchange(std::move(back), traffic);
  std::vector<float> all;
  if (me == 0) {
    for (const std::string& g : got) {
      std::vector<float> part = FromBytes<float>(g);
      all.insert(all.end(), part.begin(), part.end());
    }
  }
  return all;
}

}  // namespace neardup::mpi::shuffle

#endif  // NEARDUP_WITH_MPI
