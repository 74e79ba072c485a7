#include "neardup/report/report.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/hash.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "neardup/cluster/cluster.h"
#include "neardup/io/reader.h"
#include "neardup/io/replay.h"
#include "neardup/cluster/match.h"
#include "neardup/text/normalize.h"
#include "neardup/stats.h"

namespace neardup {
namespace {

// Debian's absl::StrCat takes absl::string_view, which is not std::string_view here.
std::string S(std::string_view s) { return std::string(s); }

// ---------------------------------------------------------------------------------------------
// UTF-8

// Length of the UTF-8 sequence that starts with `lead`; invalid lead bytes count as 1.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Byte length of the code point at `text[i]`, never past the end and never over a byte that is
// not a continuation byte (so a broken sequence is cut into single bytes, not swallowed).
size_t CodePointLength(std::string_view text, size_t i) {
  const size_t want = SequenceLength(static_cast<unsigned char>(text[i]));
  size_t len = 1;
  while (len < want && i + len < text.size() &&
         (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
    ++len;
  }
  return len;
}

// A code point's position in its string; compared by its bytes.
struct CodePoint {
  uint32_t offset;
  uint32_t length;
};

std::vector<CodePoint> SplitCodePoints(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = CodePointLength(text, i);
    out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len)});
    i += len;
  }
  return out;
}

// Valid UTF-8, C0 controls (other than tab, LF, CR) replaced by U+FFFD.
std::string CleanText(std::string_view text) {
  std::string repaired;
  RepairUtf8(text, &repaired);
  std::string out;
  out.reserve(repaired.size());
  for (char ch : repaired) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      out.append("\xEF\xBF\xBD");
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Every run of ASCII white space to one space, trimmed.
std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (IsAsciiSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4), for the Content-Security-Policy hash of the page's one inline script.

std::string Sha256Base64(std::string_view message) {
  static constexpr uint32_t kK[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string data(message);
  const uint64_t bit_length = static_cast<uint64_t>(message.size()) * 8;
  data.push_back(static_cast<char>(0x80));
  while (data.size() % 64 != 56) data.push_back('\0');
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<char>((bit_length >> (i * 8)) & 0xFF));
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t chunk = 0; chunk < data.size(); chunk += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data() + chunk + i * 4);
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const uint32_t ch = (e & f) ^ (~e & g);
      const uint32_t t1 = hh + s1 + ch + kK[i] + w[i];
      const uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const uint32_t t2 = s0 + maj;
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  unsigned char digest[32];
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 4; ++j) digest[i * 4 + j] = static_cast<unsigned char>(h[i] >> (24 - j * 8));
  }
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int i = 0; i < 32; i += 3) {
    const uint32_t n = (uint32_t{digest[i]} << 16) | (i + 1 < 32 ? uint32_t{digest[i + 1]} << 8 : 0) |
                       (i + 2 < 32 ? uint32_t{digest[i + 2]} : 0);
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < 32 ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < 32 ? kB64[n & 63] : '=');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Collecting

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string Number(double value) {
  std::string out;
  internal::AppendJsonNumber(&out, value);
  return out;
}

constexpr uint64_t kIdenticalSeed = 0x7265706f72746964ULL;  // "reportid"

