// bench/uqlite-bench/load_thread.h — one load thread of uqlite-bench: its own io_uring and its
// share of the keep-alive connections.
//
// Owns: the ring, the connections (socket, send and receive buffers, response parser, the send
// times of the requests in flight) and the thread's counters and latency histogram. Each
// connection keeps at most -pipeline requests in flight; answers are matched to requests in order
// (HTTP/1.1). Every SQE carries a pointer to a Completion embedded in its connection, so nothing
// is allocated per request and the ops in flight are bounded by 2 per connection.
//
// Measurement: a request is measured when it is sent at or after measure_start_ns and answered
// before deadline_ns; its latency runs from its send time (with -rate: from its due time).
// With -rate the thread's k-th request is due at start_ns + k * threads / rate and goes out on
// the first connection with room once due. A connection that fails (reset, framing error,
// "Connection: close") counts one connection error plus one lost request per request in flight, and
// is reopened (at most kMaxReconnects times) unless the run is stopping. A server that ends
// keep-alive cleanly
// ("Connection: close", or a close while nothing is in flight) is not an error: the connection is
// reopened and counted in `reopens`.
//
// Threads: run() executes on the thread that owns the object; the only shared state is
// SharedRun, read-only apart from its atomics. stats() is read after that thread has joined.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/uqlite-bench/bench_flags.h"
#include "bench/uqlite-bench/histogram.h"
#include "core/status.h"

struct io_uring_sqe;

namespace uq::bench {

struct SharedRun {
  const BenchConfig* cfg = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int64_t start_ns = 0;          // when the threads start sending (the pacing origin)
  int64_t measure_start_ns = 0;  // set before the threads start sending
  int64_t deadline_ns = 0;
  std::atomic<int64_t> budget{0};  // measured requests still to send when cfg->requests > 0
};

struct ThreadStats {
  Histogram latency_ns;        // measured answers, any status
  int64_t answered = 0;        // measured answers
  int64_t non_200 = 0;         // measured answers whose status was not 200
  int64_t body_errors = 0;     // measured 200 answers whose body holds "error":
  int64_t conn_errors = 0;     // connection failures (resets, framing errors, server closes)
  int64_t lost = 0;            // measured requests in flight on a failed connection
  int64_t reopens = 0;         // connections the server closed cleanly, reopened
  int64_t ring_enters = 0;     // io_uring_enter calls of the main loop (syscalls per request)
  int64_t last_answer_ns = 0;  // time of the last measured answer
  std::string first_error;     // the first connection failure, for the report
};

// Monotonic clock in nanoseconds.
int64_t now_ns();

class LoadThread {
 public:
  static constexpr int kMaxReconnects = 100;  // per connection

  LoadThread(SharedRun* shared, int index, int conns);
  ~LoadThread();
  LoadThread(const LoadThread&) = delete;
  LoadThread& operator=(const LoadThread&) = delete;

  // Creates the ring and opens the connections; call on the thread that will call run().
  Status init();
  // Sends and receives until the deadline, or until the request budget is spent and answered.
  void run();
  const ThreadStats& stats() const { return stats_; }
  // How the ring was set up, for the log.
  const std::string& ring_mode() const { return ring_mode_; }

  struct Connection;
  struct ConnectionOp;

 private:
  friend struct ConnectionOp;
  void fill(Connection* c);
  void fill_paced();
  int64_t next_due_ns() const;
  void submit_send(Connection* c);
  void submit_recv(Connection* c);
  void on_send(Connection* c, int32_t res);
  void on_recv(Connection* c, int32_t res);
  void handle_answer(Connection* c, int64_t now, bool body_has_error, int status);
  void fail(Connection* c, const char* why, int err, bool graceful);
  void maybe_reopen(Connection* c);
  Status open_socket(Connection* c);
  bool may_send(int64_t now);
  ::io_uring_sqe* get_sqe();
  void close_all();

  SharedRun* shared_;
  int index_;
  int conns_count_;
  struct Ring;
  std::unique_ptr<Ring> ring_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::unique_ptr<class RequestBuilder> builder_;
  ThreadStats stats_;
  std::string ring_mode_;
  uint64_t seq_ = 0;
  int64_t in_flight_ = 0;    // requests in flight over all connections
  int64_t ops_pending_ = 0;  // SQEs whose CQE has not arrived
  bool stopping_ = false;    // no new requests
  bool budget_spent_ = false;
  int64_t pace_interval_ns_ = 0;  // with -rate: time between this thread's due times
  int64_t paced_sent_ = 0;        // with -rate: requests sent so far (the next one's index)
  size_t pace_cursor_ = 0;        // with -rate: where the search for a free connection starts
};

}  // namespace uq::bench
