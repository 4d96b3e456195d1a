// Table tests for rewrite(), preview() and the pre-filter (spec §7).
#include "sql/rewrite/rewrite.h"

#include <gtest/gtest.h>

#include <ctime>
// GCC 12 at -O1 with ASan reports a false "maybe-uninitialized" inside std::regex's own
// std::function members; the spec's checks are regexes, so keep std::regex and silence that one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <string>

#include "sql/rewrite/tokenizer.h"

namespace uq::sql::rewrite {
namespace {

constexpr uint64_t kRandom = 954556320032354600;  // the spec's example value
constexpr double kNow = 2461077.945987;           // the spec's example Julian day
const std::string kR = "954556320032354600";
const std::string kN = "2461077.945987";
const std::string kBlob16 = "x'28F1A165EA433F0D28F1A165EA433F0D'";  // kRandom's bytes, twice

uint64_t constant_random(void*) {
  return kRandom;
}

uint64_t counting_random(void* ctx) {
  return ++*static_cast<uint64_t*>(ctx);
}

Rewritten run(const std::string& sql, Options options = {}) {
  return rewrite(sql, options, constant_random, nullptr, kNow);
}

struct Case {
  std::string sql;
  std::string expected;  // empty: not changed
};

void expect_cases(const std::vector<Case>& cases, Options options = {}) {
  for (const Case& c : cases) {
    Rewritten got = run(c.sql, options);
    EXPECT_EQ(got.error, "") << c.sql;
    EXPECT_EQ(got.changed, !c.expected.empty()) << c.sql;
    EXPECT_EQ(got.sql, c.expected) << c.sql;
  }
}

TEST(Rewrite, SpecExamplesAreNormalised) {
  expect_cases({
      {"INSERT INTO foo(v) VALUES(RANDOM())", "INSERT INTO \"foo\" (\"v\") VALUES (" + kR + ")"},
      {"INSERT INTO foo(v) VALUES(RANDOMBLOB(16))",
       "INSERT INTO \"foo\" (\"v\") VALUES (" + kBlob16 + ")"},
      {"insert into foo(v) values(random())", "INSERT INTO \"foo\" (\"v\") VALUES (" + kR + ")"},
      {"SELECT datetime('now')", "SELECT datetime(" + kN + ")"},
      {"INSERT INTO foo(ts) VALUES(strftime('%Y-%m-%d', 'now'))",
       "INSERT INTO \"foo\" (\"ts\") VALUES (strftime('%Y-%m-%d', " + kN + "))"},
      {"SELECT timediff('now', '2020-01-01')", "SELECT timediff(" + kN + ", '2020-01-01')"},
      {"SELECT timediff('2020-01-01', 'now')", "SELECT timediff('2020-01-01', " + kN + ")"},
  });
}

TEST(Rewrite, SpecRegexesMatch) {
  auto matches = [](const std::string& sql, const char* pattern) {
    return std::regex_search(run(sql).sql, std::regex(pattern));
  };
  EXPECT_TRUE(matches("INSERT INTO foo(id, v) VALUES(RANDOM())", R"(VALUES \(-?\d+\))"));
  EXPECT_TRUE(
      matches("INSERT INTO foo(v) VALUES(RANDOMBLOB(16))", R"(VALUES \(x'[A-F0-9]{32}'\))"));
  EXPECT_TRUE(matches("INSERT INTO foo(t) VALUES(datetime('now'))", R"(datetime\(\d{7}\.\d+\))"));
  EXPECT_TRUE(
      matches("SELECT strftime('%Y-%m-%d','now')", R"(strftime\('%Y-%m-%d', \d{7}\.\d+\))"));
  EXPECT_TRUE(
      matches("SELECT timediff('now','2020-01-01')", R"(timediff\(\d{7}\.\d+, '2020-01-01'\))"));
}

TEST(Rewrite, EachRandomCallGetsItsOwnValue) {
  uint64_t counter = 0;
  Rewritten got =
      rewrite("SELECT random(), random(), randomblob(9)", {}, counting_random, &counter, kNow);
  EXPECT_EQ(got.sql, "SELECT 1, 2, x'030000000000000004'");
}

TEST(Rewrite, RandomIsNonNegative) {
  Rewritten got = rewrite(
      "SELECT random()", {}, [](void*) { return ~uint64_t{0}; }, nullptr, kNow);
  EXPECT_EQ(got.sql, "SELECT 9223372036854775807");
}

TEST(Rewrite, OrderByTermsKeepRandom) {
  expect_cases({
      {"SELECT * FROM foo ORDER BY RANDOM()", ""},
      {"INSERT INTO t SELECT * FROM s ORDER BY RANDOM()", ""},
      {"INSERT INTO t SELECT random() FROM s ORDER BY RANDOM()",
       "INSERT INTO \"t\" SELECT " + kR + " FROM s ORDER BY RANDOM()"},
      {"SELECT x, row_number() OVER (ORDER BY random()) FROM t", ""},
      {"SELECT group_concat(x ORDER BY random()) , random() FROM t",
       "SELECT group_concat(x ORDER BY random()), " + kR + " FROM t"},
      {"SELECT (SELECT x FROM t ORDER BY random() LIMIT 1), random()",
       "SELECT (SELECT x FROM t ORDER BY random() LIMIT 1), " + kR},
      {"SELECT x FROM t ORDER BY 1, randomblob(4) LIMIT random() % 5",
       "SELECT x FROM t ORDER BY 1, randomblob(4) LIMIT " + kR + " % 5"},
      {"SELECT datetime('now') FROM t ORDER BY date('now')",
       "SELECT datetime(" + kN + ") FROM t ORDER BY date(" + kN + ")"},
  });
}

TEST(Rewrite, NowInAnyQuotingAndCase) {
  expect_cases({
      {"SELECT 'now', datetime('NOW'), date(\"now\"), time(now), julianday('Now')",
       "SELECT 'now', datetime(" + kN + "), date(" + kN + "), time(" + kN + "), julianday(" + kN +
           ")"},
      {"SELECT unixepoch('now', 'subsec')", "SELECT unixepoch(" + kN + ", 'subsec')"},
      {"SELECT date ('now')", "SELECT date(" + kN + ")"},
      {"SELECT datetime(datetime('now'), '+1 day')",
       "SELECT datetime(datetime(" + kN + "), '+1 day')"},
      {"SELECT strftime('now', 'now')", "SELECT strftime('now', " + kN + ")"},
      {"SELECT datetime('now' || '')", "SELECT datetime('now' || '')"},
  });
}

TEST(Rewrite, TimeCallsWithArgumentsCountAsRewrites) {
  // The reference re-serialises any date/time call with arguments, 'now' or not (spec §7.1).
  expect_cases({
      {"select date('2020-01-01')", "SELECT date('2020-01-01')"},
      {"SELECT strftime('%s')", ""},
      {"SELECT datetime()", ""},
      {"SELECT CURRENT_TIMESTAMP, current_date", ""},
  });
}

TEST(Rewrite, NonCallsAndLiteralsAreLeftAlone) {
  expect_cases({
      {"INSERT INTO t(a) VALUES('random()')", ""},
      {"INSERT INTO t(a) VALUES('datetime(''now'')')", ""},
      {"SELECT 1 /* random() */ -- date('now')", ""},
      {"SELECT random(1)", ""},
      {"SELECT randomblob(n) FROM t", ""},
      {"SELECT randomblob(16.0)", ""},
      {"SELECT randomblob(2000000)", ""},
      {"SELECT t.random()", ""},
      {"PRAGMA table_info(date)", ""},
  });
}

TEST(Rewrite, RandomBlobSizes) {
  expect_cases({
      {"SELECT randomblob(0)", "SELECT x'28'"},
      {"SELECT randomblob(-3)", "SELECT x'28'"},
      {"SELECT randomblob(+1)", "SELECT x'28'"},
      {"SELECT randomblob(0x10)", "SELECT " + kBlob16},
  });
}

TEST(Rewrite, CommentsNestingAndStatementForms) {
  expect_cases({
      {"SELECT /* random() */ random() -- random()", "SELECT " + kR},
      {"SELECT abs(random()) % 10", "SELECT abs(" + kR + ") % 10"},
      {"SELECT random();", "SELECT " + kR + ";"},
      {"SELECT \"random\"(), [random]()", "SELECT " + kR + ", " + kR},
      {"EXPLAIN SELECT random()", "EXPLAIN SELECT " + kR},
      {"update t set a = random() where b = 1", "UPDATE \"t\" SET a = " + kR + " WHERE b = 1"},
      {"DELETE FROM main.t WHERE ts < datetime('now', '-1 day')",
       "DELETE FROM \"main\".\"t\" WHERE ts < datetime(" + kN + ", '-1 day')"},
      {"REPLACE INTO [my table](`a`, b) VALUES (random(), 2)",
       "REPLACE INTO \"my table\" (\"a\", \"b\") VALUES (" + kR + ", 2)"},
      {"insert or replace into t values(random())",
       "INSERT OR REPLACE INTO \"t\" VALUES (" + kR + ")"},
      {"INSERT INTO t(a) VALUES(1) ON CONFLICT(a) DO UPDATE SET b = random()",
       "INSERT INTO \"t\" (\"a\") VALUES (1) ON CONFLICT(a) DO UPDATE SET b = " + kR},
      {"INSERT INTO random(v) VALUES(random())",
       "INSERT INTO \"random\" (\"v\") VALUES (" + kR + ")"},
      {"WITH date(d) AS (SELECT 1) SELECT d, random() FROM date",
       "WITH date (d) AS (SELECT 1) SELECT d, " + kR + " FROM date"},
      {"with c as (select random() as r) insert into t(x) select r from c",
       "WITH c AS (SELECT " + kR + " AS r) INSERT INTO \"t\" (\"x\") SELECT r FROM c"},
      {"SELECT a FROM t left join u ON t.id = u.id WHERE d > date('now') group by a order by a",
       "SELECT a FROM t LEFT JOIN u ON t.id = u.id WHERE d > date(" + kN +
           ") GROUP BY a ORDER BY a"},
      {"SELECT CAST(random() AS TEXT)", "SELECT CAST(" + kR + " AS TEXT)"},
      {"insert into t(a) select count(*) filter (where x > 1) over (partition by y order by z), "
       "cast(x as int) from s where julianday('now') > 5 group by y having sum(x) > 1",
       "INSERT INTO \"t\" (\"a\") SELECT count(*) FILTER (WHERE x > 1) OVER (PARTITION BY y "
       "ORDER BY z), CAST(x AS int) FROM s WHERE julianday(" +
           kN + ") > 5 GROUP BY y HAVING sum(x) > 1"},
      {"SELECT x FROM t WHERE x IN (random(), 2)", "SELECT x FROM t WHERE x IN (" + kR + ", 2)"},
      {"SELECT -1, - -2, -(3), 4 - -5, a-1, ~~6, +random()",
       "SELECT -1, - -2, -(3), 4 - -5, a - 1, ~~6, +" + kR},
  });
}

TEST(Rewrite, StoredDefinitionsAreNotFrozen) {
  expect_cases({
      {"CREATE TABLE t(id INTEGER, v INTEGER DEFAULT (random()), ts TEXT DEFAULT "
       "(datetime('now')))",
       ""},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(random()); END", ""},
      {"CREATE VIEW v AS SELECT random(), datetime('now')", ""},
      {"CREATE INDEX i ON t(x) WHERE x > random()", ""},
      {"ALTER TABLE t ADD COLUMN c DEFAULT (random())", ""},
      {"CREATE TABLE t2 AS SELECT random() AS r", "CREATE TABLE t2 AS SELECT " + kR + " AS r"},
  });
}

TEST(Rewrite, MultipleStatementsKeepUnchangedOnesVerbatim) {
  expect_cases({
      {"INSERT INTO t(a) VALUES(1); INSERT INTO t(a) VALUES(random())",
       "INSERT INTO t(a) VALUES(1); INSERT INTO \"t\" (\"a\") VALUES (" + kR + ")"},
      {"SELECT 1 -- one\n;SELECT random();;", "SELECT 1; SELECT " + kR + ";;"},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; UPDATE t SET "
       "end = 1; INSERT INTO log VALUES(random()); END; SELECT random()",
       "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; UPDATE t SET "
       "end = 1; INSERT INTO log VALUES(random()); END; SELECT " +
           kR},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(random()); END; "
       "SELECT random()",
       "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(random()); END; SELECT " +
           kR},
  });
}

