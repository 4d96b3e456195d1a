#include "sql/request.h"

#include "core/hex.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace uq::sql {
namespace {

namespace od = simdjson::ondemand;

Status invalid_json() {
  return error(Code::kInvalidArgument, "invalid JSON body");
}

// Index just past the top-level value's closing bracket, or npos if the brackets never balance.
// String-aware; used only on error paths to decide which error rqlite would report.
size_t find_top_level_end(std::string_view body) {
  size_t i = 0;
  while (i < body.size() &&
         (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
    ++i;
  }
  if (i == body.size() || (body[i] != '[' && body[i] != '{')) {
    return std::string_view::npos;
  }
  int depth = 0;
  bool in_string = false;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) {
        return i + 1;
      }
    }
  }
  return std::string_view::npos;
}

// Go decodes (and so syntax-checks) the whole top-level value before it looks at its shape: a
// shape error is only reported when the value is valid JSON, else "invalid JSON body" wins.
Status shape_error(std::string_view body, std::string message) {
  size_t end = find_top_level_end(body);
  std::string_view value = end == std::string_view::npos ? body : body.substr(0, end);
  simdjson::padded_string copy(value);
  simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  if (parser.parse(copy).get(ignored) != simdjson::SUCCESS) {
    return invalid_json();
  }
  return error(Code::kInvalidArgument, std::move(message));
}

// Exact powers of ten: every one up to 1e22 is representable in a double.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A JSON number token: INTEGER if it is an integer literal within int64 range, else REAL (as rqlite
// binds json.Number values). False if the token is not a valid JSON number. One pass validates the
// token and gathers its digits. An integer of up to 18 digits fits int64 as gathered. A decimal of
// up to 15 digits with a decimal exponent within ±22 (what parameter values almost always look
// like) is an integer below 2^53 times an exact power of ten, so one IEEE multiplication or
// division rounds correctly and gives the same double as from_chars (Clinger's fast path).
// Anything else takes from_chars.
bool parse_json_number(std::string_view t, Value* out) {
  const char* p = t.data();
  const char* const end = p + t.size();
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  // Wraps past 19 digits (unsigned, so defined); only read when there are at most 18.
  uint64_t mantissa = 0;
  auto gather = [&] {
    const char* from = p;
    for (; p != end && is_digit(*p); ++p) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    }
    return static_cast<size_t>(p - from);
  };
  bool negative = p != end && *p == '-';
  p += negative ? 1 : 0;
  const char* int_start = p;
  size_t int_digits = gather();
  if (int_digits == 0 || (int_digits > 1 && *int_start == '0')) {
    return false;
  }
  bool integral = true;
  size_t fraction_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    integral = false;
    fraction_digits = gather();
    if (fraction_digits == 0) {
      return false;
    }
  }
  int exponent = 0;
  bool short_exponent = true;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    integral = false;
    bool exponent_negative = p != end && *p == '-';
    p += p != end && (*p == '+' || *p == '-') ? 1 : 0;
    const char* from = p;
    for (; p != end && is_digit(*p); ++p) {
      exponent = p - from < 3 ? exponent * 10 + (*p - '0') : exponent;
    }
    if (p == from) {
      return false;
    }
    short_exponent = p - from <= 3;
    exponent = exponent_negative ? -exponent : exponent;
  }
  if (p != end) {
    return false;
  }
  if (integral && int_digits <= 18) {
    int64_t v = static_cast<int64_t>(mantissa);
    *out = Value::integer(negative ? -v : v);
    return true;
  }
  if (!integral && int_digits + fraction_digits <= 15 && short_exponent) {
    int e10 = exponent - static_cast<int>(fraction_digits);
    if (e10 >= -22 && e10 <= 22) {
      double d = static_cast<double>(mantissa);
      d = e10 < 0 ? d / kExactPowersOfTen[-e10] : d * kExactPowersOfTen[e10];
      *out = Value::real(negative ? -d : d);
      return true;
    }
  }
  if (integral) {
    int64_t v = 0;
    auto res = std::from_chars(t.data(), end, v);
    if (res.ec == std::errc() && res.ptr == end) {
      *out = Value::integer(v);
      return true;
    }
  }
  double d = 0;
  auto res = std::from_chars(t.data(), end, d);
  if (res.ec != std::errc() || res.ptr != end) {
    return false;  // e.g. 1e400: out of double range
  }
  *out = Value::real(d);
  return true;
}

