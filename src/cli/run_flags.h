// run_flags.h: the flags that `cluster` and `dedup` share, parsed into PipelineOptions, and the
// small parsers and exit codes the CLI's commands use. Only src/cli/ includes this.
#pragma once

#include <cstdint>
#include <array>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "neardup/io/writer.h"
#include "neardup/options.h"

namespace neardup::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Prints "neardup: error: MESSAGE" on stderr.
void PrintError(const absl::Status& status);

// "default", "none", or a comma list of steps ("nfkc,casefold,whitespace", "default,-aliases").
absl::StatusOr<NormalizeOptions> ParseNormalizeSteps(const std::string& text);

// "512M", "4G", "2GB", "2GiB", "2g", "1000000" -> bytes, multiples binary in every spelling (G =
// GB = GiB = 2^30); `flag` names the option in errors. Refuses negative, zero and huge sizes.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text, const std::string& flag);

// "72h", "3d", "90m", "3600s", "3600" (seconds) or "0" (no limit) -> seconds; `flag` names the
// option in errors.
absl::StatusOr<int64_t> ParseDuration(const std::string& text, const std::string& flag);

// Flags of `cluster` and `dedup`: strings first, typed by Finalize().
struct RunFlags {
  PipelineOptions options;
  std::string format = "auto";
  std::string normalize = "default";
  std::string shingle = "char:5";
  std::string title_shingle = "char:3";
  std::string match = "auto";
  std::string algo = "minhash";
  std::string simhash_weight = "tf";
  std::string memory_limit = "2G";
  int title_bands = 0;
  int title_rows = 0;
  std::string verify = "auto";
  std::string similarity = "jaccard";
  std::string minhash_scheme = "auto";
  std::string keep = "first";
  std::string cluster = "anchored";
  int core_degree = static_cast<int>(kDefaultCoreDegree);
  CLI::Option* core_degree_option = nullptr;  // to refuse --core-degree with other modes
  int bands = 0;
  int rows = 0;
  std::string stats_path;
  std::string rejects_path;
  std::string edges_path;
  std::string story_window = "72h";
  CLI::Option* story_options[4] = {nullptr, nullptr, nullptr, nullptr};  // refused without --stories
  bool quiet = false;
  CLI::Option* threshold_option = nullptr;  // to tell a given --threshold from the default
  CLI::Option* field_options[3] = {nullptr, nullptr, nullptr};  // --id-field, --title-field, --text-field
  bool progress_lines = false;  // --progress: lines every few seconds on a non-terminal too
  // Resolved in Finalize(): kTerminal when stderr is a terminal, kLines with --progress
  // elsewhere, kOff with --quiet.
  enum class ProgressMode { kOff, kTerminal, kLines };
  ProgressMode progress = ProgressMode::kOff;

  // After a run: fails when a field flag the user gave names a field that no record has (a
  // misspelt name, silently ignored before: every body empty, every id FILE:LINE), when no record
  // has the --keep field, or when no record has a title or a text field at all.
  absl::Status CheckFieldsSeen(const RunResult& result) const;
  // Warnings for the field flags the user gave whose field some records lack (or have empty):
  // one line per flag, with the count.
  std::vector<std::string> FieldsPartlySeen(const RunResult& result) const;

  // Registers the flags on `app`.
  void Add(CLI::App* app);
  // The normalization flags alone (--normalize, --alias-file, --tag-file), for `report`.
  void AddNormalizeFlags(CLI::App* app);
  // Turns the string flags into typed options and validates everything (usage errors) but the
  // output paths.
  absl::Status Finalize();
  // Checks, before any work, the run's outputs together (neardup::CheckOutputs): the command's
  // own `outputs` (as "-o" of cluster), --stats, --rejects and --edges, against each other and
  // against the inputs and `more_inputs` (as the cluster file of `report`).
  absl::Status CheckOutputs(std::vector<NamedOutput> outputs,
                            const std::vector<std::string>& more_inputs = {}) const;

 private:
  // The id, title and text field flags (the order of records_with_field): flag name, the field
  // it names, and whether the user gave it.
  struct FieldFlag {
    const char* flag;
    const std::string* name;
    bool given;
  };
  std::array<FieldFlag, 3> FieldFlags() const;
  // Add's four groups, in the order --help lists them.
  void AddInputFlags(CLI::App* app);
  void AddEngineFlags(CLI::App* app);
  void AddMatchFlags(CLI::App* app);
  void AddStoryFlags(CLI::App* app);
  void AddRunFlags(CLI::App* app);
};

}  // namespace neardup::cli
