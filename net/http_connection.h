// net/http_connection.h — one accepted HTTP connection (internal to net/).
//
// Owns: the socket fd, its transport, its codec (receive buffer), the queue of responses in
// request order and the send buffers. Threads: the server's reactor thread only.
// Lifecycle: kOpen → (kLingering: our side shut for writing, the client's last bytes are read
// and dropped so the kernel does not reset the connection under our final response) → kClosed.
// A closed connection stays allocated until its last ring operation has completed; then the
// server takes it back (HttpServer::release) and frees it at a point where no frame of the
// connection is on the stack.
// Files: a streamed request body (HttpServerOptions::stream_body_dir) is written with ring
// writes, one piece in flight at a time; while a write is in flight at most about one more
// piece is received before reads pause. A file response body is read with ring reads, one piece
// at a time. Both are owned here until handed over (BodyFile to the handler) or finished, and a
// closed connection deletes a half-written body file at once.
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
    std::string bytes;                   // serialized response, plaintext
    std::shared_ptr<ResponseFile> file;  // sent after `bytes` (the headers)
  };
  // A request body being written to its file.
  struct BodyStream {
    int fd = -1;
    std::string path;  // empty once the file was deleted (the request failed)
    uint64_t written = 0;
    std::string writing;  // the piece being written
    size_t write_off = 0;
    bool write_in_flight = false;
    bool last = false;  // `writing` ends the body
    bool done = false;  // the whole body is on disk; the request is next
  };
  // A response body being sent from a file.
  struct FileSend {
    std::shared_ptr<ResponseFile> file;
    uint64_t offset = 0;
    std::unique_ptr<char[]> buffer;
    bool read_in_flight = false;
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
  class WriteOp final : public core::Completion {
   public:
    explicit WriteOp(HttpConnection* c) : c_(c) {}
    void complete(int32_t res, uint32_t /*flags*/) override { c_->on_body_write(res); }

   private:
    HttpConnection* c_;
  };
  class ReadOp final : public core::Completion {
   public:
    explicit ReadOp(HttpConnection* c) : c_(c) {}
    void complete(int32_t res, uint32_t /*flags*/) override { c_->on_file_read(res); }

   private:
    HttpConnection* c_;
  };

  void on_recv(int32_t res, uint32_t flags);
  void on_send(int32_t res, uint32_t flags);
  void deliver(const char* data, size_t n);
  void pump();
  void dispatch_request();
  void push_error(int status, std::string_view message = {});
  // Streamed request bodies.
  int open_body_file(std::string_view method, std::string_view path);
  void take_body_data();
  void submit_body_write();
  void on_body_write(int32_t res);
  void discard_body_stream();
  // File response bodies.
  void maybe_read_file();
  void on_file_read(int32_t res);
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
  size_t unsent_bytes() const {
    size_t file_left = file_send_ ? file_send_->file->length() - file_send_->offset : 0;
    return sending_.size() - send_off_ + staged_.size() + file_left;
  }
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
  WriteOp write_op_{this};
  ReadOp read_op_{this};
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
  std::unique_ptr<BodyStream> body_stream_;
  std::string body_error_;  // why the body file failed, for the 500 answer
  std::unique_ptr<FileSend> file_send_;
};

}  // namespace uq::net
