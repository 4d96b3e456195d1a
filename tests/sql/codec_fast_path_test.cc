// The codec fast paths against their references: parse_request() (a single-pass parser for the
// common shape, falling back to simdjson) against parse_request_reference() (simdjson alone), and
// the short-decimal path against std::from_chars.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "sql/request.h"

namespace uq::sql {
namespace {

std::string padded(std::string_view body) {
  std::string p(body);
  p.append(64, '\0');
  return p;
}

// Status and every field, doubles bit for bit (Value::operator== says -0.0 == 0.0).
std::string describe(const Result<Request>& r) {
  if (!r.is_ok()) {
    return "error: " + r.status().message();
  }
  std::string out;
  for (const Statement& s : r->statements) {
    out += "sql[" + s.sql + "]";
    for (const Param& p : s.params) {
      out += " (" + p.name + " " + std::to_string(static_cast<int>(p.value.type)) + " " +
             std::to_string(p.value.i) + " " + std::to_string(std::bit_cast<uint64_t>(p.value.d)) +
             " [" + p.value.bytes + "])";
    }
    out += "\n";
  }
  return out;
}

void expect_same_as_reference(std::string_view body) {
  std::string buf = padded(body);
  std::string_view view(buf.data(), body.size());
  for (bool allow_empty : {false, true}) {
    EXPECT_EQ(describe(parse_request(view, allow_empty)),
              describe(parse_request_reference(view, allow_empty)))
        << "body: " << body;
  }
}

TEST(ParseRequestFastPath, MatchesReferenceOnTable) {
  const char* bodies[] = {
      R"j(["SELECT 1"])j",
      R"j(  [ "SELECT 1" , "SELECT 2" ]  )j",
      "[\"a\"]\n",
      R"j([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20]])j",
      R"j([["INSERT INTO foo(name) VALUES(:name)", {"name": "fiona", "age": 20}]])j",
      R"j([["x", {}], ["y", {"a":1}, 2, {"b":null}]])j",
      R"j([["x", true, false, null, 1.5, -0.0, -0, 0, 1e2, 1E-2, 2.5e+3]])j",
      R"j([["x", 9223372036854775807, -9223372036854775808, 9223372036854775808]])j",
      R"j([["x", -9223372036854775809, 123456789012345678, 1234567890123456789]])j",
      R"j([["x", 0.1, 0.30000000000000004, 1.7976931348623157e308, 5e-324, 4.9e-324]])j",
      R"j([["x", 1e22, 1e23, 123456789012345.6, 1234567890123456.7, 1e-22, 1e-23]])j",
      R"j([["x", 01], ["y"]])j",
      R"j([["x", 1.], ["y"]])j",
      R"j([["x", .5]])j",
      R"j([["x", -], ["y"]])j",
      R"j([["x", 1e400]])j",
      R"j([["x", "x'00ff'"], ["y", " X'AB' "], ["z", "x'0'"]])j",
      R"j([["x", [1, 2, 255]]])j",
      R"j([["x", [1, "a"]]])j",
      R"j(["a\"b\\c\/d\be\ff\ng\rh\ti"])j",
      R"j(["\u0041\u00e9\ud83d\ude00"])j",
      R"j(["\ud800"])j",
      R"j(["bad \x escape"])j",
      "[\"caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"]",
      "[\"bad \xff utf8\"]",
      "[\"truncated \xe2\x80\"]",
      "[\"overlong \xc0\xaf\"]",
      "[\"control \x01 char\"]",
      "[\"tab \t raw\"]",
      "[\"\x7f del\"]",
      R"j([["x", 1,]])j",
      R"j(["x",])j",
      R"j([,"x"])j",
      R"j([["x" 1]])j",
      R"j([["x", {"a" 1}]])j",
      R"j([["x", {"a": {"b": 1}}]])j",
      R"j([["x", {"a": [1]}]])j",
      R"j([["x", {1: 2}]])j",
      R"j([["x", tru]])j",
      R"j([["x", nul]])j",
      R"j([["x", truex]])j",
      R"j(["x"] trailing "garbage)j",
      R"j(["x"] ["y"])j",
      R"j(["x"]])j",
      R"j([[]])j",
      R"j([[1]])j",
      R"j([5])j",
      R"j([null])j",
      R"j([])j",
      R"j( [ ] )j",
      R"j({})j",
      R"j("x")j",
      "",
      "[",
      "[\"",
      "[\"x",
      "[\"x\"",
      "[\"x\",",
      "[[\"x\", 1",
      "[[\"x\", \"y",
      "[\"x\\",
      "\xef\xbb\xbf[\"bom\"]",
  };
  for (const char* body : bodies) {
    expect_same_as_reference(body);
  }
}

