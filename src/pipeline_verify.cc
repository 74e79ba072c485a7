// pipeline_verify.cc: exact verification (match.h VerifyMode::kExact) for the sketching engines.
//
// A candidate pair of slots becomes an edge by the exact similarity of the two documents' shingle
// sets, per field, not by the estimate from their sketches. The sets are rebuilt from the inputs
// (io/replay.h) for the slots that occur in candidate pairs only, exactly as the first pass made
// them (normalized, shingled, stop-shingles left out), and stored as sorted 32-bit hashes.
//
// Memory: 4 bytes a shingle of each loaded document, bounded by half of options.memory_limit.
// When the sets do not fit at once, the slots are ordered by connected component of the pairs
// and cut into groups of a quarter of that budget each; every pair of groups that holds pairs
// is loaded together in one more pass over the inputs. Scoring runs in parallel; results are in
// pair order and never depend on the thread count.
//
// Threading: LoadSets reads serially and shingles batches of records in parallel (thread-local
// parsers); ScoreExactly is a parallel_for over pairs that only reads the sets.
#include <algorithm>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "internal/runner.h"
#include "internal/slot_sets.h"
#include "neardup/io/replay.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/parallel_for.h"

namespace neardup::internal {
namespace {

constexpr uint32_t kNoRow = ~uint32_t{0};
// Records shingled in parallel at a time while the inputs are re-read.
constexpr size_t kChunkRecords = 4096;
constexpr size_t kChunkBytes = size_t{16} << 20;
// Sets read back by place are loaded in windows of at most this many bytes, into one buffer that
// every window reuses: on a 1M-document run the 113,948 sets of unsure pairs took 680 MB at once,
// and faulting in that much fresh memory cost more than building the sets (0.8 of 2.3 s).
constexpr uint64_t kPlaceWindowBytes = uint64_t{64} << 20;

struct PendingRecord {
  uint32_t slot = 0;
  int file = 0;
  uint64_t line = 0;
  size_t begin = 0;
  size_t end = 0;
};

struct ReplayThread {
  std::vector<std::unique_ptr<RecordParser>> parsers;  // by file index
  Document doc;
  std::string text;
  std::vector<uint64_t> shingles;
  std::vector<uint32_t> scratch;
  std::vector<uint32_t> set;  // title set, then body set
};

// Sorts `v[begin..]` and drops repeats. The values are uniform hashes, so one counting pass on
// their top bits spreads them into about as many buckets as there are values, each finished by
// insertion sort: several times faster than std::sort at the few thousand values of a body, and
// a third faster than buckets of about 8 (fewer mispredicted moves; the counts still fit L1).
// Sorts a[0, n) into out[0, n) (which must not overlap it) and drops repeats; returns how many
// distinct values are at the front of `out`.
size_t SortUnique(const uint32_t* a, size_t n, uint32_t* out, std::vector<uint32_t>* scratch) {
  if (n < 64) {
    std::copy(a, a + n, out);  // (a may be null when n is 0)
    std::sort(out, out + n);
  } else {
    int bits = 6;
    while (bits < 16 && (size_t{1} << bits) < n) ++bits;
    const int shift = 32 - bits;
    const size_t buckets = size_t{1} << bits;
    scratch->assign(buckets + 1, 0);
    uint32_t* start = scratch->data();
    for (size_t i = 0; i < n; ++i) ++start[(a[i] >> shift) + 1];
    for (size_t k = 1; k <= buckets; ++k) start[k] += start[k - 1];
    for (size_t i = 0; i < n; ++i) out[start[a[i] >> shift]++] = a[i];
    // start[k] is now the end of bucket k; insertion sort across the whole array is linear in
    // the bucket sizes, since no value moves past its bucket's start.
    for (size_t i = 1; i < n; ++i) {
      const uint32_t x = out[i];
      size_t j = i;
      while (j > 0 && out[j - 1] > x) {
        out[j] = out[j - 1];
        --j;
      }
      out[j] = x;
    }
  }
  return static_cast<size_t>(std::unique(out, out + n) - out);
}

}  // namespace

void SlotSets::Reset(size_t slots) {
  row_of_slot_.assign(slots, kNoRow);
  values_.Truncate();
  base_.assign(1, 0);
  title_size_.clear();
  body_size_.clear();
}

bool SlotSets::Has(uint32_t slot) const {
  return slot < row_of_slot_.size() && row_of_slot_[slot] != kNoRow;
}

absl::Span<const uint32_t> SlotSets::Field(uint32_t slot, int field) const {
  const uint32_t row = row_of_slot_[slot];
  const uint32_t* p = values_.data() + base_[row];
  return field == 0 ? absl::MakeConstSpan(p, title_size_[row])
                    : absl::MakeConstSpan(p + title_size_[row], body_size_[row]);
}

absl::Status Runner::LoadSets(absl::Span<const uint32_t> slots, SlotSets* sets) {
  sets->Reset(slot_doc_.size());
  if (slots.empty()) return absl::OkStatus();
  // The first pass's shingle counts (positions) bound the sets' sizes: each slot gets that much
  // room, written by whichever thread makes its set.
  auto positions = [&](uint32_t slot) {
    return size_t{shingle_counts_[0][slot]} + shingle_counts_[1][slot];
  };
  sets->Layout(slots, positions);
  std::vector<std::vector<std::string>> columns(options_.inputs.size());
  tbb::enumerable_thread_specific<ReplayThread> threads;
  std::string raw;
  std::vector<PendingRecord> pending;

  auto shingle_field = [&](const std::string& text, int f, ReplayThread& t,
                           std::vector<uint32_t>* out) {
    const ShingleSpec& spec = f == 0 ? options_.title_shingle : options_.shingle;
    Shingle(text, spec, options_.shingle_seed, &t.shingles);
    const StopShingles& stop = stop_shingles_[f];
    for (uint64_t h : t.shingles) {
      if (!stop.empty() && stop.Contains(h)) continue;
      out->push_back(static_cast<uint32_t>(h));
    }
  };
  auto flush = [&]() -> absl::Status {
    const size_t n = pending.size();
    std::vector<std::string> errors(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16), [&](const tbb::blocked_range<size_t>& r) {
      ReplayThread& t = threads.local();
      for (size_t i = r.begin(); i != r.end(); ++i) {
        const PendingRecord& p = pending[i];
        if (t.parsers.size() <= static_cast<size_t>(p.file)) t.parsers.resize(p.file + 1);
        auto& parser = t.parsers[p.file];
        if (!parser) {
          parser = std::make_unique<RecordParser>(options_.FormatOf(p.file), options_.fields,
                                                  options_.LabelOf(p.file), columns[p.file]);
        }
        t.doc.Clear();
        absl::Status s = parser->Parse(std::string_view(raw).substr(p.begin, p.end - p.begin),
                                       p.line, &t.doc);
        if (!s.ok()) {
          errors[i] = std::string(s.message());
          continue;
        }
        // Each field's shingles, then sorted straight into the slot's room (the first pass's
        // counts bound them; a record that has more is not the record that was read).
        std::vector<uint32_t>& in = t.set;
        uint32_t* room = sets->Room(p.slot);
        const size_t room_size = sets->RoomSize(p.slot);
        size_t used[2] = {0, 0};
        for (int f = 0; f < 2; ++f) {
          in.clear();
          normalizer_.Normalize(f == 0 ? t.doc.title : t.doc.body,
                                f == 0 ? TextField::kTitle : TextField::kBody, &t.text);
          shingle_field(t.text, f, t, &in);
          if (used[0] + in.size() > room_size) break;
          used[f] = SortUnique(in.data(), in.size(), room + used[0], &t.scratch);
        }
        if (used[0] + in.size() > room_size) {
          errors[i] = "a record no longer has the text it had";
          continue;
        }
        sets->Fill(p.slot, used[0], used[1]);
      }
    });
    for (size_t i = 0; i < n; ++i) {
      if (!errors[i].empty()) {
        return absl::InternalError(absl::StrCat("the inputs changed while neardup was reading them: ",
                                                errors[i]));
      }
    }
    pending.clear();
    raw.clear();
    return absl::OkStatus();
  };

