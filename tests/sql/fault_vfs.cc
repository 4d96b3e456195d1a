#include "tests/sql/fault_vfs.h"

#include <cstring>
#include <mutex>

namespace uq::sql::testing {

std::atomic<int> FaultVfs::write_error{0};
std::atomic<int> FaultVfs::sync_error{0};
std::atomic<int> FaultVfs::injected{0};

namespace {

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

struct FaultFile {
  sqlite3_file base;
  bool faultable;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

FaultFile* ff(sqlite3_file* f) {
  return reinterpret_cast<FaultFile*>(f);
}

int maybe_fail(FaultFile* f, std::atomic<int>& armed) {
  int code = armed.load();
  if (f->faultable && code != 0) {
    FaultVfs::injected.fetch_add(1);
    return code;
  }
  return SQLITE_OK;
}

int x_close(sqlite3_file* f) {
  int rc = ff(f)->real()->pMethods->xClose(ff(f)->real());
  return rc;
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return ff(f)->real()->pMethods->xRead(ff(f)->real(), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (int rc = maybe_fail(ff(f), FaultVfs::write_error); rc != SQLITE_OK) {
    return rc;
  }
  return ff(f)->real()->pMethods->xWrite(ff(f)->real(), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return ff(f)->real()->pMethods->xTruncate(ff(f)->real(), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (int rc = maybe_fail(ff(f), FaultVfs::sync_error); rc != SQLITE_OK) {
    return rc;
  }
  return ff(f)->real()->pMethods->xSync(ff(f)->real(), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return ff(f)->real()->pMethods->xFileSize(ff(f)->real(), size);
}
int x_lock(sqlite3_file* f, int l) {
  return ff(f)->real()->pMethods->xLock(ff(f)->real(), l);
}
int x_unlock(sqlite3_file* f, int l) {
  return ff(f)->real()->pMethods->xUnlock(ff(f)->real(), l);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return ff(f)->real()->pMethods->xCheckReservedLock(ff(f)->real(), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return ff(f)->real()->pMethods->xFileControl(ff(f)->real(), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return ff(f)->real()->pMethods->xSectorSize(ff(f)->real());
}
int x_device_characteristics(sqlite3_file* f) {
  return ff(f)->real()->pMethods->xDeviceCharacteristics(ff(f)->real());
}
int x_shm_map(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return ff(f)->real()->pMethods->xShmMap(ff(f)->real(), pg, sz, extend, p);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return ff(f)->real()->pMethods->xShmLock(ff(f)->real(), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  ff(f)->real()->pMethods->xShmBarrier(ff(f)->real());
}
int x_shm_unmap(sqlite3_file* f, int del) {
  return ff(f)->real()->pMethods->xShmUnmap(ff(f)->real(), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) {
  return ff(f)->real()->pMethods->xFetch(ff(f)->real(), off, amt, pp);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return ff(f)->real()->pMethods->xUnfetch(ff(f)->real(), off, p);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  FaultFile* f = ff(file);
  std::memset(f, 0, sizeof(FaultFile));
  int rc = g_base->xOpen(g_base, name, f->real(), flags, out_flags);
  if (rc != SQLITE_OK) {
    return rc;
  }
  f->faultable = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0;
  f->base.pMethods = &g_methods;
  return SQLITE_OK;
}

}  // namespace

void FaultVfs::install() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    g_vfs = *g_base;
    g_vfs.zName = "uqfault";
    g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_base->szOsFile;
    g_vfs.xOpen = x_open;
    g_vfs.pNext = nullptr;
    g_methods = sqlite3_io_methods{3,
                                   x_close,
                                   x_read,
                                   x_write,
                                   x_truncate,
                                   x_sync,
                                   x_file_size,
                                   x_lock,
                                   x_unlock,
                                   x_check_reserved,
                                   x_file_control,
                                   x_sector_size,
                                   x_device_characteristics,
                                   x_shm_map,
                                   x_shm_lock,
                                   x_shm_barrier,
                                   x_shm_unmap,
                                   x_fetch,
                                   x_unfetch};
    sqlite3_vfs_register(&g_vfs, 0);
  });
}

}  // namespace uq::sql::testing
