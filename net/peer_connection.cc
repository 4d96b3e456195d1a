// One node-to-node connection (outbound: dialled by us; inbound: accepted by the listener).
// Internal to the transport; see net/peer.h for the guarantees and peer.cc for the policy.

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
#include "net/peer.h"
#include "net/socket.h"

namespace uq::net {

using peer_wire::Decoded;
using peer_wire::FrameKind;

namespace {

constexpr size_t kRecvChunkBytes = 256 * 1024;
constexpr size_t kKeepBufferBytes = 1024 * 1024;  // larger idle buffers are given back

uint64_t completion_data(core::Completion* completion) {
  return reinterpret_cast<uint64_t>(completion);
}

}  // namespace

PeerTransport::Connection::Connection(PeerTransport& transport, uint64_t id, Peer* peer, int fd)
    : transport_(transport), id_(id), peer_(peer), fd_(fd) {
  last_recv_ms_ = transport_.reactor_.now_ms();
  if (peer_ != nullptr) {
    staged_.assign(peer_wire::preamble());
  } else {
    state_ = State::kOpen;
  }
}

PeerTransport::Connection::~Connection() {
  cancel_timers();
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void PeerTransport::Connection::cancel_timers() {
  core::Reactor& reactor = transport_.reactor_;
  reactor.cancel_timer(dial_timer_);
  reactor.cancel_timer(connect_timer_);
  reactor.cancel_timer(flush_timer_);
  dial_timer_ = connect_timer_ = flush_timer_ = 0;
}

// ---- outbound: dial ---------------------------------------------------------------------------

void PeerTransport::Connection::begin_dial(int64_t delay_ms) {
  // Always from a timer, so that a synchronous failure never reaches the caller of send/call
  // before it has registered its call.
  dial_timer_ = transport_.reactor_.add_timer(std::chrono::milliseconds(delay_ms), [this] {
    dial_timer_ = 0;
    dial();
  });
}

void PeerTransport::Connection::dial() {
  Result<HostPort> where = split_host_port(peer_->addr);
  Status status = where.is_ok() ? resolve(*where, &remote_, &remote_len_) : where.status();
  if (status.is_ok()) {
    fd_ = ::socket(remote_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      status = error(Code::kUnavailable, std::string("socket: ") + std::strerror(errno));
    }
  }
  if (!status.is_ok()) {
    ++transport_.stats_.connect_failures;
    close(CloseReason::kError, status.message());
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  state_ = State::kConnecting;
  io_uring_sqe* sqe = transport_.reactor_.get_sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<sockaddr*>(&remote_), remote_len_);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&connect_op_));
  ++ops_in_flight_;
  connect_in_flight_ = true;
  connect_timer_ = transport_.reactor_.add_timer(transport_.options_.connect_timeout, [this] {
    connect_timer_ = 0;
    connect_timed_out_ = true;
    cancel_op(&connect_op_);
  });
}

void PeerTransport::Connection::on_connect(int32_t res, uint32_t /*flags*/) {
  --ops_in_flight_;
  connect_in_flight_ = false;
  transport_.reactor_.cancel_timer(connect_timer_);
  connect_timer_ = 0;
  if (state_ == State::kClosed) {
    maybe_release();
    return;
  }
  if (res < 0) {
    ++transport_.stats_.connect_failures;
    std::string why = connect_timed_out_ ? std::string("connect timeout")
                                         : std::string("connect: ") + std::strerror(-res);
    close(CloseReason::kError, peer_->addr + ": " + why);
    return;
  }
  state_ = State::kOpen;
  established_ = true;
  // The clocks start now: time spent waiting to connect is not silence from the peer.
  last_recv_ms_ = awaiting_since_ms_ = transport_.reactor_.now_ms();
  ++transport_.stats_.connects;
  peer_->backoff_ms = transport_.options_.backoff_min.count();
  arm_recv();
  start_send();
}

// ---- sending ----------------------------------------------------------------------------------

void PeerTransport::Connection::enqueue(FrameKind kind, uint8_t method, uint64_t call_id,
                                        std::string_view payload) {
  peer_wire::append_frame(staged_, kind, method, call_id, payload);
  ++staged_frames_;
  if (kind == FrameKind::kMessage) {
    ++staged_messages_;
  }
  if (peer_ != nullptr && awaiting_since_ms_ == 0) {
    awaiting_since_ms_ = transport_.reactor_.now_ms();
  }
  schedule_flush();
}

