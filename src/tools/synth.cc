// `neardup synth` (synth.h): windows planned into clusters, chains and variant clusters, each
// document made from (seed, index) and its window's plan, in parallel batches written in order.
// The text, the edits and the variant clusters are in synth_text.cc, synth_edit.cc and
// synth_variants.cc (tools/synth_internal.h).
#include "neardup/tools/synth.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/status_macros.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_pipeline.h"
#include "oneapi/tbb/task_arena.h"
#include "tools/synth_internal.h"

namespace neardup {
namespace synth_internal {
namespace {

// True if any byte of `w` is below 0x20, '"' or '\\' (SWAR "has a byte less than n" and "has a
// zero byte" tests; a false hit needs a borrow, and a borrow starts only at a matching byte).
inline bool NeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t t = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                     ((backslash - kOnes) & ~backslash);
  return (t & kHigh) != 0;
}

}  // namespace

// Appends `s` (valid UTF-8) escaped for a JSON string, without quotes. Clean 8-byte words are
// skipped at once; most text has nothing to escape but its line breaks.
void AppendEscaped(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* const data = s.data();
  const size_t n = s.size();
  size_t run = 0, i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      if (!NeedsEscape(w)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out->append(data + run, i - run);
    run = ++i;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(data + run, n - run);
}

void AppendId(const Setup& setup, uint64_t index, std::string* out) {
  out->append(setup.id_prefix);
  AppendNumber(out, index);
}

void AppendLine(const Setup& setup, uint64_t index, std::string_view title, std::string_view body,
                uint64_t cluster, const uint64_t* chain, std::string_view edit, std::string* out) {
  const SynthOptions& o = *setup.options;
  out->append("{\"id\":\"");
  AppendId(setup, index, out);
  if (o.write_title) {
    out->append("\",\"title\":\"");
    AppendEscaped(out, title);
  }
  out->append("\",\"text\":\"");
  AppendEscaped(out, body);
  out->append("\",\"cluster\":\"");
  AppendId(setup, cluster, out);
  if (chain != nullptr) {
    out->append("\",\"chain\":\"");
    AppendId(setup, *chain, out);
  }
  if (o.write_edit) {
    out->append("\",\"edit\":\"");
    out->append(edit);
  }
  out->append("\"}\n");
}

}  // namespace synth_internal

namespace {

using namespace synth_internal;  // NOLINT: this file is the generator's driver

// ---------------------------------------------------------------------------------------------
// Planning: which documents of a window form clusters.

std::shared_ptr<WindowPlan> PlanWindow(const Setup& setup, uint64_t window) {
  const SynthOptions& o = *setup.options;
  auto plan = std::make_shared<WindowPlan>();
  plan->first = window * o.cluster_window;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(o.cluster_window, o.documents - plan->first));
  Rng rng(o.seed, kStreamPlan, window);
  const double want = o.dup_fraction * n;
  uint64_t target = static_cast<uint64_t>(std::floor(want));
  if (rng.Chance(Threshold(want - std::floor(want)))) ++target;
  target = std::min<uint64_t>(target, n);

  std::vector<uint32_t> sizes;
  for (uint64_t assigned = 0; assigned < target;) {
    const uint64_t u = rng.Next();
    const size_t i = std::upper_bound(setup.size_cdf.begin(), setup.size_cdf.end() - 1, u) -
                     setup.size_cdf.begin();
    const uint64_t size = std::min<uint64_t>(2 + i, target - assigned);
    if (size < 2) break;
    sizes.push_back(static_cast<uint32_t>(size));
    assigned += size;
  }
  std::vector<uint32_t> perm(n);
  for (uint32_t i = 0; i < n; ++i) perm[i] = i;
  for (uint32_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.Below(i)]);

