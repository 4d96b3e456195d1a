// Request parsing (§3.1, §3.2), the Raft-log codec and the disallowed-PRAGMA check (§3.10).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sql/command.h"
#include "sql/request.h"
#include "sql/sql_text.h"

namespace uq::sql {
namespace {

Result<Request> parse(std::string_view body, bool allow_empty = false) {
  std::string padded(body);
  padded.append(64, '\0');
  return parse_request(std::string_view(padded.data(), body.size()), allow_empty);
}

std::string parse_error(std::string_view body) {
  auto r = parse(body);
  if (r.is_ok()) {
    return "<ok>";
  }
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(ParseRequest, ErrorTableMatchesRqliteMessages) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"", "invalid JSON body"},
      {"   ", "invalid JSON body"},
      {"[\"SELECT 1\"", "invalid JSON body"},
      {"[\"SELECT 1\", ", "invalid JSON body"},
      {"[[\"SELECT ?\", 1]", "invalid JSON body"},
      {"[[\"SELECT ?\", 1", "invalid JSON body"},
      {"not json", "invalid JSON body"},
      {"[\"a\" \"b\"]", "invalid JSON body"},
      {"{}", "invalid request"},
      {"\"SELECT 1\"", "invalid request"},
      {"5", "invalid request"},
      {"[5]", "invalid request"},
      {"[null]", "invalid request"},
      {"[{\"a\":1}]", "invalid request"},
      {"[[]]", "invalid request"},
      {"[[1]]", "invalid request"},
      {"[[1,\"x\",2]]", "invalid request"},
      {"[]", "no statements"},
      {"  [ ]  ", "no statements"},
      // Shape errors lose to syntax errors anywhere in the value (Go decodes it whole first).
      {"[5, \"a\"", "invalid JSON body"},
      {"[[1], ", "invalid JSON body"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_error(c.body), c.message) << "body: " << c.body;
  }
}

TEST(ParseRequest, UnsupportedParameterTypes) {
  EXPECT_EQ(parse_error(R"j([["SELECT :a", {"a": {"b": 1}}]])j"), "unsupported type object");
  EXPECT_EQ(parse_error(R"j([["SELECT ?", [1, "x"]]])j"), "unsupported type array");
  EXPECT_EQ(parse_error(R"j([["SELECT ?", [256]]])j"), "unsupported type array");
  EXPECT_EQ(parse_error(R"j([["SELECT ?", [-1]]])j"), "unsupported type array");
  EXPECT_EQ(parse_error(R"j([["SELECT ?", [1.5]]])j"), "unsupported type array");
}

TEST(ParseRequest, EmptyArrayAllowedForQueuedWait) {
  auto r = parse("[]", /*allow_empty=*/true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->statements().empty());
}

TEST(ParseRequest, BytesAfterTopLevelArrayAreIgnored) {
  auto r = parse(R"j(["SELECT 1"] trailing "garbage)j");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->statements().size(), 1u);
  EXPECT_EQ(r->statements()[0].sql, "SELECT 1");
}

TEST(ParseRequest, StringsArraysAndMixedForms) {
  auto r = parse(R"j(["CREATE TABLE t (a)", ["INSERT INTO t VALUES(?)", "x"], ["SELECT 1"]])j");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->statements().size(), 3u);
  EXPECT_EQ(r->statements()[0].sql, "CREATE TABLE t (a)");
  EXPECT_TRUE(r->statements()[0].params.empty());
  ASSERT_EQ(r->statements()[1].params.size(), 1u);
  EXPECT_EQ(r->statements()[1].params[0].value, Value::text("x"));
  EXPECT_TRUE(r->statements()[2].params.empty());
}

