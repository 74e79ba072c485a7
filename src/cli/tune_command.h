// tune_command.h: `neardup tune pairs` and `neardup tune clusters` (tune.h): sweep shingle sizes
// and thresholds over labelled data and recommend a setting. Only src/cli/ includes this.
//
// Use from main.cc: construct a TuneCommand on the app before parsing, and after parsing
//   if (tune.parsed()) return tune.Run();
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "cli/run_flags.h"

namespace neardup::cli {

// Flags of `tune pairs`.
struct TunePairsFlags {
  std::string input;
  std::string text_a = "text_a";
  std::string text_b = "text_b";
  std::string label_field;
  std::string score_field;
  double positive_score = 4;
  std::string field_kind = "body";
  std::string normalize = "default";
  std::string shingles = "char:2,char:3,char:4,char:5,word:1,word:2";
  std::string thresholds = "0.1:0.95:0.05";
  double min_precision = 0.9;
  bool json = false;
  bool quiet = false;
};

// Flags of `tune clusters`: the pipeline's own (RunFlags) plus the sweep's.
struct TuneClustersFlags {
  RunFlags run;
  std::string truth_field;
  std::string shingles = "char:3,char:4,char:5";
  std::string thresholds = "0.1:0.95:0.05";
  std::string sweep_field = "both";
  double title_offset = 0;
  double min_precision = 0.9;
  bool json = false;
};

class TuneCommand {
 public:
  // Adds `tune` and its two subcommands to `app`. Keep this object alive until Run() returns.
  explicit TuneCommand(CLI::App* app);
  TuneCommand(const TuneCommand&) = delete;
  TuneCommand& operator=(const TuneCommand&) = delete;

  // Whether `tune` was on the command line.
  bool parsed() const;
  // Runs the parsed subcommand: prints the table (or JSON lines) on standard output and returns
  // the exit code: 0 done, 1 the run failed, 2 bad usage.
  int Run();

 private:
  int RunPairs();
  int RunClusters();

  CLI::App* tune_ = nullptr;
  CLI::App* pairs_ = nullptr;
  CLI::App* clusters_ = nullptr;
  TunePairsFlags pairs_flags_;
  TuneClustersFlags clusters_flags_;
};

}  // namespace neardup::cli
