// net/http.h — HTTP/1.1 request and response values shared by the codec, the server and handlers.
//
// Owns nothing: HttpRequest is a set of views into a connection's receive buffer that are valid
// only during the handler call (copy what you keep); HttpResponse is a plain value the handler
// fills and hands back. Any thread may build an HttpResponse; HttpRequest is used on the reactor
// thread that parsed it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uq::net {

// Bytes after a request body's end that are guaranteed readable (simdjson needs 64).
inline constexpr size_t kBodyPadding = 64;

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

struct HttpRequest {
  std::string_view method;          // "GET"
  std::string_view target;          // raw request-target, e.g. "/db/query?q=..."
  std::string_view path;            // target before '?', not percent-decoded
  std::string_view query;           // raw text after '?', "" if none
  bool has_query = false;           // whether '?' was present
  std::vector<HttpHeader> headers;  // arrival order, names as sent
  // Case-insensitive name match; the first match's value, or "" when absent.
  std::string_view header(std::string_view name) const;
  // Complete body (Content-Length or de-chunked). At least kBodyPadding readable bytes follow
  // body.end().
  std::string_view body;
  bool chunked = false;             // body came with Transfer-Encoding: chunked
  bool has_content_length = false;  // a Content-Length header was present
  std::string_view remote_addr;     // "127.0.0.1:54321"
  int version_minor = 1;            // 1 for HTTP/1.1, 0 for HTTP/1.0
  bool keep_alive = true;           // the connection stays open after this request's response
};

struct HttpResponse {
  int status = 200;
  // Sent in this order. The server adds Content-Length, Date (Go's format) and Connection: close
  // when it closes the connection; a handler's own header of the same name replaces the server's.
  std::vector<std::pair<std::string, std::string>> headers;
  // Preformatted header lines ("Name: value\r\n" each) written verbatim after `headers`: for the
  // headers every response of a handler carries, so they cost one copy instead of two strings
  // each. It must stay valid until respond() returns, and must not hold Content-Length, Date or
  // Connection (the server decides those from `headers` only).
  std::string_view header_block;
  std::string body;
};

// ASCII case-insensitive equality, for header names and tokens.
bool equals_ignore_case(std::string_view a, std::string_view b);

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view reason_phrase(int status);

// A response the HTTP layer itself produces for protocol errors: body "<reason>\n",
// Content-Type: text/plain; charset=utf-8.
HttpResponse make_error_response(int status);

}  // namespace uq::net
