// One test per row of the recovery table in docs/wal.md: each damage shape either opens (torn
// tail truncated) or refuses with kCorruption naming the file and the offset.
#include <gtest/gtest.h>

#include "tests/wal/test_util.h"
#include "wal/fault_file_system.h"
#include "wal/hard_state.h"
#include "wal/log.h"

namespace uq::wal {
namespace {

using testing::make_entries;

constexpr const char* kDir = "/n/raft";

class RecoveryTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Log>> open() { return Log::open(&fs_, kDir, options_); }

  // Writes `frames` synced frames of 3 entries each (so every frame has later, synced ones).
  void write_log(int frames) {
    auto log = open();
    ASSERT_TRUE(log.is_ok());
    for (int i = 0; i < frames; ++i) {
      ASSERT_TRUE((*log)->append(make_entries(3 * i + 1, 3, 1, 200)).is_ok());
      ASSERT_TRUE((*log)->sync().is_ok());
    }
  }
  std::string segment(uint64_t sequence) {
    return std::string(kDir) + "/" + segment_file_name(sequence);
  }
  std::vector<ScannedFrame> frames_of(const std::string& path) {
    auto file = fs_.open(path, OpenMode::kRead);
    std::vector<uint8_t> buffer;
    auto scan = scan_segment(file->get(), path, &buffer);
    EXPECT_TRUE(scan.is_ok());
    return scan.is_ok() ? scan->frames : std::vector<ScannedFrame>{};
  }
  void flip_bit(const std::string& path, uint64_t offset) {
    std::string bytes = fs_.contents(path);
    bytes[offset] ^= 0x10;
    fs_.put_file(path, bytes);
  }
  void expect_corruption(const std::string& file, uint64_t offset) {
    auto log = open();
    ASSERT_FALSE(log.is_ok());
    EXPECT_EQ(log.status().code(), Code::kCorruption);
    std::string where = file + " offset " + std::to_string(offset);
    EXPECT_NE(log.status().message().find(where), std::string::npos)
        << log.status().message() << " should name " << where;
  }

