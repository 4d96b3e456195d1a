#include "bench/uqlite-bench/load_thread.h"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bench/uqlite-bench/request_builder.h"
#include "bench/uqlite-bench/response_parser.h"
#include "core/check.h"
#include "core/completion.h"

namespace uq::bench {

namespace {

constexpr size_t kRecvBufferBytes = 32 * 1024;
constexpr int64_t kWaitSliceNs = 50'000'000;  // the loop re-checks the clock at least this often

}  // namespace

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct LoadThread::Ring {
  io_uring ring{};
  bool live = false;
};

// One op kind of one connection; the CQE's user_data points here.
struct LoadThread::ConnectionOp final : core::Completion {
  LoadThread* thread = nullptr;
  LoadThread::Connection* conn = nullptr;
  bool is_send = false;
  void complete(int32_t res, uint32_t flags) override;
};

struct LoadThread::Connection {
  struct Slot {
    int64_t sent_ns;
    bool measured;
  };
  int fd = -1;
  bool broken = false;        // failed; waiting for its ops to finish before close and reopen
  bool dead = false;          // will not be reopened
  int reconnects = 0;         // after failures
  bool graceful_end = false;  // the current close was the server ending keep-alive cleanly
  std::string send_buf;
  size_t send_off = 0;
  bool send_in_flight = false;
  bool recv_in_flight = false;
  std::vector<char> recv_buf = std::vector<char>(kRecvBufferBytes);
  ResponseParser parser;
  std::vector<Slot> slots;  // ring of requests in flight, oldest at head
  int head = 0;
  int in_flight = 0;
  ConnectionOp send_op;
  ConnectionOp recv_op;
};

void LoadThread::ConnectionOp::complete(int32_t res, uint32_t /*flags*/) {
  if (is_send) {
    thread->on_send(conn, res);
  } else {
    thread->on_recv(conn, res);
  }
}

LoadThread::LoadThread(SharedRun* shared, int index, int conns)
    : shared_(shared), index_(index), conns_count_(conns), ring_(std::make_unique<Ring>()) {}

LoadThread::~LoadThread() {
  close_all();
  if (ring_->live) {
    io_uring_queue_exit(&ring_->ring);
  }
}

Status LoadThread::init() {
  const BenchConfig& cfg = *shared_->cfg;
  unsigned entries = 64;
  while (entries < static_cast<unsigned>(conns_count_) * 2 && entries < 16384) {
    entries *= 2;
  }
  // Prefer running completions only when we wait (fewer interrupts); fall back on older kernels.
  struct Attempt {
    unsigned flags;
    const char* name;
  };
  const Attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
      {0, "plain"},
  };
  int rc = -EINVAL;
  for (const Attempt& a : attempts) {
    rc = io_uring_queue_init(entries, &ring_->ring, a.flags);
    if (rc == 0) {
      ring_mode_ = a.name;
      break;
    }
  }
  if (rc != 0) {
    return error(Code::kUnavailable, std::string("io_uring_queue_init: ") + std::strerror(-rc));
  }
  ring_->live = true;
  builder_ =
      std::make_unique<RequestBuilder>(cfg, cfg.seed * 1000003 + static_cast<uint64_t>(index_));
  for (int i = 0; i < conns_count_; i++) {
    auto c = std::make_unique<Connection>();
    c->slots.resize(static_cast<size_t>(cfg.pipeline));
    c->send_op.thread = c->recv_op.thread = this;
    c->send_op.conn = c->recv_op.conn = c.get();
    c->send_op.is_send = true;
    UQ_RETURN_IF_ERROR(open_socket(c.get()));
    conns_.push_back(std::move(c));
  }
  return Status::ok();
}

Status LoadThread::open_socket(Connection* c) {
  const BenchConfig& cfg = *shared_->cfg;
  int fd = socket(shared_->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return error(Code::kIoError, std::string("socket: ") + std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // Bound the blocking connect: a server that does not accept must not hang the bench.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(cfg.timeout_ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((cfg.timeout_ns % 1'000'000'000) / 1000);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&shared_->addr), shared_->addr_len) != 0) {
    int err = errno;
    close(fd);
    return error(Code::kUnavailable, std::string("connect to ") + cfg.host + ":" +
                                         std::to_string(cfg.port) + ": " + std::strerror(err));
  }
  c->fd = fd;
  c->broken = false;
  c->send_buf.clear();
  c->send_off = 0;
  c->head = 0;
  c->in_flight = 0;
  c->parser.reset();
  return Status::ok();
}

io_uring_sqe* LoadThread::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);
  if (sqe == nullptr) {
    io_uring_submit(&ring_->ring);  // the SQ is full: hand it to the kernel and take a fresh slot
    sqe = io_uring_get_sqe(&ring_->ring);
  }
  UQ_CHECK(sqe != nullptr, "no SQE after submit (ring of %u)", ring_->ring.sq.ring_entries);
  ops_pending_++;
  return sqe;
}

