// Runs original and rewritten statements in in-memory SQLite databases and checks that they mean
// the same: with RANDOM()/RANDOMBLOB() and 'now' pinned to the values the rewrite substituted,
// both produce the same rows, errors and database contents. Then checks the point of rewriting:
// the rewritten text gives the same outcome whatever the node's random values and clock say.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sql/rewrite/rewrite.h"

namespace uq::sql::rewrite {
namespace {

// 2026-02-03 06:00 UTC: a quarter day, so 6 decimals of a Julian day represent it exactly.
constexpr double kNowJulianDay = 2461074.75;
constexpr uint64_t kRandom = 954556320032354600;

// The "world" a connection sees: what random() returns and what time 'now' is.
struct World {
  uint64_t random = kRandom;
  double now_julian_day = kNowJulianDay;
  bool scrambled = false;  // each call returns a fresh value instead of `random`
  uint64_t calls = 0;
};

World g_world;  // read by the test VFS's clock; tests run on one thread

int world_time_int64(sqlite3_vfs*, sqlite3_int64* ms) {
  *ms = static_cast<sqlite3_int64>(g_world.now_julian_day * 86400000.0);
  return SQLITE_OK;
}

int world_time(sqlite3_vfs*, double* julian_day) {
  *julian_day = g_world.now_julian_day;
  return SQLITE_OK;
}

const char* world_vfs_name() {
  static sqlite3_vfs vfs = [] {
    sqlite3_vfs copy = *sqlite3_vfs_find(nullptr);
    copy.zName = "uq_world_time";
    copy.xCurrentTime = world_time;
    copy.xCurrentTimeInt64 = world_time_int64;
    return copy;
  }();
  static bool registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
  EXPECT_TRUE(registered);
  return vfs.zName;
}

// The world's next random value: constant, or a splitmix64 sequence when scrambled.
uint64_t next_random() {
  if (!g_world.scrambled) {
    return g_world.random;
  }
  uint64_t z = g_world.random + ++g_world.calls * 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

// random() and randomblob() as the rewrite computes them from a source returning next_random().
void world_random(sqlite3_context* context, int, sqlite3_value**) {
  sqlite3_result_int64(context, static_cast<sqlite3_int64>(next_random() & INT64_MAX));
}

void world_randomblob(sqlite3_context* context, int, sqlite3_value** argv) {
  sqlite3_int64 count = sqlite3_value_int64(argv[0]);
  std::string bytes;
  uint64_t bits = 0;
  for (sqlite3_int64 k = 0; k < (count < 1 ? 1 : count); ++k) {
    if (k % 8 == 0) {
      bits = next_random();
    }
    bytes.push_back(static_cast<char>(bits >> (8 * (k % 8))));
  }
  sqlite3_result_blob(context, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

std::string render_value(sqlite3_stmt* statement, int column) {
  char buffer[64];
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT:
      std::snprintf(buffer, sizeof buffer, "%.17g", sqlite3_column_double(statement, column));
      return buffer;
    case SQLITE_TEXT:
      return "'" +
             std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, column))) +
             "'";
    case SQLITE_BLOB: {
      std::string hex = "x'";
      auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(statement, column));
      for (int k = 0; k < sqlite3_column_bytes(statement, column); ++k) {
        std::snprintf(buffer, sizeof buffer, "%02X", data[k]);
        hex += buffer;
      }
      return hex + "'";
    }
    default:
      return "NULL";
  }
}

// Runs every statement of `sql`; appends each result row to `rows`; returns the first error.
std::string run_all(sqlite3* db, const std::string& sql, std::vector<std::string>* rows) {
  const char* tail = sql.c_str();
  while (tail != nullptr && *tail != '\0') {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, tail, -1, &statement, &tail) != SQLITE_OK) {
      return sqlite3_errmsg(db);
    }
    if (statement == nullptr) {
      continue;  // blanks or comments only
    }
    int rc = SQLITE_ROW;
    for (int step = 0; step < 10000 && (rc = sqlite3_step(statement)) == SQLITE_ROW; ++step) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(statement); ++c) {
        row += (c > 0 ? "|" : "") + render_value(statement, c);
      }
      rows->push_back(row);
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
      return sqlite3_errmsg(db);
    }
  }
  return {};
}