  FaultFileSystem fs_{7};
  LogOptions options_{.segment_bytes = 8192};
};

TEST_F(RecoveryTest, CleanLogOpensWithEverything) {
  write_log(4);
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_EQ((*log)->last_index(), 12u);
  EXPECT_FALSE((*log)->recovery().torn_tail_truncated);
}

TEST_F(RecoveryTest, FlippedBitInHeaderOfEarlierFrameIsCorruption) {
  write_log(4);
  auto frames = frames_of(segment(1));
  flip_bit(segment(1), frames[1].offset + frame_offset::kFirstIndex);
  expect_corruption(segment(1), frames[1].offset);
}

TEST_F(RecoveryTest, FlippedBitInPayloadOfEarlierFrameIsCorruption) {
  write_log(4);
  auto frames = frames_of(segment(1));
  flip_bit(segment(1), frames[2].offset + kFrameHeaderSize + 17);
  expect_corruption(segment(1), frames[2].offset);
}

TEST_F(RecoveryTest, BadChecksumFieldIsCorruption) {
  write_log(4);
  auto frames = frames_of(segment(1));
  flip_bit(segment(1), frames[0].offset + frame_offset::kChecksum + 3);
  expect_corruption(segment(1), frames[0].offset);
}

TEST_F(RecoveryTest, BadLengthIsCorruption) {
  write_log(4);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  store_u32(
      reinterpret_cast<uint8_t*>(bytes.data()) + frames[1].offset + frame_offset::kStoredLength,
      1u << 30);
  fs_.put_file(segment(1), bytes);
  expect_corruption(segment(1), frames[1].offset);
}

TEST_F(RecoveryTest, TornLastFrameIsTruncatedAndLogged) {
  write_log(4);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  // The last frame's second half never reached the disk.
  uint64_t start = frames[3].offset + frames[3].header.frame_size() / 2;
  std::fill(bytes.begin() + start, bytes.begin() + frames[3].offset + frames[3].header.frame_size(),
            0);
  fs_.put_file(segment(1), bytes);
  auto log = open();
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_EQ((*log)->last_index(), 9u);
  EXPECT_TRUE((*log)->recovery().torn_tail_truncated);
  EXPECT_NE(
      (*log)->recovery().torn_tail.find(segment(1) + " offset " + std::to_string(frames[3].offset)),
      std::string::npos);
  // The tail is zeroed on disk, so the next open is clean, and appends continue.
  ASSERT_TRUE((*log)->append(make_entries(10, 1, 1, 5)).is_ok());
  ASSERT_TRUE((*log)->sync().is_ok());
  log->reset();
  log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_FALSE((*log)->recovery().torn_tail_truncated);
  EXPECT_EQ((*log)->last_index(), 10u);
}

TEST_F(RecoveryTest, GarbageAfterTheLastFrameIsTruncated) {
  write_log(2);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  uint64_t end = frames[1].offset + frames[1].header.frame_size();
  for (int i = 0; i < 100; ++i) {
    bytes[end + i] = static_cast<char>(i * 37 + 1);
  }
  fs_.put_file(segment(1), bytes);
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_EQ((*log)->last_index(), 6u);
  EXPECT_TRUE((*log)->recovery().torn_tail_truncated);
}

TEST_F(RecoveryTest, ZeroedTailOfLastSegmentOpensShorter) {
  write_log(4);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  std::fill(bytes.begin() + frames[2].offset, bytes.end(), 0);
  fs_.put_file(segment(1), bytes);
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_EQ((*log)->last_index(), 6u);  // indistinguishable from never written: see docs
}

TEST_F(RecoveryTest, ZeroedFrameFollowedByLaterSyncedFramesIsCorruption) {
  write_log(4);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  std::fill(bytes.begin() + frames[1].offset,
            bytes.begin() + frames[1].offset + frames[1].header.frame_size(), 0);
  fs_.put_file(segment(1), bytes);
  expect_corruption(segment(1), frames[1].offset);
}

TEST_F(RecoveryTest, ShortLastSegmentIsTruncatedAtTheLastWholeFrame) {
  write_log(4);
  auto frames = frames_of(segment(1));
  std::string bytes = fs_.contents(segment(1));
  bytes.resize(frames[3].offset + 10);
  fs_.put_file(segment(1), bytes);
  auto log = open();
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_EQ((*log)->last_index(), 9u);
}

TEST_F(RecoveryTest, SegmentShorterThanItsHeaderIsCorruption) {
  write_log(1);
  fs_.put_file(segment(1), fs_.contents(segment(1)).substr(0, 20));
  expect_corruption(segment(1), 0);
}

TEST_F(RecoveryTest, ChecksummedFrameWithMalformedPayloadIsCorruption) {
  // A frame a buggy writer could produce: checksum right, entry lengths wrong.
  std::string bytes(8192, '\0');
  auto* p = reinterpret_cast<uint8_t*>(bytes.data());
  encode_segment_header({1, 1, 8192}, p);
  FrameHeader h;
  h.count = 2;
  h.raw_length = h.stored_length = 40;
  h.first_index = 1;
  h.first_term = 1;
  h.last_term = 2;  // terms change inside: recovery decodes the payload
  store_u32(p + kSegmentHeaderSize + kFrameHeaderSize + 8, 1000);  // entry 0 runs past the end
  encode_frame_header(h, p + kSegmentHeaderSize);
  ASSERT_TRUE(fs_.create_dir(kDir).is_ok());
  fs_.put_file(segment(1), bytes);
  expect_corruption(segment(1), kSegmentHeaderSize);
}

TEST_F(RecoveryTest, DamagedSegmentHeaderIsCorruption) {
  write_log(1);
  flip_bit(segment(1), segment_offset::kBaseIndex);
  expect_corruption(segment(1), 0);
}

class MultiSegmentRecoveryTest : public RecoveryTest {
 protected:
  void SetUp() override {
    options_.segment_bytes = 4096;
    write_log(20);  // 20 frames of ~700 bytes: several segments
    ASSERT_GE(fs_.list(kDir)->size(), 5u);
  }
};

TEST_F(MultiSegmentRecoveryTest, AllSegmentsReplay) {
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_EQ((*log)->last_index(), 60u);
  EXPECT_EQ((*log)->read(1, 61, SIZE_MAX)->size(), 60u);
}

TEST_F(MultiSegmentRecoveryTest, MissingMiddleSegmentIsCorruption) {
  ASSERT_TRUE(fs_.remove(segment(2)).is_ok());
  auto log = open();
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_NE(log.status().message().find(segment_file_name(2) + ": segment missing"),
            std::string::npos)
      << log.status().message();
}

TEST_F(MultiSegmentRecoveryTest, MissingFirstSegmentIsCorruption) {
  ASSERT_TRUE(fs_.remove(segment(1)).is_ok());
  expect_corruption(segment(2), 0);
}

TEST_F(MultiSegmentRecoveryTest, DuplicateSegmentIsCorruption) {
  size_t count = 0;
  auto names = fs_.list(kDir);
  for (const auto& name : *names) {
    uint64_t sequence;
    count += parse_segment_file_name(name, &sequence) ? 1 : 0;
  }
  // A copy of segment 2 placed after the last one, with its header's sequence fixed up so only
  // the index ranges give it away.
  std::string bytes = fs_.contents(segment(2));
  auto* p = reinterpret_cast<uint8_t*>(bytes.data());
  auto header = decode_segment_header(p, bytes.size());
  ASSERT_TRUE(header.is_ok());
  encode_segment_header({count + 1, header->base_index, header->capacity}, p);
  fs_.put_file(segment(count + 1), bytes);
  auto log = open();
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption);
  EXPECT_NE(log.status().message().find("overlapping"), std::string::npos)
      << log.status().message();
}

