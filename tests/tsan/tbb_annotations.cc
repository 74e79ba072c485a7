// tests/tsan/tbb_annotations.cc: tells ThreadSanitizer about the hand-offs that happen inside
// Debian's libtbb, which is not built with -fsanitize=thread. scripts/sanitize tsan builds it as
// a shared library WITHOUT sanitizer instrumentation and LD_PRELOADs it into the tests.
//
// Why: a task spawned on one thread and stolen by another, an item handed from one pipeline stage
// to the next, and the end of a wait all synchronize through atomics inside libtbb.so, which TSan
// cannot see, so every parallel_for reports a "race" on the task object it hands over (written by
// the spawner's constructor, read by the thief). This library interposes the few libtbb entry
// points that every such hand-off goes through (the library calls them through its PLT too) and
// adds the missing happens-before edges with TSan's annotation API:
//   r1::spawn / r1::execute_and_wait  release on the task; the task's vtable is swapped for a copy
//                                     whose execute()/cancel() acquire on the task first;
//   r1::wait / r1::execute_and_wait   acquire, on return, on the wait_context's reference count
//                                     (which the finishing tasks release, in instrumented header
//                                     code);
//   r1::parallel_pipeline             each filter's operator() acquires its input item (and, for
//                                     a serial filter, the filter) and releases its output item
//                                     (and the filter); on return the caller acquires every
//                                     filter's completion;
//   r1::allocate / r1::deallocate     (the small-object pool that task and partitioner objects
//                                     come from) a block freed on one thread and reused on
//                                     another: release on free, acquire on reuse.
// These are exactly the edges oneTBB guarantees; nothing else is ordered, so races in neardup's
// own code (two tasks writing one variable, a stage touching another's data) are still reported.
// Depends on oneTBB's ABI (the d1::task and d1::base_filter vtable layouts of the installed
// headers, checked by static_asserts where the language allows); built against those headers.
#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "oneapi/tbb/detail/_small_object_pool.h"
#include "oneapi/tbb/detail/_task.h"
#include "oneapi/tbb/parallel_pipeline.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

namespace d1 = tbb::detail::d1;

void Acquire(const void* p) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(p));
}
void Release(const void* p) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(p));
}

template <typename F>
F Next(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "tbb_annotations: %s not found in libtbb\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

// ---- vtable copies -------------------------------------------------------------------------------
// Itanium C++ ABI: an object's vptr points at the address point of its vtable, preceded by the
// offset-to-top and the type_info pointer. A copy keeps those two and kSlots virtual slots (more
// than any of the classes involved has; reading past a shorter vtable only reads other read-only
// data) and replaces the slots we hook. The copies live for the whole process, in static storage
// this uninstrumented library writes: instrumented code that reads them then sees no race.
constexpr int kPrefix = 2;
constexpr int kSlots = 12;

struct VtableCopy {
  void* const* original;  // the original address point
  void* entries[kPrefix + kSlots];
  void* const* address_point() const { return &entries[kPrefix]; }
};

// One table of copies per hooked class family. Lookups are lock-free; inserts take a spin lock
// made of a plain (uninstrumented, so invisible to TSan) atomic flag: a pthread mutex here would
// itself create happens-before edges and hide real races.
class Copies {
 public:
  // The copy for `vptr` (creating it), or the copy `vptr` already points into.
  const VtableCopy* For(void* const* vptr, std::initializer_list<std::pair<int, void*>> hooks) {
    if (const VtableCopy* c = Find(vptr)) return c;
    while (lock_.exchange(true, std::memory_order_acquire)) {
    }
    const VtableCopy* c = Find(vptr);
    if (c == nullptr) {
      const int n = count_.load(std::memory_order_relaxed);
      if (n == kMax) {
        std::fprintf(stderr, "tbb_annotations: more than %d task/filter classes\n", kMax);
        std::abort();
      }
      VtableCopy* copy = &storage_[n];  // static storage: heap memory would be TSan-tracked
      copy->original = vptr;
      for (int i = 0; i < kPrefix + kSlots; ++i) copy->entries[i] = vptr[i - kPrefix];
      for (const auto& [slot, fn] : hooks) copy->entries[kPrefix + slot] = fn;
      copies_[n] = copy;
      count_.store(n + 1, std::memory_order_release);
      c = copy;
    }
    lock_.store(false, std::memory_order_release);
    return c;
  }

  // The copy whose address point `vptr` is (hooks use this to find the original functions).
  static const VtableCopy* Of(void* const* vptr) {
    return reinterpret_cast<const VtableCopy*>(reinterpret_cast<const char*>(vptr) -
                                               offsetof(VtableCopy, entries) -
                                               kPrefix * sizeof(void*));
  }

 private:
  const VtableCopy* Find(void* const* vptr) const {
    const int n = count_.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
      if (copies_[i]->original == vptr || copies_[i]->address_point() == vptr) return copies_[i];
    }
    return nullptr;
  }
  static constexpr int kMax = 256;
  VtableCopy storage_[kMax] = {};
  const VtableCopy* copies_[kMax] = {};
  std::atomic<int> count_{0};
  std::atomic<bool> lock_{false};
};

