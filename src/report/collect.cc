// Collecting a report: from a finished run (CollectReportData) or from a clusters file and the
// inputs it was made from (CollectReportDataFromClusters). Both select the shown clusters (and,
// with stories, the shown stories) from per-document arrays (SelectClusters, SelectStories), then
// read the inputs once to fill in the shown members' text and extra fields.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "internal/status_macros.h"
#include "neardup/cluster/match.h"
#include "neardup/io/reader.h"
#include "neardup/io/replay.h"
#include "neardup/report/report.h"
#include "neardup/sketch/engine.h"
#include "neardup/stats.h"
#include "neardup/text/normalize.h"
#include "report/format.h"

namespace neardup {
namespace {

using report_internal::CleanText;
using report_internal::CollapseWhitespace;
using report_internal::Number;
using report_internal::S;

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

constexpr uint64_t kIdenticalSeed = 0x7265706f72746964ULL;  // "reportid"

// The exact-duplicate key, as the pipeline forms it: normalized title, 0xFF, normalized body.
internal::Hash128 TextHash(const Normalizer& normalizer, const Document& doc, std::string* scratch,
                           std::string* scratch2) {
  // As the run groups exact duplicates: each field with its own rules (headline tags are
  // stripped from titles only).
  normalizer.Normalize(doc.title, TextField::kTitle, scratch);
  normalizer.Normalize(doc.body, TextField::kBody, scratch2);
  scratch->push_back('\xff');
  scratch->append(*scratch2);
  return internal::Hash128Of(*scratch, kIdenticalSeed);
}

void FillMemberText(const Document& doc, const ReportSettings& settings, ReportMember* member) {
  const std::string title = CleanText(doc.title);
  member->title = S(TruncateUtf8(title, settings.title_code_points, &member->title_truncated));
  // Collapse only what will be kept (plus a little, to know whether something was cut).
  bool cut = false;
  const std::string_view head = TruncateUtf8(doc.body, settings.body_code_points * 2 + 64, &cut);
  const std::string body = CollapseWhitespace(CleanText(head));
  bool cut2 = false;
  member->body_start = S(TruncateUtf8(body, settings.body_code_points, &cut2));
  member->body_truncated = cut || cut2;
  member->text_found = true;
}

using ExtraValues = std::vector<std::optional<std::string>>;

// Reads ReportSettings::extra_fields from raw records with the run's own parser, one a field (as
// its --keep field), so that every input format reads them as the run reads its fields.
class ExtraFieldReader {
 public:
  ExtraFieldReader(const FieldNames& fields, const ReportData& data, const ReportSettings& settings)
      : fields_(fields), names_(data.extra_fields), code_points_(settings.field_code_points) {}
  bool empty() const { return names_.empty(); }
  // Before the records of each input.
  void OnFile(Format format, const std::string& label, const std::vector<std::string>& columns) {
    parsers_.clear();
    for (const std::string& name : names_) {
      FieldNames f = fields_;
      f.keep = name;
      f.date.clear();
      parsers_.push_back(std::make_unique<RecordParser>(format, f, label, columns));
    }
  }
  // The values of one record (which the run parsed as good), cleaned and cut.
  ExtraValues Read(std::string_view raw, uint64_t line_number) {
    ExtraValues out(names_.size());
    for (size_t i = 0; i < parsers_.size(); ++i) {
      if (!parsers_[i]->Parse(raw, line_number, &doc_).ok() || !doc_.has_keep_value) continue;
      bool cut = false;
      const std::string_view head = TruncateUtf8(doc_.keep_value, code_points_ * 2 + 64, &cut);
      const std::string value = CollapseWhitespace(CleanText(head));
      bool cut2 = false;
      out[i] = absl::StrCat(S(TruncateUtf8(value, code_points_, &cut2)), cut || cut2 ? "…" : "");
    }
    return out;
  }