// The exact-duplicate key, as the pipeline forms it: normalized title, 0xFF, normalized body.
internal::Hash128 TextHash(const Normalizer& normalizer, const Document& doc, std::string* scratch,
                           std::string* scratch2) {
  normalizer.Normalize(doc.title, scratch);
  normalizer.Normalize(doc.body, scratch2);
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
// Building blocks

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

std::string_view TruncateUtf8(std::string_view text, size_t max_code_points, bool* truncated) {
  size_t i = 0;
  size_t count = 0;
  while (i < text.size() && count < max_code_points) {
    i += CodePointLength(text, i);
    ++count;
  }
  if (truncated != nullptr) *truncated = i < text.size();
  return text.substr(0, i);
}

std::vector<DiffSpan> DiffCodePoints(std::string_view from, std::string_view to,
                                     size_t max_edits) {
  const std::vector<CodePoint> a_all = SplitCodePoints(from);
  const std::vector<CodePoint> b_all = SplitCodePoints(to);
  auto same = [&](const CodePoint& x, const CodePoint& y) {
    return from.substr(x.offset, x.length) == to.substr(y.offset, y.length);
  };
  size_t prefix = 0;
  while (prefix < a_all.size() && prefix < b_all.size() && same(a_all[prefix], b_all[prefix])) {
    ++prefix;
  }
  size_t suffix = 0;
  while (suffix < a_all.size() - prefix && suffix < b_all.size() - prefix &&
         same(a_all[a_all.size() - 1 - suffix], b_all[b_all.size() - 1 - suffix])) {
    ++suffix;
  }
  const int n = static_cast<int>(a_all.size() - prefix - suffix);
  const int m = static_cast<int>(b_all.size() - prefix - suffix);
  auto a = [&](int i) { return a_all[prefix + static_cast<size_t>(i)]; };
  auto b = [&](int j) { return b_all[prefix + static_cast<size_t>(j)]; };

  // One edit script entry per code point of the middle: 'E'qual, 'D'elete (from a), 'I'nsert.
  struct Op {
    char kind;
    int index;  // into a (E, D) or b (I)
  };
  std::vector<Op> ops;
  bool solved = false;
  const int max_d = static_cast<int>(std::min<size_t>(static_cast<size_t>(n + m), max_edits));
  if (n == 0 || m == 0) {
    for (int i = 0; i < n; ++i) ops.push_back({'D', i});
    for (int j = 0; j < m; ++j) ops.push_back({'I', j});
    solved = true;
  } else {
    // Myers (1986), greedy forward search keeping V of every round for the backtrack.
    const int offset = max_d + 1;
    std::vector<int> v(static_cast<size_t>(2 * max_d + 3), 0);
    std::vector<std::vector<int>> trace;
    for (int d = 0; d <= max_d && !solved; ++d) {
      trace.push_back(v);
      for (int k = -d; k <= d; k += 2) {
        int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                    ? v[offset + k + 1]
                    : v[offset + k - 1] + 1;
        int y = x - k;
        while (x < n && y < m && same(a(x), b(y))) ++x, ++y;
        v[offset + k] = x;
        if (x >= n && y >= m) {
          solved = true;
          break;
        }
      }
    }
    if (solved) {
      int x = n, y = m;
      for (int d = static_cast<int>(trace.size()) - 1; d >= 0; --d) {
        const std::vector<int>& pv = trace[static_cast<size_t>(d)];
        const int k = x - y;
        const int prev_k = (k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1]))
                               ? k + 1
                               : k - 1;
        const int prev_x = pv[offset + prev_k];
        const int prev_y = prev_x - prev_k;
        while (x > prev_x && y > prev_y) {
          ops.push_back({'E', x - 1});
          --x, --y;
        }
        if (d > 0) {
          if (x == prev_x) ops.push_back({'I', y - 1});
          else ops.push_back({'D', x - 1});
        }
        x = prev_x;
        y = prev_y;
      }
      std::reverse(ops.begin(), ops.end());
    }
  }
  // Too different (no script within the bound, or the middle shares under a third of its code
  // points, which would only scatter marks over unrelated text): one delete and one insert.
  if (solved) {
    int equal = 0;
    for (const Op& op : ops) equal += op.kind == 'E' ? 1 : 0;
    if (equal * 3 < std::max(n, m)) solved = false;
  }
  if (!solved) {
    ops.clear();
    for (int i = 0; i < n; ++i) ops.push_back({'D', i});
    for (int j = 0; j < m; ++j) ops.push_back({'I', j});
  }

  // Group: within a run of changes, all deletions before all insertions; an equal run of one
  // code point between two changes is folded into them (fewer, more readable marks).
  std::vector<DiffSpan> spans;
  auto push = [&spans](DiffSpan::Kind kind, std::string_view text) {
    if (text.empty()) return;
    if (!spans.empty() && spans.back().kind == kind) {
      spans.back().text.append(text.data(), text.size());
    } else {
      spans.push_back({kind, std::string(text)});
    }
  };
  auto text_a = [&](const CodePoint& c) { return from.substr(c.offset, c.length); };
  auto text_b = [&](const CodePoint& c) { return to.substr(c.offset, c.length); };
  if (prefix > 0) {
    push(DiffSpan::kEqual, from.substr(0, a_all[prefix - 1].offset + a_all[prefix - 1].length));
  }
  std::string del, ins;
  size_t i = 0;
  while (i < ops.size()) {
    if (ops[i].kind == 'E') {
      size_t j = i;
      while (j < ops.size() && ops[j].kind == 'E') ++j;
      const bool between = (!del.empty() || !ins.empty()) && j < ops.size() && j - i == 1;
      if (between) {
        const std::string_view t = text_a(a(ops[i].index));
        del.append(t.data(), t.size());
        ins.append(t.data(), t.size());
      } else {
        push(DiffSpan::kDelete, del);
        push(DiffSpan::kInsert, ins);
        del.clear();
        ins.clear();
        for (size_t e = i; e < j; ++e) push(DiffSpan::kEqual, text_a(a(ops[e].index)));
      }
      i = j;
      continue;
    }
    const std::string_view t = ops[i].kind == 'D' ? text_a(a(ops[i].index)) : text_b(b(ops[i].index));
    (ops[i].kind == 'D' ? del : ins).append(t.data(), t.size());
    ++i;
  }
  push(DiffSpan::kDelete, del);
  push(DiffSpan::kInsert, ins);
  if (suffix > 0) push(DiffSpan::kEqual, from.substr(a_all[a_all.size() - suffix].offset));
  return spans;
}

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
                            {"LSH bands x rows",
                             absl::StrCat(result.lsh.bands, " x ", result.lsh.rows)}});
  }
  std::vector<MemberRef> refs =
      SelectClusters(result.representative, result.similarity, settings, &data);

  std::vector<internal::Hash128> hashes(refs.size());
  std::vector<bool> found(refs.size(), false);
  const Normalizer normalizer(options.normalize);
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
  uint64_t records = 0, bad = 0;
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

