// server/forward.h — an HTTP request carried to the leader over the node-to-node port, and the
// leader's answer carried back (spec §3.9: followers forward transparently).
//
// Owns: the encodings of both (core/bytes.h, versioned). Only what the leader's handler reads
// travels: method, target, Content-Type, Authorization and body; back come the status, the
// Content-Type, whether the leader marked the answer as served (X-Rqlite-Served-By) and the body.
// Thread: pure functions, any thread; decoding validates every length (kCorruption).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http.h"

namespace uq::server {

struct ForwardedRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string authorization;
  std::string body;  // followed by net::kBodyPadding bytes of capacity for simdjson

  // An HttpRequest viewing these strings; valid while *this lives unchanged.
  net::HttpRequest view() const;
};

std::string encode_forward_request(const net::HttpRequest& request);
Result<ForwardedRequest> decode_forward_request(std::string_view payload);

struct ForwardedResponse {
  int status = 200;
  std::string content_type;
  bool served = false;  // the leader's answer carried X-Rqlite-Served-By
  std::string body;
};

std::string encode_forward_response(const net::HttpResponse& response);
Result<ForwardedResponse> decode_forward_response(std::string_view payload);

}  // namespace uq::server
