#include "bench/uqlite-bench/request_builder.h"

#include <gtest/gtest.h>

#include <string>

#include "bench/uqlite-bench/bench_flags.h"

namespace uq::bench {
namespace {

BenchConfig config(Mode mode, bool param) {
  BenchConfig cfg;
  cfg.mode = mode;
  cfg.param = param;
  cfg.value_size = 8;
  cfg.batch = 3;
  cfg.rows = 5;
  return cfg;
}

// Splits a request into head and body and checks that Content-Length matches the body.
std::string body_of(const std::string& request) {
  size_t end = request.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos);
  std::string body = request.substr(end + 4);
  size_t cl = request.find("Content-Length: ");
  if (cl != std::string::npos) {
    EXPECT_EQ(std::stoul(request.substr(cl + 16)), body.size());
  }
  return body;
}

TEST(RequestBuilder, LiteralInsertIsOneStatementPerRequest) {
  BenchConfig cfg = config(Mode::kInsert, false);
  RequestBuilder b(cfg, 1);
  std::string out;
  b.append_request(42, &out);
  EXPECT_EQ(out.rfind("POST /db/execute HTTP/1.1\r\nHost: 127.0.0.1:4001\r\n", 0), 0u);
  EXPECT_EQ(body_of(out), "[\"INSERT INTO bench(v) VALUES('42xxxxxx')\"]");
}

TEST(RequestBuilder, ParameterisedBatchCarriesBatchStatements) {
  BenchConfig cfg = config(Mode::kBatch, true);
  RequestBuilder b(cfg, 1);
  std::string out;
  b.append_request(1, &out);
  EXPECT_EQ(body_of(out),
            "[[\"INSERT INTO bench(v) VALUES(?)\",\"3xxxxxxx\"],"
            "[\"INSERT INTO bench(v) VALUES(?)\",\"4xxxxxxx\"],"
            "[\"INSERT INTO bench(v) VALUES(?)\",\"5xxxxxxx\"]]");
}

TEST(RequestBuilder, QueueModePostsWithQueueFlag) {
  BenchConfig cfg = config(Mode::kQueue, false);
  RequestBuilder b(cfg, 1);
  std::string out;
  b.append_request(7, &out);
  EXPECT_EQ(out.rfind("POST /db/execute?queue HTTP/1.1\r\n", 0), 0u);
}

TEST(RequestBuilder, QueryIdsStayInRange) {
  BenchConfig cfg = config(Mode::kQuery, true);
  cfg.level = "none";
  RequestBuilder b(cfg, 9);
  bool seen[6] = {};
  for (int i = 0; i < 200; i++) {
    std::string out;
    b.append_request(static_cast<uint64_t>(i), &out);
    ASSERT_EQ(out.rfind("POST /db/query?level=none HTTP/1.1\r\n", 0), 0u);
    std::string body = body_of(out);
    const std::string prefix = "[[\"SELECT id, v FROM bench WHERE id=?\",";
    ASSERT_EQ(body.rfind(prefix, 0), 0u) << body;
    int id = std::stoi(body.substr(prefix.size()));
    ASSERT_GE(id, 1);
    ASSERT_LE(id, 5);
    seen[id] = true;
  }
  for (int id = 1; id <= 5; id++) {
    EXPECT_TRUE(seen[id]) << id;
  }
}

TEST(RequestBuilder, GetQueryHasNoBody) {
  BenchConfig cfg = config(Mode::kQuery, false);
  cfg.get = true;
  cfg.level = "weak";
  RequestBuilder b(cfg, 1);
  std::string out;
  b.append_request(0, &out);
  EXPECT_EQ(out.rfind("GET /db/query?q=SELECT%20id%2C%20v%20FROM%20bench%20WHERE%20id%3D", 0), 0u);
  EXPECT_NE(out.find("&level=weak HTTP/1.1\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST(RequestBuilder, PreloadIsIdempotentInsertOrReplace) {
  BenchConfig cfg = config(Mode::kQuery, false);
  EXPECT_EQ(RequestBuilder::preload_body(cfg, 4, 2),
            "[[\"INSERT OR REPLACE INTO bench(id, v) VALUES(?, ?)\",4,\"4xxxxxxx\"],"
            "[\"INSERT OR REPLACE INTO bench(id, v) VALUES(?, ?)\",5,\"5xxxxxxx\"]]");
}

}  // namespace
}  // namespace uq::bench
