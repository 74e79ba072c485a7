#include "neardup/candidates/band_sorter.h"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/status_macros.h"
#include "internal/temp_dir.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_sort.h"

namespace neardup {
namespace {

// Per-run read (and output) buffers larger than this buy nothing: sequential reads of 1 MiB
// already run at disk speed, and a smaller buffer keeps the merge's working set in cache.
constexpr size_t kMaxMergeBufferBytes = size_t{1} << 20;

void Encode(const KeyedDoc& r, char* out) {
  std::memcpy(out, &r.key, sizeof(r.key));
  std::memcpy(out + sizeof(r.key), &r.doc, sizeof(r.doc));
}

KeyedDoc Decode(const char* in) {
  KeyedDoc r;
  std::memcpy(&r.key, in, sizeof(r.key));
  std::memcpy(&r.doc, in + sizeof(r.key), sizeof(r.doc));
  return r;
}

// An unnamed file in `dir`, appended to and read back at offsets; closing it frees the space.
class SpillFile {
 public:
  static absl::StatusOr<std::unique_ptr<SpillFile>> Create(const std::string& dir) {
    int fd = -1;
#ifdef O_TMPFILE
    do {
      fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    // A file system without O_TMPFILE says EOPNOTSUPP; a kernel that predates it sees a
    // directory opened for writing (EISDIR). Anything else (ENOENT, EACCES...) is the answer.
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      return Error("cannot create a spill file in", dir);
    }
#endif
    if (fd < 0) {
      // The name exists only between mkostemp and unlink: a crash in that window is the one way
      // to leave a file behind.
      std::string path = absl::StrCat(dir, "/.neardup-spill-XXXXXX");
      fd = ::mkostemp(path.data(), O_CLOEXEC);
      if (fd < 0) return Error("cannot create a spill file in", dir);
      if (::unlink(path.c_str()) != 0) {
        absl::Status error = Error("cannot unlink the spill file", path);
        ::close(fd);
        ::unlink(path.c_str());
        return error;
      }
    }
    return std::unique_ptr<SpillFile>(new SpillFile(fd, dir));
  }

  ~SpillFile() { ::close(fd_); }
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // Bytes written so far (since the last Truncate): where the next Append lands.
  uint64_t size() const { return size_; }

