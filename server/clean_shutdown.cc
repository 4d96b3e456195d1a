#include "server/clean_shutdown.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/log.h"

namespace uq::server {

namespace {

constexpr const char* kMarkerName = "clean_shutdown";
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 100;  // the SQLite database header

struct Fingerprint {
  uint64_t bytes = 0;
  int64_t mtime_ns = 0;
  uint64_t header_checksum = 0;
};

bool fingerprint(const std::string& db_path, Fingerprint* out) {
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0 || st.st_size < static_cast<off_t>(kHeaderBytes)) {
    return false;
  }
  int fd = ::open(db_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char header[kHeaderBytes];
  bool read = ::pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
  ::close(fd);
  if (!read) {
    return false;
  }
  out->bytes = static_cast<uint64_t>(st.st_size);
  out->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out->header_checksum = checksum(ChecksumDomain::kSnapshot, header, sizeof header);
  return true;
}

std::string marker_path(const std::string& data_dir) {
  return data_dir + "/" + kMarkerName;
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Status write_clean_marker(const std::string& data_dir, const std::string& db_path,
                          uint64_t applied_index) {
  // SQLite runs with synchronous=OFF: the file must be on disk before a marker vouches for it.
  int db_fd = ::open(db_path.c_str(), O_RDONLY | O_CLOEXEC);
  bool synced = db_fd >= 0 && ::fsync(db_fd) == 0;
  if (db_fd >= 0) {
    ::close(db_fd);
  }
  if (!synced) {
    return error(Code::kIoError, "cannot sync " + db_path);
  }
  Fingerprint fp;
  if (!fingerprint(db_path, &fp)) {
    return error(Code::kIoError, "cannot fingerprint " + db_path);
  }
  std::string body;
  core::put_u8(&body, kVersion);
  core::put_u64(&body, applied_index);
  core::put_u64(&body, fp.bytes);
  core::put_u64(&body, static_cast<uint64_t>(fp.mtime_ns));
  core::put_u64(&body, fp.header_checksum);
  core::put_u64(&body, checksum(ChecksumDomain::kSnapshot, body));
  std::string tmp = marker_path(data_dir) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
            ::fsync(fd) == 0;
  if (fd >= 0) {
    ::close(fd);
  }
  if (!ok || ::rename(tmp.c_str(), marker_path(data_dir).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return error(Code::kIoError, "cannot write " + marker_path(data_dir));
  }
  sync_dir(data_dir);
  return Status::ok();
}

uint64_t take_clean_marker(const std::string& data_dir, const std::string& db_path) {
  std::string path = marker_path(data_dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  char buffer[64];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  ::unlink(path.c_str());
  sync_dir(data_dir);
  if (n <= 8) {
    return 0;
  }
  std::string_view bytes(buffer, static_cast<size_t>(n));
  core::ByteReader r(bytes);
  uint8_t version = r.u8();
  uint64_t applied = r.u64();
  Fingerprint recorded;
  recorded.bytes = r.u64();
  recorded.mtime_ns = static_cast<int64_t>(r.u64());
  recorded.header_checksum = r.u64();
  uint64_t sum = r.u64();
  Fingerprint now;
  if (!r.ok() || r.remaining() != 0 || version != kVersion ||
      sum != checksum(ChecksumDomain::kSnapshot, bytes.substr(0, bytes.size() - 8)) ||
      !fingerprint(db_path, &now) || now.bytes != recorded.bytes ||
      now.mtime_ns != recorded.mtime_ns || now.header_checksum != recorded.header_checksum) {
    UQ_WARN("clean-shutdown marker does not match %s: rebuilding the database", db_path.c_str());
    return 0;
  }
  return applied;
}

}  // namespace uq::server
