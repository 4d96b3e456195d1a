// bench/uqlite-bench/response_parser.h — strict, incremental HTTP/1.1 response framing for the
// load generator.
//
// Owns: the framing state of one client connection: it takes the bytes a connection receives, in
// whatever pieces recv() returns them (split anywhere, several pipelined responses in one piece),
// and reports each complete response: status code, whether the body holds a JSON "error" key, and
// whether the server asked to close. Bodies are scanned as they stream past and never stored, so
// the parser holds at most one response head (kMaxHeadBytes) and does not allocate after warm-up.
//
// Strictness (a load generator must notice a server that frames wrongly): status line
// "HTTP/1.x DDD reason", CRLF line ends only, no obs-fold, header names are tokens, and every
// response other than 204/304 carries exactly one Content-Length value (repeats must agree).
// Transfer-Encoding and 1xx answers are rejected: uqlited and rqlited send neither to our
// requests. After an error the parser stays failed until reset().
//
// Threads: one parser belongs to the thread that owns its connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace uq::bench {

struct ResponseInfo {
  int status = 0;
  bool body_has_error =
      false;           // the body contains `"error":` (a request- or statement-level error)
  bool close = false;  // "Connection: close" was given
  int64_t body_bytes = 0;
};

class ResponseParser {
 public:
  static constexpr size_t kMaxHeadBytes = 16 * 1024;

  ResponseParser();

  // Consumes bytes from the front of *data until one response is complete (sets *done and fills
  // *out; the rest of *data is left for the next call) or *data is exhausted (*done false).
  // A framing error is returned as kCorruption.
  Status consume(std::string_view* data, bool* done, ResponseInfo* out);

  // True when no response is partly received (a clean point to close the connection).
  bool idle() const { return !failed_ && !in_body_ && head_.empty(); }

  void reset();

 private:
  Status consume_head(std::string_view* data, bool* head_done);
  Status parse_head(std::string_view head);
  Status parse_header_line(std::string_view line, bool* have_length);
  void scan_body(std::string_view chunk);

  std::string head_;  // bytes of a response head that arrived split across calls
  bool failed_ = false;
  bool in_body_ = false;
  int64_t body_remaining_ = 0;
  int error_match_ = 0;  // how much of `"error":` the body scan has matched so far
  ResponseInfo current_;
};

}  // namespace uq::bench