  auto add = [&](uint32_t slot, int file, uint64_t line, std::string_view record) -> absl::Status {
    PendingRecord p;
    p.slot = slot;
    p.file = file;
    p.line = line;
    p.begin = raw.size();
    raw.append(record);
    p.end = raw.size();
    pending.push_back(p);
    if (pending.size() >= kChunkRecords || raw.size() >= kChunkBytes) return flush();
    return absl::OkStatus();
  };
  // By place only while every input is still the file that was read (same device, inode, size
  // and modification time); a file touched or replaced since is replayed, as are all others.
  if (ReadsByPlace() && places_.Unchanged(options_)) {
    absl::Status read =
        places_.Read(options_, slots, [&](uint32_t slot, int file, std::string_view record) {
          return add(slot, file, 0, record);
        });
    if (!read.ok()) return read;
    return flush();
  }

  size_t next = 0;  // next slot of `slots` to find
  absl::Status replayed = ReplayDocuments(
      options_, result_.bad_record_ordinals, documents(),
      [&](int file, const RecordReader& reader) {
        columns[static_cast<size_t>(file)] = reader.columns();
        return absl::OkStatus();
      },
      [&](const ReplayedRecord& rec) -> absl::StatusOr<bool> {
        if (slot_doc_[slots[next]] != rec.document) return true;
        absl::Status s = add(slots[next], rec.file_index, rec.line_number, rec.raw);
        if (!s.ok()) return s;
        return ++next < slots.size();
      });
  if (!replayed.ok()) return replayed;
  absl::Status s = flush();
  if (!s.ok()) return s;
  if (next != slots.size()) {
    return absl::InternalError("the inputs changed while neardup was reading them");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PairVerdict>> Runner::ScoreExactly(
    absl::Span<const CandidatePair> pairs) {
  const MatchRule rule = Rules();
  const SimilarityMeasure measure = options_.similarity;
  const std::vector<uint32_t>& body_counts = shingle_counts_[1];
  std::vector<PairVerdict> verdicts(pairs.size());
  if (pairs.empty()) return verdicts;
  auto score = [&](const SlotSets& sets, absl::Span<const size_t> which) {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, which.size(), 1024),
                      [&](const tbb::blocked_range<size_t>& r) {
      for (size_t k = r.begin(); k != r.end(); ++k) {
        const size_t i = which[k];
        const uint32_t a = pairs[i].a;
        const uint32_t b = pairs[i].b;
        FieldScore field[2];
        for (int f = 0; f < 2; ++f) {
          const auto x = sets.Field(a, f);
          const auto y = sets.Field(b, f);
          field[f].present = !x.empty() && !y.empty();
          if (field[f].present) field[f].similarity = SetSimilarity<uint32_t>(x, y, measure);
        }
        const bool long_bodies = body_counts[a] >= rule.min_body_shingles &&
                                 body_counts[b] >= rule.min_body_shingles;
        verdicts[i] = Decide(rule, field[0], field[1], long_bodies);
      }
    });
  };

