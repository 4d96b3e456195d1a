#include "bench/uqlite-bench/setup.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bench/uqlite-bench/load_thread.h"
#include "bench/uqlite-bench/request_builder.h"
#include "bench/uqlite-bench/response_parser.h"

namespace uq::bench {

namespace {

class BlockingClient {
 public:
  ~BlockingClient() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }

  Status open(const BenchConfig& cfg, const ServerAddress& address) {
    fd_ = socket(address.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return error(Code::kIoError, std::string("socket: ") + std::strerror(errno));
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(cfg.timeout_ns / 1'000'000'000);
    tv.tv_usec = static_cast<suseconds_t>((cfg.timeout_ns % 1'000'000'000) / 1000);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&address.addr), address.len) != 0) {
      return error(Code::kUnavailable, std::string("connect: ") + std::strerror(errno));
    }
    return Status::ok();
  }

  // Sends `request` and reads its answer; the body must be a 200 without "error":.
  Status round_trip(std::string_view request, std::string_view what) {
    while (!request.empty()) {
      ssize_t n = send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return error(Code::kIoError, std::string(what) + ": send: " + std::strerror(errno));
      }
      request.remove_prefix(static_cast<size_t>(n));
    }
    std::string received;
    char buf[16384];
    while (true) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return error(Code::kIoError, std::string(what) + ": recv: " +
                                         (n == 0 ? "connection closed" : std::strerror(errno)));
      }
      received.append(buf, static_cast<size_t>(n));
      std::string_view data(buf, static_cast<size_t>(n));
      bool done = false;
      ResponseInfo info;
      UQ_RETURN_IF_ERROR(parser_.consume(&data, &done, &info));
      if (!done) {
        continue;
      }
      if (info.status != 200 || info.body_has_error) {
        return error(Code::kInternal, std::string(what) + " failed: " + received.substr(0, 400));
      }
      return Status::ok();
    }
  }

 private:
  int fd_ = -1;
  ResponseParser parser_;
};

}  // namespace

Result<ServerAddress> resolve_address(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return error(Code::kInvalidArgument, "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  ServerAddress out;
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  freeaddrinfo(res);
  return out;
}

Status run_setup(const BenchConfig& cfg, const ServerAddress& address) {
  BlockingClient client;
  UQ_RETURN_IF_ERROR(client.open(cfg, address));
  std::string request;
  std::string create = "[\"" + std::string(kCreateTableSql) + "\"]";
  RequestBuilder::append_post(cfg, "/db/execute", create, &request);
  UQ_RETURN_IF_ERROR(client.round_trip(request, "CREATE TABLE"));
  if (cfg.mode != Mode::kQuery) {
    return Status::ok();
  }
  const int64_t start = now_ns();
  for (int64_t first = 1; first <= cfg.rows; first += cfg.batch) {
    const int64_t count = std::min<int64_t>(cfg.batch, cfg.rows - first + 1);
    request.clear();
    RequestBuilder::append_post(cfg, "/db/execute", RequestBuilder::preload_body(cfg, first, count),
                                &request);
    UQ_RETURN_IF_ERROR(client.round_trip(request, "preload"));
  }
  std::fprintf(stderr, "setup: preloaded %lld rows in %.2f s\n", static_cast<long long>(cfg.rows),
               static_cast<double>(now_ns() - start) / 1e9);
  return Status::ok();
}

}  // namespace uq::bench