TEST(ParseRequest, ParameterTypeMapping) {
  auto r = parse(
      R"j([["S", 20, -7, 1.5, 1e3, 2.0, 9223372036854775807, 9223372036854775808, -9223372036854775809,
           "fiona", "x'4142'", " X'00ff' ", "x''", "x'4'", "x'zz'", true, false, null, [1, 2, 255], [],
           "a\"b\\c\u00e9"]])j");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& p = r->statements()[0].params;
  ASSERT_EQ(p.size(), 20u);
  EXPECT_EQ(p[0].value, Value::integer(20));
  EXPECT_EQ(p[1].value, Value::integer(-7));
  EXPECT_EQ(p[2].value, Value::real(1.5));
  EXPECT_EQ(p[3].value, Value::real(1000));
  EXPECT_EQ(p[4].value, Value::real(2.0));
  EXPECT_EQ(p[5].value, Value::integer(INT64_MAX));
  EXPECT_EQ(p[6].value, Value::real(9223372036854775808.0));
  EXPECT_EQ(p[7].value, Value::real(-9223372036854775809.0));
  EXPECT_EQ(p[8].value, Value::text("fiona"));
  EXPECT_EQ(p[9].value, Value::blob("AB"));
  EXPECT_EQ(p[10].value, Value::blob(std::string("\x00\xff", 2)));
  EXPECT_EQ(p[11].value, Value::blob(""));
  EXPECT_EQ(p[12].value, Value::text("x'4'"));
  EXPECT_EQ(p[13].value, Value::text("x'zz'"));
  EXPECT_EQ(p[14].value, Value::integer(1));
  EXPECT_EQ(p[15].value, Value::integer(0));
  EXPECT_EQ(p[16].value, Value::null());
  EXPECT_EQ(p[17].value, Value::blob("\x01\x02\xff"));
  EXPECT_EQ(p[18].value, Value::blob(""));
  EXPECT_EQ(p[19].value, Value::text("a\"b\\c\xc3\xa9"));
  for (const Param& param : p) {
    EXPECT_TRUE(param.name.empty());
  }
}

TEST(ParseRequest, NamedAndPositionalMix) {
  auto r =
      parse(R"j([["INSERT INTO foo VALUES(:name, ?, @age)", {"name": "fiona", "age": 20}, 7]])j");
  ASSERT_TRUE(r.is_ok());
  const auto& p = r->statements()[0].params;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "name");
  EXPECT_EQ(p[0].value, Value::text("fiona"));
  EXPECT_EQ(p[1].name, "age");
  EXPECT_EQ(p[1].value, Value::integer(20));
  EXPECT_EQ(p[2].name, "");
  EXPECT_EQ(p[2].value, Value::integer(7));
}

TEST(ParseRequest, EscapedStringsKeysAndHexBlobsComeOutUnescaped) {
  auto r = parse(
      R"j([["SELECT \"a\\nb\" AS \u0078, :k\u0065y", {"k\u0065y": "t\tab", "x": "x\u002741\u0027"},
           "  x'6869'  ", "\u0000"]])j");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Statement& s = r->statements()[0];
  EXPECT_EQ(s.sql, "SELECT \"a\\nb\" AS x, :key");
  ASSERT_EQ(s.params.size(), 4u);
  EXPECT_EQ(s.params[0].name, "key");
  EXPECT_EQ(s.params[0].value, Value::text("t\tab"));
  EXPECT_EQ(s.params[1].name, "x");
  EXPECT_EQ(s.params[1].value, Value::blob("A"));
  EXPECT_EQ(s.params[2].value, Value::blob("hi"));
  EXPECT_EQ(s.params[3].value, Value::text(std::string_view("\0", 1)));
}

TEST(ParseRequest, RawControlCharactersInStringsAreInvalidJson) {
  // Go rejects them; simdjson's first stage does too, before any string is looked at.
  EXPECT_EQ(parse_error("[\"SELECT\x01 1\"]"), "invalid JSON body");
  EXPECT_EQ(parse_error("[[\"SELECT ?\", \"a\nb\"]]"), "invalid JSON body");
  EXPECT_EQ(parse_error("[[\"SELECT :a\", {\"a\x1f\": 1}]]"), "invalid JSON body");
}

// The request keeps its own copy of the body: the buffer it came from may be reused at once.
TEST(ParseRequest, OutlivesTheBodyItWasParsedFrom) {
  std::string body =
      R"j([["INSERT INTO t VALUES(?, :n)", "some text", {"n": "x'00ff'"}], "SELECT \"q\""])j";
  body.append(64, '\0');
  auto r = parse_request(std::string_view(body.data(), body.size() - 64));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  std::fill(body.begin(), body.end(), 'Z');
  body = std::string(body.size() * 4, 'Y');  // likely reuses or frees the old buffer
  Request expected;
  expected.add("INSERT INTO t VALUES(?, :n)",
               {{"", Value::text("some text")}, {"n", Value::blob(std::string_view("\0\xff", 2))}});
  expected.add("SELECT \"q\"");
  EXPECT_EQ(*r, expected);
}

