// internal/suggest.h: "did you mean" for names typed by hand (subcommands, flags, enum values,
// field names): the closest known name by edit distance.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace neardup::internal {

// Optimal string alignment distance between `a` and `b`: insertions, deletions, substitutions and
// swaps of two adjacent bytes each count 1 ("minhahs" is 1 from "minhash"). ASCII letters are
// compared without case.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is at most `max_distance` away and not `word` itself;
// ties go to the earlier candidate. "" when none is close enough.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates,
                         size_t max_distance = 2);

// "; did you mean 'X'?" for ClosestMatch's X, "" when there is none.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       size_t max_distance = 2);

}  // namespace neardup::internal
