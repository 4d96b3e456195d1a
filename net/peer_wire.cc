// The node-to-node wire format: preamble, frame encoding and decoding (docs/transport.md).

#include <cstring>

#include "core/checksum.h"
#include "net/peer.h"

namespace uq::net::peer_wire {
namespace {

constexpr char kPreamble[kPreambleBytes] = {'U',
                                            'Q',
                                            'P',
                                            'E',
                                            'E',
                                            'R',
                                            static_cast<char>(kVersion & 0xff),
                                            static_cast<char>(kVersion >> 8)};

void put_le(char* out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

uint64_t get_le(const char* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return value;
}

bool known_kind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(FrameKind::kMessage) &&
         kind <= static_cast<uint8_t>(FrameKind::kPong);
}

}  // namespace

std::string_view preamble() {
  return std::string_view(kPreamble, kPreambleBytes);
}

void append_frame(std::string& out, FrameKind kind, uint8_t method, uint64_t call_id,
                  std::string_view payload) {
  size_t start = out.size();
  out.resize(start + kHeaderBytes);
  char* header = out.data() + start;
  put_le(header, payload.size(), 4);
  header[4] = static_cast<char>(kind);
  header[5] = static_cast<char>(method);
  put_le(header + 6, 0, 2);
  put_le(header + 8, call_id, 8);
  out.append(payload);
  uint64_t sum = checksum(ChecksumDomain::kWire, out.data() + start, out.size() - start);
  char trailer[kTrailerBytes];
  put_le(trailer, sum, kTrailerBytes);
  out.append(trailer, kTrailerBytes);
}

Decoded decode_frame(std::string_view buffer, size_t max_frame_bytes) {
  Decoded out;
  if (buffer.size() < kHeaderBytes) {
    out.need_bytes = kHeaderBytes;
    return out;
  }
  const char* p = buffer.data();
  out.header.payload_bytes = static_cast<uint32_t>(get_le(p, 4));
  uint8_t kind = static_cast<uint8_t>(p[4]);
  out.header.kind = static_cast<FrameKind>(kind);
  out.header.method = static_cast<uint8_t>(p[5]);
  out.header.reserved = static_cast<uint16_t>(get_le(p + 6, 2));
  out.header.call_id = get_le(p + 8, 8);
  out.result = Decoded::Result::kBad;
  if (!known_kind(kind)) {
    out.why = "unknown frame kind";
    return out;
  }
  if (out.header.reserved != 0) {
    out.why = "reserved bits set";
    return out;
  }
  if (out.header.payload_bytes > max_frame_bytes) {
    out.why = "frame longer than max_frame_bytes";
    return out;
  }
  size_t total = kHeaderBytes + out.header.payload_bytes + kTrailerBytes;
  if (buffer.size() < total) {
    out.result = Decoded::Result::kNeedMore;
    out.need_bytes = total;
    return out;
  }
  uint64_t expected = get_le(p + total - kTrailerBytes, kTrailerBytes);
  if (checksum(ChecksumDomain::kWire, p, total - kTrailerBytes) != expected) {
    out.why = "bad checksum";
    return out;
  }
  out.result = Decoded::Result::kFrame;
  out.payload = std::string_view(p + kHeaderBytes, out.header.payload_bytes);
  out.frame_bytes = total;
  return out;
}

}  // namespace uq::net::peer_wire
