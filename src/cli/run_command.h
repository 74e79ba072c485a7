// run_command.h: `cluster` and `dedup` (the pipeline, then their outputs), and `report` (a report
// from an earlier cluster file). Each returns the process exit code.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "cli/run_flags.h"

namespace neardup::cli {

// --report, --report-format, --report-max-clusters.
struct ReportFlags {
  std::string path;
  std::string format = "html";
  size_t max_clusters = 1000;
  void Add(CLI::App* app);
};

struct DedupPaths {
  std::string kept;
  std::string dropped;
  std::string dropped_map;
};

int RunCluster(RunFlags& flags, const std::string& output, const ReportFlags& report,
               const std::string& command_line);
int RunDedup(RunFlags& flags, const DedupPaths& paths, const ReportFlags& report,
             const std::string& command_line);
// `neardup report CLUSTERS INPUT... -o FILE`: `flags` carries the inputs and how to read them.
int RunReport(RunFlags& flags, const std::string& clusters_path, const ReportFlags& report,
              const std::string& command_line);

}  // namespace neardup::cli
