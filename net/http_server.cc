#include "net/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/check.h"
#include "core/log.h"
#include "net/http_connection.h"
#include "net/provided_buffers.h"
#include "net/socket.h"

namespace uq::net {

class HttpServer::Acceptor final : public core::Completion {
 public:
  explicit Acceptor(HttpServer* server) : server_(server) {}
  void complete(int32_t res, uint32_t flags) override { server_->on_accept(res, flags); }

 private:
  HttpServer* server_;
};

namespace {

constexpr int kListenBacklog = 4096;

}  // namespace

void HttpResponder::respond(HttpResponse&& response) const {
  if (capture_ != nullptr) {
    (*capture_)(std::move(response));
  } else if (server_ != nullptr) {
    server_->respond(*this, std::move(response));
  }
}

HttpServer::HttpServer(core::Reactor& reactor, HttpServerOptions options, HttpHandler handler)
    : reactor_(reactor),
      options_(std::move(options)),
      handler_(std::move(handler)),
      acceptor_(std::make_unique<Acceptor>(this)) {}

HttpServer::~HttpServer() {
  reactor_.cancel_timer(sweep_timer_);
  reactor_.cancel_timer(grace_timer_);
  reactor_.cancel_timer(accept_retry_timer_);
  slots_.clear();  // connection destructors close their fds
  graveyard_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
}

Status HttpServer::listen(std::string_view host_port) {
  UQ_CHECK(listen_fd_ < 0, "listen() called twice");
  Result<HostPort> where = split_host_port(host_port);
  if (!where.is_ok()) {
    return where.status();
  }
  ListenOptions listen_options;
  listen_options.backlog = kListenBacklog;
  listen_options.reuse_port = true;
  Result<int> fd = open_listener(*where, listen_options);
  if (!fd.is_ok()) {
    return fd.status();
  }
  listen_fd_ = *fd;
  port_ = bound_port(listen_fd_);
  const core::RingFeatures& features = reactor_.features();
  multishot_accept_ = features.multishot_accept;
  if (features.multishot_recv && features.buf_ring) {
    buffers_ = ProvidedBuffers::create(reactor_.ring(), options_.provided_buffer_count,
                                       options_.recv_buffer_bytes);
  }
  arm_accept();
  schedule_sweep();
  return Status::ok();
}

void HttpServer::arm_accept() {
  io_uring_sqe* sqe = reactor_.get_sqe();
  if (multishot_accept_) {
    io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(acceptor_.get()));
  accept_armed_ = true;
}

void HttpServer::on_accept(int32_t res, uint32_t flags) {
  graveyard_.clear();
  if (!multishot_accept_ || (flags & IORING_CQE_F_MORE) == 0) {
    accept_armed_ = false;
  }
  if (res >= 0) {
    if (draining_ || live_connections_ >= options_.max_connections) {
      ::close(res);
    } else {
      start_connection(res);
    }
  } else if (res != -ECANCELED && !draining_) {
    UQ_WARN("accept on port %u: %s", port_, std::strerror(-res));
  }
  if (draining_) {
    maybe_finish_drain();
    return;
  }
  if (!accept_armed_) {
    if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
      // Out of descriptors or memory: retrying at once would spin; try again shortly.
      accept_retry_timer_ = reactor_.add_timer(std::chrono::milliseconds(10), [this] {
        accept_retry_timer_ = 0;
        if (!draining_) {
          arm_accept();
        }
      });
    } else {
      arm_accept();
    }
  }
}

void HttpServer::start_connection(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  std::unique_ptr<Transport> transport = options_.transport_factory
                                             ? options_.transport_factory()
                                             : std::make_unique<PlainTransport>();
  slots_[slot].connection = std::make_unique<HttpConnection>(*this, slot, slots_[slot].generation,
                                                             fd, std::move(transport));
  ++live_connections_;
  slots_[slot].connection->start();
}

void HttpServer::release(uint32_t slot) {
  Slot& entry = slots_[slot];
  UQ_CHECK(entry.connection != nullptr, "release of an empty slot %u", slot);
  ++entry.generation;
  graveyard_.push_back(std::move(entry.connection));
  free_slots_.push_back(slot);
  --live_connections_;
  maybe_finish_drain();
}

void HttpServer::respond(HttpResponder responder, HttpResponse&& response) {
  if (responder.capture_ != nullptr) {
    (*responder.capture_)(std::move(response));
    return;
  }
  if (responder.server_ != this || responder.slot_ >= slots_.size()) {
    return;
  }
  Slot& entry = slots_[responder.slot_];
  if (entry.connection == nullptr || entry.generation != responder.generation_) {
    return;
  }
  entry.connection->respond(responder.seq_, std::move(response));
}

void HttpServer::schedule_sweep() {
  int64_t shortest = std::min(options_.header_timeout.count(), options_.idle_timeout.count());
  int64_t period = std::clamp<int64_t>(shortest / 4, 5, 500);
  sweep_timer_ = reactor_.add_timer(std::chrono::milliseconds(period), [this] { sweep(); });
}

void HttpServer::sweep() {
  graveyard_.clear();
  int64_t now = reactor_.now_ms();
  for (Slot& entry : slots_) {
    if (entry.connection != nullptr) {
      entry.connection->sweep(now);
    }
  }
  schedule_sweep();
}

void HttpServer::close_listener() {
  reactor_.cancel_timer(accept_retry_timer_);
  accept_retry_timer_ = 0;
  if (accept_armed_) {
    io_uring_sqe* sqe = reactor_.get_sqe();
    io_uring_prep_cancel64(
        sqe, reinterpret_cast<uint64_t>(static_cast<core::Completion*>(acceptor_.get())), 0);
    io_uring_sqe_set_data64(sqe, 0);
  } else if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void HttpServer::shutdown(std::chrono::milliseconds grace, std::function<void()> on_drained) {
  if (draining_) {
    return;
  }
  draining_ = true;
  on_drained_ = std::move(on_drained);
  close_listener();
  for (Slot& entry : slots_) {
    if (entry.connection != nullptr) {
      entry.connection->begin_drain();
    }
  }
  grace_timer_ = reactor_.add_timer(grace, [this] {
    grace_timer_ = 0;
    for (Slot& entry : slots_) {
      if (entry.connection != nullptr) {
        entry.connection->close_now();
      }
    }
    maybe_finish_drain();
  });
  maybe_finish_drain();
}

void HttpServer::maybe_finish_drain() {
  if (!draining_ || drain_done_ || live_connections_ > 0 || accept_armed_) {
    return;
  }
  drain_done_ = true;
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  reactor_.cancel_timer(grace_timer_);
  reactor_.cancel_timer(sweep_timer_);
  // From a timer, not from here: we may be inside a connection's completion, and on_drained may
  // destroy this server.
  grace_timer_ = reactor_.add_timer(std::chrono::milliseconds(0), [this] {
    grace_timer_ = 0;
    if (on_drained_) {
      std::function<void()> done = std::move(on_drained_);
      done();
    }
  });
}

}  // namespace uq::net
