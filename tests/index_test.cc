// The persistent index (neardup/index/index.h, `neardup index`): create, add, query, remove and
// stats on small synth corpora split into days; fixed options; one writer; SIGKILL inside an add;
// the two-day clusters against one batch `cluster` run; bad directories.
#include "neardup/index/index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testutil.h"

namespace {

using neardup_test::Field;
using neardup_test::Lines;
using neardup_test::ReadFile;
using neardup_test::RunNeardup;
using neardup_test::Temp;
using neardup_test::WriteFile;

// A synth corpus of `n` documents cut into two days (the first half, the rest), in files
// day1.jsonl and day2.jsonl; each record also gets "date": day 1 is 2025-01-01, day 2 2025-01-02.
struct Days {
  std::string all, day1, day2;
  size_t n1 = 0, n2 = 0;
};
Days MakeDays(const std::string& name, int n) {
  Days d{Temp(name + "_all.jsonl"), Temp(name + "_day1.jsonl"), Temp(name + "_day2.jsonl")};
  neardup_test::Result r =
      RunNeardup("synth -q -n " + std::to_string(n) + " --seed 7 -o " + d.all);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadFile(d.all));
  std::string one, two, both;
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool first = i < lines.size() / 2;
    std::string line = lines[i];
    line.insert(1, first ? "\"date\":\"2025-01-01\"," : "\"date\":\"2025-01-02\",");
    (first ? one : two) += line + "\n";
    both += line + "\n";
    (first ? d.n1 : d.n2) += 1;
  }
  WriteFile(d.day1, one);
  WriteFile(d.day2, two);
  WriteFile(d.all, both);
  return d;
}

std::string Dir(const std::string& name) {
  const std::string dir = Temp(name + "_index");
  std::system(("rm -rf " + dir).c_str());
  return dir;
}

std::string Stats(const std::string& dir) {
  neardup_test::Result r = RunNeardup("index stats " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Same-cluster pairs of a cluster file (ids grouped by "cluster").
std::set<std::pair<std::string, std::string>> Pairs(const std::vector<std::string>& lines) {
  std::map<std::string, std::vector<std::string>> members;
  for (const std::string& l : lines) members[Field(l, "cluster")].push_back(Field(l, "id"));
  std::set<std::pair<std::string, std::string>> pairs;
  for (auto& [c, ids] : members) {
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        pairs.insert(std::minmax(ids[i], ids[j]));
      }
    }
  }
  return pairs;
}

TEST(IndexTest, CreateAddQueryStats) {
  const Days d = MakeDays("basic", 1200);
  const std::string dir = Dir("basic");
  ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
  const std::string a1 = Temp("basic_a1.jsonl"), a2 = Temp("basic_a2.jsonl");
  neardup_test::Result r = RunNeardup("index add -q " + dir + " " + d.day1 + " -o " + a1);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunNeardup("index add -q " + dir + " " + d.day2 + " -o " + a2);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(ReadFile(a1)).size(), d.n1);
  const std::vector<std::string> day2 = Lines(ReadFile(a2));
  ASSERT_EQ(day2.size(), d.n2);
  // Day 2 has documents that joined clusters of day 1 (synth plants clusters across the cut).
  size_t earlier = 0;
  for (const std::string& l : day2) earlier += Field(l, "earlier") == "true" ? 1 : 0;
  EXPECT_GT(earlier, 0u);

  const std::string before = Stats(dir);
  EXPECT_NE(before.find("\"documents\":" + std::to_string(d.n1 + d.n2) + ","), std::string::npos)
      << before;
  EXPECT_NE(before.find("\"adds\":2,"), std::string::npos) << before;
  // A query of day 2 again: every record finds itself (an exact copy) in the index, and the
  // index is unchanged.
  const std::string q = Temp("basic_q.jsonl");
  r = RunNeardup("index query -q " + dir + " " + d.day2 + " -o " + q);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> matches = Lines(ReadFile(q));
  ASSERT_EQ(matches.size(), d.n2);
  std::map<std::string, std::string> cluster_of;
  for (const std::string& l : day2) cluster_of[Field(l, "id")] = Field(l, "cluster");
  for (const std::string& l : matches) {
    EXPECT_EQ(Field(l, "cluster"), cluster_of[Field(l, "id")]) << l;
  }
  EXPECT_EQ(Stats(dir), before);
}

