// neardup's command line: builds the subcommands, turns flags into typed options (run_flags.h)
// and hands them to the commands (run_command.h), which call the library. Maps a Status to an
// exit code: 0 done, 1 the run failed, 2 bad usage. No algorithm lives here.
#include <csignal>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/clean_command.h"
#include "cli/run_command.h"
#include "cli/run_flags.h"
#include "cli/synth_command.h"
#include "cli/explain_command.h"
#include "cli/plan_command.h"
#include "cli/tune_command.h"
#include "cli/usage.h"
#include "neardup/tools/eval.h"
#include "neardup/io/writer.h"
#include "neardup/dist/mpi.h"
#include "neardup_version.h"

using namespace neardup::cli;  // NOLINT: the CLI's own namespace

namespace {

int RunEval(const neardup::EvalFiles& files, bool json) {
  auto r = neardup::EvaluateFiles(files);
  if (!r.ok()) {
    PrintError(r.status());
    return kExitFailed;
  }
  // Scores over part of the records are said so, loudly: another corpus or a partial truth.
  if (r->n < r->predicted_records || r->n < r->truth_records) {
    std::cerr << absl::StrFormat(
        "neardup: warning: scored on the %d records in both files: %d of the %d ids of the "
        "cluster file %s are not in the truth file, and %d of the %d ids of the truth file %s "
        "are not in the cluster file\n",
        r->n, r->predicted_records - r->n, r->predicted_records, files.predicted_path,
        r->truth_records - r->n, r->truth_records, files.truth_path);
  }
  if (json) {
    std::cout << absl::StrFormat(
        "{\"pair_precision\": %.6f, \"pair_recall\": %.6f, \"pair_f1\": %.6f, \"ari\": %.6f, "
        "\"n\": %d}\n",
        r->pair_precision, r->pair_recall, r->pair_f1, r->ari, r->n);
  } else {
    std::cout << absl::StrFormat(
        "records matched   %d\ntrue pairs        %d\npredicted pairs   %d\ncommon pairs      %d\n"
        "pair precision    %.4f\npair recall       %.4f\npair F1           %.4f\n"
        "adjusted Rand     %.4f\n",
        r->n, r->true_pairs, r->predicted_pairs, r->common_pairs, r->pair_precision,
        r->pair_recall, r->pair_f1, r->ari);
  }
  return kExitOk;
}

// `cluster`: the run's flags, the report's, and the cluster file.
struct ClusterCommand {
  RunFlags flags;
  ReportFlags report;
  std::string output = "-";
  CLI::App* app = nullptr;

  void Add(CLI::App* parent) {
    app = parent->add_subcommand(
        "cluster", "Assign every record to a cluster; writes one JSON line per record");
    flags.Add(app);
    app->add_option("-o,--output", output,
                    "Cluster file (JSONL: id, cluster, representative, similarity, "
                    "cluster_size, cluster_min_similarity); - is standard output")
        ->capture_default_str();
    report.Add(app);
  }
};

// `dedup`: the run's flags, the report's, and the kept, dropped and map files.
struct DedupCommand {
  RunFlags flags;
  ReportFlags report;
  DedupPaths paths;
  CLI::App* app = nullptr;

  void Add(CLI::App* parent) {
    app = parent->add_subcommand(
        "dedup", "Keep one record per cluster; writes kept records byte for byte as read");
    flags.Add(app);
    app->add_option("-o,--output", paths.kept, "Kept records, in the input's format and order")
        ->required();
    app->add_option("--dropped", paths.dropped,
                    "Dropped records, in the input's format and order");
    app->add_option("--dropped-map", paths.dropped_map,
                    "JSONL: for each dropped record, the representative it duplicates");
    app->add_option("--clusters", paths.clusters,
                    "The cluster file (as cluster -o writes it: every record's cluster, and its "
                    "story with --stories)");
    report.Add(app);
  }
};

// `eval`: the two files and how to read them.
struct EvalCommand {
  neardup::EvalFiles files;
  bool json = false;
  CLI::App* app = nullptr;