  absl::Status Append(const char* data, size_t bytes) {
    while (bytes > 0) {
      const ssize_t n = ::pwrite(fd_, data, bytes, static_cast<off_t>(size_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = ENOSPC;  // a regular file takes no bytes only when it cannot grow
        return Error("cannot write a spill file in", dir_);
      }
      data += n;
      bytes -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
      bytes_written_ += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Read(uint64_t offset, char* data, size_t bytes) const {
    const size_t want = bytes;
    while (bytes > 0) {
      const ssize_t n = ::pread(fd_, data, bytes, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error("cannot read a spill file in", dir_);
      if (n == 0) {
        return absl::DataLossError(absl::StrFormat(
            "cannot read a spill file in %s: it ended after %d of %d bytes at offset %d", dir_,
            want - bytes, want, offset - (want - bytes)));
      }
      data += n;
      bytes -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  // Empties the file (its runs are merged), returning the space to the file system.
  absl::Status Truncate() {
    int r;
    do {
      r = ::ftruncate(fd_, 0);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return Error("cannot truncate a spill file in", dir_);
    size_ = 0;
    return absl::OkStatus();
  }

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  SpillFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}

  // "<what> <where>: <strerror(errno)>", with the status code errno maps to.
  static absl::Status Error(const char* what, const std::string& where) {
    return absl::ErrnoToStatus(errno, absl::StrCat(what, " ", where));
  }

  int fd_;
  std::string dir_;
  uint64_t size_ = 0;
  uint64_t bytes_written_ = 0;
};

// A sorted run: `count` records from byte `offset` of a spill file.
struct Run {
  const SpillFile* file;
  uint64_t offset;
  uint64_t count;
};

// Collects records in (key, doc) order into buckets and hands each to visit().
// Sorts a[0, n) by (key, doc), in place, to the same order std::sort gives: most significant
// byte first (American flag sort: 256 buckets, counted, then permuted in place), recursing into
// buckets of more than 64 records, and insertion sort below that. Band keys are uniform 64-bit
// hashes, so three levels reach buckets of a few records at a million: about three sequential
// passes instead of a comparison sort's twenty, and no memory beyond the counts.
void SortKeyedDocs(KeyedDoc* a, size_t n, int shift = 56) {  // NOLINT(misc-no-recursion)
  if (n <= 64 || shift < 0) {
    if (n > 64) {
      std::sort(a, a + n);  // every key byte equal: a large bucket of one key, by doc
      return;
    }
    for (size_t i = 1; i < n; ++i) {
      const KeyedDoc x = a[i];
      size_t j = i;
      while (j > 0 && x < a[j - 1]) {
        a[j] = a[j - 1];
        --j;
      }
      a[j] = x;
    }
    return;
  }
  size_t end[257] = {0};
  size_t next[256];
  for (size_t i = 0; i < n; ++i) ++end[((a[i].key >> shift) & 0xFF) + 1];
  for (int b = 1; b <= 256; ++b) end[b] += end[b - 1];
  for (int b = 0; b < 256; ++b) next[b] = end[b];
  for (size_t b = 0; b < 256; ++b) {
    while (next[b] < end[b + 1]) {
      KeyedDoc v = a[next[b]];
      size_t d = (v.key >> shift) & 0xFF;
      while (d != b) {
        std::swap(v, a[next[d]++]);
        d = (v.key >> shift) & 0xFF;
      }
      a[next[b]++] = v;
    }
  }
  if (shift == 56) {
    // The buckets are independent: in parallel (the bands may be running side by side already;
    // then this adds little, but a band sorted alone under --memory-limit gets every core).
    tbb::parallel_for(0, 256, [&](int b) { SortKeyedDocs(a + end[b], end[b + 1] - end[b], 48); });
    return;
  }
  for (int b = 0; b < 256; ++b) SortKeyedDocs(a + end[b], end[b + 1] - end[b], shift - 8);
}

class Grouper {
 public:
  explicit Grouper(absl::FunctionRef<void(uint64_t, absl::Span<const uint32_t>)> visit)
      : visit_(visit) {}
  void Add(const KeyedDoc& r) {
    if (!docs_.empty() && r.key != key_) Flush();
    key_ = r.key;
    docs_.push_back(r.doc);
  }
  void Flush() {
    if (docs_.empty()) return;
    visit_(key_, docs_);
    docs_.clear();
  }

 private:
  absl::FunctionRef<void(uint64_t, absl::Span<const uint32_t>)> visit_;
  uint64_t key_ = 0;
  std::vector<uint32_t> docs_;  // one bucket at a time; grows to the largest bucket
};

// Writes merged records as one new run at the end of `file`, through a buffer.
class RunWriter {
 public:
  RunWriter(SpillFile* file, size_t buffer_records)
      : file_(file), buffer_(buffer_records * kSpillRecordBytes), capacity_(buffer_records) {}
  bool Add(const KeyedDoc& r) {
    Encode(r, buffer_.data() + used_ * kSpillRecordBytes);
    if (++used_ == capacity_) return Flush();
    return true;
  }
  bool Flush() {
    if (used_ > 0 && status_.ok())
      status_ = file_->Append(buffer_.data(), used_ * kSpillRecordBytes);
    used_ = 0;
    return status_.ok();
  }
  const absl::Status& status() const { return status_; }

 private:
  SpillFile* file_;
  std::vector<char> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  absl::Status status_;
};

// A run being merged: its smallest unconsumed record (`head`) and a window of the rest.
struct Cursor {
  KeyedDoc head;
  const Run* run;
  uint64_t next_on_disk;  // records of the run read into a buffer so far
  char* buffer;
  size_t capacity;   // records the buffer holds
  const char* next;  // next buffered record after head
  const char* end;
};

// Moves `c` to its run's next record; false at the end of the run (or on error, in `status`).
bool Advance(Cursor* c, absl::Status* status) {
  if (c->next == c->end) {
    const uint64_t left = c->run->count - c->next_on_disk;
    if (left == 0) return false;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(left, c->capacity));
    *status = c->run->file->Read(c->run->offset + c->next_on_disk * kSpillRecordBytes, c->buffer,
                                 take * kSpillRecordBytes);
    if (!status->ok()) return false;
    c->next_on_disk += take;
    c->next = c->buffer;
    c->end = c->buffer + take * kSpillRecordBytes;
  }
  c->head = Decode(c->next);
  c->next += kSpillRecordBytes;
  return true;
}

// Merges `runs` in (key, doc) order into emit(record), which returns false to stop. Read buffers
// take `buffer_bytes` in all, split evenly between `shares` (the runs, plus one when the caller
// also buffers the output).
template <typename Emit>
absl::Status Merge(absl::Span<const Run> runs, size_t buffer_bytes, size_t shares, Emit emit) {
  const size_t per_run = std::clamp<size_t>(buffer_bytes / shares / kSpillRecordBytes, 1,
                                            kMaxMergeBufferBytes / kSpillRecordBytes);
  size_t total = 0;
  std::vector<size_t> capacity(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    capacity[i] = static_cast<size_t>(std::min<uint64_t>(runs[i].count, per_run));
    total += capacity[i];
  }
  std::vector<char> buffers(total * kSpillRecordBytes);
  std::vector<Cursor> cursors(runs.size());
  std::vector<Cursor*> heap;  // a min-heap on head, by hand: "replace the top" is one sift-down
  heap.reserve(runs.size());
  absl::Status status;
  char* free = buffers.data();
  for (size_t i = 0; i < runs.size(); ++i) {
    Cursor& c = cursors[i];
    c.run = &runs[i];
    c.next_on_disk = 0;
    c.buffer = free;
    c.capacity = capacity[i];
    c.next = c.end = free;
    free += capacity[i] * kSpillRecordBytes;
    if (Advance(&c, &status)) heap.push_back(&c);
    RETURN_IF_ERROR(status);
  }
  const auto sift_down = [&heap](size_t i) {
    const size_t size = heap.size();
    Cursor* moving = heap[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]->head < heap[child]->head) ++child;
      if (!(heap[child]->head < moving->head)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = moving;
  };
  for (size_t i = heap.size() / 2; i-- > 0;) sift_down(i);

  while (!heap.empty()) {
    Cursor* top = heap.front();
    if (!emit(top->head)) return absl::OkStatus();  // the emitter keeps its own error
    if (!Advance(top, &status)) {
      RETURN_IF_ERROR(status);
      heap.front() = heap.back();
      heap.pop_back();
      if (heap.empty()) break;
    }
    sift_down(0);
  }
  return absl::OkStatus();
}

// Splits `count` runs into ceil(count / fan_in) groups of nearly equal size (no lone run left to
// be copied through a pass on its own); returns the group boundaries.
std::vector<size_t> GroupBounds(size_t count, size_t fan_in) {
  const size_t groups = (count + fan_in - 1) / fan_in;
  std::vector<size_t> bounds(groups + 1);
  for (size_t g = 0; g <= groups; ++g) bounds[g] = count * g / groups;
  return bounds;
}

absl::Status SortSpilling(size_t n, const SpillPlan& plan, const std::string& temp_dir,
                          absl::FunctionRef<void(size_t, size_t, KeyedDoc*)> fill, Grouper* grouper,
                          SpillStats* stats) {
  const std::string dir = temp_dir.empty() ? internal::TemporaryDirectory() : temp_dir;
  ASSIGN_OR_RETURN(std::unique_ptr<SpillFile> file, SpillFile::Create(dir));
  std::unique_ptr<SpillFile> other;  // created by the first extra merge pass, if any
  const auto count_written = [&] {
    stats->bytes_written = file->bytes_written() + (other ? other->bytes_written() : 0);
  };

  // Runs. The chunk is packed to 12-byte records in place (record i moves from byte 16i to 12i,
  // never past the records still to be read), so writing needs no second buffer.
  std::vector<Run> runs;
  {
    std::unique_ptr<KeyedDoc[]> chunk(new KeyedDoc[plan.chunk_records]);
    char* bytes = reinterpret_cast<char*>(chunk.get());
    for (size_t begin = 0; begin < n; begin += plan.chunk_records) {
      const size_t count = std::min(plan.chunk_records, n - begin);
      fill(begin, begin + count, chunk.get());
      tbb::parallel_sort(chunk.get(), chunk.get() + count);
      for (size_t i = 0; i < count; ++i) {
        KeyedDoc r;
        std::memcpy(&r.key, bytes + i * sizeof(KeyedDoc), sizeof(r.key));
        std::memcpy(&r.doc, bytes + i * sizeof(KeyedDoc) + sizeof(r.key), sizeof(r.doc));
        Encode(r, bytes + i * kSpillRecordBytes);
      }
      runs.push_back({file.get(), file->size(), count});
      ++stats->runs;
      const absl::Status written = file->Append(bytes, count * kSpillRecordBytes);
      count_written();
      RETURN_IF_ERROR(written);
    }
  }

  // Extra passes while there are more runs than one merge takes. Each pass reads `file` and
  // writes `other`, then empties `file` and swaps the two, so the disk holds at most two copies.
  while (runs.size() > plan.fan_in) {
    if (!other) {
      ASSIGN_OR_RETURN(other, SpillFile::Create(dir));
    }
    const std::vector<size_t> bounds = GroupBounds(runs.size(), plan.fan_in);
    std::vector<Run> merged;
    for (size_t g = 0; g + 1 < bounds.size(); ++g) {
      const absl::Span<const Run> group(runs.data() + bounds[g], bounds[g + 1] - bounds[g]);
      const size_t shares = group.size() + 1;
      RunWriter writer(other.get(),
                       std::clamp<size_t>(plan.merge_buffer_bytes / shares / kSpillRecordBytes, 1,
                                          kMaxMergeBufferBytes / kSpillRecordBytes));
      Run out{other.get(), other->size(), 0};
      for (const Run& r : group) out.count += r.count;
      absl::Status merge = Merge(group, plan.merge_buffer_bytes, shares,
                                 [&writer](const KeyedDoc& r) { return writer.Add(r); });
      if (merge.ok()) writer.Flush();
      count_written();
      RETURN_IF_ERROR(merge);
      RETURN_IF_ERROR(writer.status());
      merged.push_back(out);
    }
    ++stats->merge_passes;
    RETURN_IF_ERROR(file->Truncate());
    std::swap(file, other);
    runs = std::move(merged);
  }

  ++stats->merge_passes;
  RETURN_IF_ERROR(Merge(runs, plan.merge_buffer_bytes, runs.size(), [grouper](const KeyedDoc& r) {
    grouper->Add(r);
    return true;
  }));
  grouper->Flush();
  return absl::OkStatus();
}

}  // namespace

SpillPlan PlanSpill(size_t budget_bytes) {
  const size_t bytes = std::max(budget_bytes, kMinChunkBytes);
  SpillPlan plan;
  plan.chunk_records = bytes / sizeof(KeyedDoc);
  plan.merge_buffer_bytes = bytes;
  plan.fan_in = std::max<size_t>(2, bytes / kMinMergeReadBytes);
  return plan;
}

absl::Status SortAndGroup(
    size_t n, size_t budget_bytes, const std::string& temp_dir,
    absl::FunctionRef<void(size_t begin, size_t end, KeyedDoc* out)> fill,
    absl::FunctionRef<void(uint64_t key, absl::Span<const uint32_t> docs)> visit,
    SpillStats* stats) {
  return SortAndGroup(n, PlanSpill(budget_bytes), temp_dir, fill, visit, stats);
}

absl::Status SortAndGroup(
    size_t n, const SpillPlan& plan, const std::string& temp_dir,
    absl::FunctionRef<void(size_t begin, size_t end, KeyedDoc* out)> fill,
    absl::FunctionRef<void(uint64_t key, absl::Span<const uint32_t> docs)> visit,
    SpillStats* stats) {
  SpillStats local;
  if (stats == nullptr) stats = &local;
  *stats = SpillStats{};
  if (plan.chunk_records < 1 || plan.fan_in < 2) {
    return absl::InvalidArgumentError(
        absl::StrFormat("band sorter: chunk_records must be >= 1 and fan_in >= 2 (got %d, %d)",
                        plan.chunk_records, plan.fan_in));
  }
  Grouper grouper(visit);
  if (n > plan.chunk_records) return SortSpilling(n, plan, temp_dir, fill, &grouper, stats);
  if (n == 0) return absl::OkStatus();
  std::unique_ptr<KeyedDoc[]> records(new KeyedDoc[n]);  // uninitialized: fill() writes it all
  fill(0, n, records.get());
  SortKeyedDocs(records.get(), n);
  for (size_t i = 0; i < n; ++i) grouper.Add(records[i]);
  grouper.Flush();
  return absl::OkStatus();
}

}  // namespace neardup
