// sql/exec_options.h — per-request execution flags and the encoded response (spec §2.5, §3.3).
//
// Plain values shared by server/ (which fills them from the query string) and the execution layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace uq::sql {

// Which data-API endpoint a request came from: it decides result shapes and error styles. The
// values are stored in the Raft log (sql/command.h): never renumber them.
enum class Kind : uint8_t { kExecute = 0, kQuery = 1, kRequest = 2 };

struct ExecOptions {
  bool transaction = false;
  bool timings = false;
  bool associative = false;
  bool blob_array = false;
  bool qualify_columns = false;
  bool pretty = false;
  // /db/load with SQL text: stop at the first error and roll back what ran (BEGIN .. COMMIT).
  bool rollback_on_error = false;
  // 0 = none. Bounds each statement and the request as a whole ("query timeout" /
  // "execute timeout").
  std::chrono::nanoseconds db_timeout{0};
  // CLOCK_MONOTONIC ns when the HTTP request arrived; the envelope "time" is measured from it
  // (0 = from when execution started).
  int64_t start_ns = 0;
  // Non-zero: the envelope gets "raft_index".
  uint64_t raft_index = 0;
  // Per statement: RETURNING detected, so the statement returns rows on the write path. May be
  // shorter than the statement list (missing = false).
  std::vector<bool> force_query;
};

// A complete HTTP answer for a data-API call.
struct Response {
  int http_status = 200;
  // The JSON envelope without a trailing newline, or for 500 the text body (message + "\n").
  std::string body;
  // The envelope carries a request-level "error" (results []): no X-RQLITE-SERVED-BY (§2.2).
  bool envelope_error = false;
};

// CLOCK_MONOTONIC in nanoseconds (the clock of ExecOptions::start_ns).
int64_t monotonic_ns();

}  // namespace uq::sql
