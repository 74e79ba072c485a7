// `neardup synth`: flags to SynthOptions, then GenerateCorpus into an AtomicFile.
#include "cli/synth_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "neardup/io/writer.h"
#include "neardup/tools/synth.h"

namespace neardup::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct SynthFlags {
  SynthOptions options;
  std::string edit_rate = "0.01:0.05";
  std::string chain_edit_rate = "0.03:0.04";
  std::string variant_size = "50:300";
  std::string edits = "all";
  std::string output = "-";
  bool no_title = false;
  bool no_edit_field = false;
  bool quiet = false;
};

void Error(const absl::Status& status) {
  std::cerr << "neardup: error: " << status.message() << "\n";
}

// "MIN:MAX" or one rate for both; `flag` names the option in errors.
absl::Status ParseEditRate(const std::string& text, const char* flag, double* min, double* max) {
  const size_t colon = text.find(':');
  const std::string lo = text.substr(0, colon);
  const std::string hi = colon == std::string::npos ? lo : text.substr(colon + 1);
  if (!absl::SimpleAtod(lo, min) || !absl::SimpleAtod(hi, max)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected MIN:MAX or RATE, got \"", text, "\""));
  }
  return absl::OkStatus();
}

// "MIN:MAX" or one size for both.
absl::Status ParseVariantSize(const std::string& text, uint32_t* min, uint32_t* max) {
  const size_t colon = text.find(':');
  const std::string lo = text.substr(0, colon);
  const std::string hi = colon == std::string::npos ? lo : text.substr(colon + 1);
  if (!absl::SimpleAtoi(lo, min) || !absl::SimpleAtoi(hi, max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--variant-size: expected MIN:MAX or SIZE, got \"", text, "\""));
  }
  return absl::OkStatus();
}

