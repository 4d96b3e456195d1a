// Group commit on the apply thread: per-request atomicity inside one SQLite transaction, recovery
// when SQLite rolls the group back, requests that must run alone, bounded queues, reads during
// writes. A "blocker" request whose `done` waits on a latch holds the apply thread so that the
// following requests are guaranteed to land in one batch.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/sql/db_harness.h"

namespace uq::sql::testing {
namespace {

std::string ok_result(int64_t id) {
  return R"j({"last_insert_id":)j" + std::to_string(id) + R"j(,"rows_affected":1})j";
}
const std::string kDup = R"j({"error":"UNIQUE constraint failed: t.id"})j";
std::string insert(int64_t id) {
  return "\"INSERT INTO t(id) VALUES(" + std::to_string(id) + ")\"";
}

TEST(GroupCommit, InterleavedFailingRequestsKeepTheirOwnAtomicity) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t(id) VALUES(1)"])j");
  uint64_t commits_before = h.db().stats().group_commits;
  Blocker blocker(h);
  Pending pending;
  ExecOptions txn;
  txn.transaction = true;
  constexpr int kRequests = 90;
  for (int k = 0; k < kRequests; ++k) {
    if (k % 3 == 0) {
      pending.submit(h, "[" + insert(1000 + k) + "," + insert(1) + "," + insert(5000 + k) + "]",
                     txn);
    } else if (k % 3 == 1) {
      pending.submit(h, "[" + insert(2000 + k) + "," + insert(1) + "," + insert(3000 + k) + "]");
    } else {
      pending.submit(h, "[" + insert(4000 + k) + "]");
    }
  }
  blocker.release();
  std::vector<std::string> bodies = pending.wait();
  for (int k = 0; k < kRequests; ++k) {
    std::string expected;
    if (k % 3 == 0) {
      expected = "{\"results\":[" + ok_result(1000 + k) + "," + kDup + "]}";
    } else if (k % 3 == 1) {
      expected =
          "{\"results\":[" + ok_result(2000 + k) + "," + kDup + "," + ok_result(3000 + k) + "]}";
    } else {
      expected = "{\"results\":[" + ok_result(4000 + k) + "]}";
    }
    EXPECT_EQ(bodies[k], expected) << "request " << k;
  }
  // Blocker's own commit + exactly one group for all 90 requests.
  EXPECT_EQ(h.db().stats().group_commits - commits_before, 2u);
  std::string ids;
  for (int k = 0; k < kRequests; ++k) {
    if (k % 3 == 1) {
      ids += "," + std::to_string(2000 + k) + "," + std::to_string(3000 + k);
    } else if (k % 3 == 2) {
      ids += "," + std::to_string(4000 + k);
    }
  }
  EXPECT_EQ(
      h.query(
          R"j(["SELECT COUNT(*), SUM(id) FROM t WHERE id >= 1000 AND id < 2000 OR id >= 5000"])j"),
      R"j({"results":[{"columns":["COUNT(*)","SUM(id)"],"types":["integer",""],"values":[[0,null]]}]})j");
  int64_t expected_sum = 1;
  int expected_count = 1;
  for (int k = 0; k < kRequests; ++k) {
    if (k % 3 == 1) {
      expected_sum += 2000 + k + 3000 + k;
      expected_count += 2;
    } else if (k % 3 == 2) {
      expected_sum += 4000 + k;
      expected_count += 1;
    }
  }
  EXPECT_EQ(
      h.query(R"j(["SELECT COUNT(*), SUM(id) FROM t"])j"),
      R"j({"results":[{"columns":["COUNT(*)","SUM(id)"],"types":["integer","integer"],"values":[[)j" +
          std::to_string(expected_count) + "," + std::to_string(expected_sum) + "]]}]}");
}

TEST(GroupCommit, SqliteRollingBackTheGroupLosesNoOtherRequest) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t(id) VALUES(1)"])j");
  Blocker blocker(h);
  Pending pending;
  pending.submit(h, "[" + insert(10) + "]");
  // ON CONFLICT ROLLBACK undoes the enclosing transaction: the whole group.
  pending.submit(h, R"j(["INSERT OR ROLLBACK INTO t(id) VALUES(1)"])j");
  pending.submit(h, "[" + insert(11) + "]");
  blocker.release();
  std::vector<std::string> bodies = pending.wait();
  EXPECT_EQ(bodies[0], "{\"results\":[" + ok_result(10) + "]}");
  EXPECT_EQ(bodies[1], "{\"results\":[" + kDup + "]}");
  EXPECT_EQ(bodies[2], "{\"results\":[" + ok_result(11) + "]}");
  EXPECT_EQ(h.db().stats().group_recoveries, 1u);
  EXPECT_EQ(h.query(R"j(["SELECT id FROM t ORDER BY id"])j"),
            R"j({"results":[{"columns":["id"],"types":["integer"],"values":[[1],[10],[11]]}]})j");
}

