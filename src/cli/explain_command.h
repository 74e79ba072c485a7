// cli/explain_command.h: `neardup explain ID_A ID_B INPUTS... [cluster options]`: why two records
// are, or are not, in one cluster (neardup/tools/explain.h).
#pragma once

#include <functional>

#include "CLI/CLI.hpp"

namespace neardup::cli {

// Adds `explain` and its flags (every `cluster` option) to `app`. After `app.parse()`, if the
// subcommand parsed(), `*run` does the work and returns the exit status: 0 explained, 1 the run
// failed, 2 bad usage (an option, an unknown id), each reported in one line on standard error.
CLI::App* AddExplainCommand(CLI::App* app, std::function<int()>* run);

}  // namespace neardup::cli
