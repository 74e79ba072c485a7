// internal/json.h: the few JSON-writing helpers neardup's outputs need. Output is deterministic:
// the same values always give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace neardup::internal {

// Appends `s` as a JSON string literal (with quotes). Invalid UTF-8 is replaced by U+FFFD so the
// output is always valid JSON; control characters are escaped as \uXXXX (\n, \t, \r, \b, \f short).
void AppendJsonString(std::string* out, std::string_view s);

// Appends a similarity or ratio with at most 6 decimals, trailing zeros trimmed ("1", "0.8125").
void AppendJsonNumber(std::string* out, double value);

}  // namespace neardup::internal
