#include "sql/dump.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

namespace uq::sql {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status sqlite_error(sqlite3* db, const std::string& what) {
  return error(Code::kIoError, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Result<DbHandle> open_read_only(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return sqlite_error(raw, "opening " + path);
  }
  // A checkpoint or a restore may hold a lock for a moment; wait rather than fail the backup.
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Result<StmtHandle> prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return sqlite_error(db, "preparing dump query");
  }
  return StmtHandle(raw);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return error(Code::kIoError, "writing " + path + ": " + std::strerror(n < 0 ? errno : EIO));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

// Where dump text goes: a string, or a file written in pieces of about kFlushBytes (so a dump
// of any size holds about that much in memory). A write error is kept and reported by finish().
class DumpSink {
 public:
  static constexpr size_t kFlushBytes = 1024 * 1024;
  explicit DumpSink(std::string* out) : out_(out) {}
  DumpSink(std::string* buffer, int fd, const std::string& path)
      : out_(buffer), fd_(fd), path_(&path) {}
  void append(std::string_view text) {
    out_->append(text);
    if (fd_ >= 0 && out_->size() >= kFlushBytes) {
      flush();
    }
  }
  Status finish() {
    if (fd_ >= 0) {
      flush();
    }
    return status_;
  }

 private:
  void flush() {
    if (status_.is_ok()) {
      status_ = write_all(fd_, *out_, *path_);
    }
    out_->clear();
  }
  std::string* out_;
  int fd_ = -1;
  const std::string* path_ = nullptr;
  Status status_ = Status::ok();
};

// ` AND "<column>" IN (?,?,...)` for a non-empty filter, bound by bind_names().
std::string in_list(const char* column, size_t count) {
  if (count == 0) {
    return "";
  }
  std::string clause = std::string(" AND \"") + column + "\" IN (";
  for (size_t i = 0; i < count; ++i) {
    clause += i == 0 ? "?" : ",?";
  }
  return clause + ")";
}

void bind_names(sqlite3_stmt* stmt, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    sqlite3_bind_text(stmt, static_cast<int>(i + 1), names[i].data(),
                      static_cast<int>(names[i].size()), SQLITE_STATIC);
  }
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  int bytes = sqlite3_column_bytes(stmt, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(bytes))
              : std::string();
}

std::string quote_identifier(std::string_view name) {
  std::string quoted;
  for (char c : name) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted;
}

// One INSERT INTO "t" VALUES(...); line per row of `table`, the values rendered by quote().
Status dump_rows(sqlite3* db, const std::string& table, DumpSink* out) {
  std::string escaped = quote_identifier(table);
  auto info = prepare(db, "PRAGMA table_info(\"" + escaped + "\")");
  if (!info.is_ok()) {
    return info.status();
  }
  std::string values;
  int rc;
  while ((rc = sqlite3_step(info->get())) == SQLITE_ROW) {
    values += values.empty() ? "" : " || ',' || ";
    values += "quote(\"" + quote_identifier(column_text(info->get(), 1)) + "\")";
  }
  if (rc != SQLITE_DONE) {
    return sqlite_error(db, "reading the columns of " + table);
  }
  if (values.empty()) {
    return Status::ok();  // not a table we can read rows from (e.g. an eponymous virtual table)
  }
  // The INSERT prefix is itself a SQL string literal here, so its quotes are doubled too.
  std::string prefix;
  for (char c : "INSERT INTO \"" + escaped + "\" VALUES(") {
    prefix += c;
    if (c == '\'') {
      prefix += c;
    }
  }
  auto rows =
      prepare(db, "SELECT '" + prefix + "' || " + values + " || ')' FROM \"" + escaped + "\"");
  if (!rows.is_ok()) {
    return rows.status();
  }
  while ((rc = sqlite3_step(rows->get())) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(rows->get(), 0));
    size_t bytes = static_cast<size_t>(sqlite3_column_bytes(rows->get(), 0));
    out->append(text != nullptr ? std::string_view(text, bytes) : std::string_view());
    out->append(";\n");
  }
  if (rc != SQLITE_DONE) {
    return sqlite_error(db, "reading the rows of " + table);
  }
  return Status::ok();
}

