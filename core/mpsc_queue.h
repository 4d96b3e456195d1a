// core/mpsc_queue.h — bounded lock-free queue from many producer threads to one consumer thread.
//
// Owns: a fixed ring of cells sized at construction (capacity rounded up to a power of two).
// Threads: try_push() from any thread; try_pop() only from the one consumer thread (a reactor).
// Guarantees: FIFO per producer; try_push() never blocks and never allocates beyond the value
// itself, and returns false when the queue is full so the caller decides (retry, 503, shed).
// This is D. Vyukov's bounded queue: each cell carries a sequence number that says whether it is
// free for the producer of lap N or full for the consumer of lap N, so producers only contend on
// one atomic ticket and the consumer never writes a shared counter other than its own.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "core/check.h"

namespace uq::core {

template <typename T>
class MpscQueue {
 public:
  explicit MpscQueue(size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity) - 1),
        cells_(std::make_unique<Cell[]>(mask_ + 1)) {
    for (size_t i = 0; i <= mask_; ++i) {
      cells_[i].sequence.store(i, std::memory_order_relaxed);
    }
  }
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Any thread. Moves value in and returns true, or returns false (value untouched) when full.
  bool try_push(T&& value) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.sequence.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value.emplace(std::move(value));
          cell.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the cell still holds lap N-1's value: full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Consumer thread only. Returns the oldest value, or nullopt when empty (or when the oldest
  // producer has claimed its cell but not yet filled it; the consumer sees it on a later call).
  std::optional<T> try_pop() {
    Cell& cell = cells_[head_ & mask_];
    size_t seq = cell.sequence.load(std::memory_order_acquire);
    if (seq != head_ + 1) {
      return std::nullopt;
    }
    std::optional<T> out(std::move(*cell.value));
    cell.value.reset();
    cell.sequence.store(head_ + mask_ + 1, std::memory_order_release);
    ++head_;
    return out;
  }

  // Consumer thread only: true when try_pop() would find nothing right now.
  bool empty() const {
    return cells_[head_ & mask_].sequence.load(std::memory_order_acquire) != head_ + 1;
  }

 private:
  struct Cell {
    std::atomic<size_t> sequence{0};
    std::optional<T> value;
  };

  const size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<size_t> tail_{0};
  alignas(64) size_t head_ = 0;
};

}  // namespace uq::core
