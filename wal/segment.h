// wal/segment.h — segment file names and the read-only scan of one segment.
//
// scan_segment() reads a whole segment, validates its header and walks its frames, verifying
// every checksum; it reports where the valid frames end and what lies beyond, but does not
// decide whether that is a torn tail or damage: Log (recovery) and the `uqlite-wal` tool apply
// the policy (docs/wal.md, "Recovery cases"). Pure apart from reading the file; one thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wal/file_system.h"
#include "wal/layout.h"

namespace uq::wal {

inline constexpr const char* kMetaFileName = "wal-meta";
inline constexpr uint32_t kMetaMagic = 0x4d575155;  // "UQWM"

// "wal-<16 lowercase hex digits of the sequence number>.seg"
std::string segment_file_name(uint64_t sequence);
// True and *sequence set when name is a segment file name; false for anything else.
bool parse_segment_file_name(const std::string& name, uint64_t* sequence);
inline constexpr const char* kTempSuffix = ".tmp";

struct ScannedFrame {
  uint64_t offset = 0;
  FrameHeader header;
};

struct SegmentScan {
  SegmentHeader header;
  uint64_t file_size = 0;
  std::vector<ScannedFrame> frames;  // valid frames, in file order
  uint64_t end_offset = 0;           // first byte after the last valid frame
  // Bytes in [end_offset, tail_end) are not all zero (tail_end == end_offset when clean).
  uint64_t tail_end = 0;
  std::string tail_problem;  // why the bytes at end_offset are not a valid frame
  // A valid frame after end_offset whose synced_offset > end_offset: the bytes at end_offset were
  // durable before it was written, so they are damage, not a torn write.
  std::optional<uint64_t> later_frame_offset;

  bool clean_end() const { return tail_end == end_offset; }
};

// Reads `file` (of `path`, for messages) into *buffer and scans it. Errors: I/O failures, and
// kCorruption for a damaged segment header (never a torn write: headers are synced before the
// segment is renamed into place).
Result<SegmentScan> scan_segment(File* file, const std::string& path, std::vector<uint8_t>* buffer);

}  // namespace uq::wal
