#include "bench/uqlite-bench/response_parser.h"

#include <algorithm>
#include <cstring>

namespace uq::bench {

namespace {

constexpr std::string_view kHeadEnd = "\r\n\r\n";
constexpr std::string_view kErrorKey = "\"error\":";

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); i++) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// True if the comma-separated list `value` holds the token `token` (case-insensitive).
bool list_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim_ows(value.substr(0, comma));
    if (iequals(item, token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return false;
}

Status framing_error(std::string message) {
  return error(Code::kCorruption, std::move(message));
}

}  // namespace

ResponseParser::ResponseParser() {
  head_.reserve(kMaxHeadBytes);
}

void ResponseParser::reset() {
  head_.clear();
  failed_ = false;
  in_body_ = false;
  body_remaining_ = 0;
  error_match_ = 0;
  current_ = ResponseInfo{};
}

Status ResponseParser::consume(std::string_view* data, bool* done, ResponseInfo* out) {
  *done = false;
  if (failed_) {
    return framing_error("parser already failed");
  }
  if (!in_body_) {
    bool head_done = false;
    Status st = consume_head(data, &head_done);
    if (!st.is_ok()) {
      failed_ = true;
      return st;
    }
    if (!head_done) {
      return Status::ok();
    }
  }
  const auto take = static_cast<size_t>(std::min<int64_t>(body_remaining_, data->size()));
  if (!current_.body_has_error) {
    scan_body(data->substr(0, take));
  }
  data->remove_prefix(take);
  body_remaining_ -= static_cast<int64_t>(take);
  if (body_remaining_ == 0) {
    *out = current_;
    *done = true;
    in_body_ = false;
    error_match_ = 0;
    current_ = ResponseInfo{};
  }
  return Status::ok();
}

// Finds the end of the head, in place when the whole head is in *data (the common case), else by
// collecting the pieces in head_.
Status ResponseParser::consume_head(std::string_view* data, bool* head_done) {
  if (head_.empty()) {
    size_t end = data->find(kHeadEnd);
    if (end != std::string_view::npos) {
      UQ_RETURN_IF_ERROR(parse_head(data->substr(0, end + kHeadEnd.size())));
      data->remove_prefix(end + kHeadEnd.size());
      *head_done = true;
      return Status::ok();
    }
  }
  const size_t old_size = head_.size();
  const size_t room = kMaxHeadBytes - old_size;
  const size_t take = std::min(room, data->size());
  head_.append(data->data(), take);
  const size_t search_from = old_size >= 3 ? old_size - 3 : 0;
  size_t end = std::string_view(head_).find(kHeadEnd, search_from);
  if (end == std::string_view::npos) {
    if (head_.size() >= kMaxHeadBytes) {
      return framing_error("response head larger than 16 KiB");
    }
    data->remove_prefix(take);
    return Status::ok();
  }
  const size_t head_size = end + kHeadEnd.size();
  UQ_RETURN_IF_ERROR(parse_head(std::string_view(head_).substr(0, head_size)));
  data->remove_prefix(head_size - old_size);
  head_.clear();
  *head_done = true;
  return Status::ok();
}

Status ResponseParser::parse_head(std::string_view head) {
  current_ = ResponseInfo{};
  head.remove_suffix(2);  // keep the CRLF of the last header line, drop the empty line
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return framing_error("bad status line");
  }
  for (char c : status_line) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      return framing_error("control character in status line");
    }
  }
  int status = 0;
  for (int i = 9; i < 12; i++) {
    char c = status_line[static_cast<size_t>(i)];
    if (c < '0' || c > '9') {
      return framing_error("bad status code");
    }
    status = status * 10 + (c - '0');
  }
  if (status < 200) {
    return framing_error("unexpected 1xx response");
  }
  current_.status = status;
  bool have_length = false;
  body_remaining_ = 0;
  head.remove_prefix(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    if (eol == std::string_view::npos) {
      return framing_error("header line without CRLF");
    }
    UQ_RETURN_IF_ERROR(parse_header_line(head.substr(0, eol), &have_length));
    head.remove_prefix(eol + 2);
  }
  if (status == 204 || status == 304) {
    body_remaining_ = 0;
  } else if (!have_length) {
    return framing_error("response without Content-Length");
  }
  current_.body_bytes = body_remaining_;
  in_body_ = true;
  return Status::ok();
}

Status ResponseParser::parse_header_line(std::string_view line, bool* have_length) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) {
    return framing_error("header line without a name");
  }
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_token_char(c)) {
      return framing_error("bad character in header name (obs-fold or whitespace?)");
    }
  }
  std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return framing_error("bare CR, LF or NUL in header value");
    }
  }
  if (iequals(name, "content-length")) {
    if (value.empty() || value.size() > 15) {
      return framing_error("bad Content-Length");
    }
    int64_t length = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        return framing_error("bad Content-Length");
      }
      length = length * 10 + (c - '0');
    }
    if (*have_length && length != body_remaining_) {
      return framing_error("conflicting Content-Length values");
    }
    *have_length = true;
    body_remaining_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    return framing_error("Transfer-Encoding is not supported");
  } else if (iequals(name, "connection")) {
    if (list_has_token(value, "close")) {
      current_.close = true;
    }
  }
  return Status::ok();
}

// Streams the body past a small matcher for `"error":`. The key's only self-overlaps start at a
// quote, which is what the fall-back below handles.
void ResponseParser::scan_body(std::string_view chunk) {
  const char* p = chunk.data();
  const char* end = p + chunk.size();
  while (p < end) {
    if (error_match_ == 0) {
      p = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (p == nullptr) {
        return;
      }
      error_match_ = 1;
      p++;
      continue;
    }
    const char c = *p++;
    if (c == kErrorKey[static_cast<size_t>(error_match_)]) {
      error_match_++;
      if (error_match_ == static_cast<int>(kErrorKey.size())) {
        current_.body_has_error = true;
        return;
      }
    } else if (c == '"') {
      error_match_ = 1;
    } else if (error_match_ == 7 && c == 'e') {
      error_match_ = 2;  // `"error"e...`: the closing quote may open `"e`
    } else {
      error_match_ = 0;
    }
  }
}

}  // namespace uq::bench
