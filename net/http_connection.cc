#include "net/http_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/check.h"
#include "core/log.h"
#include "net/http_writer.h"
#include "net/provided_buffers.h"

namespace uq::net {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr int64_t kLingerMs = 1000;

uint64_t completion_data(core::Completion* completion) {
  return reinterpret_cast<uint64_t>(completion);
}

bool asks_to_close(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (equals_ignore_case(name, "Connection") && equals_ignore_case(value, "close")) {
      return true;
    }
  }
  return false;
}

}  // namespace

HttpConnection::HttpConnection(HttpServer& server, uint32_t slot, uint32_t generation, int fd,
                               std::unique_ptr<Transport> transport)
    : server_(server),
      slot_(slot),
      generation_(generation),
      fd_(fd),
      transport_(std::move(transport)),
      codec_(HttpLimits{server.options_.max_header_bytes, server.options_.max_body_bytes}) {}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool HttpConnection::multishot() const {
  return server_.buffers_ != nullptr;
}

void HttpConnection::start() {
  last_activity_ms_ = server_.reactor_.now_ms();
  update_reading();
}

// ---- receiving ----------------------------------------------------------------------------

bool HttpConnection::should_read() const {
  switch (state_) {
    case State::kClosed:
      return false;
    case State::kLingering:
      return !peer_eof_;
    case State::kOpen:
      break;
  }
  return !peer_eof_ && !no_more_requests_ && pending_.size() < server_.options_.max_pipelined &&
         unsent_bytes() < server_.options_.max_send_buffered_bytes;
}

void HttpConnection::update_reading() {
  bool want = should_read();
  if (want && !recv_armed_) {
    arm_recv();
  } else if (!want && recv_armed_ && multishot() && !cancel_requested_) {
    // A multishot receive keeps filling buffers until cancelled; single-shot ones just are not
    // re-armed.
    io_uring_sqe* sqe = server_.reactor_.get_sqe();
    io_uring_prep_cancel64(sqe, completion_data(&recv_op_), 0);
    io_uring_sqe_set_data64(sqe, 0);
    cancel_requested_ = true;
  }
}

void HttpConnection::arm_recv() {
  io_uring_sqe* sqe = server_.reactor_.get_sqe();
  if (multishot()) {
    io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = server_.buffers_->group();
  } else if (transport_->passthrough() && state_ == State::kOpen) {
    std::span<char> span = codec_.prepare(server_.options_.recv_buffer_bytes);
    io_uring_prep_recv(sqe, fd_, span.data(), span.size(), 0);
  } else {
    wire_in_.resize(server_.options_.recv_buffer_bytes);
    io_uring_prep_recv(sqe, fd_, wire_in_.data(), wire_in_.size(), 0);
  }
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&recv_op_));
  recv_armed_ = true;
  ++ops_in_flight_;
}

void HttpConnection::on_recv(int32_t res, uint32_t flags) {
  bool multishot_op = multishot();
  if (!multishot_op || (flags & IORING_CQE_F_MORE) == 0) {
    recv_armed_ = false;
    cancel_requested_ = false;
    --ops_in_flight_;
  }
  if (multishot_op && (flags & IORING_CQE_F_BUFFER) != 0) {
    uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    if (res > 0) {
      deliver(server_.buffers_->data(bid), static_cast<size_t>(res));
    }
    server_.buffers_->recycle(bid);
  } else if (!multishot_op && res > 0) {
    if (transport_->passthrough() && state_ == State::kOpen) {
      codec_.commit(static_cast<size_t>(res));
    } else {
      deliver(wire_in_.data(), static_cast<size_t>(res));
    }
  }
  if (state_ == State::kClosed) {
    maybe_release();
    return;
  }
  if (res == 0) {
    peer_eof_ = true;
  } else if (res < 0 && res != -ENOBUFS && res != -ECANCELED && res != -EINTR) {
    close_now();
    return;
  } else if (res > 0) {
    last_activity_ms_ = server_.reactor_.now_ms();
  }
  if (state_ == State::kLingering) {
    if (peer_eof_) {
      close_now();
    } else {
      update_reading();
    }
    return;
  }
  pump();
}

void HttpConnection::deliver(const char* data, size_t n) {
  if (state_ != State::kOpen) {
    return;  // lingering: the client's late bytes are read only to be dropped
  }
  if (transport_->passthrough()) {
    codec_.append(std::string_view(data, n));
    return;
  }
  Status status = transport_->on_wire_bytes(std::string_view(data, n), codec_, staged_);
  if (!status.is_ok()) {
    UQ_DEBUG("transport: %s", status.to_string().c_str());
    close_now();
  }
}

