// Execution semantics (§3.6), value encoding (§3.5), result shapes (§3.4) and timings (§3.8).
#include <gtest/gtest.h>

#include "tests/sql/db_harness.h"

namespace uq::sql::testing {
namespace {

const char* kFoo = R"j(["CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT)"])j";

TEST(Semantics, ErrorsContinueWithoutTransaction) {
  DbHarness h;
  h.execute(kFoo);
  EXPECT_EQ(
      h.execute(
          R"j([["INSERT INTO foo(id, name) VALUES(?, ?)", 1, "a"], ["INSERT INTO foo(id, name) VALUES(?, ?)", 2, "b"], ["INSERT INTO foo(id, name) VALUES(?, ?)", 1, "c"], ["INSERT INTO foo(id, name) VALUES(?, ?)", 4, "d"]])j"),
      R"j({"results":[{"last_insert_id":1,"rows_affected":1},{"last_insert_id":2,"rows_affected":1},{"error":"UNIQUE constraint failed: foo.id"},{"last_insert_id":4,"rows_affected":1}]})j");
}

TEST(Semantics, TransactionStopsAndRollsBackAtFirstError) {
  DbHarness h;
  h.execute(kFoo);
  h.execute(R"j(["INSERT INTO foo(id, name) VALUES(1, 'x')"])j");
  ExecOptions o;
  o.transaction = true;
  EXPECT_EQ(
      h.execute(
          R"j(["INSERT INTO foo(id, name) VALUES(2, 'y')", "INSERT INTO foo(id, name) VALUES(1, 'z')", "INSERT INTO foo(id, name) VALUES(3, 'w')"])j",
          o),
      R"j({"results":[{"last_insert_id":2,"rows_affected":1},{"error":"UNIQUE constraint failed: foo.id"}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT COUNT(*) FROM foo"])j"),
            R"j({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[1]]}]})j");
}

TEST(Semantics, DdlReportsCarriedOverConnectionValues) {
  DbHarness h;
  h.execute(kFoo);
  h.execute(R"j(["INSERT INTO foo(name) VALUES('fiona')"])j");
  EXPECT_EQ(h.execute(R"j(["DROP TABLE foo"])j"),
            R"j({"results":[{"last_insert_id":1,"rows_affected":1}]})j");
  // SELECT via /db/execute runs as a write and reports the connection's values too.
  EXPECT_EQ(h.execute(R"j(["SELECT 1"])j"),
            R"j({"results":[{"last_insert_id":1,"rows_affected":1}]})j");
}

TEST(Semantics, MultiStatementStringRunsEveryStatement) {
  DbHarness h;
  h.execute(
      R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)", "CREATE TABLE bar (id INTEGER PRIMARY KEY, name TEXT)"])j");
  EXPECT_EQ(
      h.execute(
          R"j(["INSERT INTO foo(name) VALUES(\"alice\");DROP TABLE foo;INSERT INTO bar(name) VALUES(\"bob\")"])j"),
      R"j({"results":[{"last_insert_id":1,"rows_affected":1}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT * FROM foo"])j"),
            R"j({"results":[{"error":"no such table: foo"}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT name FROM bar"])j"),
            R"j({"results":[{"columns":["name"],"types":["text"],"values":[["bob"]]}]})j");
}

TEST(Semantics, EmptyStatementsProduceNoResult) {
  DbHarness h;
  EXPECT_EQ(h.execute(R"j(["", "CREATE TABLE t (a)", ""])j"), R"j({"results":[{}]})j");
  EXPECT_EQ(h.query(R"j(["", "SELECT 2", ""])j"),
            R"j({"results":[{"columns":["2"],"types":["integer"],"values":[[2]]}]})j");
}