void* const*& VptrOf(const void* object) {
  return *reinterpret_cast<void* const**>(const_cast<void*>(object));
}

// ---- tasks: d1::task's virtual slots are [0] ~task, [1] deleting ~task, [2] execute, [3] cancel.
constexpr int kExecute = 2;
constexpr int kCancel = 3;
using TaskFn = d1::task* (*)(d1::task*, d1::execution_data&);
Copies g_task_copies;

d1::task* ExecuteHook(d1::task* self, d1::execution_data& ed) {
  Acquire(self);
  return reinterpret_cast<TaskFn>(Copies::Of(VptrOf(self))->original[kExecute])(self, ed);
}
d1::task* CancelHook(d1::task* self, d1::execution_data& ed) {
  Acquire(self);
  return reinterpret_cast<TaskFn>(Copies::Of(VptrOf(self))->original[kCancel])(self, ed);
}

// Called by the spawning thread before the task becomes visible to others.
void HandOver(d1::task& t) {
  VptrOf(&t) = g_task_copies
                   .For(VptrOf(&t), {{kExecute, reinterpret_cast<void*>(&ExecuteHook)},
                                     {kCancel, reinterpret_cast<void*>(&CancelHook)}})
                   ->address_point();
  Release(&t);
}

// d1::wait_context is {uint64_t m_version_and_traits; std::atomic<uint64_t> m_ref_count;}: the
// finishing tasks release on m_ref_count (fetch_add in the instrumented header code).
struct WaitContextLayout {
  std::uint64_t version_and_traits;
  std::atomic<std::uint64_t> ref_count;
};
static_assert(sizeof(WaitContextLayout) == sizeof(d1::wait_context), "oneTBB ABI changed");
void Joined(d1::wait_context& wc) {
  Acquire(&reinterpret_cast<WaitContextLayout&>(wc).ref_count);
}

// ---- pipelines: d1::filter_node's slots are [0] create_filter, [1]/[2] destructors;
// d1::base_filter's are [0] operator(), [1]/[2] destructors, [3] finalize.
constexpr int kCreateFilter = 0;
constexpr int kOperate = 0;
using CreateFilterFn = d1::base_filter* (*)(const d1::filter_node*);
using OperateFn = void* (*)(d1::base_filter*, void*);
Copies g_filter_node_copies;
Copies g_filter_copies;
char g_filters_done;  // every filter invocation releases it; parallel_pipeline's caller acquires
// Items are void*: pointers for neardup's pipelines, but a pipeline of small values passes the
// value itself, so they are not addresses to annotate; they pick one of these instead.
char g_item_sync[4096];
const void* ItemSync(const void* item) {
  return &g_item_sync[(reinterpret_cast<std::uintptr_t>(item) * 0x9E3779B97F4A7C15u) >> 52];
}

void* OperateHook(d1::base_filter* self, void* item) {
  const bool serial = self->is_serial();
  if (serial) Acquire(self);
  Acquire(ItemSync(item));
  void* out = reinterpret_cast<OperateFn>(Copies::Of(VptrOf(self))->original[kOperate])(self, item);
  Release(ItemSync(out));
  if (serial) Release(self);
  Release(&g_filters_done);
  return out;
}

d1::base_filter* CreateFilterHook(const d1::filter_node* self) {
  d1::base_filter* f =
      reinterpret_cast<CreateFilterFn>(Copies::Of(VptrOf(self))->original[kCreateFilter])(self);
  if (f != nullptr) {
    VptrOf(f) =
        g_filter_copies.For(VptrOf(f), {{kOperate, reinterpret_cast<void*>(&OperateHook)}})
            ->address_point();
  }
  return f;
}

