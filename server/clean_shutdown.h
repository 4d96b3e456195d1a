// server/clean_shutdown.h — the fingerprint a clean shutdown leaves, so that the next start
// reuses db.sqlite instead of rebuilding it from the snapshot and the log.
//
// Owns: <data>/clean_shutdown, a small checksummed file: the applied index the database held
// when it was closed, and the file's size, modification time and SQLite header (its change
// counter moves with every write). Main thread only, at start-up and at shutdown.
// Guarantees: the marker is consumed (removed, durably) at every start, before the database is
// opened for writing, so a later crash can never make a stale marker look valid; a marker that
// does not match the file in every field is ignored and the database is rebuilt.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace uq::server {

// After the database was closed (checkpointed): records that db_path holds `applied_index`.
Status write_clean_marker(const std::string& data_dir, const std::string& db_path,
                          uint64_t applied_index);

// At start-up: the applied index db_path holds if the marker vouches for it, else 0. Removes
// the marker in both cases.
uint64_t take_clean_marker(const std::string& data_dir, const std::string& db_path);

}  // namespace uq::server
