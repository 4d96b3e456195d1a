// net/provided_buffers.h — a ring of receive buffers the kernel picks from
// (IORING_REGISTER_PBUF_RING).
//
// Owns: count buffers of size bytes each, and the shared ring through which they are handed to
// the kernel. Threads: the reactor thread that owns the io_uring. Guarantees: a buffer the kernel
// returned in a CQE stays ours until recycle(bid); the ring is unregistered on destruction.
// Multishot receives on idle connections then hold no memory of their own.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace uq::net {

class ProvidedBuffers {
 public:
  // nullptr when the kernel refuses the registration (callers fall back to single-shot recv).
  // count must be a power of two.
  static std::unique_ptr<ProvidedBuffers> create(io_uring* ring, unsigned count, size_t size);
  ~ProvidedBuffers();
  ProvidedBuffers(const ProvidedBuffers&) = delete;
  ProvidedBuffers& operator=(const ProvidedBuffers&) = delete;

  uint16_t group() const { return group_; }
  const char* data(uint16_t bid) const { return storage_.get() + size_t{bid} * size_; }
  // Gives buffer bid back to the kernel.
  void recycle(uint16_t bid);

 private:
  ProvidedBuffers(io_uring* ring, unsigned count, size_t size, uint16_t group)
      : ring_(ring), count_(count), size_(size), group_(group) {}

  io_uring* ring_;
  unsigned count_;
  size_t size_;
  uint16_t group_;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t ring_bytes_ = 0;
  std::unique_ptr<char[]> storage_;
};

}  // namespace uq::net
