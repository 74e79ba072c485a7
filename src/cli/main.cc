// neardup's command line: turns flags into typed options, calls the library, maps a Status to an
// exit code (0 done, 1 the run failed, 2 bad usage). No algorithm lives here.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "neardup/eval.h"
#include "neardup/io/writer.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"
#include "neardup/stats.h"
#include "neardup_version.h"
#include "tbb/info.h"

namespace {

using neardup::PipelineOptions;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kMaxWarnings = 20;

void Error(const absl::Status& status) { std::cerr << "neardup: error: " << status.message() << "\n"; }

// "default", "none", or a comma list of steps ("nfkc,casefold,whitespace", "default,-aliases").
absl::StatusOr<neardup::NormalizeOptions> ParseNormalizeSteps(const std::string& text) {
  neardup::NormalizeOptions o;
  if (text == "default") return o;
  if (text == "none") {
    o.enabled = false;
    return o;
  }
  const std::vector<std::pair<std::string, bool neardup::NormalizeOptions::*>> steps = {
      {"nfkc", &neardup::NormalizeOptions::nfkc},
      {"casefold", &neardup::NormalizeOptions::casefold},
      {"punct", &neardup::NormalizeOptions::unify_punctuation},
      {"aliases", &neardup::NormalizeOptions::aliases},
      {"tags", &neardup::NormalizeOptions::strip_headline_tags},
      {"boilerplate", &neardup::NormalizeOptions::strip_boilerplate},
      {"whitespace", &neardup::NormalizeOptions::collapse_whitespace}};
  // A list starting with "default" removes steps; otherwise it names the steps to run.
  std::vector<std::string> items = absl::StrSplit(text, ',');
  const bool from_default = !items.empty() && items[0] == "default";
  if (!from_default) {
    for (const auto& [name, member] : steps) o.*member = false;
  }
  for (size_t i = from_default ? 1 : 0; i < items.size(); ++i) {
    std::string item = items[i];
    const bool remove = !item.empty() && item[0] == '-';
    if (remove) item = item.substr(1);
    bool found = false;
    for (const auto& [name, member] : steps) {
      if (name == item) {
        o.*member = !remove;
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          "--normalize: unknown step \"" + item +
          "\" (steps: nfkc, casefold, punct, aliases, tags, boilerplate, whitespace; or "
          "default, none)");
    }
  }
  return o;
}

// "512M", "4G", "1000000" -> bytes.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  std::string unit(end);
  uint64_t scale = 1;
  if (unit == "K" || unit == "k" || unit == "KiB") scale = uint64_t{1} << 10;
  else if (unit == "M" || unit == "MiB") scale = uint64_t{1} << 20;
  else if (unit == "G" || unit == "GiB") scale = uint64_t{1} << 30;
  else if (unit == "T" || unit == "TiB") scale = uint64_t{1} << 40;
  else if (!unit.empty()) scale = 0;
  if (end == text.c_str() || scale == 0 || !(value > 0)) {
    return absl::InvalidArgumentError("--memory-limit: expected a size such as 512M or 4G, got \"" +
                                      text + "\"");
  }
  return static_cast<uint64_t>(value * static_cast<double>(scale));
}

