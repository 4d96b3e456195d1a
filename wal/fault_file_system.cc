#include "wal/fault_file_system.h"

#include <cstring>

namespace uq::wal {

class FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem* fs, std::shared_ptr<FaultFileSystem::Node> node, std::string path,
            bool writable)
      : fs_(fs),
        node_(std::move(node)),
        path_(std::move(path)),
        writable_(writable),
        epoch_(fs->epoch_) {}

  Status write(const void* data, size_t size, uint64_t offset) override {
    UQ_RETURN_IF_ERROR(check_live());
    if (!writable_) {
      return error(Code::kIoError, "write " + path_ + ": opened read-only");
    }
    uint64_t number = ++fs_->writes_;
    auto fault = fs_->write_faults_.find(number);
    if (fault != fs_->write_faults_.end()) {
      FaultFileSystem::Fault kind = fault->second;
      fs_->write_faults_.erase(fault);
      if (kind == FaultFileSystem::Fault::kNoSpace) {
        return error(Code::kNoSpace, "write " + path_ + ": injected ENOSPC");
      }
      if (kind == FaultFileSystem::Fault::kShortWrite && size > 1) {
        apply(data, std::uniform_int_distribution<size_t>(1, size - 1)(fs_->rng_), offset);
      }
      return error(Code::kIoError, "write " + path_ + ": injected EIO");
    }
    uint64_t end = offset + size;
    if (end > node_->data.size() && fs_->space_limit_ != 0 &&
        fs_->used_bytes() + (end - node_->data.size()) > fs_->space_limit_) {
      return error(Code::kNoSpace, "write " + path_ + ": no space left (limit)");
    }
    apply(data, size, offset);
    return Status::ok();
  }

  Result<size_t> read(void* data, size_t size, uint64_t offset) override {
    UQ_RETURN_IF_ERROR(check_live());
    if (offset >= node_->data.size()) {
      return size_t{0};
    }
    size_t n = std::min<uint64_t>(size, node_->data.size() - offset);
    std::memcpy(data, node_->data.data() + offset, n);
    return n;
  }

  Status sync() override {
    UQ_RETURN_IF_ERROR(check_live());
    uint64_t number = ++fs_->syncs_;
    if (fs_->sync_faults_.erase(number) != 0) {
      return error(Code::kIoError, "fdatasync " + path_ + ": injected EIO");
    }
    node_->durable = node_->data;
    node_->pending.clear();
    return Status::ok();
  }

  Status allocate(uint64_t size) override {
    UQ_RETURN_IF_ERROR(check_live());
    if (size <= node_->data.size()) {
      return Status::ok();
    }
    if (fs_->space_limit_ != 0 &&
        fs_->used_bytes() + (size - node_->data.size()) > fs_->space_limit_) {
      return error(Code::kNoSpace, "fallocate " + path_ + ": no space left (limit)");
    }
    node_->data.resize(size, '\0');
    if (node_->durable.size() < size) {
      node_->durable.resize(size, '\0');
    }
    return Status::ok();
  }

  Result<uint64_t> size() override {
    UQ_RETURN_IF_ERROR(check_live());
    return uint64_t{node_->data.size()};
  }

 private:
  Status check_live() const {
    if (epoch_ != fs_->epoch_) {
      return error(Code::kIoError, path_ + ": handle from before a power loss");
    }
    return Status::ok();
  }

  void apply(const void* data, size_t size, uint64_t offset) {
    if (node_->data.size() < offset + size) {
      node_->data.resize(offset + size, '\0');
    }
    std::memcpy(node_->data.data() + offset, data, size);
    node_->pending.push_back({offset, std::string(static_cast<const char*>(data), size)});
  }

  FaultFileSystem* fs_;
  std::shared_ptr<FaultFileSystem::Node> node_;
  std::string path_;
  bool writable_;
  uint64_t epoch_;
};

uint64_t FaultFileSystem::used_bytes() const {
  uint64_t total = 0;
  for (const auto& [path, node] : files_) {
    total += node->data.size();
  }
  return total;
}

std::string FaultFileSystem::rebuild_after_loss(const Node& node, PowerLoss mode) {
  std::string out = node.durable;
  if (mode == PowerLoss::kDrop) {
    return out;
  }
  for (const PendingWrite& w : node.pending) {
    int choice = static_cast<int>(rng_() % 4);
    if (choice == 1) {
      continue;  // dropped
    }
    std::string bytes = w.bytes;
    if (choice == 2) {
      bytes.resize(rng_() % (bytes.size() + 1));  // torn: a prefix landed
    } else if (choice == 3) {
      for (char& c : bytes) {
        c = static_cast<char>(rng_());  // garbage: the sectors hold something else
      }
    }
    if (out.size() < w.offset + bytes.size()) {
      out.resize(w.offset + bytes.size(), '\0');
    }
    std::memcpy(out.data() + w.offset, bytes.data(), bytes.size());
  }
  return out;
}

void FaultFileSystem::power_loss(PowerLoss mode) {
  ++epoch_;
  for (auto& [path, node] : files_) {
    node->data = rebuild_after_loss(*node, mode);
    node->durable = node->data;
    node->pending.clear();
  }
}

std::string FaultFileSystem::contents(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second->data;
}

void FaultFileSystem::put_file(const std::string& path, std::string bytes) {
  auto node = std::make_shared<Node>();
  node->data = bytes;
  node->durable = std::move(bytes);
  files_[path] = std::move(node);
}

Result<std::unique_ptr<File>> FaultFileSystem::open(const std::string& path, OpenMode mode) {
  auto it = files_.find(path);
  if (mode == OpenMode::kCreateNew) {
    if (it != files_.end()) {
      return error(Code::kIoError, "open " + path + ": file exists");
    }
    it = files_.emplace(path, std::make_shared<Node>()).first;
  } else if (it == files_.end()) {
    return error(Code::kNotFound, "open " + path + ": no such file");
  }
  return std::unique_ptr<File>(new FaultFile(this, it->second, path, mode != OpenMode::kRead));
}

Result<std::vector<std::string>> FaultFileSystem::list(const std::string& dir) {
  if (dirs_.count(dir) == 0) {
    return error(Code::kNotFound, "list " + dir + ": no such directory");
  }
  std::vector<std::string> names;
  std::string prefix = dir + "/";
  for (const auto& [path, node] : files_) {
    if (path.compare(0, prefix.size(), prefix) == 0 &&
        path.find('/', prefix.size()) == std::string::npos) {
      names.push_back(path.substr(prefix.size()));
    }
  }
  return names;
}

Status FaultFileSystem::remove(const std::string& path) {
  if (files_.erase(path) == 0) {
    return error(Code::kNotFound, "unlink " + path + ": no such file");
  }
  return Status::ok();
}

Status FaultFileSystem::rename(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) {
    return error(Code::kNotFound, "rename " + from + ": no such file");
  }
  auto node = it->second;
  files_.erase(it);
  files_[to] = std::move(node);
  return Status::ok();
}

Status FaultFileSystem::sync_dir(const std::string& dir) {
  if (dirs_.count(dir) == 0) {
    return error(Code::kNotFound, "fsync dir " + dir + ": no such directory");
  }
  return Status::ok();
}

Status FaultFileSystem::create_dir(const std::string& dir) {
  dirs_.insert(dir);
  return Status::ok();
}

bool FaultFileSystem::exists(const std::string& path) {
  return files_.count(path) != 0 || dirs_.count(path) != 0;
}

}  // namespace uq::wal
