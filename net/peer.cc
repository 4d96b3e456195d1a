// The node-to-node transport's policy: listener, one outbound connection per destination,
// backoff, stale detection, calls and their timeouts, close. See net/peer.h.

#include "net/peer.h"

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
#include "net/socket.h"

namespace uq::net {

using peer_wire::FrameKind;

namespace {

constexpr int kListenBacklog = 1024;

}  // namespace

// ---- Reply ------------------------------------------------------------------------------------

PeerTransport::Reply::Reply(Reply&& other) noexcept
    : owner_(std::move(other.owner_)),
      connection_id_(other.connection_id_),
      call_id_(other.call_id_),
      pending_(other.pending_) {
  other.pending_ = false;
}

PeerTransport::Reply& PeerTransport::Reply::operator=(Reply&& other) noexcept {
  if (this != &other) {
    if (pending_) {
      fail("no response");
    }
    owner_ = std::move(other.owner_);
    connection_id_ = other.connection_id_;
    call_id_ = other.call_id_;
    pending_ = other.pending_;
    other.pending_ = false;
  }
  return *this;
}

PeerTransport::Reply::~Reply() {
  if (pending_) {
    fail("no response");
  }
}

void PeerTransport::Reply::send(std::string payload) {
  finish(FrameKind::kResponse, 0, payload);
}

void PeerTransport::Reply::fail(std::string error) {
  finish(FrameKind::kErrorResponse, static_cast<uint8_t>(Code::kInternal), error);
}

void PeerTransport::Reply::fail(Code code, std::string error) {
  finish(FrameKind::kErrorResponse, static_cast<uint8_t>(code), error);
}

void PeerTransport::Reply::finish(FrameKind kind, uint8_t code, std::string_view payload) {
  if (!pending_) {
    return;
  }
  pending_ = false;
  std::shared_ptr<PeerTransport*> owner = owner_.lock();
  if (owner != nullptr) {
    (*owner)->respond(connection_id_, call_id_, kind, code, payload);
  }
}

// ---- transport --------------------------------------------------------------------------------

PeerTransport::PeerTransport(core::Reactor& reactor, PeerOptions options)
    : reactor_(reactor), options_(options), alive_(std::make_shared<PeerTransport*>(this)) {
  schedule_sweep();
}

PeerTransport::~PeerTransport() {
  alive_.reset();
  reactor_.cancel_timer(sweep_timer_);
  reactor_.cancel_timer(graveyard_timer_);
  reactor_.cancel_timer(accept_retry_timer_);
  reactor_.cancel_timer(close_timer_);
  for (auto& [id, call] : calls_) {
    reactor_.cancel_timer(call.timer);
  }
  connections_.clear();  // destructors cancel their timers and close their fds
  graveyard_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
}

Status PeerTransport::listen(const std::string& addr) {
  UQ_CHECK(listen_fd_ < 0, "listen() called twice");
  Result<HostPort> where = split_host_port(addr);
  if (!where.is_ok()) {
    return where.status();
  }
  ListenOptions options;
  options.backlog = kListenBacklog;
  Result<int> fd = open_listener(*where, options);
  if (!fd.is_ok()) {
    return fd.status();
  }
  listen_fd_ = *fd;
  port_ = net::bound_port(listen_fd_);
  arm_accept();
  return Status::ok();
}

void PeerTransport::arm_accept() {
  io_uring_sqe* sqe = reactor_.get_sqe();
  io_uring_prep_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&acceptor_));
  accept_armed_ = true;
}

void PeerTransport::Acceptor::complete(int32_t res, uint32_t /*flags*/) {
  transport_->on_accept(res);
}

void PeerTransport::on_accept(int32_t res) {
  accept_armed_ = false;
  if (closed_) {
    if (res >= 0) {
      ::close(res);
    }
    maybe_finish_close();
    return;
  }
  if (res >= 0 && inbound_count_ >= options_.max_inbound_connections) {
    UQ_WARN("peer port %u: more than %zu inbound connections, closing one", port_,
            options_.max_inbound_connections);
    ::close(res);
  } else if (res >= 0) {
    ++inbound_count_;
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    uint64_t id = next_connection_id_++;
    auto connection = std::make_unique<Connection>(*this, id, nullptr, res);
    Connection* raw = connection.get();
    connections_.emplace(id, std::move(connection));
    raw->start_inbound();
  } else if (res != -ECANCELED && res != -EINTR) {
    UQ_WARN("peer accept on port %u: %s", port_, std::strerror(-res));
  }
  if (res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) {
    // Out of descriptors or memory: retrying at once would spin.
    accept_retry_timer_ = reactor_.add_timer(std::chrono::milliseconds(10), [this] {
      accept_retry_timer_ = 0;
      arm_accept();
    });
    return;
  }
  arm_accept();
}

