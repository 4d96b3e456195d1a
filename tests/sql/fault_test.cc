// I/O errors injected under SQLite (test VFS): requests fail with SQLite's message, nothing
// acknowledged is lost, nothing failed is visible, and the database works once the fault clears.
#include <gtest/gtest.h>

#include "tests/sql/db_harness.h"
#include "tests/sql/fault_vfs.h"

namespace uq::sql::testing {
namespace {

std::string insert_body(int id) {
  return "[\"INSERT INTO t(id) VALUES(" + std::to_string(id) + ")\"]";
}

// Submits `n` grouped inserts while the fault is armed; returns the ids acknowledged OK.
std::vector<int> insert_under_fault(DbHarness& h, int first_id, int n, std::atomic<int>* fault,
                                    int code, std::vector<std::string>* bodies) {
  Blocker blocker(h);
  Pending pending;
  ExecOptions txn;
  txn.transaction = true;
  for (int i = 0; i < n; ++i) {
    pending.submit(h, insert_body(first_id + i), i % 2 == 0 ? ExecOptions{} : txn);
  }
  fault->store(code);
  blocker.release();
  *bodies = pending.wait();
  fault->store(0);
  std::vector<int> acked;
  for (int i = 0; i < n; ++i) {
    if ((*bodies)[i].find("\"error\"") == std::string::npos) {
      acked.push_back(first_id + i);
    }
  }
  return acked;
}

std::string ids_json(const std::vector<int>& ids) {
  std::string out;
  for (int id : ids) {
    out += (out.empty() ? "[" : ",[") + std::to_string(id) + "]";
  }
  return out;
}

class FaultTest : public ::testing::TestWithParam<int> {};

TEST_P(FaultTest, AcknowledgedWritesSurviveAndFailedOnesVanish) {
  FaultVfs::install();
  DbHarness h({}, "uqfault");
  h.execute(R"j(["CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t(id) VALUES(1)"])j");
  bool sync_fault = GetParam() == SQLITE_IOERR_FSYNC;
  std::atomic<int>* fault = sync_fault ? &FaultVfs::sync_error : &FaultVfs::write_error;
  int injected_before = FaultVfs::injected.load();
  std::vector<std::string> bodies;
  std::vector<int> acked = insert_under_fault(h, 100, 10, fault, GetParam(), &bodies);
  EXPECT_GT(FaultVfs::injected.load(), injected_before);
  EXPECT_TRUE(acked.empty()) << bodies[0];
  const char* message = GetParam() == SQLITE_FULL ? "database or disk is full" : "disk I/O error";
  for (size_t i = 0; i < bodies.size(); ++i) {
    // Plain requests: the statement fails. `transaction` requests: COMMIT fails, which fails the
    // whole request (envelope error), as in rqlite.
    std::string expected = i % 2 == 0
                               ? std::string(R"j({"results":[{"error":")j") + message + "\"}]}"
                               : std::string(R"j({"results":[],"error":")j") + message + "\"}";
    EXPECT_EQ(bodies[i], expected) << i;
  }
  // The fault is gone: writes work again and only acknowledged rows exist.
  EXPECT_EQ(h.execute(insert_body(200)),
            R"j({"results":[{"last_insert_id":200,"rows_affected":1}]})j");
  std::vector<int> expected = {1};
  expected.insert(expected.end(), acked.begin(), acked.end());
  expected.push_back(200);
  EXPECT_EQ(h.query(R"j(["SELECT id FROM t ORDER BY id"])j"),
            R"j({"results":[{"columns":["id"],"types":["integer"],"values":[)j" +
                ids_json(expected) + "]}]}");
}

INSTANTIATE_TEST_SUITE_P(Codes, FaultTest,
                         ::testing::Values(SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC));

}  // namespace
}  // namespace uq::sql::testing
