#include "internal/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace neardup::internal {

uint64_t Hash64(std::string_view bytes, uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

uint64_t Hash64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

void HashWindows(std::string_view text, const size_t* starts, size_t n, size_t k, uint64_t seed,
                 uint64_t* out) {
  const char* const data = text.data();
  for (size_t i = 0; i < n; ++i) {
    out[i] = XXH3_64bits_withSeed(data + starts[i], starts[i + k] - starts[i], seed);
  }
}

Hash128 Hash128Of(std::string_view bytes, uint64_t seed) {
  XXH128_hash_t h = XXH3_128bits_withSeed(bytes.data(), bytes.size(), seed);
  return Hash128{h.low64, h.high64};
}

}  // namespace neardup::internal