TEST(GroupCommit, StatementsThatNeedAutocommitRunAlone) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY)"])j");
  Blocker blocker(h);
  Pending pending;
  ExecOptions txn;
  txn.transaction = true;
  pending.submit(h, "[" + insert(20) + "]");
  pending.submit(h, "[\"BEGIN\"," + insert(21) + ",\"COMMIT\"]");
  pending.submit(h, R"j(["VACUUM"])j");
  pending.submit(h, R"j(["PRAGMA foreign_keys=ON"])j");
  pending.submit(h, "[" + insert(22) + "]", txn);
  blocker.release();
  std::vector<std::string> bodies = pending.wait();
  EXPECT_EQ(bodies[0], "{\"results\":[" + ok_result(20) + "]}");
  EXPECT_EQ(bodies[1],
            "{\"results\":[" + ok_result(20) + "," + ok_result(21) + "," + ok_result(21) + "]}");
  EXPECT_EQ(bodies[2], "{\"results\":[" + ok_result(21) + "]}");
  EXPECT_EQ(bodies[3], "{\"results\":[" + ok_result(21) + "]}");
  EXPECT_EQ(bodies[4], "{\"results\":[" + ok_result(22) + "]}");
  EXPECT_EQ(h.query(R"j(["SELECT id FROM t ORDER BY id"])j"),
            R"j({"results":[{"columns":["id"],"types":["integer"],"values":[[20],[21],[22]]}]})j");
}

TEST(GroupCommit, FullQueueRefusesWithoutCallingDone) {
  DatabaseOptions options;
  options.apply_queue_capacity = 4;
  DbHarness h(options);
  Blocker blocker(h);
  std::atomic<int> done_calls{0};
  int accepted = 0;
  for (int i = 0; i < 10; ++i) {
    if (h.db().submit_write(Kind::kExecute, request_from_sql("SELECT 1"), {},
                            [&done_calls](Response&&) { done_calls++; })) {
      ++accepted;
    }
  }
  EXPECT_EQ(accepted, 4);
  blocker.release();
  h.db().close();
  EXPECT_EQ(done_calls.load(), 4);
  EXPECT_FALSE(
      h.db().submit_write(Kind::kExecute, request_from_sql("SELECT 1"), {}, [](Response&&) {}));
}

TEST(GroupCommit, ReadsRunConcurrentlyWithWritesAndSeeCommittedStateOnly) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)"])j");
  constexpr int kWrites = 300;
  std::thread writer([&h] {
    Pending pending;
    for (int i = 1; i <= kWrites; ++i) {
      // Each request inserts two rows atomically: readers must never see an odd count.
      ExecOptions txn;
      txn.transaction = true;
      pending.submit(h, "[" + insert(2 * i) + "," + insert(2 * i + 1) + "]", txn);
    }
    pending.wait();
  });
  int64_t last = -1;
  for (int i = 0; i < 300; ++i) {
    std::string body = h.query(R"j(["SELECT COUNT(*) FROM t"])j");
    size_t at = body.find("[[");
    ASSERT_NE(at, std::string::npos) << body;
    int64_t count = std::stoll(body.substr(at + 2));
    EXPECT_EQ(count % 2, 0) << body;
    EXPECT_GE(count, last);
    last = count;
  }
  writer.join();
  EXPECT_EQ(h.query(R"j(["SELECT COUNT(*) FROM t"])j"),
            R"j({"results":[{"columns":["COUNT(*)"],"types":["integer"],"values":[[600]]}]})j");
}

TEST(GroupCommit, CloseDrainsEveryAcceptedRequest) {
  DbHarness h;
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY)"])j");
  std::atomic<int> done_calls{0};
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(h.db().submit_write(Kind::kExecute, DbHarness::parse("[" + insert(i + 1) + "]"), {},
                                    [&done_calls](Response&&) { done_calls++; }));
    ASSERT_TRUE(h.db().submit_read(Kind::kQuery, request_from_sql("SELECT 1"), {},
                                   [&done_calls](Response&&) { done_calls++; }));
  }
  h.db().close();
  EXPECT_EQ(done_calls.load(), 400);
}

TEST(GroupCommit, DataSurvivesReopen) {
  char tmpl[] = "/tmp/uq_sql_reopen_XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  DatabaseOptions options;
  options.path = dir + "/db.sqlite";
  {
    auto db = Database::open(options);
    ASSERT_TRUE(db.is_ok());
    std::promise<void> p;
    ASSERT_TRUE((*db)->submit_write(
        Kind::kExecute, DbHarness::parse(R"j(["CREATE TABLE t (a)", "INSERT INTO t VALUES(7)"])j"),
        {}, [&p](Response&&) { p.set_value(); }));
    p.get_future().wait();
  }
  auto db = Database::open(options);
  ASSERT_TRUE(db.is_ok());
  std::promise<std::string> p;
  ASSERT_TRUE((*db)->submit_read(Kind::kQuery, request_from_sql("SELECT a FROM t"), {},
                                 [&p](Response&& r) { p.set_value(r.body); }));
  EXPECT_EQ(p.get_future().get(),
            R"j({"results":[{"columns":["a"],"types":["integer"],"values":[[7]]}]})j");
  (*db)->close();
  std::filesystem::remove_all(dir);
}

TEST(Stats, PragmasAreReportedAsRqliteDoes) {
  DbHarness h;
  DatabaseStats s = h.db().stats();
  std::vector<std::pair<std::string, std::string>> rw = {{"busy_timeout", "5000"},
                                                         {"foreign_keys", "0"},
                                                         {"journal_mode", "wal"},
                                                         {"synchronous", "2"},
                                                         {"wal_autocheckpoint", "0"}};
  EXPECT_EQ(s.rw_pragmas, rw);
  rw[4].second = "1000";
  EXPECT_EQ(s.ro_pragmas, rw);
}

}  // namespace
}  // namespace uq::sql::testing
