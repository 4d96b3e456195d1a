#include "tests/raft/linearizability.h"

#include <gtest/gtest.h>

namespace uq::raft::lin {
namespace {

Op w(int64_t v, uint64_t call, uint64_t ret, const char* key = "k") {
  return Op{key, true, v, call, ret};
}
Op r(int64_t v, uint64_t call, uint64_t ret, const char* key = "k") {
  return Op{key, false, v, call, ret};
}

TEST(Linearizability, EmptyAndSequentialHistoriesPass) {
  EXPECT_EQ(check({}).verdict, Verdict::kLinearizable);
  EXPECT_EQ(check({r(0, 1, 2), w(1, 3, 4), r(1, 5, 6), w(2, 7, 8), r(2, 9, 10)}).verdict,
            Verdict::kLinearizable);
}

TEST(Linearizability, StaleReadAfterCompletedWriteFails) {
  Result res = check({w(1, 1, 2), r(0, 3, 4)});
  EXPECT_EQ(res.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(res.key, "k");
}

TEST(Linearizability, ConcurrentReadMaySeeEitherValue) {
  EXPECT_EQ(check({w(1, 1, 10), r(0, 2, 3)}).verdict, Verdict::kLinearizable);
  EXPECT_EQ(check({w(1, 1, 10), r(1, 2, 3)}).verdict, Verdict::kLinearizable);
}

TEST(Linearizability, ReadsMustNotGoBackInTime) {
  // Once a read saw 1, a later read may not see the older 0 (the write is concurrent with both).
  EXPECT_EQ(check({w(1, 1, 100), r(1, 2, 3), r(0, 4, 5)}).verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, ValueNeverWrittenFails) {
  EXPECT_EQ(check({w(1, 1, 2), r(7, 3, 4)}).verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, UnfinishedWriteMayOrMayNotTakeEffect) {
  EXPECT_EQ(check({w(1, 1, kNever), r(0, 2, 3)}).verdict, Verdict::kLinearizable);
  EXPECT_EQ(check({w(1, 1, kNever), r(1, 2, 3)}).verdict, Verdict::kLinearizable);
  // ...but not before it was called.
  EXPECT_EQ(check({r(1, 1, 2), w(1, 3, kNever)}).verdict, Verdict::kNotLinearizable);
}

TEST(Linearizability, UnfinishedReadsAreIgnored) {
  EXPECT_EQ(check({w(1, 1, 2), r(5, 3, kNever)}).verdict, Verdict::kLinearizable);
}

TEST(Linearizability, KeysAreCheckedIndependently) {
  Result res = check({w(1, 1, 2, "a"), r(1, 3, 4, "a"), w(2, 1, 2, "b"), r(0, 3, 4, "b")});
  EXPECT_EQ(res.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(res.key, "b");
}

TEST(Linearizability, OverlappingWritesOrderedByReads) {
  // w1 and w2 overlap; reads see 2 then 1: possible only as w2 < w1, and the final read agrees.
  EXPECT_EQ(check({w(1, 1, 10), w(2, 2, 9), r(2, 11, 12), r(1, 13, 14)}).verdict,
            Verdict::kNotLinearizable);
  EXPECT_EQ(check({w(1, 1, 10), w(2, 2, 9), r(2, 3, 4), r(1, 11, 12)}).verdict,
            Verdict::kLinearizable);
}

TEST(Linearizability, ManyConcurrentOpsStayWithinBudget) {
  History h;
  for (int i = 0; i < 200; ++i) {
    h.push_back(w(i + 1, static_cast<uint64_t>(i), static_cast<uint64_t>(i + 20)));
  }
  h.push_back(r(200, 300, 301));
  EXPECT_EQ(check(h).verdict, Verdict::kLinearizable);
}

}  // namespace
}  // namespace uq::raft::lin