 private:
  FieldNames fields_;
  std::vector<std::string> names_;
  size_t code_points_;
  std::vector<std::unique_ptr<RecordParser>> parsers_;
  Document doc_;
};

// Where a kept member's text goes: a member of a shown cluster of the cluster list, a member of a
// shown cluster of a story, or a story's first document.
constexpr uint32_t kClusterList = UINT32_MAX;  // MemberRef::story of the cluster list
constexpr uint32_t kHeadline = UINT32_MAX;     // MemberRef::cluster of ReportStory::first
struct MemberRef {
  uint64_t document;  // document index (or clusters-file line)
  uint32_t story;     // index into ReportData::stories, or kClusterList
  uint32_t cluster;   // index into the clusters of that list, or kHeadline
  uint32_t member;    // index into ReportCluster::members
  bool operator<(const MemberRef& o) const {
    return std::tie(document, story, cluster, member) <
           std::tie(o.document, o.story, o.cluster, o.member);
  }
};

ReportMember& Target(ReportData* data, const MemberRef& ref) {
  if (ref.story == kClusterList) return data->clusters[ref.cluster].members[ref.member];
  ReportStory& story = data->stories[ref.story];
  return ref.cluster == kHeadline ? story.first : story.clusters[ref.cluster].members[ref.member];
}

// Per document index: the size of the cluster it represents (0 when it represents none) and the
// lowest similarity of that cluster's members.
struct ClusterSizes {
  std::vector<uint32_t> size;
  std::vector<float> min_sim;
};

// A shown cluster's first row: its representative.
ReportCluster ClusterHead(uint32_t rep, const ClusterSizes& sizes) {
  ReportCluster cluster;
  cluster.size = sizes.size[rep];
  cluster.min_similarity = sizes.min_sim[rep];
  ReportMember m;
  m.representative = true;
  m.similarity = 1;
  m.document_index = rep;
  m.identical_to_representative = true;
  cluster.members.push_back(std::move(m));
  return cluster;
}

// Fills the counts, histograms and the shown clusters (without text) from per-document arrays:
// `representative[d]` is d's representative (a document index), `similarity[d]` its similarity.
// Returns the kept members sorted by document index, and each cluster's size in `*sizes`.
std::vector<MemberRef> SelectClusters(const std::vector<uint32_t>& representative,
                                      const std::vector<float>& similarity,
                                      const ReportSettings& settings, ReportData* data,
                                      ClusterSizes* sizes) {
  const size_t n = representative.size();
  sizes->size.assign(n, 0);
  sizes->min_sim.assign(n, 1.0f);
  std::vector<uint32_t>& size = sizes->size;
  std::vector<float>& min_sim = sizes->min_sim;
  data->similarity_bins.assign(ReportData::kSimilarityBins, 0);
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = representative[d];
    ++size[rep];
    if (rep != d) {
      const float s = similarity[d];
      min_sim[rep] = std::min(min_sim[rep], s);
      int bin = static_cast<int>(std::floor(static_cast<double>(s) * ReportData::kSimilarityBins));
      bin = std::clamp(bin, 0, ReportData::kSimilarityBins - 1);
      ++data->similarity_bins[static_cast<size_t>(bin)];
    }
  }
  std::vector<uint32_t> multi;  // representatives of clusters with more than one member
  absl::flat_hash_map<uint64_t, uint64_t> size_counts;
  data->clusters_total = data->singletons = data->multi_member_clusters = data->largest_cluster = 0;
  for (size_t d = 0; d < n; ++d) {
    if (size[d] == 0) continue;
    ++data->clusters_total;
    ++size_counts[size[d]];
    data->largest_cluster = std::max<uint64_t>(data->largest_cluster, size[d]);
    if (size[d] == 1) {
      ++data->singletons;
    } else {
      ++data->multi_member_clusters;
      multi.push_back(static_cast<uint32_t>(d));
    }
  }
  data->size_histogram.clear();
  for (const auto& [s, count] : size_counts) data->size_histogram.push_back({s, count});
  std::sort(data->size_histogram.begin(), data->size_histogram.end(),
            [](const ClusterSizeCount& a, const ClusterSizeCount& b) { return a.size < b.size; });

  const size_t shown = std::min(multi.size(), settings.max_clusters);
  std::partial_sort(multi.begin(), multi.begin() + static_cast<std::ptrdiff_t>(shown), multi.end(),
                    [&](uint32_t a, uint32_t b) {
                      return size[a] != size[b] ? size[a] > size[b] : a < b;
                    });
  data->clusters_left_out = multi.size() - shown;
  data->clusters.assign(shown, ReportCluster{});
  // Which cluster a representative's cluster is shown as (only shown ones are in the map).
  absl::flat_hash_map<uint32_t, uint32_t> slot_of_rep;
  for (size_t c = 0; c < shown; ++c) {
    slot_of_rep[multi[c]] = static_cast<uint32_t>(c);
    data->clusters[c] = ClusterHead(multi[c], *sizes);
  }
  const size_t max_members = std::max<size_t>(settings.max_members_per_cluster, 2);
  std::vector<MemberRef> refs;
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = representative[d];
    auto it = slot_of_rep.find(rep);
    if (it == slot_of_rep.end()) continue;
    ReportCluster& cluster = data->clusters[it->second];
    if (rep == d) {
      refs.push_back({d, kClusterList, it->second, 0});
      continue;
    }
    if (cluster.members.size() >= max_members) continue;
    ReportMember m;
    m.similarity = similarity[d];
    m.document_index = d;
    refs.push_back({d, kClusterList, it->second, static_cast<uint32_t>(cluster.members.size())});
    cluster.members.push_back(std::move(m));
  }
  for (ReportCluster& cluster : data->clusters) {
    cluster.members_left_out = cluster.size - cluster.members.size();
  }
  return refs;  // already in document order
}

