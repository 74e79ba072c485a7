// Golden vectors. These numbers pin the on-disk meaning of neardup's hashes: stored shingle
// hashes, signatures and indexes are only comparable across builds if they stay the same. If one
// of these tests fails, the hash function, its seed or the shingling changed: that is a format
// change, not a test to update casually. Values computed once with XXH3 (libxxhash 0.8.1).
#include "internal/hash.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "neardup/text/normalize.h"
#include "neardup/text/shingle.h"

namespace neardup {
namespace {

TEST(HashTest, ShingleSeedIsNeardup1BigEndian) {
  EXPECT_EQ(kShingleSeed, 0x6E65617264757031ULL);
  uint64_t from_bytes = 0;
  for (char c : std::string("neardup1")) from_bytes = (from_bytes << 8) | static_cast<uint8_t>(c);
  EXPECT_EQ(from_bytes, kShingleSeed);
}

TEST(HashTest, Hash64GoldenVectors) {
  // XXH3-64 of the empty input with seed 0; also xxHash's own published value.
  EXPECT_EQ(internal::Hash64("", 0), 0x2d06800538d394c2ULL);
  EXPECT_EQ(internal::Hash64("neardup", kShingleSeed), 0x88988d697f736b68ULL);
}

TEST(HashTest, Hash64OverloadsAgree) {
  const std::string text = "계엄과 무관";
  EXPECT_EQ(internal::Hash64(text.data(), text.size(), kShingleSeed),
            internal::Hash64(text, kShingleSeed));
}

TEST(HashTest, Hash128GoldenVector) {
  const internal::Hash128 h = internal::Hash128Of("한국어", kShingleSeed);
  EXPECT_EQ(h.low, 0x963396dda1b6ec72ULL);
  EXPECT_EQ(h.high, 0x5aae0c1ba423833cULL);
}

// Pins shingle hashing itself, on an already-normalized headline, so that a change of the
// normalization defaults does not move these values but a change of shingling does.
TEST(HashTest, ShingleGoldenVectorsOfKoreanHeadline) {
  const std::string normalized = "[속보] 윤 '홍장원에 '방첩사 도우라' 통화, 계엄과 무관'";
  std::vector<uint64_t> hashes;
  Shingle(normalized, ShingleSpec{ShingleUnit::kChar, 5, /*keep_spaces=*/true}, kShingleSeed,
          &hashes);
  ASSERT_EQ(hashes.size(), 30u);
  EXPECT_EQ(hashes[0], 0x7a2478509e4d272bULL);  // "[속보] 윤"
  EXPECT_EQ(hashes[1], 0xbdccd81994238f7bULL);  // "속보] 윤 "
  EXPECT_EQ(hashes[2], 0x733c297bdca21cf7ULL);  // "보] 윤 '"
  // The default skips spaces: windows of 5 non-space code points, hashed without the spaces.
  Shingle(normalized, ShingleSpec{ShingleUnit::kChar, 5}, kShingleSeed, &hashes);
  ASSERT_EQ(hashes.size(), 23u);
  EXPECT_EQ(hashes[0], 0x55f02a6727f675dcULL);  // "[속보]윤"
  EXPECT_EQ(hashes[0], internal::Hash64("[속보]윤", kShingleSeed));
  EXPECT_EQ(hashes[1], 0x8bce57af18489b8aULL);  // "속보]윤'"
  EXPECT_EQ(hashes[2], 0xf045c409fcc7d648ULL);  // "보]윤'홍"
}

}  // namespace
}  // namespace neardup
