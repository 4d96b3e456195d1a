#include "wal/log.h"

#include <gtest/gtest.h>

#include "tests/wal/test_util.h"
#include "wal/fault_file_system.h"

namespace uq::wal {
namespace {

using testing::make_entries;

constexpr const char* kDir = "/data/raft";

// What begin_append takes: pointers into entries the caller keeps.
std::vector<const Entry*> pointers_to(const std::vector<Entry>& entries) {
  std::vector<const Entry*> out;
  for (const Entry& e : entries) {
    out.push_back(&e);
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> open_log() {
    auto log = Log::open(&fs_, kDir, options_);
    EXPECT_TRUE(log.is_ok()) << (log.is_ok() ? "" : log.status().to_string());
    return log.is_ok() ? std::move(*log) : nullptr;
  }
  std::vector<Entry> read_all(Log* log) {
    auto r = log->read(log->first_index(), log->last_index() + 1, SIZE_MAX);
    EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.status().to_string());
    return r.is_ok() ? *r : std::vector<Entry>{};
  }

  FaultFileSystem fs_{1};
  LogOptions options_{.segment_bytes = 64 << 10, .cache_bytes = 1 << 20};
};

TEST_F(LogTest, EmptyLogStartsAtIndexOne) {
  auto log = open_log();
  EXPECT_EQ(log->first_index(), 1u);
  EXPECT_EQ(log->last_index(), 0u);
  EXPECT_EQ(*log->term_at(0), 0u);
  EXPECT_FALSE(log->term_at(1).is_ok());
}

TEST_F(LogTest, AppendedEntriesReadBackAndSurviveReopen) {
  auto log = open_log();
  auto a = make_entries(1, 10, 1, 100);
  auto b = make_entries(11, 5, 2, 2000, true);
  ASSERT_TRUE(log->append(a).is_ok());
  ASSERT_TRUE(log->append(b).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  EXPECT_EQ(log->last_index(), 15u);
  EXPECT_EQ(log->durable_index(), 15u);
  EXPECT_EQ(*log->term_at(10), 1u);
  EXPECT_EQ(*log->term_at(11), 2u);
  auto all = a;
  all.insert(all.end(), b.begin(), b.end());
  EXPECT_EQ(read_all(log.get()), all);
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 15u);
  EXPECT_EQ(*log->term_at(11), 2u);
  EXPECT_EQ(read_all(log.get()), all);  // from disk this time: the cache starts empty
}

TEST_F(LogTest, FrameWithTermChangeKeepsExactTermsAfterReopen) {
  auto log = open_log();
  auto e = make_entries(1, 6, 1, 10);
  e[3].term = e[4].term = 3;
  e[5].term = 4;
  ASSERT_TRUE(log->append(e).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(*log->term_at(3), 1u);
  EXPECT_EQ(*log->term_at(4), 3u);
  EXPECT_EQ(*log->term_at(5), 3u);
  EXPECT_EQ(*log->term_at(6), 4u);
}

TEST_F(LogTest, NonContiguousOrLowerTermAppendIsRejectedAndLogUnchanged) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 3, 2, 10)).is_ok());
  Status gap = log->append(make_entries(5, 1, 2, 10));
  EXPECT_EQ(gap.code(), Code::kInvalidArgument);
  Status lower = log->append(make_entries(4, 1, 1, 10));
  EXPECT_EQ(lower.code(), Code::kInvalidArgument);
  EXPECT_EQ(log->last_index(), 3u);
  EXPECT_TRUE(log->append(make_entries(4, 1, 2, 10)).is_ok());
}

TEST_F(LogTest, ReadRespectsMaxBytesButReturnsAtLeastOneEntry) {
  options_.cache_bytes = 0;  // force disk reads
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 10, 1, 100)).is_ok());
  auto one = log->read(1, 11, 10);
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ(one->size(), 1u);
  auto three = log->read(2, 11, 350);
  ASSERT_TRUE(three.is_ok());
  ASSERT_EQ(three->size(), 3u);
  EXPECT_EQ((*three)[0].index, 2u);
  EXPECT_EQ(log->read(0, 2, 100).status().code(), Code::kNotFound);
  EXPECT_EQ(log->read(5, 12, 100).status().code(), Code::kInvalidArgument);
}

TEST_F(LogTest, SegmentsRotateWhenFullAndReopenAcrossThem) {
  auto log = open_log();
  Index next = 1;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log->append(make_entries(next, 4, 1, 1000)).is_ok());
    next += 4;
  }
  ASSERT_TRUE(log->sync().is_ok());
  EXPECT_GT(log->segment_count(), 2u);
  auto before = read_all(log.get());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), next - 1);
  EXPECT_EQ(read_all(log.get()), before);
}

