// core/checksum.h — the one checksum of the project.
//
// Every checksummed byte range (WAL frames, hard-state slots, Raft messages on the wire, snapshot
// chunks) uses XXH3-64 from xxHash. Why XXH3 and not CRC32C: it runs at memory speed on any
// x86-64 (no SSE4.2 dispatch to get right), it is 64 bits wide (a random corruption slips through
// with probability 2^-64 rather than 2^-32), and xxHash is already a dependency. The seed
// separates domains so a WAL frame can never verify as a wire message. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uq {

enum class ChecksumDomain : uint64_t {
  kWalFrame = 0x5751'4c46'5241'4d45,  // "WQLFRAME"
  kHardState = 0x5751'4853'5441'5445,
  kRaftMessage = 0x5751'5246'544d'5347,
  kSnapshot = 0x5751'534e'4150'5348,
  kWire = 0x5751'5749'5245'4652,
  // Not a checksum: the 64-bit Raft id derived from a node's string id (server/store.h).
  kNodeId = 0x5751'4e4f'4445'4944,
};

uint64_t checksum(ChecksumDomain domain, const void* data, size_t size);
inline uint64_t checksum(ChecksumDomain domain, std::string_view bytes) {
  return checksum(domain, bytes.data(), bytes.size());
}

// Streaming form for data that arrives in pieces (header then payload, snapshot chunks).
class Checksummer {
 public:
  explicit Checksummer(ChecksumDomain domain);
  ~Checksummer();
  Checksummer(const Checksummer&) = delete;
  Checksummer& operator=(const Checksummer&) = delete;
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  void* state_;  // XXH3_state_t, kept opaque so xxhash.h stays out of every includer.
};

}  // namespace uq
