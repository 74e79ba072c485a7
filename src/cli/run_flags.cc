#include "cli/run_flags.h"

#include <array>

#include <algorithm>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/usage.h"
#include "internal/suggest.h"
#include "neardup/io/writer.h"
#include "neardup/sketch/engine.h"

namespace neardup::cli {

void PrintError(const absl::Status& status) {
  std::cerr << "neardup: error: " << status.message() << "\n";
}

// "default", "none", or a comma list of steps ("nfkc,casefold,whitespace", "default,-aliases").
absl::StatusOr<NormalizeOptions> ParseNormalizeSteps(const std::string& text) {
  absl::StatusOr<NormalizeOptions> o = neardup::ParseNormalizeSteps(text);  // normalize.h
  if (o.ok()) return o;
  // The library names the unknown step; the CLI adds the closest name.
  const std::vector<std::string> names = {"default", "none",    "markup",      "nfkc",
                                          "casefold", "punct",  "aliases",     "tags",
                                          "boilerplate", "whitespace", "repair-only"};
  std::string hint;
  for (const std::string& piece : std::vector<std::string>(absl::StrSplit(text, ','))) {
    std::string item = piece;
    if (!item.empty() && item[0] == '-') item = item.substr(1);
    if (std::find(names.begin(), names.end(), item) == names.end()) {
      hint = internal::DidYouMean(item, names);
      break;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--normalize: ", std::string(o.status().message()), hint));
}

// "512M", "4G", "2GB", "2GiB", "2g", "1.5 G", "1000000" -> bytes. Multiples are binary whatever
// the spelling (K, KB, KiB = 1024 bytes), case aside, as the help says.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text, const std::string& flag) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(flag + ": \"" + text + "\" is not a size" + why +
                                      "; give e.g. 512M, 4G or 1000000 (binary multiples: G = "
                                      "GB = GiB = 2^30 bytes)");
  };
  // A plain decimal number: strtod alone would take "-1", " 5", "inf", "nan" and "0x10".
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) {
    return bad(!text.empty() && text[0] == '-' ? " (it is negative)" : "");
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || text.find_first_of("xXpP") != std::string::npos) return bad("");
  std::string unit(end);
  unit.erase(0, unit.find_first_not_of(' '));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, int> kUnits[] = {
      {"", 0},    {"b", 0},    {"k", 10},  {"kb", 10},   {"kib", 10}, {"m", 20},
      {"mb", 20}, {"mib", 20}, {"g", 30},  {"gb", 30},   {"gib", 30}, {"t", 40},
      {"tb", 40}, {"tib", 40}};
  int shift = -1;
  for (const auto& [name, bits] : kUnits) {
    if (unit == name) shift = bits;
  }
  if (shift < 0) return bad("");
  const double bytes = value * static_cast<double>(uint64_t{1} << shift);
  if (!(bytes >= 1)) return bad(" (it is below 1 byte)");
  if (bytes >= 18446744073709551616.0) return bad(" (it is too large)");
  return static_cast<uint64_t>(bytes);
}

void RunFlags::Add(CLI::App* app) {
  AddInputFlags(app);
  AddEngineFlags(app);
  AddMatchFlags(app);
  AddStoryFlags(app);
  AddRunFlags(app);
}

// Inputs: files, format, fields, normalization and its tables.
void RunFlags::AddInputFlags(CLI::App* app) {
  app->add_option("inputs", options.inputs,
                  "Input files (JSONL, CSV, TSV or text; .gz and .zst are read transparently); "
                  "- reads standard input")
      ->required();
  app->add_option("--format", format,
                  "Input format: auto (from the file name), jsonl, csv, tsv, text")
      ->capture_default_str()
      ->check(OneOf({"auto", "jsonl", "json", "ndjson", "csv", "tsv", "text", "txt"}));
  field_options[0] =
      app->add_option("--id-field", options.fields.id,
                      "Field holding the record id; records without it get FILE:LINE (a given "
                      "name that no record has is an error)")
          ->capture_default_str();
  field_options[2] = app->add_option("--text-field", options.fields.text,
                                     "Field holding the body text (a given name that no record "
                                     "has is an error)")
                         ->capture_default_str();
  field_options[1] = app->add_option("--title-field", options.fields.title,
                                     "Field holding the title (headline); a missing field is "
                                     "empty (a given name that no record has is an error)")
                         ->capture_default_str();
  AddNormalizeFlags(app);
}