TEST(Semantics, ReturningReturnsRowsOnTheWritePath) {
  DbHarness h;
  h.execute(kFoo);
  Request r = DbHarness::parse(
      R"j(["INSERT INTO foo(id, name) VALUES(2, \"declan\") RETURNING *", "INSERT INTO foo(name) VALUES('x')", "INSERT INTO nonsense VALUES(1) RETURNING *"])j");
  ExecOptions o;
  o.force_query = {true, false, true};
  EXPECT_EQ(
      h.write(Kind::kExecute, std::move(r), o).body,
      R"j({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[2,"declan"]]},{"last_insert_id":3,"rows_affected":1},{"error":"no such table: nonsense"}]})j");
  Request r2 =
      DbHarness::parse(R"j(["INSERT INTO foo(id, name) VALUES(7, 'siobhan') RETURNING *"])j");
  ExecOptions a = assoc();
  a.force_query = {true};
  EXPECT_EQ(
      h.write(Kind::kExecute, std::move(r2), a).body,
      R"j({"results":[{"types":{"id":"integer","name":"text"},"rows":[{"id":7,"name":"siobhan"}]}]})j");
}

TEST(Semantics, AssociativeShapes) {
  DbHarness h;
  EXPECT_EQ(h.execute(kFoo, assoc()), R"j({"results":[{"rows":null}]})j");
  EXPECT_EQ(h.execute(R"j(["INSERT INTO foo(id, name) VALUES(99, 'x')"])j", assoc()),
            R"j({"results":[{"last_insert_id":99,"rows_affected":1,"rows":null}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT name FROM foo WHERE id = 0"])j", assoc()),
            R"j({"results":[{"types":{"name":"text"},"rows":[]}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT * FROM bar"])j", assoc()),
            R"j({"results":[{"rows":[],"error":"no such table: bar"}]})j");
  EXPECT_EQ(h.execute(R"j(["INSERT INTO foo(id, name) VALUES(99, 'x')"])j", assoc()),
            R"j({"results":[{"error":"UNIQUE constraint failed: foo.id"}]})j");
  // Keys sorted; a repeated column name keeps the last column.
  EXPECT_EQ(h.query(R"j(["SELECT 1 AS z, 2 AS a, 3 AS z"])j", assoc()),
            R"j({"results":[{"types":{"a":"integer","z":"integer"},"rows":[{"a":2,"z":3}]}]})j");
}

TEST(Semantics, WritesViaQueryAreRefused) {
  DbHarness h;
  h.execute(kFoo);
  EXPECT_EQ(
      h.query(R"j(["DELETE FROM foo"])j", assoc()),
      R"j({"results":[{"rows":[],"error":"attempt to change database via query operation"}]})j");
  EXPECT_EQ(h.query(R"j(["EXPLAIN SELECT 1"])j").find("\"error\""), std::string::npos);
}

TEST(Semantics, ReadPathNeverLeavesATransactionOpen) {
  DatabaseOptions one_reader;
  one_reader.reader_threads = 1;
  DbHarness h(one_reader);
  h.execute(kFoo);
  EXPECT_EQ(h.query(R"j(["BEGIN", "SELECT COUNT(*) FROM foo"])j"),
            R"j({"results":[{},{"columns":["COUNT(*)"],"types":["integer"],"values":[[0]]}]})j");
  h.execute(R"j(["INSERT INTO foo(name) VALUES('a')"])j");
  // A snapshot left open by BEGIN would still show 0 rows.
  EXPECT_EQ(h.query(R"j(["SELECT COUNT(*) FROM foo"])j"),
            R"j({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[1]]}]})j");
}

TEST(Semantics, StrongQueryOnTheWritePathKeepsQuerySemantics) {
  DbHarness h;
  h.execute(kFoo);
  EXPECT_EQ(
      h.write(Kind::kQuery, DbHarness::parse(R"j(["SELECT 1", "DELETE FROM foo"])j")).body,
      R"j({"results":[{"columns":["1"],"types":["integer"],"values":[[1]]},{"error":"attempt to change database via query operation"}]})j");
}

