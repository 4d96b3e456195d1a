#include "wal/group_commit.h"

#include <gtest/gtest.h>
#include <liburing.h>

#include <cstring>

#include "tests/wal/test_util.h"
#include "wal/fault_file_system.h"

namespace uq::wal {
namespace {

using testing::make_entries;

// An appender that records when and how its entries became durable.
struct Appender final : AppendRequest {
  std::vector<Entry> owned;
  std::vector<int>* order = nullptr;
  int id = 0;
  int calls = 0;
  Status status;
  void on_durable(const Status& s) override {
    ++calls;
    status = s;
    order->push_back(id);
  }
};

std::vector<Appender> make_appenders(int count, Index first, std::vector<int>* order) {
  std::vector<Appender> out(count);
  for (int i = 0; i < count; ++i) {
    out[i].owned = make_entries(first + i, 1, 1, 100);
    out[i].entries = out[i].owned;
    out[i].order = order;
    out[i].id = i;
  }
  return out;
}

TEST(GroupCommitter, RequestsQueuedDuringARoundShareTheNextRoundInOrder) {
  GroupCommitter committer;
  std::vector<int> order;
  auto a = make_appenders(5, 1, &order);
  committer.enqueue(&a[0]);
  std::vector<const Entry*> entries;
  committer.start_round(&entries);
  EXPECT_EQ(entries.size(), 1u);
  for (int i = 1; i < 5; ++i) {
    committer.enqueue(&a[i]);
  }
  EXPECT_FALSE(committer.can_start_round());  // one round at a time
  committer.finish_round(Status::ok());
  EXPECT_EQ(order, std::vector<int>({0}));
  committer.start_round(&entries);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0]->index, 2u);
  EXPECT_EQ(entries[3]->index, 5u);
  committer.finish_round(Status::ok());
  EXPECT_EQ(order, std::vector<int>({0, 1, 2, 3, 4}));
  EXPECT_EQ(committer.rounds(), 2u);
}

TEST(GroupCommitter, UpToMaxRoundsRunAtOnceAndFinishOldestFirst) {
  GroupCommitter committer(8u << 20, /*max_rounds=*/2);
  std::vector<int> order;
  auto a = make_appenders(3, 1, &order);
  std::vector<const Entry*> entries;
  committer.enqueue(&a[0]);
  committer.start_round(&entries);
  committer.enqueue(&a[1]);
  EXPECT_TRUE(committer.can_start_round());
  committer.start_round(&entries);
  EXPECT_EQ(committer.rounds_in_flight(), 2u);
  committer.enqueue(&a[2]);
  EXPECT_FALSE(committer.can_start_round());
  EXPECT_EQ(committer.front_request_bytes(), kEntryHeaderSize + 100);
  committer.finish_round(Status::ok());
  EXPECT_EQ(order, std::vector<int>({0}));
  EXPECT_TRUE(committer.can_start_round());
  committer.finish_round(Status::ok());
  EXPECT_EQ(order, std::vector<int>({0, 1}));
}

TEST(GroupCommitter, RoundIsBoundedByBytesButTakesAtLeastOneRequest) {
  GroupCommitter committer(250);
  std::vector<int> order;
  auto a = make_appenders(3, 1, &order);  // 113 bytes each
  for (auto& r : a) {
    committer.enqueue(&r);
  }
  std::vector<const Entry*> entries;
  committer.start_round(&entries);
  EXPECT_EQ(entries.size(), 2u);
  committer.finish_round(Status::ok());
  GroupCommitter tiny(1);
  auto b = make_appenders(1, 1, &order);
  tiny.enqueue(&b[0]);
  tiny.start_round(&entries);
  EXPECT_EQ(entries.size(), 1u);
  tiny.finish_round(Status::ok());
}

