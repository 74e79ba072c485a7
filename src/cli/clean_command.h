// cli/clean_command.h: `neardup clean FILE... -o cleaned.EXT`: removes boilerplate lines and
// repeated spans from each record's text field and writes every record back in its format and
// order (neardup/clean/clean_files.h).
#pragma once

#include <functional>

#include "CLI/CLI.hpp"

namespace neardup::cli {

// Adds `clean` and its flags to `app`. After `app.parse()`, if the subcommand parsed(), `*run`
// does the work and returns the exit status: 0 done, 1 the run failed (an unreadable input, a
// write error), 2 bad usage (a value out of range, outputs that clash), each reported in one
// line on standard error.
CLI::App* AddCleanCommand(CLI::App* app, std::function<int()>* run);

}  // namespace neardup::cli
