#include "cli/index_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/run_command.h"
#include "cli/run_flags.h"
#include "cli/usage.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "neardup/cluster/stories.h"
#include "neardup/index/index.h"
#include "neardup/io/writer.h"

namespace neardup::cli {
namespace {

// Flags a call may set differently from the index's creation: how it runs, not what it finds.
const std::set<std::string>& RunTimeFlags() {
  static const std::set<std::string> flags = {"--threads",   "--quiet",    "--progress",
                                              "--memory-limit", "--temp-dir", "--max-bad",
                                              "--strict",    "--max-record-bytes"};
  return flags;
}
// Cluster flags that make no sense for an index (outputs of one run; stories).
bool NotForIndex(const std::string& name) {
  return name == "--stats" || name == "--edges" || name == "--rejects" || name == "--stories" ||
         name.rfind("--story-", 0) == 0;
}

// The tokens that give option `o` its value(s) again: "--name" for a flag, "--name VALUE" per
// value otherwise.
std::vector<std::string> OptionTokens(const CLI::Option& o) {
  std::vector<std::string> out;
  if (o.get_items_expected_max() == 0) {
    for (size_t i = 0; i < o.count(); ++i) out.push_back(o.get_name());
    return out;
  }
  for (const std::string& v : o.results()) {
    out.push_back(o.get_name());
    out.push_back(v);
  }
  return out;
}

// Options given on `app`, by name (positionals and --help aside).
std::map<std::string, std::vector<std::string>> GivenOptions(const CLI::App& app) {
  std::map<std::string, std::vector<std::string>> out;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional() || o->count() == 0 || o->get_name() == "--help") continue;
    out[o->get_name()] = OptionTokens(*o);
  }
  return out;
}

// The cluster flags `tokens` and inputs, parsed and checked as `cluster` does.
struct ParsedRun {
  PipelineOptions options;
  bool quiet = false;
};
absl::StatusOr<ParsedRun> ParseRun(const std::vector<std::string>& tokens,
                                   const std::vector<std::string>& inputs) {
  CLI::App app{"neardup index"};
  RunFlags flags;
  flags.Add(&app);
  std::vector<std::string> args = {"neardup"};
  args.insert(args.end(), tokens.begin(), tokens.end());
  args.push_back("--");
  args.insert(args.end(), inputs.begin(), inputs.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(ParseErrorMessage(&app, e));
  }
  RETURN_IF_ERROR(flags.Finalize());
  ParsedRun out;
  out.options = flags.options;
  out.quiet = flags.quiet;
  RETURN_IF_ERROR(CheckIndexOptions(out.options));
  return out;
}

// What the subcommands share: DIR, the cluster flags (to refuse the fixed ones), the outputs.
struct Sub {
  CLI::App* app = nullptr;
  RunFlags flags;
  std::string dir;
};

void AddDir(Sub* sub) {
  sub->app->add_option("dir", sub->dir, "The index directory")->required();
}

// The options of a call on an index: the creation's, with this call's run-time flags; any other
// cluster flag given must repeat the creation's value.
absl::StatusOr<ParsedRun> CallOptions(const Sub& sub, const IndexSettings& settings,
                                      const std::string& command) {
  std::map<std::string, std::vector<std::string>> fixed;
  {
    // The creation's tokens by option.
    CLI::App app{"stored"};
    RunFlags flags;
    flags.Add(&app);
    std::vector<std::string> args = {"neardup"};
    args.insert(args.end(), settings.option_args.begin(), settings.option_args.end());
    args.push_back("--");
    args.push_back("-");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      return absl::DataLossError(absl::StrCat(sub.dir, ": the index's options do not parse: ",
                                              ParseErrorMessage(&app, e)));
    }
    fixed = GivenOptions(app);
  }
  std::vector<std::string> tokens = settings.option_args;
  for (const auto& [name, given] : GivenOptions(*sub.app)) {
    if (name == "--output" || name == "--dropped-new" || name == "--kept-new") continue;
    if (RunTimeFlags().count(name) > 0) {
      tokens.insert(tokens.end(), given.begin(), given.end());
      continue;
    }
    if (NotForIndex(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " does not apply to `index ", command, "`"));
    }
    auto it = fixed.find(name);
    if (it == fixed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          sub.dir, " was created without ", name, " (its default), and an index's options are "
          "fixed when it is created: drop ", absl::StrJoin(given, " "), " from `index ", command,
          "` (or make a new index with it)"));
    }
    if (it->second != given) {
      return absl::InvalidArgumentError(absl::StrCat(
          sub.dir, " was created with ", absl::StrJoin(it->second, " "), ", and an index's "
          "options are fixed when it is created: drop ", absl::StrJoin(given, " "), " from `index ",
          command, "` (or make a new index with it)"));
    }
  }
  return ParseRun(tokens, sub.flags.options.inputs);
}

