// bench/uqlite-bench/bench_flags.h — uqlite-bench's command line.
//
// Owns: BenchConfig (every knob of a run) and how flags map onto it. The syntax is core/flags.h's
// uq::FlagSet (Go style, like uqlited's) and durations are core/duration.h's, so the generator
// reads a command line exactly as the server does; this file adds only what FlagSet does not know:
// ranges, -addr/-mode/-level values and the checks across flags. Unknown flags, positional
// arguments and out-of-range values are rejected with a message (kInvalidArgument); `-h`/`-help`
// returns kNotFound so the caller can print usage() and exit 0. Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace uq::bench {

enum class Mode { kInsert, kBatch, kQuery, kQueue };

std::string_view mode_name(Mode mode);

struct BenchConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 4001;
  Mode mode = Mode::kInsert;
  int conns = 64;
  int threads = 1;
  int pipeline = 1;  // requests in flight per connection
  int64_t duration_ns = 10'000'000'000;
  int64_t requests = 0;  // 0: bounded by duration only
  int64_t warmup_ns = 1'000'000'000;
  int batch = 1000;      // statements per request in batch mode; rows per preload request
  bool param = false;    // parameterised statements instead of literal SQL
  bool get = false;      // query mode: GET /db/query?q= instead of POST
  bool setup = false;    // create the table (and preload -rows rows for query mode)
  int64_t rows = 10000;  // query mode: ids are drawn from [1, rows]
  int value_size = 16;   // bytes of the TEXT value written per row
  std::string level;     // empty: the server's default
  uint64_t seed = 1;
  int64_t timeout_ns = 10'000'000'000;  // bound on each connect and each setup request
  // Requests per second over all threads; 0 = closed loop (each connection sends its next request
  // when an answer arrives). With a rate, requests are due at fixed intervals and latency counts
  // from when a request was due, so time spent waiting for a free connection is included.
  int64_t rate = 0;

  // Rows each successful request carries (written or read).
  int64_t rows_per_request() const { return mode == Mode::kBatch ? batch : 1; }
};

// Parses argv[1..argc). Never exits or prints.
Result<BenchConfig> parse_flags(int argc, const char* const* argv);

// A description of the tool followed by FlagSet's listing (sorted, with defaults).
std::string usage();

}  // namespace uq::bench
