#include "cli/tune_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/usage.h"
#include "neardup/pipeline.h"
#include "neardup/tools/tune.h"

namespace neardup::cli {
namespace {

constexpr int kMaxWarnings = 20;

// Prints "neardup: warning: ..." for the first kMaxWarnings messages, then one line saying more
// were suppressed.
class Warnings {
 public:
  explicit Warnings(bool quiet) : quiet_(quiet) {}
  void Add(const std::string& message) {
    if (quiet_) return;
    if (++count_ <= kMaxWarnings) {
      std::cerr << "neardup: warning: " << message << "\n";
    } else if (count_ == kMaxWarnings + 1) {
      std::cerr << "neardup: warning: more records skipped; the count is in the output\n";
    }
  }
  uint64_t count() const { return count_; }

 private:
  bool quiet_;
  uint64_t count_ = 0;
};

constexpr char kPairsHelp[] =
    "Calibrate on labelled pairs (JSONL, one pair a line, e.g. KLUE-STS pairs.jsonl). For every "
    "shingle spec and threshold, a pair is predicted a near-duplicate when the exact Jaccard "
    "similarity of its two normalized shingle sets is >= the threshold; prints precision, recall, "
    "F1 and accuracy over the pairs, recommends the setting with the best F1 (ties: the higher "
    "threshold) and, per shingle, the safe setting (highest recall at precision >= "
    "--min-precision). Exact sets, no sketch: this calibrates what the engines estimate.";

constexpr char kClustersHelp[] =
    "Calibrate on a labelled corpus (e.g. from `neardup synth`, truth field \"cluster\"). For "
    "every shingle spec and threshold the whole pipeline runs with the other options as given "
    "(--algo, --match, --cluster, ...) and its clustering is scored against --truth-field: "
    "pairwise precision, recall, F1 and the adjusted Rand index; recommends the best F1 (ties: "
    "the higher threshold). Each setting costs about one `neardup cluster` run. The swept "
    "field's --shingle/--threshold (see --sweep-field) are replaced by each setting; --stats and "
    "--rejects do not apply.";

}  // namespace

TuneCommand::TuneCommand(CLI::App* app) {
  tune_ = app->add_subcommand(
      "tune", "Sweep shingle size and threshold over labelled data (pairs or clusters); print "
              "P/R/F1 (and ARI) per setting and recommend one");
  tune_->require_subcommand(1);
  tune_->footer(
      "Examples:\n"
      "  neardup tune pairs pairs.jsonl --label-field binary_label --shingles char:2,char:3\n"
      "  neardup tune pairs pairs.jsonl --score-field score --positive-score 4\n"
      "  neardup tune clusters corpus.jsonl --truth-field cluster --algo exact");

  TunePairsFlags& p = pairs_flags_;
  pairs_ = tune_->add_subcommand("pairs", kPairsHelp);
  pairs_->add_option("input", p.input, "JSONL of labelled pairs (.gz/.zst read transparently)")
      ->required();
  pairs_->add_option("--text-a", p.text_a, "Field holding the first text")->capture_default_str();
  pairs_->add_option("--text-b", p.text_b, "Field holding the second text")
      ->capture_default_str();
  auto* label = pairs_->add_option(
      "--label-field", p.label_field,
      "Field holding the label: 0/1 (any non-zero number is positive), true/false, or those as "
      "strings");
  auto* score = pairs_->add_option(
      "--score-field", p.score_field,
      "Field holding a numeric similarity score; positive when >= --positive-score");
  label->excludes(score);
  pairs_->add_option("--positive-score", p.positive_score,
                     "With --score-field: scores at or above this are positive (KLUE-STS: 0-5; "
                     "3 = its binary label, 4 = near-paraphrase)")
      ->capture_default_str();
  pairs_->add_option("--field-kind", p.field_kind,
                     "How to normalize the texts: body (boilerplate removal) or title (headline "
                     "tags removed)")
      ->capture_default_str()
      ->check(OneOf({"body", "title"}));
  pairs_->add_option("--normalize", p.normalize,
                     "Normalization steps, as for `cluster` (default, none, or a comma list)")
      ->capture_default_str();
  pairs_->add_option("--shingles", p.shingles,
                     "Shingle specs to sweep, comma-separated (char:K, char:K+spaces, word:K)")
      ->capture_default_str();
  pairs_->add_option("--thresholds", p.thresholds,
                     "Jaccard thresholds to sweep: LO:HI:STEP (HI included) or a comma list; each "
                     "in (0, 1]")
      ->capture_default_str();
  pairs_->add_option("--min-precision", p.min_precision,
                     "Precision the per-shingle safe setting must reach, in (0, 1]")
      ->capture_default_str();
  pairs_->add_flag("--json", p.json,
                   "Print one JSON object per setting, then one with the recommendation");
  pairs_->add_flag("--quiet,-q", p.quiet, "Print no warnings about skipped records");

  TuneClustersFlags& c = clusters_flags_;
  clusters_ = tune_->add_subcommand("clusters", kClustersHelp);
  c.run.Add(clusters_);
  // The sweep writes no statistics or rejects file: one run per setting.
  for (const char* name : {"--stats", "--rejects"}) {
    if (CLI::Option* o = clusters_->get_option_no_throw(name)) clusters_->remove_option(o);
  }
  clusters_->add_option("--truth-field", c.truth_field,
                        "Field holding each record's true cluster label (a string or number); a "
                        "record without it is its own cluster")
      ->required();
  clusters_->add_option("--shingles", c.shingles, "Shingle specs to sweep, comma-separated")
      ->capture_default_str();
  clusters_->add_option("--thresholds", c.thresholds,
                        "Jaccard thresholds to sweep: LO:HI:STEP (HI included) or a comma list")
      ->capture_default_str();
  clusters_->add_option("--sweep-field", c.sweep_field,
                        "Which field each setting applies to: body (title keeps --title-shingle "
                        "and --title-threshold), title (body keeps --shingle and --threshold), or "
                        "both (same shingle; title threshold = threshold + --title-offset)")
      ->capture_default_str()
      ->check(OneOf({"body", "title", "both"}));
  clusters_->add_option("--title-offset", c.title_offset,
                        "With --sweep-field both: the title threshold is the swept threshold plus "
                        "this, clamped to [0.01, 1] (e.g. -0.3 mirrors the defaults 0.8 / 0.5)")
      ->capture_default_str();
  clusters_->add_option("--min-precision", c.min_precision,
                        "Precision the per-shingle safe setting must reach, in (0, 1]")
      ->capture_default_str();
  clusters_->add_flag("--json", c.json,
                      "Print one JSON object per setting, then one with the recommendation");
}

bool TuneCommand::parsed() const { return tune_->parsed(); }

int TuneCommand::Run() {
  if (pairs_->parsed()) return RunPairs();
  return RunClusters();
}

int TuneCommand::RunPairs() {
  const TunePairsFlags& f = pairs_flags_;
  // Usage errors first, before any reading.
  auto shingles = ParseShingleList(f.shingles);
  auto thresholds = shingles.ok() ? ParseThresholdGrid(f.thresholds) : shingles.status();
  auto steps = thresholds.ok() ? ParseNormalizeSteps(f.normalize) : thresholds.status();
  absl::Status usage = steps.status();
  if (usage.ok() && f.label_field.empty() == f.score_field.empty()) {
    usage = absl::InvalidArgumentError(
        "give one of --label-field (0/1 or true/false) and --score-field (with "
        "--positive-score)");
  }
  if (usage.ok() && !(f.min_precision > 0 && f.min_precision <= 1)) {
    usage = absl::InvalidArgumentError("--min-precision must be in (0, 1]");
  }
  if (usage.ok() && f.input != "-" && access(f.input.c_str(), R_OK) != 0) {
    usage = absl::InvalidArgumentError(
        absl::StrCat("cannot read input ", f.input, ": ", std::strerror(errno)));
  }
  if (!usage.ok()) {
    PrintError(usage);
    return kExitUsage;
  }

  PairInputOptions in;
  in.text_a = f.text_a;
  in.text_b = f.text_b;
  in.label_field = f.label_field;
  in.score_field = f.score_field;
  in.positive_score = f.positive_score;
  Warnings warnings(f.quiet);
  auto pairs = ReadLabelledPairs(f.input, in, [&](const std::string& m) {
    warnings.Add("skipped record: " + m);
  });
  if (!pairs.ok()) {
    PrintError(pairs.status());
    return kExitFailed;
  }
  PairSweepOptions sweep;
  sweep.shingles = *shingles;
  sweep.thresholds = *thresholds;
  sweep.field = f.field_kind == "title" ? TextField::kTitle : TextField::kBody;
  sweep.min_precision = f.min_precision;
  const Normalizer normalizer(*steps);
  auto report = SweepPairs(*pairs, normalizer, sweep);
  if (!report.ok()) {
    PrintError(report.status());
    return kExitFailed;
  }
  report->skipped = warnings.count();
  report->description = absl::StrCat(
      "tune pairs ", f.input, ": ",
      f.label_field.empty()
          ? absl::StrFormat("positive = %s >= %g", f.score_field, f.positive_score)
          : absl::StrCat("positive = ", f.label_field),
      ", normalized as ", f.field_kind, " (", f.normalize, "), exact Jaccard");
  std::cout << (f.json ? FormatTuneJson(*report) : FormatTuneTable(*report));
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

int TuneCommand::RunClusters() {
  TuneClustersFlags& f = clusters_flags_;
  absl::Status usage = f.run.Finalize();
  auto shingles = ParseShingleList(f.shingles);
  if (usage.ok()) usage = shingles.status();
  auto thresholds = ParseThresholdGrid(f.thresholds);
  if (usage.ok()) usage = thresholds.status();
  auto sweep_field = ParseSweepField(f.sweep_field);
  if (usage.ok()) usage = sweep_field.status();
  if (!usage.ok()) {
    PrintError(usage);
    return kExitUsage;
  }
  ClusterSweepOptions options;
  options.pipeline = f.run.options;
  options.truth_field = f.truth_field;
  options.shingles = *shingles;
  options.thresholds = *thresholds;
  options.sweep = *sweep_field;
  options.title_offset = f.title_offset;
  options.min_precision = f.min_precision;
  usage = options.Validate();
  if (!usage.ok()) {
    PrintError(usage);
    return kExitUsage;
  }

  Warnings warnings(f.run.quiet);
  RunCallbacks callbacks;
  callbacks.on_bad_record = [&](const BadRecord& bad) {
    warnings.Add("skipped record: " + bad.message);
  };
  const RunFlags::ProgressMode progress = f.run.progress;
  auto report = SweepClusters(options, callbacks, [&](size_t setting, size_t total) {
    if (progress == RunFlags::ProgressMode::kTerminal) {
      std::cerr << absl::StrFormat("\rneardup: tune: setting %d of %d   ", setting + 1, total);
    } else if (progress == RunFlags::ProgressMode::kLines) {
      std::cerr << absl::StrFormat("neardup: tune: setting %d of %d", setting + 1, total)
                << std::endl;
    }
  });
  if (progress == RunFlags::ProgressMode::kTerminal) std::cerr << "\r\033[K";
  if (!report.ok()) {
    PrintError(report.status());
    return kExitFailed;
  }
  report->description = absl::StrCat(
      "tune clusters ", options.pipeline.inputs.size() == 1 ? options.pipeline.inputs[0]
                                                              : "(several inputs)",
      ": truth ", f.truth_field, ", algo ", f.run.algo, ", match ", f.run.match, ", cluster ",
      f.run.cluster, ", sweep ", f.sweep_field,
      options.sweep == SweepField::kBody
          ? absl::StrCat(" (title fixed: ", f.run.title_shingle, " at ",
                         absl::StrFormat("%g", options.pipeline.title_threshold), ")")
      : options.sweep == SweepField::kTitle
          ? absl::StrCat(" (body fixed: ", f.run.shingle, " at ",
                         absl::StrFormat("%g", options.pipeline.threshold), ")")
          : "");
  std::cout << (f.json ? FormatTuneJson(*report) : FormatTuneTable(*report));
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

}  // namespace neardup::cli
