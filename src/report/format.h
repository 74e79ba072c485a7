// report/format.h (private): what the report's collecting and its two renderers share: corpus text
// made safe to keep (CleanText, CollapseWhitespace) and the number formats of the page and the
// Markdown ("12,345", "0.85", "3.1%").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "neardup/report/report.h"

namespace neardup::report_internal {

// Debian's absl::StrCat takes absl::string_view, which is not std::string_view here.
inline std::string S(std::string_view s) { return std::string(s); }

// Valid UTF-8 (invalid sequences become U+FFFD), with control characters (C0 other than tab, LF
// and CR, DEL, C1) and bidirectional formatting characters (U+061C, U+200E-F, U+202A-E,
// U+2066-9) shown by name, "⟨U+202E⟩", instead of acting on the text around them.
std::string CleanText(std::string_view text);

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Every run of ASCII white space to one space, trimmed.
std::string CollapseWhitespace(std::string_view text);

// A similarity as in the JSON outputs: at most 6 decimals, trailing zeros trimmed.
std::string Number(double value);
// 1234567 -> "1,234,567".
std::string Thousands(uint64_t n);
// Two decimals: "0.85".
std::string Fixed2(double v);
// "1 cluster", "12 clusters" (with thousands separators).
std::string Plural(uint64_t n, std::string_view one, std::string_view many);
// part / whole with one decimal, "0%" when whole is 0.
std::string Percent(uint64_t part, uint64_t whole);

// What a member row diffs against the representative: the titles, or the body starts when
// neither has a title.
inline bool DiffsTitles(const ReportMember& rep, const ReportMember& m) {
  return !rep.title.empty() || !m.title.empty();
}

// "12 × 2, 3 × 3" for the multi-member cluster sizes (count, `times`, size), at most 12 listed.
std::string SizesSentence(const ReportData& data, std::string_view times);

}  // namespace neardup::report_internal
