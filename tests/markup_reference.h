// markup_reference.h (tests): a slow, plainly written StripMarkup (markup.h) for the oracle tests
// in markup_test.cc and normalize_test.cc. Tags are matched with std::regex against every
// candidate end, references with regexes and the rules spelled out again here. The one thing
// shared with src/text/markup.cc is the table of names beyond ReferenceEntities()
// (NamedCharacterReference(), checked name by name in markup_test.cc). Only for texts without
// tags longer than kMaxTagBytes and without the byte 0x01 (which stands for non-ASCII bytes).
#pragma once

#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <string_view>

#include "neardup/text/markup.h"

namespace neardup::testing_util {

// The named references the random tests use, and what they decode to ("" for names that are
// not references and stay as text). Other names are looked up with NamedCharacterReference().
inline const std::map<std::string, std::string>& ReferenceEntities() {
  static const auto* const kMap = new std::map<std::string, std::string>{
      {"quot", "\""},          {"amp", "&"},           {"lt", "<"},
      {"gt", ">"},             {"apos", "'"},          {"nbsp", "\u00A0"},
      {"middot", "\u00B7"},    {"hellip", "\u2026"},   {"ldquo", "\u201C"},
      {"rdquo", "\u201D"},     {"lsquo", "\u2018"},    {"rsquo", "\u2019"},
      {"prime", "\u2032"},     {"Prime", "\u2033"},    {"shy", "\u00AD"},
      {"eacute", "\u00E9"},    {"euro", "\u20AC"},     {"QUOT", "\""},
      {"AMP", "&"},            {"thetasym", "\u03D1"}, {"ne", "\u2260"},
      {"D", ""},               {"Quot", ""},           {"nbsp1", ""},
      {"foo", ""},             {"thetasyms", ""}};
  return *kMap;
}

inline std::string ReferenceUtf8(uint32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// HTML5's rules for a numeric reference whose digits are `digits`.
inline std::string ReferenceNumeric(const std::string& digits, int base) {
  // Leading zeros do not count; more than 7 significant digits is above U+10FFFF in either base.
  const size_t first = digits.find_first_not_of('0');
  const std::string significant = first == std::string::npos ? "0" : digits.substr(first);
  if (significant.size() > 7) return "\uFFFD";
  const uint32_t value = static_cast<uint32_t>(std::stoul(significant, nullptr, base));
  static const std::map<uint32_t, uint32_t> kWindows1252 = {
      {0x80, 0x20AC}, {0x82, 0x201A}, {0x83, 0x0192}, {0x84, 0x201E}, {0x85, 0x2026},
      {0x86, 0x2020}, {0x87, 0x2021}, {0x88, 0x02C6}, {0x89, 0x2030}, {0x8A, 0x0160},
      {0x8B, 0x2039}, {0x8C, 0x0152}, {0x8E, 0x017D}, {0x91, 0x2018}, {0x92, 0x2019},
      {0x93, 0x201C}, {0x94, 0x201D}, {0x95, 0x2022}, {0x96, 0x2013}, {0x97, 0x2014},
      {0x98, 0x02DC}, {0x99, 0x2122}, {0x9A, 0x0161}, {0x9B, 0x203A}, {0x9C, 0x0153},
      {0x9E, 0x017E}, {0x9F, 0x0178}};
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return "\uFFFD";
  const auto it = kWindows1252.find(value);
  return ReferenceUtf8(it == kWindows1252.end() ? value : it->second);
}

// Whether `tag` (from '<' to '>' inclusive, non-ASCII bytes replaced by 0x01) is a tag by the
// grammar in markup.h; if so sets `*name` to its name.
inline bool ReferenceIsTag(const std::string& tag, std::string* name) {
  // A quoted value may be followed by the next attribute directly, any other attribute only
  // after white space: a group is white space, then attributes with quoted values, then one
  // attribute of any kind.
  static const std::regex kTag([] {
    const std::string ws = "[ \\t\\n\\f\\r]";
    const std::string attr_name = "[!#-&(-.0-;?-~]+";
    const std::string quoted = "(\"[^\"]*\"|'[^']*')";
    const std::string unquoted = "[\\x01!#-&(-;=?-~]+";
    const std::string eq = ws + "*=" + ws + "*";
    const std::string any_attr = attr_name + "(" + eq + "(" + unquoted + "|" + quoted + "))?";
    return "</?([A-Za-z][A-Za-z0-9_:-]*)(" + ws + "+(" + attr_name + eq + quoted + ")*" +
           any_attr + ")*" + ws + "*/?>";
  }());
  std::smatch m;
  if (!std::regex_match(tag, m, kTag)) return false;
  *name = m[1];
  return true;
}

inline bool ReferenceIsInline(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* t : {"b", "i", "em", "strong", "u", "s", "span", "font", "a", "sup", "sub",
                        "mark", "small", "big", "abbr", "cite", "code", "q", "tt", "strike",
                        "del", "ins", "kbd", "var", "dfn", "bdi", "bdo", "time", "data", "nobr",
                        "wbr"}) {
    if (name == t) return true;
  }
  return false;
}

// StripMarkup(), slowly: returns the text with its markup removed.
inline std::string ReferenceStripMarkup(std::string_view text) {
  std::string masked(text);  // non-ASCII bytes as 0x01 for the tag regex
  for (char& c : masked) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '\x01';
  }
  static const std::regex kDecimal("&#([0-9]+);.*", std::regex::extended);
  static const std::regex kHex("&#[xX]([0-9a-fA-F]+);.*", std::regex::extended);
  static const std::regex kNamed("&([A-Za-z0-9]+);.*", std::regex::extended);
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const std::string rest(text.substr(i));
    if (rest.compare(0, 4, "<!--") == 0) {
      const size_t close = text.find("-->", i + 2);
      if (close != std::string_view::npos) {
        i = close + 3;
        continue;
      }
    }
    if (text[i] == '<') {
      bool removed = false;
      // The first '>' after which the span is a tag.
      for (size_t e = text.find('>', i); e != std::string_view::npos; e = text.find('>', e + 1)) {
        std::string name;
        if (ReferenceIsTag(masked.substr(i, e + 1 - i), &name)) {
          if (!ReferenceIsInline(name)) out += '\n';
          i = e + 1;
          removed = true;
          break;
        }
      }
      if (removed) continue;
    }
    if (text[i] == '&') {
      std::smatch m;
      // Only up to the first ';' matters; keep the regex input short.
      const size_t semi = rest.find(';');
      const std::string head = semi == std::string::npos ? rest : rest.substr(0, semi + 1);
      std::string decoded;
      if (std::regex_match(head, m, kDecimal)) {
        decoded = ReferenceNumeric(m[1], 10);
      } else if (std::regex_match(head, m, kHex)) {
        decoded = ReferenceNumeric(m[1], 16);
      } else if (std::regex_match(head, m, kNamed)) {
        const auto it = ReferenceEntities().find(m[1]);
        if (it != ReferenceEntities().end()) {
          decoded = it->second;
        } else if (const char32_t c = NamedCharacterReference(m[1].str()); c != 0) {
          decoded = ReferenceUtf8(c);
        }
      }
      if (!decoded.empty()) {
        out += decoded;
        i += head.size();
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace neardup::testing_util
