// sql/request.h — the data-API request model, its JSON parser and its Raft-log encoding.
//
// Owns: Request (statements with bound parameters) as rqlite's /db/execute, /db/query and
// /db/request bodies describe it (spec §3.1, §3.2); parse_request() turns a JSON body into one with
// simdjson On-Demand, reporting errors with exactly rqlite's messages; encode_request() /
// decode_request() give a compact, versioned binary form for the Raft log. (The §3.10
// disallowed-PRAGMA check is sql::rewrite::inspect(), which tokenizes every statement.)
//
// Thread: every function is pure and may be called from any thread (the parser keeps one
// thread_local simdjson parser per thread). Errors leave no state behind. A Request is a value:
// one thread at a time, moved or copied between threads freely.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uq::sql {

using ::uq::Result;
using ::uq::Status;

// A bound parameter. Text and BLOB bytes are a view into memory the Request holding the
// parameter owns (or, for a Value built outside one, into whatever the builder keeps alive).
struct Value {
  enum class Type : uint8_t { kNull, kInteger, kReal, kText, kBlob };
  Type type = Type::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view bytes;  // text or blob bytes

  static Value null() { return Value{}; }
  static Value integer(int64_t v) { return Value{Type::kInteger, v, 0, {}}; }
  static Value real(double v) { return Value{Type::kReal, 0, v, {}}; }
  static Value text(std::string_view v) { return Value{Type::kText, 0, 0, v}; }
  static Value blob(std::string_view v) { return Value{Type::kBlob, 0, 0, v}; }
  bool operator==(const Value&) const = default;
};

struct Param {
  std::string_view name;  // empty = positional; else the name without its ':', '@' or '$' prefix
  Value value;
  bool operator==(const Param&) const = default;
};

// One statement of a request: views into the Request that holds it. The byte after `sql` is a NUL
// in the request's storage, so SQLite can parse the text in place (Connection::prepare).
struct Statement {
  std::string_view sql;
  std::span<const Param> params;
  bool operator==(const Statement& other) const {
    return sql == other.sql && std::ranges::equal(params, other.params);
  }
};

// A request's statements and parameters, and every byte they view. A parsed body is copied once
// into the request and its strings are viewed where they lie in the copy (unescaped in place when
// they hold escapes), so parsing a one-statement body allocates two blocks, a 1000-statement one
// about a dozen. Moving a request keeps every view valid (the blocks move with it) and leaves the
// source empty and usable; copying one re-points the copy's views into a block of its own.
class Request {
 public:
  Request() = default;
  Request(Request&& other) noexcept { *this = std::move(other); }
  Request& operator=(Request&& other) noexcept;
  Request(const Request& other) { append(other); }
  Request& operator=(const Request& other);

  const std::vector<Statement>& statements() const { return statements_; }

  // Appends a statement, copying `sql` and every parameter's name and bytes into this request.
  void add(std::string_view sql, std::span<const Param> params = {});
  void add(std::string_view sql, std::initializer_list<Param> params) {
    add(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Appends copies of every statement of `other`.
  void append(const Request& other);
  // Replaces statement `i`'s text with a copy of `sql`.
  void set_sql(size_t i, std::string_view sql);

  bool operator==(const Request& other) const { return statements_ == other.statements_; }

  // Building in place, for the JSON parser and the log decoder: every byte a statement or
  // parameter views must lie in a block from own(), and a NUL must follow each statement's text.
  // add_param() adds a parameter to the statement being built, end_statement() closes it over every
  // parameter added since the last one.
  char* own(size_t size);
  Param& add_param();
  void end_statement(std::string_view sql);
  void reserve_statements(size_t count) { statements_.reserve(count); }

 private:
  std::vector<Statement> statements_;
  // Parameters live in blocks that never move, so a closed statement's span stays valid. The
  // first kFirstParams share the first byte block (one allocation less for a one-statement
  // request); later blocks grow from 16 to 1024 parameters (56 KiB, under glibc's default mmap
  // threshold). A statement's parameters never straddle two blocks: an open statement moves to a
  // new block whole.
  static constexpr size_t kFirstParams = 8;
  Param* params_ = nullptr;  // the newest parameter block; objects are created as they are added
  size_t params_used_ = 0;
  size_t params_capacity_ = 0;
  size_t open_params_ = 0;  // index in the newest block where the statement being built starts
  std::unique_ptr<char[]> first_block_;          // the first parameters and own()'s first bytes
  std::vector<std::unique_ptr<char[]>> blocks_;  // every later block, of either kind
};

// Parses a JSON request body (§3.1) from a copy the request keeps, so `body` need not outlive the
// result (nor be padded). Errors are Code::kInvalidArgument with rqlite's message: "invalid JSON
// body", "invalid request", "no statements" or "unsupported type <json type>". allow_empty accepts
// `[]` (queued writes with wait).
Result<Request> parse_request(std::string_view body, bool allow_empty = false);

// One statement without parameters: text/plain bodies and GET /db/query?q=.
Request request_from_sql(std::string_view sql);

// Binary form for the Raft log. decode_request() validates every length, count and tag and
// rejects trailing bytes (Code::kCorruption), so a damaged entry never reaches SQLite.
std::string encode_request(const Request& request);
Result<Request> decode_request(std::string_view bytes);

}  // namespace uq::sql
