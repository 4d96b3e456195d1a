#include "net/provided_buffers.h"

#include <sys/mman.h>

#include <atomic>

#include "core/check.h"
#include "core/log.h"

namespace uq::net {
namespace {

// Group ids only need to be unique per ring; one process-wide counter is simplest.
std::atomic<uint16_t> g_next_group{1};

}  // namespace

std::unique_ptr<ProvidedBuffers> ProvidedBuffers::create(io_uring* ring, unsigned count,
                                                         size_t size) {
  UQ_CHECK(count > 0 && (count & (count - 1)) == 0 && count <= 32768,
           "provided buffer count %u must be a power of two <= 32768", count);
  std::unique_ptr<ProvidedBuffers> buffers(
      new ProvidedBuffers(ring, count, size, g_next_group.fetch_add(1)));
  buffers->ring_bytes_ = count * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, buffers->ring_bytes_, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    return nullptr;
  }
  buffers->buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = count;
  reg.bgid = buffers->group_;
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc != 0) {
    UQ_WARN("io_uring_register_buf_ring: %d; falling back to single-shot recv", rc);
    munmap(mem, buffers->ring_bytes_);
    buffers->buf_ring_ = nullptr;
    return nullptr;
  }
  buffers->storage_.reset(new char[count * size]);
  io_uring_buf_ring_init(buffers->buf_ring_);
  int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i) {
    io_uring_buf_ring_add(buffers->buf_ring_, buffers->storage_.get() + i * size,
                          static_cast<unsigned>(size), static_cast<uint16_t>(i), mask,
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffers->buf_ring_, static_cast<int>(count));
  return buffers;
}

ProvidedBuffers::~ProvidedBuffers() {
  if (buf_ring_ != nullptr) {
    io_uring_unregister_buf_ring(ring_, group_);
    munmap(buf_ring_, ring_bytes_);
  }
}

void ProvidedBuffers::recycle(uint16_t bid) {
  UQ_DCHECK(bid < count_, "buffer id %u out of range", bid);
  io_uring_buf_ring_add(buf_ring_, storage_.get() + size_t{bid} * size_,
                        static_cast<unsigned>(size_), bid, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

}  // namespace uq::net
