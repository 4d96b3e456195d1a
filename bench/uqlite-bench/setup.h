// bench/uqlite-bench/setup.h — the blocking side of uqlite-bench: address resolution and the
// -setup step (CREATE TABLE, and for query mode a preload of -rows rows in -batch sized requests).
//
// These run on the main thread before the load threads start, over one blocking keep-alive
// socket with send/receive timeouts of -timeout, so a silent server cannot hang the bench. A
// non-200 answer or a body holding "error": stops the setup with the start of that body.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "bench/uqlite-bench/bench_flags.h"
#include "core/status.h"

namespace uq::bench {

struct ServerAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

Result<ServerAddress> resolve_address(const std::string& host, uint16_t port);

// Creates the table; in query mode also loads ids 1..rows. Prints progress to stderr.
Status run_setup(const BenchConfig& cfg, const ServerAddress& address);

}  // namespace uq::bench
