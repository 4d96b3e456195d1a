// The write path calls inspect() and rewrite() for every statement, so statements without any
// trigger must cost no allocation (spec §7.1 pre-filter). This file replaces the global
// operator new/delete of the test binary to count allocations made on the calling thread.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "sql/rewrite/rewrite.h"

namespace {
thread_local long g_allocations = 0;

void* counted_allocate(size_t size) {
  ++g_allocations;
  void* block = std::malloc(size == 0 ? 1 : size);
  if (block == nullptr) {
    std::abort();  // the test binary has no use for std::bad_alloc
  }
  return block;
}
}  // namespace

void* operator new(size_t size) {
  return counted_allocate(size);
}
void* operator new[](size_t size) {
  return counted_allocate(size);
}
void operator delete(void* block) noexcept {
  std::free(block);
}
void operator delete[](void* block) noexcept {
  std::free(block);
}
void operator delete(void* block, size_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, size_t) noexcept {
  std::free(block);
}

namespace uq::sql::rewrite {
namespace {

uint64_t fixed_random(void*) {
  return 7;
}

TEST(NoAllocation, StatementsWithoutTriggersAllocateNothing) {
  const char* statements[] = {
      "INSERT INTO foo(name, age) VALUES(?, ?)",
      "INSERT INTO foo(id, name) VALUES(2, \"declan\") RETURNING *",
      "UPDATE accounts SET balance = balance - 100, updated_at = CURRENT_TIMESTAMP WHERE id = 7",
      "SELECT * FROM foo WHERE created_date > '2020-01-01' ORDER BY id LIMIT 10",
      "PRAGMA main.journal_mode = WAL; EXPLAIN SELECT 1 -- comment",
      "SELECT random(), datetime('now')",  // triggers, but kinds are turned off below
  };
  const Options off{.random = false, .time = false};
  for (const char* sql : statements) {
    long before = g_allocations;
    Inspection inspection = inspect(sql);
    bool needed = needs_rewrite(sql, off);
    Rewritten rewritten = rewrite(sql, off, fixed_random, nullptr, 2461077.5);
    EXPECT_EQ(g_allocations, before) << sql;
    EXPECT_FALSE(needed);
    EXPECT_FALSE(rewritten.changed);
    (void)inspection;
  }
  for (const char* sql : statements) {
    if (needs_rewrite(sql, {})) {
      continue;
    }
    long before = g_allocations;
    Rewritten rewritten = rewrite(sql, {}, fixed_random, nullptr, 2461077.5);
    EXPECT_EQ(g_allocations, before) << sql;
    EXPECT_FALSE(rewritten.changed);
  }
}

TEST(NoAllocation, CounterSeesAllocations) {
  long before = g_allocations;
  Rewritten rewritten = rewrite("SELECT random() + 1", {}, fixed_random, nullptr, 2461077.5);
  EXPECT_TRUE(rewritten.changed);
  EXPECT_GT(g_allocations, before);  // so the zero above is a measurement, not a broken counter
}

}  // namespace
}  // namespace uq::sql::rewrite
