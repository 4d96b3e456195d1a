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
//  - Streaming (only when a stream filter is set and says so for a request at headers-complete):
//    the body is not kept in the receive buffer but handed out in pieces (kBodyData, about
//    kStreamChunkBytes each, the last one flagged) and limited by max_streamed_body_bytes
//    instead; the request itself (kRequest) follows the last piece, with `body` holding only
//    the body's first kStreamedBodyPrefixBytes. The head stays buffered meanwhile, so memory per
//    streamed request is the head plus about two pieces. Requests the filter declines are
//    parsed exactly as without a filter.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
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
  uint64_t max_streamed_body_bytes = uint64_t{64} << 30;  // bodies the stream filter took
};

// A streamed body is handed out once this much of it is buffered (and at its end).
inline constexpr size_t kStreamChunkBytes = 1024 * 1024;

class HttpCodec {
 public:
  enum class Event {
    kNeedMore,  // everything buffered is consumed; feed more bytes
    kRequest,   // request() holds a complete request
    kContinue,  // the client expects "100 Continue" before it sends the body
    kError,     // error_status() says which response to send before closing
    kBodyData,  // streaming: take_body_data() before calling next() again
  };
  // Called at headers-complete with the method and the target's path: kBuffer to parse the body
  // as usual, kStream to stream it, or an HTTP status ≥ 400 to refuse the request with.
  static constexpr int kBuffer = 0;
  static constexpr int kStream = 1;
  using StreamFilter = std::function<int(std::string_view method, std::string_view path)>;

  explicit HttpCodec(const HttpLimits& limits);
  HttpCodec(const HttpCodec&) = delete;
  HttpCodec& operator=(const HttpCodec&) = delete;

  // Writable space of at least min_bytes at the end of the buffer (may move buffered bytes, so
  // never call it while a receive into the previous span is in flight).
  std::span<char> prepare(size_t min_bytes);
  // n bytes (0 when the receive failed) were written into the span from prepare(). Until then
  // the codec moves no buffered bytes, so next() may run while the receive is in flight.
  void commit(size_t n);
  // Copies bytes in (used when they arrive in a ring-provided buffer or from a transport).
  void append(std::string_view bytes);

  Event next();
  HttpRequest& request() { return request_; }

  // Set once, before the first next().
  void set_stream_filter(StreamFilter filter) { stream_filter_ = std::move(filter); }
  // After kBodyData: moves the piece into *out (whose old contents are dropped; its capacity is
  // reused for the next piece).
  void take_body_data(std::string* out);
  // The piece last handed out was the body's end; the next next() returns kRequest.
  bool body_data_last() const { return phase_ == Phase::kStreamDone; }
  // The current request's body is being streamed.
  bool streaming() const { return streaming_; }
  // Body bytes handed out (or about to be) so far for the current streamed request.
  uint64_t streamed_bytes() const { return streamed_bytes_; }
  int error_status() const { return error_status_; }
  // llhttp's reason for the last 400, for logs; "" otherwise.
  std::string_view error_detail() const { return error_detail_; }

  // Bytes of an unfinished request head are buffered (the header timeout applies).
  bool in_head() const;
  // Headers are complete but the body is not (the body read timeout applies).
  bool in_body() const { return phase_ == Phase::kBody || phase_ == Phase::kStreamDone; }
  // Nothing of a next request is buffered.
  bool empty() const { return end_ == msg_start_; }
  // Frees the buffer when it holds nothing (keeps idle connections small).
  void release_if_empty();
  size_t buffered_bytes() const { return end_ - msg_start_; }

 private:
  enum class Phase { kHead, kBody, kStreamDone, kDelivered, kError };
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
  int decide_streaming();
  void drop_streamed_bytes();
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
  StreamFilter stream_filter_;
  bool streaming_ = false;
  bool span_out_ = false;  // a span from prepare() awaits its commit()
  size_t head_len_ = 0;    // streaming: the head's bytes, from msg_start_
  uint64_t streamed_bytes_ = 0;
  std::string stream_out_;     // the next piece of a streamed body
  std::string stream_prefix_;  // its first kStreamedBodyPrefixBytes, for request().body
};

}  // namespace uq::net