TEST(Rewrite, OptionsTurnKindsOff) {
  Options no_random{.random = false, .time = true};
  Options no_time{.random = true, .time = false};
  expect_cases({{"INSERT INTO foo(v) VALUES(RANDOM())", ""},
                {"SELECT random(), datetime('now')", "SELECT random(), datetime(" + kN + ")"}},
               no_random);
  expect_cases({{"SELECT datetime('now')", ""},
                {"SELECT random(), datetime('now')", "SELECT " + kR + ", datetime('now')"}},
               no_time);
}

TEST(Rewrite, UnparsableStatementsComeBackWithAnError) {
  struct ErrorCase {
    std::string sql;
    std::string error;
  };
  const ErrorCase cases[] = {
      {"SLECT random() FORM foo", "near \"SLECT\": syntax error"},
      {"SELECT random(", "incomplete input"},
      {"SELECT random())", "near \")\": syntax error"},
      {"SELECT random(), 'now", "unrecognized token: \"'now\""},
      {"SELECT 1; FOO random()", "near \"FOO\": syntax error"},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT random();", "incomplete input"},
  };
  for (const ErrorCase& c : cases) {
    Rewritten got = run(c.sql);
    EXPECT_FALSE(got.changed) << c.sql;
    EXPECT_EQ(got.sql, c.sql);
    EXPECT_EQ(got.error, c.error) << c.sql;
  }
}

