// run_command.h: `cluster` and `dedup` (the pipeline, then their outputs), and `report` (a report
// from an earlier cluster file). Each returns the process exit code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/run_flags.h"
#include "neardup/io/writer.h"

namespace neardup::cli {

// --report, --report-format, --report-max-clusters, --report-fields.
struct ReportFlags {
  std::string path;
  std::string format = "html";
  size_t max_clusters = 1000;
  std::vector<std::string> fields;  // ReportSettings::extra_fields
  void Add(CLI::App* app);
};

struct DedupPaths {
  std::string kept;
  std::string dropped;
  std::string dropped_map;
  std::string clusters;  // the cluster file, as `cluster -o` writes it
};

// Inputs that cannot be read twice (standard input, pipes, FIFOs, devices such as /dev/stdin or
// <(command)) are copied to temporary files kept in `spooled`; `options->inputs` then names
// those and `input_labels` the originals. With more than one MPI rank, only standard input and
// only when `every_run` (dedup and the report, which always read twice).
absl::Status SpoolOnceReadInputs(PipelineOptions* options, bool every_run,
                                 std::vector<std::unique_ptr<TemporaryFile>>* spooled);

int RunCluster(RunFlags& flags, const std::string& output, const ReportFlags& report,
               const std::string& command_line);
int RunDedup(RunFlags& flags, const DedupPaths& paths, const ReportFlags& report,
             const std::string& command_line);
// `neardup report CLUSTERS INPUT... -o FILE`: `flags` carries the inputs and how to read them.
int RunReport(RunFlags& flags, const std::string& clusters_path, const ReportFlags& report,
              const std::string& command_line);

}  // namespace neardup::cli
