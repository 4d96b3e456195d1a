#include "server/query_params.h"

#include <charconv>

#include "core/duration.h"
#include "core/hex.h"

namespace uq::server {

namespace {

// Go's strconv.Quote of the bad escape, enough for the ASCII-ish text of an escape sequence.
std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

bool parse_int(std::string_view text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

Status validate(const QueryParams& params) {
  auto bad = [](std::string message) { return error(Code::kInvalidArgument, std::move(message)); };
  if (params.has("freshness_strict") && !params.has("freshness")) {
    return bad("freshness_strict requires freshness");
  }
  for (std::string_view name : {"timeout", "freshness", "db_timeout", "linearizable_timeout"}) {
    auto value = params.get(name);
    if (value && !parse_duration(*value).is_ok()) {
      return bad(std::string(name) + " is not a valid duration");
    }
  }
  for (std::string_view name : {"retries", "trailing_logs"}) {
    auto value = params.get(name);
    int64_t ignored = 0;
    if (value && !parse_int(*value, &ignored)) {
      return bad(std::string(name) + " is not a valid integer");
    }
  }
  auto q = params.get("q");
  if (q && q->empty()) {
    return bad("query parameter not set");
  }
  return Status::ok();
}

}  // namespace

Result<std::string> query_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 1 < text.size() ? hex_digit_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return error(Code::kInvalidArgument, "invalid URL escape " + go_quote(text.substr(i, 3)));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Result<QueryParams> QueryParams::parse(std::string_view raw_query) {
  QueryParams params;
  Status first_error;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      if (first_error.is_ok()) {
        first_error = error(Code::kInvalidArgument, "invalid semicolon separator in query");
      }
      continue;
    }
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    auto key = query_unescape(pair.substr(0, eq));
    auto value = query_unescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (!key.is_ok() || !value.is_ok()) {
      if (first_error.is_ok()) {
        first_error = key.is_ok() ? value.status() : key.status();
      }
      continue;
    }
    params.pairs_.emplace_back(std::move(*key), std::move(*value));
  }
  if (!first_error.is_ok()) {
    return first_error;
  }
  UQ_RETURN_IF_ERROR(validate(params));
  return params;
}

bool QueryParams::has(std::string_view key) const {
  return get(key).has_value();
}

std::optional<std::string_view> QueryParams::get(std::string_view key) const {
  for (const auto& [k, v] : pairs_) {
    if (k == key) {
      return std::string_view(v);
    }
  }
  return std::nullopt;
}

std::chrono::nanoseconds QueryParams::duration_or(std::string_view key,
                                                  std::chrono::nanoseconds fallback) const {
  auto value = get(key);
  if (!value) {
    return fallback;
  }
  auto parsed = parse_duration(*value);
  return parsed.is_ok() ? *parsed : fallback;
}

int64_t QueryParams::int_or(std::string_view key, int64_t fallback) const {
  auto value = get(key);
  int64_t out = 0;
  return value && parse_int(*value, &out) ? out : fallback;
}

}  // namespace uq::server
