// Fuzz target: arbitrary bytes opened as the only WAL segment, then as `wal-meta` and as
// `hardstate`; recovery must return a Status (never crash, never read out of bounds) and a log
// that opens must read back every entry it claims or report kCorruption for it.
// Input: byte 0 = mode, the rest = the file. Mode bit 0 recomputes the segment header's and each
// frame's checksum first, so mutations reach the structural checks behind the checksums.
#include <cstdint>
#include <string>

#include "core/checksum.h"
#include "core/log.h"
#include "wal/fault_file_system.h"
#include "wal/hard_state.h"
#include "wal/log.h"

namespace {

using namespace uq::wal;

void fix_checksums(std::string* bytes) {
  auto* p = reinterpret_cast<uint8_t*>(bytes->data());
  size_t size = bytes->size();
  if (size < kSegmentHeaderSize) {
    return;
  }
  store_u64(p, uq::checksum(uq::ChecksumDomain::kWalFrame, p + 8, kSegmentHeaderSize - 8));
  size_t offset = kSegmentHeaderSize;
  while (offset + kFrameHeaderSize <= size) {
    uint32_t stored = load_u32(p + offset + frame_offset::kStoredLength);
    if (stored > size - offset - kFrameHeaderSize) {
      return;
    }
    store_u64(p + offset, uq::checksum(uq::ChecksumDomain::kWalFrame, p + offset + 8,
                                       kFrameHeaderSize - 8 + stored));
    offset += kFrameHeaderSize + stored;
  }
}

void open_as_segment(const std::string& bytes) {
  FaultFileSystem fs(1);
  fs.create_dir("/f").is_ok();
  fs.put_file("/f/" + segment_file_name(1), bytes);
  LogOptions options;
  options.cache_bytes = 0;
  auto log = Log::open(&fs, "/f", options);
  if (!log.is_ok()) {
    return;
  }
  Index first = (*log)->first_index();
  Index last = (*log)->last_index();
  for (Index next = first; next <= last;) {
    auto batch = (*log)->read(next, last + 1, 1 << 20);
    if (!batch.is_ok()) {
      // Recovery verifies checksums, not payload structure (that costs a decode of every frame);
      // a checksummed but malformed payload must surface here as kCorruption, never a crash.
      UQ_CHECK(batch.status().code() == uq::Code::kCorruption, "unexpected read error: %s",
               batch.status().to_string().c_str());
      return;
    }
    UQ_CHECK(!batch->empty() && batch->front().index == next, "read returned the wrong entries");
    next = batch->back().index + 1;
  }
}

void open_as_slot_files(const std::string& bytes) {
  FaultFileSystem fs(1);
  fs.create_dir("/f").is_ok();
  fs.put_file("/f/hardstate", bytes);
  auto hs = HardStateFile::open(&fs, "/f");
  (void)hs;
  fs.put_file("/f/" + std::string(kMetaFileName), bytes);
  auto log = Log::open(&fs, "/f", LogOptions{});
  (void)log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    uq::log::set_level(uq::log::Level::kError);
    return true;
  }();
  (void)quiet;
  if (size < 1 || size > (1u << 20)) {
    return 0;
  }
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    fix_checksums(&bytes);
  }
  open_as_segment(bytes);
  open_as_slot_files(bytes);
  return 0;
}
