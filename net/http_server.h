// net/http_server.h — HTTP/1.1 server on one reactor: accept, keep-alive, pipelining, limits.
//
// Owns: one listening socket (SO_REUSEPORT, so each reactor has its own on the same port), the
// connections accepted on it, their receive buffers (a ring of kernel-provided buffers when the
// kernel has multishot recv, per-connection buffers otherwise) and their send queues.
// Threads: everything on the reactor's owner thread; construction and listen() may also happen on
// another thread before the reactor's run() starts (they only prepare SQEs; run() submits them
// from the owner thread). To answer from another thread, post a closure that calls respond().
// Guarantees:
//  - The handler runs on the reactor thread, once per request, in arrival order per connection.
//  - Responses go out in request order even when respond() is called out of order; responses
//    that are ready together leave in one send.
//  - Memory per connection is bounded: at most max_pipelined requests are read ahead, reads
//    pause while responses are unsent, and limits end oversized requests early (431, 413).
//  - Protocol errors are answered by the HTTP layer (400, 408, 413, 417, 431, 501) with a
//    "<reason>\n" text body and Connection: close, then the connection closes.
//  - A response with a file body (HttpResponse::file) goes out in kStreamChunkBytes pieces read
//    through the ring: a piece is read only when the previous one has been handed to the socket,
//    so at most two pieces per connection are in memory; later responses on the connection
//    wait for it. A read error after the headers left can only cut the connection.
//  - Destroy the server only after on_drained ran or after the reactor's run() has returned for
//    good: in-flight ring operations point into it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "core/status.h"
#include "net/http.h"
#include "net/transport.h"

namespace uq::net {

class HttpServer;
class HttpConnection;
class ProvidedBuffers;

// Names one request on one connection of one server. Copyable and small; stale tokens (the
// connection closed, or was reused by a new one) are recognised and ignored by respond().
// A capturing responder belongs to no connection: the response goes to a function instead (a
// request forwarded from another node, answered over the node-to-node port). The function runs
// on the thread that responds and must copy what it keeps (header_block is a view). It gets the
// response as given: a file body (HttpResponse::file) is not read for it, so handlers whose
// answers may be captured put such bodies in `body` instead (see captured()).
class HttpResponder {
 public:
  using Capture = std::function<void(HttpResponse&&)>;
  HttpResponder() = default;
  static HttpResponder capturing(Capture capture) {
    HttpResponder r;
    r.capture_ = std::make_shared<Capture>(std::move(capture));
    return r;
  }
  bool captured() const { return capture_ != nullptr; }
  HttpServer* server() const { return server_; }
  // Owner thread only; same as server()->respond(*this, ...).
  void respond(HttpResponse&& response) const;

 private:
  friend class HttpServer;
  friend class HttpConnection;
  HttpResponder(HttpServer* server, uint32_t slot, uint32_t generation, uint64_t seq)
      : server_(server), slot_(slot), generation_(generation), seq_(seq) {}
  HttpServer* server_ = nullptr;
  uint32_t slot_ = 0;
  uint32_t generation_ = 0;
  uint64_t seq_ = 0;
  std::shared_ptr<Capture> capture_;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder)>;

struct HttpServerOptions {
  size_t max_header_bytes = 64 * 1024;              // over → 431, close
  size_t max_body_bytes = 64 * 1024 * 1024;         // over → 413, close (from Content-Length)
  size_t max_connections = 20000;                   // per reactor; over → accept and close
  std::chrono::milliseconds header_timeout{10000};  // head must arrive within this → 408, close
  std::chrono::milliseconds idle_timeout{120000};  // keep-alive idle → close; also body/send stall
  size_t max_pipelined = 64;                       // requests read ahead before pausing reads
  size_t max_send_buffered_bytes = 4 * 1024 * 1024;  // unsent bytes above this pause reads
  size_t recv_buffer_bytes = 16 * 1024;              // per receive (provided or per-connection)
  unsigned provided_buffer_count = 256;              // ring-provided receive buffers (power of 2)
  TransportFactory transport_factory;                // empty → plain TCP
  // Asked once per request when its headers are complete (method, path without the query): a
  // directory to stream the body into, or nullopt to buffer it as usual (the default for all).
  // A streamed body goes to a new file "<dir>/http-body-XXXXXX" as it arrives, in pieces of
  // kStreamChunkBytes written through the ring (never blocking the reactor); the handler then
  // gets the request with body_file set (see HttpRequest). A file that cannot be created or
  // written answers 500 with the reason; a body over max_streamed_body_bytes answers 413; a
  // connection that fails or closes mid-body: in every such case the file is deleted.
  std::function<std::optional<std::string>(std::string_view method, std::string_view path)>
      stream_body_dir;
  uint64_t max_streamed_body_bytes = uint64_t{64} << 30;  // over → 413, close, file deleted
};

class HttpServer {
 public:
  HttpServer(core::Reactor& reactor, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // "localhost:4001", "127.0.0.1:0", "[::1]:4001", ":4001". SO_REUSEPORT + SO_REUSEADDR.
  Status listen(std::string_view host_port);
  uint16_t port() const { return port_; }

  // Owner thread only. A no-op when the connection is gone. Responses on a connection go out in
  // request order even when answered out of order.
  void respond(HttpResponder responder, HttpResponse&& response);

  // Stop accepting; finish in-flight requests (their responses carry Connection: close); close
  // idle connections; run on_drained (from a posted task, so it may destroy the server) once all
  // connections are closed, or after grace when the rest are closed by force.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> on_drained);

  size_t connection_count() const { return live_connections_; }
  core::Reactor& reactor() { return reactor_; }
  const HttpServerOptions& options() const { return options_; }
  bool multishot_recv() const { return buffers_ != nullptr; }
  bool multishot_accept() const { return multishot_accept_; }

 private:
  friend class HttpConnection;
  class Acceptor;
  struct Slot {
    std::unique_ptr<HttpConnection> connection;
    uint32_t generation = 0;
  };

  void arm_accept();
  void on_accept(int32_t res, uint32_t flags);
  void start_connection(int fd);
  void release(uint32_t slot);
  void sweep();
  void schedule_sweep();
  void maybe_finish_drain();
  void close_listener();

  core::Reactor& reactor_;
  const HttpServerOptions options_;
  HttpHandler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  bool multishot_accept_ = false;
  bool accept_armed_ = false;
  std::unique_ptr<Acceptor> acceptor_;
  std::unique_ptr<ProvidedBuffers> buffers_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<std::unique_ptr<HttpConnection>> graveyard_;  // closed, freed at a safe point
  size_t live_connections_ = 0;
  uint64_t sweep_timer_ = 0;
  uint64_t accept_retry_timer_ = 0;
  bool draining_ = false;
  bool drain_done_ = false;
  uint64_t grace_timer_ = 0;
  std::function<void()> on_drained_;
};

}  // namespace uq::net
