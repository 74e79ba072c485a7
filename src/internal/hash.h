// internal/hash.h: the only file that includes xxhash.h. Every hash neardup stores or compares goes
// through these functions so that a change of hash function is one edit (and breaks the golden
// vectors in tests/hash_test.cc on purpose).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace neardup::internal {

struct Hash128 {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const Hash128& a, const Hash128& b) {
    return a.low == b.low && a.high == b.high;
  }
  friend bool operator<(const Hash128& a, const Hash128& b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  }
};

// XXH3-64 of `bytes` with `seed`.
uint64_t Hash64(std::string_view bytes, uint64_t seed);
// XXH3-64 of raw memory.
uint64_t Hash64(const void* data, size_t size, uint64_t seed);
// out[i] = Hash64(text.substr(starts[i], starts[i + k] - starts[i]), seed) for i < n: the hashes of
// n windows of k units whose boundaries are `starts` (n + k entries). One call for a whole text,
// so that XXH3's short-input path is inlined into the loop.
void HashWindows(std::string_view text, const size_t* starts, size_t n, size_t k, uint64_t seed,
                 uint64_t* out);
// XXH3-128 of `bytes` with `seed`.
Hash128 Hash128Of(std::string_view bytes, uint64_t seed);

// SplitMix64: a fixed, well-mixed sequence used to derive per-permutation constants from a seed.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace neardup::internal
