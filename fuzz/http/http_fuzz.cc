// Fuzz target: arbitrary bytes through the HTTP request codec (no sockets).
//
// The first input byte picks how the rest is split into arrivals (1..256 bytes each), so the
// fuzzer also explores every place where a request can be cut between two receives. Every view
// of every request is read, including the body padding, so ASan sees any out-of-bounds view.
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
  size_t piece = size_t{data[0]} + 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  uq::net::HttpLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  uq::net::HttpCodec codec(limits);
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
      if (event == uq::net::HttpCodec::Event::kRequest) {
        sink = sink + touch_request(codec.request());
      }
    }
  }
  return 0;
}
