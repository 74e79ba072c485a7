#include "neardup/sketch/engine.h"
#include "neardup/tools/explain.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "neardup/dist/mpi.h"
#include "neardup/io/reader.h"
#include "neardup/io/replay.h"
#include "neardup/sketch/minhash.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

std::optional<size_t> FindDocument(const RunResult& result, std::string_view id) {
  for (size_t d = 0; d < result.num_documents(); ++d) {
    if (result.id(d) == id) return d;
  }
  return std::nullopt;
}

// One field of both documents: sets, overlap, similarities, and (MinHash) estimate and bands.
void MeasureField(const PipelineOptions& options, int field, const std::string& a,
                  const std::string& b, FieldExplanation* out) {
  const ShingleSpec& spec = field == 0 ? options.title_shingle : options.shingle;
  out->text_a = a;
  out->text_b = b;
  std::vector<uint64_t> sa, sb;
  Shingle(a, spec, options.shingle_seed, &sa);
  Shingle(b, spec, options.shingle_seed, &sb);
  out->positions_a = sa.size();
  out->positions_b = sb.size();
  std::vector<uint64_t> ua(sa), ub(sb);
  for (auto* s : {&ua, &ub}) {
    std::sort(s->begin(), s->end());
    s->erase(std::unique(s->begin(), s->end()), s->end());
  }
  out->shingles_a = ua.size();
  out->shingles_b = ub.size();
  out->present = !ua.empty() && !ub.empty();
  std::vector<uint64_t> both;
  std::set_intersection(ua.begin(), ua.end(), ub.begin(), ub.end(), std::back_inserter(both));
  out->overlap = both.size();
  const size_t uni = ua.size() + ub.size() - both.size();
  out->jaccard = uni == 0 ? 1.0 : static_cast<double>(both.size()) / uni;
  const size_t smaller = std::min(ua.size(), ub.size());
  out->containment = smaller == 0 ? 0.0 : static_cast<double>(both.size()) / smaller;
  out->threshold = field == 0 ? options.title_threshold : options.threshold;
  // The signature's estimate, where the engine estimates (minhash).
  if (SketchEngine::Get(options.algo).similarity_kind() != SimilarityKind::kEstimatedJaccard ||
      !out->present) {
    return;
  }
  const MinHasher hasher(options.num_perm, options.minhash_seed,
                         field == 0 ? options.title_minhash_scheme : options.minhash_scheme);
  std::vector<uint32_t> ga(static_cast<size_t>(options.num_perm));
  std::vector<uint32_t> gb(ga.size());
  hasher.Sign(sa, absl::MakeSpan(ga));
  hasher.Sign(sb, absl::MakeSpan(gb));
  out->estimate = EstimateJaccard(ga, gb);
  out->lsh = field == 0 ? options.EffectiveTitleLsh() : options.EffectiveLsh();
  for (int band = 0; band < out->lsh.total_bands(); ++band) {
    if (BandKey(ga, out->lsh, band) == BandKey(gb, out->lsh, band)) {
      out->shared_bands.push_back(band);
    }
  }
}

std::string Num(double x) {
  std::string s;
  internal::AppendJsonNumber(&s, x);
  return s;
}

