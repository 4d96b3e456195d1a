// Golden examples of spec §3.11: request in, exact bytes out.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/sql/db_harness.h"

namespace uq::sql::testing {
namespace {

TEST(Golden, ExecuteAndQueryExamplesAreByteExact) {
  DbHarness h;
  EXPECT_EQ(h.execute(R"j(["CREATE TABLE foo (id integer not null primary key, name text)"])j"),
            R"j({"results":[{}]})j");
  EXPECT_EQ(h.execute(R"j(["INSERT INTO foo(name) VALUES(\"fiona\")"])j"),
            R"j({"results":[{"last_insert_id":1,"rows_affected":1}]})j");
  EXPECT_EQ(h.execute(R"j(["INSERT INTO bar(name) VALUES(\"fiona\")"])j"),
            R"j({"results":[{"error":"no such table: bar"}]})j");
  EXPECT_EQ(h.execute(R"j(["INSERT blah blah"])j"),
            R"j({"results":[{"error":"near \"blah\": syntax error"}]})j");
  EXPECT_EQ(
      h.query(R"j(["SELECT * FROM foo"])j"),
      R"j({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]}]})j");
  EXPECT_EQ(h.query(R"j(["INSERT INTO foo(id, name) VALUES(2, \"fiona\")"])j"),
            R"j({"results":[{"error":"attempt to change database via query operation"}]})j");
  EXPECT_EQ(h.query(R"j(["SELECT 1"])j"),
            R"j({"results":[{"columns":["1"],"types":["integer"],"values":[[1]]}]})j");
}

TEST(Golden, EmptyResultHasNoValuesKey) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE bar (id integer not null primary key, name text)"])j");
  EXPECT_EQ(h.query(R"j([["SELECT * from bar where name=\"non-existent\""]])j"),
            R"j({"results":[{"columns":["id","name"],"types":["integer","text"]}]})j");
}

TEST(Golden, AssociativeAndMultipleQueries) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id integer not null primary key, name text)",
               "CREATE TABLE bar (id integer not null primary key, sequence integer)",
               "INSERT INTO foo(name) VALUES('fiona')", "INSERT INTO foo(name) VALUES('declan')",
               "INSERT INTO bar(sequence) VALUES(5)"])j");
  EXPECT_EQ(
      h.query(R"j([["SELECT * from foo"]])j", assoc()),
      R"j({"results":[{"types":{"id":"integer","name":"text"},"rows":[{"id":1,"name":"fiona"},{"id":2,"name":"declan"}]}]})j");
  EXPECT_EQ(
      h.query(R"j(["SELECT * FROM foo", "SELECT * FROM bar"])j"),
      R"j({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"],[2,"declan"]]},{"columns":["id","sequence"],"types":["integer","integer"],"values":[[1,5]]}]})j");
}

TEST(Golden, StrictBlobColumnRendersBase64) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, data BLOB) STRICT",
               "INSERT INTO foo(id, data) VALUES(1, x'deadbeef')"])j");
  EXPECT_EQ(h.execute(R"j([["INSERT INTO foo(id, data) VALUES(?, ?)", 2, [222,173,190,239]]])j"),
            R"j({"results":[{"last_insert_id":2,"rows_affected":1}]})j");
  EXPECT_EQ(
      h.query(R"j(["SELECT * FROM foo"])j"),
      R"j({"results":[{"columns":["id","data"],"types":["integer","blob"],"values":[[1,"3q2+7w=="],[2,"3q2+7w=="]]}]})j");
}

TEST(Golden, BlobArrayKeepsTextAsString) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id INTEGER PRIMARY KEY, data BLOB)",
               "INSERT INTO foo(data) VALUES('fiona')", "INSERT INTO foo(data) VALUES(x'deadbeef')"])j");
  ExecOptions o;
  o.blob_array = true;
  EXPECT_EQ(
      h.query(R"j(["SELECT data FROM foo"])j", o),
      R"j({"results":[{"columns":["data"],"types":["blob"],"values":[["fiona"],[[222,173,190,239]]]}]})j");
}

