#include "core/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace uq {
namespace {

TEST(Checksum, StreamingEqualsOneShot) {
  std::string bytes(1000, 'x');
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(i * 7);
  }
  Checksummer streaming(ChecksumDomain::kWalFrame);
  streaming.update(bytes.data(), 10);
  streaming.update(bytes.data() + 10, bytes.size() - 10);
  EXPECT_EQ(streaming.digest(), checksum(ChecksumDomain::kWalFrame, bytes));
}

TEST(Checksum, DomainsDiffer) {
  EXPECT_NE(checksum(ChecksumDomain::kWalFrame, "abc"), checksum(ChecksumDomain::kWire, "abc"));
}

TEST(Checksum, FlippedBitChangesDigest) {
  std::string bytes = "hello world";
  uint64_t before = checksum(ChecksumDomain::kSnapshot, bytes);
  bytes[3] ^= 0x10;
  EXPECT_NE(before, checksum(ChecksumDomain::kSnapshot, bytes));
}

}  // namespace
}  // namespace uq
