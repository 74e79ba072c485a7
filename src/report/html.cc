// The report as one self-contained HTML page: escaping, inline SVG charts, the member rows with
// their title diff, and the page around them (style and script in report/html_assets.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/sha256.h"
#include "neardup/report/report.h"
#include "report/format.h"
#include "report/html_assets.h"

namespace neardup {

using report_internal::CleanText;
using report_internal::DiffsTitles;
using report_internal::Fixed2;
using report_internal::Number;
using report_internal::Percent;
using report_internal::Plural;
using report_internal::S;
using report_internal::SizesSentence;
using report_internal::Thousands;
using report_internal::kScript;
using report_internal::kStyle;

std::string HtmlEscape(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

// A bar of a chart.
struct Bar {
  std::string label;    // under the bar
  std::string tooltip;  // <title>
  uint64_t count;
};

// A bar chart as inline SVG; every label is escaped.
std::string BarChart(std::string_view title, std::string_view x_label, const std::vector<Bar>& bars,
                     std::string_view css_class) {
  const int width = 520, height = 240, left = 44, right = 12, top = 28, bottom = 46;
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  uint64_t max_count = 1;
  for (const Bar& b : bars) max_count = std::max(max_count, b.count);
  std::string out = absl::StrCat(
      "<figure class=\"chart ", S(css_class), "\"><svg viewBox=\"0 0 ", width, " ", height,
      "\" width=\"", width, "\" height=\"", height, "\" role=\"img\" aria-label=\"",
      HtmlEscape(title), "\" xmlns=\"http://www.w3.org/2000/svg\">");
  absl::StrAppend(&out, "<text class=\"ct\" x=\"", left, "\" y=\"16\">", HtmlEscape(title),
                  "</text>");
  // Axes and a few grid lines.
  for (int g = 0; g <= 4; ++g) {
    const double y = top + plot_h - plot_h * g / 4.0;
    const uint64_t value = static_cast<uint64_t>(std::llround(max_count * g / 4.0));
    absl::StrAppend(&out, "<line class=\"grid\" x1=\"", left, "\" x2=\"", left + plot_w,
                    "\" y1=\"", absl::StrFormat("%.1f", y), "\" y2=\"", absl::StrFormat("%.1f", y),
                    "\"/>");
    if (g == 0 || g == 4 || max_count >= 4) {
      absl::StrAppend(&out, "<text class=\"ax\" x=\"", left - 6, "\" y=\"",
                      absl::StrFormat("%.1f", y + 4), "\" text-anchor=\"end\">",
                      Thousands(value), "</text>");
    }
  }
  const size_t n = std::max<size_t>(bars.size(), 1);
  const double slot = static_cast<double>(plot_w) / static_cast<double>(n);
  const double bar_w = std::min(56.0, std::max(2.0, slot * 0.78));
  const size_t label_every = n > 12 ? (n + 11) / 12 : 1;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double h = static_cast<double>(plot_h) * static_cast<double>(b.count) /
               static_cast<double>(max_count);
    if (b.count > 0 && h < 2) h = 2;
    const double x = left + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    const double y = top + plot_h - h;
    absl::StrAppend(&out, "<g><title>", HtmlEscape(b.tooltip), "</title><rect class=\"bar\" x=\"",
                    absl::StrFormat("%.1f", x), "\" y=\"", absl::StrFormat("%.1f", y),
                    "\" width=\"", absl::StrFormat("%.1f", bar_w), "\" height=\"",
                    absl::StrFormat("%.1f", h), "\"/>");
    if (b.count > 0 && bars.size() <= 24) {
      absl::StrAppend(&out, "<text class=\"bv\" x=\"", absl::StrFormat("%.1f", x + bar_w / 2),
                      "\" y=\"", absl::StrFormat("%.1f", y - 3), "\" text-anchor=\"middle\">",
                      Thousands(b.count), "</text>");
    }
    absl::StrAppend(&out, "</g>");
    if (i % label_every == 0) {
      absl::StrAppend(&out, "<text class=\"ax\" x=\"", absl::StrFormat("%.1f", x + bar_w / 2),
                      "\" y=\"", top + plot_h + 16, "\" text-anchor=\"middle\">",
                      HtmlEscape(b.label), "</text>");
    }
  }
  absl::StrAppend(&out, "<line class=\"axis\" x1=\"", left, "\" x2=\"", left + plot_w, "\" y1=\"",
                  top + plot_h, "\" y2=\"", top + plot_h, "\"/>");
  absl::StrAppend(&out, "<text class=\"ax\" x=\"", left + plot_w / 2, "\" y=\"", height - 8,
                  "\" text-anchor=\"middle\">", HtmlEscape(x_label), "</text>");
  absl::StrAppend(&out, "</svg></figure>");
  return out;
}

std::vector<Bar> SizeBars(const ReportData& data) {
  std::vector<Bar> bars;
  uint64_t largest = 0;
  for (const ClusterSizeCount& s : data.size_histogram) largest = std::max(largest, s.size);
  auto count_in = [&](uint64_t lo, uint64_t hi) {
    uint64_t c = 0;
    for (const ClusterSizeCount& s : data.size_histogram) {
      if (s.size >= lo && s.size <= hi) c += s.count;
    }
    return c;
  };
  if (largest < 2) return bars;
  if (largest <= 16) {
    for (uint64_t s = 2; s <= largest; ++s) {
      const uint64_t c = count_in(s, s);
      bars.push_back({absl::StrCat(s), absl::StrCat(Plural(c, "cluster", "clusters"), " of ", s),
                      c});
    }
    return bars;
  }
  // Sizes 2..8 one bar each, then powers of two: 9-16, 17-32, ...
  for (uint64_t s = 2; s <= 8; ++s) {
    const uint64_t c = count_in(s, s);
    bars.push_back({absl::StrCat(s), absl::StrCat(Plural(c, "cluster", "clusters"), " of ", s), c});
  }
  for (uint64_t lo = 9, hi = 16; lo <= largest; lo = hi + 1, hi *= 2) {
    const uint64_t c = count_in(lo, hi);
    bars.push_back({absl::StrCat(lo, "-", hi),
                    absl::StrCat(Plural(c, "cluster", "clusters"), " of ", lo, " to ", hi), c});
  }
  return bars;
}

std::vector<Bar> SimilarityBars(const ReportData& data) {
  std::vector<Bar> bars;
  const int nb = static_cast<int>(data.similarity_bins.size());
  int first = nb;
  for (int i = 0; i < nb; ++i) {
    if (data.similarity_bins[static_cast<size_t>(i)] > 0) {
      first = i;
      break;
    }
  }
  if (first == nb) return bars;
  first = std::max(0, std::min(first, nb - 4));  // at least four bars
  for (int i = first; i < nb; ++i) {
    const double lo = static_cast<double>(i) / nb, hi = static_cast<double>(i + 1) / nb;
    const uint64_t c = data.similarity_bins[static_cast<size_t>(i)];
    bars.push_back({Fixed2(lo),
                    absl::StrCat(Plural(c, "member", "members"), " with similarity ", Fixed2(lo),
                                 i + 1 == nb ? " to 1.00" : absl::StrCat(" to under ", Fixed2(hi))),
                    c});
  }
  return bars;
}

void AppendDiffHtml(const std::vector<DiffSpan>& spans, std::string* out) {
  for (const DiffSpan& s : spans) {
    switch (s.kind) {
      case DiffSpan::kEqual: out->append(HtmlEscape(s.text)); break;
      case DiffSpan::kDelete:
        absl::StrAppend(out, "<del title=\"only in the representative\">", HtmlEscape(s.text),
                        "</del>");
        break;
      case DiffSpan::kInsert:
        absl::StrAppend(out, "<ins title=\"only in this document\">", HtmlEscape(s.text), "</ins>");
        break;
    }
  }
}

// The member's extra fields as labelled values ("press 연합뉴스 · date 2019-01-02").
void AppendExtraFields(const std::vector<std::string>& names, const ReportMember& m,
                       std::string* out) {
  bool any = false;
  for (size_t i = 0; i < names.size() && i < m.extra.size(); ++i) {
    if (!m.extra[i]) continue;
    absl::StrAppend(out, any ? "" : "<div class=\"fx\">", "<span class=\"fv\"><span class=\"fk\">",
                    HtmlEscape(names[i]), "</span> ", HtmlEscape(*m.extra[i]), "</span>");
    any = true;
  }
  if (any) out->append("</div>");
}

// One member's row. `alone`: the member is a cluster of its own (in a story), so it is not
// called the representative.
void AppendMemberRow(const std::vector<std::string>& fields, const ReportMember& rep,
                     const ReportMember& m, bool alone, std::string* out) {
  absl::StrAppend(out, "<tr class=\"mem", m.representative ? " rep" : "", "\" data-sim=\"",
                  Number(m.similarity), "\"><td class=\"id\">", HtmlEscape(m.id));
  if (m.representative) {
    if (!alone) absl::StrAppend(out, " <span class=\"badge\">representative</span>");
  } else if (m.identical_to_representative) {
    absl::StrAppend(out, " <span class=\"badge same\">same text</span>");
  }
  if (!m.text_found) absl::StrAppend(out, " <span class=\"badge miss\">text not found</span>");
  absl::StrAppend(out, "</td><td class=\"s\">");
  if (m.representative) {
    absl::StrAppend(out, "—");
  } else {
    const double pct = std::clamp(static_cast<double>(m.similarity), 0.0, 1.0) * 100;
    absl::StrAppend(out, Fixed2(m.similarity), "<span class=\"meter\"><i style=\"width:",
                    absl::StrFormat("%.0f", pct), "%\"></i></span>");
    if (!m.matched.empty()) {
      absl::StrAppend(out, "<span class=\"why\" title=\"what matched the representative\">",
                      HtmlEscape(m.matched), "</span>");
    }
  }
  absl::StrAppend(out, "</td><td>");
  const bool diff_titles = DiffsTitles(rep, m);
  const bool diff = !m.representative && rep.text_found && m.text_found;
  if (!m.title.empty() || (diff && diff_titles)) {
    absl::StrAppend(out, "<div class=\"t\">");
    if (diff && diff_titles) {
      AppendDiffHtml(DiffCodePoints(rep.title, m.title), out);
    } else {
      out->append(HtmlEscape(m.title));
    }
    if (m.title_truncated) out->append("…");
    out->append("</div>");
  }
  // The body start, unless it only repeats the title.
  if (!m.body_start.empty() && m.body_start != m.title) {
    absl::StrAppend(out, "<div class=\"b\">");
    if (diff && !diff_titles) {
      AppendDiffHtml(DiffCodePoints(rep.body_start, m.body_start), out);
    } else {
      out->append(HtmlEscape(m.body_start));
    }
    if (m.body_truncated) out->append("…");
    out->append("</div>");
  }
  AppendExtraFields(fields, m, out);
  out->append("</td></tr>\n");
}

std::string RepHeadline(const ReportMember& rep) {
  if (!rep.title.empty()) return rep.title;
  return std::string(TruncateUtf8(rep.body_start, 120));
}

// The header, the summary cards and the table of run facts.
void AppendSummary(const ReportData& data, const std::string& corpus_names, std::string* out) {
  absl::StrAppend(out, "<header><h1>Near-duplicate clusters</h1><p class=\"sub\">",
                  HtmlEscape(corpus_names.empty() ? "(no input)" : corpus_names), "</p></header>\n");
  absl::StrAppend(out, "<section id=\"summary\"><div class=\"cards\">");
  auto card = [out](std::string_view key, const std::string& value, const std::string& detail) {
    absl::StrAppend(out, "<div class=\"card\"><div class=\"k\">", HtmlEscape(key),
                    "</div><div class=\"v\">", HtmlEscape(value), "</div><div class=\"d\">",
                    HtmlEscape(detail), "</div></div>");
  };
  card("Documents", Thousands(data.documents),
       data.bad_records > 0 ? absl::StrCat(Thousands(data.bad_records), " bad records skipped")
                            : "no bad records");
  card("Exact duplicates", Thousands(data.exact_duplicates),
       absl::StrCat(Percent(data.exact_duplicates, data.documents), " of documents"));
  card("Near duplicates", Thousands(data.near_duplicates),
       absl::StrCat(Percent(data.near_duplicates, data.documents), " of documents"));
  card("Clusters", Thousands(data.clusters_total),
       absl::StrCat(Thousands(data.multi_member_clusters), " with 2+ documents, ",
                    Thousands(data.singletons), " single"));
  card("Largest cluster", Thousands(data.largest_cluster), "documents");
  if (data.has_stories) {
    card("Stories", Thousands(data.stories_total),
         absl::StrCat(Thousands(data.multi_cluster_stories), " of 2+ clusters, largest ",
                      Plural(data.largest_story, "document", "documents")));
  }
  absl::StrAppend(out, "</div>\n<table class=\"kv\">");
  auto row = [out](std::string_view key, const std::string& value_html) {
    absl::StrAppend(out, "<tr><th>", HtmlEscape(key), "</th><td>", value_html, "</td></tr>");
  };
  row("Corpus", HtmlEscape(corpus_names));
  if (!data.clusters_file.empty()) row("Clusters file", HtmlEscape(data.clusters_file));
  const std::string sizes = SizesSentence(data, " × ");
  row("Clusters by size", sizes.empty() ? "none with more than one document"
                                        : HtmlEscape(absl::StrCat(sizes, "  (count × size)")));
  std::string params;
  for (size_t i = 0; i < data.parameters.size(); ++i) {
    absl::StrAppend(&params, i ? " · " : "", HtmlEscape(data.parameters[i].first), " <code>",
                    HtmlEscape(data.parameters[i].second), "</code>");
  }
  row("Parameters", params);
  if (!data.extra_fields.empty()) {
    std::string names;
    for (size_t i = 0; i < data.extra_fields.size(); ++i) {
      absl::StrAppend(&names, i ? " · " : "", "<code>", HtmlEscape(data.extra_fields[i]),
                      "</code>");
    }
    row("Fields shown", names);
  }
  row("Generated", HtmlEscape(data.generated_at));
  if (!data.command_line.empty()) {
    row("Command", absl::StrCat("<code>", HtmlEscape(data.command_line), "</code>"));
  }
  absl::StrAppend(out, "</table>");
  if (!data.extra_fields_missing.empty()) {
    std::string names;
    for (size_t i = 0; i < data.extra_fields_missing.size(); ++i) {
      absl::StrAppend(&names, i ? ", " : "", "<code>", HtmlEscape(data.extra_fields_missing[i]),
                      "</code>");
    }
    absl::StrAppend(out,
                    "<p class=\"note warn\" id=\"fields-missing\">Warning: no document shown has "
                    "the ",
                    data.extra_fields_missing.size() == 1 ? "field " : "fields ", names,
                    " (--report-fields: a key of a JSONL record, a string or a number; a column "
                    "of a csv/tsv header; text inputs have no fields).</p>");
  }
  absl::StrAppend(out, "</section>\n");
}

// The search box, the filters and the counts, above the stories and clusters.
void AppendTools(const ReportData& data, std::string* out) {
  absl::StrAppend(
      out, "<div class=\"tools\"><input type=\"search\" id=\"q\" placeholder=\"Search titles, "
           "text or ids\" aria-label=\"Search\" autocomplete=\"off\">",
      "<label>min size <input type=\"number\" id=\"minsize\" min=\"2\" value=\"2\"></label>",
      "<label>min similarity <input type=\"range\" id=\"minsim\" min=\"0\" max=\"1\" "
      "step=\"0.01\" value=\"0\"> <output id=\"minsimv\">0.00</output></label>",
      "<button type=\"button\" id=\"expand\">Expand all</button>",
      "<button type=\"button\" id=\"collapse\">Collapse all</button>",
      "<span class=\"count\"><span id=\"shown\">", Thousands(data.clusters.size()),
      "</span> of ", Thousands(data.clusters.size()), " clusters shown");
  if (data.has_stories) {
    absl::StrAppend(out, " · <span id=\"sshown\">", Thousands(data.stories.size()), "</span> of ",
                    Thousands(data.stories.size()), " stories");
  }
  absl::StrAppend(out, "</span></div>\n");
}

// The cluster list with its notes, one <details> per shown cluster, and the search tools when the
// page has no stories.
void AppendClusters(const ReportData& data, std::string* out) {
  absl::StrAppend(out, "<section id=\"clusters\"><h2>Clusters, largest first</h2>\n");
  if (!data.has_stories) AppendTools(data, out);  // with stories, above the stories
  absl::StrAppend(out,
                  "<p class=\"legend\">Each cluster lists its representative first, then every "
                  "member with its similarity to the representative. In a member's title, "
                  "<ins>inserted</ins> marks text only the member has, <del>deleted</del> text "
                  "only the representative has.</p>\n");
  if (data.clusters_left_out > 0) {
    absl::StrAppend(out, "<p class=\"note\" id=\"left-out\">",
                    Plural(data.clusters_left_out, "smaller cluster", "smaller clusters"),
                    " with 2+ documents not shown (the report shows the ",
                    Thousands(data.clusters.size()),
                    " largest; raise --report-max-clusters to see more).</p>\n");
  }
  if (data.members_without_text > 0) {
    absl::StrAppend(out, "<p class=\"note\">", Plural(data.members_without_text, "member", "members"),
                    " could not be found in the inputs by id; they are shown without text.</p>\n");
  }
  absl::StrAppend(out, "<p class=\"note gone\" id=\"none\">No cluster matches.</p>\n");
  if (data.clusters.empty()) {
    absl::StrAppend(out, "<p>No near-duplicate clusters were found.</p>\n");
  }
  for (size_t c = 0; c < data.clusters.size(); ++c) {
    const ReportCluster& cluster = data.clusters[c];
    if (cluster.members.empty()) continue;
    const ReportMember& rep = cluster.members[0];
    absl::StrAppend(out, "<details class=\"cl\" id=\"c", c + 1, "\" data-size=\"", cluster.size,
                    "\" data-minsim=\"", Number(cluster.min_similarity), "\"><summary>",
                    "<span class=\"rank\">#", c + 1, "</span><span class=\"size\">",
                    Plural(cluster.size, "document", "documents"),
                    "</span><span class=\"minsim\">min similarity ",
                    Fixed2(cluster.min_similarity), "</span><span class=\"rt\">",
                    HtmlEscape(RepHeadline(rep)), "</span></summary>\n");
    absl::StrAppend(out,
                    "<table class=\"m\"><thead><tr><th>id</th><th>similarity</th><th>title and "
                    "start of text</th></tr></thead><tbody>\n");
    for (const ReportMember& m : cluster.members) {
      AppendMemberRow(data.extra_fields, rep, m, false, out);
    }
    absl::StrAppend(out, "</tbody></table>");
    if (cluster.members_left_out > 0) {
      absl::StrAppend(out, "<p class=\"more\">and ",
                      Plural(cluster.members_left_out, "more member", "more members"),
                      " not shown</p>");
    }
    absl::StrAppend(out, "</details>\n");
  }
}

// One near-duplicate group of a story: a line about it, then its members as the cluster list
// shows them.
void AppendStoryGroup(const ReportData& data, const ReportCluster& cluster, size_t g,
                      std::string* out) {
  if (cluster.members.empty()) return;
  const ReportMember& rep = cluster.members[0];
  absl::StrAppend(out, "<div class=\"grp\"><p class=\"gh\"><span class=\"rank\">group ", g + 1,
                  "</span><span class=\"size\">", Plural(cluster.size, "document", "documents"),
                  "</span>");
  if (cluster.size > 1) {
    absl::StrAppend(out, "<span class=\"minsim\">min similarity ", Fixed2(cluster.min_similarity),
                    "</span>");
  }
  absl::StrAppend(out, "</p><table class=\"m\"><tbody>\n");
  for (const ReportMember& m : cluster.members) {
    AppendMemberRow(data.extra_fields, rep, m, cluster.size == 1, out);
  }
  absl::StrAppend(out, "</tbody></table>");
  if (cluster.members_left_out > 0) {
    absl::StrAppend(out, "<p class=\"more\">and ",
                    Plural(cluster.members_left_out, "more member", "more members"),
                    " not shown</p>");
  }
  absl::StrAppend(out, "</div>\n");
}

// The stories of two or more clusters, one <details> each, most documents first.
void AppendStories(const ReportData& data, std::string* out) {
  absl::StrAppend(out, "<section id=\"stories\"><h2>Stories, most documents first</h2>\n");
  absl::StrAppend(out,
                  "<p class=\"legend\">A story groups the near-duplicate clusters that report one "
                  "event; each is headed by its first document. Listed here are the ",
                  Plural(data.multi_cluster_stories, "story", "stories"),
                  " of two or more groups; a story of one group is that cluster, in the list "
                  "below.</p>\n");
  if (data.stories_left_out > 0) {
    absl::StrAppend(out, "<p class=\"note\" id=\"stories-left-out\">",
                    Plural(data.stories_left_out, "smaller story", "smaller stories"),
                    " not shown (the report shows the ", Thousands(data.stories.size()),
                    " largest; raise --report-max-clusters to see more).</p>\n");
  }
  absl::StrAppend(out, "<p class=\"note gone\" id=\"snone\">No story matches.</p>\n");
  if (data.stories.empty()) {
    absl::StrAppend(out, "<p>No story joins two or more near-duplicate groups.</p>\n");
  }
  for (size_t s = 0; s < data.stories.size(); ++s) {
    const ReportStory& story = data.stories[s];
    const std::string headline = RepHeadline(story.first);
    absl::StrAppend(out, "<details class=\"st\" id=\"s", s + 1, "\" data-size=\"", story.documents,
                    "\" data-story=\"", HtmlEscape(story.first.id), "\"><summary>",
                    "<span class=\"rank\">#", s + 1, "</span><span class=\"size\">",
                    Plural(story.documents, "document", "documents"),
                    "</span><span class=\"minsim\">",
                    Plural(story.clusters_total, "group", "groups"), "</span><span class=\"rt\">",
                    HtmlEscape(headline.empty() ? story.first.id : headline),
                    "</span></summary>\n");
    for (size_t g = 0; g < story.clusters.size(); ++g) {
      AppendStoryGroup(data, story.clusters[g], g, out);
    }
    if (story.clusters_left_out > 0) {
      absl::StrAppend(out, "<p class=\"more\">and ",
                      Plural(story.clusters_left_out, "more group", "more groups"), " (",
                      Plural(story.documents_left_out, "document", "documents"),
                      ") not shown</p>");
    }
    absl::StrAppend(out, "</details>\n");
  }
  absl::StrAppend(out, "</section>\n");
}

}  // namespace