  plan->original.resize(n);
  plan->role.assign(n, 0);
  for (uint32_t i = 0; i < n; ++i) plan->original[i] = i;
  size_t next = 0;
  for (uint32_t size : sizes) {
    auto begin = perm.begin() + static_cast<std::ptrdiff_t>(next);
    std::sort(begin, begin + size);
    for (uint32_t k = 0; k < size; ++k) {
      plan->original[begin[k]] = *begin;
      plan->role[begin[k]] = 1 + k;
    }
    next += size;
    ++plan->clusters;
    plan->clustered += size;
  }
  // Chains: from the singletons left, in the permutation's (random) order, each chain's links in
  // output order. No randomness is drawn, so corpora without chains are unchanged.
  if (o.chains > 0) {
    const uint64_t want = o.chains * (window + 1) / setup.windows - o.chains * window / setup.windows;
    const uint32_t len = o.chain_length;
    const uint64_t fit = (n - next) / len;
    const uint64_t count = std::min(want, fit);
    plan->chain_step.assign(n, 0);
    plan->chain_of.assign(n, 0);
    plan->chain_members.assign(perm.begin() + static_cast<std::ptrdiff_t>(next),
                               perm.begin() + static_cast<std::ptrdiff_t>(next + count * len));
    for (uint64_t c = 0; c < count; ++c) {
      auto begin = plan->chain_members.begin() + static_cast<std::ptrdiff_t>(c * len);
      std::sort(begin, begin + len);
      for (uint32_t k = 0; k < len; ++k) {
        plan->chain_step[begin[k]] = 1 + k;
        plan->chain_of[begin[k]] = static_cast<uint32_t>(c);
      }
    }
    plan->chains = count;
    next += count * len;
  }
  if (o.variants > 0) PlanVariants(setup, window, perm, next, plan.get());
  return plan;
}

void MakeOriginal(const Setup& setup, uint64_t index, Scratch& s) {
  const SynthOptions& o = *setup.options;
  Rng rng(o.seed, kStreamText, index);
  const uint64_t target =
      std::max<uint64_t>(1, o.doc_bytes - setup.jitter_bytes + rng.Below(2 * setup.jitter_bytes + 1));
  if (setup.base != nullptr) {
    if (o.write_title) BaseTitle(*setup.base, rng, &s.title);
    BaseBody(*setup.base, rng, target, &s.body);
  } else {
    const bool korean = rng.Chance(setup.korean_threshold);
    if (o.write_title) PseudoTitle(*setup.lang, rng, korean, &s.title);
    PseudoBody(*setup.lang, rng, korean, target, &s.body);
  }
  if (!o.write_title) s.title.clear();
}

// Exact char:5 Jaccard of two bodies after default normalization (what `cluster` estimates).
double BodyJaccard(const Setup& setup, const std::string& a, const std::string& b, Scratch& s) {
  setup.normalizer.Normalize(a, TextField::kBody, &s.normalized);
  const std::vector<uint64_t> x = ShingleSet(s.normalized, ShingleSpec{});
  setup.normalizer.Normalize(b, TextField::kBody, &s.normalized);
  return ExactJaccard(x, ShingleSet(s.normalized, ShingleSpec{}));
}

// Appends chain link `step` (0 = the head) of chain `chain` of `plan` as one JSONL line: the head
// is made, then every step's edits are replayed on the link before it.
void AppendChainLink(const Setup& setup, const WindowPlan& plan, uint32_t chain, uint32_t step,
                     Scratch& s, std::string* out) {
  const SynthOptions& o = *setup.options;
  const uint32_t* members = plan.chain_members.data() + static_cast<size_t>(chain) * o.chain_length;
  const uint64_t head = plan.first + members[0];
  const uint64_t index = plan.first + members[step];
  MakeOriginal(setup, head, s);
  bool near_head = true;
  if (step > 0) {
    s.head_body = s.body;
    for (uint32_t k = 1; k <= step; ++k) {
      Rng rng(o.seed, kStreamChainEdit, plan.first + members[k]);
      ApplyEdits(setup.chain_edit, o.write_title, rng, s);
      s.title.swap(s.edited_title);
      s.body.swap(s.edited_body);
    }
    const double jaccard = BodyJaccard(setup, s.head_body, s.body, s);
    near_head = jaccard >= o.chain_threshold;
    s.chain_links_near_head += near_head;
    std::string edit = absl::StrFormat("chain_link=%d head_jaccard=%.3f ", step, jaccard);
    edit.append(s.edit);
    s.edit.swap(edit);
  } else {
    s.edit = absl::StrCat("chain_head length=", o.chain_length);
  }
  AppendLine(setup, index, s.title, s.body, near_head ? head : index, &head, s.edit, out);
}

