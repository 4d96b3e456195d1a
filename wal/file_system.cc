#include "wal/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace uq::wal {

namespace {

Status errno_status(const std::string& what, const std::string& path, int err) {
  Code code = (err == ENOSPC || err == EDQUOT) ? Code::kNoSpace : Code::kIoError;
  return error(code, what + " " + path + ": " + std::strerror(err));
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status write(const void* data, size_t size, uint64_t offset) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return errno_status("write", path_, errno);
      }
      p += n;
      size -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return Status::ok();
  }

  Result<size_t> read(void* data, size_t size, uint64_t offset) override {
    char* p = static_cast<char*>(data);
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return errno_status("read", path_, errno);
      }
      if (n == 0) {
        break;
      }
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) {
      return errno_status("fdatasync", path_, errno);
    }
    return Status::ok();
  }

  Status allocate(uint64_t size) override {
    // Reserve the space first (ENOSPC now, not in the middle of an append), then write the
    // zeros: fallocate leaves "unwritten" extents, and the first fdatasync after writing into
    // one must also commit the extent conversion to the journal — measured on this machine's
    // ext4, 4 KiB write + fdatasync takes 0.23–0.34 ms (p50) on a fallocated file and 0.16 ms
    // on a zero-filled one.
    int rc = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (rc != 0) {
      return errno_status("fallocate", path_, rc);
    }
    static const std::vector<char> zeros(1u << 20, 0);
    for (uint64_t offset = 0; offset < size; offset += zeros.size()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), size - offset));
      UQ_RETURN_IF_ERROR(write(zeros.data(), n, offset));
    }
    return Status::ok();
  }

  Result<uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      return errno_status("fstat", path_, errno);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  int fd() const override { return fd_; }

 private:
  int fd_;
  std::string path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    if (mode == OpenMode::kRead) {
      flags |= O_RDONLY;
    } else if (mode == OpenMode::kReadWrite) {
      flags |= O_RDWR;
    } else {
      flags |= O_RDWR | O_CREAT | O_EXCL;
    }
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
      return errno_status("open", path, errno);
    }
    return std::unique_ptr<File>(new PosixFile(fd, path));
  }

  Result<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      return errno_status("opendir", dir, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") {
        names.push_back(std::move(name));
      }
    }
    ::closedir(d);
    return names;
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      return errno_status("unlink", path, errno);
    }
    return Status::ok();
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return errno_status("rename", from, errno);
    }
    return Status::ok();
  }

  Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return errno_status("open dir", dir, errno);
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      return errno_status("fsync dir", dir, err);
    }
    return Status::ok();
  }

  Status create_dir(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return error(Code::kIoError, "create directory " + dir + ": " + ec.message());
    }
    return Status::ok();
  }

  bool exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
};

}  // namespace

FileSystem* posix_file_system() {
  static PosixFileSystem fs;
  return &fs;
}

}  // namespace uq::wal
