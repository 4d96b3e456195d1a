#include "sql/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/log.h"

namespace uq::sql {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTempPrefix = "tmp-";
constexpr size_t kReadChunkBytes = 1 << 20;

Status io_error(const std::string& what, const std::string& path, int err) {
  return error(Code::kIoError, what + " " + path + ": " + std::strerror(err));
}

// "<index>-<term>" with both numbers in plain decimal; anything else is not a snapshot name.
bool parse_entry_name(const std::string& name, uint64_t* index, uint64_t* term) {
  size_t dash = name.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size() || dash > 20 ||
      name.size() - dash - 1 > 20) {
    return false;
  }
  auto parse = [](std::string_view s, uint64_t* out) {
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') {
        return false;
      }
      uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
      if (next / 10 != v) {
        return false;  // overflow
      }
      v = next;
    }
    *out = v;
    return true;
  };
  std::string_view view(name);
  return parse(view.substr(0, dash), index) && parse(view.substr(dash + 1), term);
}

Status write_file_synced(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error("create", path, errno);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return io_error("write", path, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("fdatasync", path, err);
  }
  ::close(fd);
  return Status::ok();
}

Status fsync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("open", path, errno);
  }
  int rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : io_error("fdatasync", path, err);
}

Result<std::string> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("open", path, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("read", path, err);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kSnapshotMetaHeaderBytes + kSnapshotConfMaxBytes + kSnapshotMetaTrailerBytes) {
      ::close(fd);
      return error(Code::kCorruption, "snapshot meta " + path + ": file too large");
    }
  }
  ::close(fd);
  return out;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) {
    UQ_WARN("snapshot: cannot remove %s: %s", path.c_str(), ec.message().c_str());
  }
}

}  // namespace

std::string encode_snapshot_meta(const SnapshotMeta& meta) {
  UQ_CHECK(meta.conf.size() <= kSnapshotConfMaxBytes, "snapshot conf of %zu bytes",
           meta.conf.size());
  std::string out;
  out.reserve(kSnapshotMetaHeaderBytes + meta.conf.size() + kSnapshotMetaTrailerBytes);
  core::put_u64(&out, kSnapshotMetaMagic);
  core::put_u32(&out, kSnapshotMetaVersion);
  core::put_u32(&out, static_cast<uint32_t>(meta.conf.size()));
  core::put_u64(&out, meta.index);
  core::put_u64(&out, meta.term);
  core::put_u64(&out, meta.db_bytes);
  core::put_u64(&out, meta.db_checksum);
  UQ_CHECK(out.size() == kSnapshotMetaHeaderBytes, "meta header is %zu bytes", out.size());
  out.append(meta.conf);
  core::put_u64(&out, checksum(ChecksumDomain::kSnapshot, out));
  return out;
}

Result<SnapshotMeta> decode_snapshot_meta(std::string_view bytes) {
  if (bytes.size() < kSnapshotMetaHeaderBytes + kSnapshotMetaTrailerBytes) {
    return error(Code::kCorruption, "short meta (" + std::to_string(bytes.size()) + " bytes)");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kSnapshotMetaTrailerBytes);
  core::ByteReader trailer(bytes.substr(body.size()));
  if (trailer.u64() != checksum(ChecksumDomain::kSnapshot, body)) {
    return error(Code::kCorruption, "meta checksum mismatch");
  }
  core::ByteReader r(body);
  SnapshotMeta meta;
  uint64_t magic = r.u64();
  uint32_t version = r.u32();
  uint32_t conf_bytes = r.u32();
  meta.index = r.u64();
  meta.term = r.u64();
  meta.db_bytes = r.u64();
  meta.db_checksum = r.u64();
  if (magic != kSnapshotMetaMagic) {
    return error(Code::kCorruption, "bad meta magic");
  }
  if (version != kSnapshotMetaVersion) {
    return error(Code::kCorruption, "unknown meta version " + std::to_string(version));
  }
  if (!r.ok() || conf_bytes != r.remaining()) {
    return error(Code::kCorruption, "meta length does not match its conf size");
  }
  meta.conf = std::string(r.rest());
  return meta;
}

Result<FileDigest> digest_file(const std::string& path, bool fsync_file) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("open", path, errno);
  }
  Checksummer sum(ChecksumDomain::kSnapshot);
  std::unique_ptr<char[]> buf(new char[kReadChunkBytes]);
  FileDigest digest;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kReadChunkBytes);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("read", path, err);
    }
    if (n == 0) {
      break;
    }
    sum.update(buf.get(), static_cast<size_t>(n));
    digest.bytes += static_cast<uint64_t>(n);
  }
  // fdatasync works on a read-only descriptor on Linux: it flushes the file, not this fd.
  if (fsync_file && ::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("fdatasync", path, err);
  }
  ::close(fd);
  digest.checksum = sum.digest();
  return digest;
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return io_error("open dir", dir, errno);
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : io_error("fsync dir", dir, err);
}

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return error(Code::kIoError, "create " + dir + ": " + ec.message());
  }
  std::unique_ptr<SnapshotStore> store(new SnapshotStore(dir));
  std::lock_guard<std::mutex> lock(store->mu_);
  auto scanned = store->scan_locked();  // deletes the temp leftovers
  if (!scanned.is_ok()) {
    return scanned.status();
  }
  return store;
}