// Flags shared by `cluster` and `dedup`, parsed into strings first and typed in Finalize().
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
  std::string verify = "signature";
  std::string keep = "first";
  std::string cluster = "center";
  int bands = 0;
  int rows = 0;
  std::string stats_path;
  std::string rejects_path;
  bool quiet = false;
  bool progress = false;  // resolved in Finalize(): stderr is a terminal and not --quiet

  void Add(CLI::App* app) {
    app->add_option("inputs", options.inputs,
                    "Input files (JSONL, CSV, TSV or text; .gz and .zst are read transparently); "
                    "- reads standard input")
        ->required();
    app->add_option("--format", format,
                    "Input format: auto (from the file name), jsonl, csv, tsv, text")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "jsonl", "json", "ndjson", "csv", "tsv", "text", "txt"}));
    app->add_option("--id-field", options.fields.id,
                    "Field holding the record id; records without it get FILE:LINE")
        ->capture_default_str();
    app->add_option("--text-field", options.fields.text, "Field holding the body text")
        ->capture_default_str();
    app->add_option("--title-field", options.fields.title,
                    "Field holding the title (headline); a missing field is empty")
        ->capture_default_str();
    app->add_option("--normalize", normalize,
                    "Normalization steps: default (all of nfkc, casefold, punct, aliases, tags, "
                    "boilerplate, whitespace), none (bytes as read; invalid UTF-8 is still "
                    "repaired), or a comma list of steps, where default,-aliases drops one")
        ->capture_default_str();
    app->add_option("--alias-file", options.alias_files,
                    "TSV of extra aliases, from<TAB>to per line (e.g. 尹<TAB>윤); repeatable")
        ->check(CLI::ExistingFile);
    app->add_option("--tag-file", options.tag_files,
                    "Extra headline tags to strip, one per line (e.g. 속보); repeatable")
        ->check(CLI::ExistingFile);
    app->add_option("--algo", algo,
                    "Engine: minhash (MinHash + LSH, the default), simhash (64-bit SimHash, "
                    "permuted tables, --max-hamming), exact (exact Jaccard, prefix-filtered "
                    "all-pairs join; best for headlines and small corpora)")
        ->capture_default_str()
        ->check(CLI::IsMember({"minhash", "simhash", "exact"}));
    app->add_option("--max-hamming", options.max_hamming,
                    "simhash: near-duplicates differ in at most this many of 64 bits (0-8)")
        ->capture_default_str();
    app->add_option("--simhash-weight", simhash_weight,
                    "simhash: shingle weights, tf (term frequency) or binary")
        ->capture_default_str()
        ->check(CLI::IsMember({"tf", "binary"}));
    app->add_option("--memory-limit", memory_limit,
                    "exact: refuse (with a clear message) a join that needs more memory than "
                    "this, e.g. 512M, 4G")
        ->capture_default_str();
    app->add_option("--match", match,
                    "How title and body decide a pair: auto (every field both documents have "
                    "must pass), title, body, both, either")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "title", "body", "both", "either"}));
    app->add_option("--shingle", shingle,
                    "Body shingles: char:K (K code points) or word:K (K space-separated tokens)")
        ->capture_default_str();
    app->add_option("--title-shingle", title_shingle, "Title shingles, as --shingle")
        ->capture_default_str();
    app->add_option("--num-perm", options.num_perm, "MinHash permutations (1-1024)")
        ->capture_default_str();
    app->add_option("--threshold,-t", options.threshold,
                    "Body Jaccard similarity at or above which two bodies are near-duplicates, "
                    "in (0, 1]")
        ->capture_default_str();
    app->add_option("--title-threshold", options.title_threshold,
                    "Title Jaccard similarity at or above which two titles are near-duplicates")
        ->capture_default_str();
    app->add_option("--bands", bands,
                    "LSH bands (with --rows); default: chosen from --threshold so that pairs "
                    "0.05 above it become candidates with probability >= 0.97");
    app->add_option("--rows", rows, "LSH rows per band (with --bands)");
    app->add_option("--title-bands", title_bands, "Title LSH bands (with --title-rows)");
    app->add_option("--title-rows", title_rows, "Title LSH rows per band (with --title-bands)");
    app->add_option("--verify", verify,
                    "signature: a candidate pair becomes an edge only if its estimated Jaccard "
                    "is >= threshold; none: every LSH candidate is an edge")
        ->capture_default_str()
        ->check(CLI::IsMember({"signature", "none"}));
    app->add_option("--max-bucket", options.max_bucket,
                    "LSH buckets with more members are capped (linear, not quadratic, pairs); "
                    "counted in --stats")
        ->capture_default_str();
    app->add_option("--keep", keep,
                    "Representative of a cluster: first (input order), longest, shortest")
        ->capture_default_str()
        ->check(CLI::IsMember({"first", "longest", "shortest"}));
    app->add_option("--cluster", cluster,
                    "center: every member is within the threshold of its representative (no "
                    "chaining); components: connected components (A~B~C joins A and C)")
        ->capture_default_str()
        ->check(CLI::IsMember({"center", "components"}));
    app->add_option("--threads,-j", options.threads, "Worker threads; 0 = all cores")
        ->capture_default_str();
    app->add_option("--stats", stats_path, "Write run statistics (JSON) to this file");
    app->add_option("--rejects", rejects_path,
                    "Write every skipped (bad) record here, byte for byte as read");
    app->add_option("--max-bad", options.max_bad,
                    "Fail (exit 1) once more than this many records were bad; 0 = no limit")
        ->capture_default_str();
    app->add_flag("--strict", options.strict, "Fail (exit 1) at the first bad record");
    app->add_flag("--quiet,-q", quiet, "Print nothing but errors (no warnings, no progress)");
  }

  // Turns the string flags into typed options and validates everything.
  absl::Status Finalize() {
    auto fmt = neardup::ParseFormat(format);
    if (!fmt.ok()) return fmt.status();
    options.format = *fmt;
    auto steps = ParseNormalizeSteps(normalize);
    if (!steps.ok()) return steps.status();
    options.normalize = *steps;
    auto rules = options.BuildNewsRules();
    if (!rules.ok()) return rules.status();
    auto spec = neardup::ShingleSpec::Parse(shingle);
    if (!spec.ok()) return absl::InvalidArgumentError(absl::StrCat("--shingle: ", spec.status().message()));
    options.shingle = *spec;
    spec = neardup::ShingleSpec::Parse(title_shingle);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--title-shingle: ", spec.status().message()));
    }
    options.title_shingle = *spec;
    auto engine = neardup::ParseAlgorithm(algo);
    if (!engine.ok()) return engine.status();
    options.algo = *engine;
    options.simhash_weight =
        simhash_weight == "binary" ? neardup::SimHashWeight::kBinary : neardup::SimHashWeight::kTf;
    auto limit = ParseByteSize(memory_limit);
    if (!limit.ok()) return limit.status();
    options.memory_limit = *limit;
    auto mode = neardup::ParseMatchMode(match);
    if (!mode.ok()) return mode.status();
    options.match = *mode;
    options.verify = verify != "none";
    static const std::map<std::string, neardup::KeepPolicy> kKeep = {
        {"first", neardup::KeepPolicy::kFirst},
        {"longest", neardup::KeepPolicy::kLongest},
        {"shortest", neardup::KeepPolicy::kShortest}};
    options.keep = kKeep.at(keep);
    auto cluster_mode = neardup::ParseClusterMode(cluster);
    if (!cluster_mode.ok()) return cluster_mode.status();
    options.cluster = *cluster_mode;
    if ((bands > 0) != (rows > 0)) {
      return absl::InvalidArgumentError("--bands and --rows go together: give both or neither");
    }
    if (bands > 0) options.lsh = neardup::LshParams{bands, rows};
    if (bands < 0 || rows < 0) return absl::InvalidArgumentError("--bands and --rows must be >= 1");
    if ((title_bands > 0) != (title_rows > 0)) {
      return absl::InvalidArgumentError(
          "--title-bands and --title-rows go together: give both or neither");
    }
    if (title_bands > 0) options.title_lsh = neardup::LshParams{title_bands, title_rows};
    if (title_bands < 0 || title_rows < 0) {
      return absl::InvalidArgumentError("--title-bands and --title-rows must be >= 1");
    }
    for (const std::string& in : options.inputs) {
      if (in != "-" && access(in.c_str(), R_OK) != 0) {
        return absl::InvalidArgumentError(absl::StrCat("cannot read input ", in));
      }
    }
    for (const auto& [flag, path] : {std::pair<const char*, const std::string*>{"--stats", &stats_path},
                                     {"--rejects", &rejects_path}}) {
      if (path->empty()) continue;
      absl::Status s = neardup::CheckOutputPath(*path, flag);
      if (!s.ok()) return s;
    }
    progress = !quiet && isatty(STDERR_FILENO);
    return options.Validate();
  }
};

