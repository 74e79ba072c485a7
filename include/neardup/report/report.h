// report.h: a cluster report that an editor can read, search and trust.
//
// Two steps, so that both `cluster --report` (right after a run) and `neardup report CLUSTERS
// INPUT...` (from a clusters file written earlier) share one renderer:
//
//   CollectReportData(options, result, settings)            after RunPipeline, or
//   CollectReportDataFromClusters(path, options, settings)  from a clusters file
//     -> ReportData (plain values: counts, parameters, the clusters that will be shown)
//     -> RenderHtml(data) / RenderMarkdown(data)            pure functions of the data
//
// What is shown: the multi-member clusters, largest first (ties: the cluster whose representative
// comes first in the input), at most `max_clusters` of them; the rest are counted in
// ReportData::clusters_left_out. Of each shown cluster, the representative and at most
// `max_members_per_cluster - 1` other members (in input order) are kept with the start of their
// title and body; the rest are counted in ReportCluster::members_left_out. Singletons are only
// counted. Memory therefore grows with what is shown plus a few bytes per input document (the same
// per-document arrays the run itself keeps), never with the raw text.
//
// Stories (a run with --stories: RunResult::story, or a clusters file whose lines carry "story"):
// the stories that join two or more near-duplicate clusters are listed too, in
// ReportData::stories, most documents first (ties: the story whose first document comes first in
// the input), at most `max_clusters` of them; the rest are counted in stories_left_out. A story of
// one cluster is not listed: it is that cluster, which the cluster list shows already when it has
// two or more documents. A listed story holds its near-duplicate clusters as ReportCluster
// values, singletons included, largest first (ties: representative first in the input); its
// shown clusters keep at most `max_members_per_story` members between them (each at least its
// representative, at most `max_members_per_cluster`), and the clusters beyond that are counted in
// ReportStory::clusters_left_out. A cluster belongs to the story of its representative. Story
// clusters are copies: a cluster can be both in the cluster list and in a story.
//
// Extra fields (ReportSettings::extra_fields, the CLI's --report-fields): each shown member also
// carries the values of these input fields, read as the run's reader reads a --keep field (JSONL:
// a string as is, a number as its text, anything else absent; csv/tsv: the column of that name;
// text inputs have none). A field that no shown member has is named in
// ReportData::extra_fields_missing, and the renderers show it as a warning.
//
// The HTML page is one self-contained file: no network access (a Content-Security-Policy forbids
// it, and the one inline script is allowed by its SHA-256 hash only, so text that slipped through
// as markup still could not run), no external fonts, inline SVG charts drawn here. All corpus text
// (ids, titles, bodies, file names, the command line) is HTML-escaped, in text and in attributes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

struct ReportSettings {
  // Multi-member clusters shown, largest first; the others are counted as left out. >= 0
  // (0 shows the summary and charts only). The CLI's --report-max-clusters.
  size_t max_clusters = 1000;
  // Members kept per shown cluster, the representative included; >= 2.
  size_t max_members_per_cluster = 200;
  // Code points kept of each shown member's title and of the start of its body (white space runs
  // in the body collapsed to one space); cuts fall between code points, never inside one. >= 1.
  size_t title_code_points = 300;
  size_t body_code_points = 300;
  // Shown as given; CollectReportData* fills `generated_at` with the current UTC time
  // ("2025-06-01 12:34:56 UTC") when it is empty. RenderHtml/RenderMarkdown never read a clock.
  std::string generated_at;
  std::string command_line;  // e.g. "neardup cluster a.jsonl --report r.html"; "" = not shown
  // Members kept over all the shown clusters of one story (stories only); >= 1.
  size_t max_members_per_story = 200;
  // Input fields shown with every member besides id, title and body, in this order ("press",
  // "date", "url"); repeated names are shown once. The CLI's --report-fields. Default none.
  std::vector<std::string> extra_fields;
  // Code points kept of each extra field's value (white space collapsed). >= 1.
  size_t field_code_points = 200;
};