// Appends document `p` of `plan` as one JSONL line.
void AppendDocument(const Setup& setup, const WindowPlan& plan, uint32_t p, Scratch& s,
                    std::string* out) {
  const SynthOptions& o = *setup.options;
  if (!plan.chain_step.empty() && plan.chain_step[p] != 0) {
    AppendChainLink(setup, plan, plan.chain_of[p], plan.chain_step[p] - 1, s, out);
    return;
  }
  if (!plan.variant.empty() && plan.variant[p] != 0) {
    AppendVariant(setup, plan, p, s, out);
    return;
  }
  const uint64_t index = plan.first + p;
  const uint64_t original = plan.first + plan.original[p];
  const uint32_t role = plan.role[p];
  MakeOriginal(setup, original, s);
  const std::string* title = &s.title;
  const std::string* body = &s.body;
  if (role >= 2) {
    Rng rng(o.seed, kStreamEdit, index);
    ApplyEdits(setup.edit, o.write_title, rng, s);
    title = &s.edited_title;
    body = &s.edited_body;
  }
  AppendLine(setup, index, *title, *body, original, nullptr,
             role == 0 ? std::string_view("singleton")
                       : role == 1 ? std::string_view("original") : std::string_view(s.edit),
             out);
}

struct Batch {
  uint64_t begin = 0, end = 0;  // global indices
  std::shared_ptr<const WindowPlan> plan;
  std::string out;
};

// Fills in what `setup` derives from the options: the edit settings, the window count, the
// cluster-size distribution and the thresholds. setup->options and setup->lang are set.
void InitSetup(const SynthOptions& options, Setup* setup) {
  setup->edit.lang = setup->lang;
  setup->edit.edits = options.edits;
  for (uint32_t kind : {kEditCharInsert, kEditCharDelete, kEditCharSubstitute, kEditWordInsert,
                        kEditWordDelete, kEditWordSubstitute}) {
    if (options.edits & kind) setup->edit.word_kinds[setup->edit.num_word_kinds++] = kind;
  }
  setup->edit.rate_min_ppm = static_cast<uint64_t>(std::llround(options.edit_rate_min * 1e6));
  setup->edit.rate_max_ppm = std::max(setup->edit.rate_min_ppm,
                                     static_cast<uint64_t>(std::llround(options.edit_rate_max * 1e6)));
  setup->chain_edit = setup->edit;
  setup->chain_edit.rate_min_ppm =
      static_cast<uint64_t>(std::llround(options.chain_edit_rate_min * 1e6));
  setup->chain_edit.rate_max_ppm = std::max(
      setup->chain_edit.rate_min_ppm,
      static_cast<uint64_t>(std::llround(options.chain_edit_rate_max * 1e6)));
  setup->windows = std::max<uint64_t>(
      1, (options.documents + options.cluster_window - 1) / options.cluster_window);
  {
    std::vector<double> weights;
    double total = 0;
    const uint32_t max_size = std::min(options.max_cluster_size, options.cluster_window);
    for (uint32_t s = 2; s <= max_size; ++s) {
      weights.push_back(std::pow(static_cast<double>(s), -options.cluster_size_exponent));
      total += weights.back();
    }
    double acc = 0;
    for (double w : weights) {
      acc += w;
      setup->size_cdf.push_back(Threshold(acc / total));
    }
    setup->size_cdf.back() = ~0ULL;
  }
  setup->korean_threshold = Threshold(options.korean_share);
  setup->jitter_bytes = static_cast<uint64_t>(
      std::floor(static_cast<double>(options.doc_bytes) * options.doc_bytes_jitter));
  AppendEscaped(&setup->id_prefix, options.id_prefix);
}

