// io/record_places.h: where each unique document's record is in its input (input, byte offset,
// length), so that a later stage (exact verification) can read a few records back with pread
// instead of a pass over every input. Only regular, uncompressed JSONL or text files qualify,
// and only while they are the files that were stamped (device, inode, size, modification time);
// a record without a known place (from a shard, standard input, a compressed or csv/tsv file)
// drops every place, and readers then replay the inputs (io/replay.h).
//
// Threading: Stamp before the main pass, from one thread; Add from the serial append stage only;
// Usable, Unchanged and Read afterwards, from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "neardup/options.h"

namespace neardup {
namespace internal {

class RecordPlaces {
 public:
  // Stamps every input of `options`, when `wanted`; keeps nothing when one cannot be read by
  // place.
  void Stamp(const PipelineOptions& options, bool wanted);
  // Whether places are being kept (Add has work to do).
  bool kept() const { return kept_; }
  // The next slot's record: in input `file` at byte `start`, `length` bytes; `known` false when
  // its place is not known (which drops every place).
  void Add(int file, bool known, uint64_t start, size_t length);
  // Whether every one of `slots` slots has its place.
  bool Usable(size_t slots) const { return kept_ && start_.size() == slots; }
  // Whether every input is still the file that was stamped.
  bool Unchanged(const PipelineOptions& options) const;
  // Reads the records of `slots` (ascending) by their places and calls `take(slot, file, raw)`
  // for each. Fails when an input cannot be opened again or is shorter than it was.
  absl::Status Read(const PipelineOptions& options, absl::Span<const uint32_t> slots,
                    const std::function<absl::Status(uint32_t, int, std::string_view)>& take) const;

 private:
  struct FileStamp {
    bool usable = false;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t device = 0;
    uint64_t inode = 0;
    bool operator==(const FileStamp& o) const {
      return usable == o.usable && size == o.size && mtime_ns == o.mtime_ns &&
             device == o.device && inode == o.inode;
    }
  };
  // Whether input `i` allows reading records by place, and its identity now.
  static bool StampOf(const PipelineOptions& options, size_t i, FileStamp* stamp);

  bool kept_ = false;
  std::vector<uint64_t> start_;
  std::vector<uint32_t> length_;
  std::vector<uint16_t> file_;
  std::vector<FileStamp> stamps_;
};

}  // namespace internal
}  // namespace neardup