// ---- requests ---------------------------------------------------------------------------------

void HttpConnection::pump() {
  if (in_pump_) {
    return;  // a handler answered synchronously; the outer pump flushes
  }
  in_pump_ = true;
  while (state_ == State::kOpen && !no_more_requests_ &&
         pending_.size() < server_.options_.max_pipelined &&
         unsent_bytes() < server_.options_.max_send_buffered_bytes) {
    HttpCodec::Event event = codec_.next();
    if (event == HttpCodec::Event::kNeedMore) {
      if (peer_eof_) {
        no_more_requests_ = true;  // nothing more can arrive to finish a partial request
      }
      break;
    }
    if (event == HttpCodec::Event::kContinue) {
      Pending interim;
      interim.interim = true;
      interim.ready = true;
      interim.bytes.assign(kContinue);
      pending_.push_back(std::move(interim));
      continue;
    }
    if (event == HttpCodec::Event::kError) {
      UQ_DEBUG("http: %d (%.*s)", codec_.error_status(),
               static_cast<int>(codec_.error_detail().size()), codec_.error_detail().data());
      push_error(codec_.error_status());
      break;
    }
    dispatch_request();
  }
  in_pump_ = false;
  if (state_ == State::kOpen) {
    track_head_timer();
    flush();
    update_reading();
    maybe_finish();
  }
  maybe_release();
}

void HttpConnection::dispatch_request() {
  HttpRequest& request = codec_.request();
  request.remote_addr = remote_addr();
  Pending entry;
  entry.seq = next_seq_++;
  entry.close = !request.keep_alive || drain_after_request_;
  entry.head = request.method == "HEAD";
  entry.keep_alive_10 = request.version_minor == 0 && request.keep_alive;
  uint64_t seq = entry.seq;
  bool close = entry.close;
  pending_.push_back(std::move(entry));
  if (close) {
    no_more_requests_ = true;
  }
  last_activity_ms_ = server_.reactor_.now_ms();
  server_.handler_(request, HttpResponder(&server_, slot_, generation_, seq));
}

void HttpConnection::push_error(int status) {
  Pending entry;
  entry.ready = true;
  entry.close = true;
  entry.interim = true;
  append_response(make_error_response(status), ResponseFraming{.close = true}, entry.bytes);
  pending_.push_back(std::move(entry));
  no_more_requests_ = true;
}

void HttpConnection::track_head_timer() {
  if (codec_.in_head()) {
    if (!head_timing_) {
      head_timing_ = true;
      head_start_ms_ = server_.reactor_.now_ms();
    }
  } else {
    head_timing_ = false;
  }
}

std::string_view HttpConnection::remote_addr() {
  if (!remote_addr_.empty()) {
    return remote_addr_;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    remote_addr_ = "unknown";
    return remote_addr_;
  }
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    remote_addr_ = std::string("[") + host + "]:" + std::to_string(port);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
    port = ntohs(in4->sin_port);
    remote_addr_ = std::string(host) + ":" + std::to_string(port);
  }
  return remote_addr_;
}

// ---- responses ----------------------------------------------------------------------------

void HttpConnection::respond(uint64_t seq, HttpResponse&& response) {
  if (state_ != State::kOpen) {
    return;
  }
  Pending* entry = nullptr;
  for (Pending& candidate : pending_) {
    if (!candidate.interim && candidate.seq == seq) {
      entry = &candidate;
      break;
    }
  }
  if (entry == nullptr || entry->ready) {
    return;  // already answered, or dropped because the connection is closing
  }
  bool last = entry == &pending_.back();
  entry->close = entry->close || asks_to_close(response) || (server_.draining_ && last);
  ResponseFraming framing{
      .close = entry->close, .keep_alive_10 = entry->keep_alive_10, .head = entry->head};
  append_response(response, framing, entry->bytes);
  entry->ready = true;
  if (entry->close) {
    no_more_requests_ = true;
  }
  pump();
}

void HttpConnection::flush() {
  while (!pending_.empty() && pending_.front().ready) {
    Pending& front = pending_.front();
    bool close = front.close;
    if (!transport_->passthrough()) {
      Status status = transport_->on_plain_bytes(front.bytes, staged_);
      if (!status.is_ok()) {
        close_now();
        return;
      }
    } else if (staged_.empty()) {
      staged_.swap(front.bytes);
    } else {
      staged_.append(front.bytes);
    }
    pending_.pop_front();
    if (close) {
      pending_.clear();  // answers to later pipelined requests are never sent
      no_more_requests_ = true;
      break;
    }
  }
  start_send();
}