std::string SnapshotStore::entry_dir(uint64_t index, uint64_t term) const {
  return dir_ + "/" + std::to_string(index) + "-" + std::to_string(term);
}

std::string SnapshotStore::db_path(const SnapshotMeta& meta) const {
  return entry_dir(meta.index, meta.term) + "/" + kDbFileName;
}

std::string SnapshotStore::meta_path(const SnapshotMeta& meta) const {
  return entry_dir(meta.index, meta.term) + "/" + kMetaFileName;
}

std::string SnapshotStore::new_db_path() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                     std::to_string(next_temp_++) + ".db";
  in_flight_.insert(name);
  return dir_ + "/" + name;
}

Result<std::vector<SnapshotStore::Entry>> SnapshotStore::scan_locked() {
  std::vector<Entry> entries;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    return error(Code::kIoError, "list " + dir_ + ": " + ec.message());
  }
  bool removed = false;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.compare(0, kTempPrefix.size(), kTempPrefix) == 0) {
      if (in_flight_.count(name) == 0) {
        UQ_INFO("snapshot: deleting leftover of an interrupted snapshot %s/%s", dir_.c_str(),
                name.c_str());
        remove_tree(it->path().string());
        removed = true;
      }
      continue;
    }
    Entry e{0, 0, name};
    if (it->is_directory(ec) && parse_entry_name(name, &e.index, &e.term)) {
      entries.push_back(std::move(e));
    }
  }
  if (ec) {
    return error(Code::kIoError, "list " + dir_ + ": " + ec.message());
  }
  if (removed) {
    UQ_RETURN_IF_ERROR(fsync_dir(dir_));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.index != b.index ? a.index < b.index : a.term < b.term;
  });
  return entries;
}

Result<SnapshotMeta> SnapshotStore::load_locked(const Entry& entry) const {
  std::string meta_file = dir_ + "/" + entry.name + "/" + kMetaFileName;
  auto bytes = read_small_file(meta_file);
  if (!bytes.is_ok()) {
    return error(Code::kCorruption, "snapshot meta " + meta_file + ": " + bytes.status().message());
  }
  auto meta = decode_snapshot_meta(bytes.value());
  if (!meta.is_ok()) {
    return error(Code::kCorruption, "snapshot meta " + meta_file + ": " + meta.status().message());
  }
  if (meta->index != entry.index || meta->term != entry.term) {
    return error(Code::kCorruption, "snapshot meta " + meta_file + ": holds index " +
                                        std::to_string(meta->index) + " term " +
                                        std::to_string(meta->term));
  }
  std::string db_file = dir_ + "/" + entry.name + "/" + kDbFileName;
  struct stat st {};
  if (::stat(db_file.c_str(), &st) != 0) {
    return error(Code::kCorruption, "snapshot db " + db_file + ": " + std::strerror(errno));
  }
  if (static_cast<uint64_t>(st.st_size) != meta->db_bytes) {
    return error(Code::kCorruption, "snapshot db " + db_file + ": " + std::to_string(st.st_size) +
                                        " bytes, meta says " + std::to_string(meta->db_bytes));
  }
  return meta;
}

Status SnapshotStore::commit(const std::string& db_path, const SnapshotMeta& meta) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string db_name = fs::path(db_path).filename().string();
  std::string tmp_name = std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                         std::to_string(next_temp_++) + ".commit";
  std::string tmp_dir = dir_ + "/" + tmp_name;
  in_flight_.insert(tmp_name);
  auto fail = [&](Status s) {
    remove_tree(tmp_dir);
    in_flight_.erase(tmp_name);
    return s;
  };
  if (::mkdir(tmp_dir.c_str(), 0755) != 0) {
    return fail(io_error("mkdir", tmp_dir, errno));
  }
  std::string tmp_db = tmp_dir + "/" + kDbFileName;
  if (::rename(db_path.c_str(), tmp_db.c_str()) != 0) {
    return fail(io_error("rename " + db_path + " to", tmp_db, errno));
  }
  in_flight_.erase(db_name);
  struct stat st {};
  if (::stat(tmp_db.c_str(), &st) != 0) {
    return fail(io_error("stat", tmp_db, errno));
  }
  if (static_cast<uint64_t>(st.st_size) != meta.db_bytes) {
    return fail(error(Code::kInvalidArgument,
                      "snapshot db " + db_path + " has " + std::to_string(st.st_size) +
                          " bytes, meta says " + std::to_string(meta.db_bytes)));
  }
  // The Database already synced a copy it wrote; a file received some other way may not be.
  Status s = fsync_file(tmp_db);
  if (s.is_ok()) {
    s = write_file_synced(tmp_dir + "/" + kMetaFileName, encode_snapshot_meta(meta));
  }
  (tmp_dir + "/" + kMetaFileName, encode_snapshot_meta(meta));
  if (s.is_ok()) {
    s = fsync_dir(tmp_dir);
  }
  if (!s.is_ok()) {
    return fail(std::move(s));
  }
  return publish_locked(tmp_dir, tmp_name, meta);
}

