// news_rules_internal.h: byte-level helpers shared by news_rules.cc (aliases, tags) and
// boilerplate.cc (StripBoilerplate). Not part of the library's interface.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace neardup::news_internal {

inline bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

// Line break at `pos`: \n, \r (a \r\n pair counts once), U+0085, U+2028, U+2029.
inline size_t LineBreakAt(std::string_view s, size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t left = s.size() - pos;
  if (p[0] == '\n') return 1;
  if (p[0] == '\r') return left >= 2 && p[1] == '\n' ? 2 : 1;
  if (p[0] == 0xC2 && left >= 2 && p[1] == 0x85) return 2;
  if (p[0] == 0xE2 && left >= 3 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) return 3;
  return 0;
}

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}
inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         std::memcmp(s.data() + s.size() - suffix.size(), suffix.data(), suffix.size()) == 0;
}

inline std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

struct BracketPair {
  std::string_view open, close;
};

}  // namespace neardup::news_internal