// Fills the story figures and the shown stories (without text) from per-document arrays (as
// SelectClusters), `story[d]` being the document index of the first document of d's story.
// Appends the kept members of the stories' clusters and the stories' first documents to `*refs`,
// which stays sorted by document index.
void SelectStories(const std::vector<uint32_t>& representative,
                   const std::vector<float>& similarity, const std::vector<uint32_t>& story,
                   const ClusterSizes& sizes, const ReportSettings& settings, ReportData* data,
                   std::vector<MemberRef>* refs) {
  const size_t n = representative.size();
  data->has_stories = true;
  std::vector<uint64_t> documents(n, 0);  // by story (its first document)
  std::vector<uint32_t> clusters(n, 0);
  for (size_t r = 0; r < n; ++r) {
    if (sizes.size[r] == 0) continue;  // represents no cluster
    documents[story[r]] += sizes.size[r];
    ++clusters[story[r]];
  }
  std::vector<uint32_t> multi;  // stories of two or more clusters
  for (size_t s = 0; s < n; ++s) {
    if (clusters[s] == 0) continue;
    ++data->stories_total;
    data->largest_story = std::max(data->largest_story, documents[s]);
    if (clusters[s] >= 2) multi.push_back(static_cast<uint32_t>(s));
  }
  data->multi_cluster_stories = multi.size();
  const size_t shown = std::min(multi.size(), settings.max_clusters);
  std::partial_sort(multi.begin(), multi.begin() + static_cast<std::ptrdiff_t>(shown), multi.end(),
                    [&](uint32_t a, uint32_t b) {
                      return documents[a] != documents[b] ? documents[a] > documents[b] : a < b;
                    });
  data->stories_left_out = multi.size() - shown;
  data->stories.assign(shown, ReportStory{});
  absl::flat_hash_map<uint32_t, uint32_t> slot_of_story;
  std::vector<std::vector<uint32_t>> reps(shown);  // each shown story's clusters
  for (size_t i = 0; i < shown; ++i) {
    slot_of_story[multi[i]] = static_cast<uint32_t>(i);
    ReportStory& st = data->stories[i];
    st.documents = documents[multi[i]];
    st.clusters_total = clusters[multi[i]];
    st.first.document_index = multi[i];
    refs->push_back({multi[i], static_cast<uint32_t>(i), kHeadline, 0});
  }
  for (size_t r = 0; r < n; ++r) {
    if (sizes.size[r] == 0) continue;
    auto it = slot_of_story.find(story[r]);
    if (it != slot_of_story.end()) reps[it->second].push_back(static_cast<uint32_t>(r));
  }
  // Which story cluster a representative's cluster is shown as, and how many members it keeps.
  struct Slot {
    uint32_t story, cluster;
    size_t cap;
  };
  absl::flat_hash_map<uint32_t, Slot> slot_of_rep;
  const size_t max_members = std::max<size_t>(settings.max_members_per_cluster, 2);
  for (size_t i = 0; i < shown; ++i) {
    std::sort(reps[i].begin(), reps[i].end(), [&](uint32_t a, uint32_t b) {
      return sizes.size[a] != sizes.size[b] ? sizes.size[a] > sizes.size[b] : a < b;
    });
    ReportStory& st = data->stories[i];
    size_t budget = std::max<size_t>(settings.max_members_per_story, 1);
    for (uint32_t rep : reps[i]) {
      if (budget == 0) {
        ++st.clusters_left_out;
        st.documents_left_out += sizes.size[rep];
        continue;
      }
      const size_t cap = std::min<size_t>({sizes.size[rep], max_members, budget});
      budget -= cap;
      slot_of_rep[rep] = {static_cast<uint32_t>(i), static_cast<uint32_t>(st.clusters.size()), cap};
      st.clusters.push_back(ClusterHead(rep, sizes));
    }
  }
  for (size_t d = 0; d < n; ++d) {
    auto it = slot_of_rep.find(representative[d]);
    if (it == slot_of_rep.end()) continue;
    const Slot& slot = it->second;
    ReportCluster& cluster = data->stories[slot.story].clusters[slot.cluster];
    if (representative[d] == d) {
      refs->push_back({d, slot.story, slot.cluster, 0});
      continue;
    }
    if (cluster.members.size() >= slot.cap) continue;
    ReportMember m;
    m.similarity = similarity[d];
    m.document_index = d;
    refs->push_back({d, slot.story, slot.cluster, static_cast<uint32_t>(cluster.members.size())});
    cluster.members.push_back(std::move(m));
  }
  for (ReportStory& st : data->stories) {
    for (ReportCluster& cluster : st.clusters) {
      cluster.members_left_out = cluster.size - cluster.members.size();
    }
  }
  std::sort(refs->begin(), refs->end());
}

