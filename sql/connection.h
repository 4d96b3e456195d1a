// sql/connection.h — one SQLite connection with rqlite's pragmas, a prepared-statement cache and a
// statement deadline.
//
// Owns: the sqlite3 handle (closed on destruction), cached single-statement prepared statements
// (bounded; re-prepared by SQLite after schema changes; a text is cached the second time it is
// prepared, so unique literal SQL never churns the cache), and the progress handler that
// interrupts a statement once the request's db_timeout deadline passes.
// Process-wide: the first open() turns off SQLite's allocation statistics
// (SQLITE_CONFIG_MEMSTATUS), whose global mutex every sqlite3_malloc/free of every connection would
// otherwise take. Thread: a Connection belongs to exactly one thread (the apply thread or one
// reader); it is opened with SQLITE_OPEN_NOMUTEX and must never be shared.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace uq::sql {

// Process-wide SQLite settings (SQLITE_CONFIG_MEMSTATUS off). They only take effect before SQLite
// initialises, i.e. before the first sqlite3_open* in the process; Connection::open calls this,
// and a program that may open SQLite elsewhere first (a snapshot check at start-up) should call
// it at the top of main. Idempotent, thread-safe; later calls change nothing.
void configure_sqlite();

struct ConnectionOptions {
  std::string path;
  bool read_only = false;
  bool foreign_keys = false;
  bool synchronous_full = true;  // else synchronous=OFF
  int wal_autocheckpoint = 0;    // rqlite: 0 on the writer, 1000 on readers
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  bool read_only() const { return read_only_; }

  // Runs SQL without results (BEGIN, SAVEPOINT, ...). Returns the SQLite result code.
  int exec(const char* sql);

  // Statement deadline (CLOCK_MONOTONIC ns; 0 = none). While set, SQLite's progress handler
  // interrupts any running statement once it passes.
  void set_deadline(int64_t deadline_ns);
  bool deadline_passed() const;

  // Prepares the first statement of `sql`. *tail receives the rest. A whole-string single statement
  // may come from the cache; hand every statement back with release(). `sql` must end where a
  // NUL-terminated buffer ends (a std::string, or a tail of one): the byte after it is read.
  int prepare(std::string_view sql, sqlite3_stmt** stmt, std::string_view* tail);
  void release(sqlite3_stmt* stmt);

  // "PRAGMA <name>" as text (for /status).
  std::string pragma_value(const char* name);

  static constexpr size_t kStatementCacheMax = 256;
  static constexpr size_t kCacheMaxSqlBytes = 4096;  // longer statements are not cached
  static constexpr size_t kSeenSlots = 256;          // remembered texts not (yet) cached

 private:
  explicit Connection(sqlite3* db, bool read_only) : db_(db), read_only_(read_only) {}
  static int on_progress(void* self);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  sqlite3* db_;
  bool read_only_;
  int64_t deadline_ns_ = 0;
  // Cached statements keyed by their full SQL text; a statement taken out for use is marked busy
  // so the same text used twice in one request gets a fresh one.
  struct Cached {
    sqlite3_stmt* stmt;
    bool busy;
  };
  std::unordered_map<std::string, Cached, Hash, std::equal_to<>> cache_;
  std::unordered_map<sqlite3_stmt*, std::string_view> cached_by_stmt_;
  // Hashes of texts prepared once and not cached (direct-mapped; 0 = empty). A text whose hash is
  // found here is prepared for the cache; a collision only delays or hastens caching.
  std::array<size_t, kSeenSlots> seen_{};
};

}  // namespace uq::sql