TEST_F(LogTest, TruncateSuffixInsideAFrameKeepsTheEarlierEntries) {
  auto log = open_log();
  auto a = make_entries(1, 10, 1, 50);
  ASSERT_TRUE(log->append(a).is_ok());
  ASSERT_TRUE(log->truncate_suffix(6).is_ok());
  EXPECT_EQ(log->last_index(), 5u);
  EXPECT_EQ(log->durable_index(), 5u);
  auto b = make_entries(6, 3, 2, 70);
  ASSERT_TRUE(log->append(b).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  std::vector<Entry> want(a.begin(), a.begin() + 5);
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(read_all(log.get()), want);
  log.reset();
  log = open_log();
  EXPECT_EQ(read_all(log.get()), want);
  EXPECT_EQ(*log->term_at(6), 2u);
}

TEST_F(LogTest, TruncateOutsideTheLogIsRejected) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 3, 1, 10)).is_ok());
  EXPECT_EQ(log->truncate_suffix(5).code(), Code::kInvalidArgument);
  EXPECT_TRUE(log->truncate_suffix(4).is_ok());  // nothing to do
  EXPECT_EQ(log->last_index(), 3u);
}

TEST_F(LogTest, CompactPrefixDeletesWholeSegmentsAndRemembersFirstIndex) {
  auto log = open_log();
  Index next = 1;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log->append(make_entries(next, 4, 1, 1000)).is_ok());
    next += 4;
  }
  ASSERT_TRUE(log->sync().is_ok());
  size_t segments = log->segment_count();
  ASSERT_TRUE(log->compact_prefix(100, 1).is_ok());
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_EQ(log->first_index(), 101u);
  EXPECT_EQ(*log->term_at(100), 1u);
  EXPECT_EQ(log->read(99, 101, 100).status().code(), Code::kNotFound);
  auto tail = log->read(101, next, SIZE_MAX);
  ASSERT_TRUE(tail.is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->first_index(), 101u);
  EXPECT_EQ(log->last_index(), next - 1);
  EXPECT_EQ(*log->read(101, next, SIZE_MAX), *tail);
}

TEST_F(LogTest, CompactPrefixWithWrongTermIsRejected) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 3, 2, 10)).is_ok());
  EXPECT_EQ(log->compact_prefix(2, 1).code(), Code::kInvalidArgument);
  EXPECT_EQ(log->first_index(), 1u);
}

TEST_F(LogTest, CompactPastTheEndEmptiesTheLogAndAppendsContinueAfterIt) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 5, 1, 10)).is_ok());
  ASSERT_TRUE(log->compact_prefix(50, 3).is_ok());
  EXPECT_EQ(log->first_index(), 51u);
  EXPECT_EQ(log->last_index(), 50u);
  EXPECT_EQ(*log->term_at(50), 3u);
  EXPECT_EQ(log->append(make_entries(6, 1, 3, 10)).code(), Code::kInvalidArgument);
  auto e = make_entries(51, 3, 3, 10);
  ASSERT_TRUE(log->append(e).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->first_index(), 51u);
  EXPECT_EQ(read_all(log.get()), e);
  EXPECT_EQ(log->segment_count(), 1u);  // the old segment lay wholly below the compaction point
}

TEST_F(LogTest, CompactPastTheEndSurvivesReopenBeforeAnyAppend) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 5, 1, 10)).is_ok());
  ASSERT_TRUE(log->compact_prefix(50, 3).is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->first_index(), 51u);
  EXPECT_EQ(log->last_index(), 50u);
  ASSERT_TRUE(log->append(make_entries(51, 2, 3, 10)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 52u);
}

TEST_F(LogTest, NoSpaceFailsClearlyAndAppendsWorkOnceSpaceReturns) {
  options_.segment_bytes = 8192;
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 1, 1, 100)).is_ok());
  fs_.set_space_limit(20000);  // room for the meta files and this segment, not another
  Index next = 2;
  Status status;
  for (int i = 0; i < 20 && status.is_ok(); ++i) {
    status = log->append(make_entries(next, 1, 1, 1000));
    if (status.is_ok()) {
      ++next;
    }
  }
  ASSERT_EQ(status.code(), Code::kNoSpace) << status.to_string() << " after " << next;
  EXPECT_EQ(log->last_index(), next - 1);
  EXPECT_TRUE(log->sync().is_ok());
  EXPECT_EQ(log->read(1, next, SIZE_MAX)->size(), next - 1);
  fs_.set_space_limit(0);
  ASSERT_TRUE(log->append(make_entries(next, 1, 1, 1000)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), next);
}

