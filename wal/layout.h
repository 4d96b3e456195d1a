// wal/layout.h — the WAL's on-disk byte layout: segment header, frame header, entry records and
// the two-slot record files (hard state, log meta). docs/wal.md describes the same bytes; the
// static_asserts below pin them. Pure functions over byte buffers; any thread may call them.
// All integers are little-endian (the only host we build for; checked below).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/status.h"

namespace uq::wal {

static_assert(std::endian::native == std::endian::little, "the WAL layout is little-endian");

using Index = uint64_t;  // Raft log index; 0 means "none", the first entry is 1.
using Term = uint64_t;

// ---- Segment header: the first kSegmentHeaderSize bytes of every segment file. ----
inline constexpr uint32_t kSegmentMagic = 0x53575155;  // "UQWS"
inline constexpr uint16_t kSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 64;
namespace segment_offset {
inline constexpr size_t kChecksum = 0;       // u64: XXH3(kWalFrame) of bytes [8, 64)
inline constexpr size_t kMagic = 8;          // u32
inline constexpr size_t kVersion = 12;       // u16
inline constexpr size_t kHeaderLength = 14;  // u16, = 64
inline constexpr size_t kSequence = 16;      // u64, = the number in the file name
inline constexpr size_t kBaseIndex = 24;     // u64, index the first data frame must carry
inline constexpr size_t kCapacity = 32;      // u64, preallocated file size
inline constexpr size_t kEnd = 40;           // [40, 64) reserved, zero
}  // namespace segment_offset
static_assert(segment_offset::kEnd <= kSegmentHeaderSize);

// ---- Frame header: precedes every frame's stored payload. ----
inline constexpr uint32_t kFrameMagic = 0x46575155;  // "UQWF"
inline constexpr uint16_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderSize = 64;
inline constexpr uint32_t kFrameCompressed = 1u << 0;  // stored payload is one zstd frame
inline constexpr uint32_t kFrameTruncate = 1u << 1;    // marker: drop entries >= first_index
inline constexpr uint32_t kFrameKnownFlags = kFrameCompressed | kFrameTruncate;
namespace frame_offset {
inline constexpr size_t kChecksum = 0;       // u64: XXH3(kWalFrame) of [8, 64 + stored_length)
inline constexpr size_t kMagic = 8;          // u32
inline constexpr size_t kVersion = 12;       // u16
inline constexpr size_t kHeaderLength = 14;  // u16, = 64
inline constexpr size_t kFlags = 16;         // u32
inline constexpr size_t kStoredLength = 20;  // u32, payload bytes on disk after the header
inline constexpr size_t kRawLength = 24;     // u32, payload bytes once decompressed
inline constexpr size_t kCount = 28;         // u32, entries in the frame (0 for a marker)
inline constexpr size_t kFirstIndex = 32;    // u64
inline constexpr size_t kFirstTerm = 40;     // u64, term of the first entry
inline constexpr size_t kLastTerm = 48;      // u64, term of the last entry
inline constexpr size_t kSyncedOffset = 56;  // u32, segment bytes known durable when written
inline constexpr size_t kReserved = 60;      // u32, zero
}  // namespace frame_offset
static_assert(frame_offset::kReserved + 4 == kFrameHeaderSize);

// ---- Entry record inside a raw (decompressed) payload; entry i has index first_index + i. ----
inline constexpr size_t kEntryHeaderSize = 13;  // term u64, payload length u32, type u8
inline constexpr size_t kMaxFrameRawBytes = 256u << 20;

// ---- Two-slot record file (hard state, log meta): two kSlotSize slots at 0 and kSlotSize. ----
inline constexpr size_t kSlotSize = 4096;
inline constexpr uint16_t kSlotVersion = 1;
namespace slot_offset {
inline constexpr size_t kChecksum = 0;        // u64: XXH3(domain) of [8, kSlotSize)
inline constexpr size_t kMagic = 8;           // u32
inline constexpr size_t kVersion = 12;        // u16
inline constexpr size_t kPayloadLength = 14;  // u16
inline constexpr size_t kSequence = 16;       // u64, higher wins
inline constexpr size_t kPayload = 24;
}  // namespace slot_offset
inline constexpr size_t kSlotPayloadMax = kSlotSize - slot_offset::kPayload;

inline void store_u16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
inline void store_u64(uint8_t* p, uint64_t v) {
  std::memcpy(p, &v, 8);
}
inline uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// A decoded, validated frame header.
struct FrameHeader {
  uint32_t flags = 0;
  uint32_t stored_length = 0;
  uint32_t raw_length = 0;
  uint32_t count = 0;
  Index first_index = 0;
  Term first_term = 0;
  Term last_term = 0;
  uint32_t synced_offset = 0;

  bool compressed() const { return (flags & kFrameCompressed) != 0; }
  bool is_truncate() const { return (flags & kFrameTruncate) != 0; }
  size_t frame_size() const { return kFrameHeaderSize + stored_length; }
};

// Writes the header into out[0, 64) and the checksum over out[8, 64 + stored_length); the stored
// payload must already be at out + 64.
void encode_frame_header(const FrameHeader& header, uint8_t* out);

// Validates the header at bytes[0, 64) against its own fields and `available` (bytes from the
// frame start to the end of the segment), then the checksum over the stored payload. The error
// message says what was wrong (without file or offset: the caller adds those).
Result<FrameHeader> decode_frame(const uint8_t* bytes, size_t available);

struct SegmentHeader {
  uint64_t sequence = 0;
  Index base_index = 0;
  uint64_t capacity = 0;
};
void encode_segment_header(const SegmentHeader& header, uint8_t* out);
Result<SegmentHeader> decode_segment_header(const uint8_t* bytes, size_t available);

// True when bytes[0, size) are all zero (the unwritten, preallocated end of a segment).
bool all_zero(const uint8_t* bytes, size_t size);

}  // namespace uq::wal
