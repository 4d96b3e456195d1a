// sql/snapshot.h — the snapshot store: database copies as of an applied Raft index, on disk
// under <data>/snapshots/, each with a small checksummed meta file.
//
// Owns: the directory it is opened on. Layout (docs/snapshots.md):
//   <dir>/<index>-<term>/db.sqlite   the database copy (written by Database::submit_snapshot)
//   <dir>/<index>-<term>/meta        SnapshotMeta, binary, XXH3 (ChecksumDomain::kSnapshot)
//   <dir>/tmp-*                      work in progress; a leftover of an interrupted commit is
//                                    deleted by open() and latest()
// A snapshot becomes visible only by the rename of a complete, fsynced temp directory to its
// final name, so after a crash either the whole snapshot is there or only a temp leftover.
// Thread: every method is thread-safe (one mutex); the file work of verify() runs outside it.
// Errors: damage in a committed snapshot (meta that does not decode or verify, a db file whose
// size differs from the meta) is kCorruption naming the file, never silently skipped by
// latest(); I/O failures are kIoError. A failed commit() leaves no visible snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uq::sql {

struct SnapshotMeta {
  uint64_t index = 0;
  uint64_t term = 0;
  uint64_t db_bytes = 0;     // size of the db file
  uint64_t db_checksum = 0;  // XXH3 (kSnapshot) of the db file
  std::string conf;          // opaque bytes from the caller (the Raft configuration and members)
};

// Byte layout of the meta file (little-endian), pinned in docs/snapshots.md.
constexpr uint64_t kSnapshotMetaMagic = 0x314d'5041'4e53'5155;  // "UQSNAPM1"
constexpr uint32_t kSnapshotMetaVersion = 1;
constexpr size_t kSnapshotMetaHeaderBytes = 48;  // magic .. db_checksum
constexpr size_t kSnapshotMetaTrailerBytes = 8;  // checksum of everything before it
constexpr uint32_t kSnapshotConfMaxBytes = 16 << 20;

std::string encode_snapshot_meta(const SnapshotMeta& meta);
// Pure: bytes in, meta or kCorruption out (for the fuzz target and the store).
Result<SnapshotMeta> decode_snapshot_meta(std::string_view bytes);

struct FileDigest {
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // XXH3 (kSnapshot)
};
// Reads the whole file at `path` and returns its size and XXH3 (kSnapshot); with fsync_file it
// also fdatasyncs it. Used by the Database (after VACUUM INTO, before a restore) and verify().
Result<FileDigest> digest_file(const std::string& path, bool fsync_file);
// fsyncs the directory, so renames and unlinks inside it are durable.
Status fsync_dir(const std::string& dir);

class SnapshotStore {
 public:
  // Creates `dir` if missing and deletes temp leftovers.
  static Result<std::unique_ptr<SnapshotStore>> open(std::string dir);

  // A path for a new snapshot's db file: a fresh temp name inside dir that latest() leaves
  // alone until commit() (or until this store is reopened).
  std::string new_db_path();
  // Makes the snapshot durable and visible: writes meta, fsyncs db, meta and the temp dir,
  // renames it to "<index>-<term>" and fsyncs dir. db_path is consumed (moved). A snapshot
  // already stored under the same index and term is replaced.
  Status commit(const std::string& db_path, const SnapshotMeta& meta);
  // The newest snapshot (meta verified, db file size matches; the db checksum only by
  // verify()), or nullopt when there is none. Deletes temp leftovers.
  Result<std::optional<SnapshotMeta>> latest();
  std::string db_path(const SnapshotMeta& meta) const;
  std::string meta_path(const SnapshotMeta& meta) const;
  // Recomputes the db file's size and XXH3 and compares them with the meta.
  Status verify(const SnapshotMeta& meta) const;
  // Deletes all but the newest `keep` snapshots; returns how many were deleted.
  Result<size_t> reap(size_t keep);
  // Every snapshot whose meta verifies, oldest first (damaged ones are logged and left out).
  std::vector<SnapshotMeta> list();

  const std::string& dir() const { return dir_; }

  static constexpr const char* kDbFileName = "db.sqlite";
  static constexpr const char* kMetaFileName = "meta";

 private:
  struct Entry {
    uint64_t index;
    uint64_t term;
    std::string name;
  };
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  std::string entry_dir(uint64_t index, uint64_t term) const;
  // Lists committed snapshot directories, oldest first; deletes temp leftovers not in flight.
  Result<std::vector<Entry>> scan_locked();
  Result<SnapshotMeta> load_locked(const Entry& entry) const;
  Status publish_locked(const std::string& tmp_dir, const std::string& tmp_name,
                        const SnapshotMeta& meta);

  const std::string dir_;
  std::mutex mu_;
  uint64_t next_temp_ = 0;           // guarded by mu_
  std::set<std::string> in_flight_;  // temp names handed out, not yet committed; by mu_
};

}  // namespace uq::sql