TEST_F(MultiSegmentRecoveryTest, SegmentWithWrongSequenceInHeaderIsCorruption) {
  fs_.put_file(segment(3), fs_.contents(segment(2)));
  expect_corruption(segment(3), 0);
}

TEST_F(MultiSegmentRecoveryTest, TornFrameInAClosedSegmentIsCorruption) {
  auto frames = frames_of(segment(1));
  flip_bit(segment(1), frames.back().offset + kFrameHeaderSize + 5);
  expect_corruption(segment(1), frames.back().offset);
}

TEST_F(MultiSegmentRecoveryTest, GarbageAfterTheEndOfAClosedSegmentIsCorruption) {
  auto frames = frames_of(segment(1));
  uint64_t end = frames.back().offset + frames.back().header.frame_size();
  std::string bytes = fs_.contents(segment(1));
  ASSERT_LT(end + 5, bytes.size());
  bytes[end + 4] = 'x';
  fs_.put_file(segment(1), bytes);
  expect_corruption(segment(1), end);
}

TEST_F(MultiSegmentRecoveryTest, LeftoverTemporarySegmentIsRemoved) {
  fs_.put_file(std::string(kDir) + "/" + segment_file_name(99) + ".tmp", "partial");
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_FALSE(fs_.exists(std::string(kDir) + "/" + segment_file_name(99) + ".tmp"));
}

TEST_F(MultiSegmentRecoveryTest, UnexpectedFileAmongSegmentsIsCorruption) {
  fs_.put_file(std::string(kDir) + "/wal-junk.seg", "x");
  auto log = open();
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption);
}

