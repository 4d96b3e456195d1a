#include "net/http_writer.h"

#include <cstdio>
#include <ctime>

namespace uq::net {
namespace {

// The current second's Date value; formatting it on every response would cost more than the
// rest of the header.
const std::string& cached_date() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second || cached.empty()) {
    cached_second = now;
    cached = format_http_date(now);
  }
  return cached;
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

bool status_has_body(int status) {
  return status >= 200 && status != 204 && status != 304;
}

std::string format_http_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[64];
  size_t n = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text, n);
}

void append_response(const HttpResponse& response, const ResponseFraming& framing,
                     std::string& out) {
  bool has_length = false;
  bool has_date = false;
  bool has_connection = false;
  for (const auto& [name, value] : response.headers) {
    has_length = has_length || equals_ignore_case(name, "Content-Length");
    has_date = has_date || equals_ignore_case(name, "Date");
    has_connection = has_connection || equals_ignore_case(name, "Connection");
  }
  char line[64];
  int n = std::snprintf(line, sizeof(line), "HTTP/1.1 %d ", response.status);
  out.reserve(out.size() + 128 + response.header_block.size() + response.body.size() +
              response.headers.size() * 48);
  out.append(line, static_cast<size_t>(n));
  out.append(reason_phrase(response.status));
  out.append("\r\n");
  for (const auto& [name, value] : response.headers) {
    append_header(out, name, value);
  }
  out.append(response.header_block);
  bool body_allowed = status_has_body(response.status);
  if (!has_length && body_allowed) {
    unsigned long long length =
        response.file != nullptr ? response.file->length() : response.body.size();
    n = std::snprintf(line, sizeof(line), "%llu", length);
    append_header(out, "Content-Length", std::string_view(line, static_cast<size_t>(n)));
  }
  if (!has_date) {
    append_header(out, "Date", cached_date());
  }
  if (!has_connection) {
    if (framing.close) {
      append_header(out, "Connection", "close");
    } else if (framing.keep_alive_10) {
      append_header(out, "Connection", "keep-alive");
    }
  }
  out.append("\r\n");
  if (body_allowed && !framing.head) {
    out.append(response.body);
  }
}

}  // namespace uq::net
