#include "server/forward.h"

#include "core/bytes.h"

namespace uq::server {

namespace {

constexpr uint8_t kVersion = 1;

// The value of header `name` in preformatted "Name: value\r\n" lines, or "".
std::string_view block_header(std::string_view block, std::string_view name) {
  while (!block.empty()) {
    size_t end = block.find("\r\n");
    std::string_view line = block.substr(0, end);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        net::equals_ignore_case(line.substr(0, name.size()), name)) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      return value;
    }
    if (end == std::string_view::npos) {
      break;
    }
    block.remove_prefix(end + 2);
  }
  return {};
}

std::string_view response_header(const net::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (net::equals_ignore_case(key, name)) {
      return value;
    }
  }
  return block_header(response.header_block, name);
}

Status corrupt() {
  return error(Code::kCorruption, "malformed forwarded message");
}

}  // namespace

net::HttpRequest ForwardedRequest::view() const {
  net::HttpRequest r;
  r.method = method;
  r.target = target;
  std::string_view t = target;
  size_t q = t.find('?');
  r.path = t.substr(0, q);
  r.has_query = q != std::string_view::npos;
  r.query = r.has_query ? t.substr(q + 1) : std::string_view();
  if (!content_type.empty()) {
    r.headers.push_back(net::HttpHeader{"Content-Type", content_type});
  }
  if (!authorization.empty()) {
    r.headers.push_back(net::HttpHeader{"Authorization", authorization});
  }
  r.body = std::string_view(body.data(), body.size());
  r.has_content_length = true;
  return r;
}

std::string encode_forward_request(const net::HttpRequest& request) {
  std::string out;
  out.reserve(request.body.size() + request.target.size() + 64);
  core::put_u8(&out, kVersion);
  core::put_bytes_varint(&out, request.method);
  core::put_bytes_varint(&out, request.target);
  core::put_bytes_varint(&out, request.header("Content-Type"));
  core::put_bytes_varint(&out, request.header("Authorization"));
  core::put_bytes_varint(&out, request.body);
  return out;
}

Result<ForwardedRequest> decode_forward_request(std::string_view payload) {
  core::ByteReader r(payload);
  ForwardedRequest f;
  if (r.u8() != kVersion) {
    return corrupt();
  }
  f.method = r.bytes_varint();
  f.target = r.bytes_varint();
  f.content_type = r.bytes_varint();
  f.authorization = r.bytes_varint();
  std::string_view body = r.bytes_varint();
  if (!r.ok() || r.remaining() != 0 || f.method.empty() || f.target.empty()) {
    return corrupt();
  }
  f.body.reserve(body.size() + net::kBodyPadding);
  f.body.assign(body);
  return f;
}

std::string encode_forward_response(const net::HttpResponse& response) {
  std::string out;
  out.reserve(response.body.size() + 64);
  core::put_u8(&out, kVersion);
  core::put_u32(&out, static_cast<uint32_t>(response.status));
  core::put_bytes_varint(&out, response_header(response, "Content-Type"));
  core::put_u8(&out, response_header(response, "X-Rqlite-Served-By").empty() ? 0 : 1);
  core::put_bytes_varint(&out, response.body);
  return out;
}

Result<ForwardedResponse> decode_forward_response(std::string_view payload) {
  core::ByteReader r(payload);
  ForwardedResponse f;
  if (r.u8() != kVersion) {
    return corrupt();
  }
  f.status = static_cast<int>(r.u32());
  f.content_type = r.bytes_varint();
  f.served = r.u8() != 0;
  f.body = r.bytes_varint();
  if (!r.ok() || r.remaining() != 0 || f.status < 100 || f.status > 599) {
    return corrupt();
  }
  return f;
}

}  // namespace uq::server