  // The slots needed, and the bytes their sets take at most.
  std::vector<uint32_t> slots;
  slots.reserve(pairs.size() * 2);
  for (const CandidatePair& p : pairs) {
    slots.push_back(p.a);
    slots.push_back(p.b);
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  auto bytes_of = [&](uint32_t s) {
    return 4 * (uint64_t{shingle_counts_[0][s]} + shingle_counts_[1][s]) + 16;
  };
  bool cached = exact_sets_ != nullptr;
  for (size_t i = 0; cached && i < slots.size(); ++i) cached = exact_sets_->Has(slots[i]);
  uint64_t total = 0;
  for (uint32_t s : slots) total += bytes_of(s);
  uint64_t budget = std::max<uint64_t>(options_.memory_limit / 2, 1 << 20);
  // A window replayed is a pass over the inputs, a window read by place costs only its records.
  if (ReadsByPlace()) {
    budget = std::min(budget, kPlaceWindowBytes);
  }
  if (!cached && total <= budget) {
    exact_sets_ = std::make_unique<SlotSets>();
    absl::Status s = LoadSets(slots, exact_sets_.get());
    if (!s.ok()) return s;
    cached = true;
  }
  if (cached) {
    std::vector<size_t> all(pairs.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    score(*exact_sets_, all);
    ++result_.counts.verify_passes;
    return verdicts;
  }

  // Too large at once. Slots in component order, cut into windows that fit the budget, at
  // component boundaries; a component larger than the budget is cut into groups of half of it,
  // loaded two at a time. Each window or pair of groups is one load of its records (a pass over
  // the inputs where they are replayed), into the same buffer.
  exact_sets_.reset();
  UnionFind components(slot_doc_.size());
  for (const CandidatePair& p : pairs) components.Union(p.a, p.b);
  std::vector<uint32_t> order(slots);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const uint32_t rx = components.Find(x);
    const uint32_t ry = components.Find(y);
    return rx != ry ? rx < ry : x < y;
  });
  std::vector<uint32_t> group_of(slot_doc_.size(), 0);
  uint32_t groups = 0;
  {
    uint64_t in_group = 0;
    size_t i = 0;
    while (i < order.size()) {
      size_t j = i;
      uint64_t bytes = 0;
      const uint32_t root = components.Find(order[i]);
      while (j < order.size() && components.Find(order[j]) == root) bytes += bytes_of(order[j++]);
      if (bytes > budget) {
        // A giant component: groups of budget / 2 of its own.
        if (in_group > 0) ++groups;
        in_group = 0;
        for (size_t k = i; k < j; ++k) {
          if (in_group > 0 && in_group + bytes_of(order[k]) > budget / 2) {
            ++groups;
            in_group = 0;
          }
          group_of[order[k]] = groups;
          in_group += bytes_of(order[k]);
        }
        ++groups;
        in_group = 0;
      } else {
        if (in_group > 0 && in_group + bytes > budget) {
          ++groups;
          in_group = 0;
        }
        for (size_t k = i; k < j; ++k) group_of[order[k]] = groups;
        in_group += bytes;
      }
      i = j;
    }
  }
  std::vector<size_t> by_groups(pairs.size());
  for (size_t i = 0; i < by_groups.size(); ++i) by_groups[i] = i;
  auto key = [&](size_t i) {
    const uint32_t ga = group_of[pairs[i].a];
    const uint32_t gb = group_of[pairs[i].b];
    return std::make_pair(std::min(ga, gb), std::max(ga, gb));
  };
  std::stable_sort(by_groups.begin(), by_groups.end(),
                   [&](size_t x, size_t y) { return key(x) < key(y); });
  SlotSets sets;
  for (size_t begin = 0; begin < by_groups.size();) {
    size_t end = begin;
    while (end < by_groups.size() && key(by_groups[end]) == key(by_groups[begin])) ++end;
    std::vector<uint32_t> part;
    for (size_t k = begin; k < end; ++k) {
      part.push_back(pairs[by_groups[k]].a);
      part.push_back(pairs[by_groups[k]].b);
    }
    std::sort(part.begin(), part.end());
    part.erase(std::unique(part.begin(), part.end()), part.end());
    absl::Status s = LoadSets(part, &sets);
    if (!s.ok()) return s;
    score(sets, absl::MakeConstSpan(by_groups.data() + begin, end - begin));
    ++result_.counts.verify_passes;
    begin = end;
  }
  return verdicts;
}