absl::StatusOr<SynthStats> Generate(const SynthOptions& options, const SynthWriter& write) {
  RETURN_IF_ERROR(options.Validate());
  SynthStats stats;
  Setup setup;
  setup.options = &options;
  setup.lang = &GetLanguage();
  BasePool base;
  if (!options.base_files.empty()) {
    ASSIGN_OR_RETURN(base, ReadBase(options));
    setup.base = &base;
    stats.base_records = base.records;
    stats.base_bytes = base.body.size() + base.title.size();
  }
  InitSetup(options, &setup);

  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
  const int concurrency = arena.max_concurrency();
  // Batches are recycled so their buffers keep their capacity.
  std::mutex free_mu;
  std::vector<Batch*> free_batches;
  std::deque<Batch> all_batches;
  tbb::enumerable_thread_specific<Scratch> scratch;

  uint64_t next = 0;
  uint64_t planned_window = ~0ULL;
  std::shared_ptr<WindowPlan> plan;
  absl::Status status;
  std::atomic<bool> failed{false};

  arena.execute([&] {
    tbb::parallel_pipeline(
        static_cast<size_t>(2 * concurrency),
        tbb::make_filter<void, Batch*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> Batch* {
              if (next >= options.documents || failed.load(std::memory_order_relaxed)) {
                fc.stop();
                return nullptr;
              }
              const uint64_t window = next / options.cluster_window;
              if (window != planned_window) {
                plan = PlanWindow(setup, window);
                planned_window = window;
                stats.clusters += plan->clusters;
                stats.clustered_documents += plan->clustered;
                stats.chains += plan->chains;
                stats.chained_documents += plan->chains * options.chain_length;
                stats.variant_clusters += plan->variant_clusters;
                stats.variant_documents += plan->variant_documents;
              }
              Batch* batch;
              {
                std::lock_guard<std::mutex> lock(free_mu);
                if (free_batches.empty()) {
                  batch = &all_batches.emplace_back();
                } else {
                  batch = free_batches.back();
                  free_batches.pop_back();
                }
              }
              batch->begin = next;
              batch->end = std::min({next + options.batch_documents, options.documents,
                                     plan->first + plan->original.size()});
              batch->plan = plan;
              next = batch->end;
              return batch;
            }) &
            tbb::make_filter<Batch*, Batch*>(
                tbb::filter_mode::parallel,
                [&](Batch* batch) {
                  Scratch& s = scratch.local();
                  batch->out.clear();
                  if (failed.load(std::memory_order_relaxed)) return batch;
                  const WindowPlan& p = *batch->plan;
                  for (uint64_t i = batch->begin; i < batch->end; ++i) {
                    AppendDocument(setup, p, static_cast<uint32_t>(i - p.first), s, &batch->out);
                  }
                  return batch;
                }) &
            tbb::make_filter<Batch*, void>(
                tbb::filter_mode::serial_in_order, [&](Batch* batch) {
                  if (status.ok()) {
                    status = write(batch->out);
                    if (status.ok()) {
                      stats.documents += batch->end - batch->begin;
                      stats.bytes += batch->out.size();
                    } else {
                      failed.store(true, std::memory_order_relaxed);
                    }
                  }
                  batch->plan.reset();
                  std::lock_guard<std::mutex> lock(free_mu);
                  free_batches.push_back(batch);
                }));
  });
  if (!status.ok()) return status;
  for (const Scratch& s : scratch) stats.chain_links_near_head += s.chain_links_near_head;
  return stats;
}

}  // namespace

absl::StatusOr<uint32_t> ParseSynthEdits(std::string_view list) {
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"char_insert", kEditCharInsert},     {"char_delete", kEditCharDelete},
      {"char_substitute", kEditCharSubstitute}, {"word_insert", kEditWordInsert},
      {"word_delete", kEditWordDelete},     {"word_substitute", kEditWordSubstitute},
      {"headline_tag", kEditHeadlineTag},   {"truncate", kEditTruncate},
      {"quotes", kEditQuotes},              {"spacing", kEditSpacing},
      {"all", kEditAll},                    {"none", 0}};
  uint32_t edits = 0;
  for (absl::string_view item : absl::StrSplit(absl::string_view(list.data(), list.size()), ',')) {
    const std::string_view name(item.data(), item.size());
    const auto* it = std::find_if(std::begin(kNames), std::end(kNames),
                                  [&](const auto& kv) { return kv.first == name; });
    if (it == std::end(kNames)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--edits: unknown edit \"", item, "\" (known: ", SynthEditNames(kEditAll),
          ", all, none)"));
    }
    edits |= it->second;
  }
  return edits;
}

