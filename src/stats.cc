#include "neardup/sketch/engine.h"
#include "neardup/stats.h"

#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/json.h"
#include "neardup_version.h"

namespace neardup {

uint64_t PeakMemoryBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string_view KeepPolicyName(KeepPolicy policy) {
  switch (policy) {
    case KeepPolicy::kFirst: return "first";
    case KeepPolicy::kLongest: return "longest";
    case KeepPolicy::kShortest: return "shortest";
    case KeepPolicy::kEarliest: return "earliest";
    case KeepPolicy::kLatest: return "latest";
    case KeepPolicy::kFieldMax: return "field-max";
  }
  return "first";
}

namespace {

// A tiny builder for one pretty-printed JSON object with nested objects.
class JsonObject {
 public:
  explicit JsonObject(std::string* out, int indent = 0) : out_(out), indent_(indent) {
    out_->append("{");
  }
  void Key(std::string_view key) {
    out_->append(first_ ? "\n" : ",\n");
    first_ = false;
    out_->append(static_cast<size_t>(indent_ + 2), ' ');
    internal::AppendJsonString(out_, key);
    out_->append(": ");
  }
  void Int(std::string_view key, uint64_t v) {
    Key(key);
    out_->append(absl::StrCat(v));
  }
  void Num(std::string_view key, double v) {
    Key(key);
    internal::AppendJsonNumber(out_, v);
  }
  void Str(std::string_view key, std::string_view v) {
    Key(key);
    internal::AppendJsonString(out_, v);
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_->append(v ? "true" : "false");
  }
  void StrList(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_->append("[");
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out_->append(", ");
      internal::AppendJsonString(out_, values[i]);
    }
    out_->append("]");
  }
  // A nested object under `key`, indented one level deeper; Close() it before the next key.
  JsonObject Object(std::string_view key) {
    Key(key);
    return JsonObject(out_, indent_ + 2);
  }
  void Close() {
    out_->append("\n");
    out_->append(static_cast<size_t>(indent_), ' ');
    out_->append("}");
  }

