// core/reactor.h — one io_uring event loop per thread.
//
// Owns: the ring, an eventfd read that sits in the ring so other threads can wake it, a bounded
// MPSC queue of functions posted from any thread, and one-shot millisecond timers.
// Threads: create() on any thread; run() on the thread that becomes the owner; post() and stop()
// from any thread; everything else only on the owner thread (or before run() starts).
// Guarantees: CQEs are dispatched to the uq::core::Completion* in user_data (0 = ignored), on the
// owner thread, in the order the ring delivers them; posted functions run on the owner thread in
// FIFO order per poster; nothing in the loop blocks except the wait for the next CQE, which is
// bounded by the next timer. Features are probed once at create() and logged at INFO.
#pragma once

#include <liburing.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core/completion.h"
#include "core/mpsc_queue.h"
#include "core/spin.h"
#include "core/status.h"
#include "core/uring_probe.h"

namespace uq::core {

struct ReactorOptions {
  unsigned ring_entries = 4096;
  size_t post_queue_capacity = 65536;
  // Take the single-shot accept/recv paths even where the kernel has multishot (tests use it; the
  // environment variable UQ_URING_NO_MULTISHOT=1 does the same for every reactor).
  bool force_no_multishot = false;
  // While answers to expect_reply() are outstanding, the loop polls for them this long before it
  // sleeps in io_uring_enter (core/spin.h says when it does not). 0 = never poll.
  unsigned reply_spin_us = 100;
};

class Reactor {
 public:
  // Fails with kUnavailable when the kernel refuses io_uring (EPERM, ENOSYS) so callers and tests
  // can say why; index is this reactor's number among its siblings (0 = the raft core).
  static Result<std::unique_ptr<Reactor>> create(int index, const ReactorOptions& options);
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  int index() const { return index_; }
  io_uring* ring() { return &ring_; }
  const RingFeatures& features() const { return features_; }

  // Owner thread. Never returns nullptr: when the SQ is full it submits and takes a fresh entry.
  // Before run() another thread may prepare SQEs (up to ring_entries); they are submitted by
  // run() on the owner thread, which matters because io_uring runs a request's completion work
  // in the submitting thread.
  io_uring_sqe* get_sqe();

  // Runs the loop on the calling thread until stop(). May be called again after it returns, but
  // when the thread that ran it exits, io_uring cancels the requests it submitted (their owners
  // see -ECANCELED), so keep one thread per reactor for its whole life.
  void run();
  // Any thread; run() returns after the current iteration.
  void stop();
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  // Any thread: queue fn to run on the owner thread and wake the ring. False when the queue is
  // full (fn is then dropped unrun; the caller decides what to do).
  bool post(std::function<void()> fn);

  // Any thread: work was handed to another thread whose answer comes back through post_reply().
  // While few are outstanding, an idle loop polls for up to reply_spin_us before it sleeps, and a
  // reply that lands meanwhile skips the eventfd write. Every expect_reply() must be matched by
  // exactly one post_reply(); an unmatched one costs at most one poll per idle turn, never a lost
  // wake-up.
  void expect_reply() { awaited_replies_.fetch_add(1, std::memory_order_relaxed); }
  // Any thread: post() for the answer an expect_reply() announced.
  bool post_reply(std::function<void()> fn);
  // Owner thread: more work is likely within microseconds (a client was just sent a quick
  // answer and may send its next request at once): idle turns poll the ring as they would for an
  // awaited reply, unless many replies are outstanding, until one poll passes without work.
  void expect_soon() { expect_soon_ = true; }

  // Owner thread: run fn once after delay (millisecond resolution). Ids are never reused.
  uint64_t add_timer(std::chrono::milliseconds delay, std::function<void()> fn);
  // Owner thread: a no-op when the timer already ran or was cancelled.
  void cancel_timer(uint64_t id);

  // Owner thread: milliseconds on the steady clock, read once per loop iteration (cheap).
  int64_t now_ms() const { return now_ms_; }

  // The reactor whose run() is executing on this thread, or nullptr.
  static Reactor* current();

 private:
  class WakeRead final : public Completion {
   public:
    explicit WakeRead(Reactor* reactor) : reactor_(reactor) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    Reactor* reactor_;
  };

  Reactor(int index, const ReactorOptions& options);
  Status init_ring();
  void arm_wake_read();
  void wake();
  void run_posted();
  void run_due_timers();
  // Milliseconds until the next live timer, -1 when there is none.
  int64_t next_timer_delay_ms();
  void wait_and_dispatch(int64_t timeout_ms);
  // Owner thread: polls the post queue and the ring for up to reply_spin_us while replies are
  // awaited or after expect_soon(); true when something arrived (the loop then runs it without
  // sleeping).
  bool poll_for_reply();
  static int64_t steady_now_ms();

  const int index_;
  const ReactorOptions options_;
  io_uring ring_{};
  bool ring_ready_ = false;
  RingFeatures features_;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  WakeRead wake_read_{this};
  MpscQueue<std::function<void()>> posted_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<int64_t> awaited_replies_{0};
  // True while the owner polls in poll_for_reply(): posters then skip the eventfd write.
  std::atomic<bool> polling_{false};
  bool expect_soon_ = false;  // owner thread only
  HandoffPoller poller_;      // owner thread only
  int64_t now_ms_ = 0;

  using TimerKey = std::pair<int64_t, uint64_t>;  // (deadline_ms, id)
  std::priority_queue<TimerKey, std::vector<TimerKey>, std::greater<>> timer_heap_;
  std::unordered_map<uint64_t, std::function<void()>> timers_;
  uint64_t next_timer_id_ = 1;
};

}  // namespace uq::core