// Statements with many parameters cross the request's parameter blocks (8, 16 ... 1024): every
// statement still sees exactly its own, including one bigger than any block.
TEST(ParseRequest, ParametersAcrossBlocksStayWithTheirStatements) {
  std::string body = "[";
  std::vector<int> counts;
  for (int i = 0; i < 700; ++i) {
    counts.push_back(i % 7 == 3 ? 0 : 1 + i % 5);
  }
  counts[350] = 2500;
  for (size_t i = 0; i < counts.size(); ++i) {
    body += (i > 0 ? ",[" : "[") + std::string("\"S") + std::to_string(i) + "\"";
    for (int k = 0; k < counts[i]; ++k) {
      body += "," + std::to_string(i * 10000 + static_cast<size_t>(k));
    }
    body += "]";
  }
  body += "]";
  auto r = parse(body);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->statements().size(), counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const Statement& s = r->statements()[i];
    ASSERT_EQ(s.sql, "S" + std::to_string(i));
    ASSERT_EQ(s.params.size(), static_cast<size_t>(counts[i])) << i;
    for (int k = 0; k < counts[i]; ++k) {
      ASSERT_EQ(s.params[k].value, Value::integer(static_cast<int64_t>(i * 10000 + k))) << i;
    }
  }
  // A copy holds the same statements in storage of its own; so does one assigned over another.
  auto copy = std::make_unique<Request>(*r);
  Request assigned = request_from_sql("SELECT 1");
  assigned = *copy;
  r = Result<Request>(Request());
  EXPECT_EQ(*copy, assigned);
  ASSERT_EQ(copy->statements().size(), counts.size());
  EXPECT_EQ(copy->statements()[350].params[2499].value, Value::integer(3502499));
  copy.reset();
  EXPECT_EQ(assigned.statements()[699].sql, "S699");
  EXPECT_EQ(assigned.statements()[699].params.size(), 5u);
}

// SQLite parses a text in place only when a NUL follows it (Connection::prepare reads that byte).
TEST(Request, EveryStatementTextIsFollowedByANul) {
  auto nul_after = [](const Request& r) {
    for (const Statement& s : r.statements()) {
      if (s.sql.data()[s.sql.size()] != '\0') {
        return false;
      }
    }
    return true;
  };
  auto parsed = parse(R"j(["SELECT 1", ["SELECT \"2\"", 1], "", ["SELECT ?", "x"]])j");
  ASSERT_TRUE(parsed.is_ok());
  EXPECT_TRUE(nul_after(*parsed));
  auto decoded = decode_request(encode_request(*parsed));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_TRUE(nul_after(*decoded));
  Request built = request_from_sql("SELECT 3");
  built.add("", {{"", Value::integer(1)}});
  built.append(*parsed);
  built.set_sql(0, "SELECT 4");
  built.add(std::string_view(), {{std::string_view(), Value::blob(std::string_view())}});
  built.set_sql(1, std::string_view());
  EXPECT_TRUE(nul_after(built));
  EXPECT_TRUE(nul_after(Request(built)));
}

TEST(Request, AppendAndSetSqlCopyWhatTheyAreGiven) {
  Request a;
  {
    std::string sql = "INSERT INTO t VALUES(?)";
    std::string text = "hello";
    a.add(sql, {{"", Value::text(text)}});
    sql.assign(sql.size(), '!');
    text.assign(text.size(), '!');
  }
  Request b = request_from_sql("SELECT 1");
  b.append(a);
  b.append(b);
  {
    std::string rewritten = "SELECT 2";
    b.set_sql(0, rewritten);
    rewritten.assign(rewritten.size(), '!');
  }
  a = Request();
  ASSERT_EQ(b.statements().size(), 4u);
  EXPECT_EQ(b.statements()[0].sql, "SELECT 2");
  EXPECT_EQ(b.statements()[1].sql, "INSERT INTO t VALUES(?)");
  EXPECT_EQ(b.statements()[1].params[0].value, Value::text("hello"));
  EXPECT_EQ(b.statements()[2].sql, "SELECT 1");
  EXPECT_EQ(b.statements()[3].params[0].value, Value::text("hello"));
  auto moved = std::make_unique<Request>(std::move(b));
  EXPECT_EQ(moved->statements()[3].params[0].value, Value::text("hello"));
  // The moved-from request is empty and takes new statements into storage of its own, not into
  // the blocks that left with the move (freed here before it is read).
  EXPECT_TRUE(b.statements().empty());  // NOLINT(bugprone-use-after-move)
  b.add("SELECT ?", {{"", Value::text("other")}});
  b.add("SELECT ?", {{"", Value::integer(7)}});
  moved.reset();
  std::vector<std::string> reuse(64, std::string(500, 'x'));
  Request assigned;
  assigned = std::move(b);
  EXPECT_TRUE(b.statements().empty());  // NOLINT(bugprone-use-after-move)
  b.add("SELECT ?", {{"", Value::text("third")}});
  EXPECT_EQ(assigned.statements()[0].params[0].value, Value::text("other"));
  EXPECT_EQ(assigned.statements()[1].params[0].value, Value::integer(7));
  EXPECT_EQ(b.statements()[0].params[0].value, Value::text("third"));
}