// The two days added one after the other give the same-cluster pairs as one `cluster` run over
// both (the 40k bar is scripts/index-check; this is its small version).
TEST(IndexTest, TwoDaysAgreeWithOneBatchRun) {
  const Days d = MakeDays("batch", 4000);
  const std::string dir = Dir("batch");
  ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
  const std::string a1 = Temp("batch_a1.jsonl"), a2 = Temp("batch_a2.jsonl");
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o " + a1).exit_code, 0);
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day2 + " -o " + a2).exit_code, 0);
  const std::string batch = Temp("batch_clusters.jsonl");
  ASSERT_EQ(RunNeardup("cluster -q " + d.day1 + " " + d.day2 + " -o " + batch).exit_code, 0);
  std::vector<std::string> incremental = Lines(ReadFile(a1));
  for (const std::string& l : Lines(ReadFile(a2))) incremental.push_back(l);
  const auto got = Pairs(incremental), want = Pairs(Lines(ReadFile(batch)));
  size_t common = 0;
  for (const auto& p : got) common += want.count(p);
  ASSERT_GT(want.size(), 100u);
  const double precision = static_cast<double>(common) / got.size();
  const double recall = static_cast<double>(common) / want.size();
  const double f1 = 2 * precision * recall / (precision + recall);
  EXPECT_GE(f1, 0.99) << "precision " << precision << " recall " << recall;
  // With --keep first the representatives are the earliest documents: every cluster named on
  // day 2 that is not a day-2 document is a day-1 document.
  std::set<std::string> day1_ids;
  for (const std::string& l : Lines(ReadFile(a1))) day1_ids.insert(Field(l, "id"));
  for (const std::string& l : Lines(ReadFile(a2))) {
    if (Field(l, "earlier") == "true") EXPECT_EQ(day1_ids.count(Field(l, "cluster")), 1u) << l;
  }
}

TEST(IndexTest, OptionsAreFixedAtCreation) {
  const Days d = MakeDays("fixed", 300);
  const std::string dir = Dir("fixed");
  ASSERT_EQ(RunNeardup("index create " + dir + " --threshold 0.8").exit_code, 0);
  neardup_test::Result r = RunNeardup("index add -q " + dir + " " + d.day1 + " --threshold 0.7");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("was created with --threshold 0.8"), std::string::npos) << r.err;
  r = RunNeardup("index add -q " + dir + " " + d.day1 + " --shingle char:4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("was created without --shingle"), std::string::npos) << r.err;
  r = RunNeardup("index add -q " + dir + " " + d.day1 + " --stats x.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--stats does not apply"), std::string::npos) << r.err;
  // Refused, nothing was added; the same value again and run-time flags are fine.
  EXPECT_NE(Stats(dir).find("\"documents\":0,"), std::string::npos);
  r = RunNeardup("index add -q " + dir + " " + d.day1 + " --threshold 0.8 -j 1 -o /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Stats(dir).find("\"options\":[\"--threshold\",\"0.8\"]"), std::string::npos);
  // What the index cannot do is refused at creation.
  r = RunNeardup("index create " + Dir("fixed2") + " --algo simhash");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--algo"), std::string::npos) << r.err;
}

