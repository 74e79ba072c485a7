// cli/plan_command.h: `neardup plan`, which says before any hashing what a `cluster` or `dedup`
// run with the same flags will do and need: the LSH bands and rows chosen for each field's
// threshold, the S-curve (the probability that a pair of a given Jaccard similarity becomes a
// candidate, 1 - (1 - s^rows)^bands), the expected peak memory and disk, and the expected time.
//
// The corpus size comes from --documents / --bytes, or from the INPUT files: each file's size on
// disk and a sample of its first records (about --sample-bytes, 1 MiB), which gives the average
// record length, the share of records with a title and a body, the id length and the shingles per
// field. A file that fits in the sample is counted exactly. Nothing else of the file is read.
//
// The sampling and the estimates are the library's (neardup/tools/plan.h: SamplePlanCorpus,
// MakePlan): models of the data structures the run allocates (pipeline.cc, match.cc, lsh.cc),
// documented with their constants there and in `neardup plan --help`; the time is the corpus at
// a throughput measured on the development machine (or --speed). This file parses and prints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace neardup::cli {

// Adds `plan` and its flags (every flag of `cluster`, so that a cluster command line can be
// planned by changing its subcommand, plus --documents, --bytes, --speed, --sample-bytes) to
// `app` and returns the subcommand. After `app.parse()`, if the subcommand parsed(), `*run` (set
// here) prints the plan on standard output and returns the exit status: 0 done, 1 an input could
// not be sampled, 2 bad usage (the same checks as `cluster`, or no corpus size at all).
CLI::App* AddPlanCommand(CLI::App* app, std::function<int()>* run);

}  // namespace neardup::cli
