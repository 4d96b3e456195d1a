#include "server/query_params.h"

#include <gtest/gtest.h>

namespace uq::server {
namespace {

TEST(QueryParams, FirstValueWinsAndFlagsNeedNoValue) {
  auto params = QueryParams::parse("q=SELECT+1&q=SELECT+2&pretty&timings=false");
  ASSERT_TRUE(params.is_ok());
  EXPECT_EQ(*params->get("q"), "SELECT 1");
  EXPECT_TRUE(params->has("pretty"));
  EXPECT_TRUE(params->has("timings"));
  EXPECT_FALSE(params->has("transaction"));
}

TEST(QueryParams, PercentDecoding) {
  auto params = QueryParams::parse("q=SELECT%20%2A%20FROM%20t%3B");
  ASSERT_TRUE(params.is_ok());
  EXPECT_EQ(*params->get("q"), "SELECT * FROM t;");
}

TEST(QueryParams, GoErrorTexts) {
  EXPECT_EQ(QueryParams::parse("a=1;b=2").status().message(),
            "invalid semicolon separator in query");
  EXPECT_EQ(QueryParams::parse("key=%zz").status().message(), "invalid URL escape \"%zz\"");
  EXPECT_EQ(QueryParams::parse("key=%4").status().message(), "invalid URL escape \"%4\"");
}

TEST(QueryParams, ValidationBeforeRouting) {
  EXPECT_EQ(QueryParams::parse("freshness_strict").status().message(),
            "freshness_strict requires freshness");
  EXPECT_EQ(QueryParams::parse("timeout=5").status().message(), "timeout is not a valid duration");
  EXPECT_EQ(QueryParams::parse("db_timeout=x").status().message(),
            "db_timeout is not a valid duration");
  EXPECT_EQ(QueryParams::parse("retries=1.5").status().message(), "retries is not a valid integer");
  EXPECT_EQ(QueryParams::parse("trailing_logs=").status().message(),
            "trailing_logs is not a valid integer");
  EXPECT_EQ(QueryParams::parse("q=").status().message(), "query parameter not set");
  EXPECT_TRUE(QueryParams::parse("freshness=1s&freshness_strict&timeout=0").is_ok());
}

TEST(QueryParams, TypedAccessors) {
  auto params = QueryParams::parse("timeout=250ms&retries=3");
  ASSERT_TRUE(params.is_ok());
  EXPECT_EQ(params->duration_or("timeout", std::chrono::seconds(30)),
            std::chrono::milliseconds(250));
  EXPECT_EQ(params->duration_or("freshness", std::chrono::seconds(30)), std::chrono::seconds(30));
  EXPECT_EQ(params->int_or("retries", 0), 3);
  EXPECT_EQ(params->int_or("trailing_logs", 9), 9);
}

}  // namespace
}  // namespace uq::server
