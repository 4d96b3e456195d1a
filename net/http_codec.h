// net/http_codec.h — pure HTTP/1.1 request parser: bytes in, requests or an error status out.
//
// Owns: one connection's receive buffer (contiguous, grown on demand, always followed by
// kBodyPadding readable bytes) and an llhttp parser in strict mode. No sockets and no clock, so
// the fuzzer and table tests drive it directly. One thread (the connection's reactor) uses it.
// Guarantees:
//  - next() returns one event at a time; after kRequest, request() views stay valid until the
//    next call to next(), prepare() or append() (the codec never moves bytes while a request is
//    out).
//  - Limits are decided as early as possible: a request head over max_header_bytes → 431 before
//    headers complete; Content-Length over max_body_bytes → 413 before any body byte is read;
//    a chunked body over the limit → 413 as soon as it crosses it.
//  - obs-fold header lines, bare LF, bad tokens and every other llhttp error → 400; unsupported
//    Transfer-Encoding → 501; an Expect other than 100-continue → 417. After kError the codec
//    only ever returns kError again.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace uq::net {

struct HttpLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 64 * 1024 * 1024;
};

class HttpCodec {
 public:
  enum class Event {
    kNeedMore,  // everything buffered is consumed; feed more bytes
    kRequest,   // request() holds a complete request
    kContinue,  // the client expects "100 Continue" before it sends the body
    kError,     // error_status() says which response to send before closing
  };

  explicit HttpCodec(const HttpLimits& limits);
  HttpCodec(const HttpCodec&) = delete;
  HttpCodec& operator=(const HttpCodec&) = delete;

  // Writable space of at least min_bytes at the end of the buffer (may move buffered bytes, so
  // never call it while a receive into the previous span is in flight).
  std::span<char> prepare(size_t min_bytes);
  // n bytes were written into the span from prepare().
  void commit(size_t n);
  // Copies bytes in (used when they arrive in a ring-provided buffer or from a transport).
  void append(std::string_view bytes);

  Event next();
  HttpRequest& request() { return request_; }
  int error_status() const { return error_status_; }
  // llhttp's reason for the last 400, for logs; "" otherwise.
  std::string_view error_detail() const { return error_detail_; }

  // Bytes of an unfinished request head are buffered (the header timeout applies).
  bool in_head() const;
  // Headers are complete but the body is not (the body read timeout applies).
  bool in_body() const { return phase_ == Phase::kBody; }
  // Nothing of a next request is buffered.
  bool empty() const { return end_ == msg_start_; }
  // Frees the buffer when it holds nothing (keeps idle connections small).
  void release_if_empty();
  size_t buffered_bytes() const { return end_ - msg_start_; }

 private:
  enum class Phase { kHead, kBody, kDelivered, kError };
  enum class Pause { kNone, kHeadersDone, kMessageDone };
  struct HeaderSpan {
    uint32_t name_off, name_len, value_off, value_len;  // relative to msg_start_
  };

  static int on_url(llhttp_t* parser, const char* at, size_t length);
  static int on_header_field(llhttp_t* parser, const char* at, size_t length);
  static int on_header_value(llhttp_t* parser, const char* at, size_t length);
  static int on_headers_complete(llhttp_t* parser);
  static int on_body(llhttp_t* parser, const char* at, size_t length);
  static int on_message_complete(llhttp_t* parser);

  void reserve(size_t total_free);
  void start_next_message();
  bool scan_head_for_obs_fold();
  Event check_head_done();
  Event fail(int status, std::string_view detail);
  void build_request();
  uint32_t rel(const char* at) const;

  HttpLimits limits_;
  llhttp_settings_t settings_;
  llhttp_t parser_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;           // usable bytes; the allocation has kBodyPadding more
  size_t msg_start_ = 0;     // first byte of the current (unfinished or delivered) message
  size_t parsed_ = 0;        // bytes up to here were fed to llhttp
  size_t end_ = 0;           // bytes up to here hold data
  size_t head_scanned_ = 0;  // obs-fold scan progress

  Phase phase_ = Phase::kHead;
  Pause pause_ = Pause::kNone;
  bool continue_sent_ = false;
  bool last_was_value_ = false;
  uint32_t url_off_ = 0, url_len_ = 0;
  std::vector<HeaderSpan> header_spans_;
  bool body_seen_ = false;
  uint32_t body_off_ = 0;
  uint64_t body_len_ = 0;
  std::string chunked_body_;
  bool keep_alive_ = true;
  bool over_body_limit_ = false;
  int error_status_ = 0;
  std::string error_detail_;
  HttpRequest request_;
};

}  // namespace uq::net
