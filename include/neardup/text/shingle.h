// shingle.h: cuts normalized text into overlapping shingles and hashes each one.
//
//   char:K  every window of K consecutive non-space code points (not bytes): ASCII white space
//           (space, \t, \n, \v, \f, \r) is skipped, so "尹대통령" and "尹 대통령" give the same
//           shingles. A text with fewer than K non-space code points is one shingle (all of
//           them); a text with none has no shingles.
//   char:K+spaces  (keep_spaces) every window of K consecutive code points, spaces included; a
//           non-empty text shorter than K code points is one shingle (the whole text).
//   word:K  every window of K consecutive tokens, tokens being the runs between ASCII spaces
//           (normalization has already collapsed white space); fewer than K tokens make one
//           shingle; no token, no shingle.
// Each shingle's UTF-8 bytes (for char shingles without spaces: the bytes of its K code points,
// concatenated; for word shingles: the tokens joined by single spaces, exactly as they stand in
// the normalized text) are hashed with XXH3-64 and `seed` (kShingleSeed by default). So a window
// without white space hashes the same in both char modes.
// Shingles are not deduplicated: callers that need a set sort and unique the hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace neardup {

// The documented shingle hash seed: the ASCII bytes "neardup1" read as a big-endian integer.
inline constexpr uint64_t kShingleSeed = 0x6E65617264757031ULL;

enum class ShingleUnit { kChar, kWord };

struct ShingleSpec {
  ShingleUnit unit = ShingleUnit::kChar;
  int k = 5;  // window size, 1 to 64
  // Char shingles only: false (default) skips ASCII white space, true keeps it in the windows.
  // Word shingles ignore it.
  bool keep_spaces = false;

  // Parses "char:K", "char:K+spaces" or "word:K" (K an integer from 1 to 64).
  static absl::StatusOr<ShingleSpec> Parse(std::string_view text);
  std::string ToString() const;  // "char:5", "char:5+spaces", "word:3"
};

// Replaces `*out` with the hashes of every shingle of `text`, in text order.
void Shingle(std::string_view text, const ShingleSpec& spec, uint64_t seed,
             std::vector<uint64_t>* out);

// Convenience for tests and the exact oracle: the sorted, deduplicated shingle hashes.
std::vector<uint64_t> ShingleSet(std::string_view text, const ShingleSpec& spec,
                                 uint64_t seed = kShingleSeed);

// Exact Jaccard similarity |A n B| / |A u B| of two sorted, deduplicated hash sets. Two empty sets
// have similarity 1.
double ExactJaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

}  // namespace neardup
