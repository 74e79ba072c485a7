// index_command.h: `neardup index create|add|query|remove|stats`, the persistent index
// (neardup/index/index.h). Only src/cli/ includes this.
#pragma once

#include <functional>

#include "CLI/CLI.hpp"

namespace neardup::cli {

// Registers `index` and its subcommands on `app`; after parsing, `*run` (set when `index` was
// parsed) runs the one given and returns the exit code.
CLI::App* AddIndexCommand(CLI::App* app, std::function<int()>* run);

}  // namespace neardup::cli