// Renames the complete temp directory to its final name. rename(2) cannot replace a non-empty
// directory, so a snapshot already stored under the same name is first moved aside to a temp
// name (deleted as a leftover should we crash in between) and deleted afterwards.
Status SnapshotStore::publish_locked(const std::string& tmp_dir, const std::string& tmp_name,
                                     const SnapshotMeta& meta) {
  std::string final_dir = entry_dir(meta.index, meta.term);
  std::string aside;
  struct stat st {};
  if (::stat(final_dir.c_str(), &st) == 0) {
    aside = dir_ + "/" + std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
            std::to_string(next_temp_++) + ".replaced";
    if (::rename(final_dir.c_str(), aside.c_str()) != 0) {
      Status s = io_error("rename " + final_dir + " to", aside, errno);
      remove_tree(tmp_dir);
      in_flight_.erase(tmp_name);
      return s;
    }
  }
  if (::rename(tmp_dir.c_str(), final_dir.c_str()) != 0) {
    Status s = io_error("rename " + tmp_dir + " to", final_dir, errno);
    remove_tree(tmp_dir);
    in_flight_.erase(tmp_name);
    return s;
  }
  in_flight_.erase(tmp_name);
  if (!aside.empty()) {
    remove_tree(aside);
  }
  return fsync_dir(dir_);
}

Result<std::optional<SnapshotMeta>> SnapshotStore::latest() {
  std::lock_guard<std::mutex> lock(mu_);
  auto entries = scan_locked();
  if (!entries.is_ok()) {
    return entries.status();
  }
  if (entries->empty()) {
    return std::optional<SnapshotMeta>();
  }
  auto meta = load_locked(entries->back());
  if (!meta.is_ok()) {
    return meta.status();
  }
  return std::optional<SnapshotMeta>(std::move(meta.value()));
}

std::vector<SnapshotMeta> SnapshotStore::list() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SnapshotMeta> out;
  auto entries = scan_locked();
  if (!entries.is_ok()) {
    UQ_WARN("snapshot: %s", entries.status().to_string().c_str());
    return out;
  }
  for (const Entry& e : entries.value()) {
    auto meta = load_locked(e);
    if (!meta.is_ok()) {
      UQ_WARN("snapshot: %s", meta.status().to_string().c_str());
      continue;
    }
    out.push_back(std::move(meta.value()));
  }
  return out;
}

Status SnapshotStore::verify(const SnapshotMeta& meta) const {
  std::string path = db_path(meta);
  auto digest = digest_file(path, /*fsync_file=*/false);
  if (!digest.is_ok()) {
    return digest.status();
  }
  if (digest->bytes != meta.db_bytes) {
    return error(Code::kCorruption, "snapshot db " + path + ": " + std::to_string(digest->bytes) +
                                        " bytes, meta says " + std::to_string(meta.db_bytes));
  }
  if (digest->checksum != meta.db_checksum) {
    return error(Code::kCorruption, "snapshot db " + path + ": checksum mismatch");
  }
  return Status::ok();
}

Result<size_t> SnapshotStore::reap(size_t keep) {
  std::lock_guard<std::mutex> lock(mu_);
  auto entries = scan_locked();
  if (!entries.is_ok()) {
    return entries.status();
  }
  if (entries->size() <= keep) {
    return size_t{0};
  }
  size_t doomed = entries->size() - keep;
  for (size_t i = 0; i < doomed; ++i) {
    // Rename first so a crash halfway through deleting leaves a temp leftover, never a
    // committed snapshot with missing files (which latest() would report as corruption).
    std::string from = dir_ + "/" + (*entries)[i].name;
    std::string to = dir_ + "/" + std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                     std::to_string(next_temp_++) + ".reaped";
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return io_error("rename " + from + " to", to, errno);
    }
    remove_tree(to);
  }
  UQ_RETURN_IF_ERROR(fsync_dir(dir_));
  return doomed;
}

}  // namespace uq::sql
