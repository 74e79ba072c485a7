// big_array.h: a growable array of trivially copyable values for the run's per-document state
// (signatures, lengths, slots), which grows to gigabytes on large dumps.
//
// std::vector grows by allocating twice the space and copying; at 1M documents the signature
// array alone was copied about 20 times and its pages faulted in twice, which profiles showed as
// 15-20% of the reading stage. BigArray maps its memory directly (mmap), asks for transparent
// huge pages (one fault per 2 MiB instead of per 4 KiB, where the kernel allows it) and grows with
// mremap, which moves page tables instead of bytes. Elements are left uninitialized by
// Append/Grow, as in a reserve; the type must be trivially copyable.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/types/span.h"

namespace neardup::internal {

template <typename T>
class BigArray {
  static_assert(std::is_trivially_copyable_v<T>, "BigArray holds plain values");

 public:
  BigArray() = default;
  BigArray(const BigArray&) = delete;
  BigArray& operator=(const BigArray&) = delete;
  BigArray(BigArray&& other) noexcept { *this = std::move(other); }
  BigArray& operator=(BigArray&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_bytes_ = std::exchange(other.capacity_bytes_, 0);
    }
    return *this;
  }
  ~BigArray() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  absl::Span<const T> span() const { return absl::Span<const T>(data_, size_); }
  // Bytes of address space held (resident memory is at most this).
  size_t capacity_bytes() const { return capacity_bytes_; }

  void push_back(const T& value) { *Grow(1) = value; }
  void Append(const T* values, size_t n) {
    if (n > 0) std::memcpy(Grow(n), values, n * sizeof(T));
  }
  // Adds `n` uninitialized elements and returns the first.
  T* Grow(size_t n) {
    const size_t need = (size_ + n) * sizeof(T);
    if (need > capacity_bytes_) Reserve(need);
    T* first = data_ + size_;
    size_ += n;
    return first;
  }
  // Adds `n` copies of `value`.
  void Resize(size_t n, const T& value) {
    if (n <= size_) {
      size_ = n;
      return;
    }
    const size_t old = size_;
    T* p = Grow(n - old);
    for (size_t i = 0; i < n - old; ++i) p[i] = value;
  }
  void Clear() {
    Release();
  }
  // Empties the array but keeps its memory mapped: refilling it faults in no fresh pages.
  void Truncate() { size_ = 0; }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;

  void Reserve(size_t need_bytes) {
    size_t bytes = capacity_bytes_ == 0 ? size_t{1} << 16 : capacity_bytes_;
    while (bytes < need_bytes) bytes *= 2;
    void* p;
    if (data_ == nullptr) {
      p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
      p = mremap(data_, capacity_bytes_, bytes, MREMAP_MAYMOVE);
    }
    if (p == MAP_FAILED) throw std::bad_alloc();
    // Advice only: without huge pages (or with THP off) this is plain 4 KiB pages.
    if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
    capacity_bytes_ = bytes;
  }
  void Release() {
    if (data_ != nullptr) munmap(data_, capacity_bytes_);
    data_ = nullptr;
    size_ = 0;
    capacity_bytes_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_bytes_ = 0;
};

}  // namespace neardup::internal