void LoadThread::submit_send(Connection* c) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_send(sqe, c->fd, c->send_buf.data() + c->send_off, c->send_buf.size() - c->send_off,
                     MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&c->send_op));
  c->send_in_flight = true;
}

void LoadThread::submit_recv(Connection* c) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv(sqe, c->fd, c->recv_buf.data(), c->recv_buf.size(), 0);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&c->recv_op));
  c->recv_in_flight = true;
}

// Decides whether one more request may go out, spending the request budget once measuring.
bool LoadThread::may_send(int64_t now) {
  if (stopping_ || budget_spent_) {
    return false;
  }
  if (shared_->cfg->requests > 0 && now >= shared_->measure_start_ns) {
    if (shared_->budget.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      budget_spent_ = true;
      return false;
    }
  }
  return true;
}

int64_t LoadThread::next_due_ns() const {
  return shared_->start_ns + paced_sent_ * pace_interval_ns_;
}

void LoadThread::fill(Connection* c) {
  if (c->broken || c->dead || c->send_in_flight) {
    return;
  }
  const int pipeline = shared_->cfg->pipeline;
  const int64_t now = now_ns();
  const bool paced = pace_interval_ns_ > 0;
  bool added = false;
  while (c->in_flight < pipeline && (!paced || next_due_ns() <= now) && may_send(now)) {
    const uint64_t seq =
        seq_++ * static_cast<uint64_t>(shared_->cfg->threads) + static_cast<uint64_t>(index_);
    builder_->append_request(seq, &c->send_buf);
    const int tail = (c->head + c->in_flight) % pipeline;
    int64_t sent = now;
    if (paced) {
      sent = next_due_ns();  // latency counts from the due time (no coordinated omission)
      paced_sent_++;
    }
    // Measured by when it goes out (as the budget is), so an overload backlog from the warm-up
    // is reported with its full latency rather than dropped.
    c->slots[static_cast<size_t>(tail)] = {sent, now >= shared_->measure_start_ns};
    c->in_flight++;
    in_flight_++;
    added = true;
  }
  if (added) {
    submit_send(c);
  }
}

// With -rate: gives every due request a connection with room, round-robin from a cursor so no
// connection is favoured.
void LoadThread::fill_paced() {
  const size_t n = conns_.size();
  for (size_t i = 0; i < n && next_due_ns() <= now_ns(); i++) {
    fill(conns_[(pace_cursor_ + i) % n].get());
  }
  pace_cursor_ = (pace_cursor_ + 1) % n;
}

void LoadThread::on_send(Connection* c, int32_t res) {
  ops_pending_--;
  c->send_in_flight = false;
  if (c->broken) {
    maybe_reopen(c);
    return;
  }
  if (res < 0) {
    fail(c, "send", -res, /*graceful=*/false);
    return;
  }
  c->send_off += static_cast<size_t>(res);
  if (c->send_off < c->send_buf.size()) {
    submit_send(c);  // short send: the rest goes next
    return;
  }
  c->send_buf.clear();
  c->send_off = 0;
  fill(c);
}

void LoadThread::on_recv(Connection* c, int32_t res) {
  ops_pending_--;
  c->recv_in_flight = false;
  if (c->broken) {
    maybe_reopen(c);
    return;
  }
  if (res == 0 && c->in_flight == 0 && c->parser.idle()) {
    fail(c, "server closed an idle connection", 0, /*graceful=*/true);
    return;
  }
  if (res <= 0) {
    fail(c, res == 0 ? "server closed the connection" : "recv", -res, /*graceful=*/false);
    return;
  }
  std::string_view data(c->recv_buf.data(), static_cast<size_t>(res));
  const int64_t now = now_ns();
  bool close_after = false;
  while (!data.empty()) {
    bool done = false;
    ResponseInfo info;
    Status st = c->parser.consume(&data, &done, &info);
    if (!st.is_ok()) {
      fail(c, st.message().c_str(), 0, /*graceful=*/false);
      return;
    }
    if (!done) {
      break;
    }
    if (c->in_flight == 0) {
      fail(c, "answer without a request", 0, /*graceful=*/false);
      return;
    }
    handle_answer(c, now, info.body_has_error, info.status);
    close_after = close_after || info.close;
  }
  if (close_after) {
    // A clean end of keep-alive; only requests pipelined after the closing answer are lost.
    fail(c, "server sent Connection: close", 0, /*graceful=*/true);
    return;
  }
  submit_recv(c);
  fill(c);
}

void LoadThread::handle_answer(Connection* c, int64_t now, bool body_has_error, int status) {
  const Connection::Slot slot = c->slots[static_cast<size_t>(c->head)];
  c->head = (c->head + 1) % shared_->cfg->pipeline;
  c->in_flight--;
  in_flight_--;
  if (!slot.measured || now >= shared_->deadline_ns) {
    return;
  }
  stats_.latency_ns.record(now - slot.sent_ns);
  stats_.answered++;
  stats_.last_answer_ns = now;
  if (status != 200) {
    stats_.non_200++;
  } else if (body_has_error) {
    stats_.body_errors++;
  }
}

