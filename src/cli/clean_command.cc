#include "cli/clean_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/run_command.h"
#include "cli/run_flags.h"
#include "cli/usage.h"
#include "neardup/clean/clean_files.h"
#include "neardup/io/writer.h"
#include "tbb/global_control.h"
#include "tbb/info.h"

namespace neardup::cli {
namespace {

constexpr int kMaxWarnings = 20;

struct CleanFlags {
  CleanFilesOptions options;
  std::string output;
  std::string removed;
  std::string stats;
  std::string format = "auto";
  std::string substrings;  // "", "later" or "all"
  std::string span_shard = "256M";
  std::string line_memory = "2G";
  bool no_lines = false;
  int threads = 0;
  bool quiet = false;
  CLI::Option* span_options[2] = {nullptr, nullptr};  // refused without --substrings
};

absl::Status Finalize(CleanFlags& f) {
  auto format = ParseFormat(f.format);
  if (!format.ok()) return format.status();
  f.options.format = *format;
  CleanOptions& c = f.options.clean;
  c.lines = !f.no_lines;
  c.spans = f.substrings.empty()        ? SpanMode::kOff
            : f.substrings == "all"     ? SpanMode::kAll
                                        : SpanMode::kLater;
  if (c.spans == SpanMode::kOff) {
    for (CLI::Option* o : f.span_options) {
      if (o->count() > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(o->get_name(), " applies to span removal only: add --substrings"));
      }
    }
  }
  if (!c.lines && c.spans == SpanMode::kOff) {
    return absl::InvalidArgumentError("--no-lines without --substrings would remove nothing");
  }
  auto shard = ParseByteSize(f.span_shard, "--span-shard");
  if (!shard.ok()) return shard.status();
  c.span_shard_bytes = *shard;
  auto memory = ParseByteSize(f.line_memory, "--line-memory");
  if (!memory.ok()) return memory.status();
  c.line_table_bytes = *memory;
  absl::Status s = c.Validate();
  if (!s.ok()) {
    // The library names its fields; the user typed flags.
    std::string m(s.message());
    for (const auto& [field, flag] :
         std::vector<std::pair<std::string, std::string>>{{"min_docs", "--min-docs"},
                                                          {"min_doc_share", "--min-doc-share"},
                                                          {"line_table_bytes", "--line-memory"},
                                                          {"min_span_bytes", "--min-span"},
                                                          {"span_shard_bytes", "--span-shard"}}) {
      if (m.rfind(field + " ", 0) == 0) m = flag + m.substr(field.size());
    }
    return absl::InvalidArgumentError(m);
  }
  if (f.threads < 0) return absl::InvalidArgumentError("--threads must be 0 (all cores) or more");
  std::vector<NamedOutput> outputs = {
      {"--output", f.output}, {"--removed", f.removed}, {"--stats", f.stats}};
  std::vector<NamedOutput> named;
  for (const NamedOutput& o : outputs) {
    if (!o.path.empty()) named.push_back(o);
  }
  return CheckOutputs(named, f.options.inputs);
}

int Run(CleanFlags& f) {
  if (absl::Status s = Finalize(f); !s.ok()) {
    PrintError(s);
    return kExitUsage;
  }
  // Two passes: standard input, pipes and FIFOs are copied to temporary files first.
  PipelineOptions spool;
  spool.inputs = f.options.inputs;
  std::vector<std::unique_ptr<TemporaryFile>> spooled;
  if (absl::Status s = SpoolOnceReadInputs(&spool, true, &spooled); !s.ok()) {
    PrintError(s);
    return kExitFailed;
  }
  f.options.labels = spool.input_labels.empty() ? spool.inputs : spool.input_labels;
  f.options.inputs = spool.inputs;

  const int threads = f.threads > 0 ? f.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(threads));
  std::vector<std::unique_ptr<AtomicFile>> files;
  AtomicFile* slots[3] = {nullptr, nullptr, nullptr};
  const std::string* paths[3] = {&f.output, &f.removed, &f.stats};
  for (int i = 0; i < 3; ++i) {
    if (paths[i]->empty()) continue;
    auto file = AtomicFile::Create(*paths[i]);
    if (!file.ok()) {
      PrintError(file.status());
      return kExitFailed;
    }
    files.push_back(std::move(file).value());
    slots[i] = files.back().get();
  }
  int warnings = 0;
  auto warn = [&](std::string_view message) {
    if (f.quiet) return;
    if (++warnings <= kMaxWarnings) {
      std::cerr << "neardup: warning: " << message << "\n";
    } else if (warnings == kMaxWarnings + 1) {
      std::cerr << "neardup: warning: more warnings; the counts are in the summary and --stats\n";
    }
  };
  auto figures = CleanFiles(f.options, slots[0], slots[1], warn);
  if (!figures.ok()) {
    PrintError(figures.status());
    return kExitFailed;
  }
  if (slots[2] != nullptr) {
    if (absl::Status s = slots[2]->Write(CleanStatsJson(f.options, *figures)); !s.ok()) {
      PrintError(s);
      return kExitFailed;
    }
  }
  if (absl::Status s = CommitAll(files); !s.ok()) {
    PrintError(s);
    return kExitFailed;
  }
  if (!f.quiet) {
    const CleanFigures& g = *figures;
    const double text = static_cast<double>(std::max<uint64_t>(g.text_bytes, 1));
    std::cerr << absl::StrFormat(
        "neardup: clean: %d records (%d bad, %d oversized, written unchanged), %d changed, %d "
        "emptied%s; removed %d lines (%d bytes, %.1f%% of the text; a line in %d+ documents is "
        "boilerplate) and %d spans (%d bytes, %.1f%%)\n",
        g.read, g.bad, g.oversized, g.changed, g.emptied,
        f.options.drop_empty ? absl::StrCat(" and dropped") : "", g.lines_removed,
        g.line_bytes_removed, 100.0 * static_cast<double>(g.line_bytes_removed) / text,
        g.line_threshold, g.spans_removed, g.span_bytes_removed,
        100.0 * static_cast<double>(g.span_bytes_removed) / text);
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddCleanCommand(CLI::App* app, std::function<int()>* run) {
  auto f = std::make_shared<CleanFlags>();
  CLI::App* cmd = app->add_subcommand(
      "clean",
      "Remove boilerplate inside documents: lines repeated across many documents (menus, "
      "footers, bylines) and, with --substrings, repeated spans; writes every record back in "
      "its format and order with only its text field changed");
  cmd->footer(
      "A line (matched after NFKC, case folding and white-space normalization) found in at "
      "least max(--min-docs, --min-doc-share x documents) documents is removed from every "
      "document, its line end included; blank lines stay. --substrings removes every exact "
      "repeat of a span of --min-span bytes or more but its first occurrence (suffix array), "
      "in shards of --span-shard bytes of text (spans are found within a shard). Titles and "
      "other fields are written byte for byte; so is a record with nothing removed.\n"
      "Example: neardup clean pages.jsonl -o cleaned.jsonl --substrings --removed removed.jsonl");
  cmd->add_option("inputs", f->options.inputs, "Input files (- is standard input)")->required();
  cmd->add_option("-o,--output", f->output,
                  "Cleaned records, in the input's format and order")
      ->required();
  cmd->add_option("--removed", f->removed,
                  "JSONL: one line per removal: id, field, start, end (bytes of the original "
                  "value), kind (line or span), count (documents that have it), text");
  cmd->add_option("--stats", f->stats, "JSON: counts, bytes removed, timings, peak memory");
  cmd->add_flag("--drop-empty", f->options.drop_empty,
                "Leave out records whose text is empty (white space only) after cleaning; they "
                "are counted either way");
  cmd->add_option("--format", f->format, "Input format: auto, jsonl, csv, tsv, text")
      ->capture_default_str()
      ->check(OneOf({"auto", "jsonl", "json", "ndjson", "csv", "tsv", "text", "txt"}));
  cmd->add_option("--id-field", f->options.fields.id, "Id field (in --removed and messages)")
      ->capture_default_str();
  cmd->add_option("--text-field", f->options.fields.text, "The field cleaned")
      ->capture_default_str();
  cmd->add_option("--min-docs", f->options.clean.min_docs,
                  "A line in at least this many documents is boilerplate (2 or more; above the "
                  "number of outlets that reprint one article)")
      ->capture_default_str();
  cmd->add_option("--min-doc-share", f->options.clean.min_doc_share,
                  "... or in this share of the documents, whichever is more (0-1; 0 = the count "
                  "alone)")
      ->capture_default_str();
  cmd->add_flag("--no-lines", f->no_lines, "No line removal (spans only, with --substrings)");
  cmd->add_option("--line-memory", f->line_memory,
                  "Bound of the line-count table (about 32 bytes per distinct line); a corpus "
                  "with more distinct lines stops with an error")
      ->capture_default_str();
  cmd->add_flag("--substrings{later}", f->substrings,
                "Also remove exact repeated spans: --substrings (or =later) keeps the first "
                "occurrence, --substrings=all removes every one")
      ->check(OneOf({"later", "all"}));
  f->span_options[0] =
      cmd->add_option("--min-span", f->options.clean.min_span_bytes,
                      "Shortest repeated span removed, in bytes (16 or more; 200 is about 50 "
                      "tokens)")
          ->capture_default_str();
  f->span_options[1] =
      cmd->add_option("--span-shard", f->span_shard,
                      "Bytes of text searched for spans at once (memory: 9 bytes per byte the "
                      "prefilter keeps, at most about 12x); larger corpora are cleaned in shards, "
                      "spans found within each (at most 2G - 1)")
          ->capture_default_str();
  cmd->add_option("--max-record-bytes", f->options.max_record_bytes,
                  "Longer records are written unchanged, with a warning")
      ->capture_default_str();
  cmd->add_option("--threads,-j", f->threads, "Worker threads; 0 = all cores")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", f->quiet, "Print nothing but errors");
  *run = [f]() { return Run(*f); };
  return cmd;
}

}  // namespace neardup::cli
