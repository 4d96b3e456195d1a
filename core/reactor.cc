#include "core/reactor.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/check.h"
#include "core/log.h"
#include "core/spin.h"

namespace uq::core {
namespace {

thread_local Reactor* t_current = nullptr;
constexpr unsigned kCqeBatch = 256;
constexpr int64_t kMaxAwaitedToPoll = 4;

}  // namespace

Reactor::Reactor(int index, const ReactorOptions& options)
    : index_(index),
      options_(options),
      posted_(options.post_queue_capacity),
      poller_(std::chrono::microseconds(options.reply_spin_us)) {}

Result<std::unique_ptr<Reactor>> Reactor::create(int index, const ReactorOptions& options) {
  std::unique_ptr<Reactor> reactor(new Reactor(index, options));
  UQ_RETURN_IF_ERROR(reactor->init_ring());
  reactor->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (reactor->wake_fd_ < 0) {
    return error(Code::kIoError, std::string("eventfd: ") + std::strerror(errno));
  }
  reactor->now_ms_ = steady_now_ms();
  // Prepared only: run() submits it from the owner thread. A request's completion work runs in
  // the task that submitted it, so submitting here would tie this ring to the creating thread
  // (its blocking calls would see EINTR, and its exit would cancel our requests).
  reactor->arm_wake_read();
  // Log the choice once per process: every reactor probes the same kernel.
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    UQ_INFO("io_uring features: %s", describe(reactor->features_).c_str());
  }
  return reactor;
}

// Tries the most useful setup flags first and drops them one by one on EINVAL, so an older
// kernel still gets a ring. EPERM/ENOSYS mean io_uring is refused altogether (seccomp, sysctl).
Status Reactor::init_ring() {
  // TASKRUN_FLAG: with cooperative task running, completion work waits for our next
  // io_uring_enter; the flag lets poll_for_reply() see that such work is pending.
  const unsigned flag_sets[] = {
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN, IORING_SETUP_SUBMIT_ALL, 0};
  int rc = -EINVAL;
  unsigned chosen = 0;
  for (unsigned flags : flag_sets) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = options_.ring_entries * 4;
    rc = io_uring_queue_init_params(options_.ring_entries, &ring_, &params);
    if (rc != -EINVAL) {
      chosen = flags;
      break;
    }
  }
  if (rc == -EPERM || rc == -ENOSYS) {
    return error(Code::kUnavailable, std::string("io_uring unavailable: ") + std::strerror(-rc));
  }
  if (rc < 0) {
    return error(Code::kIoError, std::string("io_uring_queue_init: ") + std::strerror(-rc));
  }
  ring_ready_ = true;
  bool no_multishot = options_.force_no_multishot || env_forces_no_multishot();
  features_ = probe_ring_features(&ring_, (chosen & IORING_SETUP_SUBMIT_ALL) != 0, no_multishot);
  return Status::ok();
}

Reactor::~Reactor() {
  if (ring_ready_) {
    io_uring_queue_exit(&ring_);
  }
  if (wake_fd_ >= 0) {
    close(wake_fd_);
  }
}

Reactor* Reactor::current() {
  return t_current;
}

int64_t Reactor::steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

io_uring_sqe* Reactor::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  UQ_CHECK(sqe != nullptr, "no SQE after submitting (ring %d)", index_);
  return sqe;
}

void Reactor::arm_wake_read() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(&wake_read_));
}

void Reactor::WakeRead::complete(int32_t res, uint32_t /*flags*/) {
  // ECANCELED: the thread that submitted the read exited (io_uring cancels a task's requests
  // when it exits), e.g. between two run() calls on different threads; just read again.
  UQ_CHECK(res == sizeof(uint64_t) || res == -EINTR || res == -EAGAIN || res == -ECANCELED,
           "eventfd read: %d", res);
  // Clear before draining: a post() that lands after this sees false and writes again, so no
  // wake-up is lost; one that lands before is drained by this turn of the loop.
  reactor_->wake_pending_.store(false, std::memory_order_seq_cst);
  reactor_->arm_wake_read();
}

void Reactor::wake() {
  if (!wake_pending_.exchange(true, std::memory_order_seq_cst)) {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    UQ_CHECK(n == sizeof(one) || errno == EAGAIN, "eventfd write: %s", std::strerror(errno));
  }
}

bool Reactor::post(std::function<void()> fn) {
  if (!posted_.try_push(std::move(fn))) {
    return false;
  }
  // The owner's loop runs what is posted before it waits again (a zero timeout while the queue
  // holds anything), so only another thread needs to ring the eventfd.
  if (t_current != this) {
    // Pairs with the fence in poll_for_reply(): either the owner sees this value in the queue
    // before it stops polling, or we see that it stopped and ring the eventfd.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!polling_.load(std::memory_order_relaxed)) {
      wake();
    }
  }
  return true;
}