struct Outcome {
  std::string error;
  std::vector<std::string> rows;
  std::vector<std::string> contents;  // schema and every table's rows afterwards
};

constexpr const char* kSchema =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, ts TEXT);"
    "CREATE TABLE log(x);"
    "CREATE TABLE s(v); INSERT INTO s VALUES (3), (1), (2);"
    "CREATE TABLE \"my t\"(x);"
    "CREATE TABLE k(\"key\", \"order\", \"date\");"
    "INSERT INTO t(a, b, ts) VALUES (1, 2, '2020-01-01 00:00:00'), (3, 4, '2030-01-01 00:00:00');";

Outcome execute(const std::string& sql, const World& world) {
  g_world = world;
  Outcome outcome;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            world_vfs_name()),
            SQLITE_OK);
  sqlite3_create_function(db, "random", 0, SQLITE_UTF8, nullptr, world_random, nullptr, nullptr);
  sqlite3_create_function(db, "randomblob", 1, SQLITE_UTF8, nullptr, world_randomblob, nullptr,
                          nullptr);
  std::vector<std::string> ignored;
  EXPECT_EQ(run_all(db, kSchema, &ignored), "");
  outcome.error = run_all(db, sql, &outcome.rows);
  std::vector<std::string> tables;
  EXPECT_EQ(run_all(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", &tables), "");
  outcome.contents = tables;
  for (const std::string& table : tables) {
    if (table.rfind("'table'|", 0) != 0) {
      continue;
    }
    std::string name = table.substr(9, table.find('\'', 9) - 9);
    outcome.contents.push_back("-- " + name);
    EXPECT_EQ(run_all(db, "SELECT * FROM \"" + name + "\" ORDER BY rowid", &outcome.contents), "");
  }
  sqlite3_close(db);
  return outcome;
}

struct Case {
  const char* sql;
  bool changed;        // the rewrite must change the text
  bool deterministic;  // after rewriting, the outcome no longer depends on random values or time
};

const Case kCases[] = {
    {"INSERT INTO t(a) VALUES(RANDOM())", true, true},
    {"insert into t(a, b) values(RANDOMBLOB(16), randomblob(0))", true, true},
    {"INSERT INTO t(ts) VALUES(datetime('now'))", true, true},
    {"INSERT INTO t(ts, a, b) VALUES(strftime('%Y-%m-%d %H:%M:%f', 'now'), julianday('now'), "
     "unixepoch('now'))",
     true, true},
    {"SELECT date('now'), time('NOW'), datetime(\"now\", '+1 day', 'start of month')", true, true},
    {"SELECT timediff('now', '2020-01-01'), timediff('2020-01-01', 'now')", true, true},
    {"SELECT 'now', 'random()', \"now\", datetime('2020-01-01')", true, true},
    {"INSERT INTO t(a, b) VALUES('now', datetime('now')) RETURNING a, b, ts", true, true},
    {"INSERT INTO t(a) SELECT v FROM s ORDER BY RANDOM()", false, false},
    {"INSERT INTO t(a, b) SELECT random(), v FROM s ORDER BY RANDOM()", true, false},
    {"UPDATE t SET b = random() WHERE id > 0", true, true},
    {"DELETE FROM t WHERE ts < datetime('now', '-1 day')", true, true},
    {"INSERT INTO t(a) VALUES(1); INSERT INTO t(a) VALUES(random()); SELECT count(*), sum(a) "
     "FROM t",
     true, true},
    {"INSERT INTO t(a) VALUES(/* random() */ random()) -- random()", true, true},
    {"INSERT INTO t(a) VALUES(abs(random()) % 10 + length(randomblob(7)))", true, true},
    {"WITH c(x) AS (SELECT random()) INSERT INTO t(a) SELECT x FROM c", true, true},
    {"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
     "INSERT INTO log SELECT i * random() FROM n",
     true, true},
    {"INSERT INTO t(id, a) VALUES(1, 5) ON CONFLICT(id) DO UPDATE SET a = random()", true, true},
    {"CREATE TABLE t2 AS SELECT random() AS r, datetime('now') AS d", true, true},
    {"CREATE TABLE t3(a, b DEFAULT (random()), c DEFAULT (datetime('now'))); "
     "INSERT INTO t3(a) VALUES(datetime('now'))",
     true, false},
    {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES(random()); END; "
     "INSERT INTO t(a) VALUES(random())",
     true, false},
    {"CREATE TRIGGER tc AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; "
     "INSERT INTO log VALUES(random()); END; INSERT INTO t(a) VALUES(random())",
     true, false},
    {"CREATE VIEW v AS SELECT random() AS r, datetime('now') AS d; SELECT * FROM v", false, false},
    {"SELECT v, row_number() OVER (ORDER BY random()) FROM s", false, false},
    {"INSERT INTO [my t](x) VALUES(random())", true, true},
    {"INSERT INTO k(key, \"order\", date) VALUES(random(), date('now'), 1)", true, true},
    {"SELECT random() AS r, randomblob(4) AS b UNION ALL SELECT 1, 2", true, true},
    {"SELECT datetime('now') WHERE 1 IN (random(), 1)", true, true},
    {"INSERT INTO t(a) VALUES (random()), (random())", true, true},
    {"SELECT CAST(random() AS TEXT) || 'x', x'00' || randomblob(2)", true, true},
    {"SELECT '{\"a\":1}' -> '$.a', random()", true, true},
    {"SELECT t.id, random() FROM t WHERE t.a IS NOT NULL ORDER BY t.id", true, true},
    {"SELECT (SELECT group_concat(v) FROM (SELECT v FROM s ORDER BY random() LIMIT 3)), random()",
     true, false},
    {"SELECT group_concat(v, ',' ORDER BY v) , date('now') FROM s", true, true},
    {"SELECT x FROM (SELECT random() AS x) WHERE x > 0 LIMIT random() % 3 + 1", true, true},
    {"EXPLAIN QUERY PLAN SELECT * FROM t WHERE a > random()", true, true},
    {"SELECT random(), datetime('now'); PRAGMA user_version = 3; PRAGMA user_version", true, true},
    {"SELECT -1, - -2, 4 - -5, ~~6, -random(), - - random(), 7-1", true, true},
    {"SELECT s.v, random() FROM s WHERE s.v>.5 AND s.v<1e1 ORDER BY s.v", true, true},
    {"SELECT random(1)", false, true},
    {"SELECT 'x' || randomblob(a) FROM t", false, false},
};

TEST(SqliteEquivalence, RewrittenStatementsMeanTheSame) {
  for (const Case& c : kCases) {
    Rewritten rewritten = rewrite(
        c.sql, {}, [](void*) { return kRandom; }, nullptr, kNowJulianDay);
    ASSERT_EQ(rewritten.error, "") << c.sql;
    EXPECT_EQ(rewritten.changed, c.changed) << c.sql;
    std::string text = rewritten.changed ? rewritten.sql : std::string(c.sql);
    Outcome original = execute(c.sql, World{});
    Outcome after = execute(text, World{});
    EXPECT_EQ(original.error, after.error) << c.sql << "\n" << text;
    EXPECT_EQ(original.rows, after.rows) << c.sql << "\n" << text;
    EXPECT_EQ(original.contents, after.contents) << c.sql << "\n" << text;
  }
}

TEST(SqliteEquivalence, RewrittenStatementsNoLongerDependOnTheNode) {
  const World other{
      .random = 0x0123456789ABCDEF, .now_julian_day = 2461100.123456, .scrambled = true};
  int deterministic_count = 0;
  for (const Case& c : kCases) {
    Rewritten rewritten = rewrite(
        c.sql, {}, [](void*) { return kRandom; }, nullptr, kNowJulianDay);
    std::string text = rewritten.changed ? rewritten.sql : std::string(c.sql);
    Outcome here = execute(text, World{});
    Outcome there = execute(text, other);
    bool same =
        here.error == there.error && here.rows == there.rows && here.contents == there.contents;
    EXPECT_EQ(same, c.deterministic) << c.sql << "\n" << text;
    deterministic_count += same ? 1 : 0;
  }
  EXPECT_GT(deterministic_count, 20);
}

// Statements assembled at random (fixed seed) from templates and expressions that mix calls,
// literals that look like calls, comments, signs and nesting: the table above, at volume.
TEST(SqliteEquivalence, GeneratedStatementsMeanTheSame) {
  const char* expressions[] = {"random()",
                               "RANDOM ( )",
                               "randomblob(3)",
                               "randomblob(-1)",
                               "\"random\"()",
                               "datetime('now')",
                               "date(\"now\", '+1 day')",
                               "strftime('%s', 'now')",
                               "julianday('NOW')",
                               "unixepoch('now')",
                               "'now'",
                               "'random()'",
                               "v",
                               "s.v",
                               "-v",
                               "- -1",
                               "1.5e1",
                               ".5",
                               "x'0A'",
                               "abs(random()) % 7",
                               "(SELECT max(v) FROM s)",
                               "(SELECT v FROM s ORDER BY random() LIMIT 1)",
                               "CASE WHEN v > 1 THEN random() ELSE 'now' END",
                               "v /* random() */ + 1",
                               "coalesce(NULL, date('now'))",
                               "length(randomblob(5))",
                               "typeof(random())",
                               "v || 'x'",
                               "cast(v AS TEXT)",
                               "v IN (1, random())",
                               "v BETWEEN -1 AND random()",
                               "v-1",
                               "time(datetime('now'), 'start of day')"};
  const char* orderings[] = {"v", "random()", "v DESC, random()", "1", "randomblob(2), v"};
  const char* templates[] = {
      "SELECT {e}, {e} FROM s WHERE {e} IS NOT NULL ORDER BY {o}",
      "INSERT INTO t(a, b) SELECT {e}, {e} FROM s ORDER BY {o}",
      "UPDATE t SET a = {e}, b = {e} WHERE id > {e}",
      "WITH c(x) AS (SELECT {e} FROM s) SELECT x, {e} FROM c ORDER BY {o} LIMIT 2",
      "SELECT {e} FROM s; INSERT INTO log SELECT {e} FROM s -- tail",
      "DELETE FROM t WHERE a < {e} RETURNING {e}",
  };
  uint64_t state = 42;
  auto pick = [&state](size_t count) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return static_cast<size_t>(state >> 33) % count;
  };
  int changed_count = 0;
  for (int iteration = 0; iteration < 300; ++iteration) {
    std::string sql = templates[pick(std::size(templates))];
    for (size_t at = sql.find('{'); at != std::string::npos; at = sql.find('{', at)) {
      const char* fill = sql[at + 1] == 'e' ? expressions[pick(std::size(expressions))]
                                            : orderings[pick(std::size(orderings))];
      sql.replace(at, 3, fill);
      at += std::string_view(fill).size();
    }
    Rewritten rewritten = rewrite(
        sql, {}, [](void*) { return kRandom; }, nullptr, kNowJulianDay);
    ASSERT_EQ(rewritten.error, "") << sql;
    changed_count += rewritten.changed ? 1 : 0;
    std::string text = rewritten.changed ? rewritten.sql : sql;
    Outcome original = execute(sql, World{});
    Outcome after = execute(text, World{});
    EXPECT_EQ(original.error, after.error) << sql << "\n" << text;
    EXPECT_EQ(original.rows, after.rows) << sql << "\n" << text;
    EXPECT_EQ(original.contents, after.contents) << sql << "\n" << text;
  }
  EXPECT_GT(changed_count, 200);
}

TEST(SqliteEquivalence, NormalisedPreviewsStillMeanTheSame) {
  for (const Case& c : kCases) {
    Rewritten previewed = preview(
        c.sql, {.random = false, .time = false}, [](void*) { return kRandom; }, nullptr,
        kNowJulianDay);
    ASSERT_EQ(previewed.error, "") << c.sql;
    Outcome original = execute(c.sql, World{});
    Outcome after = execute(previewed.sql, World{});
    EXPECT_EQ(original.error, after.error) << c.sql << "\n" << previewed.sql;
    EXPECT_EQ(original.rows, after.rows) << c.sql << "\n" << previewed.sql;
  }
}

}  // namespace
}  // namespace uq::sql::rewrite
