#include "report/format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/json.h"
#include "internal/utf8.h"
#include "neardup/text/normalize.h"

namespace neardup {
namespace report_internal {

namespace {

// Code points shown by name rather than acted on: C0 controls other than tab, LF and CR, DEL, C1
// controls, and the bidirectional marks, embeddings, overrides and isolates (a title holding
// U+202E would otherwise show "gnp.exe" as "exe.png").
bool ShownByName(char32_t cp) {
  return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F) ||
         cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string CleanText(std::string_view text) {
  std::string repaired;
  RepairUtf8(text, &repaired);
  std::string out;
  out.reserve(repaired.size());
  for (size_t i = 0; i < repaired.size();) {
    size_t n = 1;
    const char32_t cp = internal::DecodeUtf8(repaired, i, &n);  // valid UTF-8 here
    if (ShownByName(cp)) {
      absl::StrAppendFormat(&out, "\u27E8U+%04X\u27E9", static_cast<uint32_t>(cp));  // ⟨U+202E⟩
    } else {
      out.append(repaired, i, n);
    }
    i += n;
  }
  return out;
}

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

std::string Number(double value) {
  std::string out;
  internal::AppendJsonNumber(&out, value);
  return out;
}

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

}  // namespace report_internal

std::string_view TruncateUtf8(std::string_view text, size_t max_code_points, bool* truncated) {
  size_t i = 0;
  size_t count = 0;
  while (i < text.size() && count < max_code_points) {
    i += internal::Utf8CodePointLength(text, i);
    ++count;
  }
  if (truncated != nullptr) *truncated = i < text.size();
  return text.substr(0, i);
}

}  // namespace neardup
