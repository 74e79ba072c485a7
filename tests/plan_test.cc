// Tests of the plan library (tools/plan.h): the sample of the inputs and the models MakePlan runs.
// The printed form is tested end to end in cli_plan_test.cc.
#include "neardup/tools/plan.h"

#include <cmath>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "neardup/candidates/lsh.h"

namespace neardup {
namespace {

const std::string kSeedBoard = NEARDUP_SOURCE_DIR "/data/samples/seed-board.jsonl";

PipelineOptions NoInputs() {
  PipelineOptions o;
  o.threads = 2;
  return o;
}

TEST(PlanTest, GivenSizesWithoutInputs) {
  PlanRequest request;
  request.documents = 1000000;
  const RunPlan plan = MakePlan(NoInputs(), PlanCorpus{}, request);
  EXPECT_EQ(plan.corpus.documents, 1e6);
  EXPECT_EQ(plan.corpus.bytes, 1e6 * kPlanAssumedDocumentBytes);  // the assumed length
  EXPECT_EQ(plan.corpus.disk_bytes, plan.corpus.bytes);
  EXPECT_NEAR(plan.corpus.body_shingles, kPlanAssumedDocumentBytes / 2.6, 1e-9);
  EXPECT_EQ(plan.threads, 2);

  // Bytes alone give the count at the assumed length; both given are taken as they are.
  request = PlanRequest{};
  request.bytes = 4e9;
  EXPECT_EQ(MakePlan(NoInputs(), PlanCorpus{}, request).corpus.documents, 2e6);
  request.documents = 10;
  const RunPlan both = MakePlan(NoInputs(), PlanCorpus{}, request);
  EXPECT_EQ(both.corpus.documents, 10);
  EXPECT_EQ(both.corpus.bytes, 4e9);
}

TEST(PlanTest, BandsAndSCurveAreTheRunsOwn) {
  PipelineOptions o = NoInputs();
  o.threshold = 0.7;
  PlanRequest request;
  request.documents = 1000;
  const RunPlan plan = MakePlan(o, PlanCorpus{}, request);
  EXPECT_EQ(plan.body_lsh.bands, o.EffectiveLsh().bands);
  EXPECT_EQ(plan.body_lsh.rows, o.EffectiveLsh().rows);
  EXPECT_EQ(plan.body_lsh.short_bands, o.EffectiveLsh().short_bands);
  EXPECT_EQ(plan.body_lsh.short_bands, 1);  // 0.7: 24 x 5 + 1 x 4
  EXPECT_EQ(plan.title_lsh.bands, o.EffectiveTitleLsh().bands);
  ASSERT_EQ(plan.s_curve.size(), 14u);
  EXPECT_NEAR(plan.s_curve.front().similarity, 0.30, 1e-12);
  EXPECT_NEAR(plan.s_curve.back().similarity, 0.95, 1e-12);
  for (size_t i = 0; i < plan.s_curve.size(); ++i) {
    const PlanSCurvePoint& p = plan.s_curve[i];
    const LshParams b = plan.body_lsh;
    EXPECT_NEAR(p.body,
                1 - std::pow(1 - std::pow(p.similarity, b.rows), b.bands) *
                        std::pow(1 - std::pow(p.similarity, b.rows - 1), b.short_bands),
                1e-12);
    if (i > 0) EXPECT_GE(p.body, plan.s_curve[i - 1].body);
  }
  // Other engines have no S-curve.
  o.algo = Algorithm::kSimHash;
  const RunPlan simhash = MakePlan(o, PlanCorpus{}, request);
  EXPECT_TRUE(simhash.s_curve.empty());
  EXPECT_GT(simhash.simhash_layout.num_tables(), 0);
}

TEST(PlanTest, MemoryTotalsAreTheirLinesAndBandsSpillPastTheLimit) {
  PipelineOptions o = NoInputs();
  PlanRequest request;
  request.documents = 100000000;
  RunPlan plan = MakePlan(o, PlanCorpus{}, request);
  const PlanMemory& m = plan.memory;
  EXPECT_DOUBLE_EQ(m.reading_total, m.per_document + m.maps + m.title_sketches +
                                        m.body_sketches + m.batches + m.baseline);
  EXPECT_DOUBLE_EQ(m.candidates_total,
                   m.per_document + m.title_sketches + m.body_sketches + m.buckets +
                       m.candidate_pairs + m.baseline);
  EXPECT_EQ(m.peak, std::max(m.reading_total, m.candidates_total));
  EXPECT_EQ(m.batches_in_flight, 4);
  // 1.6 GB of keys a band: more than a 64 MB limit, so one band at a time, sorted on disk.
  EXPECT_DOUBLE_EQ(plan.band_bytes, 16 * 1e8);
  o.memory_limit = 64ull << 20;
  plan = MakePlan(o, PlanCorpus{}, request);
  EXPECT_TRUE(plan.spills);
  EXPECT_EQ(plan.bands_at_once, 1);
  EXPECT_EQ(plan.memory.buckets, static_cast<double>(o.memory_limit));
  EXPECT_DOUBLE_EQ(plan.spill_bytes, 12 * 1e8);
  // exact: the join's estimate against the limit.
  o.algo = Algorithm::kExact;
  EXPECT_TRUE(MakePlan(o, PlanCorpus{}, request).join_over_limit);
}

TEST(PlanTest, TimeFromTheModelOrTheGivenSpeed) {
  PipelineOptions o = NoInputs();
  o.threads = 1;
  PlanRequest request;
  request.documents = 1000000;
  request.bytes = 2e9;
  const RunPlan model = MakePlan(o, PlanCorpus{}, request);
  EXPECT_FALSE(model.seconds_from_speed);
  EXPECT_NEAR(model.seconds, 1e6 * kPlanMicrosPerDocument * 1e-6 + 2e9 * kPlanNanosPerByte * 1e-9,
              1e-9);
  o.threads = 2;
  EXPECT_NEAR(MakePlan(o, PlanCorpus{}, request).seconds,
              model.seconds / (2 * kPlanThreadEfficiency), 1e-9);
  request.speed_mb = 100;
  const RunPlan speed = MakePlan(o, PlanCorpus{}, request);
  EXPECT_TRUE(speed.seconds_from_speed);
  EXPECT_DOUBLE_EQ(speed.seconds, 20);
}

TEST(PlanTest, ASmallFileIsReadWhole) {
  PipelineOptions o = NoInputs();
  o.inputs = {kSeedBoard};
  auto corpus = SamplePlanCorpus(o, 1 << 20);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->inputs.size(), 1u);
  const PlanInputFacts& f = corpus->inputs[0];
  EXPECT_TRUE(f.whole);
  EXPECT_FALSE(corpus->estimated);
  EXPECT_GT(f.records, 0u);
  EXPECT_EQ(f.documents, static_cast<double>(f.records));
  EXPECT_EQ(corpus->documents, f.documents);
  std::ifstream in(kSeedBoard, std::ios::binary | std::ios::ate);
  EXPECT_EQ(f.disk_bytes, static_cast<uint64_t>(in.tellg()));
  EXPECT_GT(corpus->body_shingles, 0);
  // Given sizes override the sample; the sample's bytes per document carry over.
  PlanRequest request;
  request.documents = static_cast<uint64_t>(f.documents) * 10;
  const RunPlan plan = MakePlan(o, *corpus, request);
  EXPECT_NEAR(plan.corpus.bytes, corpus->bytes * 10, 1e-6);
  EXPECT_EQ(plan.corpus.disk_bytes, corpus->disk_bytes);  // inputs: the disk is the files'
}

TEST(PlanTest, ASampleOfALargerFileIsExtrapolated) {
  PipelineOptions o = NoInputs();
  o.inputs = {kSeedBoard};
  auto corpus = SamplePlanCorpus(o, 1024);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  const PlanInputFacts& f = corpus->inputs[0];
  EXPECT_FALSE(f.whole);
  EXPECT_TRUE(corpus->estimated);
  EXPECT_GT(f.sampled_bytes, 0u);
  EXPECT_NEAR(corpus->bytes, static_cast<double>(f.disk_bytes), 1e-6);  // plain: scaled to size
}

TEST(PlanTest, StandardInputAndMissingFilesFail) {
  PipelineOptions o = NoInputs();
  o.inputs = {"-"};
  EXPECT_EQ(SamplePlanCorpus(o, 1 << 20).status().code(), absl::StatusCode::kInvalidArgument);
  o.inputs = {"/nonexistent/corpus.jsonl"};
  EXPECT_FALSE(SamplePlanCorpus(o, 1 << 20).ok());
}

}  // namespace
}  // namespace neardup
