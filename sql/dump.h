// sql/dump.h — backup images of the database for GET /db/backup (spec §6.6).
//
// Owns: rqlite's SQL text dump (fmt=sql), a consistent page copy of the database file
// (fmt=binary / fmt=delete, optionally vacuumed), and a gzip framing of a body (compress); each
// in memory or, for bodies of any size, streamed into a file.
// Thread: every function is blocking and may run on any thread except a reactor; each opens its
// own read-only connection (SQLITE_OPEN_READONLY) on the database file, so it reads one
// consistent snapshot (a single read transaction) while the apply thread keeps writing: in WAL
// mode a reader never blocks the writer.
// Guarantees: a copy or dump reflects exactly one committed state of the database; errors are
// Status values carrying SQLite's message, never exceptions.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uq::sql {

// The SQL dump of spec §6.6, appended to *out: "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n",
// each table (by name; only `tables` when non-empty) as its CREATE statement and one
// INSERT INTO "t" VALUES(...); per row rendered with quote(), then indexes, triggers and views,
// then "COMMIT;\n". sqlite_sequence becomes DELETE FROM "sqlite_sequence"; + inserts and is
// written after the other tables (so the AUTOINCREMENT tables that create it come first and
// the dump loads into a fresh database); sqlite_stat1 becomes ANALYZE "sqlite_master"; +
// inserts; other sqlite_* tables are skipped. Runs in one read transaction on `db`.
Status dump_sql(sqlite3* db, const std::vector<std::string>& tables, std::string* out);
// The same from a read-only connection opened on the file at db_path.
Result<std::string> dump_sql_file(const std::string& db_path,
                                  const std::vector<std::string>& tables);

struct CopyOptions {
  // The copy's header says rollback-journal (DELETE) mode instead of the source's WAL mode.
  bool delete_mode = false;
  // VACUUM the copy (in memory) so it holds no free pages.
  bool vacuum = false;
};
// A complete, consistent image of the database at db_path (what the pages say, including
// frames still in the -wal file), as bytes. The header keeps the source's journal mode unless
// delete_mode. An empty (zero-page) database gives an empty image.
Result<std::string> copy_database(const std::string& db_path, const CopyOptions& options);

// The streaming forms, for bodies of any size: each writes to out_path, an existing empty file
// the caller created (and removes, also on error), holding about 1 MiB in memory besides
// SQLite's page cache. Same consistency as above: one read transaction on a read-only
// connection, the writer never blocked.
// The image copy_database() gives, as a file: sqlite3_backup in one step (binary, delete) or
// VACUUM INTO (vacuum). Same content and header bytes 18-19; other header bytes (e.g. the change
// counter) may differ from the in-memory copy's.
Status copy_database_to_file(const std::string& db_path, const CopyOptions& options,
                             const std::string& out_path);
// dump_sql() of the database at db_path into out_path, written in pieces of about 1 MiB.
Status dump_sql_to_file(const std::string& db_path, const std::vector<std::string>& tables,
                        const std::string& out_path);
// gzip_stored() of the file at in_path into out_path: byte for byte what gzip_stored() of the
// whole contents gives, read and written in pieces.
Status gzip_stored_file(const std::string& in_path, const std::string& out_path);

// CRC-32 (IEEE 802.3, as gzip uses) of data, continuing from `crc` (0 to start).
uint32_t crc32(std::string_view data, uint32_t crc = 0);
// A valid gzip member (RFC 1952) holding data in stored (uncompressed) deflate blocks: zlib is
// not a dependency of this project, so the result is slightly larger than the input.
std::string gzip_stored(std::string_view data);

}  // namespace uq::sql
