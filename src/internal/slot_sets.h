// internal/slot_sets.h: the exact shingle sets of some slots, per field (0 title, 1 body), as
// sorted, duplicate-free 32-bit shingle hashes (the low half of the 64-bit shingle hash: two
// different shingles of a pair collide with probability 2^-32, far below any threshold's
// resolution). Filled by Runner::LoadSets (pipeline_verify.cc): laid out first (one row of
// known room per slot), then each row written once, rows from any threads at once; Field() may be
// called from any thread afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "neardup/sketch/big_array.h"

namespace neardup::internal {

class SlotSets {
 public:
  // Forgets every set; slots 0..slots-1 may be laid out.
  void Reset(size_t slots);
  // Gives each of `slots` (ascending) a row with room for `bound(slot)` values (title and body
  // together). Rows are then filled with Fill, each once, from any thread.
  template <typename Bound>
  void Layout(absl::Span<const uint32_t> slots, Bound bound) {
    base_.assign(1, 0);
    base_.reserve(slots.size() + 1);
    for (uint32_t s : slots) {
      row_of_slot_[s] = static_cast<uint32_t>(base_.size() - 1);
      base_.push_back(base_.back() + bound(s));
    }
    values_.Truncate();  // a window after the first reuses the pages the first one touched
    values_.Grow(base_.back());
    title_size_.assign(slots.size(), 0);
    body_size_.assign(slots.size(), 0);
  }
  // Where `slot`'s row starts: room for its bound. Write the title's sorted set, then the body's
  // right after it, and record their sizes with Fill.
  uint32_t* Room(uint32_t slot) { return values_.data() + base_[row_of_slot_[slot]]; }
  size_t RoomSize(uint32_t slot) const {
    const uint32_t row = row_of_slot_[slot];
    return base_[row + 1] - base_[row];
  }
  void Fill(uint32_t slot, size_t title, size_t body) {
    const uint32_t row = row_of_slot_[slot];
    title_size_[row] = static_cast<uint32_t>(title);
    body_size_[row] = static_cast<uint32_t>(body);
  }
  bool Has(uint32_t slot) const;
  // The set of `field` of a slot that Has(); empty when the field had no shingle.
  absl::Span<const uint32_t> Field(uint32_t slot, int field) const;
  size_t MemoryBytes() const {
    return (base_.back() + row_of_slot_.capacity()) * sizeof(uint32_t) +
           base_.capacity() * sizeof(size_t) +
           (title_size_.capacity() + body_size_.capacity()) * sizeof(uint32_t);
  }

 private:
  std::vector<uint32_t> row_of_slot_;
  BigArray<uint32_t> values_;  // uninitialized until written: each row once
  std::vector<size_t> base_{0};         // row r: values_[base_[r], base_[r + 1])
  std::vector<uint32_t> title_size_;
  std::vector<uint32_t> body_size_;
};

}  // namespace neardup::internal
