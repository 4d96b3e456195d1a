#include "net/http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
      codec_(HttpLimits{server.options_.max_header_bytes, server.options_.max_body_bytes,
                        server.options_.max_streamed_body_bytes}) {
  if (server.options_.stream_body_dir) {
    codec_.set_stream_filter([this](std::string_view method, std::string_view path) {
      return open_body_file(method, path);
    });
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  discard_body_stream();
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
  // While a body piece is being written, receive about one more piece, then wait for the disk.
  bool disk_behind = body_stream_ != nullptr && body_stream_->write_in_flight &&
                     codec_.buffered_bytes() >= kStreamChunkBytes;
  return !peer_eof_ && !no_more_requests_ && pending_.size() < server_.options_.max_pipelined &&
         unsent_bytes() < server_.options_.max_send_buffered_bytes && !disk_behind;
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
  } else if (!multishot_op && transport_->passthrough() && state_ == State::kOpen) {
    codec_.commit(res > 0 ? static_cast<size_t>(res) : 0);
  } else if (!multishot_op && res > 0) {
    deliver(wire_in_.data(), static_cast<size_t>(res));
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
         unsent_bytes() < server_.options_.max_send_buffered_bytes &&
         (body_stream_ == nullptr || !body_stream_->write_in_flight)) {
    HttpCodec::Event event = codec_.next();
    if (event == HttpCodec::Event::kBodyData) {
      take_body_data();
      continue;
    }
    if (event == HttpCodec::Event::kNeedMore) {
      if (peer_eof_) {
        no_more_requests_ = true;  // nothing more can arrive to finish a partial request
        discard_body_stream();
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
      discard_body_stream();
      push_error(codec_.error_status(), body_error_);
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
  if (body_stream_ != nullptr) {
    UQ_CHECK(body_stream_->done, "a streamed request dispatched before its body was written");
    ::close(body_stream_->fd);
    request.body_file = std::make_shared<BodyFile>(body_stream_->path, body_stream_->written);
    body_stream_.reset();
  }
  server_.handler_(request, HttpResponder(&server_, slot_, generation_, seq));
  request.body_file.reset();  // a handler that kept no reference leaves no file behind
}

void HttpConnection::push_error(int status, std::string_view message) {
  discard_body_stream();  // the connection closes after this answer
  Pending entry;
  entry.ready = true;
  entry.close = true;
  entry.interim = true;
  HttpResponse response = make_error_response(status);
  if (!message.empty()) {
    response.body.assign(message);
    response.body.push_back('\n');
  }
  append_response(response, ResponseFraming{.close = true}, entry.bytes);
  pending_.push_back(std::move(entry));
  no_more_requests_ = true;
}

// ---- streamed request bodies --------------------------------------------------------------

int HttpConnection::open_body_file(std::string_view method, std::string_view path) {
  std::optional<std::string> dir = server_.options_.stream_body_dir(method, path);
  if (!dir) {
    return HttpCodec::kBuffer;
  }
  auto stream = std::make_unique<BodyStream>();
  stream->path = *dir + "/http-body-XXXXXX";
  stream->fd = ::mkostemp(stream->path.data(), O_CLOEXEC);
  if (stream->fd < 0) {
    body_error_ =
        "cannot create a file for the request body in " + *dir + ": " + std::strerror(errno);
    UQ_WARN("http: %s", body_error_.c_str());
    return 500;
  }
  body_stream_ = std::move(stream);
  return HttpCodec::kStream;
}

void HttpConnection::take_body_data() {
  BodyStream& stream = *body_stream_;
  codec_.take_body_data(&stream.writing);
  stream.write_off = 0;
  stream.last = codec_.body_data_last();
  if (!stream.writing.empty()) {
    submit_body_write();
  } else if (stream.last) {
    stream.done = true;
  }
}

void HttpConnection::submit_body_write() {
  BodyStream& stream = *body_stream_;
  io_uring_sqe* sqe = server_.reactor_.get_sqe();
  io_uring_prep_write(sqe, stream.fd, stream.writing.data() + stream.write_off,
                      static_cast<unsigned>(stream.writing.size() - stream.write_off),
                      stream.written);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&write_op_));
  stream.write_in_flight = true;
  ++ops_in_flight_;
}

void HttpConnection::on_body_write(int32_t res) {
  --ops_in_flight_;
  BodyStream& stream = *body_stream_;
  stream.write_in_flight = false;
  if (state_ != State::kOpen || stream.path.empty()) {
    discard_body_stream();
    if (state_ == State::kOpen) {
      pump();
    } else {
      maybe_release();
    }
    return;
  }
  if (res <= 0) {
    int err = res < 0 ? -res : EIO;
    body_error_ = "cannot write the request body to " + stream.path + ": " + std::strerror(err);
    UQ_WARN("http: %s", body_error_.c_str());
    discard_body_stream();
    push_error(500, body_error_);
    pump();
    return;
  }
  stream.write_off += static_cast<size_t>(res);
  stream.written += static_cast<uint64_t>(res);
  last_activity_ms_ = server_.reactor_.now_ms();
  if (stream.write_off < stream.writing.size()) {
    submit_body_write();
    return;
  }
  if (stream.last) {
    stream.done = true;
  }
  pump();
}

// The request failed or the connection went: the file goes at once; the descriptor and the
// buffer stay until a write in flight has completed.
void HttpConnection::discard_body_stream() {
  if (body_stream_ == nullptr) {
    return;
  }
  if (!body_stream_->path.empty()) {
    ::unlink(body_stream_->path.c_str());
    body_stream_->path.clear();
  }
  if (!body_stream_->write_in_flight) {
    ::close(body_stream_->fd);
    body_stream_.reset();
  }
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
  if (response.file != nullptr && !entry->head && status_has_body(response.status)) {
    entry->file = std::move(response.file);
  }
  entry->ready = true;
  if (entry->close) {
    no_more_requests_ = true;
  }
  pump();
}

void HttpConnection::flush() {
  if (file_send_ != nullptr) {
    start_send();  // a file body goes out whole before any later response
    maybe_read_file();
    return;
  }
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
    std::shared_ptr<ResponseFile> file = std::move(front.file);
    pending_.pop_front();
    if (close) {
      pending_.clear();  // answers to later pipelined requests are never sent
      no_more_requests_ = true;
    }
    if (file != nullptr && file->length() > 0) {
      file_send_ = std::make_unique<FileSend>();
      file_send_->file = std::move(file);
      break;
    }
    if (close) {
      break;
    }
  }
  start_send();
  maybe_read_file();
}