bool Reactor::post_reply(std::function<void()> fn) {
  if (!post(std::move(fn))) {
    return false;
  }
  awaited_replies_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void Reactor::stop() {
  stop_.store(true, std::memory_order_release);
  if (t_current != this) {
    wake_pending_.store(false, std::memory_order_seq_cst);
    wake();
  }
}

uint64_t Reactor::add_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
  uint64_t id = next_timer_id_++;
  int64_t base = t_current == this ? now_ms_ : steady_now_ms();
  timer_heap_.emplace(base + delay.count(), id);
  timers_.emplace(id, std::move(fn));
  return id;
}

void Reactor::cancel_timer(uint64_t id) {
  timers_.erase(id);
}

void Reactor::run_posted() {
  // Bounded per turn so a thread that posts in a tight loop cannot starve the ring.
  size_t budget = posted_.capacity();
  while (budget-- > 0) {
    std::optional<std::function<void()>> fn = posted_.try_pop();
    if (!fn) {
      break;
    }
    (*fn)();
  }
}

void Reactor::run_due_timers() {
  while (!timer_heap_.empty() && timer_heap_.top().first <= now_ms_) {
    uint64_t id = timer_heap_.top().second;
    timer_heap_.pop();
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      continue;  // cancelled
    }
    std::function<void()> fn = std::move(it->second);
    timers_.erase(it);
    fn();
  }
}

int64_t Reactor::next_timer_delay_ms() {
  while (!timer_heap_.empty() && timers_.count(timer_heap_.top().second) == 0) {
    timer_heap_.pop();
  }
  if (timer_heap_.empty()) {
    return -1;
  }
  int64_t delay = timer_heap_.top().first - now_ms_;
  return delay < 0 ? 0 : delay;
}

void Reactor::wait_and_dispatch(int64_t timeout_ms) {
  io_uring_cqe* cqe = nullptr;
  if (timeout_ms < 0) {
    io_uring_submit_and_wait(&ring_, 1);
  } else if (timeout_ms == 0) {
    io_uring_submit(&ring_);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1000000;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  }
  now_ms_ = steady_now_ms();
  // Copy a batch out and release the CQ slots before dispatching, so handlers that submit (and
  // so may generate more CQEs) never find the CQ full of entries we are still holding.
  io_uring_cqe* batch[kCqeBatch];
  for (;;) {
    unsigned count = io_uring_peek_batch_cqe(&ring_, batch, kCqeBatch);
    if (count == 0) {
      break;
    }
    struct Entry {
      uint64_t user_data;
      int32_t res;
      uint32_t flags;
    } entries[kCqeBatch];
    for (unsigned i = 0; i < count; ++i) {
      entries[i] = {batch[i]->user_data, batch[i]->res, batch[i]->flags};
    }
    io_uring_cq_advance(&ring_, count);
    for (unsigned i = 0; i < count; ++i) {
      if (entries[i].user_data != 0) {
        reinterpret_cast<Completion*>(entries[i].user_data)
            ->complete(entries[i].res, entries[i].flags);
      }
    }
    if (count < kCqeBatch) {
      break;
    }
  }
}

bool Reactor::poll_for_reply() {
  // Many replies outstanding (a busy node): they arrive in bursts that one eventfd wake-up
  // collects, and the CPU a poll burns is what the readers need. Poll for the last few only.
  int64_t awaited = awaited_replies_.load(std::memory_order_relaxed);
  if (!poller_.enabled() || awaited > kMaxAwaitedToPoll || (awaited <= 0 && !expect_soon_)) {
    return false;
  }
  // What the loop prepared (a response's send) must not wait for the poll.
  if (io_uring_sq_ready(&ring_) > 0) {
    io_uring_submit(&ring_);
  }
  polling_.store(true, std::memory_order_seq_cst);
  bool arrived = false;
  poller_.poll([&] {
    arrived = !posted_.empty() || io_uring_cq_ready(&ring_) > 0 ||
              (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0 ||
              stop_.load(std::memory_order_relaxed);
    return arrived || (!expect_soon_ && awaited_replies_.load(std::memory_order_relaxed) <= 0);
  });
  // What arrived may be the send of the answer that prompted expect_soon(), not the next request:
  // keep expecting until a whole poll passes without work.
  expect_soon_ = expect_soon_ && arrived;
  polling_.store(false, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return arrived || !posted_.empty();
}

void Reactor::run() {
  UQ_CHECK(t_current == nullptr, "a reactor is already running on this thread");
  t_current = this;
  now_ms_ = steady_now_ms();
  while (!stop_.load(std::memory_order_acquire)) {
    run_posted();
    now_ms_ = steady_now_ms();
    run_due_timers();
    if (stop_.load(std::memory_order_acquire)) {
      break;
    }
    int64_t timeout_ms = posted_.empty() ? next_timer_delay_ms() : 0;
    if (timeout_ms != 0 && io_uring_cq_ready(&ring_) == 0 && poll_for_reply()) {
      timeout_ms = 0;
    }
    wait_and_dispatch(timeout_ms);
  }
  io_uring_submit(&ring_);
  stop_.store(false, std::memory_order_release);
  t_current = nullptr;
}

}  // namespace uq::core