// Normalization and its tables (also `report`'s, which must normalize as the run did).
void RunFlags::AddNormalizeFlags(CLI::App* app) {
  app->add_option("--normalize", normalize,
                  "Normalization steps: default (all of markup, nfkc, casefold, punct, aliases, "
                  "tags, boilerplate, whitespace; markup: HTML tags removed, &quot;-style "
                  "references decoded), none (bytes as read; invalid UTF-8 is still repaired, "
                  "markup stays), or a comma list of steps, where default,-markup drops one")
      ->capture_default_str();
  app->add_option("--alias-file", options.alias_files,
                  "TSV of extra aliases, from<TAB>to per line (e.g. 尹<TAB>윤); repeatable")
      ->check(CLI::ExistingFile);
  app->add_option("--tag-file", options.tag_files,
                  "Extra headline tags to strip, one per line (e.g. 속보); repeatable")
      ->check(CLI::ExistingFile);
}

// The engine and the memory it may use.
void RunFlags::AddEngineFlags(CLI::App* app) {
  app->add_option("--algo", algo,
                  "Engine: minhash (MinHash + LSH, the default), simhash (64-bit SimHash, "
                  "permuted tables, --max-hamming), exact (exact Jaccard, prefix-filtered "
                  "all-pairs join; best for headlines and small corpora)")
      ->capture_default_str()
      ->check(OneOf({"minhash", "simhash", "exact"}));
  app->add_option("--max-hamming", options.max_hamming,
                  "simhash: near-duplicates differ in at most this many of 64 bits (0-8)")
      ->capture_default_str();
  app->add_option("--simhash-weight", simhash_weight,
                  "simhash: shingle weights, tf (term frequency) or binary")
      ->capture_default_str()
      ->check(OneOf({"tf", "binary"}));
  app->add_option("--memory-limit", memory_limit,
                  "minhash: LSH band keys (16 bytes a document per band) that do not fit in "
                  "this are sorted in runs on disk, in --temp-dir, and merged; exact: refuse "
                  "(with a clear message) a join that needs more memory than this. E.g. 512M, "
                  "4G (binary multiples: G = GB = GiB = 2^30 bytes, M = 2^20; case aside)")
      ->capture_default_str();
  app->add_option("--temp-dir", options.temp_dir,
                  "Directory for spilled band keys (unnamed files, gone when the run ends; 12 "
                  "bytes a document per band being sorted). Default: $TMPDIR, else /tmp");
}

