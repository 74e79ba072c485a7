// cluster/story_stage.h: the stories (neardup/cluster/stories.h) as a stage of the pipeline,
// each step with the threading it allows (after DuckDB's Sink / Combine / Finalize):
//   1. Sample         parallel: counts a document's terms into the calling thread's
//                     StoryThread (the sampling pass over the first documents);
//      CombineSample  serial, once per thread state, in any order (the counts are sums);
//      FinishSample   serial, once, before any Sign: the idf table.
//   2. Sign           parallel: record i of a batch into that batch's StoryBatch, with the
//                     calling thread's StoryThread (one thread per batch at a time);
//      Append         serial, in input order: a good record's terms and time join the run's.
//   3. Finalize       serial, after the near-duplicate clusters: each document's story.
// The result depends only on the documents and their order, never on the threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neardup/cluster/stories.h"
#include "neardup/pipeline.h"
#include "neardup/sketch/big_array.h"

namespace neardup {
namespace internal {

// One thread's state: its sample counts and its featurizer.
struct StoryThread {
  StoryDf df;
  uint64_t sampled = 0;
  std::unique_ptr<StoryFeaturizer> featurizer;
  std::vector<StoryTerm> terms;
};

// A batch's records: their terms back to back, and their dates.
struct StoryBatch {
  std::vector<StoryTerm> terms;
  std::vector<uint32_t> ends;       // end of record i's terms in `terms`
  std::vector<int64_t> times;       // seconds, where time_state is 1
  std::vector<uint8_t> time_state;  // 0 no date field, 1 parsed, 2 present but unparsed
  std::string undated_example;      // the batch's first date that did not parse

  void Reset(size_t n);
  // Record i has no terms (a bad record): its range is empty.
  void Skip(size_t i) { ends[i] = static_cast<uint32_t>(terms.size()); }
};

class StoryStage {
 public:
  explicit StoryStage(const StoryOptions& options) : options_(options) {}

  void Sample(std::string_view title, std::string_view body, StoryThread* thread) const;
  void CombineSample(StoryThread* thread, RunCounts* counts);
  void FinishSample() { df_.Finish(); }

  // `date` is the record's date field, if it has one.
  void Sign(std::string_view title, std::string_view body, std::optional<std::string_view> date,
            size_t i, StoryThread* thread, StoryBatch* batch) const;
  void Append(const StoryBatch& batch, size_t i, RunCounts* counts);
  void AppendBatchEnd(const StoryBatch& batch, RunCounts* counts) const;

  // Each document's story (the index of its first document), from each document's cluster
  // representative; releases the terms.
  std::vector<uint32_t> Finalize(const std::vector<uint32_t>& representative, StoryStats* stats);

 private:
  const StoryOptions& options_;
  StoryDf df_;
  // Per document (in input order): its terms (offsets_ bounds, with a leading 0) and time.
  BigArray<StoryTerm> terms_;  // about 450 MB at 1M documents: grown without copies
  std::vector<uint64_t> offsets_{0};
  std::vector<int64_t> time_;
  std::vector<uint8_t> has_time_;
};

}  // namespace internal
}  // namespace neardup
