// bench/uqlite-bench/request_builder.h — the HTTP requests uqlite-bench sends.
//
// Owns: the bytes of each request for a mode (insert, batch, query, queue), in literal or
// parameterised form, plus the setup requests (CREATE TABLE, preload batches). A builder keeps a
// reusable scratch body, so after the first requests append_request() only appends into the
// caller's buffer (no allocation once that buffer has grown). Values are digits of the request's
// sequence number padded with 'x' to -value-size bytes, safe inside JSON and SQL literals, and
// different per request so a server cannot answer from a cache of identical statements.
//
// Threads: one builder per load thread.
#pragma once

#include <cstdint>
#include <string>

#include "bench/uqlite-bench/bench_flags.h"

namespace uq::bench {

inline constexpr std::string_view kCreateTableSql =
    "CREATE TABLE IF NOT EXISTS bench(id INTEGER PRIMARY KEY, v TEXT)";

class RequestBuilder {
 public:
  RequestBuilder(const BenchConfig& cfg, uint64_t seed);

  // Appends one complete request of the configured mode; seq makes its values unique.
  void append_request(uint64_t seq, std::string* out);

  // The JSON body of that request (empty for GET), for tests.
  const std::string& last_body() const { return body_; }

  // POST <path> with a JSON body, e.g. for setup.
  static void append_post(const BenchConfig& cfg, std::string_view path, std::string_view body,
                          std::string* out);
  // Body of a preload batch: rows [first_id, first_id + count) as INSERT OR REPLACE, so a second
  // setup against the same data is harmless.
  static std::string preload_body(const BenchConfig& cfg, int64_t first_id, int64_t count);

 private:
  void append_insert_statement(uint64_t seq);
  void append_query_statement(int64_t id);
  void append_value(uint64_t seq);
  int64_t next_id();

  const BenchConfig& cfg_;
  std::string path_;
  std::string body_;
  uint64_t rng_state_;
};

}  // namespace uq::bench