void AppendAssignment(const IndexAssignment& a, bool query, std::string* line) {
  line->assign("{\"id\":");
  internal::AppendJsonString(line, a.id);
  line->append(",\"cluster\":");
  if (a.cluster.empty()) {
    line->append("null");
  } else {
    internal::AppendJsonString(line, a.cluster);
  }
  if (!query) line->append(a.representative ? ",\"representative\":true" : ",\"representative\":false");
  line->append(",\"similarity\":");
  if (query && a.cluster.empty()) {
    line->append("null");
  } else {
    internal::AppendJsonNumber(line, a.similarity);
  }
  line->append(",\"cluster_size\":");
  line->append(std::to_string(a.cluster_size));
  line->append(",\"matched\":");
  if (a.matched.empty()) {
    line->append("null");
  } else {
    internal::AppendJsonString(line, a.matched);
  }
  if (!query) line->append(a.matched_earlier ? ",\"earlier\":true" : ",\"earlier\":false");
  line->append("}\n");
}

// Warnings for bad records and renamed ids, as `cluster` prints them (the first few).
RunCallbacks WarningCallbacks(bool quiet, int* warnings) {
  RunCallbacks callbacks;
  auto warn = [quiet, warnings](const std::string& message) {
    if (quiet) return;
    if (++*warnings <= 20) {
      std::cerr << "neardup: warning: " << message << "\n";
    } else if (*warnings == 21) {
      std::cerr << "neardup: warning: more warnings\n";
    }
  };
  callbacks.on_bad_record = [warn](const BadRecord& bad) { warn("skipped record: " + bad.message); };
  callbacks.on_duplicate_id = [warn](const std::string& file, uint64_t line, const std::string& id,
                                     const std::string& renamed) {
    warn(absl::StrCat(file.empty() ? "" : absl::StrCat(file, ":", line, ": "), "id \"", id,
                      "\" repeats an earlier document's; this one is \"", renamed, "\""));
  };
  return callbacks;
}

int Fail(const absl::Status& status) {
  PrintError(status);
  return absl::IsInvalidArgument(status) && status.message().find("fixed when") !=
                                                   std::string::npos
             ? kExitUsage
             : kExitFailed;
}

struct IndexCommand {
  CLI::App* app = nullptr;
  Sub create, add, query, remove, stats;
  std::string output = "-";
  std::string kept_new, dropped_new;
  std::string query_output = "-";
  std::string ids_file, before, date_field;
  bool stats_json = true;

  void Add(CLI::App* parent) {
    app = parent->add_subcommand(
        "index", "A persistent index: add documents day by day, query new ones against it");
    app->require_subcommand(1);
    create.app = app->add_subcommand(
        "create", "Make an index in DIR with the cluster options it keeps for good");
    AddDir(&create);
    create.flags.Add(create.app);
    create.app->get_option("inputs")->required(false)->description(
        "(none: documents are added with `index add`)");
    add.app = app->add_subcommand(
        "add", "Add records to the index (one atomic commit) and say which cluster each joins");
    AddDir(&add);
    add.flags.Add(add.app);
    add.app->add_option("-o,--output", output,
                        "Assignments (JSONL, one line per added record: id, cluster, "
                        "representative, similarity, cluster_size, matched, earlier); - is "
                        "standard output")
        ->capture_default_str();
    add.app->add_option("--kept-new", kept_new,
                        "The added records that start a new cluster, byte for byte as read");
    add.app->add_option("--dropped-new", dropped_new,
                        "The added records that joined a cluster, byte for byte as read");
    query.app = app->add_subcommand(
        "query", "For each record, the cluster of the index it would join (read-only)");
    AddDir(&query);
    query.flags.Add(query.app);
    query.app->add_option("-o,--output", query_output,
                          "Matches (JSONL per record: id, cluster, similarity, cluster_size, "
                          "matched; null when it would join none); - is standard output")
        ->capture_default_str();
    remove.app = app->add_subcommand(
        "remove", "Remove documents from the index: by id, or those dated before a day");
    AddDir(&remove);
    remove.app->add_option("--ids", ids_file, "A file of ids to remove, one per line");
    remove.app->add_option("--before", before,
                           "Remove the documents dated before this (ISO 8601, 2025.02.04, "
                           "20250204, epoch seconds); needs --date-field");
    remove.app->add_option("--date-field", date_field,
                           "The date field, as given to `index create --date-field`");
    stats.app = app->add_subcommand("stats", "The index's documents, clusters, days, bytes and "
                                             "options (JSON)");
    AddDir(&stats);
  }