TEST_F(LogTest, InjectedWriteNoSpaceLeavesLogUsable) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 2, 1, 100)).is_ok());
  fs_.fail_write(fs_.writes() + 1, FaultFileSystem::Fault::kNoSpace);
  EXPECT_EQ(log->append(make_entries(3, 2, 1, 100)).code(), Code::kNoSpace);
  EXPECT_EQ(log->last_index(), 2u);
  auto e = make_entries(3, 1, 1, 30);
  ASSERT_TRUE(log->append(e).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 3u);
  EXPECT_EQ(read_all(log.get()).back(), e[0]);
}

TEST_F(LogTest, ShortWriteDoesNotResurrectTheFailedAppendAfterReopen) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 2, 1, 100)).is_ok());
  fs_.fail_write(fs_.writes() + 1, FaultFileSystem::Fault::kShortWrite);
  EXPECT_EQ(log->append(make_entries(3, 5, 1, 100)).code(), Code::kIoError);
  ASSERT_TRUE(log->sync().is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 2u);
}

TEST_F(LogTest, FailedSyncPoisonsTheLogUntilReopen) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 2, 1, 100)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  ASSERT_TRUE(log->append(make_entries(3, 2, 1, 100)).is_ok());
  fs_.fail_sync(fs_.syncs() + 1);
  EXPECT_EQ(log->sync().code(), Code::kIoError);
  EXPECT_FALSE(log->append(make_entries(5, 1, 1, 10)).is_ok());
  EXPECT_FALSE(log->failure().is_ok());
  log.reset();
  log = open_log();
  EXPECT_TRUE(log->append(make_entries(log->last_index() + 1, 1, 1, 10)).is_ok());
}

TEST_F(LogTest, PipelinedFramesRetireInOrderAndSurviveReopen) {
  auto log = open_log();
  auto first = make_entries(1, 3, 1, 100);
  auto second = make_entries(4, 2, 2, 100);
  std::vector<const Entry*> a = pointers_to(first);
  std::vector<const Entry*> b = pointers_to(second);
  auto pa = log->begin_append(a);
  ASSERT_TRUE(pa.is_ok());
  EXPECT_LT(log->append_room(), log->max_batch_bytes());
  auto pb = log->begin_append(b);  // placed right behind the first, before it is written
  ASSERT_TRUE(pb.is_ok());
  EXPECT_EQ(pb->offset, pa->offset + pa->size);
  EXPECT_EQ(log->in_flight(), 2u);
  EXPECT_EQ(log->last_index(), 0u);  // nothing retired yet
  ASSERT_TRUE(pb->file->write(pb->data, pb->size, pb->offset).is_ok());
  ASSERT_TRUE(pa->file->write(pa->data, pa->size, pa->offset).is_ok());
  ASSERT_TRUE(pa->file->sync().is_ok());
  log->end_append(Status::ok());
  log->note_synced();
  EXPECT_EQ(log->durable_index(), 3u);
  log->end_append(Status::ok());
  log->note_synced();
  EXPECT_EQ(log->durable_index(), 5u);
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 5u);
  EXPECT_EQ(read_all(log.get()).back(), second.back());
}

// The crash pipelining allows: a later frame landed, the one before it did not. The later
// frame's header records a synced offset before the hole, so recovery sees a torn tail (and
// drops both), never damage that refuses to open.
TEST_F(LogTest, PipelinedFrameLandedBehindAHoleIsATornTailAfterACrash) {
  auto log = open_log();
  ASSERT_TRUE(log->append(make_entries(1, 2, 1, 100)).is_ok());
  ASSERT_TRUE(log->sync().is_ok());
  auto first = make_entries(3, 2, 1, 100);
  auto second = make_entries(5, 2, 1, 100);
  std::vector<const Entry*> a = pointers_to(first);
  std::vector<const Entry*> b = pointers_to(second);
  auto pa = log->begin_append(a);
  auto pb = log->begin_append(b);
  ASSERT_TRUE(pa.is_ok() && pb.is_ok());
  ASSERT_TRUE(pb->file->write(pb->data, pb->size, pb->offset).is_ok());
  ASSERT_TRUE(pb->file->sync().is_ok());
  log.reset();  // crash: the first frame never reached the file
  log = open_log();
  EXPECT_EQ(log->last_index(), 2u);
  EXPECT_TRUE(log->append(make_entries(3, 1, 1, 10)).is_ok());
}

