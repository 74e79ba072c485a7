// `neardup plan`: the flags of `cluster` and a corpus size (given, or sampled from the inputs by
// SamplePlanCorpus), then MakePlan's models (tools/plan.h), printed. Hashes nothing.
#include "cli/plan_command.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/run_flags.h"
#include "neardup/candidates/lsh.h"
#include "neardup/cluster/cluster.h"
#include "neardup/cluster/match.h"
#include "neardup/sketch/engine.h"
#include "neardup/sketch/minhash.h"
#include "neardup/sketch/simhash.h"
#include "neardup/tools/plan.h"

namespace neardup::cli {
namespace {

struct PlanFlags {
  RunFlags run;
  uint64_t documents = 0;
  std::string bytes;
  double speed_mb = 0;
  std::string sample_bytes = "1M";
};

std::string Bytes(double b) {
  if (b >= 1e9) return absl::StrFormat("%.2f GB", b / 1e9);
  if (b >= 1e6) return absl::StrFormat("%.1f MB", b / 1e6);
  if (b >= 1e3) return absl::StrFormat("%.1f kB", b / 1e3);
  return absl::StrFormat("%.0f B", b);
}

std::string Count(double x) {
  std::string digits = absl::StrFormat("%.0f", x);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Seconds(double s) {
  if (s < 60) return absl::StrFormat("%.1f s", s);
  if (s < 3600) return absl::StrFormat("%.1f min", s / 60);
  return absl::StrFormat("%.1f h", s / 3600);
}

// "FILE: 10.8 MB on disk; sampled the first 506 records (...) -> about 5,216 documents".
std::string InputNote(const PlanInputFacts& f) {
  return absl::StrFormat(
      "%s: %s on disk%s; %s %s records (%s sampled, %.0f bytes a record%s) -> %s documents",
      f.path, Bytes(static_cast<double>(f.disk_bytes)),
      f.compressed ? ", compressed (the count is rough: pass --documents)" : "",
      f.whole ? "read all" : "sampled the first", Count(static_cast<double>(f.records)),
      Bytes(static_cast<double>(f.sampled_bytes)),
      f.records > 0 ? static_cast<double>(f.sampled_bytes) / static_cast<double>(f.records) : 0.0,
      f.bad > 0 ? absl::StrCat(", ", f.bad, " bad") : "",
      f.whole ? Count(f.documents) : absl::StrCat("about ", Count(f.documents)));
}

void PrintCorpus(const RunPlan& plan) {
  const PlanCorpus& c = plan.corpus;
  std::cout << "\nCorpus\n";
  for (const PlanInputFacts& f : c.inputs) std::cout << "  " << InputNote(f) << "\n";
  if (c.inputs.empty()) {
    std::cout << "  no INPUT: every document is assumed to have a title and a body\n";
  }
  std::cout << absl::StrFormat(
      "  documents %s%s, %s (%.0f bytes a document); titles in %.0f%%, bodies in %.0f%%\n",
      c.estimated && plan.request.documents == 0 ? "about " : "", Count(c.documents),
      Bytes(c.bytes), c.documents > 0 ? c.bytes / c.documents : 0.0, 100 * c.title_share,
      100 * c.body_share);
}

void PrintSCurve(const PipelineOptions& o, const RunPlan& plan) {
  std::cout << "\nS-curve: probability that a pair of Jaccard similarity s becomes a candidate, "
               "1-(1-s^rows)^bands, times (1-s^(rows-1))^short_bands with short bands\n";
  std::cout << "  s    ";
  for (const char* name : {"body", "title"}) std::cout << absl::StrFormat("  %-10s", name);
  std::cout << "\n";
  for (const PlanSCurvePoint& point : plan.s_curve) {
    const double s = point.similarity;
    std::string line = absl::StrFormat("  %.2f ", s);
    std::string mark;
    const std::pair<const char*, std::pair<double, double>> fields[] = {
        {"body", {point.body, o.threshold}}, {"title", {point.title, o.title_threshold}}};
    for (const auto& [name, field] : fields) {
      line += absl::StrFormat("  %-10.6f", field.first);
      if (std::fabs(field.second - s) < 1e-9) {
        mark += absl::StrCat(mark.empty() ? "  <- " : ", ", name, " threshold");
      }
    }
    std::cout << line << mark << "\n";
  }
}

void PrintCandidates(const PipelineOptions& o, const RunPlan& plan) {
  std::cout << "\nCandidates\n";
  const double title_t = o.title_threshold, body_t = o.threshold;
  const LshParams& body = plan.body_lsh;
  const LshParams& title = plan.title_lsh;
  const CandidateSearch search = SketchEngine::Get(o.algo).candidate_search();
  if (search == CandidateSearch::kLshBands) {
    std::cout << absl::StrFormat(
        "  body:  threshold %.2f, %s, %s (%d of %d permutations)%s\n", body_t,
        o.shingle.ToString(), DescribeBanding(body), body.entries(), o.num_perm,
        o.lsh ? ", as given" : "");
    std::cout << absl::StrFormat(
        "  title: threshold %.2f, %s, %s (%d of %d permutations)%s\n", title_t,
        o.title_shingle.ToString(), DescribeBanding(title), title.entries(), o.num_perm,
        o.title_lsh ? ", as given" : "");
    std::cout << absl::StrFormat(
        "  chosen so that a pair at the threshold is a candidate with probability >= %.2f "
        "(fewest false candidates: candidates are verified); buckets above %d members are "
        "capped\n",
        kLshMinRecall, o.max_bucket);
    PrintSCurve(o, plan);
  } else if (search == CandidateSearch::kHammingTables) {
    const SimHashTableLayout& layout = plan.simhash_layout;
    std::cout << absl::StrFormat(
        "  simhash: pairs within %d of 64 bits (similarity >= %.3f), %d blocks, %d tables of "
        ">= %d-bit keys; every such pair is found (no S-curve)\n",
        o.max_hamming, 1 - o.max_hamming / 64.0, layout.num_blocks, layout.num_tables(),
        layout.min_key_bits());
  } else {
    std::cout << absl::StrFormat(
        "  exact: prefix-filtered all-pairs join; every pair at or above the threshold (body "
        "%.2f, title %.2f) is found (no S-curve); join memory limit %s\n",
        body_t, title_t, Bytes(static_cast<double>(o.memory_limit)));
  }
}

struct MemoryLine {
  std::string what;
  double bytes;
};

void PrintMemory(const PipelineOptions& o, const RunPlan& plan) {
  const PlanMemory& m = plan.memory;
  const double documents = plan.corpus.documents;
  const CandidateSearch search = SketchEngine::Get(o.algo).candidate_search();
  const std::vector<MemoryLine> read = {
      {"per-document state (ids, lengths, slots, rows)", m.per_document},
      {"exact-duplicate and repeated-id maps", m.maps},
      {"title sketches", m.title_sketches},
      {"body sketches", m.body_sketches},
      {absl::StrFormat("batches in flight (%d x %s x %.0f)", m.batches_in_flight,
                       Bytes(static_cast<double>(o.batch_bytes)), kPlanBatchFactor),
       m.batches},
      {"baseline (binary, oneTBB, tables)", m.baseline}};
  const std::vector<MemoryLine> candidates = {
      {"per-document state", m.per_document},
      {"title and body sketches", m.title_sketches + m.body_sketches},
      {search == CandidateSearch::kAllPairsJoin ? std::string("all-pairs join (40 bytes a shingle)")
       : search == CandidateSearch::kLshBands
           ? absl::StrFormat("buckets being sorted (%d band%s at once)", plan.bands_at_once,
                             plan.bands_at_once == 1 ? "" : "s")
           : std::string("buckets being sorted (one table at a time)"),
       m.buckets},
      {absl::StrFormat("candidate pairs (%.0f a document assumed, 16 bytes)",
                       kPlanCandidatesPerDocument),
       m.candidate_pairs},
      {"baseline", m.baseline}};
  std::cout << "\nMemory (a model of the run's arrays; the peak is the larger stage)\n";
  auto stage = [&](const char* name, const std::vector<MemoryLine>& lines, double total) {
    std::cout << absl::StrFormat("  %s: %s (%.0f bytes a document)\n", name, Bytes(total),
                                 documents > 0 ? total / documents : 0.0);
    for (const MemoryLine& l : lines) {
      if (l.bytes > 0) std::cout << absl::StrFormat("    %-58s %10s\n", l.what, Bytes(l.bytes));
    }
  };
  stage("reading and signing", read, m.reading_total);
  stage("finding candidates", candidates, m.candidates_total);
  std::cout << absl::StrFormat("  expected peak: %s (%.0f bytes a document)\n", Bytes(m.peak),
                               documents > 0 ? m.peak / documents : 0.0);
  if (plan.join_over_limit) {
    std::cout << absl::StrFormat(
        "  warning: the join needs about %s, more than --memory-limit %s: the run would refuse\n",
        Bytes(m.buckets), Bytes(static_cast<double>(o.memory_limit)));
  }
}

void PrintDisk(const PipelineOptions& o, const RunPlan& plan) {
  const PlanCorpus& c = plan.corpus;
  const double cluster_file = plan.cluster_file_bytes;
  std::cout << "\nDisk\n";
  std::cout << absl::StrFormat("  inputs: %s on disk, %s as read\n", Bytes(c.disk_bytes),
                               Bytes(c.bytes));
  std::cout << absl::StrFormat("  cluster -o: about %s (%.0f bytes a document)\n",
                               Bytes(cluster_file), c.documents > 0 ? cluster_file / c.documents : 0);
  std::cout << absl::StrFormat(
      "  dedup -o and --dropped: %s together (every record is kept or dropped, as read); "
      "--dropped-map at most %s\n",
      Bytes(c.bytes), Bytes(cluster_file));
  if (plan.spills) {
    std::cout << absl::StrFormat(
        "  band keys: %s a band, more than --memory-limit %s: sorted in runs of 12-byte records "
        "on disk (--temp-dir, else $TMPDIR), one band at a time, about %s\n",
        Bytes(plan.band_bytes), Bytes(static_cast<double>(o.memory_limit)),
        Bytes(plan.spill_bytes));
  }
  std::cout << "  outputs are written beside their targets and renamed: no other temporary "
               "space, except standard input, pipes and FIFOs, copied to $TMPDIR whole "
               "(a run reads its inputs more than once), and band keys beyond --memory-limit\n";
}

void PrintTime(const RunPlan& plan) {
  const PlanCorpus& c = plan.corpus;
  const double seconds = plan.seconds;
  std::cout << "\nTime\n";
  if (plan.seconds_from_speed) {
    std::cout << absl::StrFormat("  at --speed %.1f MB/s: %s\n", plan.request.speed_mb,
                                 Seconds(seconds));
    return;
  }
  std::cout << absl::StrFormat(
      "  about %s at %d thread%s (%s documents/s, %.1f MB/s)\n", Seconds(seconds), plan.threads,
      plan.threads == 1 ? "" : "s", Count(seconds > 0 ? c.documents / seconds : 0),
      seconds > 0 ? c.bytes / 1e6 / seconds : 0.0);
  std::cout << absl::StrFormat(
      "  model: %.1f us a document + %.1f ns a byte per thread, %.3g efficiency per added "
      "thread, measured for minhash on a shared 2-core machine; --speed MB/s for your own\n",
      kPlanMicrosPerDocument, kPlanNanosPerByte, kPlanThreadEfficiency);
}

int Run(PlanFlags& flags) {
  PipelineOptions& o = flags.run.options;
  // `cluster` needs an input; plan can do without. A placeholder passes the shared checks.
  const bool no_inputs = o.inputs.empty();
  if (no_inputs) o.inputs = {"-"};
  absl::Status s = flags.run.Finalize();
  if (no_inputs) o.inputs.clear();
  auto sample_budget = ParseByteSize(flags.sample_bytes, "--sample-bytes");
  if (s.ok() && !sample_budget.ok()) s = sample_budget.status();
  PlanRequest request;
  request.documents = flags.documents;
  request.speed_mb = flags.speed_mb;
  if (s.ok() && !flags.bytes.empty()) {
    auto b = ParseByteSize(flags.bytes, "--bytes");
    if (b.ok()) request.bytes = static_cast<double>(*b);
    else s = b.status();
  }
  if (s.ok() && no_inputs && flags.documents == 0 && request.bytes == 0) {
    s = absl::InvalidArgumentError("plan: give INPUT files, --documents or --bytes");
  }
  if (s.ok() && flags.speed_mb < 0) s = absl::InvalidArgumentError("--speed must be > 0");
  if (!s.ok()) {
    PrintError(s);
    return kExitUsage;
  }

  PlanCorpus corpus;
  if (!no_inputs) {
    auto measured = SamplePlanCorpus(o, *sample_budget);
    if (!measured.ok()) {
      PrintError(measured.status());
      return measured.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage
                                                                            : kExitFailed;
    }
    corpus = *std::move(measured);
  }
  const RunPlan plan = MakePlan(o, corpus, request);
  std::cout << absl::StrFormat("neardup plan: --algo %s, --match %s, --cluster %s, %d thread%s\n",
                               AlgorithmName(o.algo), MatchModeName(o.match),
                               ClusterModeName(o.cluster), plan.threads,
                               plan.threads == 1 ? "" : "s");
  PrintCorpus(plan);
  PrintCandidates(o, plan);
  PrintMemory(o, plan);
  PrintDisk(o, plan);
  PrintTime(plan);
  return kExitOk;
}

}  // namespace

CLI::App* AddPlanCommand(CLI::App* app, std::function<int()>* run) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app->add_subcommand(
      "plan",
      "Before any hashing: the LSH bands and rows, the S-curve, and the memory, disk and time a "
      "cluster run with the same flags should take");
  flags->run.Add(cmd);
  cmd->get_option("inputs")->required(false)->description(
      "Input files to size (optional): each file's size on disk and its first --sample-bytes "
      "of records give the document count and shape; nothing else is read");
  cmd->add_option("--documents,-n", flags->documents,
                  "Documents in the corpus (overrides the estimate from INPUT)");
  cmd->add_option("--bytes", flags->bytes,
                  "Corpus bytes as read, e.g. 2G (overrides the estimate from INPUT; default "
                  "without INPUT: 2,000 bytes a document)");
  cmd->add_option("--speed", flags->speed_mb,
                  "Expected throughput in MB/s for this run (default: the measured model below)");
  cmd->add_option("--sample-bytes", flags->sample_bytes,
                  "Bytes of records read from the start of each INPUT")
      ->capture_default_str();
  cmd->footer(absl::StrFormat(
      "Takes every flag of `neardup cluster`, so a cluster command line can be planned by "
      "changing its subcommand. Prints:\n"
      "  Candidates  bands x rows per field (as the run chooses them: a pair %.2f above the "
      "threshold is a candidate with probability >= %.2f), and the S-curve 1-(1-s^rows)^bands "
      "at s = 0.30, 0.35, ..., 0.95\n"
      "  Memory      a model of the arrays the run allocates: per document ids, lengths and "
      "slots (about 40 bytes), two hash maps while reading (25-byte slots, 44-88%% full), "
      "num_perm x %.1f bytes of MinHash per field (8 for simhash, 8 a shingle for exact), %.0f x "
      "the batches in flight, %s of baseline; then the LSH buckets, 16 bytes a document per "
      "band being sorted (resident bytes, as --stats peak_memory_bytes counts them)\n"
      "  Disk        inputs, the cluster file (about %.0f bytes + 2 ids a line), dedup outputs "
      "(the input's size)\n"
      "  Time        %.1f us a document + %.1f ns a byte per thread, %.3g efficiency per thread "
      "(minhash, measured on a shared 2-core machine); or the corpus at --speed MB/s\n"
      "Without INPUT: --documents and/or --bytes, every document with a title and a body.\n",
      kLshRecallMargin, kLshMinRecall, kStoredMinHashBits / 8.0, kPlanBatchFactor,
      Bytes(static_cast<double>(kPlanBaselineBytes)), kPlanClusterLineBytes, kPlanMicrosPerDocument,
      kPlanNanosPerByte, kPlanThreadEfficiency));
  *run = [flags] { return Run(*flags); };
  return cmd;
}

}  // namespace neardup::cli