TEST_F(MultiSegmentRecoveryTest, InterruptedCompactionDeletesCoveredSegmentsOnOpen) {
  {
    auto log = open();
    ASSERT_TRUE(log.is_ok());
    ASSERT_TRUE((*log)->compact_prefix(40, 1).is_ok());
  }
  // Put segment 1 back, as if the crash came between saving wal-meta and deleting it.
  write_log(0);
  auto log = open();
  ASSERT_TRUE(log.is_ok());
  EXPECT_EQ((*log)->first_index(), 41u);
  EXPECT_EQ((*log)->last_index(), 60u);
}

TEST(HardState, SavedStateSurvivesReopen) {
  FaultFileSystem fs(1);
  {
    auto hs = HardStateFile::open(&fs, "/n/raft");
    ASSERT_TRUE(hs.is_ok());
    EXPECT_EQ((*hs)->state(), HardState{});
    ASSERT_TRUE((*hs)->save({5, 2, 40}).is_ok());
    ASSERT_TRUE((*hs)->save({6, 3, 41}).is_ok());
  }
  auto hs = HardStateFile::open(&fs, "/n/raft");
  ASSERT_TRUE(hs.is_ok());
  EXPECT_EQ((*hs)->state(), (HardState{6, 3, 41}));
}

TEST(HardState, TornSaveLeavesTheOldOrTheNewStateNeverAnError) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FaultFileSystem fs(seed);
    {
      auto hs = HardStateFile::open(&fs, "/n/raft");
      ASSERT_TRUE((*hs)->save({5, 2, 40}).is_ok());
      fs.fail_write(fs.writes() + 1, FaultFileSystem::Fault::kShortWrite);
      EXPECT_FALSE((*hs)->save({6, 3, 41}).is_ok());
    }
    auto hs = HardStateFile::open(&fs, "/n/raft");
    ASSERT_TRUE(hs.is_ok()) << hs.status().to_string();
    HardState state = (*hs)->state();
    EXPECT_TRUE(state == (HardState{5, 2, 40}) || state == (HardState{6, 3, 41}));
  }
}

TEST(HardState, OneDamagedSlotIsSurvivedAndBothDamagedRefuse) {
  FaultFileSystem fs(1);
  const std::string path = "/n/raft/hardstate";
  {
    auto hs = HardStateFile::open(&fs, "/n/raft");
    ASSERT_TRUE((*hs)->save({5, 2, 40}).is_ok());  // slot 1, sequence 1
    ASSERT_TRUE((*hs)->save({7, 1, 50}).is_ok());  // slot 0, sequence 2
  }
  std::string bytes = fs.contents(path);
  bytes[100] ^= 1;  // newest slot damaged
  fs.put_file(path, bytes);
  {
    auto hs = HardStateFile::open(&fs, "/n/raft");
    ASSERT_TRUE(hs.is_ok());
    EXPECT_EQ((*hs)->state(), (HardState{5, 2, 40}));
  }
  bytes[kSlotSize + 30] ^= 1;  // and the other one
  fs.put_file(path, bytes);
  auto hs = HardStateFile::open(&fs, "/n/raft");
  ASSERT_FALSE(hs.is_ok());
  EXPECT_EQ(hs.status().code(), Code::kCorruption);
  EXPECT_NE(hs.status().message().find(path + ": both slots damaged"), std::string::npos)
      << hs.status().message();
}

TEST(HardState, RealDiskRoundTrip) {
  testing::TempDir dir;
  {
    auto hs = HardStateFile::open(posix_file_system(), dir.path() + "/raft");
    ASSERT_TRUE(hs.is_ok()) << hs.status().to_string();
    ASSERT_TRUE((*hs)->save({9, 1, 3}).is_ok());
  }
  auto hs = HardStateFile::open(posix_file_system(), dir.path() + "/raft");
  ASSERT_TRUE(hs.is_ok());
  EXPECT_EQ((*hs)->state(), (HardState{9, 1, 3}));
}

}  // namespace
}  // namespace uq::wal
