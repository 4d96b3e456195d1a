// The codec fast paths against their references: parse_request()'s short-decimal path against
// std::from_chars, and JsonWriter's escaping and number formatting against a byte-at-a-time model
// of Go's encoding/json and exact expected bytes.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "core/json_writer.h"
#include "sql/request.h"

namespace uq::sql {
namespace {

std::string padded(std::string_view body) {
  std::string p(body);
  p.append(64, '\0');
  return p;
}

double parsed_double(const std::string& token) {
  std::string body = padded("[[\"x\", " + token + "]]");
  auto r = parse_request(std::string_view(body.data(), body.size() - 64));
  EXPECT_TRUE(r.is_ok()) << token;
  if (!r.is_ok() || r->statements()[0].params.size() != 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  EXPECT_EQ(r->statements()[0].params[0].value.type, Value::Type::kReal) << token;
  return r->statements()[0].params[0].value.d;
}

// Short decimals take an exact multiply/divide; it must round exactly as from_chars does.
TEST(ParseRequestNumbers, DecimalsMatchFromCharsBitForBit) {
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

// Go's encodeState.string, one byte (or rune) at a time, written from the Go source's rules.
std::string go_string_model(std::string_view s) {
  std::string out = "\"";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char b = p[i];
    if (b < 0x80) {
      if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
        out.push_back(static_cast<char>(b));
      } else if (b == '"' || b == '\\') {
        out += '\\';
        out.push_back(static_cast<char>(b));
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else if (b == '\t') {
        out += "\\t";
      } else if (b == '\b') {
        out += "\\b";
      } else if (b == '\f') {
        out += "\\f";
      } else {
        char esc[7];
        std::snprintf(esc, sizeof(esc), "\\u%04x", b);
        out += esc;
      }
      ++i;
      continue;
    }
    // utf8.DecodeRuneInString: the accepted ranges of RFC 3629.
    size_t len = 0;
    uint32_t rune = 0;
    auto cont = [&](size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
    if (b >= 0xC2 && b <= 0xDF && cont(1)) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF && cont(1) && cont(2)) {
      rune = ((b & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
      len = rune >= 0x800 && (rune < 0xD800 || rune > 0xDFFF) ? 3 : 0;
    } else if (b >= 0xF0 && b <= 0xF4 && cont(1) && cont(2) && cont(3)) {
      rune = ((b & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
             (p[i + 3] & 0x3Fu);
      len = rune >= 0x10000 && rune <= 0x10FFFF ? 4 : 0;
    }
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out + "\"";
}

std::string written(std::string_view s) {
  std::string out;
  core::JsonWriter::append_string(&out, s);
  return out;
}

// Integers of up to 18 digits are gathered in the validating pass; longer ones, and every token
// the JSON grammar refuses, must still come out as from_chars and Go would have them.
TEST(ParseRequestNumbers, IntegersEdgesAndInvalidTokens) {
  auto one = [](const std::string& token) -> Result<Value> {
    std::string body = padded("[[\"x\", " + token + "]]");
    auto r = parse_request(std::string_view(body.data(), body.size() - 64));
    if (!r.is_ok()) {
      return r.status();
    }
    return r->statements()[0].params[0].value;
  };
  struct Case {
    const char* token;
    Value value;
  } cases[] = {
      {"0", Value::integer(0)},
      {"-0", Value::integer(0)},
      {"123456789012345678", Value::integer(123456789012345678)},
      {"-123456789012345678", Value::integer(-123456789012345678)},
      {"1234567890123456789", Value::integer(1234567890123456789)},
      {"9223372036854775807", Value::integer(INT64_MAX)},
      {"-9223372036854775808", Value::integer(INT64_MIN)},
      {"9223372036854775808", Value::real(9223372036854775808.0)},
      {"1E2", Value::real(100)},
      {"1e+2", Value::real(100)},
      {"25e-1", Value::real(2.5)},
      {"1.0e0010", Value::real(1e10)},
      {"0.1e1", Value::real(1)},
      {"1234567890.1234567", Value::real(1234567890.1234567)},
  };
  for (const Case& c : cases) {
    auto v = one(c.token);
    ASSERT_TRUE(v.is_ok()) << c.token;
    EXPECT_EQ(*v, c.value) << c.token;
  }
  for (const char* bad : {"01", "-01", "00", "1.", ".5", "-", "-.5", "1e", "1e+", "1.e5", "+1",
                          "1e400", "-1e400", "0x10", "1_000"}) {
    auto v = one(bad);
    EXPECT_FALSE(v.is_ok()) << bad;
    if (!v.is_ok()) {
      EXPECT_EQ(v.status().message(), "invalid JSON body") << bad;
    }
  }
}

TEST(JsonWriterFastPath, EveryByteAloneAndInsideText) {
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    EXPECT_EQ(written(one), go_string_model(one)) << b;
    std::string inside = "text " + one + " more text after it";
    EXPECT_EQ(written(inside), go_string_model(inside)) << b;
  }
  EXPECT_EQ(written(std::string("\x00\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(written("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
  EXPECT_EQ(written("<&>"), "\"\\u003c\\u0026\\u003e\"");
}

// Random strings of every length from 0 to 300 (the 16-byte scan blocks, the 128-byte stack-buffer
// limit and the long path), from an alphabet heavy in bytes that need escaping.
TEST(JsonWriterFastPath, RandomStringsMatchGoModel) {
  std::mt19937_64 rng(99);
  const std::string alphabet[] = {"a",
                                  "Z",
                                  " ",
                                  "<",
                                  ">",
                                  "&",
                                  "\"",
                                  "\\",
                                  "\n",
                                  "\x01",
                                  "\x7f",
                                  "\xc3\xa9",
                                  "\xe2\x80\xa8",
                                  "\xe2\x80\xa9",
                                  "\xf0\x9f\x98\x80",
                                  "\xff",
                                  "\xc3",
                                  "\xe2\x80",
                                  "\xed\xa0\x80",
                                  "\xc0\xaf",
                                  "\x80"};
  for (size_t len = 0; len <= 300; ++len) {
    for (int round = 0; round < 12; ++round) {
      std::string s;
      while (s.size() < len) {
        s += rng() % 3 == 0 ? alphabet[rng() % std::size(alphabet)]
                            : std::string(1, 'a' + rng() % 26);
      }
      s.resize(len);
      ASSERT_EQ(written(s), go_string_model(s)) << "length " << len;
      std::string with_prefix;
      core::JsonWriter::append_string_after(&with_prefix, ',', s);
      ASSERT_EQ(with_prefix, "," + go_string_model(s));
    }
  }
}

// The formatting before the short-decimal path: std::to_chars' shortest form, Go's layout.
std::string reference_double(double v) {
  char buf[128];
  double a = std::fabs(v);
  bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
  auto res = std::to_chars(buf, buf + sizeof(buf), v,
                           exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  size_t len = static_cast<size_t>(res.ptr - buf);
  if (exp_form && len >= 4 && buf[len - 4] == 'e' && buf[len - 3] == '-' && buf[len - 2] == '0') {
    buf[len - 2] = buf[len - 1];
    --len;
  }
  return std::string(buf, len);
}

std::string written_double(double v) {
  std::string out;
  EXPECT_TRUE(core::JsonWriter::append_double(&out, v));
  return out;
}

TEST(JsonWriterFastPath, DoublesMatchToCharsBitPatternsAndDecimals) {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                0.2,
                                0.1 + 0.2,
                                1e-6,
                                9.99e-7,
                                1.5e-6,
                                1e-7,
                                0.30000000000000004,
                                123456.7,
                                1234567.0000001,
                                9007199254740991.0,
                                9007199254740992.0,
                                9007199254740993.0,
                                900719925474099.1,
                                1e15,
                                1e16,
                                1e20,
                                1e21,
                                1e22,
                                5e-324,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::min(),
                                2.5,
                                1.25,
                                0.125,
                                1e-5,
                                3.14159265358979,
                                2.718281828459045,
                                100.0,
                                0.07,
                                4.35};
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    int k = static_cast<int>(rng() % 9);
    double m = static_cast<double>(rng() % 100000000000ULL);
    values.push_back((rng() % 2 == 0 ? 1 : -1) * m / std::pow(10.0, k));
    values.push_back(std::bit_cast<double>(rng()));
    values.push_back(static_cast<double>(static_cast<int64_t>(rng() % 20000000) - 10000000) * 0.01);
  }
  for (double v : values) {
    if (!std::isfinite(v)) {
      continue;
    }
    ASSERT_EQ(written_double(v), reference_double(v)) << std::bit_cast<uint64_t>(v);
  }
}

TEST(JsonWriterFastPath, SeparatorsIntsAndNestingInCompactForm) {
  std::string out;
  core::JsonWriter w(&out);
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.value_int(std::numeric_limits<int64_t>::min());
  w.value_int(std::numeric_limits<int64_t>::max());
  w.value_uint(std::numeric_limits<uint64_t>::max());
  w.value_int(0);
  w.value_double(-0.0);
  w.value_string("");
  w.value_string("x<");
  w.begin_array();
  w.end_array();
  w.begin_object();
  w.end_object();
  w.value_null();
  w.value_bool(true);
  w.end_array();
  w.key("b<");
  w.value_double(2.5);
  w.end_object();
  EXPECT_EQ(out,
            "{\"a\":[-9223372036854775808,9223372036854775807,18446744073709551615,0,-0,\"\","
            "\"x\\u003c\",[],{},null,true],\"b\\u003c\":2.5}");
}

TEST(JsonWriterFastPath, KeyEncodedWritesWhatKeyWrites) {
  const std::string keys[] = {"id", "", "a<b", "caf\xc3\xa9", std::string(200, 'k')};
  for (bool pretty : {false, true}) {
    std::string by_key;
    std::string by_encoded;
    core::JsonWriter a(&by_key, pretty);
    core::JsonWriter b(&by_encoded, pretty);
    a.begin_object();
    b.begin_object();
    for (const std::string& k : keys) {
      a.key(k);
      a.value_int(1);
      std::string quoted;
      core::JsonWriter::append_string(&quoted, k);
      b.key_encoded(quoted);
      b.value_int(1);
    }
    a.end_object();
    b.end_object();
    EXPECT_EQ(by_encoded, by_key) << "pretty " << pretty;
  }
}

}  // namespace
}  // namespace uq::sql
