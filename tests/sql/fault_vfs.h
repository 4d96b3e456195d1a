// tests/sql/fault_vfs.h — a SQLite VFS shim over the default VFS that injects I/O errors.
//
// Registered as "uqfault"; open a database through it with a URI such as
// "file:/tmp/x/db.sqlite?vfs=uqfault". While an error code is armed, every xWrite (resp. xSync)
// on the main database or its WAL fails with that code; everything else is forwarded unchanged.
#pragma once

#include <sqlite3.h>

#include <atomic>

namespace uq::sql::testing {

struct FaultVfs {
  static void install();                // idempotent
  static std::atomic<int> write_error;  // 0 = none, else e.g. SQLITE_FULL / SQLITE_IOERR_WRITE
  static std::atomic<int> sync_error;   // 0 = none, else e.g. SQLITE_IOERR_FSYNC
  static std::atomic<int> injected;     // how many errors were returned
};

}  // namespace uq::sql::testing
