// usage.h: how neardup's command line speaks about usage errors. Every error from the flag
// parser is one line "neardup: error: ..." (exit 2), with a did-you-mean where a typed name is
// close to a known one: a command (`neardup clustr`), an option of the command being parsed
// (`--thresold`), a value of an option that takes one of a list (`--algo minhahs`).
// `neardup help [COMMAND...]` is `neardup [COMMAND...] --help`. Only src/cli/ includes this.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace neardup::cli {

// A check for an option that takes one of `values`. The help shows "{a,b,c}", as CLI::IsMember
// does; a value not in the list fails with "'x' is not one of a, b, c; did you mean 'a'?".
CLI::Validator OneOf(std::vector<std::string> values);

// Adds to every option of `app` and of its subcommands that takes an unsigned number a check
// that refuses a negative value, which the conversion would otherwise wrap (-1 as 2^64 - 1).
void RefuseNegativeCounts(CLI::App* app);

// Before parsing: rewrites `neardup help [COMMAND...]` in `args` (argv as strings) as
// `neardup [COMMAND...] --help`, and refuses a word in a command's place that names no command
// (InvalidArgument: "unknown command 'clustr'; did you mean 'cluster'?").
absl::Status PrepareArguments(const CLI::App& app, std::vector<std::string>* args);

// After a failed app->parse(): help and version go to standard output (returns 0); anything
// else is printed as one error line with a did-you-mean (returns 2).
int ReportParseError(CLI::App* app, const CLI::ParseError& error);
// The one-line message ReportParseError prints for an error other than help and version, without
// the "neardup: error: " prefix (the Python module raises it as a ValueError).
std::string ParseErrorMessage(CLI::App* app, const CLI::ParseError& error);

}  // namespace neardup::cli