// A one-line progress display on stderr, redrawn at most every 0.2 s; only on a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void Update(uint64_t records, uint64_t bytes) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::cerr << absl::StrFormat("\rneardup: reading: %d records, %.1f MB, %.0f records/s   ",
                                 records, bytes / 1e6, secs > 0 ? records / secs : 0.0);
    shown_ = true;
  }
  void Clear() {
    if (shown_) std::cerr << "\r\033[K";
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

// Runs the pipeline with warnings for bad records on stderr; returns the result or an exit code.
struct Ran {
  neardup::RunResult result;
  std::unique_ptr<neardup::TemporaryFile> spooled_stdin;
};

int RunAndWrite(RunFlags& flags, const std::string& command,
                const std::function<absl::Status(const PipelineOptions&, const neardup::RunResult&,
                                                 std::vector<std::unique_ptr<neardup::AtomicFile>>*)>&
                    write) {
  const auto start = std::chrono::steady_clock::now();
  PipelineOptions& options = flags.options;
  Ran ran;
  // `dedup` reads its input twice; standard input is kept in a temporary file for that.
  if (command == "dedup") {
    for (size_t i = 0; i < options.inputs.size(); ++i) {
      if (options.inputs[i] != "-") continue;
      auto spooled = neardup::SpoolStandardInput();
      if (!spooled.ok()) {
        Error(spooled.status());
        return kExitFailed;
      }
      ran.spooled_stdin = std::move(spooled).value();
      options.input_labels = options.inputs;
      options.inputs[i] = ran.spooled_stdin->path();
    }
  }
  int warnings = 0;
  Progress progress(flags.progress);
  std::unique_ptr<neardup::AtomicFile> rejects;
  absl::Status rejects_status;
  if (!flags.rejects_path.empty()) {
    auto f = neardup::AtomicFile::Create(flags.rejects_path);
    if (!f.ok()) {
      Error(f.status());
      return kExitFailed;
    }
    rejects = std::move(f).value();
  }
  auto warn = [&](const std::string& message) {
    if (flags.quiet) return;
    progress.Clear();
    if (++warnings <= kMaxWarnings) {
      std::cerr << "neardup: warning: " << message << "\n";
    } else if (warnings == kMaxWarnings + 1) {
      std::cerr << "neardup: warning: more warnings; the counts are in the summary and --stats\n";
    }
  };
  neardup::RunCallbacks callbacks;
  callbacks.on_bad_record = [&](const neardup::BadRecord& bad) {
    warn("skipped record: " + bad.message);
    if (rejects && rejects_status.ok()) {
      rejects_status = rejects->Write(bad.raw);
      if (rejects_status.ok() && (bad.raw.empty() || bad.raw.back() != '\n')) {
        rejects_status = rejects->Write("\n");
      }
    }
  };
  callbacks.on_duplicate_id = [&](const std::string& file, uint64_t line, const std::string& id,
                                  const std::string& renamed) {
    warn(absl::StrCat(file, ":", line, ": id \"", id, "\" repeats an earlier record's; this one is \"",
                      renamed, "\" in the outputs"));
  };
  callbacks.on_progress = [&](uint64_t records, uint64_t bytes) { progress.Update(records, bytes); };
  auto result = neardup::RunPipeline(options, callbacks);
  progress.Clear();
  if (result.ok() && !rejects_status.ok()) result = rejects_status;
  if (!result.ok()) {
    Error(result.status());
    return kExitFailed;
  }
  ran.result = std::move(result).value();

  const auto write_start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<neardup::AtomicFile>> files;
  if (rejects) files.push_back(std::move(rejects));
  absl::Status s = write(options, ran.result, &files);
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  if (s.ok() && !flags.stats_path.empty()) {
    neardup::StatsExtras extras;
    extras.command = command;
    extras.write_seconds = write_seconds;
    extras.total_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    extras.threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
    auto stats = neardup::AtomicFile::Create(flags.stats_path);
    s = stats.ok() ? (*stats)->Write(neardup::StatsJson(options, ran.result, extras))
                   : stats.status();
    if (s.ok()) files.push_back(std::move(stats).value());
  }
  // Every output is committed only once all of them were written.
  for (auto& f : files) {
    if (!s.ok()) break;
    s = f->Commit();
  }
  if (!s.ok()) {
    Error(s);
    return kExitFailed;
  }
  if (!flags.quiet) {
    const auto& c = ran.result.counts;
    std::cerr << absl::StrFormat(
        "neardup: %d records (%d skipped as bad), %d exact and %d near duplicates, %d clusters\n",
        c.records_read, c.records_bad, c.exact_duplicates,
        c.documents - c.clusters - c.exact_duplicates, c.clusters);
    if (c.duplicate_ids > 0) {
      std::cerr << absl::StrFormat("neardup: %d records had an id seen before and were renamed ID#N\n",
                                   c.duplicate_ids);
    }
    for (auto& f : files) {
      if (f->path() != "-") std::cerr << "neardup: wrote " << f->path() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "neardup: finds exact and near-duplicate documents and groups them into clusters.\n"
      "Documents are normalized (NFKC, case folding, white space), cut into shingles, signed "
      "with MinHash, bucketed with LSH, verified, and clustered."};
  app.set_version_flag("--version", NEARDUP_VERSION);
  app.require_subcommand(1);
  app.footer("Run `neardup SUBCOMMAND --help` for a subcommand's options.\n"
             "Exit status: 0 done, 1 the run failed, 2 bad usage.");

  RunFlags cluster_flags;
  std::string cluster_out = "-";
  CLI::App* cluster = app.add_subcommand(
      "cluster", "Assign every record to a cluster; writes one JSON line per record");
  cluster_flags.Add(cluster);
  cluster->add_option("-o,--output", cluster_out,
                      "Cluster file (JSONL: id, cluster, representative, similarity); - is "
                      "standard output")
      ->capture_default_str();

  RunFlags dedup_flags;
  std::string kept_out, dropped_out, map_out;
  CLI::App* dedup = app.add_subcommand(
      "dedup", "Keep one record per cluster; writes kept records byte for byte as read");
  dedup_flags.Add(dedup);
  dedup->add_option("-o,--output", kept_out, "Kept records, in the input's format and order")
      ->required();
  dedup->add_option("--dropped", dropped_out, "Dropped records, in the input's format and order");
  dedup->add_option("--dropped-map", map_out,
                    "JSONL: for each dropped record, the representative it duplicates");

  neardup::EvalFiles eval_files;
  bool eval_json = false;
  CLI::App* eval = app.add_subcommand(
      "eval", "Score a cluster file against labelled clusters (pairwise P/R/F1, ARI)");
  eval->add_option("predicted", eval_files.predicted_path, "Cluster file from `neardup cluster`")
      ->required();
  eval->add_option("--truth", eval_files.truth_path, "JSONL with the true cluster labels")
      ->required();
  eval->add_option("--truth-field", eval_files.truth_field, "Field holding the true label")
      ->required();
  eval->add_option("--id-field", eval_files.id_field, "Id field of the truth file")
      ->capture_default_str();
  eval->add_flag("--json", eval_json, "Print one JSON object");

  neardup::RemoveTemporaryFilesOnSignals();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (cluster->parsed() || dedup->parsed()) {
    RunFlags& flags = cluster->parsed() ? cluster_flags : dedup_flags;
    absl::Status s = flags.Finalize();
    std::vector<std::pair<std::string, std::string>> outputs;
    if (cluster->parsed()) {
      outputs = {{"--output", cluster_out}};
    } else {
      outputs = {{"--output", kept_out}, {"--dropped", dropped_out}, {"--dropped-map", map_out}};
    }
    for (const auto& [flag, path] : outputs) {
      if (s.ok() && !path.empty()) s = neardup::CheckOutputPath(path, flag);
    }
    if (!s.ok()) {
      Error(s);
      return kExitUsage;
    }
    if (cluster->parsed()) {
      return RunAndWrite(flags, "cluster",
                         [&](const PipelineOptions&, const neardup::RunResult& result,
                             std::vector<std::unique_ptr<neardup::AtomicFile>>* files) {
                           auto out = neardup::AtomicFile::Create(cluster_out);
                           if (!out.ok()) return out.status();
                           files->push_back(std::move(out).value());
                           return neardup::WriteClusters(result, files->back().get());
                         });
    }
    return RunAndWrite(
        flags, "dedup",
        [&](const PipelineOptions& options, const neardup::RunResult& result,
            std::vector<std::unique_ptr<neardup::AtomicFile>>* files) -> absl::Status {
          neardup::AtomicFile* slots[3] = {nullptr, nullptr, nullptr};
          const std::string* paths[3] = {&kept_out, &dropped_out, &map_out};
          for (int i = 0; i < 3; ++i) {
            if (paths[i]->empty()) continue;
            auto out = neardup::AtomicFile::Create(*paths[i]);
            if (!out.ok()) return out.status();
            files->push_back(std::move(out).value());
            slots[i] = files->back().get();
          }
          return neardup::WriteDedup(options, result, slots[0], slots[1], slots[2]);
        });
  }

  if (eval->parsed()) {
    auto r = neardup::EvaluateFiles(eval_files);
    if (!r.ok()) {
      Error(r.status());
      return kExitFailed;
    }
    if (eval_json) {
      std::cout << absl::StrFormat(
          "{\"pair_precision\": %.6f, \"pair_recall\": %.6f, \"pair_f1\": %.6f, \"ari\": %.6f, "
          "\"n\": %d}\n",
          r->pair_precision, r->pair_recall, r->pair_f1, r->ari, r->n);
    } else {
      std::cout << absl::StrFormat(
          "records matched   %d\ntrue pairs        %d\npredicted pairs   %d\ncommon pairs      %d\n"
          "pair precision    %.4f\npair recall       %.4f\npair F1           %.4f\n"
          "adjusted Rand     %.4f\n",
          r->n, r->true_pairs, r->predicted_pairs, r->common_pairs, r->pair_precision,
          r->pair_recall, r->pair_f1, r->ari);
    }
    return kExitOk;
  }
  return kExitUsage;
}
