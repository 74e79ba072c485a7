// markup.h: removes HTML markup from text, the step of normalization (normalize.h, step 2) that
// makes "<b>조국</b> &quot;검찰 개혁&quot;" (what news APIs and scrapers return) read as
// "조국 \"검찰 개혁\"".
//
// One left-to-right pass over the text; what it writes is never read again, so a reference is
// decoded once ("&amp;quot;" -> "&quot;", literally) and a decoded "<" never starts a tag
// ("&lt;b&gt;" -> the text "<b>"). At each '<' or '&':
//
//   Tags. '<', an optional '/', an ASCII letter, more tag-name characters (ASCII letters, digits,
//   '-', '_', ':'), then attributes, each after ASCII white space (or right after a quoted value),
//   then optional white space, an optional '/' and '>'. An attribute is a name (printable ASCII
//   other than " ' < > / =), optionally followed by '=' (white space around it allowed) and a
//   value that is quoted ("..." or '...', holding anything, '>' and non-ASCII text included) or
//   unquoted (printable ASCII other than " ' < >, or non-ASCII: "a?b=1", "조국"). A tag is at
//   most kMaxTagBytes bytes. Such a tag is removed: an inline tag (b i em strong u s span font a
//   sup sub mark small big abbr cite code q, and the other phrasing tags tt strike del ins kbd var
//   dfn bdi bdo time data nobr wbr; any letter case) becomes nothing, so "<b>조국</b>" -> "조국";
//   any other tag (br p div li tr td h1-h6 img hr table ...) becomes "\n", so that boilerplate
//   removal still sees the lines. Anything else that starts with '<' is text and stays: "a < b",
//   "x<3", "<<속보>>", "<한겨레>" (a tag name is ASCII), "<foo@bar.com>" ('@' cannot follow a
//   tag name), "<http://x.org>" ('/' only right before '>'), "<b" with no '>'. As in a browser,
//   "a <b and c> d" does hold a tag.
//
//   Comments. "<!--" up to the next "-->" is removed (HTML5 closes "<!-->" and "<!--->" at
//   once); without a "-->" after it, it is text.
//
//   Character references, only when terminated by ';':
//     "&#" decimal digits ";" and "&#x" (or "&#X") hex digits ";" decode as HTML5 does: zero, a
//     surrogate (U+D800..U+DFFF) or a value above U+10FFFF gives U+FFFD, and 0x80..0x9F are read
//     as Windows-1252 ("&#150;" -> U+2013 EN DASH; 0x81 0x8D 0x8F 0x90 0x9D stay C1 controls);
//     every other value is that code point (controls and noncharacters included);
//     "&" name ";" for the 252 entities of HTML 4.01 (nbsp quot amp lt gt middot hellip lsquo
//     rsquo ldquo rdquo sbquo bdquo ndash mdash laquo raquo lsaquo rsaquo bull trade copy reg
//     times divide deg plusmn para sect prime Prime thinsp ensp emsp zwj zwnj shy eacute euro
//     ...), plus apos and the HTML5 upper-case forms AMP COPY GT LT QUOT REG TRADE. Names are
//     case-sensitive ("&Prime;" is U+2033, "&prime;" U+2032).
//   Any other '&' is text: "AT&T", "a & b", "R&D;" (no entity D), "&nbsp" (no ';'), "&#;".
//
// Not done: the text inside <script> and <style> is kept (only the tags go); a tag with an
// unterminated quote, or longer than kMaxTagBytes, stays as text, as does an unterminated
// comment. Decoded references are not normalized any further here (&shy; gives U+00AD, which
// later steps keep; &nbsp; gives U+00A0, which white space collapse turns into a space).
//
// Input should be valid UTF-8 (Normalizer repairs first); then so is the output, because every
// removed or replaced span starts and ends at an ASCII byte and decoded code points are encoded
// as UTF-8. On any input the output is never longer than the input. Cost: one SSE2 scan for
// '<' and '&' when there are none (no copy); otherwise linear in the text, with the search for
// a quote bounded by kMaxTagBytes and the search for "-->" done once per position it can end.
// Thread-safe; allocates nothing besides growing `*out`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace neardup {

// The longest '<' ... '>' that is taken for a tag (attributes included); a longer one is text.
inline constexpr size_t kMaxTagBytes = 8192;

// The position of the first '<' or '&' in `text` (a byte that may start markup), or
// `text.size()` if there is none.
size_t FindMarkup(std::string_view text);

// Writes `text` with its markup removed (see above) to `*out`, replacing its content, and
// returns true; or, when there is nothing to remove or decode, returns false and leaves `*out`
// empty, so that the caller keeps `text`. `*out` must not alias `text`.
bool StripMarkup(std::string_view text, std::string* out);

// The code point of the named character reference "&name;" (`name` without '&' and ';'), or 0
// if it is not one that StripMarkup() decodes.
char32_t NamedCharacterReference(std::string_view name);

}  // namespace neardup