TEST(Semantics, RequestClassification) {
  DbHarness h;
  h.execute(kFoo);
  EXPECT_TRUE(
      h.classify(DbHarness::parse(R"j(["SELECT * FROM foo", "EXPLAIN DELETE FROM foo"])j")));
  EXPECT_FALSE(h.classify(DbHarness::parse(R"j(["SELECT * FROM foo", "DELETE FROM foo"])j")));
  EXPECT_FALSE(h.classify(DbHarness::parse(R"j(["SELECT * FROM nonexistent"])j")));
  EXPECT_FALSE(
      h.classify(DbHarness::parse(R"j(["SELECT 1; INSERT INTO foo(name) VALUES('a')"])j")));
  // Prepare errors on /db/request are plain {"error":..} even in associative mode, and do not stop
  // a transaction (§15 quirk 7).
  ExecOptions o = assoc();
  o.transaction = true;
  EXPECT_EQ(
      h.request(
          R"j(["INSERT INTO foo(name) VALUES('a')", "SELECT * FROM nope", "INSERT INTO foo(name) VALUES('b')"])j",
          o),
      R"j({"results":[{"last_insert_id":1,"rows_affected":1,"rows":null},{"error":"no such table: nope"},{"last_insert_id":2,"rows_affected":1,"rows":null}]})j");
}

TEST(Semantics, ParameterBindingNamedPrefixesAndErrors) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)"])j");
  EXPECT_EQ(
      h.execute(
          R"j([["INSERT INTO foo(name, age) VALUES(:name, @age)", {"name": "fiona", "age": 20}], ["INSERT INTO foo(name, age) VALUES($name, ?)", {"name": "x"}, 5]])j"),
      R"j({"results":[{"last_insert_id":1,"rows_affected":1},{"last_insert_id":2,"rows_affected":1}]})j");
  EXPECT_EQ(
      h.query(R"j([["SELECT name, age FROM foo WHERE id = :id", {"id": 1}]])j"),
      R"j({"results":[{"columns":["name","age"],"types":["text","integer"],"values":[["fiona",20]]}]})j");
  EXPECT_EQ(h.query(R"j([["SELECT ?, ?", 1]])j"),
            R"j({"results":[{"error":"not enough args to execute query: want 2 got 1"}]})j");
}

TEST(Semantics, ValueEncodingByStorageClassAndDeclaredType) {
  DbHarness h;
  h.execute(
      R"j(["CREATE TABLE v (b BOOLEAN, d DATE, ts TIMESTAMP, dt DATETIME, bl BLOB, t TEXT, vc VARCHAR(10), r REAL, x)"])j");
  h.execute(
      R"j([["INSERT INTO v VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", 1, "2004-02-14", "2004-02-14 07:15:00", "2021-10-22 19:39:32.016087", "x'deadbeef'", "x'41'", "x'42'", 20.0, "x'53514C697465'"]])j");
  h.execute(
      R"j([["INSERT INTO v VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, 0, 1634931572016, "junk", "fiona", null, null, 1e-7, 1e21]])j");
  EXPECT_EQ(
      h.query(R"j(["SELECT * FROM v"])j"),
      R"j({"results":[{"columns":["b","d","ts","dt","bl","t","vc","r","x"],"types":["boolean","date","timestamp","datetime","blob","text","varchar(10)","real","text"],"values":[[true,"2004-02-14T00:00:00Z","2004-02-14T07:15:00Z","2021-10-22T19:39:32.016087Z","3q2+7w==","A","B",20,"SQLite"],[false,"1970-01-01T00:00:00Z","2021-10-22T19:39:32.016Z","0001-01-01T00:00:00Z","fiona",null,null,1e-7,1e+21]]}]})j");
  ExecOptions o;
  o.blob_array = true;
  EXPECT_EQ(
      h.query(R"j(["SELECT bl FROM v WHERE b = 1"])j", o),
      R"j({"results":[{"columns":["bl"],"types":["blob"],"values":[[[222,173,190,239]]]}]})j");
  EXPECT_EQ(
      h.query(R"j(["SELECT x'53514C697465'"])j"),
      R"j({"results":[{"columns":["x'53514C697465'"],"types":["text"],"values":[["SQLite"]]}]})j");
}

