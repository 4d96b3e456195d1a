#include "bench/uqlite-bench/response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uq::bench {
namespace {

std::string response(int status, std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

// Feeds `pieces` in order and collects every response; stops at the first error.
Status feed_all(ResponseParser* parser, const std::vector<std::string>& pieces,
                std::vector<ResponseInfo>* out) {
  for (const std::string& piece : pieces) {
    std::string_view data(piece);
    while (!data.empty()) {
      bool done = false;
      ResponseInfo info;
      UQ_RETURN_IF_ERROR(parser->consume(&data, &done, &info));
      if (done) {
        out->push_back(info);
      }
    }
  }
  return Status::ok();
}

Status parse_one(const std::string& bytes, std::vector<ResponseInfo>* out) {
  ResponseParser parser;
  return feed_all(&parser, {bytes}, out);
}

TEST(ResponseParser, ParsesOneCompleteResponse) {
  std::vector<ResponseInfo> got;
  ASSERT_TRUE(parse_one(response(200, "{\"results\":[{}]}"), &got).is_ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body_bytes, 16);
  EXPECT_FALSE(got[0].body_has_error);
  EXPECT_FALSE(got[0].close);
}

TEST(ResponseParser, PipelinedResponsesSplitAtEveryPointAreAllFound) {
  const std::string a = response(200, "{\"results\":[{\"last_insert_id\":1,\"rows_affected\":1}]}");
  const std::string b = response(200, "{\"results\":[{\"error\":\"no such table: bench\"}]}");
  const std::string c = response(503, "leader not found");
  const std::string all = a + b + c;
  for (size_t cut1 = 0; cut1 <= all.size(); cut1++) {
    for (size_t cut2 = cut1; cut2 <= all.size(); cut2 += 7) {
      ResponseParser parser;
      std::vector<ResponseInfo> got;
      Status st = feed_all(
          &parser, {all.substr(0, cut1), all.substr(cut1, cut2 - cut1), all.substr(cut2)}, &got);
      ASSERT_TRUE(st.is_ok()) << st.to_string() << " cuts " << cut1 << "," << cut2;
      ASSERT_EQ(got.size(), 3u) << "cuts " << cut1 << "," << cut2;
      EXPECT_FALSE(got[0].body_has_error);
      EXPECT_TRUE(got[1].body_has_error) << "cuts " << cut1 << "," << cut2;
      EXPECT_EQ(got[2].status, 503);
      EXPECT_TRUE(parser.idle());
    }
  }
}

TEST(ResponseParser, ByteAtATimeMatchesWholeInput) {
  const std::string all = response(200, "{\"results\":[],\"error\":\"disallowed pragma\"}") +
                          response(204, "") + response(200, "{}");
  std::vector<std::string> bytes;
  for (char ch : all) {
    bytes.emplace_back(1, ch);
  }
  ResponseParser parser;
  std::vector<ResponseInfo> got;
  ASSERT_TRUE(feed_all(&parser, bytes, &got).is_ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].body_has_error);
  EXPECT_EQ(got[1].status, 204);
  EXPECT_FALSE(got[2].body_has_error);
}

TEST(ResponseParser, ConsumeStopsAtTheEndOfEachResponse) {
  const std::string two = response(200, "ab") + response(201, "cd");
  ResponseParser parser;
  std::string_view data(two);
  bool done = false;
  ResponseInfo info;
  ASSERT_TRUE(parser.consume(&data, &done, &info).is_ok());
  ASSERT_TRUE(done);
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(data.size(), response(201, "cd").size());
}

TEST(ResponseParser, ErrorKeyIsFoundOnlyAsAKey) {
  std::vector<ResponseInfo> got;
  ASSERT_TRUE(parse_one(response(200, "{\"results\":[{\"values\":[[\"error\"]]}]}"), &got).is_ok());
  ASSERT_TRUE(parse_one(response(200, "{\"x\":\"\"error\"error\":1}"), &got).is_ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].body_has_error);
  EXPECT_TRUE(got[1].body_has_error);  // the overlap `"error"error":` still ends in the key
}

TEST(ResponseParser, NoContentAndNotModifiedNeedNoLength) {
  std::vector<ResponseInfo> got;
  ASSERT_TRUE(parse_one("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 \r\n\r\n", &got).is_ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].status, 304);
}

TEST(ResponseParser, ConnectionCloseIsReported) {
  std::vector<ResponseInfo> got;
  ASSERT_TRUE(parse_one(response(200, "{}", "Connection: keep-alive, Close\r\n"), &got).is_ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].close);
}

TEST(ResponseParser, RepeatedEqualContentLengthIsAccepted) {
  std::vector<ResponseInfo> got;
  EXPECT_TRUE(parse_one(response(200, "{}", "content-length:  2 \r\n"), &got).is_ok());
  EXPECT_EQ(got.size(), 1u);
}

TEST(ResponseParser, RejectsBadFraming) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no length", "HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n{}"},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
      {"conflicting lengths",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
      {"length not digits", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\n{}"},
      {"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}"},
      {"empty length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"},
      {"obs-fold", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n folded\r\n\r\n{}"},
      {"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n{}"},
      {"bare LF in head", "HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\n{}"},
      {"HTTP/2 status line", "HTTP/2 200\r\nContent-Length: 2\r\n\r\n{}"},
      {"status not digits", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}"},
      {"no space after status", "HTTP/1.1 200OK\r\nContent-Length: 2\r\n\r\n{}"},
      {"interim 100", "HTTP/1.1 100 Continue\r\n\r\n"},
      {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    std::vector<ResponseInfo> got;
    Status st = parse_one(bytes, &got);
    EXPECT_FALSE(st.is_ok()) << name;
    EXPECT_EQ(st.code(), Code::kCorruption) << name;
  }
}

TEST(ResponseParser, RejectsAnEndlessHead) {
  ResponseParser parser;
  std::string line = "X-Pad: " + std::string(1000, 'a') + "\r\n";
  std::vector<std::string> pieces = {"HTTP/1.1 200 OK\r\n"};
  for (int i = 0; i < 20; i++) {
    pieces.push_back(line);
  }
  std::vector<ResponseInfo> got;
  Status st = feed_all(&parser, pieces, &got);
  EXPECT_FALSE(st.is_ok());
  EXPECT_FALSE(parser.idle());
  parser.reset();
  EXPECT_TRUE(parser.idle());
  EXPECT_TRUE(feed_all(&parser, {response(200, "{}")}, &got).is_ok());
  EXPECT_EQ(got.size(), 1u);
}

}  // namespace
}  // namespace uq::bench