// After the texts are in: marks members whose normalized text equals the representative's.
void MarkIdentical(const std::vector<MemberRef>& refs, const std::vector<internal::Hash128>& hashes,
                   const std::vector<bool>& found, ReportData* data) {
  auto key = [](const MemberRef& r) { return uint64_t{r.story} << 32 | r.cluster; };
  // The representative's text hash of every shown cluster (nullptr: its text was not found).
  absl::flat_hash_map<uint64_t, const internal::Hash128*> rep_hash;
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].cluster != kHeadline && refs[i].member == 0) {
      rep_hash[key(refs[i])] = found[i] ? &hashes[i] : nullptr;
    }
  }
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].cluster == kHeadline || refs[i].member == 0) continue;
    auto it = rep_hash.find(key(refs[i]));
    const internal::Hash128* rep = it == rep_hash.end() ? nullptr : it->second;
    Target(data, refs[i]).identical_to_representative =
        rep != nullptr && found[i] && hashes[i] == *rep;
  }
}

// With the run's edges: which rule joined each shown member to its representative, where the two
// are an edge (members joined through others have none).
void MarkMatched(const RunResult& result, const std::vector<MemberRef>& refs, ReportData* data) {
  absl::flat_hash_map<uint64_t, uint8_t> reason;
  for (const DocumentEdge& e : result.edges) reason[uint64_t{e.a} << 32 | e.b] = e.reason;
  for (const MemberRef& ref : refs) {
    const uint32_t d = static_cast<uint32_t>(ref.document);
    const uint32_t rep = result.representative[d];
    if (rep == d || ref.cluster == kHeadline) continue;
    auto it = reason.find(uint64_t{std::min(d, rep)} << 32 | std::max(d, rep));
    if (it == reason.end()) continue;
    Target(data, ref).matched =
        it->second == kExactDuplicateReason
            ? "exact duplicate"
            : S(MatchReasonName(static_cast<MatchReason>(it->second)));
  }
}

void CountShownWithoutText(ReportData* data) {
  data->members_without_text = 0;
  for (const ReportCluster& c : data->clusters) {
    for (const ReportMember& m : c.members) data->members_without_text += m.text_found ? 0 : 1;
  }
}

// The extra fields no shown member has (ReportData::extra_fields_missing).
void FindMissingFields(ReportData* data) {
  std::vector<bool> seen(data->extra_fields.size(), false);
  auto look = [&](const ReportMember& m) {
    for (size_t i = 0; i < m.extra.size() && i < seen.size(); ++i) seen[i] = seen[i] || m.extra[i];
  };
  for (const ReportCluster& c : data->clusters) {
    for (const ReportMember& m : c.members) look(m);
  }
  for (const ReportStory& st : data->stories) {
    look(st.first);
    for (const ReportCluster& c : st.clusters) {
      for (const ReportMember& m : c.members) look(m);
    }
  }
  data->extra_fields_missing.clear();
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) data->extra_fields_missing.push_back(data->extra_fields[i]);
  }
}

std::string FieldsName(const FieldNames& f) {
  return absl::StrCat("id=", f.id, " title=", f.title, " text=", f.text);
}

std::string FormatsName(const PipelineOptions& options) {
  if (options.format != Format::kAuto) return S(FormatName(options.format));
  std::string out = "auto (";
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    if (i) out.append(", ");
    out.append(S(FormatName(options.FormatOf(i))));
  }
  out.append(")");
  return out;
}