TEST(GroupCommitter, FailedRoundFailsItsRequestsAndEveryQueuedOne) {
  GroupCommitter committer;
  std::vector<int> order;
  auto a = make_appenders(3, 1, &order);
  committer.enqueue(&a[0]);
  std::vector<const Entry*> entries;
  committer.start_round(&entries);
  committer.enqueue(&a[1]);
  committer.enqueue(&a[2]);
  committer.finish_round(error(Code::kIoError, "disk"));
  EXPECT_EQ(order, std::vector<int>({0, 1, 2}));
  for (auto& r : a) {
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.status.code(), Code::kIoError);
  }
  EXPECT_FALSE(committer.has_queued());
}

TEST(SyncGroupDriver, OneRoundCoversAllQueuedAppendersWithOneSync) {
  FaultFileSystem fs(3);
  auto log = Log::open(&fs, "/g", LogOptions{});
  ASSERT_TRUE(log.is_ok());
  GroupCommitter committer;
  SyncGroupDriver driver(log->get(), &committer);
  std::vector<int> order;
  auto a = make_appenders(64, 1, &order);
  for (auto& r : a) {
    committer.enqueue(&r);
  }
  uint64_t syncs = fs.syncs();
  ASSERT_TRUE(driver.run_round().is_ok());
  EXPECT_EQ(fs.syncs(), syncs + 1 + 1);  // one for the new segment's header, one for the round
  EXPECT_EQ(order.size(), 64u);
  EXPECT_EQ((*log)->durable_index(), 64u);
  EXPECT_EQ((*log)->read(1, 65, SIZE_MAX)->size(), 64u);
}

TEST(SyncGroupDriver, AppendFailureReachesEveryAppender) {
  FaultFileSystem fs(3);
  auto log = Log::open(&fs, "/g", LogOptions{});
  GroupCommitter committer;
  SyncGroupDriver driver(log->get(), &committer);
  std::vector<int> order;
  auto a = make_appenders(2, 5, &order);  // index 5 on an empty log: rejected
  committer.enqueue(&a[0]);
  committer.enqueue(&a[1]);
  driver.drain();
  EXPECT_EQ(a[0].status.code(), Code::kInvalidArgument);
  EXPECT_EQ(a[1].status.code(), Code::kInvalidArgument);
}

// Reaps CQEs until the committer is idle; bounded in count.
void reap_until_idle(io_uring* ring, GroupCommitter* committer) {
  for (int i = 0; i < 100000 && (committer->in_flight() || committer->has_queued()); ++i) {
    io_uring_cqe* cqe = nullptr;
    ASSERT_EQ(io_uring_wait_cqe(ring, &cqe), 0);
    auto* completion = static_cast<core::Completion*>(io_uring_cqe_get_data(cqe));
    int32_t res = cqe->res;
    uint32_t flags = cqe->flags;
    io_uring_cqe_seen(ring, cqe);
    completion->complete(res, flags);
  }
}

TEST(UringGroupDriver, AppendersQueuedDuringAFlushAreCoveredByTheNextAndSurviveReopen) {
  io_uring ring;
  int rc = io_uring_queue_init(64, &ring, 0);
  if (rc < 0) {
    GTEST_SKIP() << "io_uring_queue_init: " << strerror(-rc);
  }
  testing::TempDir dir;
  {
    auto log =
        Log::open(posix_file_system(), dir.path() + "/raft", LogOptions{.segment_bytes = 1 << 20});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    GroupCommitter committer;
    UringGroupDriver driver(log->get(), &committer, &ring);
    std::vector<int> order;
    auto a = make_appenders(50, 1, &order);
    committer.enqueue(&a[0]);
    driver.poke();
    EXPECT_TRUE(committer.in_flight());
    for (int i = 1; i < 50; ++i) {
      committer.enqueue(&a[i]);
      driver.poke();  // no effect while the first round is in flight
    }
    reap_until_idle(&ring, &committer);
    EXPECT_EQ(committer.rounds(), 2u);
    ASSERT_EQ(order.size(), 50u);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(order[i], i);
      EXPECT_TRUE(a[i].status.is_ok()) << a[i].status.to_string();
    }
    EXPECT_EQ((*log)->durable_index(), 50u);
  }
  io_uring_queue_exit(&ring);
  auto log =
      Log::open(posix_file_system(), dir.path() + "/raft", LogOptions{.segment_bytes = 1 << 20});
  ASSERT_TRUE(log.is_ok());
  auto all = (*log)->read(1, 51, SIZE_MAX);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 50u);
  EXPECT_EQ((*all)[49], make_entries(50, 1, 1, 100)[0]);
}

