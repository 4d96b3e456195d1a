// Writes the checked-in seed corpus of fuzz/wal/ (run by hand; the outputs are committed):
//   make_wal_corpus OUT_DIR
// Each file is a mode byte followed by a small valid file: segments with raw, compressed,
// term-changing and truncate-marker frames, a torn one, and a hard-state file.
#include <cstdio>
#include <fstream>
#include <string>

#include "wal/fault_file_system.h"
#include "wal/hard_state.h"
#include "wal/log.h"

using namespace uq::wal;

namespace {

std::vector<Entry> entries(Index first, size_t count, Term term, size_t bytes, char fill) {
  std::vector<Entry> out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back(Entry{first + i, term, static_cast<uint8_t>(i % 3),
                        std::string(bytes, static_cast<char>(fill + i))});
  }
  return out;
}

void emit(const std::string& dir, const std::string& name, char mode, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.put(mode);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_wal_corpus OUT_DIR\n");
    return 2;
  }
  std::string out = argv[1];
  FaultFileSystem fs(1);
  LogOptions options;
  options.segment_bytes = 4096;
  {
    auto log = Log::open(&fs, "/c", options);
    (void)(*log)->append(entries(1, 3, 1, 20, 'a'));
    (void)(*log)->append(entries(4, 8, 2, 120, 'x'));  // compressed
    auto mixed = entries(12, 3, 2, 10, 'm');
    mixed[2].term = 3;
    (void)(*log)->append(mixed);
    (void)(*log)->truncate_suffix(13);
    (void)(*log)->sync();
  }
  std::string segment = fs.contents("/c/" + segment_file_name(1));
  // Trailing zeros are implied by nothing: keep the whole preallocated file but also a trimmed
  // copy, since both shapes occur (short file = torn tail).
  size_t used = segment.find_last_not_of('\0') + 1;
  emit(out, "segment-full", 0, segment);
  emit(out, "segment-trimmed", 0, segment.substr(0, used));
  emit(out, "segment-trimmed-fix", 1, segment.substr(0, used));
  emit(out, "segment-torn", 1, segment.substr(0, used - 7));
  {
    auto hs = HardStateFile::open(&fs, "/c");
    (void)(*hs)->save({3, 2, 11});
  }
  emit(out, "hardstate", 0, fs.contents("/c/hardstate"));
  emit(out, "wal-meta", 0, fs.contents("/c/wal-meta"));
  return 0;
}