// Every table's CREATE statement and rows, in name order (sqlite_sequence last).
Status dump_tables(sqlite3* db, const std::vector<std::string>& tables, DumpSink* out) {
  auto list = prepare(db,
                      "SELECT \"name\", \"sql\" FROM \"sqlite_master\" WHERE \"sql\" NOT NULL AND "
                      "\"type\" == 'table'" +
                          in_list("name", tables.size()) + " ORDER BY \"name\"");
  if (!list.is_ok()) {
    return list.status();
  }
  bind_names(list->get(), tables);
  bool sequence = false;
  int rc;
  while ((rc = sqlite3_step(list->get())) == SQLITE_ROW) {
    std::string name = column_text(list->get(), 0);
    if (name == "sqlite_sequence") {
      sequence = true;
      continue;
    }
    if (name == "sqlite_stat1") {
      out->append("ANALYZE \"sqlite_master\";\n");
    } else if (name.starts_with("sqlite_")) {
      continue;
    } else {
      out->append(column_text(list->get(), 1));
      out->append(";\n");
    }
    UQ_RETURN_IF_ERROR(dump_rows(db, name, out));
  }
  if (rc != SQLITE_DONE) {
    return sqlite_error(db, "listing tables");
  }
  if (sequence) {
    out->append("DELETE FROM \"sqlite_sequence\";\n");
    UQ_RETURN_IF_ERROR(dump_rows(db, "sqlite_sequence", out));
  }
  return Status::ok();
}

Status dump_schema_objects(sqlite3* db, const std::vector<std::string>& tables, DumpSink* out) {
  auto list = prepare(db,
                      "SELECT \"sql\" FROM \"sqlite_master\" WHERE \"sql\" NOT NULL AND \"type\" "
                      "IN ('index', 'trigger', 'view')" +
                          in_list("tbl_name", tables.size()));
  if (!list.is_ok()) {
    return list.status();
  }
  bind_names(list->get(), tables);
  int rc;
  while ((rc = sqlite3_step(list->get())) == SQLITE_ROW) {
    out->append(column_text(list->get(), 0));
    out->append(";\n");
  }
  if (rc != SQLITE_DONE) {
    return sqlite_error(db, "listing indexes, triggers and views");
  }
  return Status::ok();
}

// The dump of dump_sql() into any sink.
Status dump_sql_into(sqlite3* db, const std::vector<std::string>& tables, DumpSink* out) {
  // One read transaction over every query, so the dump is a single consistent state.
  bool own_transaction = sqlite3_get_autocommit(db) != 0;
  if (own_transaction && sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_error(db, "starting the dump");
  }
  out->append("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
  Status status = dump_tables(db, tables, out);
  if (status.is_ok()) {
    status = dump_schema_objects(db, tables, out);
  }
  if (own_transaction) {
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  UQ_RETURN_IF_ERROR(status);
  out->append("COMMIT;\n");
  return Status::ok();
}

}  // namespace

Status dump_sql(sqlite3* db, const std::vector<std::string>& tables, std::string* out) {
  DumpSink sink(out);
  return dump_sql_into(db, tables, &sink);
}

Status dump_sql_to_file(const std::string& db_path, const std::vector<std::string>& tables,
                        const std::string& out_path) {
  auto db = open_read_only(db_path);
  if (!db.is_ok()) {
    return db.status();
  }
  int fd = ::open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    return error(Code::kIoError, "opening " + out_path + ": " + std::strerror(errno));
  }
  std::string buffer;
  DumpSink sink(&buffer, fd, out_path);
  Status status = dump_sql_into(db->get(), tables, &sink);
  Status written = sink.finish();
  ::close(fd);
  UQ_RETURN_IF_ERROR(status);
  return written;
}

Result<std::string> dump_sql_file(const std::string& db_path,
                                  const std::vector<std::string>& tables) {
  auto db = open_read_only(db_path);
  if (!db.is_ok()) {
    return db.status();
  }
  std::string out;
  UQ_RETURN_IF_ERROR(dump_sql(db->get(), tables, &out));
  return out;
}