// Several rounds in flight at once, across segment rotations (which wait for the frames in
// flight): every appender is durable in order and the log reopens with every entry.
TEST(UringGroupDriver, PipelinedRoundsStayInOrderAcrossRotationsAndSurviveReopen) {
  io_uring ring;
  int rc = io_uring_queue_init(64, &ring, 0);
  if (rc < 0) {
    GTEST_SKIP() << "io_uring_queue_init: " << strerror(-rc);
  }
  testing::TempDir dir;
  constexpr int kCount = 200;
  {
    auto log = Log::open(posix_file_system(), dir.path(), LogOptions{.segment_bytes = 4096});
    ASSERT_TRUE(log.is_ok());
    GroupCommitter committer(8u << 20, /*max_rounds=*/3);
    UringGroupDriver driver(log->get(), &committer, &ring);
    std::vector<int> order;
    auto a = make_appenders(kCount, 1, &order);
    size_t most_in_flight = 0;
    for (auto& r : a) {
      committer.enqueue(&r);
      driver.poke();
      most_in_flight = std::max(most_in_flight, committer.rounds_in_flight());
    }
    reap_until_idle(&ring, &committer);
    EXPECT_GT(most_in_flight, 1u);
    ASSERT_EQ(order.size(), static_cast<size_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
      EXPECT_EQ(order[i], i);
      EXPECT_TRUE(a[i].status.is_ok()) << a[i].status.to_string();
    }
    EXPECT_GT((*log)->segment_count(), 3u);
    EXPECT_EQ((*log)->durable_index(), static_cast<Index>(kCount));
  }
  io_uring_queue_exit(&ring);
  auto log = Log::open(posix_file_system(), dir.path(), LogOptions{.segment_bytes = 4096});
  ASSERT_TRUE(log.is_ok());
  auto all = (*log)->read(1, kCount + 1, SIZE_MAX);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kCount));
  EXPECT_EQ((*all)[kCount - 1], make_entries(kCount, 1, 1, 100)[0]);
}

TEST(SyncGroupDriver, RoundsNeverExceedWhatOneSegmentHolds) {
  FaultFileSystem fs(3);
  auto log = Log::open(&fs, "/g", LogOptions{.segment_bytes = 4096});
  GroupCommitter committer;
  SyncGroupDriver driver(log->get(), &committer);
  std::vector<int> order;
  auto a = make_appenders(100, 1, &order);  // 11 KiB in all, 4 KiB segments
  for (auto& r : a) {
    committer.enqueue(&r);
  }
  driver.drain();
  for (auto& r : a) {
    EXPECT_TRUE(r.status.is_ok()) << r.status.to_string();
  }
  EXPECT_GE(committer.rounds(), 3u);
  EXPECT_EQ((*log)->durable_index(), 100u);
}

TEST(UringGroupDriver, RotatesSegmentsAcrossRounds) {
  io_uring ring;
  int rc = io_uring_queue_init(8, &ring, 0);
  if (rc < 0) {
    GTEST_SKIP() << "io_uring_queue_init: " << strerror(-rc);
  }
  testing::TempDir dir;
  auto log = Log::open(posix_file_system(), dir.path(), LogOptions{.segment_bytes = 4096});
  ASSERT_TRUE(log.is_ok());
  GroupCommitter committer;
  UringGroupDriver driver(log->get(), &committer, &ring);
  std::vector<int> order;
  auto a = make_appenders(60, 1, &order);
  for (auto& r : a) {
    committer.enqueue(&r);
    driver.poke();
    reap_until_idle(&ring, &committer);
  }
  EXPECT_EQ(order.size(), 60u);
  EXPECT_GT((*log)->segment_count(), 1u);
  EXPECT_EQ((*log)->durable_index(), 60u);
  io_uring_queue_exit(&ring);
}

}  // namespace
}  // namespace uq::wal
