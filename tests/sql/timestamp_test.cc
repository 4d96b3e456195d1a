// DATE/DATETIME/TIMESTAMP rendering (§3.5) against Go's time.Time.MarshalText.
#include "sql/timestamp.h"

#include <gtest/gtest.h>

namespace uq::sql {
namespace {

std::string from_text(std::string_view s) {
  std::string out;
  append_timestamp_from_text(&out, s);
  return out;
}

std::string from_unix(int64_t v) {
  std::string out;
  if (!append_timestamp_from_unix(&out, v)) {
    return "<error>";
  }
  return out;
}

TEST(Timestamp, TextLayoutsOfTheGoDriver) {
  EXPECT_EQ(from_text("2004-02-14"), "2004-02-14T00:00:00Z");
  EXPECT_EQ(from_text("2004-02-14 07:15:00"), "2004-02-14T07:15:00Z");
  EXPECT_EQ(from_text("2021-10-22 19:39:32.016087"), "2021-10-22T19:39:32.016087Z");
  EXPECT_EQ(from_text("2021-10-22T19:39:32.100000000Z"), "2021-10-22T19:39:32.1Z");
  EXPECT_EQ(from_text("2021-10-22 19:39"), "2021-10-22T19:39:00Z");
  EXPECT_EQ(from_text("2021-10-22T19:39"), "2021-10-22T19:39:00Z");
  EXPECT_EQ(from_text("2021-10-22 19:39:32+05:30"), "2021-10-22T19:39:32+05:30");
  EXPECT_EQ(from_text("2021-10-22 19:39:32.5-07:00"), "2021-10-22T19:39:32.5-07:00");
  EXPECT_EQ(from_text("2021-10-22 19:39:32+00:00"), "2021-10-22T19:39:32Z");
  EXPECT_EQ(from_text("2021-10-22 9:39:32"), "2021-10-22T09:39:32Z");
  EXPECT_EQ(from_text("2021-10-22 19:39:32.1234567891"), "2021-10-22T19:39:32.123456789Z");
  EXPECT_EQ(from_text("2024-02-29"), "2024-02-29T00:00:00Z");
}

TEST(Timestamp, UnparseableTextIsGoZeroTime) {
  for (const char* bad :
       {"", "fiona", "2021-13-01", "2023-02-29", "2021-10-22 24:00", "2021-10-22 19:60",
        "2021-10-22X19:39", "2021-10-22 19:39+05:30", "21-10-22", " 2021-10-22"}) {
    EXPECT_EQ(from_text(bad), "0001-01-01T00:00:00Z") << bad;
  }
}

TEST(Timestamp, IntegersAreUnixSecondsOrMilliseconds) {
  EXPECT_EQ(from_unix(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(from_unix(1076742900), "2004-02-14T07:15:00Z");
  EXPECT_EQ(from_unix(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(from_unix(1000000000000), "<error>");  // seconds: year 33658 cannot be marshalled
  EXPECT_EQ(from_unix(1634931572016), "2021-10-22T19:39:32.016Z");
  EXPECT_EQ(from_unix(-1634931572016), "1918-03-12T04:20:27.984Z");
}

}  // namespace
}  // namespace uq::sql
