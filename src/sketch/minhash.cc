#include "neardup/sketch/minhash.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "internal/hash.h"

namespace neardup {

namespace {

// The SplitMix64 finalizer: a bijection of 64-bit words whose every output bit depends on every
// input bit.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Maps the high 32 bits of `h` uniformly onto [0, bins) (Lemire's multiply-shift range reduction).
inline uint32_t BinOf(uint64_t h, uint64_t bins) {
  return static_cast<uint32_t>(((h >> 32) * bins) >> 32);
}

// Bin `bin`'s densification probe `attempt` (>= 1).
inline uint32_t Probe(uint64_t probe_seed, uint32_t bin, uint32_t attempt, uint64_t bins) {
  return BinOf(Mix64(probe_seed ^ (uint64_t{bin} << 32 | attempt)), bins);
}

}  // namespace

absl::StatusOr<MinHashScheme> ParseMinHashScheme(std::string_view name) {
  if (name == "oph" || name == "one-permutation") return MinHashScheme::kOnePermutation;
  if (name == "permutations") return MinHashScheme::kPermutations;
  return absl::InvalidArgumentError(absl::StrCat(
      "--minhash-scheme must be oph or permutations, got \"", std::string(name), "\""));
}

std::string_view MinHashSchemeName(MinHashScheme scheme) {
  return scheme == MinHashScheme::kOnePermutation ? "oph" : "permutations";
}

MinHasher::MinHasher(int num_perm, uint64_t seed, MinHashScheme scheme)
    : num_perm_(num_perm > 0 ? num_perm : 0), scheme_(scheme), seed_(seed) {
  const size_t n = static_cast<size_t>(num_perm_);
  if (scheme_ == MinHashScheme::kOnePermutation) {
    probe_seed_ = Mix64(seed + 1);
    probes_.resize(n * kProbes);
    for (size_t i = 0; i < n; ++i) {
      for (int t = 1; t <= kProbes; ++t) {
        probes_[i * kProbes + static_cast<size_t>(t - 1)] =
            Probe(probe_seed_, static_cast<uint32_t>(i), static_cast<uint32_t>(t), n);
      }
    }
    return;
  }
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

// out[i] = Mix64(in[i] ^ seed): with AVX-512DQ, eight lanes a multiply.
NEARDUP_MULTIVERSION
void MixAll(const uint64_t* __restrict in, size_t n, uint64_t seed, uint64_t* __restrict out) {
  for (size_t i = 0; i < n; ++i) out[i] = Mix64(in[i] ^ seed);
}

}  // namespace

void MinHasher::Sign(absl::Span<const uint64_t> shingles, absl::Span<uint32_t> out) const {
  if (scheme_ == MinHashScheme::kOnePermutation) {
    SignOnePermutation(shingles, out);
    return;
  }
  const size_t n = std::min(out.size(), a_.size());
  uint32_t* o = out.data();
  std::fill(o, o + out.size(), UINT32_MAX);
  SignInto(shingles.data(), shingles.size(), a_.data(), b_.data(), o, n);
}

void MinHasher::SignOnePermutation(absl::Span<const uint64_t> shingles,
                                   absl::Span<uint32_t> out) const {
  const size_t n = std::min(out.size(), static_cast<size_t>(num_perm_));
  uint32_t* o = out.data();
  std::fill(o, o + out.size(), UINT32_MAX);
  if (shingles.empty() || n == 0) return;
  // Which bins some shingle fell into; a value of 0xFFFFFFFF alone cannot tell.
  absl::InlinedVector<uint64_t, 4> filled((n + 63) / 64, 0);
  const uint64_t bins = static_cast<uint64_t>(num_perm_);
  // Mix a block of shingles at a time (vectorized), then scatter the block into the bins.
  constexpr size_t kBlock = 256;
  uint64_t mixed[kBlock];
  for (size_t begin = 0; begin < shingles.size(); begin += kBlock) {
    const size_t m = std::min(kBlock, shingles.size() - begin);
    MixAll(shingles.data() + begin, m, seed_, mixed);
    for (size_t j = 0; j < m; ++j) {
      const uint64_t h = mixed[j];
      const uint32_t bin = BinOf(h, bins);
      const uint32_t v = static_cast<uint32_t>(h);
      if (bin >= n) continue;  // only when `out` is shorter than num_perm
      o[bin] = o[bin] < v ? o[bin] : v;
      filled[bin >> 6] |= uint64_t{1} << (bin & 63);
    }
  }
  auto is_filled = [&](uint32_t bin) { return bin < n && (filled[bin >> 6] >> (bin & 63) & 1); };
  size_t count = 0;
  for (const uint64_t w : filled) count += static_cast<size_t>(__builtin_popcountll(w));
  if (count == n) return;
  if (count == 0) return;  // every shingle fell past a short `out`: nothing to borrow
  // Optimal densification: each empty bin copies the first filled bin of its probe sequence.
  for (uint32_t i = 0; i < n; ++i) {
    if (is_filled(i)) continue;
    const uint32_t* probes = probes_.data() + static_cast<size_t>(i) * kProbes;
    uint32_t source = UINT32_MAX;
    for (int t = 0; t < kProbes; ++t) {
      if (is_filled(probes[t])) {
        source = probes[t];
        break;
      }
    }
    for (uint32_t t = kProbes + 1; source == UINT32_MAX; ++t) {
      const uint32_t j = Probe(probe_seed_, i, t, bins);
      if (is_filled(j)) source = j;
    }
    o[i] = o[source];  // `source` was filled by a shingle, so its entry is final
  }
}

namespace {

template <typename T>
double FractionEqual(absl::Span<const T> a, absl::Span<const T> b) {
  const size_t n = std::min(a.size(), b.size());
  if (n == 0) return 0.0;
  size_t equal = 0;
  for (size_t i = 0; i < n; ++i) equal += a[i] == b[i];
  return static_cast<double>(equal) / static_cast<double>(n);
}

}  // namespace

double EstimateJaccard(absl::Span<const uint32_t> a, absl::Span<const uint32_t> b) {
  return FractionEqual(a, b);
}

void PackMinHash(const uint32_t* signature, int num_perm, uint8_t* out) {
  int i = 0;
  for (; i + 1 < num_perm; i += 2, out += 3) {
    const uint32_t e0 = signature[i] & kStoredMinHashMask;
    const uint32_t e1 = signature[i + 1] & kStoredMinHashMask;
    out[0] = static_cast<uint8_t>(e0);
    out[1] = static_cast<uint8_t>(e0 >> 8 | (e1 & 0xF) << 4);
    out[2] = static_cast<uint8_t>(e1 >> 4);
  }
  if (i < num_perm) {
    const uint32_t e0 = signature[i] & kStoredMinHashMask;
    out[0] = static_cast<uint8_t>(e0);
    out[1] = static_cast<uint8_t>(e0 >> 8);
    out[2] = 0;
  }
}

double EstimateJaccardPacked(const uint8_t* a, const uint8_t* b, int num_perm) {
  if (num_perm <= 0) return 0.0;
  // Per three-byte group, entry 0 is bytes 0 and the low nibble of 1, entry 1 the high nibble of
  // 1 and byte 2: compare the XOR of the groups under each entry's mask.
  const int groups = (num_perm + 1) / 2;
  int equal = 0;
  for (int j = 0; j < groups; ++j, a += 3, b += 3) {
    const uint32_t x = static_cast<uint32_t>(a[0] ^ b[0]) |
                       static_cast<uint32_t>(a[1] ^ b[1]) << 8 |
                       static_cast<uint32_t>(a[2] ^ b[2]) << 16;
    equal += (x & 0x000FFF) == 0;
    equal += (x & 0xFFF000) == 0;
  }
  if (num_perm & 1) --equal;  // the padding entry of an odd num_perm always agrees
  return static_cast<double>(equal) / static_cast<double>(num_perm);
}

}  // namespace neardup
