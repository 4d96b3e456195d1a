#include "core/status.h"

#include <gtest/gtest.h>

namespace uq {
namespace {

TEST(Status, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.is_ok());
  EXPECT_EQ(status.to_string(), "ok");
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  Status status = error(Code::kCorruption, "bad checksum at offset 12");
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_EQ(status.to_string(), "corruption: bad checksum at offset 12");
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = error(Code::kTimeout, "late");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kTimeout);
}

Status fails_then_stops(bool* reached) {
  UQ_RETURN_IF_ERROR(error(Code::kIoError, "disk"));
  *reached = true;
  return Status::ok();
}

TEST(Status, ReturnIfErrorReturnsEarly) {
  bool reached = false;
  Status status = fails_then_stops(&reached);
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_FALSE(reached);
}

TEST(CheckDeathTest, FailedCheckAbortsWithMessage) {
  EXPECT_DEATH(UQ_CHECK(1 + 1 == 3, "math is %s", "broken"), "math is broken");
}

}  // namespace
}  // namespace uq