void FillCommon(const PipelineOptions& options, const ReportSettings& settings, ReportData* data) {
  data->corpus.clear();
  for (size_t i = 0; i < options.inputs.size(); ++i) data->corpus.push_back(options.LabelOf(i));
  data->generated_at = settings.generated_at.empty() ? NowUtc() : settings.generated_at;
  data->command_line = settings.command_line;
  data->extra_fields.clear();
  for (const std::string& name : settings.extra_fields) {
    if (!name.empty() && std::find(data->extra_fields.begin(), data->extra_fields.end(), name) ==
                             data->extra_fields.end()) {
      data->extra_fields.push_back(name);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Collecting from a run

absl::StatusOr<ReportData> CollectReportData(const PipelineOptions& options,
                                             const RunResult& result,
                                             const ReportSettings& settings) {
  ReportData data;
  FillCommon(options, settings, &data);
  const RunCounts& c = result.counts;
  data.records_read = c.records_read;
  data.bad_records = c.records_bad;
  data.documents = c.documents;
  data.exact_duplicates = c.exact_duplicates;
  data.near_duplicates = c.documents - c.clusters - c.exact_duplicates;
  data.parameters = {
      {"engine", S(AlgorithmName(options.algo))},
      {"match", S(MatchModeName(options.match))},
      {"threshold", Number(options.threshold)},
      {"title threshold", Number(options.title_threshold)},
      {"shingle", options.shingle.ToString()},
      {"title shingle", options.title_shingle.ToString()},
      {"normalization", NormalizeStepsName(options.normalize)},
      {"verification", S(VerifyModeName(options.verify))},
      {"representative", S(KeepPolicyName(options.keep))},
      {"clustering", S(ClusterModeName(options.cluster))},
      {"max bucket", absl::StrCat(options.max_bucket)},
      {"format", FormatsName(options)},
      {"fields", FieldsName(options.fields)},
  };
  if (SketchEngine::Get(options.algo).candidate_search() == CandidateSearch::kHammingTables) {
    data.parameters.insert(data.parameters.begin() + 1,
                           {"max Hamming distance", absl::StrCat(options.max_hamming)});
  } else {
    data.parameters.insert(data.parameters.begin() + 6,
                           {{"permutations", absl::StrCat(options.num_perm)},
                            {"LSH bands x rows", DescribeBanding(result.lsh)}});
  }
  ClusterSizes sizes;
  std::vector<MemberRef> refs =
      SelectClusters(result.representative, result.similarity, settings, &data, &sizes);
  if (!result.story.empty()) {
    SelectStories(result.representative, result.similarity, result.story, sizes, settings, &data,
                  &refs);
  }

  std::vector<internal::Hash128> hashes(refs.size());
  std::vector<bool> found(refs.size(), false);
  auto rules = options.BuildNewsRules();  // the run's aliases and tags
  if (!rules.ok()) return rules.status();
  const Normalizer normalizer(options.normalize, *std::move(rules));
  std::string scratch, scratch2;
  size_t next_ref = 0;
  Document parsed;
  std::unique_ptr<RecordParser> parser;
  ExtraFieldReader extra(options.fields, data, settings);
  auto on_file = [&](int file, const RecordReader& reader) -> absl::Status {
    parser = std::make_unique<RecordParser>(options.FormatOf(file), options.fields,
                                            options.LabelOf(file), reader.columns());
    extra.OnFile(options.FormatOf(file), options.LabelOf(file), reader.columns());
    return absl::OkStatus();
  };
  auto visit = [&](const ReplayedRecord& record) -> absl::StatusOr<bool> {
    if (next_ref >= refs.size()) return false;  // every shown member has its text
    if (refs[next_ref].document != record.document) return true;
    const std::string_view run_id = result.id(record.document);  // repeated ids renamed "ID#N"
    // Too long for this reader to hold: shown without text.
    const bool has_text = !record.oversized;
    internal::Hash128 hash{};
    ExtraValues values;
    if (has_text) {
      absl::Status st = parser->Parse(record.raw, record.line_number, &parsed);
      const bool same_id =
          st.ok() && (parsed.id == run_id ||
                      (run_id.size() > parsed.id.size() + 1 &&
                       run_id.compare(0, parsed.id.size(), parsed.id) == 0 &&
                       run_id[parsed.id.size()] == '#'));
      if (!same_id) {
        return absl::InternalError(absl::StrCat(options.LabelOf(record.file_index),
                                                " changed while neardup was reading it"));
      }
      hash = TextHash(normalizer, parsed, &scratch, &scratch2);
      if (!extra.empty()) values = extra.Read(record.raw, record.line_number);
    }
    // One document may be shown more than once (in the cluster list and in a story).
    for (; next_ref < refs.size() && refs[next_ref].document == record.document; ++next_ref) {
      ReportMember& member = Target(&data, refs[next_ref]);
      member.id = S(run_id);
      if (!has_text) {
        member.text_found = false;
        continue;
      }
      FillMemberText(parsed, settings, &member);
      member.extra = values;
      hashes[next_ref] = hash;
      found[next_ref] = true;
    }
    return true;
  };
  RETURN_IF_ERROR(ReplayDocuments(options, result, on_file, visit));
  if (next_ref != refs.size()) {
    return absl::InternalError("the inputs changed while neardup was reading them");
  }
  MarkIdentical(refs, hashes, found, &data);
  if (options.keep_edges) MarkMatched(result, refs, &data);
  CountShownWithoutText(&data);
  FindMissingFields(&data);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Collecting from a clusters file

namespace {

// The clusters file, a few bytes per line.
struct ClustersFile {
  std::string id_bytes;
  std::vector<uint64_t> id_offsets{0};
  std::vector<uint32_t> representative;  // line of the representative
  std::vector<float> similarity;
  // When the lines carry "story": per line, the line of its story's first document (the line
  // whose id is the story's id, or the story's first line when no line has that id); else empty.
  std::vector<uint32_t> story;
  std::string_view id(size_t line) const {
    return std::string_view(id_bytes).substr(id_offsets[line],
                                             id_offsets[line + 1] - id_offsets[line]);
  }
};

absl::StatusOr<ClustersFile> ReadClustersFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, Format::kJsonl));
  ClustersFile file;
  absl::flat_hash_map<std::string, uint32_t> cluster_number;  // cluster id -> number
  std::vector<uint32_t> cluster_of_line;
  std::vector<int64_t> rep_line;  // per cluster number; -1 until its representative line is seen
  std::vector<uint32_t> first_line;
  std::vector<bool> is_rep;
  // Stories: story id -> number, each line's number, and each number's first line.
  absl::flat_hash_map<std::string, uint32_t> story_number;
  std::vector<uint32_t> story_of_line;
  std::vector<uint32_t> story_first_line;
  uint64_t first_with_story = 0, first_without_story = 0;  // input line numbers; 0 = none yet
  absl::flat_hash_map<std::string, uint32_t> line_of_id;  // the first line of each id
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded;
  RecordBatch batch;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->ReadBatch(1 << 20, &batch));
    if (!more) break;
    for (size_t r = 0; r < batch.size(); ++r) {
      std::string_view raw = batch.record(r);
      while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
      const std::string where = absl::StrCat(path, ":", batch.line_numbers[r], ": ");
      padded = simdjson::padded_string(raw);
      simdjson::ondemand::document doc;
      std::string_view id, cluster, story;
      bool rep = false;
      double sim = 1;
      simdjson::ondemand::object obj;
      auto err = parser.iterate(padded).get(doc);
      if (!err) err = doc.get_object().get(obj);
      bool has_id = false, has_cluster = false, has_story = false;
      std::string id_copy, cluster_copy, story_copy;
      if (!err) {
        for (auto field : obj) {
          std::string_view key;
          if ((err = field.unescaped_key().get(key))) break;
          if (key == "id") {
            if ((err = field.value().get_string().get(id))) break;
            id_copy = S(id);
            has_id = true;
          } else if (key == "cluster") {
            if ((err = field.value().get_string().get(cluster))) break;
            cluster_copy = S(cluster);
            has_cluster = true;
          } else if (key == "story") {
            if ((err = field.value().get_string().get(story))) break;
            story_copy = S(story);
            has_story = true;
          } else if (key == "representative") {
            if ((err = field.value().get_bool().get(rep))) break;
          } else if (key == "similarity") {
            if ((err = field.value().get_double().get(sim))) break;
          }
        }
      }
      if (err) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "not a clusters-file line: ", simdjson::error_message(err)));
      }
      if (!has_id || !has_cluster) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "a clusters-file line needs \"id\" and \"cluster\""));
      }
      uint64_t& first_of_kind = has_story ? first_with_story : first_without_story;
      if (first_of_kind == 0) first_of_kind = batch.line_numbers[r];
      if (first_with_story != 0 && first_without_story != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "line ", first_with_story, " has a \"story\" and line ", first_without_story,
            " has none: a clusters file has one on every line (cluster --stories) or on none"));
      }
      const uint32_t line = static_cast<uint32_t>(cluster_of_line.size());
      if (has_story) {
        auto [st, new_story] =
            story_number.try_emplace(story_copy, static_cast<uint32_t>(story_first_line.size()));
        if (new_story) story_first_line.push_back(line);
        story_of_line.push_back(st->second);
        line_of_id.try_emplace(id_copy, line);
      }
      auto [it, inserted] =
          cluster_number.try_emplace(cluster_copy, static_cast<uint32_t>(rep_line.size()));
      if (inserted) {
        rep_line.push_back(-1);
        first_line.push_back(line);
      }
      const uint32_t number = it->second;
      if (rep_line[number] < 0 && rep && id_copy == cluster_copy) rep_line[number] = line;
      cluster_of_line.push_back(number);
      file.id_bytes.append(id_copy);
      file.id_offsets.push_back(file.id_bytes.size());
      file.similarity.push_back(static_cast<float>(sim));
      is_rep.push_back(rep);
    }
  }
  file.representative.resize(cluster_of_line.size());
  for (size_t line = 0; line < cluster_of_line.size(); ++line) {
    const uint32_t number = cluster_of_line[line];
    // A cluster whose representative line is missing is represented by its first line.
    file.representative[line] =
        rep_line[number] >= 0 ? static_cast<uint32_t>(rep_line[number]) : first_line[number];
    if (file.representative[line] == line) file.similarity[line] = 1;
  }
  if (!story_of_line.empty()) {
    // A story's first document is the line with the story's id.
    for (const auto& [story_id, number] : story_number) {
      auto it = line_of_id.find(story_id);
      if (it != line_of_id.end()) story_first_line[number] = it->second;
    }
    file.story.resize(story_of_line.size());
    for (size_t line = 0; line < story_of_line.size(); ++line) {
      file.story[line] = story_first_line[story_of_line[line]];
    }
  }
  return file;
}

