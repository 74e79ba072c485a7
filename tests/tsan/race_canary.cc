// tests/tsan/race_canary.cc: races that ThreadSanitizer must report even with
// tests/tsan/tbb_annotations.cc preloaded. scripts/sanitize tsan builds it with -fsanitize=thread
// and runs each case; a case that does not end in a TSan report means the annotations hide real
// races, and the tsan run fails.
//   race_canary for        two parallel_for tasks add to one plain counter
//   race_canary pipeline   a parallel pipeline stage writes a variable every item's stage reads
//   race_canary ok         the same work made safe (an atomic counter): must report nothing
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "oneapi/tbb/global_control.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/parallel_pipeline.h"

namespace {

long g_counter = 0;
std::atomic<long> g_atomic_counter{0};
int g_last_item = 0;

void Spin() {
  for (volatile int i = 0; i < 20000; ++i) {
  }
}

// Holds the first caller until a second one arrives (at most 5 s), so that two tasks surely run
// at once on two threads. Relaxed atomics: TSan takes them as no synchronization, so the racy
// accesses after it stay unordered.
std::atomic<int> g_arrived{0};
void MeetAnotherThread() {
  g_arrived.fetch_add(1, std::memory_order_relaxed);
  for (int i = 0; i < 5000 && g_arrived.load(std::memory_order_relaxed) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int ForRace() {
  tbb::parallel_for(0, 64, [](int) {
    MeetAnotherThread();
    ++g_counter;  // the race
  });
  return static_cast<int>(g_counter > 0);
}

int PipelineRace() {
  // Start the workers first (the first parallel algorithm creates them, and a short pipeline can
  // end on the calling thread alone before they are up).
  std::atomic<long> warm{0};
  tbb::parallel_for(0, 64, [&](int) {
    Spin();
    warm.fetch_add(1);
  });
  int next = 0;
  long sum = 0;
  tbb::parallel_pipeline(
      8,
      tbb::make_filter<void, int*>(tbb::filter_mode::serial_in_order,
                                   [&](tbb::flow_control& fc) -> int* {
                                     if (next == 64) {
                                       fc.stop();
                                       return nullptr;
                                     }
                                     return new int(next++);
                                   }) &
          tbb::make_filter<int*, int*>(tbb::filter_mode::parallel,
                                       [](int* item) {
                                         MeetAnotherThread();
                                         g_last_item = *item;  // the race
                                         return item;
                                       }) &
          tbb::make_filter<int*, void>(tbb::filter_mode::serial_in_order, [&](int* item) {
            sum += *item;
            delete item;
          }));
  return static_cast<int>(sum + g_last_item > 0);
}

int NoRace() {
  tbb::parallel_for(0, 64, [](int) {
    Spin();
    g_atomic_counter.fetch_add(1, std::memory_order_relaxed);
  });
  std::vector<long> out(64);
  tbb::parallel_for(0, 64, [&](int i) { out[i] = i; });  // disjoint writes, read after the join
  long sum = 0;
  for (long v : out) sum += v;
  return static_cast<int>(sum + g_atomic_counter.load() > 0);
}

}  // namespace

int main(int argc, char** argv) {
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 4);
  const char* what = argc > 1 ? argv[1] : "";
  int r = 0;
  if (std::strcmp(what, "for") == 0) {
    r = ForRace();
  } else if (std::strcmp(what, "pipeline") == 0) {
    r = PipelineRace();
  } else if (std::strcmp(what, "ok") == 0) {
    r = NoRace();
  } else {
    std::fprintf(stderr, "usage: race_canary for|pipeline|ok\n");
    return 2;
  }
  return r == 1 ? 0 : 3;
}