std::string SynthEditNames(uint32_t edits) {
  static constexpr const char* kNames[] = {"char_insert", "char_delete",   "char_substitute",
                                           "word_insert", "word_delete",   "word_substitute",
                                           "headline_tag", "truncate",     "quotes",
                                           "spacing"};
  std::string out;
  for (int i = 0; i < 10; ++i) {
    if (!(edits & (1u << i))) continue;
    if (!out.empty()) out.push_back(',');
    out.append(kNames[i]);
  }
  return out;
}

absl::Status SynthOptions::Validate() const {
  auto in = [](double x, double lo, double hi) { return x >= lo && x <= hi; };  // false for NaN
  if (documents > (1ull << 40)) return absl::InvalidArgumentError("--documents must be at most 2^40");
  if (doc_bytes < 16 || doc_bytes > (16ull << 20)) {
    return absl::InvalidArgumentError("--doc-bytes must be from 16 to 16777216");
  }
  if (!in(doc_bytes_jitter, 0, 0.9)) {
    return absl::InvalidArgumentError("--doc-bytes-jitter must be from 0 to 0.9");
  }
  if (max_base_bytes < kMinBaseBytes) {
    return absl::InvalidArgumentError("--max-base-bytes must be at least 4096");
  }
  if (base_fields.text.empty()) return absl::InvalidArgumentError("--base-text-field is empty");
  if (!in(korean_share, 0, 1)) return absl::InvalidArgumentError("--korean-share must be from 0 to 1");
  if (!in(dup_fraction, 0, 1)) return absl::InvalidArgumentError("--dup-fraction must be from 0 to 1");
  if (cluster_window < 2 || cluster_window > (1u << 24)) {
    return absl::InvalidArgumentError("--cluster-window must be from 2 to 16777216");
  }
  if (max_cluster_size < 2 || max_cluster_size > (1u << 24)) {
    return absl::InvalidArgumentError("--max-cluster-size must be from 2 to 16777216");
  }
  if (!in(cluster_size_exponent, 0, 10)) {
    return absl::InvalidArgumentError("--cluster-size-exponent must be from 0 to 10");
  }
  if (!in(edit_rate_min, 0, 1) || !in(edit_rate_max, edit_rate_min, 1)) {
    return absl::InvalidArgumentError("--edit-rate must be MIN:MAX with 0 <= MIN <= MAX <= 1");
  }
  if (chain_length < 2 || chain_length > 1000) {
    return absl::InvalidArgumentError("--chain-length must be from 2 to 1000");
  }
  if (chains > documents / chain_length) {
    return absl::InvalidArgumentError(
        "--chains: that many chains of --chain-length documents do not fit in --documents");
  }
  if (!in(chain_edit_rate_min, 0, 1) || !in(chain_edit_rate_max, chain_edit_rate_min, 1)) {
    return absl::InvalidArgumentError(
        "--chain-edit-rate must be MIN:MAX with 0 <= MIN <= MAX <= 1");
  }
  if (!(chain_threshold > 0 && chain_threshold <= 1)) {
    return absl::InvalidArgumentError("--chain-threshold must be in (0, 1]");
  }
  if (variant_size_min < 2 || variant_size_max < variant_size_min ||
      variant_size_max > (1u << 20)) {
    return absl::InvalidArgumentError(
        "--variant-size must be MIN:MAX with 2 <= MIN <= MAX <= 2^20");
  }
  if (variants > 0 && variant_size_max > cluster_window) {
    return absl::InvalidArgumentError("--variant-size: MAX must be at most --cluster-window");
  }
  if (variants > documents / variant_size_min) {
    return absl::InvalidArgumentError(
        "--variants: that many clusters of --variant-size documents do not fit in --documents");
  }
  if ((edits & ~static_cast<uint32_t>(kEditAll)) != 0) {
    return absl::InvalidArgumentError("--edits: unknown edit flags");
  }
  if (threads < 0) return absl::InvalidArgumentError("--threads must be >= 0");
  if (batch_documents < 1) return absl::InvalidArgumentError("batch_documents must be >= 1");
  return absl::OkStatus();
}

absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, const SynthWriter& write) {
  return Generate(options, write);
}

absl::StatusOr<SynthStats> GenerateCorpus(const SynthOptions& options, std::ostream& out) {
  return Generate(options, [&out](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return out ? absl::OkStatus() : absl::InternalError("synth: writing the output failed");
  });
}

}  // namespace neardup