  void Add(CLI::App* parent) {
    app = parent->add_subcommand(
        "eval", "Score a cluster file against labelled clusters (pairwise P/R/F1, ARI)");
    app->add_option("predicted", files.predicted_path, "Cluster file from `neardup cluster`")
        ->required();
    app->add_option("--truth", files.truth_path, "JSONL with the true cluster labels")
        ->required();
    app->add_option("--predicted-field", files.predicted_field,
                    "Field of the cluster file to score: cluster, or story (from --stories)")
        ->capture_default_str();
    app->add_option("--truth-field", files.truth_field, "Field holding the true label")
        ->required();
    app->add_option("--id-field", files.id_field, "Id field of the truth file")
        ->capture_default_str();
    app->add_flag("--json", json, "Print one JSON object");
  }
};

// `report`: an earlier cluster file, its inputs and how to read them, and the report.
struct ReportCommand {
  RunFlags flags;
  ReportFlags report;
  std::string clusters;
  CLI::App* app = nullptr;

  void Add(CLI::App* parent) {
    app = parent->add_subcommand(
        "report", "Make a cluster report (HTML or Markdown) from an earlier cluster file and its "
                  "inputs");
    app->add_option("clusters", clusters, "Cluster file from `neardup cluster`")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("inputs", flags.options.inputs, "The inputs that cluster file was made from")
        ->required();
    app->add_option("--format", flags.format, "Input format (as for cluster)")
        ->capture_default_str();
    app->add_option("--id-field", flags.options.fields.id, "Id field")->capture_default_str();
    app->add_option("--text-field", flags.options.fields.text, "Body field")
        ->capture_default_str();
    app->add_option("--title-field", flags.options.fields.title, "Title field")
        ->capture_default_str();
    // As the run normalized, so that "same text" means what the run's exact groups mean.
    flags.AddNormalizeFlags(app);
    app->add_option("-o,--output", report.path, "The report file")->required();
    app->add_option("--report-format", report.format, "html or md")
        ->capture_default_str()
        ->check(OneOf({"html", "md"}));
    app->add_option("--report-max-clusters", report.max_clusters,
                    "Clusters shown, largest first; the rest are counted")
        ->capture_default_str();
    app->add_option("--report-fields", report.fields,
                    "Input fields shown with each member, e.g. press,date,url (JSONL keys or "
                    "csv/tsv columns)")
        ->delimiter(',');
    app->add_flag("--quiet,-q", flags.quiet, "Print nothing but errors");
  }
};

// The commands that read inputs through the pipeline's readers (cluster, dedup, report), of
// which exactly one was parsed.
struct RunCommands {
  ClusterCommand cluster;
  DedupCommand dedup;
  ReportCommand report;

  RunFlags& flags() {
    return cluster.app->parsed() ? cluster.flags : dedup.app->parsed() ? dedup.flags : report.flags;
  }

  // Usage errors are found before any work: option values, inputs, output directories, and
  // every output of the run checked together (no two on one file, none on an input).
  absl::Status CheckUsage() {
    RunFlags& run = flags();
    const ReportFlags& report_in_use = cluster.app->parsed() ? cluster.report
                                       : dedup.app->parsed() ? dedup.report
                                                             : report.report;
    absl::Status s = run.Finalize();
    if (s.ok()) s = neardup::mpi::CheckInputs(run.options);
    std::vector<neardup::NamedOutput> outputs;
    std::vector<std::string> more_inputs;
    if (cluster.app->parsed()) outputs.push_back({"--output", cluster.output});
    if (dedup.app->parsed()) {
      const DedupPaths& paths = dedup.paths;
      outputs.push_back({"--output", paths.kept});
      outputs.push_back({"--dropped", paths.dropped});
      outputs.push_back({"--dropped-map", paths.dropped_map});
      outputs.push_back({"--clusters", paths.clusters});
      if (s.ok() && run.options.stories && paths.clusters.empty()) {
        s = absl::InvalidArgumentError(
            "dedup --stories: the stories go into the cluster file; add --clusters FILE (the "
            "kept records do not change)");
      }
    }
    if (report.app->parsed()) {
      outputs.push_back({"--output", report.report.path});
      more_inputs.push_back(report.clusters);
    } else {
      outputs.push_back({"--report", report_in_use.path});
    }
    if (s.ok()) s = run.CheckOutputs(outputs, more_inputs);
    return s;
  }