// ---------------------------------------------------------------------------------------------
// Rendering

namespace {

std::string Thousands(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Fixed2(double v) { return absl::StrFormat("%.2f", v); }

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return absl::StrCat(Thousands(n), " ", S(n == 1 ? one : many));
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// What the member row diffs against the representative: the titles, or the body starts when
// neither has a title.
bool DiffsTitles(const ReportMember& rep, const ReportMember& m) {
  return !rep.title.empty() || !m.title.empty();
}

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

std::string SizesSentence(const ReportData& data, std::string_view times) {
  std::string out;
  size_t listed = 0;
  for (const ClusterSizeCount& s : data.size_histogram) {
    if (s.size < 2) continue;
    if (listed == 12) {
      absl::StrAppend(&out, ", …");
      break;
    }
    absl::StrAppend(&out, listed ? ", " : "", Thousands(s.count), S(times), s.size);
    ++listed;
  }
  return out;
}

// The page's script: search by text or id, filters by size and similarity, expand/collapse.
// It only reads textContent and toggles classes: corpus text never becomes markup.
constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var q = document.getElementById('q');
  var minSize = document.getElementById('minsize');
  var minSim = document.getElementById('minsim');
  var minSimOut = document.getElementById('minsimv');
  var shownOut = document.getElementById('shown');
  var clusters = Array.prototype.slice.call(document.querySelectorAll('details.cl'));
  var rowsOf = clusters.map(function (c) { return c.querySelectorAll('tr.mem'); });
  var index = null;
  function norm(s) {
    s = s.toLowerCase();
    return s.normalize ? s.normalize('NFKC') : s;
  }
  // What a member row is searched by: its id, title and body, not the badges, the similarity
  // or the text marked as only in the representative (<del>).
  function ownText(node) {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeName === 'DEL' || (node.classList && node.classList.contains('badge'))) return '';
    var s = '';
    for (var c = node.firstChild; c; c = c.nextSibling) s += ownText(c);
    return s;
  }
  function buildIndex() {
    index = rowsOf.map(function (rows) {
      return Array.prototype.map.call(rows, function (r) {
        return norm(ownText(r.cells[0]) + '\n' + ownText(r.cells[2]));
      });
    });
  }
  var timer = 0;
  function apply() {
    timer = 0;
    var term = norm(q.value.trim());
    var size = parseInt(minSize.value, 10) || 0;
    var sim = parseFloat(minSim.value) || 0;
    minSimOut.textContent = sim.toFixed(2);
    if (term && !index) buildIndex();
    var shown = 0, opened = 0;
    for (var i = 0; i < clusters.length; i++) {
      var c = clusters[i], rows = rowsOf[i];
      var ok = +c.getAttribute('data-size') >= size;
      var anySim = false, hit = false;
      for (var j = 0; j < rows.length; j++) {
        var r = rows[j];
        var rep = r.classList.contains('rep');
        var simOk = rep || +r.getAttribute('data-sim') >= sim;
        r.classList.toggle('off', !simOk);
        if (simOk && !rep) anySim = true;
        var h = !!term && index[i][j].indexOf(term) >= 0;
        r.classList.toggle('hit', h);
        if (h) hit = true;
      }
      var show = ok && anySim && (!term || hit);
      c.classList.toggle('gone', !show);
      if (show) {
        shown++;
        if (term && opened < 25) { c.open = true; opened++; }
      }
    }
    shownOut.textContent = shown.toLocaleString('en-US');
    document.getElementById('none').classList.toggle('gone', shown > 0);
  }
  function later() { if (timer) clearTimeout(timer); timer = setTimeout(apply, 120); }
  q.addEventListener('input', later);
  minSize.addEventListener('input', later);
  minSim.addEventListener('input', later);
  document.getElementById('expand').addEventListener('click', function () {
    clusters.forEach(function (c) { if (!c.classList.contains('gone')) c.open = true; });
  });
  document.getElementById('collapse').addEventListener('click', function () {
    clusters.forEach(function (c) { c.open = false; });
  });
  document.documentElement.classList.add('js');
})();
)JS";