// Everything queued during this reactor turn leaves in one send: the flush runs from a 0 ms
// timer, i.e. after the current batch of completions and posted tasks.
void PeerTransport::Connection::schedule_flush() {
  if (state_ != State::kOpen || send_in_flight_ || flush_timer_ != 0) {
    return;
  }
  flush_timer_ = transport_.reactor_.add_timer(std::chrono::milliseconds(0), [this] {
    flush_timer_ = 0;
    start_send();
  });
}

void PeerTransport::Connection::start_send() {
  if (state_ != State::kOpen || send_in_flight_ || staged_.empty()) {
    return;
  }
  sending_.swap(staged_);
  staged_.clear();
  send_off_ = 0;
  transport_.stats_.frames_sent += staged_frames_;
  staged_frames_ = 0;
  staged_messages_ = 0;
  submit_send();
}

void PeerTransport::Connection::submit_send() {
  io_uring_sqe* sqe = transport_.reactor_.get_sqe();
  io_uring_prep_send(sqe, fd_, sending_.data() + send_off_, sending_.size() - send_off_,
                     MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&send_op_));
  send_in_flight_ = true;
  ++ops_in_flight_;
}

void PeerTransport::Connection::on_send(int32_t res, uint32_t /*flags*/) {
  --ops_in_flight_;
  send_in_flight_ = false;
  if (state_ == State::kClosed) {
    maybe_release();
    return;
  }
  if (res <= 0) {
    close(CloseReason::kError, std::string("send: ") + std::strerror(res == 0 ? EPIPE : -res));
    return;
  }
  transport_.stats_.bytes_sent += static_cast<uint64_t>(res);
  send_off_ += static_cast<size_t>(res);
  if (send_off_ < sending_.size()) {
    submit_send();  // short send: the rest first, so frames never interleave
    return;
  }
  sending_.clear();
  send_off_ = 0;
  if (sending_.capacity() > kKeepBufferBytes) {
    std::string().swap(sending_);
  }
  start_send();
}

// ---- receiving --------------------------------------------------------------------------------

void PeerTransport::Connection::arm_recv() {
  if (rstart_ == rend_) {
    rstart_ = rend_ = 0;
    if (recv_.size() > kKeepBufferBytes && need_bytes_ <= kRecvChunkBytes) {
      std::string().swap(recv_);
    }
  }
  size_t have = rend_ - rstart_;
  size_t need = std::max(kRecvChunkBytes, need_bytes_ > have ? need_bytes_ - have : 0);
  if (recv_.size() - rend_ < need) {
    if (rstart_ > 0) {
      std::memmove(recv_.data(), recv_.data() + rstart_, have);
      rstart_ = 0;
      rend_ = have;
    }
    if (recv_.size() - rend_ < need) {
      recv_.resize(rend_ + need);
    }
  }
  io_uring_sqe* sqe = transport_.reactor_.get_sqe();
  io_uring_prep_recv(sqe, fd_, recv_.data() + rend_, recv_.size() - rend_, 0);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&recv_op_));
  recv_in_flight_ = true;
  ++ops_in_flight_;
}

void PeerTransport::Connection::on_recv(int32_t res, uint32_t /*flags*/) {
  --ops_in_flight_;
  recv_in_flight_ = false;
  if (state_ == State::kClosed) {
    maybe_release();
    return;
  }
  if (res == 0) {
    close(CloseReason::kError, "connection closed by peer");
    return;
  }
  if (res < 0) {
    if (res == -EINTR || res == -EAGAIN) {
      arm_recv();
      return;
    }
    close(CloseReason::kError, std::string("recv: ") + std::strerror(-res));
    return;
  }
  transport_.stats_.bytes_received += static_cast<uint64_t>(res);
  rend_ += static_cast<size_t>(res);
  last_recv_ms_ = transport_.reactor_.now_ms();
  process();
  if (state_ == State::kOpen) {
    arm_recv();
  }
}