// Marks a connection finished; it is closed and reopened once its ops have completed. Graceful
// ends (the server closed between answers) are counted apart and do not use up kMaxReconnects.
void LoadThread::fail(Connection* c, const char* why, int err, bool graceful) {
  if (graceful) {
    stats_.reopens++;
    c->graceful_end = true;
  } else {
    stats_.conn_errors++;
  }
  if (!graceful && stats_.first_error.empty()) {
    stats_.first_error = why;
    if (err != 0) {
      stats_.first_error += std::string(": ") + std::strerror(err);
    }
  }
  for (int i = 0; i < c->in_flight; i++) {
    const int idx = (c->head + i) % shared_->cfg->pipeline;
    if (c->slots[static_cast<size_t>(idx)].measured) {
      stats_.lost++;
    }
  }
  in_flight_ -= c->in_flight;
  c->in_flight = 0;
  c->broken = true;
  shutdown(c->fd, SHUT_RDWR);  // completes any op still in the ring
  maybe_reopen(c);
}

void LoadThread::maybe_reopen(Connection* c) {
  if (c->send_in_flight || c->recv_in_flight) {
    return;
  }
  close(c->fd);
  c->fd = -1;
  if (stopping_ || (!c->graceful_end && c->reconnects >= kMaxReconnects)) {
    c->dead = true;
    return;
  }
  if (!c->graceful_end) {
    c->reconnects++;
  }
  c->graceful_end = false;
  Status st = open_socket(c);
  if (!st.is_ok()) {
    c->dead = true;
    if (stats_.first_error.empty()) {
      stats_.first_error = st.message();
    }
    return;
  }
  submit_recv(c);
  fill(c);
}

void LoadThread::run() {
  const BenchConfig& cfg = *shared_->cfg;
  if (cfg.rate > 0) {
    pace_interval_ns_ = std::max<int64_t>(1, 1'000'000'000 * cfg.threads / cfg.rate);
  }
  for (auto& c : conns_) {
    submit_recv(c.get());
    fill(c.get());
  }
  while (true) {
    const int64_t now = now_ns();
    if (now >= shared_->deadline_ns) {
      break;
    }
    if (budget_spent_ && in_flight_ == 0) {
      break;  // every measured request has its answer
    }
    bool any_live = false;
    for (auto& c : conns_) {
      any_live = any_live || !c->dead;
    }
    if (!any_live) {
      break;
    }
    int64_t wait_ns = std::min(kWaitSliceNs, shared_->deadline_ns - now);
    if (pace_interval_ns_ > 0) {
      fill_paced();
      // Wake for the next due time, unless requests are already due and wait for a connection.
      const int64_t until_due = next_due_ns() - now_ns();
      if (until_due > 0) {
        wait_ns = std::min(wait_ns, until_due);
      }
    }
    __kernel_timespec wait{};
    wait.tv_nsec = std::max<int64_t>(wait_ns, 1000);
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_->ring, &cqe, 1, &wait, nullptr);
    stats_.ring_enters++;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_->ring, head, cqe) {
      auto* op = static_cast<core::Completion*>(io_uring_cqe_get_data(cqe));
      seen++;
      if (op != nullptr) {
        op->complete(cqe->res, cqe->flags);
      }
    }
    io_uring_cq_advance(&ring_->ring, seen);
  }
  stopping_ = true;
  close_all();  // here, on the ring's own thread: a single-issuer ring refuses other threads
}

// Shuts every socket down so the ops still in the ring complete, waits for them (bounded), then
// closes: the kernel must not write into a receive buffer after it is freed.
void LoadThread::close_all() {
  if (!ring_->live) {
    return;
  }
  stopping_ = true;
  for (auto& c : conns_) {
    if (c->fd >= 0) {
      c->broken = true;
      shutdown(c->fd, SHUT_RDWR);
    }
  }
  const int64_t give_up = now_ns() + 5'000'000'000;
  while (ops_pending_ > 0 && now_ns() < give_up) {
    __kernel_timespec wait{};
    wait.tv_nsec = kWaitSliceNs;
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_->ring, &cqe, 1, &wait, nullptr);
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_->ring, head, cqe) {
      seen++;
      ops_pending_--;
    }
    io_uring_cq_advance(&ring_->ring, seen);
  }
  UQ_CHECK(ops_pending_ == 0, "%lld io_uring ops still pending at exit",
           static_cast<long long>(ops_pending_));
  for (auto& c : conns_) {
    if (c->fd >= 0) {
      close(c->fd);
      c->fd = -1;
    }
  }
}

}  // namespace uq::bench
