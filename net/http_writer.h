// net/http_writer.h — turns an HttpResponse into the bytes of one HTTP/1.1 response.
//
// Owns: the serializer and a per-thread cache of the Date header value (recomputed at most once a
// second). Any thread may call these; the cache is thread_local.
// Guarantees: status line, the handler's headers in order, then Content-Length, Date and
// Connection unless the handler set them, a blank line and the body, appended to one buffer so a
// response goes out in one send.
#pragma once

#include <ctime>
#include <string>

#include "net/http.h"

namespace uq::net {

struct ResponseFraming {
  bool close = false;          // add "Connection: close"
  bool keep_alive_10 = false;  // HTTP/1.0 keep-alive: add "Connection: keep-alive"
  bool head = false;           // answer to HEAD: headers only (Content-Length kept)
};

// Whether a response with this status carries a body (not 1xx, 204, 304).
bool status_has_body(int status);

// Appends the serialized response to out. With response.file set, Content-Length is the file's
// length and the file's bytes are not appended (the connection sends them after).
void append_response(const HttpResponse& response, const ResponseFraming& framing,
                     std::string& out);

// Go's http.TimeFormat: "Mon, 02 Jan 2006 15:04:05 GMT".
std::string format_http_date(std::time_t when);

}  // namespace uq::net
