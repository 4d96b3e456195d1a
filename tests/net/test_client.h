// tests/net/test_client.h — a blocking HTTP/1.1 test client for loopback tests.
//
// Every read has a receive timeout, so a server bug shows as a failed expectation, never a hang.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uq::net::test {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) {
        return v;
      }
    }
    return "";
  }
};

class TestClient {
 public:
  explicit TestClient(uint16_t port, int timeout_ms = 5000) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect_with_retry(addr, timeout_ms);
  }
  ~TestClient() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }
  // errno of the failed connect, for test messages.
  int connect_errno() const { return connect_errno_; }
  int fd() const { return fd_; }

  // Every byte sent and received is XORed with key (tests of the transport seam); 0 = plain.
  void set_xor_key(char key) { xor_key_ = key; }

  bool send(std::string_view plain) {
    std::string coded(plain);
    for (char& c : coded) {
      c ^= xor_key_;
    }
    std::string_view bytes = coded;
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed, or to EOF without one). nullopt on EOF, timeout
  // or garbage.
  std::optional<ClientResponse> read_response(bool head = false) {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    ClientResponse response;
    std::string_view text(buffer_.data(), head_end);
    size_t line_end = text.find("\r\n");
    std::string_view status_line = text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 ") {
      return std::nullopt;
    }
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    size_t pos = line_end == std::string_view::npos ? text.size() : line_end + 2;
    while (pos < text.size()) {
      size_t end = text.find("\r\n", pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      std::string_view line = text.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
          value.remove_prefix(1);
        }
        response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
      }
      pos = end + 2;
    }
    buffer_.erase(0, head_end + 4);
    std::string length = response.header("Content-Length");
    if (response.status == 100) {
      return response;
    }
    if (head) {
      return response;
    }
    if (length.empty()) {
      while (fill()) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
      return response;
    }
    size_t want = std::stoul(length);
    while (buffer_.size() < want) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    response.body = buffer_.substr(0, want);
    buffer_.erase(0, want);
    return response;
  }

  // True when the server closed the connection (EOF or reset) with no further bytes; false when
  // bytes arrived or the read timed out.
  bool closed_by_peer() {
    if (!buffer_.empty()) {
      return false;
    }
    char byte;
    ssize_t n;
    do {
      n = recv(fd_, &byte, 1, 0);
    } while (n < 0 && errno == EINTR);
    last_errno_ = n < 0 ? errno : 0;
    if (n == 0) {
      return true;
    }
    if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) {
      return true;
    }
    if (n > 0) {
      buffer_.push_back(byte);
    }
    return false;
  }

  // Everything until EOF (or timeout).
  std::string read_all() {
    while (fill()) {
    }
    std::string out = std::move(buffer_);
    buffer_.clear();
    return out;
  }

  int last_errno() const { return last_errno_; }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  bool fill() {
    char chunk[16384];
    ssize_t n;
    do {
      n = recv(fd_, chunk, sizeof(chunk), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      return false;
    }
    for (ssize_t i = 0; i < n; ++i) {
      chunk[i] ^= xor_key_;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  int last_errno_ = 0;
  char xor_key_ = 0;
  // A signal can interrupt connect() (EINTR) while the handshake goes on in the kernel; calling
  // connect() again would then fail with EALREADY, so wait for the outcome instead.
  bool connect_with_retry(const sockaddr_in& addr, int timeout_ms) {
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return true;
    }
    if (errno != EINTR && errno != EINPROGRESS && errno != EALREADY) {
      connect_errno_ = errno;
      return false;
    }
    pollfd waiting{fd_, POLLOUT, 0};
    int ready = 0;
    do {
      ready = poll(&waiting, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    int error = ready == 1 ? 0 : ETIMEDOUT;
    socklen_t length = sizeof(error);
    if (ready == 1) {
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    }
    connect_errno_ = error;
    return error == 0;
  }

  bool connected_ = false;
  int connect_errno_ = 0;
  std::string buffer_;
};

}  // namespace uq::net::test
