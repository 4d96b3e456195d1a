#include "sql/request.h"

#include "core/hex.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <limits>

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

// Value::integer() and friends build a temporary and move-assign it (string and all); these set
// the fields in place, as the same factory would have left them.
void set_integer(Value* v, int64_t i) {
  v->type = Value::Type::kInteger;
  v->i = i;
  v->d = 0;
  v->bytes.clear();
}

void set_real(Value* v, double d) {
  v->type = Value::Type::kReal;
  v->i = 0;
  v->d = d;
  v->bytes.clear();
}

// Exact powers of ten: every one up to 1e22 is representable in a double.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A syntactically valid non-integral JSON number with at most 15 digits and a decimal exponent
// within ±22 (what parameter values almost always look like): the digits are an integer below
// 2^53 and the power of ten is exact, so one IEEE multiplication or division rounds correctly and
// gives the same double as from_chars (Clinger's fast path). False for anything else, which then
// takes from_chars.
bool parse_short_decimal(std::string_view t, Value* out) {
  size_t i = t[0] == '-' ? 1 : 0;
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.') {
      in_fraction = true;
      continue;
    }
    if (c == 'e' || c == 'E') {
      break;
    }
    if (++digits > 15) {
      return false;
    }
    mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
    fraction_digits += in_fraction ? 1 : 0;
  }
  int exponent = 0;
  if (i < t.size()) {  // the exponent part, already validated by the caller
    ++i;
    bool negative = t[i] == '-';
    if (t[i] == '+' || t[i] == '-') {
      ++i;
    }
    if (t.size() - i > 3) {
      return false;
    }
    for (; i < t.size(); ++i) {
      exponent = exponent * 10 + (t[i] - '0');
    }
    exponent = negative ? -exponent : exponent;
  }
  exponent -= fraction_digits;
  if (exponent < -22 || exponent > 22) {
    return false;
  }
  double d = static_cast<double>(mantissa);
  d = exponent < 0 ? d / kExactPowersOfTen[-exponent] : d * kExactPowersOfTen[exponent];
  set_real(out, t[0] == '-' ? -d : d);
  return true;
}