namespace {

// Bytes 18 and 19 of the header: file format write/read versions, 1 = rollback journal, 2 = WAL.
constexpr size_t kFormatOffset = 18;

void set_journal_format(std::string* image, char version) {
  if (image->size() > kFormatOffset + 1) {
    (*image)[kFormatOffset] = version;
    (*image)[kFormatOffset + 1] = version;
  }
}

// VACUUMs an image in an in-memory database. The memory VFS cannot run WAL, so the image goes
// in with a rollback-journal header; the caller restores the header it wants.
Result<std::string> vacuum_image(std::string image) {
  set_journal_format(&image, 1);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      ":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return sqlite_error(raw, "opening an in-memory database");
  }
  auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(image.size()));
  if (buffer == nullptr) {
    return error(Code::kIoError, "out of memory for the vacuum copy");
  }
  std::memcpy(buffer, image.data(), image.size());
  auto size = static_cast<sqlite3_int64>(image.size());
  image.clear();
  image.shrink_to_fit();
  // FREEONCLOSE: SQLite owns buffer from here on, even when deserialize fails.
  rc = sqlite3_deserialize(db.get(), "main", buffer, size, size,
                           SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK) {
    return sqlite_error(db.get(), "loading the copy to vacuum");
  }
  if (sqlite3_exec(db.get(), "VACUUM", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_error(db.get(), "vacuuming the copy");
  }
  sqlite3_int64 out_size = 0;
  unsigned char* out = sqlite3_serialize(db.get(), "main", &out_size, SQLITE_SERIALIZE_NOCOPY);
  if (out == nullptr) {
    return sqlite_error(db.get(), "reading the vacuumed copy");
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(out_size));
}

}  // namespace

Result<std::string> copy_database(const std::string& db_path, const CopyOptions& options) {
  auto db = open_read_only(db_path);
  if (!db.is_ok()) {
    return db.status();
  }
  // sqlite3_serialize reads every page inside one read transaction: a consistent image that
  // includes what is still in the -wal file, taken without blocking the writer.
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db->get(), "main", &size, 0);
  if (bytes == nullptr) {
    if (size == 0 && sqlite3_errcode(db->get()) == SQLITE_OK) {
      return std::string();
    }
    return sqlite_error(db->get(), "copying " + db_path);
  }
  std::string image(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
  sqlite3_free(bytes);
  db->reset();
  char source_format = image.size() > kFormatOffset ? image[kFormatOffset] : 1;
  if (options.vacuum && !image.empty()) {
    auto vacuumed = vacuum_image(std::move(image));
    if (!vacuumed.is_ok()) {
      return vacuumed.status();
    }
    image = std::move(*vacuumed);
    set_journal_format(&image, source_format);
  }
  if (options.delete_mode) {
    set_journal_format(&image, 1);
  }
  return image;
}

namespace {

// Header bytes 18-19 of the database file at path (1 rollback journal, 2 WAL); 1 when unreadable.
char file_journal_format(const std::string& path) {
  char format = 1;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (::pread(fd, &format, 1, kFormatOffset) != 1) {
      format = 1;
    }
    ::close(fd);
  }
  return format;
}

Status set_file_journal_format(const std::string& path, char version) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return error(Code::kIoError, "opening " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  Status status = Status::ok();
  if (::fstat(fd, &st) == 0 && st.st_size > static_cast<off_t>(kFormatOffset + 1)) {
    const char bytes[2] = {version, version};
    if (::pwrite(fd, bytes, 2, kFormatOffset) != 2) {
      status = error(Code::kIoError, "writing " + path + ": " + std::strerror(errno));
    }
  }
  ::close(fd);
  return status;
}