TEST(Golden, PositionalParameterQuery) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id integer not null primary key, name text, age integer)",
               "INSERT INTO foo(name) VALUES('declan')"])j");
  EXPECT_EQ(
      h.query(R"j([["SELECT * FROM foo WHERE NAME=?", "declan"]])j"),
      R"j({"results":[{"columns":["id","name","age"],"types":["integer","text","integer"],"values":[[1,"declan",null]]}]})j");
}

TEST(Golden, PrettyFormIsByteExact) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id integer not null primary key, name text)",
               "INSERT INTO foo(name) VALUES('fiona')"])j");
  ExecOptions o;
  o.pretty = true;
  EXPECT_EQ(h.query(R"j(["SELECT * FROM foo"])j", o), R"j({
    "results": [
        {
            "columns": [
                "id",
                "name"
            ],
            "types": [
                "integer",
                "text"
            ],
            "values": [
                [
                    1,
                    "fiona"
                ]
            ]
        }
    ]
})j");
  ExecOptions p;
  p.pretty = true;
  EXPECT_EQ(h.execute(R"j(["CREATE TABLE x (a)"])j", p),
            "{\n    \"results\": [\n        {\n            \"last_insert_id\": 1,\n            "
            "\"rows_affected\": 1\n        }\n    ]\n}");
}

TEST(Golden, UnifiedEndpointDocumentedExample) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE foo (id INTEGER NOT NULL PRIMARY KEY, name TEXT, age INTEGER)"])j");
  EXPECT_EQ(
      h.request(
          R"j([["INSERT INTO foo(name, age) VALUES(?, ?)", "fiona", 20], ["INSERT INTO foo(name, age) VALUES(?, ?)", "declan", 30], ["SELECT * FROM foo"], ["SELECT * FROM bar"]])j",
          assoc()),
      R"j({"results":[{"last_insert_id":1,"rows_affected":1,"rows":null},{"last_insert_id":2,"rows_affected":1,"rows":null},{"types":{"age":"integer","id":"integer","name":"text"},"rows":[{"age":20,"id":1,"name":"fiona"},{"age":30,"id":2,"name":"declan"}]},{"error":"no such table: bar"}]})j");
}

TEST(DatabaseCommitted, AppliesEntriesInLogOrderAndPublishesTheAppliedIndex) {
  DbHarness h;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> hooked;
  h.db().set_applied_hook([&](uint64_t index) {
    std::lock_guard<std::mutex> lock(mu);
    hooked.push_back(index);
    cv.notify_all();
  });
  EXPECT_EQ(h.db().applied_index(), 0u);
  h.db().submit_marker(1);  // e.g. a configuration entry
  h.db().submit_committed(2, Kind::kExecute, request_from_sql("CREATE TABLE t(x)"), {}, nullptr);
  std::promise<Response> answered;
  h.db().submit_committed(3, Kind::kExecute, request_from_sql("INSERT INTO t VALUES(7)"), {},
                          [&](Response&& r) { answered.set_value(std::move(r)); });
  h.db().submit_marker(4);
  EXPECT_EQ(answered.get_future().get().body,
            R"({"results":[{"last_insert_id":1,"rows_affected":1}]})");
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return !hooked.empty() && hooked.back() == 4; }));
    EXPECT_TRUE(std::is_sorted(hooked.begin(), hooked.end()));
  }
  EXPECT_EQ(h.db().applied_index(), 4u);
  EXPECT_EQ(h.read(Kind::kQuery, request_from_sql("SELECT x FROM t")).body,
            R"({"results":[{"columns":["x"],"types":["integer"],"values":[[7]]}]})");
}

