// net/http.h — HTTP/1.1 request and response values shared by the codec, the server and handlers.
//
// Owns nothing: HttpRequest is a set of views into a connection's receive buffer that are valid
// only during the handler call (copy what you keep); HttpResponse is a plain value the handler
// fills and hands back. Any thread may build an HttpResponse; HttpRequest is used on the reactor
// thread that parsed it.
// Large bodies bypass memory in both directions: a request body the server was told to stream
// (HttpServerOptions::stream_body_dir) arrives as a BodyFile, and a response may carry a
// ResponseFile that the connection sends in chunks. Both delete their file when the last
// reference goes unless told otherwise, so no path (error, dropped connection) leaks one.
#pragma once

#include <cstdint>
#include <memory>
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

// A request body the server wrote to a file as it arrived (Content-Length or de-chunked bytes).
// The file is unlinked when the last shared_ptr to it goes, unless release() took it over (e.g.
// to rename it into place). Any thread may hold it; release() must happen on one thread.
class BodyFile {
 public:
  BodyFile(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  ~BodyFile();
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // The caller owns the file from now on (renames or unlinks it); returns its path.
  std::string release();

 private:
  std::string path_;
  uint64_t size_;
  bool released_ = false;
};

// A response body read from an open file: `length` bytes from offset 0. Closes fd (and unlinks
// unlink_path when not empty) on destruction, i.e. once the connection has sent it, failed, or
// gone away. A file body of a HEAD answer or a bodiless status is never read.
class ResponseFile {
 public:
  ResponseFile(int fd, uint64_t length, std::string unlink_path = {})
      : fd_(fd), length_(length), unlink_path_(std::move(unlink_path)) {}
  ~ResponseFile();
  ResponseFile(const ResponseFile&) = delete;
  ResponseFile& operator=(const ResponseFile&) = delete;
  int fd() const { return fd_; }
  uint64_t length() const { return length_; }

 private:
  int fd_;
  uint64_t length_;
  std::string unlink_path_;
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
  // Set when the body was streamed to a file (HttpServerOptions::stream_body_dir): the file holds
  // the whole body and `body` only its first kStreamedBodyPrefixBytes (fewer if it was shorter).
  std::shared_ptr<BodyFile> body_file;
};

// How much of a streamed body HttpRequest::body still shows (enough for a file-type check).
inline constexpr size_t kStreamedBodyPrefixBytes = 64;

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
  // When set, the body is this file instead of `body` (which must be empty); Content-Length is
  // the file's length. Sent in chunks, read only as the previous chunk leaves.
  std::shared_ptr<ResponseFile> file;
};

// ASCII case-insensitive equality, for header names and tokens.
bool equals_ignore_case(std::string_view a, std::string_view b);

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view reason_phrase(int status);

// A response the HTTP layer itself produces for protocol errors: body "<reason>\n",
// Content-Type: text/plain; charset=utf-8.
HttpResponse make_error_response(int status);

}  // namespace uq::net