std::string RenderHtml(const ReportData& data) {
  static const std::string script_hash = internal::Sha256Base64(kScript);
  std::string corpus_names;
  for (size_t i = 0; i < data.corpus.size(); ++i) {
    absl::StrAppend(&corpus_names, i ? ", " : "", data.corpus[i]);
  }
  std::string out;
  out.reserve(64 * 1024);
  absl::StrAppend(
      &out, "<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:; script-src 'sha256-",
      script_hash, "'; base-uri 'none'; form-action 'none'\">\n",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
      "<meta name=\"generator\" content=\"neardup\">\n", "<title>neardup report: ",
      HtmlEscape(corpus_names), "</title>\n<style>", S(kStyle), "</style>\n</head>\n<body>\n<main>\n");

  AppendSummary(data, corpus_names, &out);
  // Charts.
  absl::StrAppend(&out, "<section id=\"charts\"><h2>Distributions</h2><div class=\"charts\">",
                  BarChart("Cluster sizes (clusters with 2+ documents)", "documents in the cluster",
                           SizeBars(data), "size"),
                  BarChart("Similarity of each member to its representative",
                           "estimated Jaccard similarity", SimilarityBars(data), "sim"),
                  "</div></section>\n");

  if (data.has_stories) {
    AppendTools(data, &out);
    AppendStories(data, &out);
  }
  AppendClusters(data, &out);
  absl::StrAppend(&out, "</section>\n<footer>Made by neardup. Similarities are MinHash estimates "
                        "of the Jaccard similarity of the documents' shingle sets.</footer>\n");
  absl::StrAppend(&out, "</main>\n<script>", S(kScript), "</script>\n</body>\n</html>\n");
  return out;
}

}  // namespace neardup
