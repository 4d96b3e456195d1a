// wal/fault_file_system.h — an in-memory FileSystem that injects faults, for tests and fuzzing.
//
// Owns every file's bytes in memory, twice: what a reader sees now, and what is durable (as of
// the file's last sync()). Faults: a chosen write() (counted over all files from 1) fails with EIO,
// ENOSPC, or as a short write (a random prefix lands, then EIO); a chosen sync() fails; a space
// limit makes allocate()/growing writes fail with ENOSPC until lifted; power_loss() throws away
// (kDrop) or mangles (kCorrupt: each unsynced write is kept, dropped, torn or replaced by garbage)
// everything written since each file's last sync. Metadata operations (create, rename, remove,
// allocate) are treated as durable at once: the WAL orders them with data syncs itself, and
// modelling directory-entry loss is left to the real-disk tests. Handles opened before a power
// loss fail afterwards, as a crashed process would have none. Single-threaded.
#pragma once

#include <map>
#include <memory>
#include <random>
#include <set>

#include "wal/file_system.h"

namespace uq::wal {

class FaultFileSystem final : public FileSystem {
 public:
  enum class Fault { kEio, kNoSpace, kShortWrite };
  enum class PowerLoss { kDrop, kCorrupt };

  explicit FaultFileSystem(uint64_t seed) : rng_(seed) {}

  void fail_write(uint64_t write_number, Fault fault) { write_faults_[write_number] = fault; }
  void fail_sync(uint64_t sync_number) { sync_faults_.insert(sync_number); }
  // Total bytes over all files; 0 = unlimited.
  void clear_faults() {
    write_faults_.clear();
    sync_faults_.clear();
  }
  void set_space_limit(uint64_t bytes) { space_limit_ = bytes; }
  uint64_t writes() const { return writes_; }
  uint64_t syncs() const { return syncs_; }
  void power_loss(PowerLoss mode);

  // A file's current bytes (empty if absent), for damage tests.
  std::string contents(const std::string& path) const;
  // Creates or replaces a file with these bytes, durable.
  void put_file(const std::string& path, std::string bytes);

  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  Status remove(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status sync_dir(const std::string& dir) override;
  Status create_dir(const std::string& dir) override;
  bool exists(const std::string& path) override;

 private:
  friend class FaultFile;
  struct PendingWrite {
    uint64_t offset;
    std::string bytes;
  };
  struct Node {
    std::string data;
    std::string durable;
    std::vector<PendingWrite> pending;
  };

  uint64_t used_bytes() const;
  std::string rebuild_after_loss(const Node& node, PowerLoss mode);

  std::mt19937_64 rng_;
  std::map<std::string, std::shared_ptr<Node>> files_;
  std::set<std::string> dirs_;
  std::map<uint64_t, Fault> write_faults_;
  std::set<uint64_t> sync_faults_;
  uint64_t space_limit_ = 0;
  uint64_t writes_ = 0;
  uint64_t syncs_ = 0;
  uint64_t epoch_ = 0;
};

}  // namespace uq::wal
