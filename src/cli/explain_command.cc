#include "cli/explain_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/run_command.h"
#include "cli/run_flags.h"
#include "neardup/tools/explain.h"

namespace neardup::cli {
namespace {

struct ExplainFlags {
  RunFlags run;
  std::string id_a;
  std::string id_b;
  bool json = false;
};

int Run(ExplainFlags& flags) {
  absl::Status s = flags.run.Finalize();
  for (const auto& [flag, path] : {std::pair<const char*, const std::string*>{"--stats",
                                                                           &flags.run.stats_path},
                                   {"--rejects", &flags.run.rejects_path},
                                   {"--edges", &flags.run.edges_path}}) {
    if (s.ok() && !path->empty()) {
      s = absl::InvalidArgumentError(std::string("explain writes no files: ") + flag +
                                     " is for cluster and dedup");
    }
  }
  if (!s.ok()) {
    PrintError(s);
    return kExitUsage;
  }
  // explain runs the pipeline, then reads the two records again.
  std::vector<std::unique_ptr<TemporaryFile>> spooled;
  s = SpoolOnceReadInputs(&flags.run.options, true, &spooled);
  if (!s.ok()) {
    PrintError(s);
    return kExitFailed;
  }
  auto explained = ExplainPair(flags.run.options, flags.id_a, flags.id_b);
  if (!explained.ok()) {
    PrintError(explained.status());
    return absl::IsNotFound(explained.status()) ||
                   absl::IsInvalidArgument(explained.status())
               ? kExitUsage
               : kExitFailed;
  }
  std::cout << (flags.json ? ExplanationJson(*explained)
                           : FormatExplanation(*explained, flags.run.options));
  return kExitOk;
}

}  // namespace

CLI::App* AddExplainCommand(CLI::App* app, std::function<int()>* run) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* cmd = app->add_subcommand(
      "explain",
      "Why two records are, or are not, in one cluster: each field's shingles, overlap and exact "
      "similarity, the MinHash estimate and shared LSH bands, the rule that decides, the run's "
      "edge and the clusters");
  cmd->footer(
      "Give the same inputs and options as the `cluster` run you want explained; ids are as the "
      "cluster file names them. The run is repeated (its outputs are not written), then the two "
      "records are measured on their own over every shingle (the run leaves stop-shingles of "
      "corpora of 1,000+ documents out, so its figures can differ slightly).\n"
      "Example: neardup explain 47093 47088 data/samples/seed-board.jsonl");
  cmd->add_option("a", flags->id_a, "Id of the first record")->required();
  cmd->add_option("b", flags->id_b, "Id of the second record")->required();
  flags->run.Add(cmd);  // the inputs and every cluster option
  cmd->add_flag("--json", flags->json, "Print one JSON object instead of lines");
  *run = [flags]() { return Run(*flags); };
  return cmd;
}

}  // namespace neardup::cli