absl::StatusOr<std::vector<Edge>> Runner::VerifyExactly(
    absl::Span<const CandidatePair> candidates) {
  // auto: the estimate decides where it is sure (match.h VerifyMode::kAuto).
  const bool by_estimate =
      options_.verify == VerifyMode::kAuto &&
      engine_.similarity_kind() == SimilarityKind::kEstimatedJaccard;
  std::vector<PairVerdict> verdicts(candidates.size());
  std::vector<uint8_t> sure(candidates.size(), 0);
  if (by_estimate) {
    const FieldRule title = Rule(0);
    const FieldRule body = Rule(1);
    const float t_min = title.min_similarity;
    const float b_min = body.min_similarity;
    const MatchMode mode = options_.match;
    const uint32_t min_body = options_.min_body_shingles;
    // The pairs come in random order over sketches far larger than the caches: each field's
    // row entries are prefetched kAhead pairs ahead and the sketches half as far.
    // Under auto the bodies decide most pairs alone, so only their sketches (and shingle
    // counts) are fetched ahead; a title is read where it is needed.
    constexpr size_t kAhead = 16;
    const bool titles_ahead = mode != MatchMode::kAuto && mode != MatchMode::kBody;
    auto prefetch = [&](size_t i, bool sketch) {
      for (const FieldRule* f : {&body, &title}) {
        if (f->sketches == nullptr || (f == &title && !titles_ahead)) continue;
        for (uint32_t s : {candidates[i].a, candidates[i].b}) {
          if (sketch) {
            f->sketches->PrefetchSketch(s);
          } else {
            f->sketches->PrefetchRow(s);
            if (f == &body && s < body.shingle_counts.size()) {
              __builtin_prefetch(body.shingle_counts.data() + s);
            }
          }
        }
      }
    };
    tbb::parallel_for(tbb::blocked_range<size_t>(0, candidates.size(), 4096),
                      [&](const tbb::blocked_range<size_t>& r) {
      for (size_t i = r.begin(); i != r.end(); ++i) {
        if (i + kAhead < r.end()) prefetch(i + kAhead, false);
        if (i + kAhead / 2 < r.end()) prefetch(i + kAhead / 2, true);
        const CandidatePair& p = candidates[i];
        // Scored once, decided at both margins.
        PairScores scores = ScorePair(p.a, p.b, mode, title, body, min_body);
        PairVerdict strict = DecideScores(scores, mode, t_min + kVerifyMargin,
                                          b_min + kVerifyMargin, min_body);
        if (strict.passes) {
          if (!scores.title_needed && mode != MatchMode::kBody) {
            // The body decided alone; the title is still reported with the edge.
            scores.title = ScoreTitle(p.a, p.b, title);
            strict = DecideScores(scores, mode, t_min + kVerifyMargin, b_min + kVerifyMargin,
                                  min_body);
          }
          verdicts[i] = strict;
          sure[i] = 1;
          continue;
        }
        // Containment from the sketches uses shingle positions as the set sizes, so repeated
        // text makes it too low: a low estimate rejects nothing, only the exact sets do.
        if (options_.similarity == SimilarityMeasure::kContainment) continue;
        // A rejected pair's verdict is never shown, so its title may stay unscored.
        const PairVerdict loose = DecideScores(scores, mode, t_min - kVerifyMargin,
                                               b_min - kVerifyMargin, min_body);
        if (!loose.passes) {
          verdicts[i] = loose;
          sure[i] = 1;
        }
      }
    });
  }
  std::vector<CandidatePair> unsure;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!sure[i]) unsure.push_back(candidates[i]);
  }
  result_.counts.exact_checks = unsure.size();
  auto exact = ScoreExactly(unsure);
  if (!exact.ok()) return exact.status();
  for (size_t i = 0, k = 0; i < candidates.size(); ++i) {
    if (!sure[i]) verdicts[i] = (*exact)[k++];
  }
  std::vector<Edge> edges;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const PairVerdict& v = verdicts[i];
    if (!v.passes) continue;
    edges.push_back({candidates[i].a, candidates[i].b, v.similarity, v.title_similarity,
                     v.body_similarity, static_cast<uint8_t>(v.reason),
                     static_cast<uint8_t>(sure[i] ? 0 : 1)});
  }
  exact_sets_.reset();
  return edges;
}

}  // namespace neardup::internal
