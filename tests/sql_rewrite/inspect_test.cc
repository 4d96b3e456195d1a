// Table tests for inspect(): RETURNING, EXPLAIN and the disallowed PRAGMAs of spec §3.10.
#include <gtest/gtest.h>

#include "sql/rewrite/rewrite.h"

namespace uq::sql::rewrite {
namespace {

struct Case {
  const char* sql;
  bool returning;
  bool explain;
  bool disallowed_pragma;
};

TEST(Inspect, FindsReturningExplainAndDisallowedPragmas) {
  const Case cases[] = {
      {"INSERT INTO foo(id, name) VALUES(2, \"declan\") RETURNING *", true, false, false},
      {"insert into foo values(1) returning id", true, false, false},
      {"UPDATE t SET a = 1 WHERE b = 'RETURNING'", false, false, false},
      {"INSERT INTO t(\"returning\") VALUES (1)", false, false, false},
      {"INSERT INTO t VALUES (1) -- RETURNING *", false, false, false},
      {"DELETE FROM t /* RETURNING */", false, false, false},
      {"SELECT 1; DELETE FROM t RETURNING id", true, false, false},
      {"EXPLAIN SELECT 1", false, true, false},
      {"  explain query plan SELECT 1", false, true, false},
      {"/* c */ EXPLAIN SELECT 1", false, true, false},
      {"SELECT 'EXPLAIN'", false, false, false},
      {"SELECT 1; EXPLAIN SELECT 2", false, false, false},
      {"PRAGMA journal_mode=WAL", false, false, true},
      {"  pragma JOURNAL_MODE = delete", false, false, true},
      {"PRAGMA main.journal_mode=WAL", false, false, true},
      {"PRAGMA \"main\".\"journal_mode\"=WAL", false, false, true},
      {"PRAGMA journal_mode(WAL)", false, false, true},
      {"PRAGMA journal_mode", false, false, false},
      {"PRAGMA main.journal_mode", false, false, false},
      {"PRAGMA wal_autocheckpoint=1000", false, false, true},
      {"PRAGMA wal_autocheckpoint", false, false, false},
      {"PRAGMA wal_checkpoint", false, false, true},
      {"PRAGMA wal_checkpoint(TRUNCATE)", false, false, true},
      {"PRAGMA main.wal_checkpoint", false, false, true},
      {"PRAGMA synchronous=OFF", false, false, true},
      {"PRAGMA temp.synchronous = 0", false, false, true},
      {"PRAGMA synchronous", false, false, false},
      {"PRAGMA query_only=1", false, false, true},
      {"PRAGMA query_only", false, false, false},
      {"PRAGMA foreign_keys=ON", false, false, false},
      {"PRAGMA journal_size_limit=100", false, false, false},
      {"SELECT 1; PRAGMA journal_mode=WAL", false, false, true},
      {"-- note\nPRAGMA synchronous=0", false, false, true},
      {"SELECT 'PRAGMA journal_mode=WAL'", false, false, false},
      {"", false, false, false},
      {";;", false, false, false},
      {"PRAGMA", false, false, false},
      {"'unterminated", false, false, false},
  };
  for (const Case& c : cases) {
    Inspection got = inspect(c.sql);
    EXPECT_EQ(got.returning, c.returning) << c.sql;
    EXPECT_EQ(got.explain, c.explain) << c.sql;
    EXPECT_EQ(got.disallowed_pragma, c.disallowed_pragma) << c.sql;
  }
}

}  // namespace
}  // namespace uq::sql::rewrite
