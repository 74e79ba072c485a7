// index/store.h: the few LMDB calls the index makes, each turned into an absl::Status that names
// the directory, and the key encodings of its tables. Internal to src/index/.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace neardup::index_internal {

// An LMDB result as a Status: MDB_MAP_FULL and ENOSPC are ResourceExhausted (a full disk), the
// rest Internal; the message names `dir` and what was being done.
absl::Status LmdbStatus(int rc, std::string_view what, const std::string& dir);

// The environment and its tables, opened once per Index.
struct Store {
  std::string dir;
  MDB_env* env = nullptr;
  MDB_dbi meta = 0, docs = 0, texts = 0, ids = 0, clusters = 0, bands = 0, removed = 0;
  ~Store();
};

// Opens DIR's environment (read-only or not) and its tables; `create` makes the tables.
absl::Status OpenStore(const std::string& dir, bool read_only, bool create, Store* store);

// A transaction aborted on destruction unless committed.
class Txn {
 public:
  Txn() = default;
  ~Txn() { Abort(); }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  absl::Status Begin(const Store& store, bool read_only);
  absl::Status Commit();
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  MDB_txn* get() const { return txn_; }

  // Get: NotFound when absent; the view is valid until the transaction ends.
  absl::StatusOr<std::string_view> Get(MDB_dbi dbi, std::string_view key) const;
  absl::Status Put(MDB_dbi dbi, std::string_view key, std::string_view value,
                   unsigned flags = 0);
  // Reserves `size` bytes for `key` and returns where to write them.
  absl::StatusOr<char*> Reserve(MDB_dbi dbi, std::string_view key, size_t size);
  // Deletes `key`; absent is fine.
  absl::Status Delete(MDB_dbi dbi, std::string_view key);

 private:
  const Store* store_ = nullptr;
  MDB_txn* txn_ = nullptr;
};

// Ordinal keys sort as numbers: 4 bytes big-endian.
inline std::string OrdinalKey(uint32_t ordinal) {
  char b[4] = {static_cast<char>(ordinal >> 24), static_cast<char>(ordinal >> 16),
               static_cast<char>(ordinal >> 8), static_cast<char>(ordinal)};
  return std::string(b, 4);
}
inline uint32_t OrdinalOfKey(std::string_view key) {
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Host-order fixed-width fields inside values.
template <typename T>
void PutFixed(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
bool GetFixed(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}
inline void PutBytes(std::string* out, std::string_view s) {
  PutFixed<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
inline bool GetBytes(std::string_view* in, std::string_view* s) {
  uint32_t n;
  if (!GetFixed(in, &n) || in->size() < n) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace neardup::index_internal