// A reader runs the jobs it took at once inside one read transaction. Queued behind a slow
// query on the only reader, a mix of reads that end, need or break that transaction (BEGIN,
// COMMIT, SAVEPOINT, PRAGMA, errors, `transaction`, a write refused on the read path) must each
// answer exactly what it answers alone, and a read queued after a write sees the write.
TEST(DatabaseReaders, ReadsTakenTogetherAnswerExactlyAsAlone) {
  DatabaseOptions options;
  options.reader_threads = 1;
  DbHarness h(options);
  h.execute(R"j(["CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
                 "INSERT INTO t VALUES(1,'a'),(2,'b'),(3,'c')"])j");
  struct Case {
    const char* body;
    bool transaction;
  };
  const std::vector<Case> cases = {
      {R"j(["SELECT * FROM t WHERE id=1"])j", false},
      {R"j(["BEGIN", "SELECT v FROM t WHERE id=3", "COMMIT"])j", false},
      {R"j(["BEGIN; SELECT count(*) FROM t; COMMIT"])j", false},
      {R"j(["SELECT * FROM nosuch"])j", false},
      {R"j(["SELECT * FROM t ORDER BY id"])j", true},
      {R"j(["PRAGMA foreign_keys"])j", false},
      {R"j(["SAVEPOINT x", "SELECT 1", "RELEASE x"])j", false},
      {R"j(["END"])j", false},
      {R"j(["ROLLBACK"])j", false},
      {R"j([["SELECT * FROM t WHERE id=?", 2]])j", false},
      {R"j(["INSERT INTO t VALUES(9,'z')"])j", false},
  };
  auto options_for = [](const Case& c) {
    ExecOptions o;
    o.transaction = c.transaction;
    return o;
  };
  std::vector<std::string> alone;
  for (const Case& c : cases) {
    alone.push_back(h.query(c.body, options_for(c)));
  }
  std::vector<std::future<Response>> answers;
  auto submit = [&](const std::string& body, ExecOptions o) {
    auto p = std::make_shared<std::promise<Response>>();
    answers.push_back(p->get_future());
    ASSERT_TRUE(h.db().submit_read(Kind::kQuery, DbHarness::parse(body), std::move(o),
                                   [p](Response&& r) { p->set_value(std::move(r)); }));
  };
  // Keeps the reader busy while the rest queue up behind it.
  submit(
      R"j(["WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<300000) SELECT count(*) FROM n"])j",
      {});
  for (int round = 0; round < 20; ++round) {
    for (const Case& c : cases) {
      submit(c.body, options_for(c));
    }
  }
  ASSERT_EQ(answers[0].get().body,
            R"j({"results":[{"columns":["count(*)"],"types":["integer"],"values":[[300000]]}]})j");
  for (size_t i = 1; i < answers.size(); ++i) {
    EXPECT_EQ(answers[i].get().body, alone[(i - 1) % cases.size()])
        << cases[(i - 1) % cases.size()].body;
  }
  // Freshness: a write answered before the read was queued is visible to it.
  h.execute(R"j(["INSERT INTO t VALUES(4,'d')"])j");
  EXPECT_EQ(h.query(R"j(["SELECT count(*) FROM t"])j"),
            R"j({"results":[{"columns":["count(*)"],"types":["integer"],"values":[[4]]}]})j");
}

// A reader that polls for work after a batch and one that sleeps on the condition variable must
// both pick up every read: gaps between serial reads fall inside and outside the poll budget,
// with one reader (so it alternates between the two) and with two (one polls, one sleeps).
TEST(DatabaseReaders, SerialReadsWithGapsAroundThePollBudgetAreAllAnswered) {
  for (int readers : {1, 2}) {
    DatabaseOptions options;
    options.reader_threads = readers;
    options.reader_spin_us = 40;
    DbHarness h(options);
    h.execute(R"j(["CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
                   "INSERT INTO t VALUES(1,'a'),(2,'b')"])j");
    const int gaps_us[] = {0, 10, 35, 60, 500};
    for (int i = 0; i < 250; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(gaps_us[i % 5]));
      auto p = std::make_shared<std::promise<Response>>();
      auto answer = p->get_future();
      ASSERT_TRUE(h.db().submit_read(Kind::kQuery,
                                     DbHarness::parse(R"j(["SELECT v FROM t WHERE id=2"])j"), {},
                                     [p](Response&& r) { p->set_value(std::move(r)); }));
      ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready)
          << "read " << i << " with " << readers << " readers was never picked up";
      EXPECT_EQ(answer.get().body,
                R"j({"results":[{"columns":["v"],"types":["text"],"values":[["b"]]}]})j");
    }
  }
}

}  // namespace
}  // namespace uq::sql::testing