// Strings of every length around the 16-byte scan block, with a special byte at every position.
TEST(ParseRequestFastPath, StringsAtEveryLengthAndSpecialPosition) {
  const char* specials[] = {"\\\"",     "\\\\",         "\\n",  "\\u00e9", "\x01", "\x1f",
                            "\xc3\xa9", "\xe2\x80\xa8", "\xff", "<&>",     "\x7f"};
  for (size_t len = 0; len <= 70; ++len) {
    std::string plain(len, 'a');
    expect_same_as_reference("[\"" + plain + "\"]");
    expect_same_as_reference("[[\"" + plain + "\", \"" + plain + "\"]]");
    for (const char* special : specials) {
      for (size_t pos = 0; pos <= len; pos += (len > 40 ? 7 : 1)) {
        std::string s = plain.substr(0, pos) + special + plain.substr(pos);
        expect_same_as_reference("[\"" + s + "\"]");
        expect_same_as_reference("[[\"SELECT ?\", \"" + s + "\"]]");
      }
    }
  }
}

// Random bodies from the request grammar, then damaged copies of them: the fast path must give
// exactly the reference's request or error every time.
TEST(ParseRequestFastPath, MatchesReferenceOnRandomAndDamagedBodies) {
  std::mt19937_64 rng(20261127);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const char* ws[] = {"", " ", "\n", "\t ", "\r\n  "};
  const char* pieces[] = {
      "a", "SELECT ?",        "\\\"", "\\n", "\\u0041", "\xc3\xa9", "\xe2\x80\xa9", "<", "x'00'",
      " ", "0123456789abcdef"};
  auto str = [&] {
    std::string s = "\"";
    for (size_t n = pick(6); n > 0; --n) {
      s += pieces[pick(std::size(pieces))];
    }
    return s + "\"";
  };
  const char* scalars[] = {"0",
                           "-1",
                           "42",
                           "3.25",
                           "-0.0",
                           "1e5",
                           "2.5E-3",
                           "true",
                           "false",
                           "null",
                           "9223372036854775807",
                           "18446744073709551616",
                           "0.1234567890123456789",
                           "[1,2,3]"};
  auto scalar = [&] {
    return pick(3) == 0 ? str() : std::string(scalars[pick(std::size(scalars))]);
  };
  for (int iteration = 0; iteration < 1500; ++iteration) {
    std::string body = std::string(ws[pick(5)]) + "[";
    for (size_t s = 0, n = 1 + pick(4); s < n; ++s) {
      body += s > 0 ? std::string(ws[pick(5)]) + "," + ws[pick(5)] : "";
      if (pick(3) == 0) {
        body += str();
        continue;
      }
      body += "[" + str();
      for (size_t p = 0, m = pick(5); p < m; ++p) {
        body += std::string(ws[pick(5)]) + "," + ws[pick(5)];
        if (pick(4) == 0) {
          body += "{" + str() + ":" + ws[pick(5)] + scalar() + "}";
        } else {
          body += scalar();
        }
      }
      body += "]";
    }
    body += std::string("]") + ws[pick(5)];
    expect_same_as_reference(body);
    std::string damaged = body;
    switch (pick(3)) {
      case 0:
        damaged[pick(damaged.size())] = static_cast<char>(rng());
        break;
      case 1:
        damaged.resize(pick(damaged.size()));
        break;
      default:
        damaged.insert(pick(damaged.size() + 1), 1, "[]{},:\"\\ 0-.e"[pick(14)]);
        break;
    }
    expect_same_as_reference(damaged);
  }
}

double parsed_double(const std::string& token) {
  std::string body = padded("[[\"x\", " + token + "]]");
  auto r = parse_request(std::string_view(body.data(), body.size() - 64));
  EXPECT_TRUE(r.is_ok()) << token;
  if (!r.is_ok() || r->statements[0].params.size() != 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  EXPECT_EQ(r->statements[0].params[0].value.type, Value::Type::kReal) << token;
  return r->statements[0].params[0].value.d;
}

// Short decimals take an exact multiply/divide; it must round exactly as from_chars does.
TEST(ParseRequestFastPath, DecimalsMatchFromCharsBitForBit) {
  std::mt19937_64 rng(7);
  std::vector<std::string> tokens = {"0.0",
                                     "-0.0",
                                     "0.1",
                                     "0.2",
                                     "0.3",
                                     "1.5",
                                     "-2.75",
                                     "123456789012345.0",
                                     "999999999999999.9",
                                     "0.000001",
                                     "1e22",
                                     "1e-22",
                                     "9.999999999999999e22",
                                     "4.35",
                                     "0.07",
                                     "1.23e-20",
                                     "5e+22",
                                     "8.5e-7",
                                     "1234.5678e-3"};
  for (int i = 0; i < 3000; ++i) {
    std::string digits = std::to_string(rng() % 1000000000000000ULL);
    size_t dot = 1 + rng() % digits.size();
    std::string t = digits.substr(0, dot) + "." + (dot < digits.size() ? digits.substr(dot) : "0");
    if (rng() % 2 == 0) {
      t += "e" + std::to_string(static_cast<int>(rng() % 45) - 22);
    }
    tokens.push_back(rng() % 2 == 0 ? t : "-" + t);
  }
  for (const std::string& t : tokens) {
    double expected = 0;
    auto res = std::from_chars(t.data(), t.data() + t.size(), expected);
    ASSERT_EQ(res.ec, std::errc()) << t;
    EXPECT_EQ(std::bit_cast<uint64_t>(parsed_double(t)), std::bit_cast<uint64_t>(expected)) << t;
  }
}

}  // namespace
}  // namespace uq::sql