bool PeerTransport::Connection::check_preamble() {
  size_t have = std::min(rend_ - rstart_, peer_wire::kPreambleBytes);
  if (std::memcmp(recv_.data() + rstart_, peer_wire::preamble().data(), have) != 0) {
    ++transport_.stats_.bad_frames;
    close(CloseReason::kBadFrame, "bad preamble");
    return false;
  }
  if (have < peer_wire::kPreambleBytes) {
    return false;
  }
  rstart_ += peer_wire::kPreambleBytes;
  preamble_seen_ = true;
  return true;
}

void PeerTransport::Connection::process() {
  if (peer_ == nullptr && !preamble_seen_ && !check_preamble()) {
    return;
  }
  need_bytes_ = 0;
  while (state_ == State::kOpen) {
    std::string_view view(recv_.data() + rstart_, rend_ - rstart_);
    Decoded decoded = peer_wire::decode_frame(view, transport_.options_.max_frame_bytes);
    if (decoded.result == Decoded::Result::kNeedMore) {
      need_bytes_ = decoded.need_bytes;
      return;
    }
    if (decoded.result == Decoded::Result::kBad) {
      ++transport_.stats_.bad_frames;
      close(CloseReason::kBadFrame, decoded.why);
      return;
    }
    ++transport_.stats_.frames_received;
    rstart_ += decoded.frame_bytes;
    // The payload stays valid during dispatch: the buffer moves only in arm_recv().
    if (peer_ != nullptr) {
      dispatch_outbound(decoded.header, decoded.payload);
    } else {
      dispatch_inbound(decoded.header, decoded.payload);
    }
  }
}

void PeerTransport::Connection::dispatch_outbound(const peer_wire::FrameHeader& header,
                                                  std::string_view payload) {
  awaiting_since_ms_ = 0;
  switch (header.kind) {
    case FrameKind::kPong:
      ping_outstanding_ = false;
      return;
    case FrameKind::kResponse:
      transport_.complete_call(id_, header.call_id, std::string(payload));
      return;
    case FrameKind::kErrorResponse: {
      Code code = header.method <= static_cast<uint8_t>(Code::kInternal) && header.method != 0
                      ? static_cast<Code>(header.method)
                      : Code::kInternal;
      transport_.complete_call(id_, header.call_id, error(code, std::string(payload)));
      return;
    }
    default:
      ++transport_.stats_.bad_frames;
      close(CloseReason::kBadFrame, "unexpected frame kind on an outbound connection");
  }
}

void PeerTransport::Connection::dispatch_inbound(const peer_wire::FrameHeader& header,
                                                 std::string_view payload) {
  switch (header.kind) {
    case FrameKind::kPing:
      enqueue(FrameKind::kPong, 0, header.call_id, {});
      return;
    case FrameKind::kMessage:
      if (transport_.on_message_ && !transport_.closed_) {
        transport_.on_message_(payload);
      }
      return;
    case FrameKind::kRequest: {
      Reply reply(transport_.alive_, id_, header.call_id);
      if (transport_.on_request_ && !transport_.closed_) {
        transport_.on_request_(header.method, payload, std::move(reply));
      }
      return;  // an unanswered reply answers "no response" as it is destroyed
    }
    default:
      ++transport_.stats_.bad_frames;
      close(CloseReason::kBadFrame, "unexpected frame kind on an inbound connection");
  }
}

// ---- closing ----------------------------------------------------------------------------------

void PeerTransport::Connection::cancel_op(core::Completion* op) {
  io_uring_sqe* sqe = transport_.reactor_.get_sqe();
  io_uring_prep_cancel64(sqe, completion_data(op), 0);
  io_uring_sqe_set_data64(sqe, 0);
}

void PeerTransport::Connection::close(CloseReason reason, const std::string& why) {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  cancel_timers();
  if (fd_ >= 0) {
    // Completes the receive (0) and the send (EPIPE) in flight, so the last CQEs come soon; a
    // connect in flight is not ended by shutdown, so cancel it.
    ::shutdown(fd_, SHUT_RDWR);
  }
  if (connect_in_flight_) {
    cancel_op(&connect_op_);
  }
  if (recv_in_flight_) {
    cancel_op(&recv_op_);
  }
  in_close_ = true;
  transport_.on_connection_closed(*this, reason, why);
  in_close_ = false;
  maybe_release();
}

void PeerTransport::Connection::maybe_release() {
  if (state_ != State::kClosed || ops_in_flight_ > 0 || released_ || in_close_) {
    return;
  }
  released_ = true;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  transport_.release(id_);
}

}  // namespace uq::net