// What makes two documents near-duplicates, and how they cluster.
void RunFlags::AddMatchFlags(CLI::App* app) {
  app->add_option("--match", match,
                  "How title and body decide a pair: auto (every field both documents have "
                  "must pass), title, body, both, either")
      ->capture_default_str()
      ->check(OneOf({"auto", "title", "body", "both", "either"}));
  app->add_option("--shingle", shingle,
                  "Body shingles: char:K (K code points, spaces skipped), char:K+spaces, or word:K (K "
                  "space-separated tokens)")
      ->capture_default_str();
  app->add_option("--title-shingle", title_shingle, "Title shingles, as --shingle")
      ->capture_default_str();
  app->add_option("--num-perm", options.num_perm, "MinHash permutations (1-1024)")
      ->capture_default_str();
  app->add_option("--minhash-scheme", minhash_scheme,
                  "How MinHash signatures are computed: oph (one permutation with optimal "
                  "densification: one hash per shingle, fast, as accurate from ~100 shingles "
                  "on), permutations (num-perm hashes per shingle), or auto (permutations for "
                  "titles, which are short, oph for bodies)")
      ->capture_default_str()
      ->check(OneOf({"auto", "oph", "permutations"}));
  threshold_option = app->add_option("--threshold,-t", options.threshold,
                  "Body similarity (--similarity) at or above which two bodies are "
                  "near-duplicates, in (0, 1]; 0.9 with --similarity containment")
      ->capture_default_str();
  app->add_option("--title-threshold", options.title_threshold,
                  "Title Jaccard similarity at or above which two titles are near-duplicates")
      ->capture_default_str();
  app->add_option("--bands", bands,
                  "LSH bands (with --rows); default: chosen from --threshold so that a pair at "
                  "the threshold becomes a candidate with probability >= 0.99 (see `neardup "
                  "plan`)");
  app->add_option("--rows", rows, "LSH rows per band (with --bands)");
  app->add_option("--title-bands", title_bands, "Title LSH bands (with --title-rows)");
  app->add_option("--title-rows", title_rows, "Title LSH rows per band (with --title-bands)");
  app->add_option("--verify", verify,
                  "How a candidate pair becomes an edge: auto (exact for every pair whose "
                  "MinHash estimate is within 0.12 of a threshold, by the estimate beyond; "
                  "exact with simhash), exact (the exact similarity of the two "
                  "documents' shingle sets, re-read for candidate documents only, within "
                  "--memory-limit), signature (the similarity estimated from the sketches; "
                  "faster, misses pairs near the threshold), none (every candidate is an edge)")
      ->capture_default_str()
      ->check(OneOf({"auto", "exact", "signature", "none"}));
  app->add_option("--similarity", similarity,
                  "Per-field similarity: jaccard (|A and B| / |A or B|) or containment "
                  "(|A and B| / the smaller set: a truncated copy scores by how much of it is "
                  "inside the original; default --threshold 0.9 with it)")
      ->capture_default_str()
      ->check(OneOf({"jaccard", "containment"}));
  app->add_option("--min-body-shingles", options.min_body_shingles,
                  "--match auto: two documents whose bodies both have at least this many "
                  "shingles are judged by their bodies alone, whatever their headlines; shorter "
                  "texts need every field both have to pass")
      ->capture_default_str();
  app->add_option("--max-shingle-df", options.max_shingle_df,
                  "Leave out of sketches the shingles found in more than this share of the "
                  "first --df-sample documents (boilerplate); 1 = off; needs 1,000+ documents")
      ->capture_default_str();
  app->add_option("--df-sample", options.df_sample,
                  "Documents read by the stop-shingle pass (--max-shingle-df)")
      ->capture_default_str();
  app->add_option("--max-record-bytes", options.max_record_bytes,
                  "Records longer than this many bytes are skipped as bad, never read whole "
                  "(default 64 MiB)")
      ->capture_default_str();
  app->add_option("--max-bucket", options.max_bucket,
                  "LSH buckets with more members are capped (linear, not quadratic, pairs); "
                  "counted in --stats")
      ->capture_default_str();
  app->add_option("--keep", keep,
                  "Representative of a cluster: first (input order), longest, shortest, "
                  "earliest:FIELD, latest:FIELD (a date or number field, e.g. latest:date), "
                  "field-max:FIELD; ties go to the earlier record, missing values lose")
      ->capture_default_str();
  app->add_option("--cluster", cluster,
                  "How edges become clusters: anchored (documents with --core-degree or more "
                  "near-duplicates are cores; touching cores and everything with an edge to "
                  "them stay one cluster, so large groups of variants stay whole; the rest "
                  "form stars around the document --keep would keep, taken in that order, so "
                  "every member is within the threshold of it and a chain of edits of edits "
                  "is cut), medoid (connected components, kept whole when the member with the "
                  "most edges has an edge to half of the others and reaches all within two; "
                  "else split into stars), center (greedy stars in order of similarity; "
                  "splits large clusters of variants), components (connected components: "
                  "A~B~C joins A and C)")
      ->capture_default_str()
      ->check(OneOf({"anchored", "medoid", "center", "components"}));
  core_degree_option =
      app->add_option("--core-degree", core_degree,
                      "anchored clustering: a document with at least this many near-duplicates "
                      "(distinct texts) is a core; higher keeps more chains apart, lower keeps "
                      "smaller groups of variants whole")
          ->capture_default_str();
}