struct ReportMember {
  std::string id;
  std::string title;       // at most title_code_points, valid UTF-8
  std::string body_start;  // at most body_code_points, valid UTF-8, white space collapsed
  bool title_truncated = false;
  bool body_truncated = false;
  float similarity = 1;    // estimated Jaccard to the representative (1 for the representative)
  // Which rule joined it to the representative ("body", "title", "title+body", "exact
  // duplicate", ...), when the two are an edge of the run and its edges were kept
  // (PipelineOptions::keep_edges); "" otherwise (joined through other members, or not known).
  std::string matched;
  bool representative = false;
  // Its normalized title and body equal the representative's (an exact copy after normalization).
  bool identical_to_representative = false;
  // False when the text could not be found (CollectReportDataFromClusters: the id is not in the
  // inputs given); title and body_start are then empty.
  bool text_found = true;
  uint64_t document_index = 0;  // position among the good records (or clusters-file lines)
  // The values of ReportData::extra_fields, in that order; nullopt where the record lacks the
  // field (or its text was not found). At most field_code_points each, valid UTF-8.
  std::vector<std::optional<std::string>> extra;
};

struct ReportCluster {
  // The representative first, then the other kept members in input order.
  std::vector<ReportMember> members;
  uint64_t size = 0;              // all members, including those left out
  uint64_t members_left_out = 0;  // size - members.size()
  float min_similarity = 1;       // over all members, left-out ones included
};

// A story that joins two or more near-duplicate clusters (see "Stories" above).
struct ReportStory {
  // The story's first document (RunResult::story: the first document, in input order, of the
  // story's earliest cluster): its id is the story's id ("story" in the clusters file), its title
  // (or the start of its body, or its id) the story's headline. Shown whether or not its cluster
  // is among the story's shown clusters.
  ReportMember first;
  uint64_t documents = 0;       // all documents of the story, left-out ones included
  uint64_t clusters_total = 0;  // its near-duplicate clusters, singletons included (>= 2)
  // The shown clusters, largest first; ties: the representative's document_index, ascending.
  std::vector<ReportCluster> clusters;
  uint64_t clusters_left_out = 0;   // clusters_total - clusters.size()
  uint64_t documents_left_out = 0;  // documents of those clusters
};

// One bar of the cluster-size histogram: `count` clusters have exactly `size` members.
struct ClusterSizeCount {
  uint64_t size = 0;
  uint64_t count = 0;
};

struct ReportData {
  std::vector<std::string> corpus;  // input labels, in order
  std::string clusters_file;        // the clusters file read (CollectReportDataFromClusters), or ""
  uint64_t records_read = 0;
  uint64_t bad_records = 0;
  // CollectReportDataFromClusters: lines of the clusters file whose id no input record had.
  uint64_t clusters_lines_unmatched = 0;
  uint64_t documents = 0;
  uint64_t exact_duplicates = 0;  // documents whose normalized text equals an earlier one's
  uint64_t near_duplicates = 0;   // documents - clusters - exact_duplicates
  uint64_t clusters_total = 0;    // including singletons
  uint64_t singletons = 0;
  uint64_t multi_member_clusters = 0;
  uint64_t largest_cluster = 0;
  // Run parameters, in display order ("engine" -> "minhash", "threshold" -> "0.5", ...).
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string generated_at;
  std::string command_line;

  // Every distinct cluster size (singletons included), ascending.
  std::vector<ClusterSizeCount> size_histogram;
  // Similarity of every non-representative member to its representative, over all clusters
  // (shown or not), in kSimilarityBins equal bins over [0, 1]; 1.0 falls in the last bin.
  static constexpr int kSimilarityBins = 20;
  std::vector<uint64_t> similarity_bins;

