// Collecting a report: from a finished run (CollectReportData) or from a clusters file and the
// inputs it was made from (CollectReportDataFromClusters). Both select the shown clusters from
// per-document arrays (SelectClusters), then read the inputs once to fill in the shown members' text.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"
#include "internal/status_macros.h"
#include "neardup/cluster/match.h"
#include "neardup/io/reader.h"
#include "neardup/io/replay.h"
#include "neardup/report/report.h"
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

// Where a kept member's text goes.
struct MemberRef {
  uint64_t document;  // document index (or clusters-file line)
  uint32_t cluster;   // index into ReportData::clusters
  uint32_t member;    // index into ReportCluster::members
};

// Fills the counts, histograms and the shown clusters (without text) from per-document arrays:
// `representative[d]` is d's representative (a document index), `similarity[d]` its similarity.
// Returns the kept members sorted by document index.
std::vector<MemberRef> SelectClusters(const std::vector<uint32_t>& representative,
                                      const std::vector<float>& similarity,
                                      const ReportSettings& settings, ReportData* data) {
  const size_t n = representative.size();
  std::vector<uint32_t> size(n, 0);
  std::vector<float> min_sim(n, 1.0f);
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
    const uint32_t rep = multi[c];
    slot_of_rep[rep] = static_cast<uint32_t>(c);
    ReportCluster& cluster = data->clusters[c];
    cluster.size = size[rep];
    cluster.min_similarity = min_sim[rep];
    ReportMember m;
    m.representative = true;
    m.similarity = 1;
    m.document_index = rep;
    m.identical_to_representative = true;
    cluster.members.push_back(std::move(m));
  }
  const size_t max_members = std::max<size_t>(settings.max_members_per_cluster, 2);
  std::vector<MemberRef> refs;
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = representative[d];
    auto it = slot_of_rep.find(rep);
    if (it == slot_of_rep.end()) continue;
    ReportCluster& cluster = data->clusters[it->second];
    if (rep == d) {
      refs.push_back({d, it->second, 0});
      continue;
    }
    if (cluster.members.size() >= max_members) continue;
    ReportMember m;
    m.similarity = similarity[d];
    m.document_index = d;
    refs.push_back({d, it->second, static_cast<uint32_t>(cluster.members.size())});
    cluster.members.push_back(std::move(m));
  }
  for (ReportCluster& cluster : data->clusters) {
    cluster.members_left_out = cluster.size - cluster.members.size();
  }
  return refs;  // already in document order
}