// rqlite's hex-blob string form `x'..'` / `X'..'` (surrounding whitespace allowed, an even number
// of hex digits): decodes it to `out` (room for s.size() / 2 bytes; it may be s.data() itself, as
// every digit pair is read before its byte is written) and returns the byte count, or npos if `s`
// is not of that form.
size_t decode_hex_blob(std::string_view s, char* out) {
  // Fast reject: the form starts with x/X after optional whitespace.
  if (s.size() < 3 || (s[0] != 'x' && s[0] != 'X' && s[0] != ' ' && s[0] != '\t' && s[0] != '\n' &&
                       s[0] != '\r' && s[0] != '\v' && s[0] != '\f')) {
    return std::string_view::npos;
  }
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  if (s.size() < 3 || (s[0] != 'x' && s[0] != 'X') || s[1] != '\'' || s.back() != '\'') {
    return std::string_view::npos;
  }
  std::string_view hex = s.substr(2, s.size() - 3);
  if (hex.size() % 2 != 0) {
    return std::string_view::npos;
  }
  for (char c : hex) {
    if (hex_digit_value(c) < 0) {
      return std::string_view::npos;
    }
  }
  for (size_t i = 0; i < hex.size(); i += 2) {
    out[i / 2] = static_cast<char>(hex_digit_value(hex[i]) * 16 + hex_digit_value(hex[i + 1]));
  }
  return hex.size() / 2;
}

// A value's raw token (simdjson's raw_json_token()) runs up to the next structural character, so
// it carries any JSON whitespace that follows the value.
std::string_view without_trailing_space(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  return token;
}

const char* json_type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    default:
      return "null";
  }
}

// Parses a body from the request's own padded copy of it. Strings are taken where they lie in the
// copy; one with escapes is unescaped by simdjson and written back over its own escaped form, which
// is never shorter and which the forward-only iteration never reads again. Either kind then ends
// with a NUL where its closing quote was, or before: iteration steps from structural character to
// structural character and never looks at a closing quote again.
class BodyParser {
 public:
  // `original` is the body as received (error paths re-read it, as the copy gets rewritten);
  // `copy` is the request's copy simdjson iterates.
  BodyParser(std::string_view original, char* copy, Request* out)
      : original_(original), copy_(copy), out_(out) {}

  Status parse_document(od::document& doc, bool allow_empty);

 private:
  Status parse_statement_array(od::value element);
  Status parse_scalar_or_blob(od::value v, od::json_type t, Value* out);
  Status parse_string(od::value v, std::string_view* out);
  Status parse_number(od::value v, Value* out);
  Status parse_byte_array(od::value v, Value* out);
  Status parse_named(od::value v);

  // The writable byte of the copy that simdjson shows as `p`.
  char* writable(const char* p) const { return copy_ + (p - copy_); }

  std::string_view original_;
  char* copy_;
  Request* out_;
};