// Matches input documents to clusters-file lines by id: the k-th input document with an id fills
// the k-th line with that id.
class LinesById {
 public:
  explicit LinesById(const ClustersFile& file) : same_id_next_(file.representative.size(), kNone) {
    // `next_` holds, per id, the next line still to fill, and `same_id_next_` chains lines with
    // equal ids.
    absl::flat_hash_map<std::string_view, uint32_t> last_line;
    for (size_t line = 0; line < same_id_next_.size(); ++line) {
      auto [it, inserted] = last_line.try_emplace(file.id(line), static_cast<uint32_t>(line));
      if (inserted) {
        next_.emplace(file.id(line), static_cast<uint32_t>(line));
      } else {
        same_id_next_[it->second] = static_cast<uint32_t>(line);
        it->second = static_cast<uint32_t>(line);
      }
    }
  }
  // The line the next document with `id` fills, or kNone when no line is left for it.
  uint32_t Take(std::string_view id) {
    auto it = next_.find(id);
    if (it == next_.end() || it->second == kNone) return kNone;
    const uint32_t line = it->second;
    it->second = same_id_next_[line];
    return line;
  }
  static constexpr uint32_t kNone = UINT32_MAX;

 private:
  absl::flat_hash_map<std::string_view, uint32_t> next_;
  std::vector<uint32_t> same_id_next_;
};