TEST(Semantics, TypesInferredFromFirstRow) {
  DbHarness h;
  EXPECT_EQ(
      h.query(R"j(["SELECT 1, 1.5, 'a', NULL"])j"),
      R"j({"results":[{"columns":["1","1.5","'a'","NULL"],"types":["integer","real","text",""],"values":[[1,1.5,"a",null]]}]})j");
  EXPECT_EQ(h.query(R"j(["PRAGMA foreign_keys"])j"),
            R"j({"results":[{"columns":["foreign_keys"],"types":["integer"],"values":[[0]]}]})j");
  h.execute(R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)"])j");
  EXPECT_EQ(
      h.query(R"j(["SELECT COUNT(*), MAX(id) FROM foo WHERE 0"])j"),
      R"j({"results":[{"columns":["COUNT(*)","MAX(id)"],"types":["integer",""],"values":[[0,null]]}]})j");
  EXPECT_EQ(
      h.query(R"j(["PRAGMA table_info(\"foo\")"])j"),
      R"j({"results":[{"columns":["cid","name","type","notnull","dflt_value","pk"],"types":["integer","text","text","integer","","integer"],"values":[[0,"id","INTEGER",0,null,1],[1,"name","TEXT",0,null,0]]}]})j");
}

TEST(Semantics, QualifyColumnsPrefixesTableNames) {
  DbHarness h;
  h.execute(
      R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO foo(name) VALUES('a')"])j");
  ExecOptions o;
  o.qualify_columns = true;
  EXPECT_EQ(
      h.query(R"j(["SELECT id, name, 1 FROM foo"])j", o),
      R"j({"results":[{"columns":["foo.id","foo.name","1"],"types":["integer","text","integer"],"values":[[1,"a",1]]}]})j");
}

TEST(Semantics, InfinityFailsTheWholeResponseWith500) {
  DbHarness h;
  Response r = h.read(Kind::kQuery, DbHarness::parse(R"j(["SELECT 1", "SELECT 9e999"])j"));
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(r.body, "json: unsupported value: +Inf\n");
  Response n = h.read(Kind::kQuery, DbHarness::parse(R"j(["SELECT -9e999"])j"));
  EXPECT_EQ(n.body, "json: unsupported value: -Inf\n");
}

TEST(Semantics, DbTimeoutInterruptsLongStatements) {
  DbHarness h;
  const char* slow =
      R"j(["WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"])j";
  ExecOptions o;
  o.db_timeout = std::chrono::milliseconds(20);
  EXPECT_EQ(h.query(slow, o), R"j({"results":[{"error":"query timeout"}]})j");
  h.execute(R"j(["CREATE TABLE t (a)"])j");
  ExecOptions w;
  w.db_timeout = std::chrono::milliseconds(20);
  EXPECT_EQ(
      h.execute(
          R"j(["INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"])j",
          w),
      R"j({"results":[{"error":"execute timeout"}]})j");
  // The connection is usable afterwards and nothing of the interrupted insert remains.
  EXPECT_EQ(h.query(R"j(["SELECT COUNT(*) FROM t"])j"),
            R"j({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[0]]}]})j");
}

TEST(Semantics, TimingsAddTimeFields) {
  DbHarness h;
  ExecOptions o;
  o.timings = true;
  std::string body = h.execute(R"j(["CREATE TABLE t (a)", "INSERT INTO t VALUES(1)"])j", o);
  EXPECT_NE(body.find(R"j({"last_insert_id":1,"rows_affected":1,"time":)j"), std::string::npos)
      << body;
  EXPECT_NE(body.find(R"j(],"time":)j"), std::string::npos) << body;
  ExecOptions r;
  r.raft_index = 6;
  EXPECT_EQ(h.execute(R"j(["INSERT INTO t VALUES(2)"])j", r),
            R"j({"results":[{"last_insert_id":2,"rows_affected":1}],"raft_index":6})j");
}

TEST(Semantics, ErrorEnvelope) {
  EXPECT_EQ(error_envelope("disallowed pragma", ExecOptions{}).body,
            R"j({"results":[],"error":"disallowed pragma"})j");
}

}  // namespace
}  // namespace uq::sql::testing