void HttpConnection::start_send() {
  if (send_in_flight_ || staged_.empty() || state_ != State::kOpen) {
    return;
  }
  sending_.swap(staged_);
  staged_.clear();
  send_off_ = 0;
  io_uring_sqe* sqe = server_.reactor_.get_sqe();
  io_uring_prep_send(sqe, fd_, sending_.data(), sending_.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&send_op_));
  send_in_flight_ = true;
  ++ops_in_flight_;
  last_send_progress_ms_ = server_.reactor_.now_ms();
}

void HttpConnection::on_send(int32_t res, uint32_t /*flags*/) {
  send_in_flight_ = false;
  --ops_in_flight_;
  if (state_ != State::kOpen) {
    maybe_release();
    return;
  }
  if (res <= 0) {
    close_now();
    return;
  }
  send_off_ += static_cast<size_t>(res);
  last_send_progress_ms_ = last_activity_ms_ = server_.reactor_.now_ms();
  if (send_off_ < sending_.size()) {
    io_uring_sqe* sqe = server_.reactor_.get_sqe();
    io_uring_prep_send(sqe, fd_, sending_.data() + send_off_, sending_.size() - send_off_,
                       MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&send_op_));
    send_in_flight_ = true;
    ++ops_in_flight_;
    return;
  }
  sending_.clear();
  send_off_ = 0;
  if (sending_.capacity() > 1024 * 1024) {
    std::string().swap(sending_);
  }
  start_send();
  pump();  // the send queue drained: read and parse again
}

// ---- closing ------------------------------------------------------------------------------

void HttpConnection::maybe_finish() {
  if (state_ != State::kOpen || !no_more_requests_ || !pending_.empty() || send_in_flight_ ||
      !staged_.empty()) {
    return;
  }
  if (peer_eof_) {
    close_now();
  } else {
    graceful_close();
  }
}

// Shut our side for writing and read until the client closes (or kLingerMs passes), so that
// bytes the client already sent do not make the kernel answer with RST and destroy the final
// response before the client has read it.
void HttpConnection::graceful_close() {
  state_ = State::kLingering;
  linger_start_ms_ = server_.reactor_.now_ms();
  ::shutdown(fd_, SHUT_WR);
  pending_.clear();
  update_reading();
}

void HttpConnection::close_now() {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  // Completes the receive (0) and the send (EPIPE) in flight, so the last CQEs come soon.
  ::shutdown(fd_, SHUT_RDWR);
  pending_.clear();
  maybe_release();
}

void HttpConnection::maybe_release() {
  if (state_ != State::kClosed || ops_in_flight_ > 0 || in_pump_ || released_) {
    return;
  }
  released_ = true;
  ::close(fd_);
  fd_ = -1;
  server_.release(slot_);
}

void HttpConnection::begin_drain() {
  if (state_ != State::kOpen) {
    return;
  }
  bool idle = pending_.empty() && !send_in_flight_ && staged_.empty();
  if (idle && !codec_.in_body()) {
    close_now();
    return;
  }
  if (codec_.in_body()) {
    drain_after_request_ = true;  // a body is arriving: take it, answer, then close
  } else {
    no_more_requests_ = true;
  }
  update_reading();
  maybe_finish();
}

void HttpConnection::sweep(int64_t now_ms) {
  const HttpServerOptions& options = server_.options_;
  if (state_ == State::kClosed) {
    return;
  }
  if (state_ == State::kLingering) {
    if (now_ms - linger_start_ms_ > kLingerMs) {
      close_now();
    }
    return;
  }
  if (send_in_flight_ && now_ms - last_send_progress_ms_ > options.idle_timeout.count()) {
    close_now();  // the client stopped reading
    return;
  }
  bool head_late = head_timing_ && now_ms - head_start_ms_ > options.header_timeout.count();
  bool body_late = codec_.in_body() && now_ms - last_activity_ms_ > options.idle_timeout.count();
  if ((head_late || body_late) && !no_more_requests_) {
    push_error(408);
    pump();
    return;
  }
  bool idle = pending_.empty() && !send_in_flight_ && codec_.empty();
  if (idle && now_ms - last_activity_ms_ > options.idle_timeout.count()) {
    close_now();
  } else if (idle && multishot()) {
    // Kept while the connection is busy (no malloc per request); given back once it idles, so
    // thousands of idle keep-alive connections hold no receive memory.
    codec_.release_if_empty();
  }
}

}  // namespace uq::net
