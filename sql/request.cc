#include "sql/request.h"

#include "core/hex.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
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

void set_null(Value* v) {
  v->type = Value::Type::kNull;
  v->i = 0;
  v->d = 0;
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

// A single pass over the bytes for the shape nearly every body has: strictly valid JSON, an array
// of SQL strings and [sql, params...] arrays whose parameters are numbers, strings (escapes other
// than \u), booleans, nulls and objects of those. It accepts a subset of what the simdjson parser
// accepts and builds the identical Request for it; on anything else (any error, \u escapes,
// byte-array blobs, `[]`, bytes after the top-level array, ...) it returns false without deciding
// anything, and parse_request() runs the simdjson parser, which owns every error message. It
// skips simdjson's structural index, its per-value type dispatch and its unescaping copy of each
// string. Reads stay below `end` except string scans, which may load up to 15 bytes past it (the
// padding request.h requires).
class FastParser {
 public:
  explicit FastParser(std::string_view body) : p_(body.data()), end_(body.data() + body.size()) {}

  bool parse(Request* out);

 private:
  bool statement(Statement* out);
  bool named(std::vector<Param>* out);
  bool value(Value* out);
  // At an opening quote: the string's bytes, unescaped into `*scratch` if it has escapes.
  bool string(std::string_view* out, std::string* scratch);
  bool string_into(std::string* out);
  bool number(Value* out);
  bool literal(std::string_view word);
  // Sets non_ascii_ when a byte >= 0x80 comes before the returned position.
  const char* next_special(const char* q);

  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  void skip_whitespace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }
  // After a container's element: true at ',' (consumed), false at the closer (not consumed);
  // *ok = false for anything else.
  bool comma_or_close(char closer, bool* ok) {
    skip_whitespace();
    char c = peek();
    if (c == ',') {
      ++p_;
      skip_whitespace();
      return true;
    }
    *ok = c == closer;
    return false;
  }

  const char* p_;
  const char* end_;
  std::string unescaped_;
  bool non_ascii_ = false;
};

bool FastParser::parse(Request* out) {
  skip_whitespace();
  if (peek() != '[') {
    return false;
  }
  ++p_;
  skip_whitespace();
  if (peek() == ']') {
    return false;  // `[]`: the simdjson path decides between "no statements" and allow_empty
  }
  const char* first = p_;
  if (!statement(&out->statements.emplace_back())) {
    return false;
  }
  // Bulk bodies repeat one statement shape: size the vector from the first statement's length
  // (one allocation instead of a doubling series, each of which makes glibc consolidate its free
  // lists), and give back what a short first statement over-reserved. The guess never reserves
  // more bytes than the body has, so a tiny first statement cannot multiply a large body's memory.
  const auto body_size = static_cast<size_t>(end_ - first);
  out->statements.reserve(
      std::min(body_size / static_cast<size_t>(p_ - first + 1), body_size / sizeof(Statement)));
  bool ok = true;
  while (comma_or_close(']', &ok)) {
    if (!statement(&out->statements.emplace_back())) {
      return false;
    }
  }
  if (!ok) {
    return false;
  }
  if (out->statements.capacity() > 2 * out->statements.size() + 16) {
    out->statements.shrink_to_fit();
  }
  ++p_;
  skip_whitespace();
  return p_ == end_;
}

bool FastParser::statement(Statement* out) {
  if (peek() == '"') {
    return string_into(&out->sql);
  }
  if (peek() != '[') {
    return false;
  }
  ++p_;
  skip_whitespace();
  if (peek() != '"' || !string_into(&out->sql)) {
    return false;
  }
  bool ok = true;
  while (comma_or_close(']', &ok)) {
    if (peek() == '{') {
      if (!named(&out->params)) {
        return false;
      }
      continue;
    }
    if (out->params.empty()) {
      out->params.reserve(4);
    }
    if (!value(&out->params.emplace_back(Param{}).value)) {
      return false;
    }
  }
  if (!ok) {
    return false;
  }
  ++p_;
  return true;
}

bool FastParser::named(std::vector<Param>* out) {
  ++p_;  // '{'
  skip_whitespace();
  if (peek() == '}') {
    ++p_;
    return true;
  }
  bool ok = true;
  do {
    if (peek() != '"') {
      return false;
    }
    Param& param = out->emplace_back(Param{});
    if (!string_into(&param.name)) {
      return false;
    }
    skip_whitespace();
    if (peek() != ':') {
      return false;
    }
    ++p_;
    skip_whitespace();
    if (!value(&param.value)) {
      return false;
    }
  } while (comma_or_close('}', &ok));
  if (!ok) {
    return false;
  }
  ++p_;
  return true;
}

bool FastParser::value(Value* out) {
  switch (peek()) {
    case '"': {
      std::string_view s;
      if (!string(&s, &unescaped_)) {
        return false;
      }
      if (parse_hex_blob(s, &out->bytes)) {
        out->type = Value::Type::kBlob;
      } else {
        out->type = Value::Type::kText;
        out->bytes = std::string(s);
      }
      return true;
    }
    case 't':
      set_integer(out, 1);
      return literal("true");
    case 'f':
      set_integer(out, 0);
      return literal("false");
    case 'n':
      set_null(out);
      return literal("null");
    default:
      return number(out);
  }
}

