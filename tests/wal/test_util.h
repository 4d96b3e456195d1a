// Shared helpers for the WAL tests: entry factories and a per-test real directory.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "wal/frame.h"

namespace uq::wal::testing {

// Entries first..first+count-1 with the given term; payload i is deterministic and, when
// `compressible`, repetitive like SQL text.
inline std::vector<Entry> make_entries(Index first, size_t count, Term term, size_t payload_bytes,
                                       bool compressible = false) {
  std::vector<Entry> out;
  for (size_t i = 0; i < count; ++i) {
    Entry e;
    e.index = first + i;
    e.term = term;
    e.type = static_cast<uint8_t>(e.index % 3);
    e.payload.resize(payload_bytes);
    std::mt19937_64 rng(e.index * 1000003 + term);
    for (size_t j = 0; j < payload_bytes; ++j) {
      e.payload[j] = compressible ? "INSERT INTO t VALUES(?)"[j % 23] : static_cast<char>(rng());
    }
    out.push_back(std::move(e));
  }
  return out;
}

// A fresh directory on the real disk under the build tree (not /tmp, which may be tmpfs),
// removed at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("UQ_BINARY_DIR");
    std::string root = base != nullptr ? std::string(base) + "/tmp" : "/tmp";
    std::filesystem::create_directories(root);
    std::string pattern = root + "/waltest-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace uq::wal::testing
