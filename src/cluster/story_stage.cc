#include "cluster/story_stage.h"

#include <utility>

namespace neardup {
namespace internal {

void StoryBatch::Reset(size_t n) {
  terms.clear();
  ends.assign(n, 0);
  times.assign(n, 0);
  time_state.assign(n, 0);
  undated_example.clear();
}

void StoryStage::Sample(std::string_view title, std::string_view body,
                        StoryThread* thread) const {
  thread->df.Add(title, body, options_);
  ++thread->sampled;
}

void StoryStage::CombineSample(StoryThread* thread, RunCounts* counts) {
  df_.Merge(thread->df);  // sums: the same whichever thread counted what
  thread->df = StoryDf();
  counts->story_sample_documents += thread->sampled;
}

void StoryStage::Sign(std::string_view title, std::string_view body,
                      std::optional<std::string_view> date, size_t i, StoryThread* thread,
                      StoryBatch* batch) const {
  if (!thread->featurizer) thread->featurizer = std::make_unique<StoryFeaturizer>(&df_, options_);
  thread->featurizer->Featurize(title, body, &thread->terms);
  batch->terms.insert(batch->terms.end(), thread->terms.begin(), thread->terms.end());
  batch->ends[i] = static_cast<uint32_t>(batch->terms.size());
  if (date.has_value() && !date->empty()) {
    const std::optional<int64_t> t = ParseStoryDate(*date);
    batch->time_state[i] = t.has_value() ? 1 : 2;
    if (t.has_value()) {
      batch->times[i] = *t;
    } else if (batch->undated_example.empty()) {
      batch->undated_example = std::string(*date);
    }
  }
}

void StoryStage::Append(const StoryBatch& batch, size_t i, RunCounts* counts) {
  const uint32_t begin = i == 0 ? 0 : batch.ends[i - 1];
  terms_.Append(batch.terms.data() + begin, batch.ends[i] - begin);
  offsets_.push_back(terms_.size());
  time_.push_back(batch.times[i]);
  has_time_.push_back(batch.time_state[i] == 1);
  counts->dated_documents += batch.time_state[i] != 0;
  counts->undated_documents += batch.time_state[i] == 2;
}

void StoryStage::AppendBatchEnd(const StoryBatch& batch, RunCounts* counts) const {
  if (counts->undated_example.empty() && !batch.undated_example.empty()) {
    counts->undated_example = batch.undated_example;
  }
}

std::vector<uint32_t> StoryStage::Finalize(const std::vector<uint32_t>& representative,
                                           StoryStats* stats) {
  // One unit per near-duplicate cluster: its earliest document in input order, its earliest
  // time, and its representative's terms.
  const size_t n = representative.size();
  constexpr uint32_t kNone = ~uint32_t{0};
  std::vector<uint32_t> unit_of(n, kNone);
  std::vector<StoryUnit> units;
  for (size_t d = 0; d < n; ++d) {
    const uint32_t rep = representative[d];
    if (unit_of[rep] == kNone) {
      unit_of[rep] = static_cast<uint32_t>(units.size());
      StoryUnit unit;
      unit.first_document = static_cast<uint32_t>(d);
      unit.terms = absl::MakeConstSpan(terms_.data() + offsets_[rep],
                                       offsets_[rep + 1] - offsets_[rep]);
      units.push_back(unit);
    }
    const uint32_t u = unit_of[rep];
    unit_of[d] = u;
    if (has_time_[d] && (!units[u].time || time_[d] < *units[u].time)) units[u].time = time_[d];
  }
  const std::vector<uint32_t> story_of = AssignStories(units, options_, stats);
  std::vector<uint32_t> story(n);
  for (size_t d = 0; d < n; ++d) story[d] = units[story_of[unit_of[d]]].first_document;
  terms_ = BigArray<StoryTerm>();
  std::vector<uint64_t>().swap(offsets_);
  return story;
}

}  // namespace internal
}  // namespace neardup
