// dist/shard_format.h: the wire format of a shard, the bytes in which a rank of a distributed
// run (neardup/dist/mpi.h) sends rank 0 the processed batches of its share of the inputs. The
// one writer (EncodeShardBatch, used by the ranks' read stage) and the one reader
// (DecodeShardBatch, used by rank 0's append stage) are both here, so they cannot drift apart.
//
// A shard is whole batches back to back. One batch of n records, in this order (integers in the
// machine's byte order: every rank of a job runs the same binary on the same kind of host):
//
//   u32 file                     index into options.inputs
//   u64 n, u64 raw_bytes, u64 utf8_repairs, u64 has[3]
//   u64 line_numbers[n], u64 oversized_length[n], u8 good[n]
//   per bad record, in order:    string error, string raw record, u64 start (byte offset)
//   string ids (back to back), u32 id_ends[n], u64 lengths[n]
//   with keep values:            u8 has_keep[n], then per record with one: string value
//   Hash128 exact[n]
//   u32 counts[n]                title, then body (shingles after stop-shingles)
//   per field (title, body):     u8 present[n], then per good record with the field present:
//                                  MinHash  u32[num_perm]
//                                  SimHash  u64
//                                  exact    u64 k, u64 tokens[k]
//
// A string is u64 length + bytes. With the sketches kept on the rank (LocalSketches: MinHash
// whose pairs are judged where the sketches live) every `present` is 0 and no sketch follows.
// Not thread-safe; each call works on its own arguments only.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "internal/pipeline_stages.h"
#include "internal/runner.h"
#include "neardup/options.h"

namespace neardup::internal {

// What decides a batch's layout besides the batch: the same on every rank of a run.
struct ShardLayout {
  Algorithm algo{};
  int num_perm = 0;
  bool keep_values = false;  // options.fields.keep is set: the keep values travel

  static ShardLayout Of(const PipelineOptions& options) {
    return {options.algo, options.num_perm, !options.fields.keep.empty()};
  }
};

// Appends fixed-size values and strings to a shard.
class ShardWriter {
 public:
  explicit ShardWriter(std::string* out) : out_(out) {}
  template <typename T>
  void Put(const T& v) {
    out_->append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void PutArray(const T* p, size_t n) {
    out_->append(reinterpret_cast<const char*>(p), n * sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_->append(s.data(), s.size());
  }

 private:
  std::string* out_;
};

// Reads them back. A read past the end sets ok() false (and reads zeros); it stays false.
class ShardReader {
 public:
  explicit ShardReader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  bool ok() const { return ok_; }
  template <typename T>
  T Get() {
    T v{};
    GetArray(&v, 1);
    return v;
  }
  template <typename T>
  void GetArray(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (!ok_ || in_.size() - pos_ < bytes) {
      ok_ = false;
      return;
    }
    if (bytes > 0) std::memcpy(p, in_.data() + pos_, bytes);
    pos_ += bytes;
  }
  // Lets `read` take bytes from the front of the unread ones (it advances the view it is given;
  // false: malformed, which makes the reader not ok) and moves past what it took.
  template <typename F>
  void Take(F&& read) {
    if (!ok_) return;
    std::string_view rest = in_.substr(pos_);
    if (!read(&rest)) {
      ok_ = false;
      return;
    }
    pos_ = in_.size() - rest.size();
  }
  std::string_view GetString() {
    const uint64_t n = Get<uint64_t>();
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Appends `work` (a processed batch of input work.file->index) to `out`. With `local`, the
// sketches of its good records go there instead (MinHash only) and the shard says every field is
// absent.
void EncodeShardBatch(const ShardLayout& layout, const Work& work, LocalSketches* local,
                      std::string* out);

// Reads the next batch of `in` into `work` (its batch, per-record results and sketches; not
// work->file or work->first_ordinal, which the caller sets from *file). False when the bytes are
// not a batch of this layout, or name an input not below `inputs`.
bool DecodeShardBatch(const ShardLayout& layout, size_t inputs, ShardReader* in, uint32_t* file,
                      Work* work);

}  // namespace neardup::internal