// The next piece of a file body, once the previous one has been handed to the socket.
void HttpConnection::maybe_read_file() {
  if (file_send_ == nullptr || file_send_->read_in_flight || !staged_.empty() ||
      state_ != State::kOpen) {
    return;
  }
  FileSend& send = *file_send_;
  if (send.buffer == nullptr) {
    send.buffer = std::make_unique<char[]>(kStreamChunkBytes);
  }
  uint64_t left = send.file->length() - send.offset;
  auto n = static_cast<unsigned>(std::min<uint64_t>(left, kStreamChunkBytes));
  io_uring_sqe* sqe = server_.reactor_.get_sqe();
  io_uring_prep_read(sqe, send.file->fd(), send.buffer.get(), n, send.offset);
  io_uring_sqe_set_data(sqe, static_cast<core::Completion*>(&read_op_));
  send.read_in_flight = true;
  ++ops_in_flight_;
}

void HttpConnection::on_file_read(int32_t res) {
  --ops_in_flight_;
  FileSend& send = *file_send_;
  send.read_in_flight = false;
  if (state_ != State::kOpen) {
    maybe_release();
    return;
  }
  if (res <= 0) {
    // The status line is out; cutting the connection is the only way to say the body is bad.
    UQ_WARN("http: reading a response body file: %s", res < 0 ? std::strerror(-res) : "EOF");
    close_now();
    return;
  }
  std::string_view bytes(send.buffer.get(), static_cast<size_t>(res));
  if (transport_->passthrough()) {
    staged_.append(bytes);
  } else {
    Status status = transport_->on_plain_bytes(bytes, staged_);
    if (!status.is_ok()) {
      close_now();
      return;
    }
  }
  send.offset += static_cast<uint64_t>(res);
  if (send.offset == send.file->length()) {
    file_send_.reset();
  }
  last_activity_ms_ = server_.reactor_.now_ms();
  pump();
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
      !staged_.empty() || file_send_ != nullptr) {
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
  discard_body_stream();
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
  discard_body_stream();
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
  bool idle = pending_.empty() && !send_in_flight_ && staged_.empty() && file_send_ == nullptr;
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
  bool idle = pending_.empty() && !send_in_flight_ && codec_.empty() && file_send_ == nullptr &&
              body_stream_ == nullptr;
  if (idle && now_ms - last_activity_ms_ > options.idle_timeout.count()) {
    close_now();
  } else if (idle && multishot()) {
    // Kept while the connection is busy (no malloc per request); given back once it idles, so
    // thousands of idle keep-alive connections hold no receive memory.
    codec_.release_if_empty();
  }
}

}  // namespace uq::net
