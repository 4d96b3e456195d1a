#include "sql/connection.h"

#include <ctime>
#include <mutex>

#include "sql/exec_options.h"
#include "sql/sql_text.h"

namespace uq::sql {

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// SQLite counts every allocation under one process-wide mutex unless SQLITE_CONFIG_MEMSTATUS is
// off; with two readers and the apply thread allocating in the parser and the VDBE, that mutex was
// contended on every request (futex wake-ups in sqlite3Malloc/sqlite3_free in the point-query
// profile). Nothing in uqlite reads those statistics. sqlite3_config only works before SQLite
// initialises; later it returns SQLITE_MISUSE and changes nothing, which is harmless.
void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionOptions& options) {
  configure_sqlite();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return error(Code::kIoError, "open " + options.path + ": " + message);
  }
  std::unique_ptr<Connection> conn(new Connection(db, options.read_only));
  sqlite3_extended_result_codes(db, 0);
  std::string pragmas;
  if (!options.read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
  }
  pragmas += options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;";
  pragmas += "PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint) + ";";
  pragmas += "PRAGMA busy_timeout=5000;";
  pragmas += options.foreign_keys ? "PRAGMA foreign_keys=ON;" : "PRAGMA foreign_keys=OFF;";
  char* err = nullptr;
  rc = sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return error(Code::kIoError, "configure " + options.path + ": " + message);
  }
  if (!options.read_only && conn->pragma_value("journal_mode") != "wal") {
    return error(Code::kIoError, "configure " + options.path + ": cannot enable WAL mode");
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) {
    sqlite3_finalize(cached.stmt);
  }
  sqlite3_close_v2(db_);
}

int Connection::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
}

int Connection::on_progress(void* self) {
  return static_cast<Connection*>(self)->deadline_passed() ? 1 : 0;
}

void Connection::set_deadline(int64_t deadline_ns) {
  deadline_ns_ = deadline_ns;
  // Checking the clock every 1000 VM steps costs well under 1% and bounds overshoot to
  // microseconds.
  sqlite3_progress_handler(db_, deadline_ns != 0 ? 1000 : 0,
                           deadline_ns != 0 ? &Connection::on_progress : nullptr, this);
}

bool Connection::deadline_passed() const {
  return deadline_ns_ != 0 && monotonic_ns() >= deadline_ns_;
}

int Connection::prepare(std::string_view sql, sqlite3_stmt** stmt, std::string_view* tail) {
  // Long strings (a SQL dump loaded as one request) are never cached, and are not even looked
  // up: hashing the rest of the text before each of its statements would be quadratic.
  bool cacheable = sql.size() <= kCacheMaxSqlBytes;
  auto it = cacheable ? cache_.find(sql) : cache_.end();
  if (it != cache_.end() && !it->second.busy) {
    it->second.busy = true;
    *stmt = it->second.stmt;
    *tail = std::string_view();
    return SQLITE_OK;
  }
  if (sql.size() > static_cast<size_t>(INT32_MAX)) {
    *stmt = nullptr;
    *tail = std::string_view();
    return SQLITE_TOOBIG;
  }
  // Admission: a text not in the cache is cached only if it was prepared before (its hash is in
  // seen_). SQL with its values inlined — a new text on every request — is then prepared without
  // SQLITE_PREPARE_PERSISTENT (so SQLite's per-connection lookaside serves the parser's and the
  // statement's small allocations instead of malloc) and finalized on release, instead of being
  // copied into the cache and evicted with the whole cache every kStatementCacheMax requests.
  bool admit = false;
  if (cacheable && it == cache_.end()) {
    size_t h = std::hash<std::string_view>()(sql) | 1;
    size_t& slot = seen_[h % kSeenSlots];
    admit = slot == h;
    slot = admit ? 0 : h;
  }
  const char* end = nullptr;
  // With the terminating NUL counted in, SQLite parses in place; without it, it copies the
  // whole remaining text first — again quadratic over a long multi-statement string.
  int length = static_cast<int>(sql.size());
  if (sql.data()[sql.size()] == '\0') {
    ++length;
  }
  int rc = sqlite3_prepare_v3(db_, sql.data(), length, admit ? SQLITE_PREPARE_PERSISTENT : 0, stmt,
                              &end);
  if (rc != SQLITE_OK) {
    *stmt = nullptr;
    *tail = std::string_view();
    return rc;
  }
  *tail = sql.substr(static_cast<size_t>(end - sql.data()));
  // Cache only statements that are the whole string: the common single-statement request.
  if (*stmt != nullptr && admit && only_trivia(*tail)) {
    if (cache_.size() >= kStatementCacheMax) {
      // Drop idle entries; busy ones stay (they are in use by this request).
      for (auto i = cache_.begin(); i != cache_.end();) {
        if (!i->second.busy) {
          cached_by_stmt_.erase(i->second.stmt);
          sqlite3_finalize(i->second.stmt);
          i = cache_.erase(i);
        } else {
          ++i;
        }
      }
    }
    auto [pos, inserted] = cache_.emplace(std::string(sql), Cached{*stmt, true});
    cached_by_stmt_.emplace(*stmt, pos->first);
  }
  return SQLITE_OK;
}

void Connection::release(sqlite3_stmt* stmt) {
  if (stmt == nullptr) {
    return;
  }
  auto it = cached_by_stmt_.find(stmt);
  if (it == cached_by_stmt_.end()) {
    sqlite3_finalize(stmt);
    return;
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  cache_.find(it->second)->second.busy = false;
}

std::string Connection::pragma_value(const char* name) {
  std::string sql = std::string("PRAGMA ") + name;
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    value = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(stmt);
  return value;
}

}  // namespace uq::sql
