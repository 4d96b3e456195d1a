// core/bytes.h — little-endian binary encoding helpers for the project's wire and log formats.
//
// Owns nothing: free functions that append fixed-width integers, LEB128 varints and
// length-prefixed byte strings to a std::string, and ByteReader, a bounds-checked cursor over
// untrusted bytes. Any thread. ByteReader never reads past its input: the first failed read
// makes ok() false for good and every later read returns zero/empty, so a decoder can read a
// whole structure and check ok() once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uq::core {

inline void put_u8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}

inline void put_u32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) {
    b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  out->append(b, 4);
}

inline void put_u64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  out->append(b, 8);
}

inline void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// u32 length, then the bytes.
inline void put_bytes32(std::string* out, std::string_view bytes) {
  put_u32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

// varint length, then the bytes.
inline void put_bytes_varint(std::string* out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out->append(bytes);
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  // What is left, without consuming it.
  std::string_view rest() const { return bytes_.substr(pos_); }

  uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  uint64_t varint() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1)) {
        return 0;
      }
      auto byte = static_cast<uint8_t>(bytes_[pos_++]);
      if (shift == 63 && byte > 1) {
        break;  // more than 64 bits
      }
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        return result;
      }
    }
    ok_ = false;
    return 0;
  }
  std::string_view bytes32() { return take(u32()); }
  std::string_view bytes_varint() { return take(varint()); }
  // A count of items each at least `min_item_size` bytes: counts the input cannot hold fail
  // before anyone allocates for them.
  uint32_t count(size_t min_item_size) {
    uint32_t n = u32();
    if (ok_ && static_cast<uint64_t>(n) * min_item_size > remaining()) {
      ok_ = false;
      return 0;
    }
    return n;
  }
  void fail() { ok_ = false; }

 private:
  bool need(uint64_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  uint64_t fixed(int size) {
    if (!need(static_cast<uint64_t>(size))) {
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < size; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += static_cast<size_t>(size);
    return v;
  }
  std::string_view take(uint64_t n) {
    if (!need(n)) {
      return {};
    }
    std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace uq::core