// filter_node_ptr is one pointer (filter_node* my_node).
const d1::filter_node* NodeOf(const d1::filter_node_ptr& p) {
  static_assert(sizeof(d1::filter_node_ptr) == sizeof(void*), "oneTBB ABI changed");
  return *reinterpret_cast<const d1::filter_node* const*>(&p);
}

void HookLeaves(const d1::filter_node* node) {
  if (node == nullptr) return;
  const d1::filter_node* left = NodeOf(node->left);
  const d1::filter_node* right = NodeOf(node->right);
  if (left == nullptr && right == nullptr) {
    VptrOf(node) = g_filter_node_copies
                       .For(VptrOf(node),
                            {{kCreateFilter, reinterpret_cast<void*>(&CreateFilterHook)}})
                       ->address_point();
    return;
  }
  HookLeaves(left);
  HookLeaves(right);
}

}  // namespace

namespace tbb::detail::r1 {

void spawn(d1::task& t, d1::task_group_context& ctx) {
  static auto next = Next<void (*)(d1::task&, d1::task_group_context&)>(
      "_ZN3tbb6detail2r15spawnERNS0_2d14taskERNS2_18task_group_contextE");
  HandOver(t);
  next(t, ctx);
}

void spawn(d1::task& t, d1::task_group_context& ctx, d1::slot_id id) {
  static auto next = Next<void (*)(d1::task&, d1::task_group_context&, d1::slot_id)>(
      "_ZN3tbb6detail2r15spawnERNS0_2d14taskERNS2_18task_group_contextEt");
  HandOver(t);
  next(t, ctx, id);
}

void execute_and_wait(d1::task& t, d1::task_group_context& t_ctx, d1::wait_context& wc,
                      d1::task_group_context& w_ctx) {
  static auto next = Next<void (*)(d1::task&, d1::task_group_context&, d1::wait_context&,
                                   d1::task_group_context&)>(
      "_ZN3tbb6detail2r116execute_and_waitERNS0_2d14taskERNS2_18task_group_contextERNS2_12wait_"
      "contextES6_");
  HandOver(t);
  next(t, t_ctx, wc, w_ctx);
  Joined(wc);
}

void wait(d1::wait_context& wc, d1::task_group_context& ctx) {
  static auto next = Next<void (*)(d1::wait_context&, d1::task_group_context&)>(
      "_ZN3tbb6detail2r14waitERNS0_2d112wait_contextERNS2_18task_group_contextE");
  next(wc, ctx);
  Joined(wc);
}

void* allocate(d1::small_object_pool*& pool, std::size_t size) {
  static auto next = Next<void* (*)(d1::small_object_pool*&, std::size_t)>(
      "_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEm");
  void* p = next(pool, size);
  Acquire(p);
  return p;
}

void* allocate(d1::small_object_pool*& pool, std::size_t size, const d1::execution_data& ed) {
  static auto next =
      Next<void* (*)(d1::small_object_pool*&, std::size_t, const d1::execution_data&)>(
          "_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEmRKNS2_14execution_dataE");
  void* p = next(pool, size, ed);
  Acquire(p);
  return p;
}

void deallocate(d1::small_object_pool& pool, void* p, std::size_t size) {
  static auto next = Next<void (*)(d1::small_object_pool&, void*, std::size_t)>(
      "_ZN3tbb6detail2r110deallocateERNS0_2d117small_object_poolEPvm");
  Release(p);
  next(pool, p, size);
}

void deallocate(d1::small_object_pool& pool, void* p, std::size_t size,
                const d1::execution_data& ed) {
  static auto next =
      Next<void (*)(d1::small_object_pool&, void*, std::size_t, const d1::execution_data&)>(
          "_ZN3tbb6detail2r110deallocateERNS0_2d117small_object_poolEPvmRKNS2_14execution_dataE");
  Release(p);
  next(pool, p, size, ed);
}

void parallel_pipeline(d1::task_group_context& ctx, std::size_t max_tokens,
                       const d1::filter_node& root) {
  static auto next =
      Next<void (*)(d1::task_group_context&, std::size_t, const d1::filter_node&)>(
          "_ZN3tbb6detail2r117parallel_pipelineERNS0_2d118task_group_contextEmRKNS2_11filter_"
          "nodeE");
  HookLeaves(&root);
  Release(&g_filters_done);
  next(ctx, max_tokens, root);
  Acquire(&g_filters_done);
}

}  // namespace tbb::detail::r1
