// server/query_params.h — the URL query string as rqlite reads it.
//
// Parses like Go's url.ParseQuery (pairs split on '&', an unescaped ';' anywhere is an error,
// '+' is a space, %XX escapes, the first value of a repeated key wins) and then applies rqlite's
// validation that runs on every request before routing (spec §2.4). Owned by the reactor thread
// handling one request; pure value type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace uq::server {

class QueryParams {
 public:
  // Errors carry the exact text rqlite answers with (status 400, body = text + "\n").
  static Result<QueryParams> parse(std::string_view raw_query);

  bool has(std::string_view key) const;  // flag-style parameters: presence is enough
  std::optional<std::string_view> get(std::string_view key) const;  // first value
  // Durations validated by parse(); absent → fallback.
  std::chrono::nanoseconds duration_or(std::string_view key,
                                       std::chrono::nanoseconds fallback) const;
  int64_t int_or(std::string_view key, int64_t fallback) const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Percent-decodes a query component as Go's url.QueryUnescape does.
Result<std::string> query_unescape(std::string_view text);

}  // namespace uq::server