TEST(Rewrite, PreFilterSkipsStatementsWithoutTriggers) {
  EXPECT_FALSE(needs_rewrite("INSERT INTO foo(name) VALUES('fiona')", {}));
  EXPECT_FALSE(needs_rewrite("SELECT ts, created_date, CURRENT_TIMESTAMP FROM t", {}));
  EXPECT_FALSE(needs_rewrite("SLECT * FORM foo", {}));
  EXPECT_TRUE(needs_rewrite("select RANDOM ()", {}));
  EXPECT_TRUE(needs_rewrite("select \"randomblob\"(4)", {}));
  EXPECT_TRUE(needs_rewrite("select strftime('%s','now')", {}));
  EXPECT_TRUE(needs_rewrite("select timediff(a, b)", {}));
  EXPECT_FALSE(needs_rewrite("select random()", {.random = false, .time = true}));
  EXPECT_FALSE(needs_rewrite("select date('now')", {.random = true, .time = false}));
  Rewritten got = run("SLECT * FORM foo");
  EXPECT_FALSE(got.changed);
  EXPECT_EQ(got.sql, "");
  EXPECT_EQ(got.error, "");  // the write path never parses it; SQLite reports the error
}

TEST(Preview, NormalisesEveryParsableStatement) {
  auto preview_of = [](const std::string& sql, Options options = {}) {
    return preview(sql, options, constant_random, nullptr, kNow);
  };
  Rewritten plain = preview_of("insert into foo(name) values('fiona')");
  EXPECT_FALSE(plain.changed);
  EXPECT_EQ(plain.sql, "INSERT INTO \"foo\" (\"name\") VALUES ('fiona')");
  Rewritten ordered = preview_of("SELECT * FROM foo ORDER BY RANDOM()");
  EXPECT_FALSE(ordered.changed);
  EXPECT_EQ(ordered.sql, "SELECT * FROM foo ORDER BY RANDOM()");
  Rewritten kept = preview_of("SELECT datetime('now')", {.random = true, .time = false});
  EXPECT_EQ(kept.sql, "SELECT datetime('now')");
  Rewritten bad = preview_of("SLECT * FORM foo");
  EXPECT_EQ(bad.sql, "SLECT * FORM foo");
  EXPECT_EQ(bad.error, "near \"SLECT\": syntax error");
  Rewritten changed = preview_of("INSERT INTO foo(v) VALUES(RANDOM())");
  EXPECT_TRUE(changed.changed);
  EXPECT_EQ(changed.sql, "INSERT INTO \"foo\" (\"v\") VALUES (" + kR + ")");
}

TEST(JulianDay, NowAgreesWithTheUnixClock) {
  double before = 2440587.5 + static_cast<double>(std::time(nullptr)) / 86400;
  double now = julian_day_now();
  // Both read the same clock; allow a generous minute between the two reads.
  EXPECT_NEAR(now, before, 60.0 / 86400);
}

}  // namespace
}  // namespace uq::sql::rewrite

#pragma GCC diagnostic pop
