// wal/file_system.h — the file-layer seam between the WAL and the kernel.
//
// Owns nothing global. The WAL does all file I/O through FileSystem/File so tests can swap in
// FaultFileSystem (I/O errors, short writes, power loss). A File belongs to one thread at a time.
// Contracts every implementation keeps: write() writes all bytes or returns an error (after which
// any prefix of them may be on disk); read() returns fewer bytes only at end of file; sync() is
// fdatasync; allocate() extends the file with zeros and never shrinks it; metadata operations
// (create, rename, remove) become durable after sync_dir() of the parent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace uq::wal {

class File {
 public:
  virtual ~File() = default;
  virtual Status write(const void* data, size_t size, uint64_t offset) = 0;
  virtual Result<size_t> read(void* data, size_t size, uint64_t offset) = 0;
  virtual Status sync() = 0;
  virtual Status allocate(uint64_t size) = 0;
  virtual Result<uint64_t> size() = 0;
  // The kernel fd for io_uring, or -1 when the file is not a kernel file (fault layer).
  virtual int fd() const { return -1; }
};

enum class OpenMode { kRead, kReadWrite, kCreateNew };

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  // Names (not paths) of the entries in dir, in no particular order.
  virtual Result<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual Status remove(const std::string& path) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status sync_dir(const std::string& dir) = 0;
  // Creates dir (and its parents) if missing.
  virtual Status create_dir(const std::string& dir) = 0;
  virtual bool exists(const std::string& path) = 0;
};

// The real file system (POSIX calls, fdatasync, fallocate). Stateless; one instance may be shared.
FileSystem* posix_file_system();

}  // namespace uq::wal