Status BodyParser::parse_document(od::document& doc, bool allow_empty) {
  od::json_type type;
  if (doc.type().get(type) != simdjson::SUCCESS) {
    return invalid_json();
  }
  if (type != od::json_type::array) {
    return shape_error(original_, "invalid request");
  }
  // No count_elements() to size the statement array first: it is a second pass over the whole
  // body, dearer than the array's growth.
  od::array array;
  if (doc.get_array().get(array) != simdjson::SUCCESS) {
    return invalid_json();
  }
  for (auto element_result : array) {
    od::value element;
    od::json_type element_type;
    if (element_result.get(element) != simdjson::SUCCESS ||
        element.type().get(element_type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (element_type == od::json_type::string) {
      std::string_view sql;
      UQ_RETURN_IF_ERROR(parse_string(element, &sql));
      out_->end_statement(sql);
    } else if (element_type == od::json_type::array) {
      UQ_RETURN_IF_ERROR(parse_statement_array(element));
    } else {
      return shape_error(original_, "invalid request");
    }
  }
  if (out_->statements().empty() && !allow_empty) {
    return error(Code::kInvalidArgument, "no statements");
  }
  return Status::ok();
}

Status BodyParser::parse_statement_array(od::value element) {
  od::array array;
  if (element.get_array().get(array) != simdjson::SUCCESS) {
    return invalid_json();
  }
  std::string_view sql;
  bool first = true;
  for (auto item_result : array) {
    od::value item;
    od::json_type type;
    if (item_result.get(item) != simdjson::SUCCESS || item.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (first) {
      first = false;
      if (type != od::json_type::string) {
        return shape_error(original_, "invalid request");
      }
      UQ_RETURN_IF_ERROR(parse_string(item, &sql));
      continue;
    }
    if (type == od::json_type::object) {
      UQ_RETURN_IF_ERROR(parse_named(item));
      continue;
    }
    UQ_RETURN_IF_ERROR(parse_scalar_or_blob(item, type, &out_->add_param().value));
  }
  if (first) {
    return shape_error(original_, "invalid request");  // [[]]
  }
  out_->end_statement(sql);
  return Status::ok();
}

Status BodyParser::parse_named(od::value v) {
  od::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) {
    return invalid_json();
  }
  for (auto field : object) {
    od::raw_json_string raw_key;
    std::string_view key;
    od::value value;
    od::json_type type;
    if (field.key().get(raw_key) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().get(value) != simdjson::SUCCESS ||
        value.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (type == od::json_type::object) {
      return shape_error(original_, "unsupported type object");
    }
    // simdjson unescaped the key into its own buffer; it goes back over the key's quoted form.
    char* at = writable(raw_key.raw());
    std::memcpy(at, key.data(), key.size());
    Param& param = out_->add_param();
    param.name = std::string_view(at, key.size());
    UQ_RETURN_IF_ERROR(parse_scalar_or_blob(value, type, &param.value));
  }
  return Status::ok();
}

Status BodyParser::parse_string(od::value v, std::string_view* out) {
  std::string_view token = without_trailing_space(v.raw_json_token());  // the quoted string
  // Stage 1 has already checked the whole body's UTF-8 and that no string holds a raw control
  // character, so a string without a backslash is its bytes between the quotes.
  // Either way a NUL goes where the closing quote was or before it (Statement::sql's guarantee).
  char* at = writable(token.data() + 1);
  if (token.size() >= 2 && token.back() == '"' &&
      std::memchr(at, '\\', token.size() - 2) == nullptr) {
    at[token.size() - 2] = '\0';
    *out = std::string_view(at, token.size() - 2);
    return Status::ok();
  }
  std::string_view unescaped;
  if (v.get_string().get(unescaped) != simdjson::SUCCESS) {
    return invalid_json();
  }
  std::memcpy(at, unescaped.data(), unescaped.size());
  at[unescaped.size()] = '\0';
  *out = std::string_view(at, unescaped.size());
  return Status::ok();
}

Status BodyParser::parse_scalar_or_blob(od::value v, od::json_type t, Value* out) {
  switch (t) {
    case od::json_type::number:
      return parse_number(v, out);
    case od::json_type::string: {
      std::string_view s;
      UQ_RETURN_IF_ERROR(parse_string(v, &s));
      char* at = writable(s.data());
      size_t n = decode_hex_blob(s, at);
      *out = n == std::string_view::npos ? Value::text(s) : Value::blob(std::string_view(at, n));
      return Status::ok();
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b) != simdjson::SUCCESS) {
        return invalid_json();
      }
      *out = Value::integer(b ? 1 : 0);
      return Status::ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
        return invalid_json();
      }
      *out = Value::null();
      return Status::ok();
    }
    case od::json_type::array:
      return parse_byte_array(v, out);
    default:
      return shape_error(original_, std::string("unsupported type ") + json_type_name(t));
  }
}

Status BodyParser::parse_number(od::value v, Value* out) {
  if (!parse_json_number(without_trailing_space(v.raw_json_token()), out)) {
    return invalid_json();
  }
  return Status::ok();
}

Status BodyParser::parse_byte_array(od::value v, Value* out) {
  od::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) {
    return invalid_json();
  }
  std::string bytes;
  for (auto item_result : array) {
    od::value item;
    od::json_type type;
    if (item_result.get(item) != simdjson::SUCCESS || item.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (type != od::json_type::number) {
      return shape_error(original_, "unsupported type array");
    }
    Value number;
    UQ_RETURN_IF_ERROR(parse_number(item, &number));
    if (number.type != Value::Type::kInteger || number.i < 0 || number.i > 255) {
      return shape_error(original_, "unsupported type array");
    }
    bytes.push_back(static_cast<char>(number.i));
  }
  // Rare enough for a block of its own.
  char* at = bytes.empty() ? nullptr : out_->own(bytes.size());
  if (at != nullptr) {
    std::memcpy(at, bytes.data(), bytes.size());
  }
  *out = Value::blob(std::string_view(at, bytes.size()));
  return Status::ok();
}

// Parses body[0, length) from a padded copy the request keeps.
Result<Request> parse_copy(std::string_view body, size_t length, bool allow_empty) {
  Request request;
  char* copy = request.own(length + simdjson::SIMDJSON_PADDING);
  std::memcpy(copy, body.data(), length);
  std::memset(copy + length, 0, simdjson::SIMDJSON_PADDING);
  thread_local od::parser parser;
  od::document doc;
  if (parser.iterate(copy, length, length + simdjson::SIMDJSON_PADDING).get(doc) !=
      simdjson::SUCCESS) {
    return invalid_json();
  }
  BodyParser body_parser(body.substr(0, length), copy, &request);
  Status status = body_parser.parse_document(doc, allow_empty);
  if (!status.is_ok()) {
    return status;
  }
  return request;
}

}  // namespace