PeerTransport::Connection* PeerTransport::outbound_for(const std::string& addr) {
  Peer& peer = peers_[addr];
  if (peer.connection != nullptr) {
    return peer.connection;
  }
  if (peer.addr.empty()) {
    peer.addr = addr;
    peer.backoff_ms = options_.backoff_min.count();
  }
  uint64_t id = next_connection_id_++;
  auto connection = std::make_unique<Connection>(*this, id, &peer, -1);
  Connection* raw = connection.get();
  connections_.emplace(id, std::move(connection));
  peer.connection = raw;
  raw->begin_dial(std::max<int64_t>(0, peer.retry_at_ms - reactor_.now_ms()));
  return raw;
}

void PeerTransport::send(const std::string& addr, std::string payload) {
  if (closed_) {
    return;
  }
  if (payload.size() > options_.max_frame_bytes) {
    ++stats_.dropped_messages;
    return;
  }
  Connection* connection = outbound_for(addr);
  if (connection->queued_bytes() + payload.size() > options_.max_queued_bytes) {
    ++stats_.dropped_messages;
    return;
  }
  connection->enqueue(FrameKind::kMessage, 0, 0, payload);
}

void PeerTransport::call(const std::string& addr, uint8_t method, std::string payload,
                         std::chrono::milliseconds timeout, CallDone done) {
  if (closed_) {
    return;  // no callback after close()
  }
  ++stats_.calls;
  if (payload.size() > options_.max_frame_bytes) {
    ++stats_.call_failures;
    done(error(Code::kTooLarge, "request larger than max_frame_bytes"));
    return;
  }
  Connection* connection = outbound_for(addr);
  if (connection->queued_bytes() + payload.size() > options_.max_queued_bytes) {
    ++stats_.call_failures;
    done(error(Code::kUnavailable, addr + ": send queue full"));
    return;
  }
  uint64_t call_id = next_call_id_++;
  connection->enqueue(FrameKind::kRequest, method, call_id, payload);
  PendingCall& pending = calls_[call_id];
  pending.done = std::move(done);
  pending.connection_id = connection->id();
  pending.timer = reactor_.add_timer(timeout, [this, call_id] { on_call_timeout(call_id); });
}

void PeerTransport::on_call_timeout(uint64_t call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) {
    return;
  }
  CallDone done = std::move(it->second.done);
  calls_.erase(it);
  ++stats_.call_timeouts;
  done(error(Code::kTimeout, "call timed out"));
}

void PeerTransport::complete_call(uint64_t connection_id, uint64_t call_id,
                                  Result<std::string> result) {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second.connection_id != connection_id) {
    return;  // timed out already: a late answer is ignored
  }
  reactor_.cancel_timer(it->second.timer);
  CallDone done = std::move(it->second.done);
  calls_.erase(it);
  done(std::move(result));
}

void PeerTransport::respond(uint64_t connection_id, uint64_t call_id, FrameKind kind, uint8_t code,
                            std::string_view payload) {
  if (closed_) {
    return;
  }
  auto it = connections_.find(connection_id);
  if (it == connections_.end() || it->second->state() != Connection::State::kOpen) {
    return;
  }
  if (it->second->queued_bytes() + payload.size() > options_.max_queued_bytes) {
    // The dialer stopped reading its responses: it loses the connection (its calls fail) rather
    // than this node buffering without bound.
    it->second->close(CloseReason::kError, "responses over max_queued_bytes unread");
    return;
  }
  if (payload.size() > options_.max_frame_bytes) {
    kind = FrameKind::kErrorResponse;
    code = static_cast<uint8_t>(Code::kTooLarge);
    payload = "response larger than max_frame_bytes";
  }
  it->second->enqueue(kind, code, call_id, payload);
}

void PeerTransport::reset(const std::string& addr) {
  auto it = peers_.find(addr);
  if (it != peers_.end() && it->second.connection != nullptr) {
    it->second.connection->close(CloseReason::kReset, addr + ": connection reset");
  }
}

bool PeerTransport::connected(const std::string& addr) const {
  auto it = peers_.find(addr);
  return it != peers_.end() && it->second.connection != nullptr &&
         it->second.connection->state() == Connection::State::kOpen;
}

// Called once per connection as it closes, before its ring operations have drained.
void PeerTransport::on_connection_closed(Connection& connection, CloseReason reason,
                                         const std::string& why) {
  Peer* peer = connection.peer();
  if (peer == nullptr) {
    --inbound_count_;
    return;  // inbound: its unanswered replies become no-ops
  }
  UQ_DEBUG("peer %s: %s", peer->addr.c_str(), why.c_str());
  if (peer->connection == &connection) {
    peer->connection = nullptr;
  }
  stats_.dropped_messages += connection.staged_messages();
  if (connection.established()) {
    ++stats_.disconnects;
  }
  int64_t now = reactor_.now_ms();
  if (reason == CloseReason::kReset || reason == CloseReason::kStale) {
    peer->retry_at_ms = 0;  // replaced at once by the next send
  } else if (connection.established()) {
    peer->retry_at_ms = now + options_.backoff_min.count();
  } else {
    peer->retry_at_ms = now + peer->backoff_ms;
    peer->backoff_ms = std::min<int64_t>(peer->backoff_ms * 2, options_.backoff_max.count());
  }
  fail_calls_of(connection.id(), peer->addr + ": " + why);
}

