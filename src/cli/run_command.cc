#include "cli/run_command.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "internal/status_macros.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/usage.h"
#include "neardup/io/writer.h"
#include "neardup/dist/mpi.h"
#include "neardup/pipeline.h"
#include "neardup/report/report.h"
#include "neardup/stats.h"
#include "tbb/info.h"

namespace neardup::cli {

absl::Status SpoolOnceReadInputs(PipelineOptions* options, bool every_run,
                                 std::vector<std::unique_ptr<TemporaryFile>>* spooled) {
  // A run reads its inputs more than once (the stop-shingle sample, exact verification, dedup's
  // and the report's second pass), so standard input, pipes, FIFOs and devices are copied to a
  // temporary file first and read from there; their label stays. With more than one MPI rank
  // only standard input is, and only for runs that always read twice (`every_run`: dedup, the
  // report).
  const bool distributed = mpi::Size() > 1;
  for (size_t i = 0; i < options->inputs.size(); ++i) {
    const std::string& input = options->inputs[i];
    if (ReadableTwice(input)) continue;
    if (distributed && (input != "-" || !every_run)) continue;
    const std::string label = input == "-" ? "standard input" : input;
    auto file = SpoolInput(input, label);
    if (!file.ok()) return file.status();
    if (options->input_labels.empty()) options->input_labels = options->inputs;
    options->inputs[i] = (*file)->path();
    spooled->push_back(std::move(file).value());
  }
  return absl::OkStatus();
}

namespace {

constexpr int kMaxWarnings = 20;

// Progress on stderr: on a terminal one line redrawn at most every 0.2 s; with --progress
// elsewhere, a line every 5 s and one at each stage. While reading: percent and ETA when the
// total size is known (plain files; not standard input or compressed files, whose record bytes
// differ from their size on disk), records, MB and records/s; then the stage that runs.
class Progress {
 public:
  Progress(RunFlags::ProgressMode mode, const std::vector<std::string>& inputs)
      : enabled_(mode != RunFlags::ProgressMode::kOff),
        lines_(mode == RunFlags::ProgressMode::kLines),
        start_(std::chrono::steady_clock::now()) {
    if (!enabled_) return;
    for (const std::string& in : inputs) {
      std::error_code ec;
      const bool compressed = absl::EndsWith(in, ".gz") || absl::EndsWith(in, ".zst");
      const auto size = in == "-" || compressed ? 0 : std::filesystem::file_size(in, ec);
      if (in == "-" || compressed || ec) {
        total_bytes_ = 0;
        return;
      }
      total_bytes_ += size;
    }
  }
  void Update(uint64_t records, uint64_t bytes) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(lines_ ? 5000 : 200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::string line = lines_ ? "neardup: reading: " : "\rneardup: reading: ";
    if (total_bytes_ > 0 && bytes <= total_bytes_) {
      absl::StrAppendFormat(&line, "%.0f%%, ", 100.0 * bytes / total_bytes_);
    }
    absl::StrAppendFormat(&line, "%d records, %.1f MB, %.0f records/s", records, bytes / 1e6,
                          secs > 0 ? records / secs : 0.0);
    if (total_bytes_ > 0 && bytes > 0 && bytes <= total_bytes_ && secs >= 1) {
      const double left = secs * static_cast<double>(total_bytes_ - bytes) / bytes;
      absl::StrAppendFormat(&line, ", ETA %d:%02d", static_cast<int>(left) / 60,
                            static_cast<int>(left) % 60);
    }
    if (lines_) {
      std::cerr << line << std::endl;
      return;
    }
    std::cerr << line << "\033[K";
    shown_ = true;
  }
  void Stage(std::string_view stage) {
    if (!enabled_) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (lines_) {
      std::cerr << absl::StrFormat("neardup: %s (%.1f s so far)", std::string(stage), secs)
                << std::endl;
      return;
    }
    std::cerr << absl::StrFormat("\rneardup: %s (%.1f s so far)\033[K", std::string(stage), secs);
    shown_ = true;
  }
  void Clear() {
    if (shown_) std::cerr << "\r\033[K";
    shown_ = false;
  }

