// internal/slot_sets.h: the exact shingle sets of some slots, per field (0 title, 1 body), as
// sorted, duplicate-free 32-bit shingle hashes (the low half of the 64-bit shingle hash: two
// different shingles of a pair collide with probability 2^-32, far below any threshold's
// resolution). Filled by Runner::LoadSets (pipeline_verify.cc) in increasing slot order.
// Not thread-safe while filling; Field() may be called from any thread afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace neardup::internal {

class SlotSets {
 public:
  // Forgets every set; slots 0..slots-1 may be added.
  void Reset(size_t slots);
  void Add(uint32_t slot, absl::Span<const uint32_t> title, absl::Span<const uint32_t> body);
  bool Has(uint32_t slot) const;
  // The set of `field` of a slot that Has(); empty when the field had no shingle.
  absl::Span<const uint32_t> Field(uint32_t slot, int field) const;
  size_t MemoryBytes() const {
    return (values_.capacity() + row_of_slot_.capacity()) * sizeof(uint32_t) +
           ends_.capacity() * sizeof(size_t);
  }

 private:
  std::vector<uint32_t> row_of_slot_;
  std::vector<uint32_t> values_;
  std::vector<size_t> ends_{0};  // row r: title [2r, 2r+1), body [2r+1, 2r+2)
};

}  // namespace neardup::internal
