#include "index/store.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace neardup::index_internal {

namespace {
// The map may grow to this size; the file grows only as pages are used.
constexpr size_t kMapSize = size_t{1} << 40;
}  // namespace

absl::Status LmdbStatus(int rc, std::string_view what, const std::string& dir) {
  if (rc == 0) return absl::OkStatus();
  std::string message = absl::StrCat(dir, ": ", std::string(what), ": ", mdb_strerror(rc));
  if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT || rc == EFBIG) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(message);
}

Store::~Store() {
  if (env != nullptr) mdb_env_close(env);
}

absl::Status OpenStore(const std::string& dir, bool read_only, bool create, Store* store) {
  store->dir = dir;
  int rc = mdb_env_create(&store->env);
  if (rc != 0) return LmdbStatus(rc, "cannot create the LMDB environment", dir);
  mdb_env_set_maxdbs(store->env, 8);
  mdb_env_set_mapsize(store->env, kMapSize);
  // Read-only opens still register their readers in lock.mdb, which stays writable.
  rc = mdb_env_open(store->env, dir.c_str(), read_only ? MDB_RDONLY : 0, 0644);
  if (rc != 0) return LmdbStatus(rc, "cannot open the index store", dir);
  Txn txn;
  absl::Status s = txn.Begin(*store, read_only);
  if (!s.ok()) return s;
  const unsigned flags = create ? MDB_CREATE : 0;
  struct Table {
    const char* name;
    MDB_dbi* dbi;
  } tables[] = {{"meta", &store->meta},         {"docs", &store->docs},
                {"texts", &store->texts},       {"ids", &store->ids},
                {"clusters", &store->clusters}, {"bands", &store->bands},
                {"removed", &store->removed}};
  for (const Table& t : tables) {
    rc = mdb_dbi_open(txn.get(), t.name, flags, t.dbi);
    if (rc != 0) return LmdbStatus(rc, absl::StrCat("cannot open table ", t.name), dir);
  }
  return txn.Commit();
}

absl::Status Txn::Begin(const Store& store, bool read_only) {
  store_ = &store;
  int rc = mdb_txn_begin(store.env, nullptr, read_only ? MDB_RDONLY : 0, &txn_);
  if (rc != 0) {
    txn_ = nullptr;
    return LmdbStatus(rc, "cannot begin a transaction", store.dir);
  }
  return absl::OkStatus();
}

absl::Status Txn::Commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr;
  return LmdbStatus(mdb_txn_commit(t), "cannot commit", store_->dir);
}

absl::StatusOr<std::string_view> Txn::Get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return absl::NotFoundError("not found");
  if (rc != 0) return LmdbStatus(rc, "cannot read", store_->dir);
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

absl::Status Txn::Put(MDB_dbi dbi, std::string_view key, std::string_view value,
                      unsigned flags) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  return LmdbStatus(mdb_put(txn_, dbi, &k, &v, flags), "cannot write", store_->dir);
}

absl::StatusOr<char*> Txn::Reserve(MDB_dbi dbi, std::string_view key, size_t size) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{size, nullptr};
  int rc = mdb_put(txn_, dbi, &k, &v, MDB_RESERVE);
  if (rc != 0) return LmdbStatus(rc, "cannot write", store_->dir);
  return static_cast<char*>(v.mv_data);
}

absl::Status Txn::Delete(MDB_dbi dbi, std::string_view key) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return absl::OkStatus();
  return LmdbStatus(rc, "cannot delete", store_->dir);
}

}  // namespace neardup::index_internal