  int Run(const std::string& command_line) {
    if (absl::Status s = CheckUsage(); !s.ok()) {
      PrintError(s);
      return kExitUsage;
    }
    if (cluster.app->parsed()) {
      return RunCluster(cluster.flags, cluster.output, cluster.report, command_line);
    }
    if (dedup.app->parsed()) {
      return RunDedup(dedup.flags, dedup.paths, dedup.report, command_line);
    }
    return RunReport(report.flags, report.clusters, report.report, command_line);
  }
};

// Parses the command line into `app`'s commands; an exit code when that ends the run (bad usage,
// --help, --version), else nothing.
std::optional<int> Parse(CLI::App* app, int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  absl::Status usage = PrepareArguments(*app, &args);  // `help COMMAND`, unknown commands
  if (!usage.ok()) {
    PrintError(usage);
    return kExitUsage;
  }
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  try {
    app->parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e);
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  // Joins the MPI job when mpirun/srun started the process (neardup/mpi.h); a no-op otherwise.
  neardup::mpi::Session mpi_session(&argc, &argv);
  CLI::App app{
      "neardup: finds exact and near-duplicate documents and groups them into clusters.\n"
      "Documents are normalized (NFKC, case folding, news rules, white space), cut into "
      "shingles, sketched (MinHash, SimHash or exact sets), paired, verified and clustered."};
  app.set_version_flag("--version", NEARDUP_VERSION);
  app.require_subcommand(1);
  app.footer("Run `neardup SUBCOMMAND --help` for a subcommand's options.\n"
             "Exit status: 0 done, 1 the run failed, 2 bad usage.");
  const std::string command_line =
      "neardup " + absl::StrJoin(std::vector<std::string>(argv + 1, argv + argc), " ");

  // The subcommands, in the order --help lists them.
  RunCommands run;
  run.cluster.Add(&app);
  run.dedup.Add(&app);
  std::function<int()> run_clean;
  CLI::App* clean = neardup::cli::AddCleanCommand(&app, &run_clean);
  EvalCommand eval;
  eval.Add(&app);
  run.report.Add(&app);
  TuneCommand tune(&app);
  std::function<int()> run_synth;
  CLI::App* synth = neardup::cli::AddSynthCommand(&app, &run_synth);
  std::function<int()> run_plan;
  CLI::App* plan = neardup::cli::AddPlanCommand(&app, &run_plan);
  std::function<int()> run_explain;
  CLI::App* explain = neardup::cli::AddExplainCommand(&app, &run_explain);
  RefuseNegativeCounts(&app);

  neardup::RemoveTemporaryFilesOnSignals();
  if (std::optional<int> done = Parse(&app, argc, argv)) return *done;
  if (eval.app->parsed()) return RunEval(eval.files, eval.json);
  if (tune.parsed()) return tune.Run();
  if (clean->parsed()) return run_clean();
  if (synth->parsed()) return run_synth();
  if (plan->parsed()) return run_plan();
  if (explain->parsed()) return run_explain();
  return run.Run(command_line);
}

// Out of memory and a file size limit end the run like any other failure: a message, exit 1, and
// no temporary file left (the outputs' destructors remove them while the stack unwinds; an
// uncaught exception would abort without unwinding).
int main(int argc, char** argv) {
  // With SIGXFSZ ignored, a write past `ulimit -f` fails with EFBIG and is reported as such
  // (killed by the signal, the run would leave its temporary files).
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return Main(argc, argv);
  } catch (const std::bad_alloc&) {
    PrintError(absl::ResourceExhaustedError(
        "out of memory; --memory-limit bounds the band keys and the exact checks' sets, a higher "
        "--threshold makes fewer candidate pairs, and `neardup plan` estimates a run's memory"));
    return kExitFailed;
  }
}