Result<Request> parse_request(std::string_view body, bool allow_empty) {
  Result<Request> result = parse_copy(body, body.size(), allow_empty);
  if (result.is_ok() || result.status().message() != "invalid JSON body") {
    return result;
  }
  // simdjson indexes the whole buffer up front, so garbage after the top-level array (which rqlite
  // never reads) can fail the parse: retry on the top-level value alone.
  size_t end = find_top_level_end(body);
  if (end == std::string_view::npos || end == body.size()) {
    return result;
  }
  return parse_copy(body, end, allow_empty);
}

Request request_from_sql(std::string_view sql) {
  Request request;
  request.add(sql);
  return request;
}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    statements_ = std::exchange(other.statements_, {});
    // The raw cursor into the newest parameter block goes with the block: left behind, the source
    // would add its next parameters into memory it no longer owns.
    params_ = std::exchange(other.params_, nullptr);
    params_used_ = std::exchange(other.params_used_, 0);
    params_capacity_ = std::exchange(other.params_capacity_, 0);
    open_params_ = std::exchange(other.open_params_, 0);
    first_block_ = std::move(other.first_block_);
    blocks_ = std::exchange(other.blocks_, {});
  }
  return *this;
}

Request& Request::operator=(const Request& other) {
  if (this != &other) {
    *this = Request(other);
  }
  return *this;
}

// Parameter blocks are raw storage whose objects are never destroyed, and are copied bytewise.
static_assert(std::is_trivially_destructible_v<Param> && std::is_trivially_copyable_v<Param>);

char* Request::own(size_t size) {
  if (first_block_ == nullptr) {
    constexpr size_t kParamBytes = kFirstParams * sizeof(Param);
    first_block_ = std::make_unique_for_overwrite<char[]>(kParamBytes + size);
    if (params_ == nullptr) {
      params_ = reinterpret_cast<Param*>(first_block_.get());  // new[] aligns for any Param
      params_capacity_ = kFirstParams;
    }
    return first_block_.get() + kParamBytes;
  }
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
  return blocks_.back().get();
}

Param& Request::add_param() {
  if (params_used_ == params_capacity_) {
    size_t open = params_used_ - open_params_;
    size_t capacity =
        std::max(std::min<size_t>(1024, std::max<size_t>(16, params_capacity_ * 2)), open * 2);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(capacity * sizeof(Param)));
    Param* block = reinterpret_cast<Param*>(blocks_.back().get());
    std::uninitialized_copy(params_ + open_params_, params_ + params_used_, block);
    params_ = block;
    params_used_ = open;
    params_capacity_ = capacity;
    open_params_ = 0;
  }
  return *new (params_ + params_used_++) Param();
}

void Request::end_statement(std::string_view sql) {
  std::span<const Param> params;
  if (open_params_ < params_used_) {
    params = {params_ + open_params_, params_used_ - open_params_};
  }
  statements_.push_back(Statement{sql, params});
  open_params_ = params_used_;
}

void Request::add(std::string_view sql, std::span<const Param> params) {
  Request one;
  one.statements_.push_back(Statement{sql, params});
  append(one);
}

void Request::append(const Request& other) {
  if (&other == this) {
    append(Request(other));
    return;
  }
  size_t bytes = 0;
  for (const Statement& statement : other.statements_) {
    bytes += statement.sql.size() + 1;
    for (const Param& param : statement.params) {
      bytes += param.name.size() + param.value.bytes.size();
    }
  }
  char* at = bytes == 0 ? nullptr : own(bytes);
  // A statement's text is followed by a NUL (Statement::sql's guarantee); other bytes are not.
  auto copy = [&at](std::string_view s, bool nul) {
    if (s.empty() && !nul) {
      return std::string_view();
    }
    if (!s.empty()) {  // memcpy from an empty view's null data() is undefined
      std::memcpy(at, s.data(), s.size());
    }
    std::string_view copied(at, s.size());
    at += s.size();
    if (nul) {
      *at++ = '\0';
    }
    return copied;
  };
  statements_.reserve(statements_.size() + other.statements_.size());
  for (const Statement& statement : other.statements_) {
    for (const Param& param : statement.params) {
      Param& added = add_param();
      added.name = copy(param.name, false);
      added.value = param.value;
      added.value.bytes = copy(param.value.bytes, false);
    }
    end_statement(copy(statement.sql, true));
  }
}

void Request::set_sql(size_t i, std::string_view sql) {
  char* at = own(sql.size() + 1);
  if (!sql.empty()) {  // memcpy from an empty view's null data() is undefined
    std::memcpy(at, sql.data(), sql.size());
  }
  at[sql.size()] = '\0';
  statements_[i].sql = std::string_view(at, sql.size());
}

}  // namespace uq::sql
