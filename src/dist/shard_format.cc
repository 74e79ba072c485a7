// shard_format.cc: the one writer and the one reader of the shard wire format (shard_format.h).
#include "dist/shard_format.h"

#include <memory>
#include <utility>
#include <vector>

namespace neardup::internal {

void EncodeShardBatch(const ShardLayout& layout, const Work& work, LocalSketches* local,
                      std::string* shard) {
  ShardWriter out(shard);
  const size_t n = work.batch.size();
  const bool keep = layout.keep_values;
  out.Put<uint32_t>(static_cast<uint32_t>(work.file->index));
  out.Put<uint64_t>(n);
  out.Put<uint64_t>(work.batch.raw_bytes);
  out.Put<uint64_t>(work.utf8_repairs);
  for (uint64_t h : work.has) out.Put<uint64_t>(h);
  out.PutArray(work.batch.line_numbers.data(), n);
  out.PutArray(work.batch.oversized_length.data(), n);
  out.PutArray(work.good.data(), n);
  for (size_t i = 0; i < n; ++i) {
    if (work.good[i]) continue;
    out.PutString(work.errors[i]);
    out.PutString(work.batch.record(i));
    out.Put<uint64_t>(i < work.batch.starts.size() ? work.batch.starts[i] : 0);
  }
  out.PutString(work.ids);
  out.PutArray(work.id_ends.data(), n);
  out.PutArray(work.lengths.data(), n);
  if (keep) {
    out.PutArray(work.has_keep.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (work.has_keep[i]) out.PutString(work.keep_values[i]);
    }
  }
  out.PutArray(work.exact.data(), n);
  for (const SketchBatch& f : work.fields) out.PutArray(f.counts.data(), n);
  const size_t np = static_cast<size_t>(layout.num_perm);
  if (local != nullptr) {
    // The sketches stay here (MinHash only); the shard says every field is absent.
    const std::vector<uint8_t> absent(n, 0);
    for (int fi = 0; fi < 2; ++fi) {
      const SketchBatch& f = work.fields[fi];
      out.PutArray(absent.data(), n);
      size_t rows = 0;
      for (size_t i = 0; i < n; ++i) rows += work.good[i] && f.present[i];
      std::unique_ptr<uint32_t[]> block(new uint32_t[rows * np]);  // filled below, not zeroed
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!work.good[i]) continue;
        local->present[fi].push_back(f.present[i]);
        local->counts[fi].push_back(f.counts[i]);
        if (f.present[i]) {
          std::memcpy(block.get() + k * np, f.minhash.data() + i * np, np * sizeof(uint32_t));
          ++k;
        }
      }
      for (size_t r = 0; r < rows; ++r) local->rows[fi].push_back(block.get() + r * np);
      local->blocks[fi].push_back(std::move(block));  // the rows stay where they are
    }
  }
  const SketchEngine& engine = SketchEngine::Get(layout.algo);
  for (const SketchBatch& f : work.fields) {
    if (local != nullptr) break;
    out.PutArray(f.present.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (work.good[i] && f.present[i]) engine.EncodeSketch(f, i, layout.num_perm, shard);
    }
  }
}


bool DecodeShardBatch(const ShardLayout& layout, size_t inputs, ShardReader* in, uint32_t* file,
                      Work* work) {
  *file = in->Get<uint32_t>();
  const uint64_t n64 = in->Get<uint64_t>();
  if (!in->ok() || *file >= inputs || n64 > (uint64_t{1} << 32)) return false;
  const size_t n = static_cast<size_t>(n64);
  const bool keep = layout.keep_values;
  RecordBatch& batch = work->batch;
  batch.Clear();
  batch.raw_bytes = in->Get<uint64_t>();
  work->utf8_repairs = in->Get<uint64_t>();
  for (uint64_t& h : work->has) h = in->Get<uint64_t>();
  batch.line_numbers.resize(n);
  in->GetArray(batch.line_numbers.data(), n);
  batch.oversized_length.resize(n);
  in->GetArray(batch.oversized_length.data(), n);
  work->good.resize(n);
  in->GetArray(work->good.data(), n);
  work->errors.assign(n, std::string());
  work->bad_starts.assign(n, 0);
  for (size_t i = 0; i < n && in->ok(); ++i) {
    if (!work->good[i]) {
      work->errors[i] = std::string(in->GetString());
      batch.data.append(in->GetString());
      work->bad_starts[i] = in->Get<uint64_t>();
    }
    batch.offsets.push_back(batch.data.size());
  }
  work->ids = std::string(in->GetString());
  work->id_ends.resize(n);
  in->GetArray(work->id_ends.data(), n);
  work->lengths.resize(n);
  in->GetArray(work->lengths.data(), n);
  if (keep) {
    work->has_keep.resize(n);
    in->GetArray(work->has_keep.data(), n);
    work->keep_values.assign(n, std::string());
    for (size_t i = 0; i < n && in->ok(); ++i) {
      if (work->has_keep[i]) work->keep_values[i] = std::string(in->GetString());
    }
  }
  work->exact.resize(n);
  in->GetArray(work->exact.data(), n);
  std::vector<uint32_t> counts[2];
  for (auto& c : counts) {
    c.resize(n);
    in->GetArray(c.data(), n);
  }
  const SketchEngine& engine = SketchEngine::Get(layout.algo);
  int fi = 0;
  for (SketchBatch& f : work->fields) {
    engine.ResetBatch(n, layout.num_perm, &f);
    f.counts = std::move(counts[fi++]);
    in->GetArray(f.present.data(), n);
    for (size_t i = 0; i < n && in->ok(); ++i) {
      const bool present = work->good[i] && f.present[i];
      in->Take([&](std::string_view* rest) {
        return engine.DecodeSketch(present, rest, i, layout.num_perm, &f);
      });
    }
  }
  return in->ok();
}

}  // namespace neardup::internal
