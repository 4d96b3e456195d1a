#include "net/socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace uq::net {

namespace {

Status errno_status(const std::string& what) {
  return error(Code::kIoError, what + ": " + std::strerror(errno));
}

// The first IPv4 result, else the first.
addrinfo* prefer_ipv4(addrinfo* found) {
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      return ai;
    }
  }
  return found;
}

std::string text_of(const HostPort& where) {
  return where.host + ":" + where.port;
}

}  // namespace

Result<HostPort> split_host_port(std::string_view text) {
  HostPort out;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return error(Code::kInvalidArgument, "bad address: " + std::string(text));
    }
    out.host = std::string(text.substr(1, close - 1));
    out.port = std::string(text.substr(close + 2));
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return error(Code::kInvalidArgument, "address without port: " + std::string(text));
    }
    out.host = std::string(text.substr(0, colon));
    out.port = std::string(text.substr(colon + 1));
  }
  if (out.port.empty()) {
    return error(Code::kInvalidArgument, "address without port: " + std::string(text));
  }
  return out;
}

Result<int> open_listener(const HostPort& where, const ListenOptions& options) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const char* host = where.host.empty() ? "::" : where.host.c_str();
  int rc = getaddrinfo(host, where.port.c_str(), &hints, &found);
  if (rc != 0 && where.host.empty()) {
    rc = getaddrinfo("0.0.0.0", where.port.c_str(), &hints, &found);
  }
  if (rc != 0) {
    return error(Code::kInvalidArgument, "resolve " + text_of(where) + ": " + gai_strerror(rc));
  }
  addrinfo* chosen = prefer_ipv4(found);
  int fd = ::socket(chosen->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return errno_status("socket");
  }
  int one = 1;
  int zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (options.reuse_port) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  if (chosen->ai_family == AF_INET6 && where.host.empty()) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  if (::bind(fd, chosen->ai_addr, chosen->ai_addrlen) != 0) {
    Status status = errno_status("bind " + text_of(where));
    freeaddrinfo(found);
    ::close(fd);
    return status;
  }
  freeaddrinfo(found);
  if (::listen(fd, options.backlog) != 0) {
    Status status = errno_status("listen " + text_of(where));
    ::close(fd);
    return status;
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

Status resolve(const HostPort& where, sockaddr_storage* out, socklen_t* out_len) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const char* host = where.host.empty() ? "127.0.0.1" : where.host.c_str();
  int rc = getaddrinfo(host, where.port.c_str(), &hints, &found);
  if (rc != 0) {
    return error(Code::kUnavailable, "resolve " + text_of(where) + ": " + gai_strerror(rc));
  }
  addrinfo* chosen = prefer_ipv4(found);
  std::memcpy(out, chosen->ai_addr, chosen->ai_addrlen);
  *out_len = chosen->ai_addrlen;
  freeaddrinfo(found);
  return Status::ok();
}

}  // namespace uq::net
