// net/http_connection.h — one accepted HTTP connection (internal to net/).
//
// Owns: the socket fd, its transport, its codec (receive buffer), the queue of responses in
// request order and the send buffers. Threads: the server's reactor thread only.
// Lifecycle: kOpen → (kLingering: our side shut for writing, the client's last bytes are read
// and dropped so the kernel does not reset the connection under our final response) → kClosed.
// A closed connection stays allocated until its last ring operation has completed; then the
// server takes it back (HttpServer::release) and frees it at a point where no frame of the
// connection is on the stack.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/completion.h"
#include "net/http_codec.h"
#include "net/http_server.h"
#include "net/transport.h"

namespace uq::net {

class HttpConnection {
 public:
  HttpConnection(HttpServer& server, uint32_t slot, uint32_t generation, int fd,
                 std::unique_ptr<Transport> transport);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void start();
  void respond(uint64_t seq, HttpResponse&& response);
  // Applies the header, body, send and idle timeouts.
  void sweep(int64_t now_ms);
  // Server shutdown: no new requests; close once the in-flight ones are answered.
  void begin_drain();
  void close_now();
  bool closed() const { return state_ == State::kClosed; }

 private:
  enum class State { kOpen, kLingering, kClosed };
  struct Pending {
    uint64_t seq = 0;
    bool interim = false;  // "100 Continue": not a request's answer
    bool ready = false;
    bool close = false;  // the connection closes after this response
    bool head = false;
    bool keep_alive_10 = false;
    std::string bytes;  // serialized response, plaintext
  };
  class RecvOp final : public core::Completion {
   public:
    explicit RecvOp(HttpConnection* c) : c_(c) {}
    void complete(int32_t res, uint32_t flags) override { c_->on_recv(res, flags); }

   private:
    HttpConnection* c_;
  };
  class SendOp final : public core::Completion {
   public:
    explicit SendOp(HttpConnection* c) : c_(c) {}
    void complete(int32_t res, uint32_t flags) override { c_->on_send(res, flags); }

   private:
    HttpConnection* c_;
  };

  void on_recv(int32_t res, uint32_t flags);
  void on_send(int32_t res, uint32_t flags);
  void deliver(const char* data, size_t n);
  void pump();
  void dispatch_request();
  void push_error(int status);
  void flush();
  void start_send();
  void update_reading();
  void arm_recv();
  bool should_read() const;
  void maybe_finish();
  void graceful_close();
  void maybe_release();
  void track_head_timer();
  std::string_view remote_addr();
  size_t unsent_bytes() const { return sending_.size() - send_off_ + staged_.size(); }
  bool multishot() const;

  HttpServer& server_;
  const uint32_t slot_;
  const uint32_t generation_;
  int fd_;
  std::unique_ptr<Transport> transport_;
  HttpCodec codec_;
  State state_ = State::kOpen;
  RecvOp recv_op_{this};
  SendOp send_op_{this};
  int ops_in_flight_ = 0;
  bool recv_armed_ = false;
  bool cancel_requested_ = false;
  bool send_in_flight_ = false;
  bool in_pump_ = false;
  bool released_ = false;
  bool no_more_requests_ = false;  // error, Connection: close, or drain
  bool peer_eof_ = false;
  bool drain_after_request_ = false;  // server shutdown arrived while a body was being read
  std::deque<Pending> pending_;
  uint64_t next_seq_ = 1;
  std::string sending_;  // wire bytes in flight
  size_t send_off_ = 0;
  std::string staged_;   // wire bytes waiting for the send in flight
  std::string wire_in_;  // receive buffer for non-passthrough transports and lingering
  std::string remote_addr_;
  bool head_timing_ = false;
  int64_t head_start_ms_ = 0;
  int64_t last_activity_ms_ = 0;
  int64_t last_send_progress_ms_ = 0;
  int64_t linger_start_ms_ = 0;
};

}  // namespace uq::net
