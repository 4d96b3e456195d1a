// Limits, timeouts, malformed input and shutdown of the HTTP server, on both receive paths.
#include <poll.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "tests/net/server_harness.h"
#include "tests/net/test_client.h"

namespace uq::net {
namespace {

using test::TestClient;
using HttpLimitsTest = test::ServerTest;

// Expects one error response with the HTTP layer's shape, then the connection closed.
void expect_error_and_close(TestClient& client, int status) {
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value()) << "no response, wanted " << status;
  EXPECT_EQ(response->status, status);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_EQ(response->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->body, std::string(reason_phrase(status)) + "\n");
  EXPECT_TRUE(client.closed_by_peer());
}

// Polls cond on the reactor thread every 10 ms, at most 500 times.
template <typename Cond>
bool eventually(test::ServerHarness& harness, Cond cond) {
  for (int i = 0; i < 500; ++i) {
    if (harness.on_reactor(cond)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_P(HttpLimitsTest, OversizedHeadGets431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  UQ_START_OR_RETURN(options, test::echo_handler);
  {
    TestClient client(port());
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
    expect_error_and_close(client, 431);
  }
  {
    // The head never ends: the limit still applies as bytes arrive.
    TestClient client(port());
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a')));
    expect_error_and_close(client, 431);
  }
}

TEST_P(HttpLimitsTest, ContentLengthOverLimitGets413BeforeTheBody) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
  expect_error_and_close(client, 413);
}

TEST_P(HttpLimitsTest, ChunkedBodyOverLimitGets413) {
  HttpServerOptions options;
  options.max_body_bytes = 10;
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(
      client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  expect_error_and_close(client, 413);
}

TEST_P(HttpLimitsTest, ConnectionsOverTheCapAreClosedAtOnce) {
  HttpServerOptions options;
  options.max_connections = 2;
  UQ_START_OR_RETURN(options, test::echo_handler);
  auto first = std::make_unique<TestClient>(port());
  TestClient second(port());
  for (TestClient* client : {first.get(), &second}) {
    ASSERT_TRUE(client->send("GET / HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(client->read_response().has_value());
  }
  TestClient third(port());
  third.send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(third.closed_by_peer());
  first.reset();
  ASSERT_TRUE(eventually(harness_, [&] { return harness_.server().connection_count() == 1; }));
  TestClient fourth(port());
  ASSERT_TRUE(fourth.send("GET /4 HTTP/1.1\r\n\r\n"));
  auto response = fourth.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /4 q= body=");
}

TEST_P(HttpLimitsTest, IncompleteHeadGets408AfterHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::milliseconds(200);
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost:"));
  expect_error_and_close(client, 408);
}

TEST_P(HttpLimitsTest, DribbledHeadCannotOutliveHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  std::string head = "GET / HTTP/1.1\r\nX-Slow: " + std::string(1000, 'z');
  bool answered = false;
  // One byte every 10 ms for at most 1000 bytes: far longer than the timeout.
  for (size_t i = 0; i < head.size() && !answered; ++i) {
    if (!client.send(head.substr(i, 1))) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pollfd pfd{client.fd(), POLLIN, 0};
    answered = poll(&pfd, 1, 0) == 1;
  }
  ASSERT_TRUE(answered) << "the server kept a dribbling client";
  expect_error_and_close(client, 408);
}

TEST_P(HttpLimitsTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);
  UQ_START_OR_RETURN(options, test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(client.read_response().has_value());
  EXPECT_TRUE(client.closed_by_peer()) << client.last_errno();
  TestClient silent(port());
  EXPECT_TRUE(silent.closed_by_peer()) << silent.last_errno();
}

struct BadRequest {
  const char* name;
  const char* bytes;
  int status;
};

TEST_P(HttpLimitsTest, MalformedRequestsGetAnErrorAndClose) {
  UQ_START_OR_RETURN(test::echo_handler);
  const BadRequest cases[] = {
      {"bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400},
      {"header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400},
      {"space in header name", "GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 400},
      {"bad method", "G@T / HTTP/1.1\r\n\r\n", 400},
      {"bad version", "GET / HTTP/x.1\r\n\r\n", 400},
      {"control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n", 400},
      {"binary garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},
      {"bad content length", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
      {"two content lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       400},
      {"chunked plus length",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
      {"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"obs-fold with tab", "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\nHost: x\r\n\r\n", 400},
      {"leading whitespace line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400},
      {"unsupported transfer coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"unknown expectation", "POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx",
       417},
  };
  for (const BadRequest& bad : cases) {
    SCOPED_TRACE(bad.name);
    TestClient client(port());
    ASSERT_TRUE(client.send(bad.bytes));
    expect_error_and_close(client, bad.status);
  }
}

TEST_P(HttpLimitsTest, BadRequestAfterAGoodOneStillAnswersTheGoodOneFirst) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  ASSERT_TRUE(client.send("GET /ok HTTP/1.1\r\n\r\nGET / HTTP/1.1\nbad\n\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /ok q= body=");
  expect_error_and_close(client, 400);
}

TEST_P(HttpLimitsTest, ShutdownFinishesInFlightRequestsAndClosesIdleOnes) {
  auto held = std::make_shared<std::vector<HttpResponder>>();
  std::atomic<int> received{0};
  UQ_START_OR_RETURN(HttpServerOptions{}, [held, &received](const HttpRequest&, HttpResponder r) {
    held->push_back(r);
    received.fetch_add(1);
  });
  TestClient busy(port());
  TestClient idle(port());
  ASSERT_TRUE(busy.send("GET /hold HTTP/1.1\r\n\r\n"));
  for (int i = 0; i < 500 && received.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(received.load(), 1);
  ASSERT_TRUE(eventually(harness_, [&] { return harness_.server().connection_count() == 2; }));
  std::atomic<bool> drained{false};
  harness_.on_reactor([&] {
    harness_.server().shutdown(std::chrono::seconds(20), [&] { drained = true; });
    return 0;
  });
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_FALSE(drained.load());
  harness_.on_reactor([&] {
    HttpResponse response;
    response.body = "done";
    held->front().respond(std::move(response));
    return 0;
  });
  auto response = busy.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  ASSERT_TRUE(eventually(harness_, [&] { return drained.load(); }));
  TestClient late(port());
  EXPECT_TRUE(!late.connected() || late.closed_by_peer());
}

TEST_P(HttpLimitsTest, ShutdownGraceClosesConnectionsThatNeverFinish) {
  UQ_START_OR_RETURN(HttpServerOptions{}, [](const HttpRequest&, HttpResponder) {});
  TestClient busy(port());
  ASSERT_TRUE(busy.send("GET /never HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(eventually(harness_, [&] { return harness_.server().connection_count() == 1; }));
  std::atomic<bool> drained{false};
  harness_.on_reactor([&] {
    harness_.server().shutdown(std::chrono::milliseconds(100), [&] { drained = true; });
    return 0;
  });
  EXPECT_TRUE(busy.closed_by_peer()) << busy.last_errno();
  ASSERT_TRUE(eventually(harness_, [&] { return drained.load(); }));
}

TEST_P(HttpLimitsTest, ShutdownDuringABodyUploadStillAnswersThatRequest) {
  UQ_START_OR_RETURN(test::echo_handler);
  TestClient client(port());
  // One small write is one loopback segment: once /first is answered, the server has parsed the
  // head of /up and holds half its body.
  ASSERT_TRUE(
      client.send("GET /first HTTP/1.1\r\n\r\nPOST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc"));
  ASSERT_TRUE(client.read_response().has_value());
  std::atomic<bool> drained{false};
  harness_.on_reactor([&] {
    harness_.server().shutdown(std::chrono::seconds(20), [&] { drained = true; });
    return 0;
  });
  ASSERT_TRUE(client.send("def"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "POST /up q= body=abcdef");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
  ASSERT_TRUE(eventually(harness_, [&] { return drained.load(); }));
}

TEST_P(HttpLimitsTest, TwoReactorsShareOnePortWithReusePort) {
  auto handler_for = [](int index) {
    return [index](const HttpRequest&, HttpResponder responder) {
      HttpResponse response;
      response.body = std::to_string(index);
      responder.respond(std::move(response));
    };
  };
  UQ_START_OR_RETURN(HttpServerOptions{}, handler_for(0));
  test::ServerHarness second;
  std::string address = "127.0.0.1:" + std::to_string(port());
  ASSERT_TRUE(second.start(HttpServerOptions{}, handler_for(1), GetParam(), address, 1));
  ASSERT_EQ(second.port(), port());
  int seen[2] = {0, 0};
  // The kernel spreads connections by hash; 64 all landing on one listener has odds of 2^-63.
  for (int i = 0; i < 64; ++i) {
    TestClient client(port());
    ASSERT_TRUE(client.send("GET / HTTP/1.1\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    ++seen[response->body == "1" ? 1 : 0];
  }
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpLimitsTest, ::testing::Values(false, true), test::path_name);

}  // namespace
}  // namespace uq::net