// The story level above near-duplicates (cluster/stories.h).
void RunFlags::AddStoryFlags(CLI::App* app) {
  app->add_flag("--stories", options.stories,
                "Also group the near-duplicate clusters into stories (the same event reported "
                "in different words): every line of the cluster file gains \"story\", the id "
                "of the story's first document (dedup: in --clusters). TF-IDF of the words of "
                "title and body and the character bigrams inside title words, compared by "
                "cosine, in one pass in time order");
  story_options[0] =
      app->add_option("--story-threshold", options.story.threshold,
                      "--stories: the cosine a cluster needs with a story's centroid and with "
                      "its first document to join it; higher makes smaller, surer stories")
          ->capture_default_str();
  story_options[1] =
      app->add_option("--story-window", story_window,
                      "--stories: only documents within this time of a story's first document "
                      "join it (72h, 3d, 90m, 3600s; 0 = no limit); needs --date-field")
          ->capture_default_str();
  story_options[2] = app->add_option(
      "--date-field", options.fields.date,
      "--stories: the field with each document's date or time (ISO 8601, 2025.02.04, "
      "2025-02-04 09:07, epoch seconds); without it the whole input is one window, in input "
      "order");
  story_options[3] =
      app->add_option("--story-title-weight", options.story.title_weight,
                      "--stories: the title's share of a document's vector when it has a body "
                      "too (0-1)")
          ->capture_default_str();
}

absl::StatusOr<int64_t> ParseDuration(const std::string& text, const std::string& flag) {
  const auto bad = [&]() {
    return absl::InvalidArgumentError(flag + " must be a duration such as 72h, 3d, 90m, 3600s "
                                      "or 0, got \"" + text + "\"");
  };
  if (text.empty()) return bad();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return bad();
  const int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return bad();
}

// Threads, side outputs, bad records and messages.
void RunFlags::AddRunFlags(CLI::App* app) {
  app->add_option("--threads,-j", options.threads, "Worker threads; 0 = all cores")
      ->capture_default_str();
  app->add_option("--stats", stats_path, "Write run statistics (JSON) to this file");
  app->add_option("--edges", edges_path,
                  "Write every pair judged a duplicate, one JSON line each: a, b (ids as in the "
                  "cluster file), similarity, title_similarity, body_similarity (null when a "
                  "document lacks the field), rule (body, title, title+body, either:title, "
                  "either:body, exact-duplicate), measured (exact or estimate), same_cluster "
                  "(false when clustering cut the edge)");
  app->add_option("--rejects", rejects_path,
                  "Write every skipped (bad) record here, byte for byte as read");
  app->add_option("--max-bad", options.max_bad,
                  "Fail (exit 1) once more than this many records were bad; 0 = no limit")
      ->capture_default_str();
  app->add_flag("--strict", options.strict, "Fail (exit 1) at the first bad record");
  app->add_flag("--quiet,-q", quiet, "Print nothing but errors (no warnings, no progress)");
  app->add_flag("--progress", progress_lines,
                "Progress on stderr even when it is not a terminal (a log, nohup, a batch job): a "
                "line every 5 s while reading and one when each stage starts. On a terminal "
                "progress is shown anyway, redrawn in place");
}