TEST_F(LogTest, FailedWriteWithFramesInFlightBehindItPoisonsTheLog) {
  auto log = open_log();
  auto first = make_entries(1, 2, 1, 100);
  auto second = make_entries(3, 2, 1, 100);
  std::vector<const Entry*> a = pointers_to(first);
  std::vector<const Entry*> b = pointers_to(second);
  ASSERT_TRUE(log->begin_append(a).is_ok());
  auto pb = log->begin_append(b);
  ASSERT_TRUE(pb.is_ok());
  ASSERT_TRUE(pb->file->write(pb->data, pb->size, pb->offset).is_ok());
  log->end_append(error(Code::kIoError, "injected"));
  EXPECT_FALSE(log->failure().is_ok());
  log->end_append(Status::ok());
  EXPECT_FALSE(log->append(make_entries(5, 1, 1, 10)).is_ok());
  log.reset();
  log = open_log();
  EXPECT_EQ(log->last_index(), 0u);
}

TEST_F(LogTest, OversizedBatchIsRejected) {
  options_.segment_bytes = 8192;
  auto log = open_log();
  EXPECT_EQ(log->append(make_entries(1, 1, 1, 9000)).code(), Code::kTooLarge);
  EXPECT_EQ(log->last_index(), 0u);
}

// Completes the header of a frame FrameEncoder::encode() left in `out` and decodes it back.
std::vector<Entry> decode_encoded_frame(FrameHeader h, std::vector<uint8_t>* out) {
  h.synced_offset = 64;
  encode_frame_header(h, out->data());
  auto decoded = decode_frame(out->data(), out->size());
  EXPECT_TRUE(decoded.is_ok());
  std::vector<Entry> back;
  if (decoded.is_ok()) {
    FrameDecoder decoder;
    EXPECT_TRUE(
        decoder.decode(*decoded, out->data() + kFrameHeaderSize, 0, UINT64_MAX, &back).is_ok());
  }
  return back;
}

TEST_F(LogTest, SmallBatchesStayRawAndLargeRepetitiveOnesCompress) {
  FrameEncoder encoder(512, 1);
  std::vector<uint8_t> out;
  auto small = make_entries(1, 2, 1, 50, true);
  std::vector<const Entry*> p{&small[0], &small[1]};
  EXPECT_FALSE(encoder.encode(p, &out).compressed());
  auto big = make_entries(1, 20, 1, 200, true);
  std::vector<const Entry*> q;
  for (auto& e : big) {
    q.push_back(&e);
  }
  FrameHeader h = encoder.encode(q, &out);
  EXPECT_TRUE(h.compressed());
  EXPECT_LT(h.stored_length, h.raw_length / 4);
  auto random = make_entries(1, 1, 1, 2000, false);
  std::vector<const Entry*> r{&random[0]};
  h = encoder.encode(r, &out);
  EXPECT_FALSE(h.compressed());  // stored raw when zstd does not pay
  EXPECT_EQ(h.stored_length, h.raw_length);
  EXPECT_EQ(decode_encoded_frame(h, &out), random);
}

// After a batch that zstd could not shrink, the next ones are stored raw without trying, for a
// window that doubles up to kMaxSkippedFrames; the first batch that shrinks resets it.
TEST_F(LogTest, CompressionIsNotRetriedOnEveryBatchOfIncompressiblePayloads) {
  FrameEncoder encoder(512, 1);
  std::vector<uint8_t> out;
  auto repetitive = make_entries(1, 20, 1, 200, true);
  std::vector<const Entry*> compressible;
  for (auto& e : repetitive) {
    compressible.push_back(&e);
  }
  auto random = make_entries(1, 1, 1, 2000, false);
  std::vector<const Entry*> incompressible{&random[0]};
  EXPECT_TRUE(encoder.encode(compressible, &out).compressed());
  EXPECT_FALSE(encoder.encode(incompressible, &out).compressed());
  EXPECT_FALSE(encoder.encode(compressible, &out).compressed());  // inside the window of 1
  EXPECT_TRUE(encoder.encode(compressible, &out).compressed());   // tried, shrank: reset
  for (int i = 0; i < 40; ++i) {
    EXPECT_FALSE(encoder.encode(incompressible, &out).compressed());
  }
  int raw_before_retry = 0;
  while (!encoder.encode(compressible, &out).compressed()) {
    ++raw_before_retry;
    ASSERT_LE(raw_before_retry, static_cast<int>(FrameEncoder::kMaxSkippedFrames));
  }
  EXPECT_GT(raw_before_retry, 0);
  // Every frame stays decodable whichever way it was stored.
  FrameHeader h = encoder.encode(incompressible, &out);
  EXPECT_EQ(decode_encoded_frame(h, &out), random);
}

}  // namespace
}  // namespace uq::wal
