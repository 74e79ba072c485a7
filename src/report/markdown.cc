// The report as Markdown: corpus text escaped so that it renders as text, title changes marked
// {+inserted+} and {-deleted-}.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "neardup/report/report.h"
#include "report/format.h"

namespace neardup {

using report_internal::CleanText;
using report_internal::CollapseWhitespace;
using report_internal::DiffsTitles;
using report_internal::Fixed2;
using report_internal::IsAsciiSpace;
using report_internal::Percent;
using report_internal::Plural;
using report_internal::SizesSentence;
using report_internal::Thousands;

namespace {

// Corpus text as Markdown text: one line, and every character that could start markup
// (emphasis, code, links, HTML, tables, headings) backslash-escaped.
std::string MarkdownEscape(std::string_view text, bool collapse = true) {
  std::string clean = CleanText(text);
  if (collapse) {
    clean = CollapseWhitespace(clean);
  } else {
    for (char& c : clean) c = IsAsciiSpace(c) ? ' ' : c;
  }
  std::string out;
  out.reserve(clean.size() + 8);
  for (char c : clean) {
    switch (c) {
      case '\\': case '`': case '*': case '_': case '[': case ']': case '<': case '>':
      case '|': case '~': case '#': case '{': case '}': case '!': case '&':
        out.push_back('\\');
        out.push_back(c);
        break;
      default: out.push_back(c);
    }
  }
  return out;
}

// A code span, or escaped text when the value itself holds a backtick.
std::string MarkdownCode(std::string_view text) {
  const std::string clean = CollapseWhitespace(CleanText(text));
  if (clean.empty() || clean.find('`') != std::string::npos) return MarkdownEscape(clean);
  return absl::StrCat("`", clean, "`");
}

std::string MarkdownDiff(const std::vector<DiffSpan>& spans) {
  std::string out;
  for (const DiffSpan& s : spans) {
    switch (s.kind) {
      case DiffSpan::kEqual: out.append(MarkdownEscape(s.text, false)); break;
      case DiffSpan::kDelete: absl::StrAppend(&out, "{-", MarkdownEscape(s.text, false), "-}"); break;
      case DiffSpan::kInsert: absl::StrAppend(&out, "{+", MarkdownEscape(s.text, false), "+}"); break;
    }
  }
  return out;
}

// One line per member (the representative first), with the title diff against the
// representative, then the start of the body and the extra fields as sub-items. `alone`: the
// cluster is a single document (a story's group), so "representative" is not said.
void AppendMemberLines(const ReportData& data, const ReportCluster& cluster, bool alone,
                       std::string* out) {
  const ReportMember& rep = cluster.members[0];
  for (const ReportMember& m : cluster.members) {
    if (m.representative) {
      absl::StrAppend(out, "- **", MarkdownEscape(m.id), alone ? "**" : "** (representative)");
    } else {
      absl::StrAppend(out, "- `", Fixed2(m.similarity), "` **", MarkdownEscape(m.id), "**");
      if (!m.matched.empty()) absl::StrAppend(out, " (", MarkdownEscape(m.matched), ")");
    }
    if (m.identical_to_representative && !m.representative) absl::StrAppend(out, " (same text)");
    if (!m.text_found) absl::StrAppend(out, " (text not found)");
    const bool diff_titles = DiffsTitles(rep, m);
    const bool diff = !m.representative && rep.text_found && m.text_found;
    const std::string_view shown = diff_titles ? m.title : m.body_start;
    if (!shown.empty() || diff) {
      absl::StrAppend(out, ": ",
                      diff ? MarkdownDiff(DiffCodePoints(diff_titles ? rep.title : rep.body_start,
                                                         shown))
                           : MarkdownEscape(shown));
      if (diff_titles ? m.title_truncated : m.body_truncated) out->append("…");
    }
    out->append("\n");
    if (diff_titles && !m.body_start.empty() && m.body_start != m.title) {
      bool cut = false;
      const std::string_view body = TruncateUtf8(m.body_start, 160, &cut);
      absl::StrAppend(out, "  - ", MarkdownEscape(body), cut || m.body_truncated ? "…" : "",
                      "\n");
    }
    std::string fields;
    for (size_t i = 0; i < data.extra_fields.size() && i < m.extra.size(); ++i) {
      if (!m.extra[i]) continue;
      absl::StrAppend(&fields, fields.empty() ? "  - " : " · ",
                      MarkdownEscape(data.extra_fields[i]), ": ", MarkdownEscape(*m.extra[i]));
    }
    if (!fields.empty()) absl::StrAppend(out, fields, "\n");
  }
  if (cluster.members_left_out > 0) {
    absl::StrAppend(out, "- … and ",
                    Plural(cluster.members_left_out, "more member", "more members"),
                    " not shown\n");
  }
}

// "## Stories": each listed story with its groups and their members.
void AppendStories(const ReportData& data, std::string* out) {
  absl::StrAppend(out, "\n## Stories\n\n", Plural(data.multi_cluster_stories, "story", "stories"),
                  " of two or more near-duplicate groups, most documents first (a story of one "
                  "group is that cluster, listed below).\n");
  if (data.stories_left_out > 0) {
    absl::StrAppend(out, "\n> ", Plural(data.stories_left_out, "smaller story", "smaller stories"),
                    " not shown (this report shows the ", Thousands(data.stories.size()),
                    " largest; raise --report-max-clusters to see more).\n");
  }
  for (size_t s = 0; s < data.stories.size(); ++s) {
    const ReportStory& story = data.stories[s];
    const ReportMember& first = story.first;
    std::string headline = first.title.empty() ? first.body_start : first.title;
    if (headline.empty()) headline = first.id;
    absl::StrAppend(out, "\n### Story ", s + 1, ": ", MarkdownEscape(headline), "\n\n",
                    Plural(story.documents, "document", "documents"), " in ",
                    Plural(story.clusters_total, "group", "groups"), "; first document **",
                    MarkdownEscape(first.id), "**.\n");
    for (size_t g = 0; g < story.clusters.size(); ++g) {
      const ReportCluster& cluster = story.clusters[g];
      if (cluster.members.empty()) continue;
      absl::StrAppend(out, "\nGroup ", g + 1, ": ", Plural(cluster.size, "document", "documents"),
                      cluster.size > 1 ? absl::StrCat(", min similarity ",
                                                      Fixed2(cluster.min_similarity))
                                       : "",
                      "\n\n");
      AppendMemberLines(data, cluster, cluster.size == 1, out);
    }
    if (story.clusters_left_out > 0) {
      absl::StrAppend(out, "\n… and ",
                      Plural(story.clusters_left_out, "more group", "more groups"), " (",
                      Plural(story.documents_left_out, "document", "documents"), ") not shown\n");
    }
  }
}

}  // namespace

std::string RenderMarkdown(const ReportData& data) {
  std::string out = "# Near-duplicate clusters\n\n- **Corpus:** ";
  for (size_t i = 0; i < data.corpus.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", MarkdownCode(data.corpus[i]));
  }
  out.append("\n");
  if (!data.clusters_file.empty()) {
    absl::StrAppend(&out, "- **Clusters file:** ", MarkdownCode(data.clusters_file), "\n");
  }
  absl::StrAppend(&out, "- **Documents:** ", Thousands(data.documents));
  if (data.bad_records > 0) absl::StrAppend(&out, " (", Thousands(data.bad_records), " bad records skipped)");
  absl::StrAppend(&out, "\n- **Exact duplicates:** ", Thousands(data.exact_duplicates), " (",
                  Percent(data.exact_duplicates, data.documents), ")\n");
  absl::StrAppend(&out, "- **Near duplicates:** ", Thousands(data.near_duplicates), " (",
                  Percent(data.near_duplicates, data.documents), ")\n");
  absl::StrAppend(&out, "- **Clusters:** ", Thousands(data.clusters_total), " (",
                  Thousands(data.multi_member_clusters), " with 2+ documents, ",
                  Thousands(data.singletons), " single, largest ", Thousands(data.largest_cluster),
                  ")\n");
  const std::string sizes = SizesSentence(data, " x ");
  absl::StrAppend(&out, "- **Clusters by size (count x size):** ", sizes.empty() ? "none" : sizes,
                  "\n");
  std::string params;
  for (size_t i = 0; i < data.parameters.size(); ++i) {
    absl::StrAppend(&params, i ? ", " : "", MarkdownEscape(data.parameters[i].first), " ",
                    MarkdownCode(data.parameters[i].second));
  }
  absl::StrAppend(&out, "- **Parameters:** ", params, "\n");
  absl::StrAppend(&out, "- **Generated:** ", MarkdownEscape(data.generated_at), "\n");
  if (!data.command_line.empty()) {
    absl::StrAppend(&out, "- **Command:** ", MarkdownCode(data.command_line), "\n");
  }
  if (data.has_stories) {
    absl::StrAppend(&out, "- **Stories:** ", Thousands(data.stories_total), " (",
                    Thousands(data.multi_cluster_stories), " of 2+ clusters, largest ",
                    Plural(data.largest_story, "document", "documents"), ")\n");
  }
  if (!data.extra_fields.empty()) {
    std::string names;
    for (const std::string& name : data.extra_fields) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", MarkdownCode(name));
    }
    absl::StrAppend(&out, "- **Fields shown:** ", names, "\n");
  }
  if (!data.extra_fields_missing.empty()) {
    std::string names;
    for (const std::string& name : data.extra_fields_missing) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", MarkdownCode(name));
    }
    absl::StrAppend(&out, "\n> **Warning:** no document shown has the ",
                    data.extra_fields_missing.size() == 1 ? "field " : "fields ", names,
                    " (--report-fields: a key of a JSONL record, a string or a number; a column of "
                    "a csv/tsv header; text inputs have no fields).\n");
  }
  const std::string legend =
      "\nTitle changes against the representative: {+only in the member+}, "
      "{-only in the representative-}.\n";
  if (data.has_stories) {  // the legend serves the stories too
    out.append(legend);
    AppendStories(data, &out);
    if (!data.clusters.empty()) absl::StrAppend(&out, "\n## Clusters, largest first\n");
  }
  if (data.clusters_left_out > 0) {
    absl::StrAppend(&out, "\n> ", Plural(data.clusters_left_out, "smaller cluster", "smaller clusters"),
                    " with 2+ documents not shown (this report shows the ",
                    Thousands(data.clusters.size()),
                    " largest; raise --report-max-clusters to see more).\n");
  }
  if (!data.has_stories) out.append(legend);
  for (size_t c = 0; c < data.clusters.size(); ++c) {
    const ReportCluster& cluster = data.clusters[c];
    if (cluster.members.empty()) continue;
    absl::StrAppend(&out, "\n## ", c + 1, ". ", Plural(cluster.size, "document", "documents"),
                    ", min similarity ", Fixed2(cluster.min_similarity), "\n\n");
    AppendMemberLines(data, cluster, false, &out);
  }
  return out;
}


}  // namespace neardup