// A JSON number token: INTEGER if it is an integer literal within int64 range, else REAL (as rqlite
// binds json.Number values). False if the token is not a valid JSON number.
bool parse_json_number(std::string_view t, Value* out) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      ++i;
    }
    return i - from;
  };
  if (i < t.size() && t[i] == '-') {
    ++i;
  }
  size_t int_start = i;
  size_t int_digits = digits();
  if (int_digits == 0 || (int_digits > 1 && t[int_start] == '0')) {
    return false;
  }
  bool integral = true;
  if (i < t.size() && t[i] == '.') {
    ++i;
    integral = false;
    if (digits() == 0) {
      return false;
    }
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    integral = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  if (i != t.size()) {
    return false;
  }
  if (!integral && parse_short_decimal(t, out)) {
    return true;
  }
  const char* end = t.data() + t.size();
  if (integral && int_digits <= 18) {
    // Fits in int64 for sure: skip from_chars.
    int64_t v = 0;
    for (size_t k = int_start; k < int_start + int_digits; ++k) {
      v = v * 10 + (t[k] - '0');
    }
    set_integer(out, t[0] == '-' ? -v : v);
    return true;
  }
  if (integral) {
    int64_t v = 0;
    auto res = std::from_chars(t.data(), end, v);
    if (res.ec == std::errc() && res.ptr == end) {
      set_integer(out, v);
      return true;
    }
  }
  double d = 0;
  auto res = std::from_chars(t.data(), end, d);
  if (res.ec != std::errc() || res.ptr != end) {
    return false;  // e.g. 1e400: out of double range
  }
  set_real(out, d);
  return true;
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

class BodyParser {
 public:
  explicit BodyParser(std::string_view body) : body_(body) {}

  Status parse_document(od::document& doc, bool allow_empty, Request* out);

 private:
  Status parse_statement_array(od::value element, Statement* out);
  Status parse_scalar_or_blob(od::value v, od::json_type t, Value* out);
  Status parse_number(od::value v, Value* out);
  Status parse_byte_array(od::value v, Value* out);
  Status parse_named(od::value v, std::vector<Param>* out);

  std::string_view body_;
};

Status BodyParser::parse_document(od::document& doc, bool allow_empty, Request* out) {
  od::json_type type;
  if (doc.type().get(type) != simdjson::SUCCESS) {
    return invalid_json();
  }
  if (type != od::json_type::array) {
    return shape_error(body_, "invalid request");
  }
  od::array array;
  size_t count = 0;
  if (doc.get_array().get(array) != simdjson::SUCCESS ||
      array.count_elements().get(count) != simdjson::SUCCESS) {
    return invalid_json();
  }
  out->statements.reserve(count);
  for (auto element_result : array) {
    od::value element;
    od::json_type element_type;
    if (element_result.get(element) != simdjson::SUCCESS ||
        element.type().get(element_type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    Statement& stmt = out->statements.emplace_back();
    if (element_type == od::json_type::string) {
      std::string_view sql;
      if (element.get_string().get(sql) != simdjson::SUCCESS) {
        return invalid_json();
      }
      stmt.sql.assign(sql);
    } else if (element_type == od::json_type::array) {
      UQ_RETURN_IF_ERROR(parse_statement_array(element, &stmt));
    } else {
      return shape_error(body_, "invalid request");
    }
  }
  if (out->statements.empty() && !allow_empty) {
    return error(Code::kInvalidArgument, "no statements");
  }
  return Status::ok();
}

Status BodyParser::parse_statement_array(od::value element, Statement* out) {
  od::array array;
  if (element.get_array().get(array) != simdjson::SUCCESS) {
    return invalid_json();
  }
  bool first = true;
  for (auto item_result : array) {
    od::value item;
    od::json_type type;
    if (item_result.get(item) != simdjson::SUCCESS || item.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (first) {
      first = false;
      std::string_view sql;
      if (type != od::json_type::string) {
        return shape_error(body_, "invalid request");
      }
      if (item.get_string().get(sql) != simdjson::SUCCESS) {
        return invalid_json();
      }
      out->sql.assign(sql);
      continue;
    }
    if (type == od::json_type::object) {
      UQ_RETURN_IF_ERROR(parse_named(item, &out->params));
      continue;
    }
    if (out->params.empty()) {
      out->params.reserve(4);
    }
    Param& param = out->params.emplace_back();
    UQ_RETURN_IF_ERROR(parse_scalar_or_blob(item, type, &param.value));
  }
  if (first) {
    return shape_error(body_, "invalid request");  // [[]]
  }
  return Status::ok();
}

Status BodyParser::parse_named(od::value v, std::vector<Param>* out) {
  od::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) {
    return invalid_json();
  }
  for (auto field : object) {
    std::string_view key;
    od::value value;
    od::json_type type;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().get(value) != simdjson::SUCCESS ||
        value.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (type == od::json_type::object) {
      return shape_error(body_, "unsupported type object");
    }
    Param& param = out->emplace_back();
    param.name.assign(key);
    UQ_RETURN_IF_ERROR(parse_scalar_or_blob(value, type, &param.value));
  }
  return Status::ok();
}

Status BodyParser::parse_scalar_or_blob(od::value v, od::json_type t, Value* out) {
  switch (t) {
    case od::json_type::number:
      return parse_number(v, out);
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        return invalid_json();
      }
      if (parse_hex_blob(s, &out->bytes)) {
        out->type = Value::Type::kBlob;
      } else {
        out->type = Value::Type::kText;
        out->bytes.assign(s);
      }
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
      return shape_error(body_, std::string("unsupported type ") + json_type_name(t));
  }
}

Status BodyParser::parse_number(od::value v, Value* out) {
  std::string_view token = v.raw_json_token();
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  if (!parse_json_number(token, out)) {
    return invalid_json();
  }
  return Status::ok();
}

Status BodyParser::parse_byte_array(od::value v, Value* out) {
  od::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) {
    return invalid_json();
  }
  out->type = Value::Type::kBlob;
  out->bytes.clear();
  for (auto item_result : array) {
    od::value item;
    od::json_type type;
    if (item_result.get(item) != simdjson::SUCCESS || item.type().get(type) != simdjson::SUCCESS) {
      return invalid_json();
    }
    if (type != od::json_type::number) {
      return shape_error(body_, "unsupported type array");
    }
    Value number;
    UQ_RETURN_IF_ERROR(parse_number(item, &number));
    if (number.type != Value::Type::kInteger || number.i < 0 || number.i > 255) {
      return shape_error(body_, "unsupported type array");
    }
    out->bytes.push_back(static_cast<char>(number.i));
  }
  return Status::ok();
}

Result<Request> parse_padded(std::string_view body, size_t capacity, bool allow_empty) {
  thread_local od::parser parser;
  od::document doc;
  if (parser.iterate(body.data(), body.size(), capacity).get(doc) != simdjson::SUCCESS) {
    return invalid_json();
  }
  Request request;
  BodyParser body_parser(body);
  Status status = body_parser.parse_document(doc, allow_empty, &request);
  if (!status.is_ok()) {
    return status;
  }
  return request;
}

}  // namespace

bool parse_hex_blob(std::string_view s, std::string* out) {
  // Fast reject: the form starts with x/X after optional whitespace.
  if (s.size() < 3 || (s[0] != 'x' && s[0] != 'X' && s[0] != ' ' && s[0] != '\t' && s[0] != '\n' &&
                       s[0] != '\r' && s[0] != '\v' && s[0] != '\f')) {
    return false;
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
    return false;
  }
  std::string_view hex = s.substr(2, s.size() - 3);
  if (hex.size() % 2 != 0) {
    return false;
  }
  for (char c : hex) {
    if (hex_digit_value(c) < 0) {
      return false;
    }
  }
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    out->push_back(static_cast<char>(hex_digit_value(hex[i]) * 16 + hex_digit_value(hex[i + 1])));
  }
  return true;
}

Result<Request> parse_request(std::string_view body, bool allow_empty) {
  Result<Request> result =
      parse_padded(body, body.size() + simdjson::SIMDJSON_PADDING, allow_empty);
  if (result.is_ok() || result.status().message() != "invalid JSON body") {
    return result;
  }
  // simdjson indexes the whole buffer up front, so garbage after the top-level array (which rqlite
  // never reads) can fail the parse: retry on the top-level value alone. The bytes after it stay
  // readable, so the padding requirement still holds.
  size_t end = find_top_level_end(body);
  if (end == std::string_view::npos || end == body.size()) {
    return result;
  }
  return parse_padded(body.substr(0, end), body.size() + simdjson::SIMDJSON_PADDING, allow_empty);
}

Request request_from_sql(std::string_view sql) {
  Request request;
  request.statements.emplace_back().sql.assign(sql);
  return request;
}

}  // namespace uq::sql
