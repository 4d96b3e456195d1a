// uqlite-wal — inspect a node's raft/ directory without changing it.
//
//   uqlite-wal dump DIR     segments, frames (offset, first index, count, sizes, compression,
//                           checksum), wal-meta and hardstate
//   uqlite-wal verify DIR   full recovery check plus a decode of every entry; exit 0 when clean
//                           (a torn tail, which the node repairs on start, is reported), 1 with
//                           the error naming file and offset, 2 on bad usage
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/log.h"
#include "wal/hard_state.h"
#include "wal/log.h"

namespace uq::wal {
namespace {

void dump_slot_file(FileSystem* fs, const std::string& path, uint32_t magic,
                    ChecksumDomain domain) {
  if (!fs->exists(path)) {
    std::printf("%s: absent\n", path.c_str());
    return;
  }
  auto file = fs->open(path, OpenMode::kRead);
  if (!file.is_ok()) {
    std::printf("%s: %s\n", path.c_str(), file.status().to_string().c_str());
    return;
  }
  std::string bytes(2 * kSlotSize, '\0');
  size_t n = (*file)->read(bytes.data(), bytes.size(), 0).is_ok() ? bytes.size() : 0;
  for (int slot = 0; slot < 2; ++slot) {
    size_t start = slot * kSlotSize;
    auto decoded = decode_slot(reinterpret_cast<const uint8_t*>(bytes.data()) + start,
                               n > start ? std::min(n - start, kSlotSize) : 0, magic, domain);
    if (!decoded.is_ok()) {
      std::printf("%s slot %d: %s\n", path.c_str(), slot, decoded.status().message().c_str());
      continue;
    }
    const auto* p = reinterpret_cast<const uint8_t*>(decoded->second.data());
    std::printf("%s slot %d: sequence %" PRIu64, path.c_str(), slot, decoded->first);
    for (size_t i = 0; i + 8 <= decoded->second.size(); i += 8) {
      std::printf(" %" PRIu64, load_u64(p + i));
    }
    std::printf("  (%s)\n",
                magic == kHardStateMagic ? "term vote commit" : "compacted index, term");
  }
}

int dump(const std::string& dir) {
  FileSystem* fs = posix_file_system();
  auto names = fs->list(dir);
  if (!names.is_ok()) {
    std::fprintf(stderr, "%s\n", names.status().to_string().c_str());
    return 1;
  }
  std::sort(names->begin(), names->end());
  dump_slot_file(fs, dir + "/" + kMetaFileName, kMetaMagic, ChecksumDomain::kWalFrame);
  dump_slot_file(fs, dir + "/" + kHardStateFileName, kHardStateMagic, ChecksumDomain::kHardState);
  std::vector<uint8_t> buffer;
  for (const std::string& name : *names) {
    uint64_t sequence = 0;
    if (!parse_segment_file_name(name, &sequence)) {
      continue;
    }
    std::string path = dir + "/" + name;
    auto file = fs->open(path, OpenMode::kRead);
    if (!file.is_ok()) {
      std::printf("%s: %s\n", path.c_str(), file.status().to_string().c_str());
      continue;
    }
    auto scan = scan_segment(file->get(), path, &buffer);
    if (!scan.is_ok()) {
      std::printf("%s: %s\n", path.c_str(), scan.status().to_string().c_str());
      continue;
    }
    std::printf("segment %s: sequence %" PRIu64 ", base index %" PRIu64 ", capacity %" PRIu64
                ", %zu frames, %" PRIu64 " bytes used\n",
                path.c_str(), scan->header.sequence, scan->header.base_index, scan->header.capacity,
                scan->frames.size(), scan->end_offset);
    for (const ScannedFrame& f : scan->frames) {
      const FrameHeader& h = f.header;
      if (h.is_truncate()) {
        std::printf("  offset %10" PRIu64 "  TRUNCATE from index %" PRIu64 "  checksum ok\n",
                    f.offset, h.first_index);
        continue;
      }
      std::printf("  offset %10" PRIu64 "  first index %10" PRIu64 "  count %6u  terms %" PRIu64
                  "..%" PRIu64 "  stored %8u  raw %8u  %s  checksum ok\n",
                  f.offset, h.first_index, h.count, h.first_term, h.last_term, h.stored_length,
                  h.raw_length, h.compressed() ? "zstd" : "raw ");
    }
    if (!scan->clean_end()) {
      std::printf("  offset %10" PRIu64 "  NOT A FRAME: %s (%" PRIu64 " nonzero bytes follow)\n",
                  scan->end_offset, scan->tail_problem.c_str(), scan->tail_end - scan->end_offset);
    }
  }
  return 0;
}

int verify(const std::string& dir) {
  LogOptions options;
  options.read_only = true;
  options.cache_bytes = 0;
  auto log = Log::open(posix_file_system(), dir, options);
  if (!log.is_ok()) {
    std::printf("FAILED: %s\n", log.status().to_string().c_str());
    return 1;
  }
  // Decode every entry: checks decompression and entry framing, beyond the checksums.
  Index next = (*log)->first_index();
  while (next <= (*log)->last_index()) {
    auto batch = (*log)->read(next, (*log)->last_index() + 1, 64u << 20);
    if (!batch.is_ok()) {
      std::printf("FAILED: %s\n", batch.status().to_string().c_str());
      return 1;
    }
    next = batch->back().index + 1;
  }
  std::string hard_state_path = dir + "/" + kHardStateFileName;
  if (posix_file_system()->exists(hard_state_path)) {
    auto slots = SlotFile::open(posix_file_system(), hard_state_path, kHardStateMagic,
                                ChecksumDomain::kHardState, "", true);
    if (!slots.is_ok()) {
      std::printf("FAILED: %s\n", slots.status().to_string().c_str());
      return 1;
    }
  }
  const RecoveryReport& report = (*log)->recovery();
  if (report.torn_tail_truncated) {
    std::printf("note: torn tail (the node truncates it on start): %s\n", report.torn_tail.c_str());
  }
  std::printf("ok: entries %" PRIu64 "..%" PRIu64 ", %zu segments, %zu frames, %" PRIu64
              " bytes verified\n",
              (*log)->first_index(), (*log)->last_index(), report.segments_scanned, report.frames,
              report.bytes_scanned);
  return 0;
}

}  // namespace
}  // namespace uq::wal

int main(int argc, char** argv) {
  uq::log::set_level(uq::log::Level::kWarn);
  if (argc != 3 || (std::strcmp(argv[1], "dump") != 0 && std::strcmp(argv[1], "verify") != 0)) {
    std::fprintf(stderr, "usage: uqlite-wal dump|verify DIR\n");
    return 2;
  }
  return std::strcmp(argv[1], "dump") == 0 ? uq::wal::dump(argv[2]) : uq::wal::verify(argv[2]);
}