void PeerTransport::fail_calls_of(uint64_t connection_id, const std::string& why) {
  std::vector<uint64_t> ids;
  for (const auto& [id, call] : calls_) {
    if (call.connection_id == connection_id) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());  // in the order they were made
  for (uint64_t id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) {
      continue;
    }
    reactor_.cancel_timer(it->second.timer);
    CallDone done = std::move(it->second.done);
    calls_.erase(it);
    ++stats_.call_failures;
    done(error(Code::kUnavailable, why));
  }
}

void PeerTransport::release(uint64_t connection_id) {
  auto it = connections_.find(connection_id);
  UQ_CHECK(it != connections_.end(), "release of unknown peer connection %llu",
           static_cast<unsigned long long>(connection_id));
  graveyard_.push_back(std::move(it->second));
  connections_.erase(it);
  if (graveyard_timer_ == 0) {
    graveyard_timer_ = reactor_.add_timer(std::chrono::milliseconds(0), [this] {
      graveyard_timer_ = 0;
      graveyard_.clear();
      maybe_finish_close();
    });
  }
}

std::vector<PeerTransport::Connection*> PeerTransport::live_connections() {
  std::vector<Connection*> out;
  out.reserve(connections_.size());
  for (auto& [id, connection] : connections_) {
    if (connection->state() != Connection::State::kClosed) {
      out.push_back(connection.get());
    }
  }
  return out;
}

void PeerTransport::schedule_sweep() {
  int64_t shortest = std::min(options_.idle_ping.count(), options_.stale_after.count());
  int64_t period = std::clamp<int64_t>(shortest / 4, 5, 250);
  sweep_timer_ = reactor_.add_timer(std::chrono::milliseconds(period), [this] {
    sweep_timer_ = 0;
    sweep();
    schedule_sweep();
  });
}

// Pings silent outbound connections, replaces stale ones, and closes inbound connections whose
// dialer has gone silent far longer than its pings allow (a half-open connection).
void PeerTransport::sweep() {
  int64_t now = reactor_.now_ms();
  int64_t inbound_idle_ms = 4 * std::max(options_.stale_after.count(), options_.idle_ping.count());
  for (Connection* connection : live_connections()) {
    if (connection->state() != Connection::State::kOpen) {
      continue;
    }
    if (connection->peer() == nullptr) {
      if (now - connection->last_recv_ms() > inbound_idle_ms) {
        connection->close(CloseReason::kError, "inbound connection silent");
      }
      continue;
    }
    int64_t awaiting = connection->awaiting_since_ms();
    if (awaiting != 0 && now - awaiting >= options_.stale_after.count()) {
      ++stats_.stale_replaced;
      connection->close(CloseReason::kStale, "stale: nothing received");
      continue;
    }
    if (now - connection->last_recv_ms() >= options_.idle_ping.count() &&
        !connection->ping_outstanding()) {
      connection->set_ping_outstanding();
      connection->enqueue(FrameKind::kPing, 0, 0, {});
    }
  }
}

void PeerTransport::close(std::function<void()> on_closed) {
  if (on_closed) {
    on_closed_.push_back(std::move(on_closed));
  }
  if (closed_) {
    if (close_done_ && close_timer_ == 0) {
      close_done_ = false;  // already finished: run the new on_closed from a timer too
      maybe_finish_close();
    }
    return;
  }
  closed_ = true;  // from here on send/call/replies are no-ops and handlers are not called
  reactor_.cancel_timer(sweep_timer_);
  reactor_.cancel_timer(accept_retry_timer_);
  sweep_timer_ = accept_retry_timer_ = 0;
  if (accept_armed_) {
    io_uring_sqe* sqe = reactor_.get_sqe();
    io_uring_prep_cancel64(
        sqe, reinterpret_cast<uint64_t>(static_cast<core::Completion*>(&acceptor_)), 0);
    io_uring_sqe_set_data64(sqe, 0);
  }
  for (Connection* connection : live_connections()) {
    connection->close(CloseReason::kShutdown, "transport closed");
  }
  // Calls never tied to a live connection (none expected) fail too.
  std::vector<uint64_t> connection_ids;
  for (const auto& [id, call] : calls_) {
    connection_ids.push_back(call.connection_id);
  }
  for (uint64_t connection_id : connection_ids) {
    fail_calls_of(connection_id, "transport closed");
  }
  maybe_finish_close();
}

void PeerTransport::maybe_finish_close() {
  if (!closed_ || close_done_ || accept_armed_ || !connections_.empty()) {
    return;
  }
  close_done_ = true;
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  // From a timer: we may be inside a completion, and on_closed may destroy the transport.
  close_timer_ = reactor_.add_timer(std::chrono::milliseconds(0), [this] {
    close_timer_ = 0;
    graveyard_.clear();
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(on_closed_);
    for (auto& callback : callbacks) {
      callback();
    }
  });
}

}  // namespace uq::net
