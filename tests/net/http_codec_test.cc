// The HTTP codec without sockets: every request split at every byte boundary parses the same.
#include "net/http_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uq::net {
namespace {

struct Parsed {
  std::vector<std::string> requests;  // "METHOD target body [chunked]"
  int error = 0;
  int continues = 0;
};

// Feeds input in pieces of at most piece bytes and records every event.
Parsed parse(const std::string& input, size_t piece, HttpLimits limits = {}) {
  HttpCodec codec(limits);
  Parsed out;
  for (size_t at = 0; at < input.size() && out.error == 0; at += piece) {
    codec.append(std::string_view(input).substr(at, piece));
    for (int guard = 0; guard < 1000; ++guard) {
      HttpCodec::Event event = codec.next();
      if (event == HttpCodec::Event::kNeedMore) {
        break;
      }
      if (event == HttpCodec::Event::kError) {
        out.error = codec.error_status();
        break;
      }
      if (event == HttpCodec::Event::kContinue) {
        ++out.continues;
        continue;
      }
      const HttpRequest& r = codec.request();
      out.requests.push_back(std::string(r.method) + " " + std::string(r.target) + " " +
                             std::string(r.body) + (r.chunked ? " [chunked]" : ""));
    }
  }
  return out;
}

TEST(HttpCodec, EverySplitOfPipelinedRequestsParsesTheSame) {
  const std::string input =
      "GET /db/query?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /db/execute HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  const std::vector<std::string> expected = {"GET /db/query?q=1 ", "POST /db/execute hello",
                                             "POST /c abcde [chunked]"};
  for (size_t piece = 1; piece <= input.size(); ++piece) {
    Parsed parsed = parse(input, piece);
    EXPECT_EQ(parsed.error, 0) << "piece " << piece;
    EXPECT_EQ(parsed.requests, expected) << "piece " << piece;
  }
}

TEST(HttpCodec, ObsFoldIsRejectedAtEverySplit) {
  const std::string input = "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n";
  for (size_t piece = 1; piece <= input.size(); ++piece) {
    EXPECT_EQ(parse(input, piece).error, 400) << "piece " << piece;
  }
}

TEST(HttpCodec, BodyStartingWithSpaceIsNotObsFold) {
  Parsed parsed = parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n {}", 1);
  EXPECT_EQ(parsed.error, 0);
  EXPECT_EQ(parsed.requests, std::vector<std::string>{"POST /  {}"});
}

TEST(HttpCodec, LimitsAreEnforced) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  limits.max_body_bytes = 8;
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", 7, limits).error,
            431);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", 64, limits).error, 413);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 8\r\n\r\n12345678", 64, limits).error, 0);
  EXPECT_EQ(
      parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n", 64,
            limits)
          .error,
      413);
}

TEST(HttpCodec, ExpectContinueIsSignalledOnceAndOnlyWhenTheBodyIsMissing) {
  const std::string head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  Parsed waiting = parse(head, head.size());
  EXPECT_EQ(waiting.continues, 1);
  EXPECT_TRUE(waiting.requests.empty());
  Parsed complete = parse(head + "ok", 1000);
  EXPECT_EQ(complete.continues, 0);
  EXPECT_EQ(complete.requests, std::vector<std::string>{"POST / ok"});
}

TEST(HttpCodec, BodyIsFollowedByReadablePadding) {
  HttpCodec codec(HttpLimits{});
  codec.append("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
  ASSERT_EQ(codec.next(), HttpCodec::Event::kRequest);
  const HttpRequest& request = codec.request();
  ASSERT_EQ(request.body, "body");
  unsigned sum = 0;
  for (size_t i = 0; i < kBodyPadding; ++i) {
    sum += static_cast<unsigned char>(request.body.data()[request.body.size() + i]);
  }
  EXPECT_LT(sum, 256u * kBodyPadding);  // ASan fails the test if the padding is not ours
}

TEST(HttpCodec, KeepAliveFollowsVersionAndConnectionHeader) {
  auto keep_alive = [](const std::string& input) {
    HttpCodec codec(HttpLimits{});
    codec.append(input);
    EXPECT_EQ(codec.next(), HttpCodec::Event::kRequest);
    return codec.request().keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(HttpCodec, ErrorIsSticky) {
  HttpCodec codec(HttpLimits{});
  codec.append("BAD\x01 / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(codec.next(), HttpCodec::Event::kError);
  codec.append("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(codec.next(), HttpCodec::Event::kError);
  EXPECT_EQ(codec.error_status(), 400);
}

}  // namespace
}  // namespace uq::net
