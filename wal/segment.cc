#include "wal/segment.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace uq::wal {

std::string segment_file_name(uint64_t sequence) {
  char name[32];
  std::snprintf(name, sizeof(name), "wal-%016" PRIx64 ".seg", sequence);
  return name;
}

bool parse_segment_file_name(const std::string& name, uint64_t* sequence) {
  if (name.size() != 24 || name.compare(0, 4, "wal-") != 0 || name.compare(20, 4, ".seg") != 0) {
    return false;
  }
  uint64_t value = 0;
  for (size_t i = 4; i < 20; ++i) {
    char c = name[i];
    int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (digit < 0) {
      return false;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  *sequence = value;
  return true;
}

namespace {

// Looks for a valid frame starting after `from` whose synced_offset proves `from` was durable.
std::optional<uint64_t> find_later_durable_frame(const uint8_t* data, size_t size, uint64_t from) {
  uint8_t magic[4];
  store_u32(magic, kFrameMagic);
  for (uint64_t pos = from + 1; pos + kFrameHeaderSize <= size; ++pos) {
    const uint8_t* hit =
        std::search(data + pos + frame_offset::kMagic, data + size, magic, magic + 4);
    if (hit == data + size) {
      return std::nullopt;
    }
    pos = static_cast<uint64_t>(hit - data) - frame_offset::kMagic;
    if (pos + kFrameHeaderSize > size) {
      return std::nullopt;
    }
    auto header = decode_frame(data + pos, size - pos);
    if (header.is_ok() && header->synced_offset > from) {
      return pos;
    }
  }
  return std::nullopt;
}

uint64_t last_nonzero_end(const uint8_t* data, uint64_t from, uint64_t size) {
  uint64_t end = size;
  while (end - from >= 8 && load_u64(data + end - 8) == 0) {
    end -= 8;
  }
  while (end > from && data[end - 1] == 0) {
    --end;
  }
  return end;
}

}  // namespace

Result<SegmentScan> scan_segment(File* file, const std::string& path,
                                 std::vector<uint8_t>* buffer) {
  auto size = file->size();
  if (!size.is_ok()) {
    return size.status();
  }
  SegmentScan scan;
  scan.file_size = *size;
  buffer->resize(scan.file_size);
  auto n = file->read(buffer->data(), buffer->size(), 0);
  if (!n.is_ok()) {
    return n.status();
  }
  if (*n != scan.file_size) {
    return error(Code::kIoError, path + ": short read");
  }
  const uint8_t* data = buffer->data();
  auto header = decode_segment_header(data, scan.file_size);
  if (!header.is_ok()) {
    return error(Code::kCorruption, path + " offset 0: " + header.status().message());
  }
  scan.header = *header;
  uint64_t offset = kSegmentHeaderSize;
  while (true) {
    uint64_t left = scan.file_size - offset;
    if (left < kFrameHeaderSize && all_zero(data + offset, left)) {
      break;
    }
    if (left >= kFrameHeaderSize && all_zero(data + offset, kFrameHeaderSize)) {
      scan.tail_problem = "zero frame header";
      break;
    }
    auto frame = decode_frame(data + offset, left);
    if (!frame.is_ok()) {
      scan.tail_problem = frame.status().message();
      break;
    }
    scan.frames.push_back({offset, *frame});
    offset += frame->frame_size();
  }
  scan.end_offset = offset;
  scan.tail_end = last_nonzero_end(data, offset, scan.file_size);
  if (!scan.clean_end()) {
    scan.later_frame_offset = find_later_durable_frame(data, scan.file_size, offset);
  }
  return scan;
}

}  // namespace uq::wal
