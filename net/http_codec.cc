#include "net/http_codec.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"

namespace uq::net {
namespace {

constexpr size_t kMinBufferBytes = 4096;
// Raw bytes of one message may exceed head + body by the chunk framing; this bounds that.
constexpr size_t kChunkFramingAllowance = 64 * 1024;

HttpCodec* codec_of(llhttp_t* parser) {
  return static_cast<HttpCodec*>(parser->data);
}

}  // namespace

HttpCodec::HttpCodec(const HttpLimits& limits) : limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_url = &HttpCodec::on_url;
  settings_.on_header_field = &HttpCodec::on_header_field;
  settings_.on_header_value = &HttpCodec::on_header_value;
  settings_.on_headers_complete = &HttpCodec::on_headers_complete;
  settings_.on_body = &HttpCodec::on_body;
  settings_.on_message_complete = &HttpCodec::on_message_complete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

uint32_t HttpCodec::rel(const char* at) const {
  return static_cast<uint32_t>(at - (buf_.get() + msg_start_));
}

void HttpCodec::reserve(size_t free_bytes) {
  if (cap_ - end_ >= free_bytes) {
    return;
  }
  size_t live = end_ - msg_start_;
  if (msg_start_ > 0) {
    // Slide the unfinished message to the front; offsets inside it are relative, so only the
    // absolute cursors move.
    std::memmove(buf_.get(), buf_.get() + msg_start_, live);
    parsed_ -= msg_start_;
    head_scanned_ -= msg_start_;
    end_ = live;
    msg_start_ = 0;
    if (cap_ - end_ >= free_bytes) {
      return;
    }
  }
  size_t new_cap = std::max({cap_ * 2, end_ + free_bytes, kMinBufferBytes});
  std::unique_ptr<char[]> bigger(new char[new_cap + kBodyPadding]);
  if (end_ > 0) {
    std::memcpy(bigger.get(), buf_.get(), end_);
  }
  std::memset(bigger.get() + new_cap, 0, kBodyPadding);
  buf_ = std::move(bigger);
  cap_ = new_cap;
}

std::span<char> HttpCodec::prepare(size_t min_bytes) {
  reserve(min_bytes);
  span_out_ = true;
  return {buf_.get() + end_, cap_ - end_};
}

void HttpCodec::commit(size_t n) {
  UQ_CHECK(end_ + n <= cap_, "commit past the prepared span (%zu + %zu > %zu)", end_, n, cap_);
  end_ += n;
  span_out_ = false;
}

void HttpCodec::append(std::string_view bytes) {
  if (bytes.empty()) {
    return;
  }
  reserve(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

void HttpCodec::release_if_empty() {
  if (phase_ != Phase::kDelivered && end_ == msg_start_ && buf_ != nullptr) {
    buf_.reset();
    cap_ = end_ = parsed_ = msg_start_ = head_scanned_ = 0;
  }
}

bool HttpCodec::in_head() const {
  return phase_ == Phase::kHead && end_ > msg_start_;
}

int HttpCodec::on_url(llhttp_t* parser, const char* at, size_t length) {
  HttpCodec* self = codec_of(parser);
  if (self->url_len_ == 0) {
    self->url_off_ = self->rel(at);
  }
  self->url_len_ += static_cast<uint32_t>(length);
  return 0;
}

int HttpCodec::on_header_field(llhttp_t* parser, const char* at, size_t length) {
  HttpCodec* self = codec_of(parser);
  if (self->last_was_value_ || self->header_spans_.empty()) {
    self->header_spans_.push_back({self->rel(at), 0, 0, 0});
  }
  self->header_spans_.back().name_len += static_cast<uint32_t>(length);
  self->last_was_value_ = false;
  return 0;
}

int HttpCodec::on_header_value(llhttp_t* parser, const char* at, size_t length) {
  HttpCodec* self = codec_of(parser);
  UQ_CHECK(!self->header_spans_.empty(), "header value before any header name");
  HeaderSpan& span = self->header_spans_.back();
  if (!self->last_was_value_) {
    span.value_off = self->rel(at);
    span.value_len = 0;
  }
  span.value_len += static_cast<uint32_t>(length);
  self->last_was_value_ = true;
  return 0;
}

int HttpCodec::on_headers_complete(llhttp_t* parser) {
  codec_of(parser)->pause_ = Pause::kHeadersDone;
  return HPE_PAUSED;
}

int HttpCodec::on_body(llhttp_t* parser, const char* at, size_t length) {
  HttpCodec* self = codec_of(parser);
  if (self->streaming_) {
    if (self->streamed_bytes_ + length > self->limits_.max_streamed_body_bytes) {
      self->over_body_limit_ = true;
      return HPE_USER;
    }
    if (self->stream_prefix_.size() < kStreamedBodyPrefixBytes) {
      self->stream_prefix_.append(
          at, std::min(length, kStreamedBodyPrefixBytes - self->stream_prefix_.size()));
    }
    self->stream_out_.append(at, length);
    self->streamed_bytes_ += length;
    return 0;
  }
  if (self->request_.chunked) {
    if (self->chunked_body_.size() + length > self->limits_.max_body_bytes) {
      self->over_body_limit_ = true;
      return HPE_USER;
    }
    self->chunked_body_.append(at, length);
    return 0;
  }
  if (!self->body_seen_) {
    self->body_seen_ = true;
    self->body_off_ = self->rel(at);
  }
  self->body_len_ += length;
  return 0;
}

int HttpCodec::on_message_complete(llhttp_t* parser) {
  HttpCodec* self = codec_of(parser);
  self->keep_alive_ = llhttp_should_keep_alive(parser) != 0;
  self->pause_ = Pause::kMessageDone;
  return HPE_PAUSED;
}

void HttpCodec::start_next_message() {
  msg_start_ = parsed_;
  head_scanned_ = parsed_;
  phase_ = Phase::kHead;
  continue_sent_ = false;
  last_was_value_ = false;
  url_off_ = url_len_ = 0;
  header_spans_.clear();
  body_seen_ = false;
  body_off_ = 0;
  body_len_ = 0;
  if (chunked_body_.capacity() > 1024 * 1024) {
    std::string().swap(chunked_body_);
  }
  chunked_body_.clear();
  request_.chunked = false;
  request_.has_content_length = false;
  if (streaming_) {
    streaming_ = false;
    streamed_bytes_ = 0;
    stream_prefix_.clear();
  }
}

// A header line that starts with SP or HT continues the previous one (obs-fold, RFC 9112 §5.2);
// llhttp accepts it, we reject it. Only bytes of the head are scanned: the pair that straddles
// the final CRLF and the body is never looked at because parsed_ stops right after that CRLF.
bool HttpCodec::scan_head_for_obs_fold() {
  const char* base = buf_.get();
  size_t from = std::max(head_scanned_, msg_start_ + 1);
  for (size_t i = from; i < parsed_; ++i) {
    if (base[i - 1] == '\n' && (base[i] == ' ' || base[i] == '\t')) {
      return true;
    }
  }
  head_scanned_ = std::max(parsed_, head_scanned_);
  return false;
}

HttpCodec::Event HttpCodec::fail(int status, std::string_view detail) {
  phase_ = Phase::kError;
  error_status_ = status;
  error_detail_.assign(detail);
  return Event::kError;
}

HttpCodec::Event HttpCodec::check_head_done() {
  if (parsed_ - msg_start_ > limits_.max_header_bytes) {
    return fail(431, "request head too large");
  }
  phase_ = Phase::kBody;
  request_.chunked = (parser_.flags & F_CHUNKED) != 0;
  request_.has_content_length = (parser_.flags & F_CONTENT_LENGTH) != 0;
  uint64_t length = request_.has_content_length ? parser_.content_length : 0;
  if (stream_filter_) {
    int decision = decide_streaming();
    if (decision >= 400) {
      return fail(decision, "cannot store the request body");
    }
  }
  if (length > (streaming_ ? limits_.max_streamed_body_bytes : limits_.max_body_bytes)) {
    return fail(413, "body too large");
  }
  std::string_view expect;
  const char* base = buf_.get() + msg_start_;
  for (const HeaderSpan& span : header_spans_) {
    if (equals_ignore_case(std::string_view(base + span.name_off, span.name_len), "Expect")) {
      expect = std::string_view(base + span.value_off, span.value_len);
      break;
    }
  }
  if (expect.empty() || parser_.http_minor == 0) {
    return Event::kNeedMore;
  }
  if (!equals_ignore_case(expect, "100-continue")) {
    return fail(417, "unsupported Expect");
  }
  bool body_expected = request_.chunked || length > 0;
  bool body_buffered = !request_.chunked && end_ - parsed_ >= length;
  if (body_expected && !body_buffered && !continue_sent_) {
    continue_sent_ = true;
    return Event::kContinue;
  }
  return Event::kNeedMore;
}

int HttpCodec::decide_streaming() {
  std::string_view method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  std::string_view target(buf_.get() + msg_start_ + url_off_, url_len_);
  int decision = stream_filter_(method, target.substr(0, target.find('?')));
  if (decision == kStream) {
    streaming_ = true;
    head_len_ = parsed_ - msg_start_;
    streamed_bytes_ = 0;
    stream_prefix_.reserve(kStreamedBodyPrefixBytes + kBodyPadding);
  }
  return decision;
}

// Streaming: the body bytes (and chunk framing) llhttp consumed are already copied out, so they
// leave the buffer; the head stays in front of whatever follows.
void HttpCodec::drop_streamed_bytes() {
  size_t body_start = msg_start_ + head_len_;
  if (parsed_ == body_start || span_out_) {
    return;  // nothing to drop, or a receive is filling the span after end_: next time
  }
  std::memmove(buf_.get() + body_start, buf_.get() + parsed_, end_ - parsed_);
  end_ -= parsed_ - body_start;
  parsed_ = body_start;
}

void HttpCodec::take_body_data(std::string* out) {
  out->clear();
  out->swap(stream_out_);
}

void HttpCodec::build_request() {
  const char* base = buf_.get() + msg_start_;
  request_.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  request_.target = std::string_view(base + url_off_, url_len_);
  size_t question = request_.target.find('?');
  request_.has_query = question != std::string_view::npos;
  request_.path = request_.target.substr(0, question);
  request_.query = request_.has_query ? request_.target.substr(question + 1) : std::string_view();
  request_.headers.clear();
  for (const HeaderSpan& span : header_spans_) {
    request_.headers.push_back({std::string_view(base + span.name_off, span.name_len),
                                std::string_view(base + span.value_off, span.value_len)});
  }
  if (streaming_) {
    request_.body = stream_prefix_;  // its capacity leaves kBodyPadding readable bytes after
  } else if (request_.chunked) {
    chunked_body_.reserve(chunked_body_.size() + kBodyPadding);
    request_.body = chunked_body_;
  } else if (body_seen_) {
    request_.body = std::string_view(base + body_off_, body_len_);
  } else {
    request_.body = std::string_view(buf_.get() + parsed_, 0);
  }
  request_.version_minor = parser_.http_minor;
  request_.keep_alive = keep_alive_;
}

HttpCodec::Event HttpCodec::next() {
  if (phase_ == Phase::kError) {
    return Event::kError;
  }
  if (phase_ == Phase::kDelivered) {
    start_next_message();
  }
  if (phase_ == Phase::kStreamDone) {
    build_request();
    phase_ = Phase::kDelivered;
    return Event::kRequest;
  }
  for (;;) {
    if (streaming_ && stream_out_.size() >= kStreamChunkBytes) {
      return Event::kBodyData;
    }
    pause_ = Pause::kNone;
    const char* base = buf_ != nullptr ? buf_.get() : "";
    llhttp_errno_t err = llhttp_execute(&parser_, base + parsed_, end_ - parsed_);
    if (err == HPE_PAUSED) {
      parsed_ = static_cast<size_t>(llhttp_get_error_pos(&parser_) - base);
      llhttp_resume(&parser_);
    } else if (err == HPE_OK) {
      parsed_ = end_;
    } else if (err == HPE_USER && over_body_limit_) {
      return fail(413, "body too large");
    } else if (err == HPE_INVALID_TRANSFER_ENCODING) {
      return fail(501, "unsupported Transfer-Encoding");
    } else {
      return fail(400, llhttp_get_error_reason(&parser_) ? llhttp_get_error_reason(&parser_) : "");
    }
    if (streaming_ && phase_ == Phase::kBody) {
      drop_streamed_bytes();
    }
    if (phase_ == Phase::kHead) {
      if (scan_head_for_obs_fold()) {
        return fail(400, "obs-fold header line");
      }
      if (pause_ == Pause::kNone && parsed_ - msg_start_ > limits_.max_header_bytes) {
        return fail(431, "request head too large");
      }
    }
    if (pause_ == Pause::kHeadersDone) {
      Event event = check_head_done();
      if (event != Event::kNeedMore) {
        return event;
      }
      continue;
    }
    if (pause_ == Pause::kMessageDone && streaming_) {
      phase_ = Phase::kStreamDone;  // the last piece first; kRequest on the next call
      return Event::kBodyData;
    }
    if (pause_ == Pause::kMessageDone) {
      build_request();
      phase_ = Phase::kDelivered;
      return Event::kRequest;
    }
    if (streaming_ && phase_ == Phase::kBody && stream_out_.size() >= kStreamChunkBytes) {
      return Event::kBodyData;
    }
    if (phase_ == Phase::kBody && !streaming_ &&
        parsed_ - msg_start_ >
            limits_.max_header_bytes + limits_.max_body_bytes + kChunkFramingAllowance) {
      return fail(413, "body too large");
    }
    return Event::kNeedMore;
  }
}

}  // namespace uq::net