 private:
  std::string* out_;
  int indent_;
  bool first_ = true;
};

// The shape of the clusters: how many of each kind, the largest, and the lowest similarity of any
// member to its representative.
struct ClusterShape {
  uint64_t singletons = 0;
  uint64_t multi = 0;
  uint64_t largest = 0;
  float lowest_similarity = 1.0f;
};

ClusterShape ShapeOf(const RunResult& result) {
  std::vector<uint32_t> size(result.num_documents(), 0);
  for (uint32_t rep : result.representative) ++size[rep];
  std::vector<float> lowest(result.num_documents(), 1.0f);
  for (size_t d = 0; d < result.num_documents(); ++d) {
    float& l = lowest[result.representative[d]];
    l = std::min(l, result.similarity[d]);
  }
  ClusterShape shape;
  for (size_t d = 0; d < size.size(); ++d) {
    if (size[d] == 0) continue;
    if (size[d] == 1) ++shape.singletons; else ++shape.multi;
    shape.largest = std::max<uint64_t>(shape.largest, size[d]);
    shape.lowest_similarity = std::min(shape.lowest_similarity, lowest[d]);
  }
  return shape;
}

// One function per section of the stats object, in the order they are written; each closes `o`.

void WriteRecords(const PipelineOptions& options, const RunCounts& c, JsonObject o) {
  o.Int("read", c.records_read);
  o.Int("bad", c.records_bad);
  o.Int("documents", c.documents);
  o.Int("exact_duplicates", c.exact_duplicates);
  o.Int("near_duplicates", c.documents - c.clusters - c.exact_duplicates);
  o.Int("kept", c.clusters);
  o.Int("dropped", c.documents - c.clusters);
  o.Int("utf8_repairs", c.utf8_repairs);
  o.Int("duplicate_ids", c.duplicate_ids);
  // Good records with each field (a title or text that is empty counts as missing).
  o.Int("with_id", c.records_with_field[0]);
  o.Int("with_title", c.records_with_field[1]);
  o.Int("with_text", c.records_with_field[2]);
  if (!options.fields.keep.empty()) o.Int("with_keep_field", c.records_with_field[3]);
  o.Close();
}

void WriteCandidates(const RunCounts& c, JsonObject o) {
  o.Int("pairs", c.candidate_pairs);
  o.Int("verified_edges", c.verified_edges);
  o.Int("exact_checks", c.exact_checks);
  o.Int("verify_passes", c.verify_passes);
  o.Int("buckets", c.buckets.buckets);
  o.Int("largest_bucket", c.buckets.largest_bucket);
  o.Int("oversized_buckets", c.buckets.oversized_buckets);
  o.Int("pairs_not_generated", c.buckets.pairs_not_generated);
  o.Int("spilled_runs", c.buckets.spilled_runs);
  o.Int("spilled_bytes", c.buckets.spilled_bytes);
  o.Close();
}

void WriteStopShingles(const RunCounts& c, JsonObject o) {
  o.Int("sampled_documents", c.df_sample_documents);
  o.Bool("sampling_skipped", c.df_sample_skipped);
  o.Int("title_cells", c.stop_cells_title);
  o.Int("body_cells", c.stop_cells_body);
  o.Int("occurrences_removed", c.shingles_removed);
  o.Close();
}

void WriteClusters(const PipelineOptions& options, const RunResult& result, JsonObject o) {
  const RunCounts& c = result.counts;
  const ClusterShape shape = ShapeOf(result);
  o.Int("total", c.clusters);
  o.Int("singletons", shape.singletons);
  o.Int("multi", shape.multi);
  o.Int("largest", shape.largest);
  if (options.cluster == ClusterMode::kMedoid) o.Int("components_split", c.components_split);
  if (options.cluster == ClusterMode::kAnchored) {
    o.Int("core_documents", c.anchored.core_items);
    o.Int("core_groups", c.anchored.core_groups);
    o.Int("core_group_members", c.anchored.core_group_members);
    o.Int("core_rings", c.anchored.rings);
    o.Int("stars", c.anchored.stars);
    o.Int("lone_anchors_joined", c.anchored.lone_joined);
  }
  o.Num("lowest_similarity", shape.lowest_similarity);  // of any member to its representative
  o.Close();
}

void WriteStories(const RunCounts& c, JsonObject o) {
  o.Int("total", c.stories.stories);
  o.Int("multi", c.stories.multi);
  o.Int("largest_in_clusters", c.stories.largest);
  o.Int("clusters_joined", c.stories.joined);
  o.Int("cosines_computed", c.stories.candidates_scored);
  o.Int("sampled_documents", c.story_sample_documents);
  o.Int("dated_documents", c.dated_documents - c.undated_documents);
  o.Int("unreadable_dates", c.undated_documents);
  o.Close();
}

void WriteParameters(const PipelineOptions& options, const RunResult& result,
                     const StatsExtras& extras, JsonObject o) {
  o.Str("algorithm", AlgorithmName(options.algo));
  if (SketchEngine::Get(options.algo).candidate_search() == CandidateSearch::kHammingTables) {
    o.Int("max_hamming", static_cast<uint64_t>(options.max_hamming));
    o.Str("simhash_weight", options.simhash_weight == SimHashWeight::kTf ? "tf" : "binary");
  }
  o.Str("match", MatchModeName(options.match));
  o.Num("threshold", options.threshold);
  o.Num("title_threshold", options.title_threshold);
  o.Int("num_perm", static_cast<uint64_t>(options.num_perm));
  o.Int("bands", static_cast<uint64_t>(result.lsh.bands));
  o.Int("rows", static_cast<uint64_t>(result.lsh.rows));
  o.Int("short_bands", static_cast<uint64_t>(result.lsh.short_bands));
  o.Int("title_bands", static_cast<uint64_t>(result.title_lsh.bands));
  o.Int("title_rows", static_cast<uint64_t>(result.title_lsh.rows));
  o.Int("title_short_bands", static_cast<uint64_t>(result.title_lsh.short_bands));
  o.Str("shingle", options.shingle.ToString());
  o.Str("title_shingle", options.title_shingle.ToString());
  o.Str("shingle_seed", absl::StrCat("0x", absl::Hex(options.shingle_seed)));
  o.Str("minhash_seed", absl::StrCat("0x", absl::Hex(options.minhash_seed)));
  o.Str("minhash_scheme", MinHashSchemeName(options.minhash_scheme));
  o.Str("title_minhash_scheme", MinHashSchemeName(options.title_minhash_scheme));
  o.Str("normalize", NormalizeStepsName(options.normalize));
  o.Str("verify", VerifyModeName(options.verify));
  o.Str("similarity", SimilarityMeasureName(options.similarity));
  o.Num("min_body_shingles", options.min_body_shingles);
  o.Int("max_bucket", options.max_bucket);
  o.Num("max_shingle_df", options.max_shingle_df);
  o.Int("df_sample", options.df_sample);
  o.Str("keep", KeepPolicyName(options.keep));
  o.Str("cluster", ClusterModeName(options.cluster));
  if (options.stories) {
    o.Num("story_threshold", options.story.threshold);
    o.Num("story_title_weight", options.story.title_weight);
    o.Int("story_window_seconds", static_cast<uint64_t>(options.story.window_seconds));
    o.Str("date_field", options.fields.date);
    o.Int("story_sample", options.story_sample);
  }
  if (options.cluster == ClusterMode::kAnchored) o.Int("core_degree", options.core_degree);
  o.Int("threads", static_cast<uint64_t>(extras.threads));
  o.Str("format", options.format == Format::kAuto ? "auto" : FormatName(options.format));
  o.Close();
}

void WriteSeconds(const PipelineOptions& options, const RunResult& result,
                  const StatsExtras& extras, JsonObject o) {
  o.Num("read_and_sign", result.seconds.read_and_sign);
  o.Num("candidates", result.seconds.candidates);
  o.Num("verify", result.seconds.verify);
  o.Num("cluster", result.seconds.cluster);
  if (options.stories) o.Num("stories", result.seconds.stories);
  o.Num("write", extras.write_seconds);
  o.Num("total", extras.total_seconds);
  o.Close();
}

// The per-rank figures of a distributed run, one object a line.
void WriteRanks(const std::vector<RankFigures>& ranks, std::string* out) {
  out->append("[");
  for (size_t r = 0; r < ranks.size(); ++r) {
    const RankFigures& f = ranks[r];
    absl::StrAppendFormat(
        out,
        "%s\n    {\"rank\": %d, \"records\": %d, \"bytes\": %d, \"read_and_sign_seconds\": %.6f, "
        "\"exchange_seconds\": %.6f, \"match_seconds\": %.6f, \"bytes_sent\": %d, "
        "\"bytes_received\": %d, \"peak_memory_bytes\": %d}",
        r ? "," : "", r, f.records, f.bytes, f.read_and_sign_seconds, f.exchange_seconds,
        f.match_seconds, f.bytes_sent, f.bytes_received, f.peak_memory_bytes);
  }
  out->append("\n  ]");
}

void WriteThroughput(const RunCounts& c, const StatsExtras& extras, JsonObject o) {
  const double t = extras.total_seconds > 0 ? extras.total_seconds : 1e-9;
  o.Num("documents_per_second", static_cast<double>(c.records_read) / t);
  o.Num("megabytes_per_second", static_cast<double>(c.bytes_read) / 1e6 / t);
  o.Close();
}

}  // namespace

std::string StatsJson(const PipelineOptions& options, const RunResult& result,
                      const StatsExtras& extras) {
  const RunCounts& c = result.counts;
  std::vector<std::string> labels;
  for (size_t i = 0; i < options.inputs.size(); ++i) labels.push_back(options.LabelOf(i));
  std::string out;
  JsonObject root(&out);
  root.Str("version", NEARDUP_VERSION);
  root.Str("command", extras.command);
  root.StrList("inputs", labels);
  WriteRecords(options, c, root.Object("records"));
  WriteCandidates(c, root.Object("candidates"));
  WriteStopShingles(c, root.Object("stop_shingles"));
  WriteClusters(options, result, root.Object("clusters"));
  if (options.stories) WriteStories(c, root.Object("stories"));
  WriteParameters(options, result, extras, root.Object("parameters"));
  WriteSeconds(options, result, extras, root.Object("seconds"));
  WriteThroughput(c, extras, root.Object("throughput"));
  root.Int("peak_memory_bytes", PeakMemoryBytes());
  if (!result.ranks.empty()) {
    root.Key("ranks");
    WriteRanks(result.ranks, &out);
  }
  root.Close();
  out.append("\n");
  return out;
}

}  // namespace neardup