 private:
  bool enabled_;
  bool lines_;  // a log: whole lines, no redrawing
  bool shown_ = false;
  uint64_t total_bytes_ = 0;  // 0: unknown
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

// Runs the pipeline with warnings for bad records on stderr; returns the result or an exit code.
// Renders the report in the chosen format into a new output.
absl::Status WriteReport(const ReportData& data, const ReportFlags& report,
                         std::vector<std::unique_ptr<AtomicFile>>* files) {
  auto out = AtomicFile::Create(report.path);
  if (!out.ok()) return out.status();
  absl::Status s =
      (*out)->Write(report.format == "md" ? RenderMarkdown(data) : RenderHtml(data));
  if (s.ok()) files->push_back(std::move(out).value());
  return s;
}

// What the first bad record of a run in which every record was bad suggests about the format.
std::string LikelyFormatMistake(Format format, std::string_view raw) {
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
  while (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t' || raw[0] == '\r' || raw[0] == '\n')) {
    raw.remove_prefix(1);
  }
  const auto starts = [&](char c) { return !raw.empty() && raw[0] == c; };
  if (format == Format::kJsonl && starts('[')) {
    return ". It looks like a JSON array: neardup reads JSON Lines, one object a line "
           "(jq -c '.[]' FILE > FILE.jsonl converts it)";
  }
  if (format == Format::kJsonl && !starts('{') &&
      raw.find(',') != std::string_view::npos) {
    return ". It looks like CSV: --format csv reads it";
  }
  if (format == Format::kCsv && starts('{')) {
    return ". It looks like JSON Lines: --format jsonl reads it";
  }
  return "";
}

struct Ran {
  RunResult result;
  std::vector<std::unique_ptr<TemporaryFile>> spooled;
};


// Runs the pipeline (warnings, rejects and progress on the way), then `write`, the report and the
// stats, and commits every output only once all of them were written.
int RunAndWrite(RunFlags& flags, const std::string& command, const ReportFlags& report,
                const std::string& command_line,
                const std::function<absl::Status(const PipelineOptions&, const RunResult&,
                                                 std::vector<std::unique_ptr<AtomicFile>>*)>&
                    write) {
  const auto start = std::chrono::steady_clock::now();
  PipelineOptions& options = flags.options;
  Ran ran;
  {
    absl::Status s =
        SpoolOnceReadInputs(&options, command == "dedup" || !report.path.empty(), &ran.spooled);
    if (!s.ok()) {
      PrintError(s);
      return kExitFailed;
    }
  }
  // The report says which rule joined each member to its representative: it needs the edges.
  if (!report.path.empty()) options.keep_edges = true;
  int warnings = 0;
  Progress progress(flags.progress, options.inputs);
  std::unique_ptr<AtomicFile> rejects;
  absl::Status rejects_status;
  if (!flags.rejects_path.empty() && neardup::mpi::Rank() == 0) {  // MPI: rank 0 writes
    auto f = AtomicFile::Create(flags.rejects_path);
    if (!f.ok()) {
      PrintError(f.status());
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
  RunCallbacks callbacks;
  std::string first_bad, first_bad_raw;
  callbacks.on_bad_record = [&](const BadRecord& bad) {
    if (first_bad.empty()) {
      first_bad = bad.message;
      first_bad_raw = std::string(bad.raw.substr(0, 256));
    }
    warn("skipped record: " + bad.message);
    if (rejects && rejects_status.ok()) {
      // An oversized record was never read whole: it is copied from its input, piece by piece.
      char last = bad.raw.empty() ? '\0' : bad.raw.back();
      if (bad.oversized) {
        rejects_status = CopyInputBytes(
            options.inputs[static_cast<size_t>(bad.file_index)], bad.start, bad.length,
            [&](std::string_view piece) {
              if (!piece.empty()) last = piece.back();
              return rejects->Write(piece);
            });
      } else {
        rejects_status = rejects->Write(bad.raw);
      }
      if (rejects_status.ok() && last != '\n') rejects_status = rejects->Write("\n");
    }
  };
  callbacks.on_duplicate_id = [&](const std::string& file, uint64_t line, const std::string& id,
                                  const std::string& renamed) {
    warn(absl::StrCat(file, ":", line, ": id \"", id, "\" repeats an earlier record's; this one is \"",
                      renamed, "\" in the outputs"));
  };
  callbacks.on_progress = [&](uint64_t records, uint64_t bytes) { progress.Update(records, bytes); };
  callbacks.on_stage = [&](std::string_view stage) { progress.Stage(stage); };
  auto result = mpi::RunPipelineOnRanks(options, callbacks);
  progress.Clear();
  if (result.ok() && !rejects_status.ok()) result = rejects_status;
  if (!result.ok()) {
    PrintError(result.status());
    return kExitFailed;
  }
  ran.result = std::move(result).value();
  if (!ran.result.writes_outputs) return kExitOk;  // an MPI rank other than 0
  if (ran.result.num_documents() == 0 && ran.result.counts.records_bad > 0) {
    // Every record bad is a file in another format (a JSON array, csv read as jsonl), not data.
    PrintError(absl::InvalidArgumentError(absl::StrCat(
        "every record read was bad (", ran.result.counts.records_bad, "), so nothing was "
        "clustered: is --format right (", std::string(FormatName(options.FormatOf(0))),
        " for the first input)? The first: ", first_bad,
        LikelyFormatMistake(options.FormatOf(0), first_bad_raw))));
    return kExitFailed;
  }
  if (absl::Status fields = flags.CheckFieldsSeen(ran.result); !fields.ok()) {
    PrintError(fields);
    return kExitFailed;
  }
  for (const std::string& w : flags.FieldsPartlySeen(ran.result)) warn(w);

  const auto write_start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<AtomicFile>> files;
  if (rejects) files.push_back(std::move(rejects));
  absl::Status s = write(options, ran.result, &files);
  if (s.ok() && !flags.edges_path.empty()) {
    auto edges = AtomicFile::Create(flags.edges_path);
    s = edges.ok() ? WriteEdges(ran.result, edges->get()) : edges.status();
    if (s.ok()) files.push_back(std::move(edges).value());
  }
  if (s.ok() && !report.path.empty()) {
    ReportSettings settings;
    settings.max_clusters = report.max_clusters;
    settings.extra_fields = report.fields;
    settings.command_line = command_line;
    auto data = CollectReportData(options, ran.result, settings);
    s = data.ok() ? WriteReport(*data, report, &files) : data.status();
  }
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  if (s.ok() && !flags.stats_path.empty()) {
    StatsExtras extras;
    extras.command = command;
    extras.write_seconds = write_seconds;
    extras.total_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    extras.threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
    auto stats = AtomicFile::Create(flags.stats_path);
    s = stats.ok() ? (*stats)->Write(StatsJson(options, ran.result, extras)) : stats.status();
    if (s.ok()) files.push_back(std::move(stats).value());
  }
  // Every output is committed only once all of them were written out (CommitAll).
  if (s.ok()) s = CommitAll(files);
  if (!s.ok()) {
    PrintError(s);
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

void ReportFlags::Add(CLI::App* app) {
  app->add_option("--report", path,
                  "Write a cluster report an editor can read: self-contained HTML (search, "
                  "filters, differences marked) or Markdown");
  app->add_option("--report-format", format, "html or md")
      ->capture_default_str()
      ->check(OneOf({"html", "md"}));
  app->add_option("--report-max-clusters", max_clusters,
                  "Clusters shown in the report, largest first; the rest are counted")
      ->capture_default_str();
  app->add_option("--report-fields", fields,
                  "Input fields shown with each member of the report, e.g. press,date,url "
                  "(JSONL keys or csv/tsv columns)")
      ->delimiter(',');
}

int RunCluster(RunFlags& flags, const std::string& output, const ReportFlags& report,
               const std::string& command_line) {
  return RunAndWrite(flags, "cluster", report, command_line,
                     [&](const PipelineOptions&, const RunResult& result,
                         std::vector<std::unique_ptr<AtomicFile>>* files) -> absl::Status {
                       auto out = AtomicFile::Create(output);
                       if (!out.ok()) return out.status();
                       files->push_back(std::move(out).value());
                       return WriteClusters(result, files->back().get());
                     });
}

int RunDedup(RunFlags& flags, const DedupPaths& paths, const ReportFlags& report,
             const std::string& command_line) {
  // The kept and dropped files hold records as they were read: csv cannot share them with
  // another format (a csv header inside a .jsonl output, JSON lines under a csv header). JSON
  // Lines and text are both one record a line, with no header, and may.
  const PipelineOptions& o = flags.options;
  for (size_t i = 1; i < o.inputs.size(); ++i) {
    if (o.FormatOf(i) != o.FormatOf(0) &&
        (o.FormatOf(i) == Format::kCsv || o.FormatOf(0) == Format::kCsv)) {
      PrintError(absl::InvalidArgumentError(absl::StrCat(
          "dedup writes records as they were read, so a csv input cannot share its outputs with "
          "another format: ",
          o.LabelOf(0), " is ", std::string(FormatName(o.FormatOf(0))), ", ", o.LabelOf(i), " is ",
          std::string(FormatName(o.FormatOf(i))), " (run dedup on each format apart, or give "
          "--format)")));
      return kExitUsage;
    }
  }
  return RunAndWrite(
      flags, "dedup", report, command_line,
      [&](const PipelineOptions& options, const RunResult& result,
          std::vector<std::unique_ptr<AtomicFile>>* files) -> absl::Status {
        AtomicFile* slots[3] = {nullptr, nullptr, nullptr};
        const std::string* targets[3] = {&paths.kept, &paths.dropped, &paths.dropped_map};
        for (int i = 0; i < 3; ++i) {
          if (targets[i]->empty()) continue;
          auto out = AtomicFile::Create(*targets[i]);
          if (!out.ok()) return out.status();
          files->push_back(std::move(out).value());
          slots[i] = files->back().get();
        }
        RETURN_IF_ERROR(WriteDedup(options, result, slots[0], slots[1], slots[2]));
        if (paths.clusters.empty()) return absl::OkStatus();
        auto clusters = AtomicFile::Create(paths.clusters);
        if (!clusters.ok()) return clusters.status();
        files->push_back(std::move(clusters).value());
        return WriteClusters(result, files->back().get());
      });
}

int RunReport(RunFlags& flags, const std::string& clusters_path, const ReportFlags& report,
              const std::string& command_line) {
  std::vector<std::unique_ptr<TemporaryFile>> spooled;
  PipelineOptions& options = flags.options;
  {
    absl::Status s = SpoolOnceReadInputs(&options, true, &spooled);
    if (!s.ok()) {
      PrintError(s);
      return kExitFailed;
    }
  }
  ReportSettings settings;
  settings.max_clusters = report.max_clusters;
  settings.extra_fields = report.fields;
  settings.command_line = command_line;
  auto data = CollectReportDataFromClusters(clusters_path, options, settings);
  if (data.ok() && data->clusters_lines_unmatched > 0 && !flags.quiet) {
    std::cerr << "neardup: warning: " << data->clusters_lines_unmatched << " of the "
              << data->documents << " ids of " << clusters_path
              << " are not in the inputs; the report shows their members as \"text not found\"\n";
  }
  std::vector<std::unique_ptr<AtomicFile>> files;
  absl::Status s = data.ok() ? WriteReport(*data, report, &files) : data.status();
  if (s.ok()) s = files.back()->Commit();
  if (!s.ok()) {
    PrintError(s);
    return kExitFailed;
  }
  if (!flags.quiet && report.path != "-") std::cerr << "neardup: wrote " << report.path << "\n";
  return kExitOk;
}

}  // namespace neardup::cli