TEST(IndexTest, SecondWriterIsRefused) {
  const Days d = MakeDays("lock", 200);
  const std::string dir = Dir("lock");
  ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
  // This process holds the writer's lock, as a running add would.
  const int fd = ::open((dir + "/writer.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ASSERT_EQ(::pwrite(fd, "4242\n", 5, 0), 5);
  neardup_test::Result r = RunNeardup("index add -q " + dir + " " + d.day1 + " -o /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is being changed by another neardup (process 4242)"), std::string::npos)
      << r.err;
  // Readers are not blocked.
  EXPECT_EQ(RunNeardup("index query -q " + dir + " " + d.day1 + " -o /dev/null").exit_code, 0);
  ::close(fd);
  EXPECT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o /dev/null").exit_code, 0);
}

// SIGKILL inside the second add's write transaction (every change made, none committed) leaves
// the index as it was; the add run again writes what an uninterrupted add writes, byte for byte.
TEST(IndexTest, KilledAddLeavesIndexAsItWas) {
  const Days d = MakeDays("kill", 1000);
  const std::string dir = Dir("kill"), copy = Dir("kill_copy");
  ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o /dev/null").exit_code, 0);
  ASSERT_EQ(std::system(("cp -r " + dir + " " + copy).c_str()), 0);
  const std::string before = Stats(dir);
  const std::string uninterrupted = Temp("kill_uninterrupted.jsonl");
  neardup_test::Result r =
      RunNeardup("index add -q " + dir + " " + d.day2 + " -o " + uninterrupted);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    const std::string cmd = "NEARDUP_INDEX_TEST_KILL=before-commit " + neardup_test::kBinary +
                            " index add -q " + copy + " " + d.day2 + " -o " +
                            Temp("kill_killed.jsonl") + " 2>/dev/null";
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 128 + 9))
        << status;
  }
  // `dir` took the add uninterrupted; `copy` was killed: it must be as `dir` was before.
  std::string copy_stats = Stats(copy);
  EXPECT_EQ(copy_stats, before);
  const std::string again = Temp("kill_again.jsonl");
  r = RunNeardup("index add -q " + copy + " " + d.day2 + " -o " + again);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(again), ReadFile(uninterrupted));
  EXPECT_EQ(Stats(copy), Stats(dir));
}

TEST(IndexTest, KeptAndDroppedHoldTheNewRecordsByteForByte) {
  const Days d = MakeDays("kept", 800);
  const std::string dir = Dir("kept");
  ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o /dev/null").exit_code, 0);
  const std::string a = Temp("kept_a.jsonl"), kept = Temp("kept_k.jsonl"),
                    dropped = Temp("kept_d.jsonl");
  neardup_test::Result r = RunNeardup("index add -q " + dir + " " + d.day2 + " -o " + a +
                                      " --kept-new " + kept + " --dropped-new " + dropped);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, bool> leads;
  for (const std::string& l : Lines(ReadFile(a))) leads[Field(l, "id")] = Field(l, "representative") == "true";
  const std::vector<std::string> input = Lines(ReadFile(d.day2));
  std::string want_kept, want_dropped;
  for (const std::string& l : input) (leads.at(Field(l, "id")) ? want_kept : want_dropped) += l + "\n";
  EXPECT_EQ(ReadFile(kept), want_kept);
  EXPECT_EQ(ReadFile(dropped), want_dropped);
  EXPECT_FALSE(want_dropped.empty());
}

TEST(IndexTest, SameAssignmentsAtAnyThreadCount) {
  const Days d = MakeDays("threads", 1000);
  std::string out[2];
  for (int j = 1; j <= 2; ++j) {
    const std::string dir = Dir("threads" + std::to_string(j));
    ASSERT_EQ(RunNeardup("index create " + dir).exit_code, 0);
    const std::string t = " -j " + std::to_string(j);
    ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + t + " -o /dev/null").exit_code, 0);
    out[j - 1] = Temp("threads_a" + std::to_string(j));
    ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day2 + t + " -o " + out[j - 1]).exit_code,
              0);
  }
  EXPECT_EQ(ReadFile(out[0]), ReadFile(out[1]));
  EXPECT_FALSE(ReadFile(out[0]).empty());
}