bool FastParser::literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() ||
      std::memcmp(p_, word.data(), word.size()) != 0) {
    return false;
  }
  p_ += word.size();
  return true;
}

bool FastParser::number(Value* out) {
  const char* start = p_;
  // Integers of up to 18 digits (no leading zero), the usual parameter, without a second pass.
  const char* q = p_ + (peek() == '-' ? 1 : 0);
  const char* digits = q;
  int64_t v = 0;
  while (q < end_ && q - digits < 18 && *q >= '0' && *q <= '9') {
    v = v * 10 + (*q - '0');
    ++q;
  }
  if (q != digits && (q - digits == 1 || *digits != '0') &&
      (q == end_ || (*q != '.' && *q != 'e' && *q != 'E' && (*q < '0' || *q > '9')))) {
    set_integer(out, *start == '-' ? -v : v);
    p_ = q;
    return true;
  }
  // d.ddd with at most 15 digits in all and no exponent: the short-decimal rule of
  // parse_short_decimal() (one exact division) without scanning the token twice.
  if (q < end_ && *q == '.' && q != digits && (q - digits == 1 || *digits != '0')) {
    const char* fraction = q + 1;
    const char* f = fraction;
    auto mantissa = static_cast<uint64_t>(v);
    for (auto count = q - digits; f < end_ && count < 15 && *f >= '0' && *f <= '9'; ++count) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(*f - '0');
      ++f;
    }
    if (f != fraction && (f == end_ || (*f != 'e' && *f != 'E' && (*f < '0' || *f > '9')))) {
      double d = static_cast<double>(mantissa) / kExactPowersOfTen[f - fraction];
      set_real(out, *start == '-' ? -d : d);
      p_ = f;
      return true;
    }
  }
  while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '-' || *p_ == '+' || *p_ == '.' ||
                       *p_ == 'e' || *p_ == 'E')) {
    ++p_;
  }
  return p_ != start &&
         parse_json_number(std::string_view(start, static_cast<size_t>(p_ - start)), out);
}

// The first byte at or after `q` that ends a plain run inside a string: '"', '\\' or a control
// byte (which JSON forbids unescaped). May return a position at or past end_.
const char* FastParser::next_special(const char* q) {
#if defined(__SSE2__)
  const __m128i kQuote = _mm_set1_epi8('"');
  const __m128i kBackslash = _mm_set1_epi8('\\');
  const __m128i kControlMax = _mm_set1_epi8(0x1F);
  for (; q < end_; q += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    __m128i control = _mm_cmpeq_epi8(_mm_subs_epu8(v, kControlMax), _mm_setzero_si128());
    __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, kQuote), _mm_cmpeq_epi8(v, kBackslash)), control);
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (mask != 0) {
      unsigned before = (mask & (0u - mask)) - 1;  // bits below the first special byte
      non_ascii_ |= (high & before) != 0;
      return q + __builtin_ctz(mask);
    }
    non_ascii_ |= high != 0;
  }
  return q;
#else
  while (q < end_ && *q != '"' && *q != '\\' && static_cast<unsigned char>(*q) >= 0x20) {
    non_ascii_ |= static_cast<unsigned char>(*q) >= 0x80;
    ++q;
  }
  return q;
#endif
}

bool FastParser::string(std::string_view* out, std::string* scratch) {
  const char* start = ++p_;  // past the opening quote
  non_ascii_ = false;
  const char* q = next_special(start);
  if (q < end_ && *q == '"') {
    *out = std::string_view(start, static_cast<size_t>(q - start));
  } else {
    if (q >= end_ || *q != '\\') {
      return false;  // unterminated, or a control byte
    }
    scratch->assign(start, static_cast<size_t>(q - start));
    while (q < end_ && *q == '\\') {
      if (q + 1 >= end_) {
        return false;
      }
      char c = 0;
      switch (q[1]) {
        case '"':
        case '\\':
        case '/':
          c = q[1];
          break;
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        default:
          return false;  // \u (surrogates and all) and invalid escapes: simdjson decides
      }
      scratch->push_back(c);
      const char* run = q + 2;
      q = next_special(run);
      if (q >= end_) {
        return false;
      }
      scratch->append(run, static_cast<size_t>(q - run));
    }
    if (q >= end_ || *q != '"') {
      return false;
    }
    *out = *scratch;
  }
  p_ = q + 1;
  // simdjson rejects invalid UTF-8 anywhere in the body; outside strings the grammar already
  // refuses every non-ASCII byte.
  return !non_ascii_ || simdjson::validate_utf8(out->data(), out->size());
}

bool FastParser::string_into(std::string* out) {
  std::string_view s;
  if (!string(&s, &unescaped_)) {
    return false;
  }
  *out = std::string(s);  // construct-and-move: cheaper than assign() into an empty string
  return true;
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
  Request request;
  if (FastParser(body).parse(&request)) {
    return request;
  }
  return parse_request_reference(body, allow_empty);
}

Result<Request> parse_request_reference(std::string_view body, bool allow_empty) {
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
