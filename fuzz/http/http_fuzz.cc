// Fuzz target: arbitrary bytes through the HTTP request codec (no sockets).
//
// The first input byte picks how the rest is split into arrivals (1..128 bytes each), so the
// fuzzer also explores every place where a request can be cut between two receives, and (its
// low bit) whether the stream filter streams bodies as a /boot upload's is: pieces handed out
// by kBodyData, the request then dispatched with only the body's first bytes. Every view of
// every request is read, including the body padding, so ASan sees any out-of-bounds view.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "net/http_codec.h"

namespace {

unsigned touch(std::string_view view) {
  unsigned sum = 0;
  for (char c : view) {
    sum += static_cast<unsigned char>(c);
  }
  return sum;
}

unsigned touch_request(const uq::net::HttpRequest& request) {
  unsigned sum = touch(request.method) + touch(request.target) + touch(request.path) +
                 touch(request.query) + touch(request.body);
  for (const auto& header : request.headers) {
    sum += touch(header.name) + touch(header.value);
  }
  sum += touch(std::string_view(request.body.data() + request.body.size(), uq::net::kBodyPadding));
  UQ_CHECK(request.path.size() <= request.target.size(), "path longer than target");
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  size_t piece = (size_t{data[0]} >> 1) + 1;
  bool stream = (data[0] & 1) != 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  uq::net::HttpLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  limits.max_streamed_body_bytes = 8192;
  uq::net::HttpCodec codec(limits);
  if (stream) {
    // Streams POSTs and refuses DELETEs, the three answers a filter can give.
    codec.set_stream_filter([](std::string_view method, std::string_view) {
      return method == "POST"     ? uq::net::HttpCodec::kStream
             : method == "DELETE" ? 403
                                  : uq::net::HttpCodec::kBuffer;
    });
  }
  std::string piece_buffer;
  uint64_t streamed = 0;
  volatile unsigned sink = 0;
  bool failed = false;
  while (!input.empty() && !failed) {
    std::string_view part = input.substr(0, piece);
    input.remove_prefix(part.size());
    codec.append(part);
    // Bounded: each kRequest consumes a message and kContinue is returned once per message.
    for (int events = 0; events < 100000; ++events) {
      uq::net::HttpCodec::Event event = codec.next();
      if (event == uq::net::HttpCodec::Event::kNeedMore) {
        break;
      }
      if (event == uq::net::HttpCodec::Event::kError) {
        int status = codec.error_status();
        UQ_CHECK(status >= 400 && status < 600, "error status %d", status);
        failed = true;
        break;
      }
      if (event == uq::net::HttpCodec::Event::kBodyData) {
        codec.take_body_data(&piece_buffer);
        streamed += piece_buffer.size();
        UQ_CHECK(streamed <= limits.max_streamed_body_bytes, "streamed past the limit");
        sink = sink + touch(piece_buffer);
        continue;
      }
      if (event == uq::net::HttpCodec::Event::kRequest) {
        sink = sink + touch_request(codec.request());
        streamed = 0;
      }
    }
  }
  return 0;
}
