#include "wal/layout.h"

#include "core/checksum.h"

namespace uq::wal {

namespace {

Status bad(const std::string& what) {
  return error(Code::kCorruption, what);
}

}  // namespace

void encode_frame_header(const FrameHeader& header, uint8_t* out) {
  namespace o = frame_offset;
  store_u32(out + o::kMagic, kFrameMagic);
  store_u16(out + o::kVersion, kFrameVersion);
  store_u16(out + o::kHeaderLength, kFrameHeaderSize);
  store_u32(out + o::kFlags, header.flags);
  store_u32(out + o::kStoredLength, header.stored_length);
  store_u32(out + o::kRawLength, header.raw_length);
  store_u32(out + o::kCount, header.count);
  store_u64(out + o::kFirstIndex, header.first_index);
  store_u64(out + o::kFirstTerm, header.first_term);
  store_u64(out + o::kLastTerm, header.last_term);
  store_u32(out + o::kSyncedOffset, header.synced_offset);
  store_u32(out + o::kReserved, 0);
  uint64_t sum =
      checksum(ChecksumDomain::kWalFrame, out + 8, kFrameHeaderSize - 8 + header.stored_length);
  store_u64(out + o::kChecksum, sum);
}

// Field checks come before the checksum so a damaged length can never make us read past the end.
Result<FrameHeader> decode_frame(const uint8_t* bytes, size_t available) {
  namespace o = frame_offset;
  if (available < kFrameHeaderSize) {
    return bad("frame header cut short: " + std::to_string(available) + " bytes left in segment");
  }
  if (load_u32(bytes + o::kMagic) != kFrameMagic) {
    return bad("bad frame magic");
  }
  if (load_u16(bytes + o::kVersion) != kFrameVersion) {
    return bad("unknown frame version " + std::to_string(load_u16(bytes + o::kVersion)));
  }
  if (load_u16(bytes + o::kHeaderLength) != kFrameHeaderSize) {
    return bad("bad frame header length");
  }
  FrameHeader h;
  h.flags = load_u32(bytes + o::kFlags);
  h.stored_length = load_u32(bytes + o::kStoredLength);
  h.raw_length = load_u32(bytes + o::kRawLength);
  h.count = load_u32(bytes + o::kCount);
  h.first_index = load_u64(bytes + o::kFirstIndex);
  h.first_term = load_u64(bytes + o::kFirstTerm);
  h.last_term = load_u64(bytes + o::kLastTerm);
  h.synced_offset = load_u32(bytes + o::kSyncedOffset);
  if ((h.flags & ~kFrameKnownFlags) != 0 || load_u32(bytes + o::kReserved) != 0) {
    return bad("unknown frame flags or nonzero reserved bytes");
  }
  if (h.stored_length > available - kFrameHeaderSize) {
    return bad("frame length " + std::to_string(h.stored_length) + " runs past the segment end");
  }
  if (h.raw_length > kMaxFrameRawBytes || h.first_index == 0 || h.first_term > h.last_term) {
    return bad("frame header fields out of range");
  }
  if (h.is_truncate()) {
    if (h.compressed() || h.count != 0 || h.stored_length != 0 || h.raw_length != 0) {
      return bad("truncate marker with a payload");
    }
  } else if (h.count == 0 || uint64_t{h.count} * kEntryHeaderSize > h.raw_length ||
             (!h.compressed() && h.stored_length != h.raw_length) ||
             (h.compressed() && h.stored_length >= h.raw_length)) {
    return bad("frame lengths inconsistent with its entry count or compression flag");
  }
  uint64_t sum =
      checksum(ChecksumDomain::kWalFrame, bytes + 8, kFrameHeaderSize - 8 + h.stored_length);
  if (sum != load_u64(bytes + o::kChecksum)) {
    return bad("frame checksum mismatch");
  }
  return h;
}

void encode_segment_header(const SegmentHeader& header, uint8_t* out) {
  namespace o = segment_offset;
  std::memset(out, 0, kSegmentHeaderSize);
  store_u32(out + o::kMagic, kSegmentMagic);
  store_u16(out + o::kVersion, kSegmentVersion);
  store_u16(out + o::kHeaderLength, kSegmentHeaderSize);
  store_u64(out + o::kSequence, header.sequence);
  store_u64(out + o::kBaseIndex, header.base_index);
  store_u64(out + o::kCapacity, header.capacity);
  store_u64(out + o::kChecksum,
            checksum(ChecksumDomain::kWalFrame, out + 8, kSegmentHeaderSize - 8));
}

Result<SegmentHeader> decode_segment_header(const uint8_t* bytes, size_t available) {
  namespace o = segment_offset;
  if (available < kSegmentHeaderSize) {
    return bad("segment shorter than its header (" + std::to_string(available) + " bytes)");
  }
  if (load_u32(bytes + o::kMagic) != kSegmentMagic ||
      load_u16(bytes + o::kVersion) != kSegmentVersion ||
      load_u16(bytes + o::kHeaderLength) != kSegmentHeaderSize) {
    return bad("bad segment header magic, version or length");
  }
  if (checksum(ChecksumDomain::kWalFrame, bytes + 8, kSegmentHeaderSize - 8) !=
      load_u64(bytes + o::kChecksum)) {
    return bad("segment header checksum mismatch");
  }
  SegmentHeader h;
  h.sequence = load_u64(bytes + o::kSequence);
  h.base_index = load_u64(bytes + o::kBaseIndex);
  h.capacity = load_u64(bytes + o::kCapacity);
  if (h.base_index == 0) {
    return bad("segment base index 0");
  }
  return h;
}

bool all_zero(const uint8_t* bytes, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    if (load_u64(bytes + i) != 0) {
      return false;
    }
  }
  for (; i < size; ++i) {
    if (bytes[i] != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace uq::wal
