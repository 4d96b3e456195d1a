// LoadThread end to end against a small in-process HTTP server on 127.0.0.1: the counts the
// report is built from must be exact.
#include "bench/uqlite-bench/load_thread.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace uq::bench {
namespace {

// Answers each request with whatever `answer(seq)` returns, where seq is the number the bench
// wrote into the request's value ('<seq>xxx'). Every wait is bounded by poll timeouts.
class FakeServer {
 public:
  explicit FakeServer(std::function<std::string(long)> answer) : answer_(std::move(answer)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    UQ_CHECK(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0, "bind");
    UQ_CHECK(listen(listen_fd_, 128) == 0, "listen");
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : workers_) {
      t.join();
    }
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) {
        continue;
      }
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        workers_.emplace_back([this, fd] { serve(fd); });
      }
    }
  }

  void serve(int fd) {
    std::string in;
    char buf[65536];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) {
        continue;
      }
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      in.append(buf, static_cast<size_t>(n));
      std::string out;
      bool close_now = false;
      while (true) {
        size_t head_end = in.find("\r\n\r\n");
        if (head_end == std::string::npos) {
          break;
        }
        size_t cl = in.find("Content-Length: ");
        size_t body_len = cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
        if (in.size() < head_end + 4 + body_len) {
          break;
        }
        std::string body = in.substr(head_end + 4, body_len);
        in.erase(0, head_end + 4 + body_len);
        size_t v = body.find("VALUES('");
        long seq = v == std::string::npos ? -1 : std::stol(body.substr(v + 8));
        std::string answer = answer_(seq);
        close_now = close_now || answer.find("Connection: close") != std::string::npos;
        out += answer;
        if (close_now) {
          break;
        }
      }
      if (!out.empty() && send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) {
        break;
      }
      if (close_now) {
        break;
      }
    }
    close(fd);
  }

  std::function<std::string(long)> answer_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // touched by the acceptor thread only until the join
};

std::string answer(int status, std::string_view body, std::string_view extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Runs one LoadThread to completion with a request budget; returns its stats.
ThreadStats run_bench(uint16_t port, int conns, int pipeline, int64_t requests, int64_t duration_ns,
                      bool* skipped, int64_t rate = 0) {
  BenchConfig cfg;
  cfg.rate = rate;
  cfg.port = port;
  cfg.conns = conns;
  cfg.pipeline = pipeline;
  cfg.requests = requests;
  cfg.warmup_ns = 0;
  cfg.duration_ns = duration_ns;
  SharedRun shared;
  shared.cfg = &cfg;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::memcpy(&shared.addr, &addr, sizeof(addr));
  shared.addr_len = sizeof(addr);
  shared.budget.store(requests);
  LoadThread thread(&shared, 0, conns);
  Status st = thread.init();
  if (!st.is_ok()) {
    *skipped = st.code() == Code::kUnavailable && st.message().find("io_uring") == 0;
    EXPECT_TRUE(*skipped) << st.to_string();
    return {};
  }
  *skipped = false;
  shared.start_ns = now_ns();
  shared.measure_start_ns = shared.start_ns;
  shared.deadline_ns = shared.measure_start_ns + duration_ns;
  thread.run();
  return thread.stats();
}

TEST(LoadThread, CountsStatusesAndErrorBodiesExactly) {
  FakeServer server([](long seq) {
    if (seq % 3 == 1) {
      return answer(200, "{\"results\":[{\"error\":\"no such table: bench\"}]}");
    }
    if (seq % 3 == 2) {
      return answer(503, "leader not found");
    }
    return answer(200, "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  });
  bool skipped = false;
  ThreadStats s = run_bench(server.port(), 4, 3, 300, 30'000'000'000, &skipped);
  if (skipped) {
    GTEST_SKIP() << "io_uring unavailable";
  }
  EXPECT_EQ(s.answered, 300);
  EXPECT_EQ(s.body_errors, 100);
  EXPECT_EQ(s.non_200, 100);
  EXPECT_EQ(s.lost, 0);
  EXPECT_EQ(s.conn_errors, 0);
  EXPECT_EQ(s.latency_ns.count(), 300);
}

TEST(LoadThread, PacedRunSendsExactlyTheBudget) {
  FakeServer server([](long) { return answer(200, "{\"results\":[{}]}"); });
  bool skipped = false;
  ThreadStats s = run_bench(server.port(), 3, 2, 120, 30'000'000'000, &skipped, /*rate=*/4000);
  if (skipped) {
    GTEST_SKIP() << "io_uring unavailable";
  }
  EXPECT_EQ(s.answered, 120);
  EXPECT_EQ(s.latency_ns.count(), 120);
  EXPECT_EQ(s.non_200 + s.body_errors + s.lost + s.conn_errors, 0);
}

TEST(LoadThread, CleanConnectionCloseIsReopenedWithoutErrors) {
  FakeServer server([](long seq) {
    return answer(200, "{\"results\":[{}]}", seq % 5 == 4 ? "Connection: close\r\n" : "");
  });
  bool skipped = false;
  ThreadStats s = run_bench(server.port(), 2, 1, 200, 30'000'000'000, &skipped);
  if (skipped) {
    GTEST_SKIP() << "io_uring unavailable";
  }
  EXPECT_EQ(s.answered, 200);
  EXPECT_EQ(s.non_200 + s.body_errors + s.lost + s.conn_errors, 0);
  EXPECT_EQ(s.reopens, 40);
}

TEST(LoadThread, BrokenFramingFailsTheConnectionAndTheRunStillEnds) {
  FakeServer server([](long seq) {
    if (seq == 10) {
      return std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }
    return answer(200, "{\"results\":[{}]}");
  });
  bool skipped = false;
  ThreadStats s = run_bench(server.port(), 1, 1, 50, 5'000'000'000, &skipped);
  if (skipped) {
    GTEST_SKIP() << "io_uring unavailable";
  }
  EXPECT_EQ(s.conn_errors, 1);
  EXPECT_EQ(s.lost, 1);  // the request whose answer was malformed
  EXPECT_EQ(s.answered, 49);
  EXPECT_NE(s.first_error.find("Transfer-Encoding"), std::string::npos) << s.first_error;
}

TEST(LoadThread, RefusedConnectionIsReportedNotFatal) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);  // bound but not listening: connect is refused
  BenchConfig cfg;
  cfg.port = port;
  SharedRun shared;
  shared.cfg = &cfg;
  std::memcpy(&shared.addr, &addr, sizeof(addr));
  shared.addr_len = sizeof(addr);
  LoadThread thread(&shared, 0, 1);
  Status st = thread.init();
  close(fd);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("refused"), std::string::npos) << st.to_string();
}

}  // namespace
}  // namespace uq::bench
