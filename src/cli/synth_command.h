// cli/synth_command.h: the `neardup synth` subcommand, which writes a JSONL corpus with planted
// near-duplicate clusters and their ground truth (neardup/synth.h).
#pragma once

#include <functional>

#include "CLI/CLI.hpp"

namespace neardup::cli {

// Adds `synth` and its flags to `app` and returns the subcommand. After `app.parse()`, if the
// subcommand parsed(), `*run` (set here) does the work and returns the exit status: 0 done,
// 1 the run failed (an unreadable base file, a write error), 2 bad usage (a value out of range,
// a missing output directory), each reported in one line on standard error.
CLI::App* AddSynthCommand(CLI::App* app, std::function<int()>* run);

}  // namespace neardup::cli
