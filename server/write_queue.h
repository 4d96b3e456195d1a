// server/write_queue.h — queued writes (`POST /db/execute?queue`, spec §5).
//
// Owns the node's one write queue: requests are accepted at once with a sequence number, and a
// flusher thread turns up to -write-queue-batch-size of them (or whatever arrived within
// -write-queue-timeout of the first) into ONE execute request, in arrival order, submitted to the
// write path. Batches are submitted one at a time, so they apply in sequence-number order.
// `?wait` callers are told when the batch holding their request has been applied.
// Threads: enqueue() from any reactor; the flusher thread runs batches; waiter callbacks run on
// the database's apply thread and must only post to a reactor.
// Guarantees and limits: at most -write-queue-capacity requests wait unbatched (enqueue() refuses
// beyond that; the caller retries or answers); acknowledged queued writes live in memory until
// their batch is applied — a crash loses them, exactly as rqlite documents. SQL errors inside a
// batch are dropped; a batch the database cannot accept is retried after 1 s, keeping order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "sql/database.h"
#include "sql/request.h"

namespace uq::server {

class WriteQueue {
 public:
  // Called with true once the batch holding the request was applied (false if the queue closed
  // first). Runs on a database thread.
  using Waiter = std::function<void(bool applied)>;
  // Runs one batch through the write path (forwarding to the leader if need be); the callback
  // gets the result, any thread.
  using Submit = std::function<void(sql::Request&&, sql::ExecOptions&&, sql::Database::Done)>;

  WriteQueue(Submit submit, size_t capacity, size_t batch_size, std::chrono::nanoseconds timeout,
             bool transaction);
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Any thread. Returns the request's sequence number, or 0 when the queue is full or closed.
  // An empty request is a barrier: it gets a number and its waiter fires with its batch.
  uint64_t enqueue(sql::Request&& request, Waiter waiter);
  // Highest sequence number whose batch was applied (/status http.queue._default.sequence_number).
  uint64_t applied_sequence() const;
  // Flushes what is queued, waits for it to apply, stops the flusher. Idempotent.
  void close();

 private:
  struct Item {
    uint64_t sequence;
    sql::Request request;
    Waiter waiter;
  };
  void flusher_main();
  // Submits one batch and waits until it has applied (retrying while the database refuses it).
  void run_batch(std::vector<Item>&& items);

  Submit submit_;
  const size_t capacity_;
  const size_t batch_size_;
  const std::chrono::nanoseconds timeout_;
  const bool transaction_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;                                 // guarded by mu_
  std::chrono::steady_clock::time_point first_arrival_{};  // guarded by mu_
  uint64_t next_sequence_;                                 // guarded by mu_
  uint64_t applied_sequence_ = 0;                          // guarded by mu_
  bool closing_ = false;                                   // guarded by mu_
  // Set by close(): a batch that cannot be applied now (no leader) is not retried any more.
  bool hard_stop_ = false;  // guarded by mu_
  std::thread flusher_;
};

}  // namespace uq::server
