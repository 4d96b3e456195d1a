#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/net/server_harness.h"
#include "tests/net/test_client.h"

namespace uq::net {
namespace {

using test::ServerHarness;
using test::TestClient;

// Echoes method, path, query and body so tests can see what the parser delivered.
void echo_handler(const HttpRequest& request, HttpResponder responder) {
  HttpResponse response;
  response.headers.emplace_back("Content-Type", "text/plain");
  response.body = std::string(request.method) + " " + std::string(request.path) +
                  " q=" + std::string(request.query) + " body=" + std::string(request.body);
  responder.respond(std::move(response));
}

class HttpServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void start(HttpServerOptions options = {}, HttpHandler handler = echo_handler) {
    if (!harness_.start(std::move(options), std::move(handler), GetParam())) {
      if (!harness_.skip_reason.empty()) {
        GTEST_SKIP() << harness_.skip_reason;
      }
      FAIL() << "server did not start";
    }
  }
  uint16_t port() { return harness_.port(); }
  ServerHarness harness_;
};

TEST_P(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 5; ++i) {
    std::string path = "/r" + std::to_string(i);
    ASSERT_TRUE(client.send("GET " + path + "?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "GET " + path + " q=a=1 body=");
    EXPECT_EQ(response->header("Connection"), "");
    EXPECT_FALSE(response->header("Date").empty());
  }
  EXPECT_EQ(harness_.on_reactor([&] { return harness_.server().connection_count(); }), 1u);
}

TEST_P(HttpServerTest, ContentLengthBodyIsDelivered) {
  start();
  TestClient client(port());
  ASSERT_TRUE(client.send("POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"));
  ASSERT_TRUE(client.send("hello world"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value())
      << "port " << port() << " errno " << errno << " rest [" << client.read_all() << "]";
  EXPECT_EQ(response->body, "POST /db/execute q= body=hello world");
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpServerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "SingleShot" : "Multishot";
                         });

}  // namespace
}  // namespace uq::net
