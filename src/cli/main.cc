// neardup's command line: builds the subcommands, turns flags into typed options (run_flags.h)
// and hands them to the commands (run_command.h), which call the library. Maps a Status to an
// exit code: 0 done, 1 the run failed, 2 bad usage. No algorithm lives here.
#include <csignal>
#include <new>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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

  RunFlags cluster_flags;
  ReportFlags cluster_report;
  std::string cluster_out = "-";
  CLI::App* cluster = app.add_subcommand(
      "cluster", "Assign every record to a cluster; writes one JSON line per record");
  cluster_flags.Add(cluster);
  cluster->add_option("-o,--output", cluster_out,
                      "Cluster file (JSONL: id, cluster, representative, similarity, "
                      "cluster_size, cluster_min_similarity); - is standard output")
      ->capture_default_str();
  cluster_report.Add(cluster);

  RunFlags dedup_flags;
  ReportFlags dedup_report;
  DedupPaths dedup_paths;
  CLI::App* dedup = app.add_subcommand(
      "dedup", "Keep one record per cluster; writes kept records byte for byte as read");
  dedup_flags.Add(dedup);
  dedup->add_option("-o,--output", dedup_paths.kept,
                    "Kept records, in the input's format and order")
      ->required();
  dedup->add_option("--dropped", dedup_paths.dropped,
                    "Dropped records, in the input's format and order");
  dedup->add_option("--dropped-map", dedup_paths.dropped_map,
                    "JSONL: for each dropped record, the representative it duplicates");
  dedup->add_option("--clusters", dedup_paths.clusters,
                    "The cluster file (as cluster -o writes it: every record's cluster, and its "
                    "story with --stories)");
  dedup_report.Add(dedup);

  neardup::EvalFiles eval_files;
  bool eval_json = false;
  CLI::App* eval = app.add_subcommand(
      "eval", "Score a cluster file against labelled clusters (pairwise P/R/F1, ARI)");
  eval->add_option("predicted", eval_files.predicted_path, "Cluster file from `neardup cluster`")
      ->required();
  eval->add_option("--truth", eval_files.truth_path, "JSONL with the true cluster labels")
      ->required();
  eval->add_option("--predicted-field", eval_files.predicted_field,
                   "Field of the cluster file to score: cluster, or story (from --stories)")
      ->capture_default_str();
  eval->add_option("--truth-field", eval_files.truth_field, "Field holding the true label")
      ->required();
  eval->add_option("--id-field", eval_files.id_field, "Id field of the truth file")
      ->capture_default_str();
  eval->add_flag("--json", eval_json, "Print one JSON object");

  RunFlags report_flags;
  ReportFlags report_report;
  std::string report_clusters;
  CLI::App* report = app.add_subcommand(
      "report", "Make a cluster report (HTML or Markdown) from an earlier cluster file and its "
                "inputs");
  report->add_option("clusters", report_clusters, "Cluster file from `neardup cluster`")
      ->required()
      ->check(CLI::ExistingFile);
  report->add_option("inputs", report_flags.options.inputs,
                     "The inputs that cluster file was made from")
      ->required();
  report->add_option("--format", report_flags.format, "Input format (as for cluster)")
      ->capture_default_str();
  report->add_option("--id-field", report_flags.options.fields.id, "Id field")
      ->capture_default_str();
  report->add_option("--text-field", report_flags.options.fields.text, "Body field")
      ->capture_default_str();
  report->add_option("--title-field", report_flags.options.fields.title, "Title field")
      ->capture_default_str();
  report->add_option("-o,--output", report_report.path, "The report file")->required();
  report->add_option("--report-format", report_report.format, "html or md")
      ->capture_default_str()
      ->check(OneOf({"html", "md"}));
  report->add_option("--report-max-clusters", report_report.max_clusters,
                     "Clusters shown, largest first; the rest are counted")
      ->capture_default_str();
  report->add_option("--report-fields", report_report.fields,
                     "Input fields shown with each member, e.g. press,date,url (JSONL keys or "
                     "csv/tsv columns)")
      ->delimiter(',');
  report->add_flag("--quiet,-q", report_flags.quiet, "Print nothing but errors");

  TuneCommand tune(&app);
  std::function<int()> run_synth;
  CLI::App* synth = neardup::cli::AddSynthCommand(&app, &run_synth);
  std::function<int()> run_plan;
  CLI::App* plan = neardup::cli::AddPlanCommand(&app, &run_plan);
  std::function<int()> run_explain;
  CLI::App* explain = neardup::cli::AddExplainCommand(&app, &run_explain);

  RefuseNegativeCounts(&app);

  neardup::RemoveTemporaryFilesOnSignals();
  std::vector<std::string> args(argv, argv + argc);
  absl::Status usage = PrepareArguments(app, &args);  // `help COMMAND`, unknown commands
  if (!usage.ok()) {
    PrintError(usage);
    return kExitUsage;
  }
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  try {
    app.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  } catch (const CLI::ParseError& e) {
    return ReportParseError(&app, e);
  }

  if (eval->parsed()) return RunEval(eval_files, eval_json);
  if (tune.parsed()) return tune.Run();
  if (synth->parsed()) return run_synth();
  if (plan->parsed()) return run_plan();
  if (explain->parsed()) return run_explain();

  // Usage errors are found before any work: option values, inputs, output directories.
  RunFlags& flags = cluster->parsed() ? cluster_flags : dedup->parsed() ? dedup_flags : report_flags;
  const ReportFlags& report_flags_in_use =
      cluster->parsed() ? cluster_report : dedup->parsed() ? dedup_report : report_report;
  absl::Status s = flags.Finalize();
  if (s.ok()) s = neardup::mpi::CheckInputs(flags.options);
  // Every output of the run, checked together: no two on one file, none on an input.
  std::vector<neardup::NamedOutput> outputs;
  std::vector<std::string> more_inputs;
  if (cluster->parsed()) outputs.push_back({"--output", cluster_out});
  if (dedup->parsed()) {
    outputs.push_back({"--output", dedup_paths.kept});
    outputs.push_back({"--dropped", dedup_paths.dropped});
    outputs.push_back({"--dropped-map", dedup_paths.dropped_map});
    outputs.push_back({"--clusters", dedup_paths.clusters});
    if (s.ok() && flags.options.stories && dedup_paths.clusters.empty()) {
      s = absl::InvalidArgumentError(
          "dedup --stories: the stories go into the cluster file; add --clusters FILE (the "
          "kept records do not change)");
    }
  }
  if (report->parsed()) {
    outputs.push_back({"--output", report_report.path});
    more_inputs.push_back(report_clusters);
  } else {
    outputs.push_back({"--report", report_flags_in_use.path});
  }
  if (s.ok()) s = flags.CheckOutputs(outputs, more_inputs);
  if (!s.ok()) {
    PrintError(s);
    return kExitUsage;
  }
  if (cluster->parsed()) return RunCluster(flags, cluster_out, cluster_report, command_line);
  if (dedup->parsed()) return RunDedup(flags, dedup_paths, dedup_report, command_line);
  return RunReport(flags, report_clusters, report_report, command_line);
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