// Renames a repeated id as the run renamed it: "ID#2", "ID#3", ... skipping taken ones.
class RunIds {
 public:
  void Assign(std::string* id) {
    if (assigned_.insert(*id).second) return;
    uint32_t& count = duplicate_id_counts_[*id];
    if (count == 0) count = 1;
    std::string renamed;
    do {
      renamed = absl::StrCat(*id, "#", ++count);
    } while (assigned_.count(renamed) > 0);
    assigned_.insert(renamed);
    *id = std::move(renamed);
  }

 private:
  absl::flat_hash_set<std::string> assigned_;  // ids given out so far
  absl::flat_hash_map<std::string, uint32_t> duplicate_id_counts_;
};

}  // namespace

absl::StatusOr<ReportData> CollectReportDataFromClusters(const std::string& clusters_path,
                                                         const PipelineOptions& input_options,
                                                         const ReportSettings& settings) {
  ASSIGN_OR_RETURN(ClustersFile file, ReadClustersFile(clusters_path));
  const size_t lines = file.representative.size();
  ReportData data;
  FillCommon(input_options, settings, &data);
  data.clusters_file = clusters_path;
  data.documents = lines;
  data.parameters = {
      {"clusters file", clusters_path},
      {"normalization", NormalizeStepsName(input_options.normalize)},
      {"format", FormatsName(input_options)},
      {"fields", FieldsName(input_options.fields)},
  };
  ClusterSizes sizes;
  std::vector<MemberRef> refs =
      SelectClusters(file.representative, file.similarity, settings, &data, &sizes);
  if (!file.story.empty()) {
    SelectStories(file.representative, file.similarity, file.story, sizes, settings, &data, &refs);
  }
  LinesById lines_by_id(file);
  absl::flat_hash_map<uint32_t, size_t> ref_of_line;  // the first ref of each line
  for (size_t i = 0; i < refs.size(); ++i) {
    ref_of_line.try_emplace(static_cast<uint32_t>(refs[i].document), i);
  }
  std::vector<internal::Hash128> hashes(refs.size());
  std::vector<bool> found(refs.size(), false);
  // (cluster representative line, text hash) of every found document of a multi-member cluster,
  // to count exact duplicates.
  std::vector<std::pair<uint32_t, internal::Hash128>> texts;

  auto rules = input_options.BuildNewsRules();  // the run's aliases and tags
  if (!rules.ok()) return rules.status();
  const Normalizer normalizer(input_options.normalize, *std::move(rules));
  std::string scratch, scratch2;
  RecordBatch batch;
  Document parsed;
  uint64_t records = 0, bad = 0, matched = 0;
  RunIds run_ids;
  ExtraFieldReader extra(input_options.fields, data, settings);
  for (size_t i = 0; i < input_options.inputs.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                     RecordReader::Open(input_options.inputs[i], input_options.FormatOf(i),
                                        input_options.max_record_bytes));
    RecordParser parser(input_options.FormatOf(i), input_options.fields, input_options.LabelOf(i),
                        reader->columns());
    extra.OnFile(input_options.FormatOf(i), input_options.LabelOf(i), reader->columns());
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(input_options.batch_bytes, &batch));
      if (!more) break;
      for (size_t r = 0; r < batch.size(); ++r) {
        ++records;
        if (batch.oversized(r) ||
            !parser.Parse(batch.record(r), batch.line_numbers[r], &parsed).ok()) {
          ++bad;
          continue;
        }
        run_ids.Assign(&parsed.id);
        const uint32_t line = lines_by_id.Take(parsed.id);
        if (line == LinesById::kNone) continue;  // not in the file
        ++matched;
        const uint32_t rep = file.representative[line];
        const bool in_multi = sizes.size[rep] >= 2;
        auto ref = ref_of_line.find(line);
        if (!in_multi && ref == ref_of_line.end()) continue;
        const internal::Hash128 h = TextHash(normalizer, parsed, &scratch, &scratch2);
        if (in_multi) texts.push_back({rep, h});
        if (ref == ref_of_line.end()) continue;
        ExtraValues values;
        if (!extra.empty()) values = extra.Read(batch.record(r), batch.line_numbers[r]);
        for (size_t k = ref->second; k < refs.size() && refs[k].document == line; ++k) {
          ReportMember& member = Target(&data, refs[k]);
          FillMemberText(parsed, settings, &member);
          member.extra = values;
          hashes[k] = h;
          found[k] = true;
        }
      }
    }
  }
  data.records_read = records;
  data.bad_records = bad;
  data.clusters_lines_unmatched = lines - matched;
  if (lines > 0 && matched == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "none of the ", lines, " ids of ", clusters_path, " is in the inputs (", records,
        " records read): are these the inputs it was made from, with the same --id-field?"));
  }
  // Ids and "not found" for the members whose text never came.
  for (size_t i = 0; i < refs.size(); ++i) {
    ReportMember& member = Target(&data, refs[i]);
    member.id = S(file.id(refs[i].document));
    if (!found[i]) member.text_found = false;
  }
  std::sort(texts.begin(), texts.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : x.second < y.second;
  });
  data.exact_duplicates = 0;
  for (size_t i = 1; i < texts.size(); ++i) {
    if (texts[i] == texts[i - 1]) ++data.exact_duplicates;
  }
  data.near_duplicates = data.documents - data.clusters_total - data.exact_duplicates;
  MarkIdentical(refs, hashes, found, &data);
  CountShownWithoutText(&data);
  FindMissingFields(&data);
  return data;
}

}  // namespace neardup