TEST(RequestCodec, RoundTripsEveryValueType) {
  Request req;
  req.add("INSERT INTO t VALUES(?, ?, ?, ?, ?, :n)",
          {{"", Value::null()},
           {"", Value::integer(INT64_MIN)},
           {"", Value::real(-0.5)},
           {"", Value::text(std::string_view("a\0b", 3))},
           {"", Value::blob("\xff")},
           {"n", Value::integer(INT64_MAX)}});
  req.add("");
  std::string bytes = encode_request(req);
  auto back = decode_request(bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  // The decoded request views a copy of the encoding, not the encoding itself.
  bytes.assign(bytes.size(), '\xee');
  EXPECT_EQ(*back, req);
}

TEST(RequestCodec, RejectsEveryTruncationAndTrailingByte) {
  Request req;
  req.add("SELECT 1", {{"x", Value::text("hello")}});
  std::string bytes = encode_request(req);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_request(bytes.substr(0, n));
    EXPECT_FALSE(r.is_ok()) << "prefix " << n;
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorruption);
    }
  }
  EXPECT_FALSE(decode_request(bytes + "x").is_ok());
  std::string bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_request(bad_version).is_ok());
}

TEST(CommandCodec, RoundTripsEveryFieldAndRejectsDamage) {
  Command command;
  command.kind = Kind::kRequest;
  command.transaction = true;
  command.rollback_on_error = true;
  command.db_timeout_ns = 1500000000;
  command.request.add("INSERT INTO t VALUES(1)", {{"", Value::real(-2.5)}});
  std::string bytes = encode_command(command);
  auto back = decode_command(bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, command);
  ExecOptions options = replica_options(*back);
  EXPECT_TRUE(options.transaction);
  EXPECT_TRUE(options.rollback_on_error);
  EXPECT_EQ(options.db_timeout, std::chrono::nanoseconds(1500000000));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_command(bytes.substr(0, n)).is_ok()) << "prefix " << n;
  }
  std::string bad = bytes;
  bad[1] = 3;  // no such kind
  EXPECT_FALSE(decode_command(bad).is_ok());
  bad = bytes;
  bad[2] = 4;  // unknown flag
  EXPECT_FALSE(decode_command(bad).is_ok());
  EXPECT_FALSE(decode_command(bytes + "x").is_ok());
}

TEST(CommandCodec, CarriesALoadImage) {
  Command command;
  command.load_image = std::string("SQLite format 3\0", 16) + std::string(1000, '\x01');
  auto back = decode_command(encode_command(command));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, command);
  EXPECT_TRUE(back->request.statements().empty());
}

TEST(SqlText, NeedsAutocommitFindsLeadingKeywordsOfEveryStatement) {
  EXPECT_FALSE(needs_autocommit("INSERT INTO t VALUES(1)j"));
  EXPECT_FALSE(needs_autocommit("SELECT 'BEGIN;VACUUM'; INSERT INTO t VALUES(';commit')j"));
  EXPECT_TRUE(needs_autocommit("VACUUM"));
  EXPECT_TRUE(needs_autocommit("  -- c\n begin"));
  EXPECT_TRUE(needs_autocommit("INSERT INTO t VALUES(1); /* x */ COMMIT"));
  EXPECT_TRUE(needs_autocommit("ATTACH 'x' AS y"));
  EXPECT_TRUE(needs_autocommit("pragma foreign_keys=on"));
  EXPECT_FALSE(needs_autocommit("SELECT [begin]; SELECT \"end\""));
  EXPECT_TRUE(only_trivia(" ; -- x\n /* y */ ;"));
  EXPECT_FALSE(only_trivia(" ; x"));
}

}  // namespace
}  // namespace uq::sql