  // The shown clusters, largest first; ties: the representative's document_index, ascending.
  std::vector<ReportCluster> clusters;
  uint64_t clusters_left_out = 0;  // multi-member clusters not shown (max_clusters)
  uint64_t members_without_text = 0;  // shown members whose text was not found in the inputs

  // Stories: whether the run (or clusters file) had them; the figures are 0 otherwise.
  bool has_stories = false;
  uint64_t stories_total = 0;          // every story, single documents included
  uint64_t multi_cluster_stories = 0;  // stories of two or more clusters (the listed kind)
  uint64_t largest_story = 0;          // documents of the largest story
  // The listed stories, most documents first; ties: the first document's index, ascending.
  std::vector<ReportStory> stories;
  uint64_t stories_left_out = 0;  // multi-cluster stories not listed (max_clusters)

  // ReportSettings::extra_fields without repeats, in order; and those no shown member has.
  std::vector<std::string> extra_fields;
  std::vector<std::string> extra_fields_missing;
};

// Builds the report of a finished run. Reads the inputs of `options` a second time (the same files
// in the same order, skipping result.bad_record_ordinals as WriteDedup does) and keeps the text of
// the shown members only. Fails on I/O errors, or when the inputs changed since the run.
absl::StatusOr<ReportData> CollectReportData(const PipelineOptions& options,
                                             const RunResult& result,
                                             const ReportSettings& settings);

// Builds the report from a clusters file written by `neardup cluster -o` (one JSON object per
// document: {"id","cluster","representative","similarity"}, and "story" after --stories: either
// every line has it or none) and the inputs that were clustered,
// read with `input_options` (inputs, input_labels, format, fields and normalize are used; the
// similarity parameters are not known and are not shown). Texts are matched by id: the k-th input
// document with a given id fills the k-th clusters-file line with that id; a member whose id is
// not in the inputs is shown without text (ReportMember::text_found). Exact duplicates are counted
// among the documents found in the inputs. Fails on an unreadable or malformed clusters file
// (naming FILE:LINE) and on unreadable inputs.
absl::StatusOr<ReportData> CollectReportDataFromClusters(const std::string& clusters_path,
                                                         const PipelineOptions& input_options,
                                                         const ReportSettings& settings);

// The report as one self-contained HTML page (UTF-8). Deterministic: the same data gives the same
// bytes.
std::string RenderHtml(const ReportData& data);

// The report as Markdown for a terminal or a ticket. Corpus text is escaped so that it renders as
// text (no links, emphasis or HTML); title changes are marked {+inserted+} and {-deleted-}.
std::string RenderMarkdown(const ReportData& data);

// --- Building blocks, public for tests and for other renderers. ---

// `text` with & < > " ' replaced by &amp; &lt; &gt; &quot; &#39;, invalid UTF-8 replaced by
// U+FFFD and C0 control characters other than tab, LF and CR replaced by U+FFFD. Safe in element
// content and in quoted attribute values.
std::string HtmlEscape(std::string_view text);

// The longest prefix of `text` (valid UTF-8 assumed; invalid bytes count as one code point each)
// that has at most `max_code_points` code points. Never cuts inside a code point. Sets
// `*truncated` (if given) when something was cut off.
std::string_view TruncateUtf8(std::string_view text, size_t max_code_points,
                              bool* truncated = nullptr);

// A code-point-level diff of `from` (the representative's text) to `to` (the member's).
// Concatenating the kEqual and kDelete spans gives `from`; kEqual and kInsert give `to`.
struct DiffSpan {
  enum Kind { kEqual, kDelete, kInsert };
  Kind kind;
  std::string text;
};
// Myers' algorithm over code points after trimming the common prefix and suffix. When the two
// differ by more than `max_edits` code points the middle is reported as one delete and one insert
// (bounded work: O((n + m) * max_edits)). Adjacent spans of one kind are merged.
std::vector<DiffSpan> DiffCodePoints(std::string_view from, std::string_view to,
                                     size_t max_edits = 128);

}  // namespace neardup