  int RunCreate() {
    const auto given = GivenOptions(*create.app);
    if (!create.flags.options.inputs.empty()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "index create takes no input files (", create.flags.options.inputs[0],
          "); add them with `neardup index add ", create.dir, " FILE...`")));
    }
    IndexSettings settings;
    for (const auto& [name, tokens] : given) {
      if (RunTimeFlags().count(name) > 0) continue;
      if (name == "--date-field") {
        settings.date_field = create.flags.options.fields.date;
        continue;
      }
      if (NotForIndex(name)) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat(name, " does not apply to `index create`")));
      }
      settings.option_args.insert(settings.option_args.end(), tokens.begin(), tokens.end());
    }
    auto parsed = ParseRun(settings.option_args, {"-"});
    if (!parsed.ok()) {
      PrintError(parsed.status());
      return kExitUsage;
    }
    if (absl::Status s = Index::Create(create.dir, settings); !s.ok()) return Fail(s);
    return kExitOk;
  }

  int RunAdd() {
    auto index = Index::Open(add.dir, Index::Mode::kWrite);
    if (!index.ok()) return Fail(index.status());
    auto parsed = CallOptions(add, (*index)->settings(), "add");
    if (!parsed.ok()) {
      PrintError(parsed.status());
      return kExitUsage;
    }
    PipelineOptions& options = parsed->options;
    if (absl::Status s = CheckOutputs({{"--output", output},
                                       {"--kept-new", kept_new},
                                       {"--dropped-new", dropped_new}},
                                      options.inputs);
        !s.ok()) {
      PrintError(s);
      return kExitUsage;
    }
    std::vector<std::unique_ptr<TemporaryFile>> spooled;
    if (absl::Status s = SpoolOnceReadInputs(&options, true, &spooled); !s.ok()) return Fail(s);
    int warnings = 0;
    const RunCallbacks callbacks = WarningCallbacks(parsed->quiet, &warnings);
    auto result = (*index)->Add(options, callbacks, [&](const IndexAddResult& r) -> absl::Status {
      std::vector<std::unique_ptr<AtomicFile>> files;
      ASSIGN_OR_RETURN(auto out, AtomicFile::Create(output));
      std::string line;
      for (const IndexAssignment& a : r.assignments) {
        AppendAssignment(a, false, &line);
        RETURN_IF_ERROR(out->Write(line));
      }
      files.push_back(std::move(out));
      AtomicFile* kept = nullptr;
      AtomicFile* dropped = nullptr;
      if (!kept_new.empty()) {
        ASSIGN_OR_RETURN(auto f, AtomicFile::Create(kept_new));
        files.push_back(std::move(f));
        kept = files.back().get();
      }
      if (!dropped_new.empty()) {
        ASSIGN_OR_RETURN(auto f, AtomicFile::Create(dropped_new));
        files.push_back(std::move(f));
        dropped = files.back().get();
      }
      if (kept != nullptr || dropped != nullptr) {
        RETURN_IF_ERROR(WriteDedup(options, r.new_records, kept, dropped, nullptr));
      }
      return CommitAll(files);
    });
    if (!result.ok()) {
      PrintError(result.status());
      std::cerr << "neardup: the index is as it was before this add\n";
      return kExitFailed;
    }
    if (!parsed->quiet) {
      uint64_t joined = 0, leads = 0;
      for (const IndexAssignment& a : result->assignments) {
        joined += a.matched_earlier ? 1 : 0;
        leads += a.representative ? 1 : 0;
      }
      std::cerr << "neardup: added " << result->assignments.size() << " documents: " << joined
                << " joined earlier clusters, " << leads << " new clusters; "
                << result->records_bad << " bad records skipped; " << result->earlier_reached
                << " earlier documents re-read\n";
    }
    return kExitOk;
  }

  int RunQuery() {
    auto index = Index::Open(query.dir, Index::Mode::kRead);
    if (!index.ok()) return Fail(index.status());
    auto parsed = CallOptions(query, (*index)->settings(), "query");
    if (!parsed.ok()) {
      PrintError(parsed.status());
      return kExitUsage;
    }
    PipelineOptions& options = parsed->options;
    if (absl::Status s = CheckOutputs({{"--output", query_output}}, options.inputs); !s.ok()) {
      PrintError(s);
      return kExitUsage;
    }
    std::vector<std::unique_ptr<TemporaryFile>> spooled;
    if (absl::Status s = SpoolOnceReadInputs(&options, true, &spooled); !s.ok()) return Fail(s);
    int warnings = 0;
    auto result = (*index)->Query(options, WarningCallbacks(parsed->quiet, &warnings));
    if (!result.ok()) return Fail(result.status());
    auto out = AtomicFile::Create(query_output);
    if (!out.ok()) return Fail(out.status());
    std::string line;
    for (const IndexAssignment& a : *result) {
      AppendAssignment(a, true, &line);
      if (absl::Status s = (*out)->Write(line); !s.ok()) return Fail(s);
    }
    if (absl::Status s = (*out)->Commit(); !s.ok()) return Fail(s);
    return kExitOk;
  }

  int RunRemove() {
    if (ids_file.empty() == before.empty()) {
      PrintError(absl::InvalidArgumentError(
          "index remove: give either --ids FILE or --before DATE --date-field NAME"));
      return kExitUsage;
    }
    std::vector<std::string> ids;
    std::optional<int64_t> cutoff;
    if (!ids_file.empty()) {
      if (!date_field.empty()) {
        PrintError(absl::InvalidArgumentError("index remove: --date-field goes with --before"));
        return kExitUsage;
      }
      std::ifstream in(ids_file);
      if (!in) {
        PrintError(absl::NotFoundError(absl::StrCat("cannot read --ids ", ids_file)));
        return kExitFailed;
      }
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) ids.push_back(line);
      }
    } else {
      cutoff = ParseStoryDate(before);
      if (!cutoff) {
        PrintError(absl::InvalidArgumentError(absl::StrCat(
            "--before \"", before, "\" is not a date (ISO 8601, 2025.02.04, 20250204, epoch "
            "seconds)")));
        return kExitUsage;
      }
      if (date_field.empty()) {
        PrintError(absl::InvalidArgumentError("--before needs --date-field NAME"));
        return kExitUsage;
      }
    }
    auto index = Index::Open(remove.dir, Index::Mode::kWrite);
    if (!index.ok()) return Fail(index.status());
    uint64_t skipped = 0;
    absl::StatusOr<uint64_t> removed;
    if (cutoff) {
      const std::string& field = (*index)->settings().date_field;
      if (field != date_field) {
        PrintError(absl::InvalidArgumentError(
            field.empty()
                ? absl::StrCat(remove.dir, " keeps no dates (it was created without "
                               "--date-field), so it cannot remove by date; use --ids")
                : absl::StrCat(remove.dir, " keeps the dates of field \"", field, "\", not \"",
                               date_field, "\"")));
        return kExitUsage;
      }
      removed = (*index)->RemoveBefore(*cutoff, &skipped);
    } else {
      removed = (*index)->RemoveIds(ids, &skipped);
    }
    if (!removed.ok()) {
      PrintError(removed.status());
      std::cerr << "neardup: the index is as it was before this remove\n";
      return kExitFailed;
    }
    std::cerr << "neardup: removed " << *removed << " documents"
              << (cutoff ? absl::StrCat("; ", skipped, " without a date kept")
                         : absl::StrCat("; ", skipped, " ids not in the index"))
              << "\n";
    return kExitOk;
  }

  int RunStats() {
    auto index = Index::Open(stats.dir, Index::Mode::kRead);
    if (!index.ok()) return Fail(index.status());
    auto s = (*index)->Stats();
    if (!s.ok()) return Fail(s.status());
    std::string out = "{";
    auto field = [&](const char* name, uint64_t v) {
      absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", name, "\":", v);
    };
    field("documents", s->documents);
    field("clusters", s->clusters);
    field("adds", s->adds);
    field("days", s->dated_days);
    field("removed", s->removed);
    field("bytes_on_disk", s->used_bytes);
    absl::StrAppend(&out, ",\"bytes_per_document\":");
    internal::AppendJsonNumber(
        &out, s->documents > 0 ? static_cast<double>(s->used_bytes) / s->documents : 0.0);
    field("band_entries", s->band_entries);
    field("band_segments", s->band_segments);
    field("text_bytes", s->text_bytes);
    absl::StrAppend(&out, ",\"date_field\":");
    internal::AppendJsonString(&out, s->settings.date_field);
    absl::StrAppend(&out, ",\"options\":[");
    for (size_t i = 0; i < s->settings.option_args.size(); ++i) {
      if (i > 0) out.push_back(',');
      internal::AppendJsonString(&out, s->settings.option_args[i]);
    }
    absl::StrAppend(&out, "]}\n");
    std::cout << out;
    return kExitOk;
  }

  int Run() {
    if (create.app->parsed()) return RunCreate();
    if (add.app->parsed()) return RunAdd();
    if (query.app->parsed()) return RunQuery();
    if (remove.app->parsed()) return RunRemove();
    return RunStats();
  }
};

}  // namespace

CLI::App* AddIndexCommand(CLI::App* app, std::function<int()>* run) {
  static IndexCommand command;  // lives as long as the parsed app
  command.Add(app);
  *run = [] { return command.Run(); };
  return command.app;
}

}  // namespace neardup::cli