constexpr std::string_view kStyle = R"CSS(
:root{--fg:#1c2128;--muted:#5d6873;--line:#dde2e7;--bg:#f5f6f8;--card:#fff;--acc:#1f5fbf;
--ins:#d3f3da;--insfg:#0a5a1f;--del:#fde2e1;--delfg:#9b1c1c;--hit:#fff3bf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.5;font-size:15px;
font-family:"Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic","Nanum Gothic",
"Segoe UI",system-ui,sans-serif;word-break:keep-all;overflow-wrap:anywhere}
main{max-width:1180px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:.85em}.card .v{font-size:1.55em;font-weight:700}
.card .d{color:var(--muted);font-size:.82em}
table.kv{border-collapse:collapse;background:var(--card);border:1px solid var(--line);
border-radius:8px;margin-top:10px;font-size:.9em}
table.kv th,table.kv td{text-align:left;padding:4px 12px;border-top:1px solid var(--line);vertical-align:top}
table.kv tr:first-child th,table.kv tr:first-child td{border-top:0}
table.kv th{color:var(--muted);font-weight:500;white-space:nowrap}
code{font-family:"Noto Sans Mono CJK KR","D2Coding",ui-monospace,monospace;font-size:.92em}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px}
figure.chart svg{display:block;max-width:100%;height:auto;font-family:inherit}
.bar{fill:#4a7fd0}.sim .bar{fill:#2f9e72}.grid{stroke:#eef0f3}.axis{stroke:#99a3ad}
.ax{font-size:11px;fill:var(--muted)}.bv{font-size:10px;fill:var(--fg)}.ct{font-size:13px;font-weight:600;fill:var(--fg)}
.tools{position:sticky;top:0;z-index:2;background:var(--bg);padding:10px 0;display:flex;flex-wrap:wrap;
gap:10px 18px;align-items:center;border-bottom:1px solid var(--line)}
.tools input[type=search]{flex:1 1 280px;font:inherit;padding:6px 10px;border:1px solid #b9c2cc;border-radius:6px}
.tools input[type=number]{width:5em;font:inherit;padding:4px 6px}
.tools label{white-space:nowrap;color:var(--muted)}
.tools button{font:inherit;padding:4px 10px;border:1px solid #b9c2cc;border-radius:6px;background:#fff;cursor:pointer}
.count{color:var(--muted);white-space:nowrap}
.note{background:#fff8e1;border:1px solid #f0d890;border-radius:8px;padding:8px 12px;margin:12px 0}
details.cl{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:8px 0}
details.cl>summary{cursor:pointer;padding:9px 14px;display:flex;gap:14px;align-items:baseline;list-style-position:outside}
details.cl>summary::-webkit-details-marker{color:var(--muted)}
details.cl[open]>summary{border-bottom:1px solid var(--line)}
.rank{color:var(--muted);font-variant-numeric:tabular-nums;min-width:3em}
.size{font-weight:700;white-space:nowrap}.minsim{color:var(--muted);white-space:nowrap;font-size:.9em}
.rt{flex:1;min-width:0}
table.m{width:100%;border-collapse:collapse}
table.m th{font-size:.8em;color:var(--muted);font-weight:500;text-align:left;padding:6px 14px}
table.m td{border-top:1px solid var(--line);padding:7px 14px;vertical-align:top}
td.id{width:13em;font-family:"Noto Sans Mono CJK KR",ui-monospace,monospace;font-size:.86em;overflow-wrap:anywhere}
td.s{width:7.5em;white-space:nowrap;font-variant-numeric:tabular-nums}
.meter{display:block;height:4px;background:#e6e9ed;border-radius:2px;margin-top:4px;width:5.5em}
.meter i{display:block;height:4px;background:#2f9e72;border-radius:2px}
tr.rep{background:#f3f7fd}
.badge{display:inline-block;font-size:.72em;padding:0 6px;border-radius:9px;background:#e1eafa;color:#1f4f9a;
margin-left:4px;font-family:"Noto Sans CJK KR",sans-serif;white-space:nowrap}
.badge.same{background:#e6f4ea;color:#1d6b35}.badge.miss{background:#fde2e1;color:#9b1c1c}
.t{font-weight:600}.b{color:var(--muted);font-size:.88em;margin-top:2px}
ins{background:var(--ins);color:var(--insfg);text-decoration:none;border-radius:2px}
del{background:var(--del);color:var(--delfg);text-decoration:line-through;border-radius:2px}
.more{color:var(--muted);font-size:.88em;padding:6px 14px;margin:0;border-top:1px solid var(--line)}
tr.off{display:none}tr.hit td{background:var(--hit)}.gone{display:none}
.legend{color:var(--muted);font-size:.85em}
footer{color:var(--muted);font-size:.82em;margin-top:30px}
)CSS";

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

void AppendMemberRow(const ReportMember& rep, const ReportMember& m, std::string* out) {
  absl::StrAppend(out, "<tr class=\"mem", m.representative ? " rep" : "", "\" data-sim=\"",
                  Number(m.similarity), "\"><td class=\"id\">", HtmlEscape(m.id));
  if (m.representative) {
    absl::StrAppend(out, " <span class=\"badge\">representative</span>");
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
  out->append("</td></tr>\n");
}

std::string RepHeadline(const ReportMember& rep) {
  if (!rep.title.empty()) return rep.title;
  return std::string(TruncateUtf8(rep.body_start, 120));
}

}  // namespace

std::string RenderHtml(const ReportData& data) {
  static const std::string script_hash = Sha256Base64(kScript);
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

  // Summary.
  absl::StrAppend(&out, "<header><h1>Near-duplicate clusters</h1><p class=\"sub\">",
                  HtmlEscape(corpus_names.empty() ? "(no input)" : corpus_names), "</p></header>\n");
  absl::StrAppend(&out, "<section id=\"summary\"><div class=\"cards\">");
  auto card = [&out](std::string_view key, const std::string& value, const std::string& detail) {
    absl::StrAppend(&out, "<div class=\"card\"><div class=\"k\">", HtmlEscape(key),
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
  absl::StrAppend(&out, "</div>\n<table class=\"kv\">");
  auto row = [&out](std::string_view key, const std::string& value_html) {
    absl::StrAppend(&out, "<tr><th>", HtmlEscape(key), "</th><td>", value_html, "</td></tr>");
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
  row("Generated", HtmlEscape(data.generated_at));
  if (!data.command_line.empty()) {
    row("Command", absl::StrCat("<code>", HtmlEscape(data.command_line), "</code>"));
  }
  absl::StrAppend(&out, "</table></section>\n");

  // Charts.
  absl::StrAppend(&out, "<section id=\"charts\"><h2>Distributions</h2><div class=\"charts\">",
                  BarChart("Cluster sizes (clusters with 2+ documents)", "documents in the cluster",
                           SizeBars(data), "size"),
                  BarChart("Similarity of each member to its representative",
                           "estimated Jaccard similarity", SimilarityBars(data), "sim"),
                  "</div></section>\n");

  // Clusters.
  absl::StrAppend(&out, "<section id=\"clusters\"><h2>Clusters, largest first</h2>\n");
  absl::StrAppend(
      &out, "<div class=\"tools\"><input type=\"search\" id=\"q\" placeholder=\"Search titles, "
            "text or ids\" aria-label=\"Search\" autocomplete=\"off\">",
      "<label>min size <input type=\"number\" id=\"minsize\" min=\"2\" value=\"2\"></label>",
      "<label>min similarity <input type=\"range\" id=\"minsim\" min=\"0\" max=\"1\" "
      "step=\"0.01\" value=\"0\"> <output id=\"minsimv\">0.00</output></label>",
      "<button type=\"button\" id=\"expand\">Expand all</button>",
      "<button type=\"button\" id=\"collapse\">Collapse all</button>",
      "<span class=\"count\"><span id=\"shown\">", Thousands(data.clusters.size()),
      "</span> of ", Thousands(data.clusters.size()), " clusters shown</span></div>\n");
  absl::StrAppend(&out,
                  "<p class=\"legend\">Each cluster lists its representative first, then every "
                  "member with its similarity to the representative. In a member's title, "
                  "<ins>inserted</ins> marks text only the member has, <del>deleted</del> text "
                  "only the representative has.</p>\n");
  if (data.clusters_left_out > 0) {
    absl::StrAppend(&out, "<p class=\"note\" id=\"left-out\">",
                    Plural(data.clusters_left_out, "smaller cluster", "smaller clusters"),
                    " with 2+ documents not shown (the report shows the ",
                    Thousands(data.clusters.size()),
                    " largest; raise --report-max-clusters to see more).</p>\n");
  }
  if (data.members_without_text > 0) {
    absl::StrAppend(&out, "<p class=\"note\">", Plural(data.members_without_text, "member", "members"),
                    " could not be found in the inputs by id; they are shown without text.</p>\n");
  }
  absl::StrAppend(&out, "<p class=\"note gone\" id=\"none\">No cluster matches.</p>\n");
  if (data.clusters.empty()) {
    absl::StrAppend(&out, "<p>No near-duplicate clusters were found.</p>\n");
  }
  for (size_t c = 0; c < data.clusters.size(); ++c) {
    const ReportCluster& cluster = data.clusters[c];
    if (cluster.members.empty()) continue;
    const ReportMember& rep = cluster.members[0];
    absl::StrAppend(&out, "<details class=\"cl\" id=\"c", c + 1, "\" data-size=\"", cluster.size,
                    "\" data-minsim=\"", Number(cluster.min_similarity), "\"><summary>",
                    "<span class=\"rank\">#", c + 1, "</span><span class=\"size\">",
                    Plural(cluster.size, "document", "documents"),
                    "</span><span class=\"minsim\">min similarity ",
                    Fixed2(cluster.min_similarity), "</span><span class=\"rt\">",
                    HtmlEscape(RepHeadline(rep)), "</span></summary>\n");
    absl::StrAppend(&out,
                    "<table class=\"m\"><thead><tr><th>id</th><th>similarity</th><th>title and "
                    "start of text</th></tr></thead><tbody>\n");
    for (const ReportMember& m : cluster.members) AppendMemberRow(rep, m, &out);
    absl::StrAppend(&out, "</tbody></table>");
    if (cluster.members_left_out > 0) {
      absl::StrAppend(&out, "<p class=\"more\">and ",
                      Plural(cluster.members_left_out, "more member", "more members"),
                      " not shown</p>");
    }
    absl::StrAppend(&out, "</details>\n");
  }
  absl::StrAppend(&out, "</section>\n<footer>Made by neardup. Similarities are MinHash estimates "
                        "of the Jaccard similarity of the documents' shingle sets.</footer>\n");
  absl::StrAppend(&out, "</main>\n<script>", S(kScript), "</script>\n</body>\n</html>\n");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown

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
  if (data.clusters_left_out > 0) {
    absl::StrAppend(&out, "\n> ", Plural(data.clusters_left_out, "smaller cluster", "smaller clusters"),
                    " with 2+ documents not shown (this report shows the ",
                    Thousands(data.clusters.size()),
                    " largest; raise --report-max-clusters to see more).\n");
  }
  absl::StrAppend(&out, "\nTitle changes against the representative: {+only in the member+}, "
                        "{-only in the representative-}.\n");
  for (size_t c = 0; c < data.clusters.size(); ++c) {
    const ReportCluster& cluster = data.clusters[c];
    if (cluster.members.empty()) continue;
    const ReportMember& rep = cluster.members[0];
    absl::StrAppend(&out, "\n## ", c + 1, ". ", Plural(cluster.size, "document", "documents"),
                    ", min similarity ", Fixed2(cluster.min_similarity), "\n\n");
    for (const ReportMember& m : cluster.members) {
      if (m.representative) {
        absl::StrAppend(&out, "- **", MarkdownEscape(m.id), "** (representative)");
      } else {
        absl::StrAppend(&out, "- `", Fixed2(m.similarity), "` **", MarkdownEscape(m.id), "**");
      }
      if (m.identical_to_representative && !m.representative) absl::StrAppend(&out, " (same text)");
      if (!m.text_found) absl::StrAppend(&out, " (text not found)");
      const bool diff_titles = DiffsTitles(rep, m);
      const bool diff = !m.representative && rep.text_found && m.text_found;
      const std::string_view shown = diff_titles ? m.title : m.body_start;
      if (!shown.empty() || diff) {
        absl::StrAppend(&out, ": ",
                        diff ? MarkdownDiff(DiffCodePoints(diff_titles ? rep.title : rep.body_start,
                                                           shown))
                             : MarkdownEscape(shown));
        if (diff_titles ? m.title_truncated : m.body_truncated) out.append("…");
      }
      out.append("\n");
      if (diff_titles && !m.body_start.empty() && m.body_start != m.title) {
        bool cut = false;
        const std::string_view body = TruncateUtf8(m.body_start, 160, &cut);
        absl::StrAppend(&out, "  - ", MarkdownEscape(body), cut || m.body_truncated ? "…" : "",
                        "\n");
      }
    }
    if (cluster.members_left_out > 0) {
      absl::StrAppend(&out, "- … and ", Plural(cluster.members_left_out, "more member", "more members"),
                      " not shown\n");
    }
  }
  return out;
}

}  // namespace neardup