// After the texts are in: marks members whose normalized text equals the representative's.
void MarkIdentical(const std::vector<MemberRef>& refs, const std::vector<internal::Hash128>& hashes,
                   const std::vector<bool>& found, ReportData* data) {
  std::vector<std::vector<const internal::Hash128*>> per_cluster(data->clusters.size());
  for (size_t c = 0; c < data->clusters.size(); ++c) {
    per_cluster[c].assign(data->clusters[c].members.size(), nullptr);
  }
  for (size_t i = 0; i < refs.size(); ++i) {
    if (found[i]) per_cluster[refs[i].cluster][refs[i].member] = &hashes[i];
  }
  for (size_t c = 0; c < data->clusters.size(); ++c) {
    const internal::Hash128* rep = per_cluster[c][0];
    for (size_t m = 1; m < per_cluster[c].size(); ++m) {
      data->clusters[c].members[m].identical_to_representative =
          rep != nullptr && per_cluster[c][m] != nullptr && *per_cluster[c][m] == *rep;
    }
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
    if (rep == d) continue;
    auto it = reason.find(uint64_t{std::min(d, rep)} << 32 | std::max(d, rep));
    if (it == reason.end()) continue;
    data->clusters[ref.cluster].members[ref.member].matched =
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
  if (options.algo == Algorithm::kSimHash) {
    data.parameters.insert(data.parameters.begin() + 1,
                           {"max Hamming distance", absl::StrCat(options.max_hamming)});
  } else {
    data.parameters.insert(data.parameters.begin() + 6,
                           {{"permutations", absl::StrCat(options.num_perm)},
                            {"LSH bands x rows", DescribeBanding(result.lsh)}});
  }
  std::vector<MemberRef> refs =
      SelectClusters(result.representative, result.similarity, settings, &data);

  std::vector<internal::Hash128> hashes(refs.size());
  std::vector<bool> found(refs.size(), false);
  auto rules = options.BuildNewsRules();  // the run's aliases and tags
  if (!rules.ok()) return rules.status();
  const Normalizer normalizer(options.normalize, *std::move(rules));
  std::string scratch, scratch2;
  size_t next_ref = 0;
  Document parsed;
  std::unique_ptr<RecordParser> parser;
  auto on_file = [&](int file, const RecordReader& reader) -> absl::Status {
    parser = std::make_unique<RecordParser>(options.FormatOf(file), options.fields,
                                            options.LabelOf(file), reader.columns());
    return absl::OkStatus();
  };
  auto visit = [&](const ReplayedRecord& record) -> absl::StatusOr<bool> {
    if (next_ref >= refs.size()) return false;  // every shown member has its text
    if (refs[next_ref].document != record.document) return true;
    const MemberRef& ref = refs[next_ref];
    ReportMember& member = data.clusters[ref.cluster].members[ref.member];
    const std::string_view run_id = result.id(record.document);  // repeated ids renamed "ID#N"
    member.id = S(run_id);
    if (record.oversized) {
      member.text_found = false;  // too long for this reader to hold; shown without text
    } else {
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
      FillMemberText(parsed, settings, &member);
      hashes[next_ref] = TextHash(normalizer, parsed, &scratch, &scratch2);
      found[next_ref] = true;
    }
    ++next_ref;
    return true;
  };
  RETURN_IF_ERROR(ReplayDocuments(options, result, on_file, visit));
  if (next_ref != refs.size()) {
    return absl::InternalError("the inputs changed while neardup was reading them");
  }
  MarkIdentical(refs, hashes, found, &data);
  if (options.keep_edges) MarkMatched(result, refs, &data);
  CountShownWithoutText(&data);
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
      std::string_view id, cluster;
      bool rep = false;
      double sim = 1;
      simdjson::ondemand::object obj;
      auto err = parser.iterate(padded).get(doc);
      if (!err) err = doc.get_object().get(obj);
      bool has_id = false, has_cluster = false;
      std::string id_copy, cluster_copy;
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
      const uint32_t line = static_cast<uint32_t>(cluster_of_line.size());
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
  return file;
}

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
  std::vector<MemberRef> refs = SelectClusters(file.representative, file.similarity, settings,
                                               &data);
  // The k-th input document with an id fills the k-th line with that id: `next_line` holds, per
  // id, the next line still to fill, and `same_id_next` chains lines with equal ids.
  absl::flat_hash_map<std::string_view, uint32_t> next_line;
  std::vector<uint32_t> same_id_next(lines, UINT32_MAX);
  {
    absl::flat_hash_map<std::string_view, uint32_t> last_line;
    for (size_t line = 0; line < lines; ++line) {
      auto [it, inserted] = last_line.try_emplace(file.id(line), static_cast<uint32_t>(line));
      if (inserted) {
        next_line.emplace(file.id(line), static_cast<uint32_t>(line));
      } else {
        same_id_next[it->second] = static_cast<uint32_t>(line);
        it->second = static_cast<uint32_t>(line);
      }
    }
  }
  absl::flat_hash_map<uint32_t, size_t> ref_of_line;
  for (size_t i = 0; i < refs.size(); ++i) ref_of_line[static_cast<uint32_t>(refs[i].document)] = i;
  std::vector<internal::Hash128> hashes(refs.size());
  std::vector<bool> found(refs.size(), false);
  // (cluster representative line, text hash) of every found document of a multi-member cluster,
  // to count exact duplicates.
  std::vector<uint32_t> cluster_size(lines, 0);
  for (uint32_t rep : file.representative) ++cluster_size[rep];
  std::vector<std::pair<uint32_t, internal::Hash128>> texts;

  const Normalizer normalizer(input_options.normalize);
  std::string scratch, scratch2;
  RecordBatch batch;
  Document parsed;
  uint64_t records = 0, bad = 0, matched = 0;
  absl::flat_hash_set<std::string> assigned;  // ids given out so far, as the run gives them
  absl::flat_hash_map<std::string, uint32_t> duplicate_id_counts;
  for (size_t i = 0; i < input_options.inputs.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                     RecordReader::Open(input_options.inputs[i], input_options.FormatOf(i),
                                        input_options.max_record_bytes));
    RecordParser parser(input_options.FormatOf(i), input_options.fields, input_options.LabelOf(i),
                        reader->columns());
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
        // A repeated id is renamed as the run renamed it: "ID#2", "ID#3", ... skipping taken ones.
        if (!assigned.insert(parsed.id).second) {
          uint32_t& count = duplicate_id_counts[parsed.id];
          if (count == 0) count = 1;
          std::string renamed;
          do {
            renamed = absl::StrCat(parsed.id, "#", ++count);
          } while (assigned.count(renamed) > 0);
          assigned.insert(renamed);
          parsed.id = std::move(renamed);
        }
        auto it = next_line.find(std::string_view(parsed.id));
        if (it == next_line.end() || it->second == UINT32_MAX) continue;  // not in the file
        ++matched;
        const uint32_t line = it->second;
        it->second = same_id_next[line];
        const uint32_t rep = file.representative[line];
        if (cluster_size[rep] < 2) continue;
        const internal::Hash128 h = TextHash(normalizer, parsed, &scratch, &scratch2);
        texts.push_back({rep, h});
        auto ref = ref_of_line.find(line);
        if (ref == ref_of_line.end()) continue;
        const MemberRef& mr = refs[ref->second];
        ReportMember& member = data.clusters[mr.cluster].members[mr.member];
        FillMemberText(parsed, settings, &member);
        hashes[ref->second] = h;
        found[ref->second] = true;
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
    ReportMember& member = data.clusters[refs[i].cluster].members[refs[i].member];
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
  return data;
}


}  // namespace neardup