// Every page of `source` into the (empty) file at out_path with sqlite3_backup in one step:
// one read transaction on the source, so one committed state, without blocking its writer.
Status backup_to_file(sqlite3* source, const std::string& out_path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(out_path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle dest(raw);
  if (rc != SQLITE_OK) {
    return sqlite_error(raw, "opening " + out_path);
  }
  // A scratch file: no journal, no fsync (the caller discards it after sending it).
  sqlite3_exec(raw, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
  // The source's read lock can be refused for a moment (WAL recovery, a restore swapping the
  // file): retry, bounded.
  for (int attempt = 0;; ++attempt) {
    sqlite3_backup* backup = sqlite3_backup_init(raw, "main", source, "main");
    if (backup == nullptr) {
      return sqlite_error(raw, "starting the copy");
    }
    rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc == SQLITE_DONE) {
      return Status::ok();
    }
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt >= 50) {
      return error(Code::kIoError, std::string("copying the database: ") + sqlite3_errstr(rc));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

Status copy_database_to_file(const std::string& db_path, const CopyOptions& options,
                             const std::string& out_path) {
  auto db = open_read_only(db_path);
  if (!db.is_ok()) {
    return db.status();
  }
  char source_format = file_journal_format(db_path);
  if (options.vacuum) {
    // VACUUM INTO reads one snapshot of the source (allowed on a read-only connection) and
    // writes a compacted copy with a rollback-journal header; the source's format is put back.
    auto vacuum = prepare(db->get(), "VACUUM INTO ?1");
    if (!vacuum.is_ok()) {
      return vacuum.status();
    }
    sqlite3_bind_text(vacuum->get(), 1, out_path.data(), static_cast<int>(out_path.size()),
                      SQLITE_STATIC);
    if (sqlite3_step(vacuum->get()) != SQLITE_DONE) {
      return sqlite_error(db->get(), "vacuuming into " + out_path);
    }
  } else {
    UQ_RETURN_IF_ERROR(backup_to_file(db->get(), out_path));
  }
  db->reset();
  return set_file_journal_format(out_path, options.delete_mode ? 1 : source_format);
}

namespace {

// Slicing-by-8 tables for the gzip CRC-32 (reflected polynomial 0xEDB88320): table[0] is the
// classic byte table; table[k][n] is the CRC of byte n followed by k zero bytes, so eight bytes
// are folded in with eight lookups instead of eight dependent steps.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    t[0][n] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t n = 0; n < 256; ++n) {
      t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
    }
  }
  return t;
}

constexpr CrcTables kCrcTables = make_crc_tables();

uint32_t load_le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void put_le32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

}  // namespace

uint32_t crc32(std::string_view data, uint32_t crc) {
  const auto& t = kCrcTables;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  crc = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo = load_le32(p) ^ crc;
    uint32_t hi = load_le32(p + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) {
    crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
  }
  return ~crc;
}

std::string gzip_stored(std::string_view data) {
  constexpr size_t kMaxBlock = 65535;  // a stored block's LEN is 16 bits
  std::string out;
  out.reserve(data.size() + data.size() / kMaxBlock * 5 + 32);
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown).
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\xff'};
  out.append(kHeader, sizeof(kHeader));
  size_t offset = 0;
  do {
    size_t len = std::min(kMaxBlock, data.size() - offset);
    bool final = offset + len == data.size();
    // BFINAL in bit 0, BTYPE=00 (stored); the rest of the byte is padding to the boundary.
    out.push_back(final ? 1 : 0);
    out.push_back(static_cast<char>(len & 0xFF));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(~len & 0xFF));
    out.push_back(static_cast<char>((~len >> 8) & 0xFF));
    out.append(data.substr(offset, len));
    offset += len;
  } while (offset < data.size());
  put_le32(&out, crc32(data));
  put_le32(&out, static_cast<uint32_t>(data.size()));
  return out;
}

Status gzip_stored_file(const std::string& in_path, const std::string& out_path) {
  constexpr size_t kMaxBlock = 65535;  // as gzip_stored()
  int in = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return error(Code::kIoError, "opening " + in_path + ": " + std::strerror(errno));
  }
  int out = ::open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (out < 0) {
    ::close(in);
    return error(Code::kIoError, "opening " + out_path + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(in, &st);
  auto size = static_cast<uint64_t>(st.st_size);
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\xff'};
  std::string buffer(kHeader, sizeof(kHeader));
  std::string block(kMaxBlock, '\0');
  uint32_t crc = 0;
  uint64_t offset = 0;
  Status status = Status::ok();
  do {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kMaxBlock, size - offset));
    ssize_t got = ::pread(in, block.data(), len, static_cast<off_t>(offset));
    if (got != static_cast<ssize_t>(len)) {
      status = error(Code::kIoError, "reading " + in_path + ": short read");
      break;
    }
    bool final = offset + len == size;
    buffer.push_back(final ? 1 : 0);
    buffer.push_back(static_cast<char>(len & 0xFF));
    buffer.push_back(static_cast<char>(len >> 8));
    buffer.push_back(static_cast<char>(~len & 0xFF));
    buffer.push_back(static_cast<char>((~len >> 8) & 0xFF));
    std::string_view data(block.data(), len);
    buffer.append(data);
    crc = crc32(data, crc);
    offset += len;
    if (final) {
      put_le32(&buffer, crc);
      put_le32(&buffer, static_cast<uint32_t>(size));
    }
    if (buffer.size() >= 1024 * 1024 || final) {
      status = write_all(out, buffer, out_path);
      buffer.clear();
    }
  } while (status.is_ok() && offset < size);
  ::close(in);
  ::close(out);
  return status;
}

}  // namespace uq::sql
