// Replays every saved fuzz input, tests/fuzz/regressions/<target>/*, through the same target body
// the fuzzer runs (tests/fuzz/fuzz_targets.h), so a crash once found stays fixed in every build,
// with or without clang. A broken contract aborts the test binary (FUZZ_CHECK), a memory error
// shows under scripts/sanitize. The inputs are crashers saved by scripts/fuzz plus a few
// hand-made edge cases (files named handmade-*).
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"
#include "gtest/gtest.h"

namespace neardup::fuzz {
namespace {

using Target = int (*)(const uint8_t*, size_t);

// The files of tests/fuzz/regressions/<target>/, sorted.
std::vector<std::string> Inputs(const std::string& target) {
  const std::string dir = std::string(NEARDUP_SOURCE_DIR) + "/tests/fuzz/regressions/" + target;
  std::vector<std::string> paths;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] != '.' && name != "README.md") paths.push_back(dir + "/" + name);
    }
    ::closedir(d);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

size_t Replay(const std::string& target, Target body) {
  const std::vector<std::string> inputs = Inputs(target);
  for (const std::string& path : inputs) {
    SCOPED_TRACE(path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.c_str(), bytes.size());
    EXPECT_EQ(body(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
  return inputs.size();
}

TEST(FuzzRegressionTest, JsonlRecord) { EXPECT_GT(Replay("jsonl_record", JsonlRecord), 0u); }
TEST(FuzzRegressionTest, CsvRecord) { EXPECT_GT(Replay("csv_record", CsvRecord), 0u); }
TEST(FuzzRegressionTest, TsvRecord) { EXPECT_GT(Replay("tsv_record", TsvRecord), 0u); }
TEST(FuzzRegressionTest, RecordReader) {
  EXPECT_GT(Replay("record_reader", RecordReaderFile), 0u);
}
TEST(FuzzRegressionTest, Normalize) { EXPECT_GT(Replay("normalize", NormalizeText), 0u); }
TEST(FuzzRegressionTest, Shingle) { EXPECT_GT(Replay("shingle", ShingleText), 0u); }

// The targets themselves accept the empty input and tiny inputs.
TEST(FuzzRegressionTest, EveryTargetAcceptsEmptyAndOneByteInputs) {
  const uint8_t byte = 0;
  for (Target t : {JsonlRecord, CsvRecord, TsvRecord, RecordReaderFile, NormalizeText,
                   ShingleText}) {
    EXPECT_EQ(t(&byte, 0), 0);
    EXPECT_EQ(t(&byte, 1), 0);
  }
}

}  // namespace
}  // namespace neardup::fuzz
