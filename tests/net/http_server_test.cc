#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/net/server_harness.h"
#include "tests/net/test_client.h"

namespace uq::net {
namespace {

using test::ServerHarness;
using test::TestClient;

using HttpServerTest = test::ServerTest;

TEST_P(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.connected()) << "connect errno " << client.connect_errno();
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
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"));
  ASSERT_TRUE(client.send("hello world"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value())
      << "port " << port() << " errno " << errno << " rest [" << client.read_all() << "]";
  EXPECT_EQ(response->body, "POST /db/execute q= body=hello world");
}

TEST_P(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(
      client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  for (const char* expected : {"GET /1 q= body=", "GET /2 q= body=", "POST /3 q= body=abc"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, expected);
  }
}

TEST_P(HttpServerTest, ResponsesGivenOutOfOrderLeaveInRequestOrder) {
  // Holds the three responders (reactor thread only) and answers them last-first from posted
  // tasks, as a handler that hands work to other threads would.
  auto held = std::make_shared<std::vector<std::pair<std::string, HttpResponder>>>();
  UQ_START_OR_RETURN(HttpServerOptions{},
                     [held](const HttpRequest& request, HttpResponder responder) {
                       held->emplace_back(std::string(request.path), responder);
                       if (held->size() < 3) {
                         return;
                       }
                       for (int i = 2; i >= 0; --i) {
                         auto [path, token] = (*held)[i];
                         core::Reactor::current()->post([path, token] {
                           HttpResponse response;
                           response.body = path;
                           token.respond(std::move(response));
                         });
                       }
                     });
  TestClient client(port());
  ASSERT_TRUE(client.send("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"));
  for (const char* expected : {"/a", "/b", "/c"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, expected);
  }
}

TEST_P(HttpServerTest, ChunkedBodyIsDechunkedAndPadded) {
  UQ_START_OR_RETURN(HttpServerOptions{}, [](const HttpRequest& request, HttpResponder responder) {
    // Reading the padding must be valid memory (ASan checks it).
    unsigned sum = 0;
    for (size_t i = 0; i < kBodyPadding; ++i) {
      sum += static_cast<unsigned char>(request.body.data()[request.body.size() + i]);
    }
    HttpResponse response;
    response.body = std::string(request.body) + (request.chunked ? " chunked" : " plain") +
                    (sum < 1000000 ? "" : "!");
    responder.respond(std::move(response));
  });
  TestClient client(port());
  ASSERT_TRUE(
      client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hello world chunked");
  ASSERT_TRUE(client.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
  response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hi plain");
}

TEST_P(HttpServerTest, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send(
      "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto interim = client.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("hello"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /e q= body=hello");
}

TEST_P(HttpServerTest, HeadResponseHasLengthButNoBody) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = client.read_response(/*head=*/true);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->header("Content-Length"),
            std::to_string(std::string("HEAD /h q= body=").size()));
  ASSERT_TRUE(client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /next q= body=");
}

TEST_P(HttpServerTest, Http10ClosesUnlessKeepAliveAndConnectionCloseIsHonoured) {
  UQ_START_OR_RETURN(test::echo_handler);
  {
    TestClient client(port());
    ASSERT_TRUE(client.send("GET /a HTTP/1.0\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client.closed_by_peer());
  }
  {
    TestClient client(port());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      auto response = client.read_response();
      ASSERT_TRUE(response.has_value());
      EXPECT_EQ(response->header("Connection"), "keep-alive");
    }
  }
  {
    TestClient client(port());
    ASSERT_TRUE(client.send("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "GET /a q= body=");
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client.closed_by_peer());
  }
}

TEST_P(HttpServerTest, RequestFieldsAreExposed) {
  std::string seen;
  UQ_START_OR_RETURN(HttpServerOptions{}, [&seen](const HttpRequest& request,
                                                  HttpResponder responder) {
    seen = std::string(request.target) + "|" + std::string(request.path) + "|" +
           std::string(request.query) + "|" + (request.has_query ? "q" : "-") + "|" +
           std::string(request.header("x-CUSTOM")) + "|" + std::to_string(request.headers.size()) +
           "|" + (request.remote_addr.substr(0, 10) == "127.0.0.1:" ? "addr" : "noaddr");
    responder.respond(HttpResponse{});
  });
  TestClient client(port());
  ASSERT_TRUE(
      client.send("GET /db/query?q=select%201&level=none HTTP/1.1\r\nHost: x\r\n"
                  "X-Custom: v1\r\nx-custom: v2\r\n\r\n"));
  ASSERT_TRUE(client.read_response().has_value());
  // Read on the reactor thread, which wrote it.
  auto seen_now = [&] { return harness_.on_reactor([&] { return seen; }); };
  EXPECT_EQ(seen_now(),
            "/db/query?q=select%201&level=none|/db/query|q=select%201&level=none|q|v1|3|addr");
  ASSERT_TRUE(client.send("GET /status? HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(client.read_response().has_value());
  EXPECT_EQ(seen_now(), "/status?|/status||q||0|addr");
}

TEST_P(HttpServerTest, ManyPipelinedRequestsFromAClientThatReadsLateAllArriveInOrder) {
  HttpServerOptions options;
  options.max_pipelined = 8;
  options.max_send_buffered_bytes = 64 * 1024;
  UQ_START_OR_RETURN(options, [](const HttpRequest& request, HttpResponder responder) {
    HttpResponse response;
    response.body = std::string(request.path) + std::string(8 * 1024, '.');
    responder.respond(std::move(response));
  });
  constexpr int kRequests = 500;
  std::string all;
  for (int i = 0; i < kRequests; ++i) {
    all += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  TestClient client(port(), 20000);
  std::thread sender([&] { EXPECT_TRUE(client.send(all)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the server back up
  for (int i = 0; i < kRequests; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "response " << i;
    EXPECT_EQ(response->body.substr(0, response->body.find('.')), "/" + std::to_string(i));
  }
  sender.join();
}

// A stand-in for TLS: every byte on the wire is XORed, so nothing works unless all traffic goes
// through the transport in both directions.
class XorTransport final : public Transport {
 public:
  static constexpr char kKey = 0x5a;
  bool passthrough() const override { return false; }
  Status on_wire_bytes(std::string_view wire, HttpCodec& codec, std::string&) override {
    std::string plain(wire);
    for (char& c : plain) {
      c ^= kKey;
    }
    codec.append(plain);
    return Status::ok();
  }
  Status on_plain_bytes(std::string_view plain, std::string& wire_out) override {
    for (char c : plain) {
      wire_out.push_back(static_cast<char>(c ^ kKey));
    }
    return Status::ok();
  }
};

TEST_P(HttpServerTest, TransportSeamCarriesRequestsAndResponses) {
  HttpServerOptions options;
  options.transport_factory = [] { return std::make_unique<XorTransport>(); };
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  client.set_xor_key(XorTransport::kKey);
  ASSERT_TRUE(
      client.send("POST /x?y HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /z HTTP/1.1\r\n\r\n"));
  for (const char* expected : {"POST /x q=y body=ok", "GET /z q= body="}) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpServerTest, ::testing::Values(false, true), test::path_name);

}  // namespace
}  // namespace uq::net
