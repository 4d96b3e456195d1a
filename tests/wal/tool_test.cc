// Runs the uqlite-wal binary against logs on the real disk.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/wal/test_util.h"
#include "wal/log.h"

namespace uq::wal {
namespace {

struct ToolRun {
  int exit_code = -1;
  std::string output;
};

ToolRun run_tool(const std::string& args) {
  ToolRun run;
  std::string command = std::string(UQ_WAL_TOOL_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return run;
  }
  char buffer[4096];
  for (int i = 0; i < 100000; ++i) {  // bounded: the tool's output is small
    size_t n = fread(buffer, 1, sizeof(buffer), pipe);
    if (n == 0) {
      break;
    }
    run.output.append(buffer, n);
  }
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class ToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/raft";
    auto log = Log::open(posix_file_system(), dir_, LogOptions{.segment_bytes = 16384});
    ASSERT_TRUE(log.is_ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*log)->append(testing::make_entries(3 * i + 1, 3, 1, 400, i % 2 == 0)).is_ok());
      ASSERT_TRUE((*log)->sync().is_ok());
    }
    ASSERT_TRUE((*log)->truncate_suffix(29).is_ok());
  }
  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(ToolTest, VerifyCleanLogExitsZero) {
  ToolRun run = run_tool("verify " + dir_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ok: entries 1..28"), std::string::npos) << run.output;
}

TEST_F(ToolTest, DumpListsSegmentsFramesAndMarkers) {
  ToolRun run = run_tool("dump " + dir_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("segment " + dir_ + "/wal-0000000000000001.seg"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("zstd"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("TRUNCATE from index 29"), std::string::npos) << run.output;
}

TEST_F(ToolTest, VerifyDamagedLogExitsOneNamingFileAndOffset) {
  std::string path = dir_ + "/wal-0000000000000001.seg";
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(kSegmentHeaderSize + kFrameHeaderSize + 10);
    f.put('\x7f');
  }
  ToolRun run = run_tool("verify " + dir_);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find(path + " offset 64"), std::string::npos) << run.output;
}

TEST_F(ToolTest, BadUsageExitsTwo) {
  EXPECT_EQ(run_tool("frobnicate").exit_code, 2);
}

}  // namespace
}  // namespace uq::wal
