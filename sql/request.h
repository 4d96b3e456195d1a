// sql/request.h — the data-API request model, its JSON parser and its Raft-log encoding.
//
// Owns: Request (statements with bound parameters) as rqlite's /db/execute, /db/query and
// /db/request bodies describe it (spec §3.1, §3.2); parse_request() turns a JSON body into one with
// simdjson On-Demand, reporting errors with exactly rqlite's messages; encode_request() /
// decode_request() give a compact, versioned binary form for the Raft log. (The §3.10
// disallowed-PRAGMA check is sql::rewrite::inspect(), which tokenizes every statement.)
//
// Thread: every function is pure and may be called from any thread (the parser keeps one
// thread_local simdjson parser per thread). Errors leave no state behind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uq::sql {

using ::uq::Result;
using ::uq::Status;

// A bound parameter or a result cell.
struct Value {
  enum class Type : uint8_t { kNull, kInteger, kReal, kText, kBlob };
  Type type = Type::kNull;
  int64_t i = 0;
  double d = 0;
  std::string bytes;  // text or blob bytes

  static Value null() { return Value{}; }
  static Value integer(int64_t v) { return Value{Type::kInteger, v, 0, {}}; }
  static Value real(double v) { return Value{Type::kReal, 0, v, {}}; }
  static Value text(std::string v) { return Value{Type::kText, 0, 0, std::move(v)}; }
  static Value blob(std::string v) { return Value{Type::kBlob, 0, 0, std::move(v)}; }
  bool operator==(const Value&) const = default;
};

struct Param {
  std::string name;  // empty = positional; else the name without its ':', '@' or '$' prefix
  Value value;
  bool operator==(const Param&) const = default;
};

struct Statement {
  std::string sql;
  std::vector<Param> params;
  bool operator==(const Statement&) const = default;
};

struct Request {
  std::vector<Statement> statements;
  bool operator==(const Request&) const = default;
};

// Parses a JSON request body (§3.1). `body` must have at least SIMDJSON_PADDING (64) readable bytes
// after body.end(). Errors are Code::kInvalidArgument with rqlite's message: "invalid JSON body",
// "invalid request", "no statements" or "unsupported type <json type>". allow_empty accepts `[]`
// (queued writes with wait).
Result<Request> parse_request(std::string_view body, bool allow_empty = false);

// One statement without parameters: text/plain bodies and GET /db/query?q=.
Request request_from_sql(std::string_view sql);

// Binary form for the Raft log. decode_request() validates every length, count and tag and
// rejects trailing bytes (Code::kCorruption), so a damaged entry never reaches SQLite.
std::string encode_request(const Request& request);
Result<Request> decode_request(std::string_view bytes);

// Parses rqlite's hex-blob string form `x'..'` / `X'..'` (surrounding whitespace allowed, an even
// number of hex digits). Returns false if `s` is not of that form.
bool parse_hex_blob(std::string_view s, std::string* out);

}  // namespace uq::sql
