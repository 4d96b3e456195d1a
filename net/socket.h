// net/socket.h — TCP address and socket helpers shared by the HTTP server and the node-to-node
// transport.
//
// Owns nothing: pure functions over addresses and file descriptors; any thread. Names are
// resolved with getaddrinfo (blocking; numeric addresses and "localhost" answer at once), and
// a name with several addresses prefers its first IPv4 one, as Go does for "localhost".
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace uq::net {

struct HostPort {
  std::string host;  // empty: every local address (listen) or 127.0.0.1 (connect)
  std::string port;
};

// "host:port", "[v6]:port" or ":port"; kInvalidArgument naming the text otherwise.
Result<HostPort> split_host_port(std::string_view text);

struct ListenOptions {
  int backlog = 1024;
  bool reuse_port = false;  // SO_REUSEPORT, for one listener per reactor on the same port
};

// Opens, binds (SO_REUSEADDR, so a killed node restarts on its port at once) and listens. An
// empty host listens on every address (an IPv6 socket accepting IPv4 too, as Go does for
// ":port"). Returns the descriptor, or kIoError / kInvalidArgument naming the address.
Result<int> open_listener(const HostPort& where, const ListenOptions& options);

// The local port a bound socket got (for port 0), or 0.
uint16_t bound_port(int fd);

// The address to connect() to.
Status resolve(const HostPort& where, sockaddr_storage* out, socklen_t* out_len);

}  // namespace uq::net