absl::Status RunFlags::Finalize() {
  auto fmt = ParseFormat(format);
  if (!fmt.ok()) return fmt.status();
  options.format = *fmt;
  auto steps = ParseNormalizeSteps(normalize);
  if (!steps.ok()) return steps.status();
  options.normalize = *steps;
  auto rules = options.BuildNewsRules();
  if (!rules.ok()) return rules.status();
  auto spec = ShingleSpec::Parse(shingle);
  if (!spec.ok()) return absl::InvalidArgumentError(absl::StrCat("--shingle: ", spec.status().message()));
  options.shingle = *spec;
  spec = ShingleSpec::Parse(title_shingle);
  if (!spec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--title-shingle: ", spec.status().message()));
  }
  options.title_shingle = *spec;
  auto engine = ParseAlgorithm(algo);
  if (!engine.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--algo: ", engine.status().message()));
  }
  options.algo = *engine;
  options.simhash_weight =
      simhash_weight == "binary" ? SimHashWeight::kBinary : SimHashWeight::kTf;
  auto limit = ParseByteSize(memory_limit, "--memory-limit");
  if (!limit.ok()) return limit.status();
  options.memory_limit = *limit;
  auto mode = ParseMatchMode(match);
  if (!mode.ok()) return mode.status();
  options.match = *mode;
  auto verify_mode = ParseVerifyMode(verify);
  if (!verify_mode.ok()) return verify_mode.status();
  options.verify = *verify_mode;
  auto measure = ParseSimilarityMeasure(similarity);
  if (!measure.ok()) return measure.status();
  options.similarity = *measure;
  if (options.similarity == SimilarityMeasure::kContainment && threshold_option->count() == 0) {
    options.threshold = 0.9;
  }
  if (minhash_scheme != "auto") {
    auto scheme = ParseMinHashScheme(minhash_scheme);
    if (!scheme.ok()) return scheme.status();
    options.minhash_scheme = options.title_minhash_scheme = *scheme;
  }
  static const std::map<std::string, KeepPolicy> kKeep = {
      {"first", KeepPolicy::kFirst},       {"longest", KeepPolicy::kLongest},
      {"shortest", KeepPolicy::kShortest}, {"earliest", KeepPolicy::kEarliest},
      {"latest", KeepPolicy::kLatest},     {"field-max", KeepPolicy::kFieldMax}};
  {
    const size_t colon = keep.find(':');
    auto it = kKeep.find(keep.substr(0, colon));
    const bool wants_field = it != kKeep.end() && (it->second == KeepPolicy::kEarliest ||
                                                   it->second == KeepPolicy::kLatest ||
                                                   it->second == KeepPolicy::kFieldMax);
    if (it == kKeep.end() || wants_field != (colon != std::string::npos) ||
        (wants_field && colon + 1 >= keep.size())) {
      std::vector<std::string> names;
      for (const auto& [name, policy] : kKeep) names.push_back(name);
      const std::string close = internal::ClosestMatch(keep.substr(0, colon), names);
      const std::string field = colon == std::string::npos ? "" : keep.substr(colon);
      return absl::InvalidArgumentError(
          "--keep must be first, longest, shortest, earliest:FIELD, latest:FIELD or "
          "field-max:FIELD, got \"" + keep + "\"" +
          (close.empty() ? "" : "; did you mean '" + close + field + "'?"));
    }
    options.keep = it->second;
    if (wants_field) options.fields.keep = keep.substr(colon + 1);
  }
  auto cluster_mode = ParseClusterMode(cluster);
  if (!cluster_mode.ok()) return cluster_mode.status();
  options.cluster = *cluster_mode;
  if (core_degree < 2) {
    // At 1 both ends of every edge are cores, and two cores join only through a shared
    // neighbour: an isolated pair of near-duplicates would stay apart.
    return absl::InvalidArgumentError("--core-degree must be >= 2, got " +
                                      std::to_string(core_degree));
  }
  if (core_degree_option != nullptr && core_degree_option->count() > 0 &&
      options.cluster != ClusterMode::kAnchored) {
    return absl::InvalidArgumentError("--core-degree applies to --cluster anchored only, not " +
                                      cluster);
  }
  options.core_degree = static_cast<uint32_t>(core_degree);
  if ((bands > 0) != (rows > 0)) {
    return absl::InvalidArgumentError("--bands and --rows go together: give both or neither");
  }
  if (bands > 0) options.lsh = LshParams{bands, rows};
  if (bands < 0 || rows < 0) return absl::InvalidArgumentError("--bands and --rows must be >= 1");
  if ((title_bands > 0) != (title_rows > 0)) {
    return absl::InvalidArgumentError(
        "--title-bands and --title-rows go together: give both or neither");
  }
  if (title_bands > 0) options.title_lsh = LshParams{title_bands, title_rows};
  if (title_bands < 0 || title_rows < 0) {
    return absl::InvalidArgumentError("--title-bands and --title-rows must be >= 1");
  }
  for (const std::string& in : options.inputs) {
    if (in != "-" && access(in.c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read input ", in, ": ", std::strerror(errno)));
    }
  }
  options.keep_edges = !edges_path.empty();
  auto window = ParseDuration(story_window, "--story-window");
  if (!window.ok()) return window.status();
  options.story.window_seconds = *window;
  if (options.stories && story_options[1]->count() > 0 && options.fields.date.empty()) {
    return absl::InvalidArgumentError(
        "--story-window needs --date-field: without dates the whole input is one window");
  }
  if (!options.stories) {
    for (CLI::Option* o : story_options) {
      if (o != nullptr && o->count() > 0) {
        return absl::InvalidArgumentError(o->get_name() + " applies to --stories only: add "
                                          "--stories, or leave it out");
      }
    }
  }
  if (quiet && progress_lines) {
    return absl::InvalidArgumentError("--progress and --quiet contradict each other: give one");
  }
  progress = quiet                      ? ProgressMode::kOff
             : isatty(STDERR_FILENO)    ? ProgressMode::kTerminal
             : progress_lines           ? ProgressMode::kLines
                                        : ProgressMode::kOff;
  return options.Validate();
}

absl::Status RunFlags::CheckOutputs(std::vector<NamedOutput> outputs,
                                    const std::vector<std::string>& more_inputs) const {
  outputs.push_back({"--stats", stats_path});
  outputs.push_back({"--rejects", rejects_path});
  outputs.push_back({"--edges", edges_path});
  std::vector<std::string> inputs = options.inputs;
  inputs.insert(inputs.end(), more_inputs.begin(), more_inputs.end());
  return neardup::CheckOutputs(outputs, inputs);
}

std::array<RunFlags::FieldFlag, 3> RunFlags::FieldFlags() const {
  auto given = [&](int k) { return field_options[k] != nullptr && field_options[k]->count() > 0; };
  return {{{"--id-field", &options.fields.id, given(0)},
           {"--title-field", &options.fields.title, given(1)},
           {"--text-field", &options.fields.text, given(2)}}};
}

std::vector<std::string> RunFlags::FieldsPartlySeen(const RunResult& result) const {
  std::vector<std::string> out;
  const uint64_t documents = result.num_documents();
  const uint64_t* seen = result.counts.records_with_field;
  const std::array<FieldFlag, 3> fields = FieldFlags();
  for (int k = 0; k < 3; ++k) {
    if (!fields[k].given || seen[k] == 0 || seen[k] >= documents) continue;
    out.push_back(absl::StrCat(fields[k].flag, " \"", *fields[k].name, "\": ", documents - seen[k], " of ",
                               documents, " records lack it or have it empty",
                               k == 0 ? " (their ids are FILE:LINE)" : ""));
  }
  if (!options.fields.date.empty()) {
    const RunCounts& c = result.counts;
    if (c.dated_documents > 0 && c.dated_documents < documents) {
      out.push_back(absl::StrCat("--date-field \"", options.fields.date, "\": ",
                                 documents - c.dated_documents, " of ", documents,
                                 " records lack it or have it empty; they join stories "
                                 "whatever their time and come last in the pass"));
    }
    if (c.undated_documents > 0) {
      out.push_back(absl::StrCat("--date-field \"", options.fields.date, "\": ",
                                 c.undated_documents, " dates could not be read (e.g. \"",
                                 c.undated_example, "\"); those records count as undated"));
    }
  }
  if (!options.fields.keep.empty() && seen[3] > 0 && seen[3] < documents) {
    out.push_back(absl::StrCat("--keep ", keep, ": ", documents - seen[3], " of ", documents,
                               " records lack \"", options.fields.keep,
                               "\" or have it empty; they are kept only when no member has it"));
  }
  return out;
}

absl::Status RunFlags::CheckFieldsSeen(const RunResult& result) const {
  const uint64_t documents = result.num_documents();
  if (documents == 0) return absl::OkStatus();
  const uint64_t* seen = result.counts.records_with_field;
  const std::array<FieldFlag, 3> fields = FieldFlags();
  for (int k = 0; k < 3; ++k) {
    if (!fields[k].given || seen[k] > 0) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        fields[k].flag, " \"", *fields[k].name, "\": no record has this field (", documents,
        " read; names are case-sensitive); nothing was written"));
  }
  if (!options.fields.keep.empty() && seen[3] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--keep ", keep, ": no record has a field \"", options.fields.keep, "\" (", documents,
        " read; names are case-sensitive); nothing was written"));
  }
  if (!options.fields.date.empty() && result.counts.dated_documents == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--date-field \"", options.fields.date, "\": no record has this field (", documents,
        " read; names are case-sensitive); nothing was written"));
  }
  if (seen[1] == 0 && seen[2] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no record has a \"", options.fields.title, "\" or \"", options.fields.text, "\" field (",
        documents, " read), so every document would be empty: name the fields with "
        "--title-field and --text-field; nothing was written"));
  }
  return absl::OkStatus();
}

}  // namespace neardup::cli