int Run(SynthFlags& flags) {
  SynthOptions& options = flags.options;
  options.write_title = !flags.no_title;
  options.write_edit = !flags.no_edit_field;
  absl::Status s = ParseEditRate(flags.edit_rate, "--edit-rate", &options.edit_rate_min,
                                 &options.edit_rate_max);
  if (s.ok()) {
    s = ParseEditRate(flags.chain_edit_rate, "--chain-edit-rate", &options.chain_edit_rate_min,
                      &options.chain_edit_rate_max);
  }
  if (s.ok()) {
    s = ParseVariantSize(flags.variant_size, &options.variant_size_min, &options.variant_size_max);
  }
  if (s.ok()) {
    auto edits = ParseSynthEdits(flags.edits);
    if (edits.ok()) {
      options.edits = *edits;
    } else {
      s = edits.status();
    }
  }
  for (const std::string& base : options.base_files) {
    if (s.ok() && base != "-" && access(base.c_str(), R_OK) != 0) {
      s = absl::InvalidArgumentError(absl::StrCat("--base: cannot read ", base));
    }
  }
  if (s.ok()) s = options.Validate();
  if (s.ok()) s = CheckOutputPath(flags.output, "--output");
  if (!s.ok()) {
    Error(s);
    return kExitUsage;
  }

  auto out = AtomicFile::Create(flags.output);
  if (!out.ok()) {
    Error(out.status());
    return kExitFailed;
  }
  const bool progress = !flags.quiet && isatty(STDERR_FILENO) && flags.output != "-";
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  uint64_t written = 0;
  auto stats = GenerateCorpus(options, [&](std::string_view bytes) {
    written += bytes.size();
    if (progress) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last >= std::chrono::milliseconds(200)) {
        last = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        std::cerr << absl::StrFormat("\rneardup: synth: %.0f MB written, %.0f MB/s   ",
                                     written / 1e6, secs > 0 ? written / 1e6 / secs : 0.0);
      }
    }
    return (*out)->Write(bytes);
  });
  if (progress) std::cerr << "\r\033[K";
  if (stats.ok()) s = (*out)->Commit();
  if (!stats.ok() || !s.ok()) {
    Error(stats.ok() ? s : stats.status());
    return kExitFailed;
  }
  if (!flags.quiet) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << absl::StrFormat(
        "neardup: synth: %d documents (%d in %d planted clusters%s%s), %.1f MB in %.2f s "
        "(%.0f MB/s)%s\n",
        stats->documents, stats->clustered_documents, stats->clusters,
        stats->chains == 0
            ? std::string()
            : absl::StrFormat(", %d in %d chains, %d links within %g of their head",
                              stats->chained_documents, stats->chains,
                              stats->chain_links_near_head, options.chain_threshold),
        stats->variant_clusters == 0
            ? std::string()
            : absl::StrFormat(", %d in %d variant clusters", stats->variant_documents,
                              stats->variant_clusters),
        stats->bytes / 1e6, secs,
        secs > 0 ? stats->bytes / 1e6 / secs : 0.0,
        flags.output == "-" ? "" : absl::StrCat(", wrote ", flags.output));
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddSynthCommand(CLI::App* app, std::function<int()>* run) {
  auto flags = std::make_shared<SynthFlags>();
  SynthOptions& o = flags->options;
  CLI::App* cmd = app->add_subcommand(
      "synth",
      "Generate a JSONL corpus with planted near-duplicate clusters and their ground truth");
  cmd->footer(
      "Each line is {\"id\", \"title\", \"text\", \"cluster\", \"edit\"}; \"cluster\" is the id of "
      "the planted cluster's original (a document's own id when it is in no cluster). Score a "
      "run with:\n"
      "  neardup cluster corpus.jsonl -o clusters.jsonl\n"
      "  neardup eval clusters.jsonl --truth corpus.jsonl --truth-field cluster\n"
      "The output depends only on the flags and the base files, never on --threads.\n"
      "Edits: char_insert, char_delete, char_substitute, word_insert, word_delete, "
      "word_substitute (each word of a copy, with probability RATE), headline_tag, truncate, "
      "quotes, spacing (each copy, with probability 1/3).\n"
      "Chains (--chains): each link is the previous one edited at --chain-edit-rate, so "
      "neighbours are near-duplicates and the ends are not. A link's \"cluster\" is the head's "
      "id when its body is within --chain-threshold of the head's (exact char:5 Jaccard), else "
      "its own id; every link has \"chain\": the head's id.\n"
      "Variant clusters (--variants): a citation-like base record (authors. title. venue, "
      "pages, year.) and variants of it, each an edit of the base: segments reordered, author "
      "names as initials, venue words abbreviated (Proceedings -> Proc.), a segment dropped or "
      "written twice, other punctuation, one or two misspellings. Every member's \"cluster\" is "
      "the base's id, so a cluster is dense around its base and two variants can be far "
      "apart.\n");
  cmd->add_option("-n,--documents", o.documents, "Number of documents to write (up to 2^40)")
      ->capture_default_str();
  cmd->add_option("--doc-bytes", o.doc_bytes,
                  "Mean body (text) length in UTF-8 bytes, 16 to 16777216")
      ->capture_default_str();
  cmd->add_option("--doc-bytes-jitter", o.doc_bytes_jitter,
                  "Body lengths vary uniformly by this fraction around --doc-bytes, 0 to 0.9")
      ->capture_default_str();
  cmd->add_option("--base", o.base_files,
                  "Base texts (JSONL, CSV, TSV or text; repeatable): documents are mixes of "
                  "random windows of their text. Default: Korean and English pseudo-text");
  cmd->add_option("--base-text-field", o.base_fields.text, "Text field of the base files")
      ->capture_default_str();
  cmd->add_option("--base-title-field", o.base_fields.title,
                  "Title field of the base files (titles are cut from the text if none)")
      ->capture_default_str();
  cmd->add_option("--korean-share", o.korean_share,
                  "Pseudo-text: share of documents in Korean (the rest English), 0 to 1")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed; the same seed gives the same bytes")
      ->capture_default_str();
  cmd->add_option("--dup-fraction", o.dup_fraction,
                  "Share of documents in planted clusters (originals included), 0 to 1")
      ->capture_default_str();
  cmd->add_option("--max-cluster-size", o.max_cluster_size,
                  "Largest planted cluster, 2 or more (at most --cluster-window)")
      ->capture_default_str();
  cmd->add_option("--cluster-size-exponent", o.cluster_size_exponent,
                  "Cluster sizes s in [2, max] have probability ~ s^-EXPONENT (0: uniform), 0 to 10")
      ->capture_default_str();
  cmd->add_option("--cluster-window", o.cluster_window,
                  "Clusters are planted within windows of this many consecutive documents")
      ->capture_default_str();
  cmd->add_option("--edit-rate", flags->edit_rate,
                  "MIN:MAX (or one RATE): each copy's edit rate, drawn uniformly; the share of "
                  "words edited, 0 to 1")
      ->capture_default_str();
  cmd->add_option("--edits", flags->edits,
                  "Comma-separated edits copies may get (see below), or all, or none")
      ->capture_default_str();
  cmd->add_option("--chains", o.chains,
                  "Planted chains, spread evenly over the windows, on documents left singletons "
                  "(0: none; the output is then as without this flag)")
      ->capture_default_str();
  cmd->add_option("--chain-length", o.chain_length,
                  "Documents per chain, the head included, 2 to 1000")
      ->capture_default_str();
  cmd->add_option("--chain-edit-rate", flags->chain_edit_rate,
                  "MIN:MAX (or one RATE): each chain step's edit rate, drawn uniformly")
      ->capture_default_str();
  cmd->add_option("--chain-threshold", o.chain_threshold,
                  "Truth of a chain: links within this char:5 Jaccard of the head are in its "
                  "cluster, the rest are singletons, in (0, 1]")
      ->capture_default_str();
  cmd->add_option("--variants", o.variants,
                  "Planted variant clusters (citation-like, see below), spread evenly over the "
                  "windows, on documents left singletons (0: none; the output is then as "
                  "without this flag)")
      ->capture_default_str();
  cmd->add_option("--variant-size", flags->variant_size,
                  "MIN:MAX (or one SIZE): members of each variant cluster, the base included, "
                  "drawn uniformly; 2 <= MIN <= MAX <= --cluster-window")
      ->capture_default_str();
  cmd->add_option("--id-prefix", o.id_prefix, "Ids are PREFIX followed by the document number")
      ->capture_default_str();
  cmd->add_flag("--no-title", flags->no_title, "Write no \"title\" field");
  cmd->add_flag("--no-edit-field", flags->no_edit_field, "Write no \"edit\" field");
  cmd->add_option("-o,--output", flags->output, "Output JSONL file; - is standard output")
      ->capture_default_str();
  cmd->add_option("--threads,-j", o.threads, "Worker threads; 0 = all cores")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", flags->quiet, "Print nothing but errors");
  *run = [flags] { return Run(*flags); };
  return cmd;
}

}  // namespace neardup::cli