std::string DescribeField(const char* name, const FieldExplanation& f,
                          SimilarityMeasure measure) {
  std::string out = absl::StrFormat("  %s:", name);
  if (f.shingles_a == 0 || f.shingles_b == 0) {
    absl::StrAppendFormat(&out, " %s (%d and %d shingles): not compared\n",
                          f.shingles_a == 0 && f.shingles_b == 0 ? "absent in both"
                          : f.shingles_a == 0                   ? "absent in the first"
                                                                : "absent in the second",
                          f.shingles_a, f.shingles_b);
    return out;
  }
  const double sim = measure == SimilarityMeasure::kJaccard ? f.jaccard : f.containment;
  absl::StrAppendFormat(&out,
                        " %d and %d shingles, %d shared: Jaccard %s, containment %s; %s %s %s "
                        "the threshold %s\n",
                        f.shingles_a, f.shingles_b, f.overlap, Num(f.jaccard),
                        Num(f.containment), SimilarityMeasureName(measure), Num(sim),
                        sim >= f.threshold ? "passes" : "fails", Num(f.threshold));
  if (f.estimate >= 0) {
    absl::StrAppendFormat(&out, "    MinHash estimate %s; LSH %s: ", Num(f.estimate),
                          DescribeBanding(f.lsh));
    if (f.shared_bands.empty()) {
      out += "no band shared, so this field never made them a candidate\n";
    } else {
      absl::StrAppendFormat(&out, "%d shared (band %s), a candidate through this field unless "
                                  "its buckets were capped (--max-bucket)\n",
                            f.shared_bands.size(), absl::StrJoin(f.shared_bands, ", "));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<PairExplanation> ExplainPair(const PipelineOptions& options, std::string_view id_a,
                                            std::string_view id_b) {
  PipelineOptions run_options = options;
  run_options.keep_edges = true;
  ASSIGN_OR_RETURN(RunResult result, mpi::RunPipelineOnRanks(run_options));
  PairExplanation e;
  e.id_a = std::string(id_a);
  e.id_b = std::string(id_b);
  const std::optional<size_t> da = FindDocument(result, id_a);
  const std::optional<size_t> db = FindDocument(result, id_b);
  for (const auto& [found, id] : {std::pair{da, id_a}, std::pair{db, id_b}}) {
    if (!found) {
      return absl::NotFoundError(absl::StrCat("no record with id \"", std::string(id),
                                              "\" in the inputs (ids as in the cluster file)"));
    }
  }
  if (*da == *db) return absl::InvalidArgumentError("the two ids are the same record");
  e.document_a = std::min(*da, *db);
  e.document_b = std::max(*da, *db);
  if (e.document_a != *da) std::swap(e.id_a, e.id_b);

  // The two records, read again and normalized as the run did.
  ASSIGN_OR_RETURN(NewsRules rules, options.BuildNewsRules());
  const Normalizer normalizer(options.normalize, std::move(rules));
  std::vector<std::unique_ptr<RecordParser>> parsers(options.inputs.size());
  Document docs[2];
  RETURN_IF_ERROR(ReplayDocuments(
      options, result,
      [&](int file, const RecordReader& reader) -> absl::Status {
        parsers[static_cast<size_t>(file)] = std::make_unique<RecordParser>(
            options.FormatOf(static_cast<size_t>(file)), options.fields,
            options.LabelOf(static_cast<size_t>(file)), reader.columns());
        return absl::OkStatus();
      },
      [&](const ReplayedRecord& r) -> absl::StatusOr<bool> {
        if (r.document != e.document_a && r.document != e.document_b) return true;
        Document& doc = docs[r.document == e.document_a ? 0 : 1];
        RETURN_IF_ERROR(parsers[static_cast<size_t>(r.file_index)]->Parse(r.raw, r.line_number,
                                                                         &doc));
        return r.document != e.document_b;  // stop after the later one
      }));
  std::string ta, tb, ba, bb;
  normalizer.Normalize(docs[0].title, TextField::kTitle, &ta);
  normalizer.Normalize(docs[1].title, TextField::kTitle, &tb);
  normalizer.Normalize(docs[0].body, TextField::kBody, &ba);
  normalizer.Normalize(docs[1].body, TextField::kBody, &bb);
  MeasureField(options, 0, ta, tb, &e.title);
  MeasureField(options, 1, ba, bb, &e.body);
  e.exact_duplicates = ta == tb && ba == bb;
  e.long_bodies = e.body.positions_a >= options.min_body_shingles &&
                  e.body.positions_b >= options.min_body_shingles;
  const MatchRule rule = options.EffectiveMatchRule();
  const bool jaccard = options.similarity == SimilarityMeasure::kJaccard;
  const auto score = [&](const FieldExplanation& f) {
    return FieldScore{f.present, static_cast<float>(jaccard ? f.jaccard : f.containment)};
  };
  e.exact_verdict = Decide(rule, score(e.title), score(e.body), e.long_bodies);

  for (const DocumentEdge& edge : result.edges) {
    if (edge.a == e.document_a && edge.b == e.document_b) {
      e.edge = true;
      e.run_edge = edge;
    }
  }
  const uint32_t ra = result.representative[e.document_a];
  const uint32_t rb = result.representative[e.document_b];
  e.cluster_a = std::string(result.id(ra));
  e.cluster_b = std::string(result.id(rb));
  for (size_t d = 0; d < result.num_documents(); ++d) {
    e.cluster_size_a += result.representative[d] == ra;
    e.cluster_size_b += result.representative[d] == rb;
  }
  e.same_cluster = ra == rb;
  return e;
}

std::string FormatExplanation(const PairExplanation& e, const PipelineOptions& options) {
  std::string out = absl::StrFormat("%s and %s (records %d and %d in input order)\n", e.id_a,
                                    e.id_b, e.document_a + 1, e.document_b + 1);
  if (e.exact_duplicates) {
    out += "  exact duplicates: the same title and body after normalization\n";
  }
  out += DescribeField("title", e.title, options.similarity);
  out += DescribeField("body", e.body, options.similarity);
  // The rule.
  out += absl::StrFormat("  rule (--match %s", MatchModeName(options.match));
  if (options.match == MatchMode::kAuto) {
    out += e.long_bodies
               ? absl::StrFormat("): both bodies have at least %d shingles, so the bodies "
                                 "decide alone",
                                 options.min_body_shingles)
               : absl::StrFormat("): a body shorter than %d shingles, so every field both "
                                 "have must pass",
                                 options.min_body_shingles);
  } else {
    out += ")";
  }
  const PairVerdict& v = e.exact_verdict;
  out += !v.compared ? "; no field to compare: not duplicates\n"
         : v.passes  ? absl::StrFormat("; on the exact figures: duplicates by %s, similarity %s\n",
                                       MatchReasonName(v.reason), Num(v.similarity))
                     : absl::StrFormat("; on the exact figures: not duplicates (%s %s)\n",
                                       MatchReasonName(v.reason), Num(v.similarity));
  // The run.
  if (e.edge) {
    const DocumentEdge& d = e.run_edge;
    out += absl::StrFormat(
        "  the run: an edge, rule %s, similarity %s (%s)%s\n", EdgeRuleName(d.reason),
        Num(d.similarity), d.exact ? "exact" : "estimated from the sketches",
        d.same_cluster ? "" : "; clustering cut it");
  } else {
    out += "  the run: no edge (not a candidate, or rejected by verification)\n";
  }
  if (e.same_cluster) {
    out += absl::StrFormat("  clusters: together in %s (%d members)\n", e.cluster_a,
                           e.cluster_size_a);  // a pair: at least 2
  } else {
    auto members = [](size_t n) { return absl::StrCat(n, n == 1 ? " member" : " members"); };
    out += absl::StrFormat("  clusters: apart, %s in %s (%s), %s in %s (%s)", e.id_a, e.cluster_a,
                           members(e.cluster_size_a), e.id_b, e.cluster_b,
                           members(e.cluster_size_b));
    if (e.edge && options.cluster == ClusterMode::kAnchored) {
      out += absl::StrFormat(
          ": --cluster anchored cut this edge: a star holds only the near-duplicates of the "
          "document it keeps (here %s and %s), and documents with %d or more near-duplicates "
          "join only through one they share; a chain of edits is cut this way",
          e.cluster_a, e.cluster_b, options.core_degree);
    } else if (e.edge && options.cluster != ClusterMode::kComponents) {
      out += absl::StrFormat(": --cluster %s split their component (a chain or a loose group: "
                             "see `neardup cluster --help`)",
                             ClusterModeName(options.cluster));
    }
    out += "\n";
  }
  return out;
}

std::string ExplanationJson(const PairExplanation& e) {
  std::string out = "{\"a\":";
  internal::AppendJsonString(&out, e.id_a);
  out += ",\"b\":";
  internal::AppendJsonString(&out, e.id_b);
  auto field = [&](const char* name, const FieldExplanation& f) {
    absl::StrAppend(&out, ",\"", name, "\":{\"shingles_a\":", f.shingles_a,
                    ",\"shingles_b\":", f.shingles_b, ",\"overlap\":", f.overlap,
                    ",\"jaccard\":", Num(f.jaccard), ",\"containment\":", Num(f.containment),
                    ",\"threshold\":", Num(f.threshold));
    if (f.estimate >= 0) {
      absl::StrAppend(&out, ",\"estimate\":", Num(f.estimate), ",\"bands\":", f.lsh.bands,
                      ",\"rows\":", f.lsh.rows, ",\"short_bands\":", f.lsh.short_bands,
                      ",\"shared_bands\":[",
                      absl::StrJoin(f.shared_bands, ","), "]");
    }
    out += "}";
  };
  field("title", e.title);
  field("body", e.body);
  absl::StrAppend(&out, ",\"long_bodies\":", e.long_bodies ? "true" : "false",
                  ",\"exact_duplicates\":", e.exact_duplicates ? "true" : "false",
                  ",\"verdict\":{\"duplicates\":", e.exact_verdict.passes ? "true" : "false",
                  ",\"rule\":\"", std::string(MatchReasonName(e.exact_verdict.reason)),
                  "\",\"similarity\":", Num(e.exact_verdict.similarity), "}");
  if (e.edge) {
    const DocumentEdge& d = e.run_edge;
    absl::StrAppend(&out, ",\"edge\":{\"rule\":\"",
                    std::string(EdgeRuleName(d.reason)),
                    "\",\"similarity\":", Num(d.similarity), ",\"measured\":\"",
                    d.exact ? "exact" : "estimate", "\"}");
  } else {
    out += ",\"edge\":null";
  }
  out += ",\"cluster_a\":";
  internal::AppendJsonString(&out, e.cluster_a);
  out += ",\"cluster_b\":";
  internal::AppendJsonString(&out, e.cluster_b);
  absl::StrAppend(&out, ",\"same_cluster\":", e.same_cluster ? "true" : "false", "}\n");
  return out;
}

}  // namespace neardup
