// tests/net/server_harness.h — runs an HttpServer on its own reactor thread for a test.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

#include "core/reactor.h"
#include "net/http_server.h"

namespace uq::net::test {

class ServerHarness {
 public:
  // Returns false (with skip_reason set) when the kernel refuses io_uring.
  bool start(HttpServerOptions options, HttpHandler handler, bool no_multishot,
             std::string_view address = "127.0.0.1:0", int index = 0) {
    core::ReactorOptions reactor_options;
    reactor_options.ring_entries = 256;
    reactor_options.force_no_multishot = no_multishot;
    auto reactor = core::Reactor::create(index, reactor_options);
    if (!reactor.is_ok()) {
      skip_reason = reactor.status().to_string();
      return false;
    }
    reactor_ = std::move(reactor.value());
    server_ = std::make_unique<HttpServer>(*reactor_, std::move(options), std::move(handler));
    Status status = server_->listen(address);
    EXPECT_TRUE(status.is_ok()) << status.to_string();
    if (!status.is_ok()) {
      return false;
    }
    thread_ = std::thread([this] { reactor_->run(); });
    return true;
  }

  // Runs fn on the reactor thread and waits for it.
  template <typename Fn>
  auto on_reactor(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    EXPECT_TRUE(reactor_->post([&task] { task(); }));
    return result.get();
  }

  void stop() {
    if (thread_.joinable()) {
      reactor_->stop();
      thread_.join();
    }
    server_.reset();
    reactor_.reset();
  }
  ~ServerHarness() { stop(); }

  core::Reactor& reactor() { return *reactor_; }
  HttpServer& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::string skip_reason;

 private:
  std::unique_ptr<core::Reactor> reactor_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

// Echoes method, path, query and body so tests can see what the parser delivered.
inline void echo_handler(const HttpRequest& request, HttpResponder responder) {
  HttpResponse response;
  response.headers.emplace_back("Content-Type", "text/plain");
  response.body = std::string(request.method) + " " + std::string(request.path) +
                  " q=" + std::string(request.query) + " body=" + std::string(request.body);
  responder.respond(std::move(response));
}

// Parameter: true = force the single-shot accept/recv fallback, false = multishot where the
// kernel has it.
class ServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void start(HttpHandler handler) { start(HttpServerOptions{}, std::move(handler)); }
  void start(HttpServerOptions options, HttpHandler handler) {
    if (!harness_.start(std::move(options), std::move(handler), GetParam())) {
      if (!harness_.skip_reason.empty()) {
        GTEST_SKIP() << harness_.skip_reason;
      }
      FAIL() << "server did not start";
    }
  }
  uint16_t port() { return harness_.port(); }
  ServerHarness harness_;
};

// Starts the fixture's server; returns from the test when it was skipped or failed to start.
#define UQ_START_OR_RETURN(...)             \
  do {                                      \
    start(__VA_ARGS__);                     \
    if (IsSkipped() || HasFatalFailure()) { \
      return;                               \
    }                                       \
  } while (0)

inline std::string path_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "SingleShot" : "Multishot";
}

}  // namespace uq::net::test