TEST(IndexTest, RemoveByIdsAndByDate) {
  const Days d = MakeDays("remove", 600);
  const std::string dir = Dir("remove");
  ASSERT_EQ(RunNeardup("index create " + dir + " --date-field date").exit_code, 0);
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o /dev/null").exit_code, 0);
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day2 + " -o /dev/null").exit_code, 0);
  EXPECT_NE(Stats(dir).find("\"days\":2,"), std::string::npos) << Stats(dir);
  const std::vector<std::string> day2 = Lines(ReadFile(d.day2));
  const std::string ids = Temp("remove_ids.txt");
  WriteFile(ids, Field(day2[0], "id") + "\n" + Field(day2[1], "id") + "\nno-such-id\n");
  neardup_test::Result r = RunNeardup("index remove " + dir + " --ids " + ids);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("removed 2 documents; 1 ids not in the index"), std::string::npos) << r.err;
  EXPECT_NE(Stats(dir).find("\"documents\":" + std::to_string(d.n1 + d.n2 - 2) + ","),
            std::string::npos);
  // A removed document is no longer found: querying it again joins nothing unless a copy of it
  // remains.
  const std::string one = Temp("remove_one.jsonl"), q = Temp("remove_q.jsonl");
  WriteFile(one, day2[0] + "\n");
  ASSERT_EQ(RunNeardup("index query -q " + dir + " " + one + " -o " + q).exit_code, 0);
  EXPECT_NE(Field(ReadFile(q), "matched"), Field(day2[0], "id"));

  r = RunNeardup("index remove " + dir + " --before 2025-01-02 --date-field date");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string s = Stats(dir);
  EXPECT_NE(s.find("\"documents\":" + std::to_string(d.n2 - 2) + ","), std::string::npos) << s;
  EXPECT_NE(s.find("\"days\":1,"), std::string::npos) << s;
  r = RunNeardup("index remove " + dir + " --before 2025-01-02 --date-field when");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("keeps the dates of field \"date\", not \"when\""), std::string::npos);
  // Day 1 again after its removal: its documents start clusters or join day 2's.
  const std::string a = Temp("remove_a.jsonl");
  ASSERT_EQ(RunNeardup("index add -q " + dir + " " + d.day1 + " -o " + a).exit_code, 0);
  EXPECT_EQ(Lines(ReadFile(a)).size(), d.n1);
  EXPECT_EQ(Field(Lines(ReadFile(a))[0], "id"), Field(Lines(ReadFile(d.day1))[0], "id"));
}

TEST(IndexTest, BadDirectoriesGiveClearErrors) {
  const std::string missing = Dir("missing");
  neardup_test::Result r = RunNeardup("index stats " + missing);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no such index"), std::string::npos) << r.err;
  const std::string plain = Dir("plain");
  ASSERT_EQ(std::system(("mkdir -p " + plain).c_str()), 0);
  r = RunNeardup("index stats " + plain);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a neardup index"), std::string::npos) << r.err;
  const std::string future = Dir("future");
  ASSERT_EQ(RunNeardup("index create " + future).exit_code, 0);
  WriteFile(future + "/NEARDUP_INDEX", "neardup-index 99\n");
  r = RunNeardup("index stats " + future);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("index format version 99, this neardup reads version 1"),
            std::string::npos)
      << r.err;
  r = RunNeardup("index create " + future);
  EXPECT_NE(r.exit_code, 0);
  r = RunNeardup("index create " + Dir("inputs") + " some.jsonl");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("takes no input files"), std::string::npos) << r.err;
}

// The library alone: an index opened to read cannot add, and Stats counts what Add added.
TEST(IndexTest, LibraryOpenModes) {
  const Days d = MakeDays("lib", 200);
  const std::string dir = Dir("lib");
  ASSERT_TRUE(neardup::Index::Create(dir, {}).ok());
  auto reader = neardup::Index::Open(dir, neardup::Index::Mode::kRead);
  ASSERT_TRUE(reader.ok()) << reader.status();
  neardup::PipelineOptions options;
  options.inputs = {d.day1};
  options.threads = 1;
  EXPECT_FALSE((*reader)->Add(options, {}).ok());
  auto writer = neardup::Index::Open(dir, neardup::Index::Mode::kWrite);
  ASSERT_TRUE(writer.ok()) << writer.status();
  auto second = neardup::Index::Open(dir, neardup::Index::Mode::kWrite);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  auto added = (*writer)->Add(options, {});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->assignments.size(), d.n1);
  auto stats = (*reader)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->documents, d.n1);
  EXPECT_EQ(stats->adds, 1u);
}

}  // namespace
