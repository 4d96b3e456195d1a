// Streamed request bodies (HttpServerOptions::stream_body_dir) and file response bodies
// (HttpResponse::file): exact bytes, limits, cleanup of temp files, pipelining, HEAD, slow
// readers. Each test runs with the multishot and the single-shot receive paths.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "net/http_codec.h"
#include "net/http_server.h"
#include "tests/net/server_harness.h"
#include "tests/net/test_client.h"

namespace uq::net {
namespace {

using test::TestClient;

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++n;
  }
  return n;
}

// Polls (every 10 ms, at most 5 s) until the directory holds `want` files.
bool wait_for_files(const std::string& dir, size_t want) {
  for (int i = 0; i < 500; ++i) {
    if (files_in(dir) == want) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// ---- the codec alone ------------------------------------------------------------------------

struct Streamed {
  std::vector<std::string> requests;  // "METHOD target prefix=<body> file=<streamed bytes>"
  size_t largest_piece = 0;
  int error = 0;
};

// Streams POST /up* bodies; feeds input in pieces of `piece` bytes.
Streamed stream_parse(const std::string& input, size_t piece, HttpLimits limits = {}) {
  HttpCodec codec(limits);
  codec.set_stream_filter([](std::string_view method, std::string_view path) {
    return method == "POST" && path.starts_with("/up") ? HttpCodec::kStream : HttpCodec::kBuffer;
  });
  Streamed out;
  std::string file;
  std::string taken;
  auto drain = [&] {
    for (int guard = 0; guard < 100000 && out.error == 0; ++guard) {
      HttpCodec::Event event = codec.next();
      if (event == HttpCodec::Event::kNeedMore) {
        return;
      }
      if (event == HttpCodec::Event::kError) {
        out.error = codec.error_status();
        return;
      }
      if (event == HttpCodec::Event::kBodyData) {
        codec.take_body_data(&taken);
        out.largest_piece = std::max(out.largest_piece, taken.size());
        file += taken;
        continue;
      }
      if (event == HttpCodec::Event::kContinue) {
        continue;
      }
      const HttpRequest& r = codec.request();
      std::string line =
          std::string(r.method) + " " + std::string(r.target) + " prefix=" + std::string(r.body);
      if (codec.streaming()) {
        line += " file=" + file;
        EXPECT_EQ(codec.streamed_bytes(), file.size());
      }
      file.clear();
      out.requests.push_back(line);
    }
  };
  // Pieces cycle through three ways of arriving: appended and parsed; appended while the caller
  // is not parsing (a body write in flight); received into a prepare()d span while the caller
  // parses what it had (the write completed), then committed.
  size_t fed = 0;
  for (size_t at = 0; at < input.size() && out.error == 0; at += piece) {
    std::string_view bytes = std::string_view(input).substr(at, piece);
    switch (fed++ % 3) {
      case 0:
        codec.append(bytes);
        drain();
        break;
      case 1:
        codec.append(bytes);
        break;
      default: {
        std::span<char> span = codec.prepare(bytes.size());
        drain();
        std::memcpy(span.data(), bytes.data(), bytes.size());
        codec.commit(bytes.size());
        drain();
      }
    }
  }
  drain();
  return out;
}

TEST(HttpCodecStreaming, EverySplitStreamsTheSameBytes) {
  const std::string body = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-*/!?";
  const std::string input =
      "POST /up HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
      "POST /other HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "POST /up2?x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
      "GET /after HTTP/1.1\r\n\r\n";
  const std::vector<std::string> expected = {
      "POST /up prefix=" + body.substr(0, kStreamedBodyPrefixBytes) + " file=" + body,
      "POST /other prefix=abc", "POST /up2?x prefix=abcde file=abcde", "GET /after prefix="};
  for (size_t piece = 1; piece <= input.size(); ++piece) {
    Streamed parsed = stream_parse(input, piece);
    EXPECT_EQ(parsed.error, 0) << "piece " << piece;
    EXPECT_EQ(parsed.requests, expected) << "piece " << piece;
  }
}

TEST(HttpCodecStreaming, LargeBodyComesOutInBoundedPiecesWithNoBufferGrowth) {
  std::string body = random_bytes(5 * kStreamChunkBytes + 77, 7);
  std::string input = "POST /up HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + body + "GET /z HTTP/1.1\r\n\r\n";
  Streamed parsed = stream_parse(input, 64 * 1024);
  ASSERT_EQ(parsed.error, 0);
  ASSERT_EQ(parsed.requests.size(), 2u);
  EXPECT_TRUE(parsed.requests[0].ends_with(" file=" + body));
  EXPECT_LE(parsed.largest_piece, kStreamChunkBytes + 64 * 1024);
  EXPECT_GE(parsed.largest_piece, kStreamChunkBytes);
}

TEST(HttpCodecStreaming, StreamLimitReplacesTheBodyLimitForStreamedRequestsOnly) {
  HttpLimits limits;
  limits.max_body_bytes = 4;
  limits.max_streamed_body_bytes = 10;
  std::string ok = "POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
  EXPECT_EQ(stream_parse(ok, 7, limits).error, 0);
  EXPECT_EQ(stream_parse("POST /up HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 7, limits).error, 413);
  std::string chunked =
      "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n";
  EXPECT_EQ(stream_parse(chunked, 5, limits).error, 413);
  EXPECT_EQ(stream_parse("POST /other HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 7, limits).error,
            413);
}

TEST(HttpCodecStreaming, FilterStatusRefusesTheRequest) {
  HttpCodec codec(HttpLimits{});
  codec.set_stream_filter([](std::string_view, std::string_view) { return 500; });
  codec.append("POST /up HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(codec.next(), HttpCodec::Event::kError);
  EXPECT_EQ(codec.error_status(), 500);
}

// ---- the server ---------------------------------------------------------------------------------

// What the handler saw of one streamed request.
struct Seen {
  std::string path;
  std::string body_prefix;
  bool streamed = false;
  uint64_t size = 0;
  std::string contents;  // the file's bytes, read in the handler
};

class HttpStreamTest : public test::ServerTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uq-stream-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    harness_.stop();
    std::filesystem::remove_all(dir_);
  }

  // Streams POST /upload* bodies into dir_ (unless `dir` overrides it); other requests are
  // buffered. The handler records what it saw and answers with the body's size.
  void start_streaming(uint64_t max_streamed = uint64_t{64} << 30, std::string dir = {},
                       size_t max_body = 64 * 1024 * 1024) {
    HttpServerOptions options;
    options.max_body_bytes = max_body;
    std::string target = dir.empty() ? dir_ : dir;
    options.stream_body_dir = [target](std::string_view method,
                                       std::string_view path) -> std::optional<std::string> {
      if (method == "POST" && path.starts_with("/upload")) {
        return target;
      }
      return std::nullopt;
    };
    options.max_streamed_body_bytes = max_streamed;
    auto seen = seen_;
    auto mutex = mutex_;
    start(std::move(options), [seen, mutex](const HttpRequest& request, HttpResponder responder) {
      Seen s;
      s.path = std::string(request.path);
      s.body_prefix = std::string(request.body);
      s.streamed = request.body_file != nullptr;
      if (s.streamed) {
        s.size = request.body_file->size();
        s.contents = read_file(request.body_file->path());
      }
      HttpResponse response;
      response.body = std::to_string(s.streamed ? s.size : request.body.size());
      {
        std::lock_guard<std::mutex> lock(*mutex);
        seen->push_back(std::move(s));
      }
      responder.respond(std::move(response));
    });
  }

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(*mutex_);
    return *seen_;
  }

  std::string dir_;
  std::shared_ptr<std::vector<Seen>> seen_ = std::make_shared<std::vector<Seen>>();
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

#define START_STREAMING_OR_RETURN(...)      \
  do {                                      \
    start_streaming(__VA_ARGS__);           \
    if (IsSkipped() || HasFatalFailure()) { \
      return;                               \
    }                                       \
  } while (0)

TEST_P(HttpStreamTest, ContentLengthBodyLandsInAFileAndAPipelinedRequestFollows) {
  START_STREAMING_OR_RETURN();
  std::string body = random_bytes(5 * 1024 * 1024 + 123, 1);
  TestClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body + "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  auto first = client.read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, std::to_string(body.size()));
  auto second = client.read_response();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "3");
  std::vector<Seen> got = seen();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].streamed);
  EXPECT_EQ(got[0].size, body.size());
  EXPECT_TRUE(got[0].contents == body) << "file bytes differ from the body sent";
  EXPECT_EQ(got[0].body_prefix, body.substr(0, kStreamedBodyPrefixBytes));
  EXPECT_FALSE(got[1].streamed);
  EXPECT_EQ(got[1].body_prefix, "abc");
  // The handler kept no reference: the file is gone.
  EXPECT_TRUE(wait_for_files(dir_, 0));
}

TEST_P(HttpStreamTest, ChunkedBodyLandsDeChunkedInAFile) {
  START_STREAMING_OR_RETURN();
  std::string body = random_bytes(3 * 1024 * 1024 + 7, 2);
  std::string wire = "POST /upload?x=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  size_t sizes[] = {1, 100, 65536, 1000000, 17};
  size_t offset = 0;
  for (size_t i = 0; offset < body.size(); ++i) {
    size_t n = std::min(sizes[i % 5], body.size() - offset);
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx\r\n", n);
    wire += hex + body.substr(offset, n) + "\r\n";
    offset += n;
  }
  wire += "0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n";
  TestClient client(port());
  ASSERT_TRUE(client.send(wire));
  auto first = client.read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->body, std::to_string(body.size()));
  auto second = client.read_response();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "0");
  std::vector<Seen> got = seen();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].streamed);
  EXPECT_TRUE(got[0].contents == body) << "file bytes differ from the de-chunked body";
  EXPECT_EQ(got[1].path, "/after");
}

TEST_P(HttpStreamTest, EmptyAndShortBodiesStreamWithTheirWholeBodyAsPrefix) {
  START_STREAMING_OR_RETURN();
  TestClient client(port());
  ASSERT_TRUE(
      client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                  "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  for (const char* size : {"0", "5"}) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, size);
  }
  std::vector<Seen> got = seen();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].streamed && got[1].streamed);
  EXPECT_EQ(got[0].body_prefix, "");
  EXPECT_EQ(got[1].body_prefix, "hello");
  EXPECT_EQ(got[1].contents, "hello");
}

TEST_P(HttpStreamTest, ContentLengthOverTheStreamLimitIs413WithNoFileLeft) {
  START_STREAMING_OR_RETURN(1024 * 1024);
  TestClient client(port());
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(wait_for_files(dir_, 0));
  EXPECT_TRUE(seen().empty());
}

TEST_P(HttpStreamTest, ChunkedBodyCrossingTheStreamLimitIs413WithNoFileLeft) {
  START_STREAMING_OR_RETURN(1024 * 1024);
  TestClient client(port());
  std::string chunk = random_bytes(300 * 1024, 3);
  std::string wire = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%zx\r\n", chunk.size());
    wire += hex + chunk + "\r\n";
  }
  client.send(wire);  // the server may close before it has read everything
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(wait_for_files(dir_, 0));
  EXPECT_TRUE(seen().empty());
}

TEST_P(HttpStreamTest, StreamedBodiesAreNotBoundByTheBufferedLimit) {
  START_STREAMING_OR_RETURN(uint64_t{64} << 30, std::string(), 1024 * 1024);
  std::string body = random_bytes(2 * 1024 * 1024, 4);
  std::string head =
      " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  TestClient streamed(port());
  ASSERT_TRUE(streamed.send("POST /upload" + head + body));
  auto response = streamed.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, std::to_string(body.size()));
  TestClient buffered(port());
  ASSERT_TRUE(buffered.send("POST /other" + head));
  response = buffered.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
}

TEST_P(HttpStreamTest, DroppedConnectionMidBodyLeavesNoFile) {
  START_STREAMING_OR_RETURN();
  {
    TestClient client(port());
    ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                            random_bytes(3 * 1024 * 1024, 5)));
    // The file exists while the body arrives...
    ASSERT_TRUE(wait_for_files(dir_, 1)) << files_in(dir_) << " files";
  }  // ...and the client goes away mid-body.
  EXPECT_TRUE(wait_for_files(dir_, 0)) << files_in(dir_) << " files left";
  EXPECT_TRUE(seen().empty());
}

TEST_P(HttpStreamTest, UncreatableBodyFileIs500WithTheReason) {
  START_STREAMING_OR_RETURN(uint64_t{64} << 30, dir_ + "/missing");
  TestClient client(port());
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("cannot create a file for the request body"), std::string::npos)
      << response->body;
  EXPECT_TRUE(seen().empty());
}

// A failing disk write (here EFBIG from a file-size limit, as ENOSPC or EIO would be) answers 500
// with the reason and deletes the file.
TEST_P(HttpStreamTest, FailedBodyWriteIs500WithTheReasonAndNoFileLeft) {
  START_STREAMING_OR_RETURN();
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 2 * 1024 * 1024;
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  TestClient client(port());
  client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" +
              random_bytes(5000000, 6));
  auto response = client.read_response();
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("cannot write the request body to "), std::string::npos)
      << response->body;
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(wait_for_files(dir_, 0));
  EXPECT_TRUE(seen().empty());
}

TEST_P(HttpStreamTest, HandlerThatReleasesTheFileOwnsIt) {
  auto kept = std::make_shared<std::string>();
  HttpServerOptions options;
  std::string dir = dir_;
  options.stream_body_dir = [dir](std::string_view, std::string_view) {
    return std::optional<std::string>(dir);
  };
  UQ_START_OR_RETURN(std::move(options), [kept](const HttpRequest& request, HttpResponder r) {
    *kept = request.body_file->release();
    r.respond(HttpResponse{});
  });
  TestClient client(port());
  ASSERT_TRUE(client.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndata"));
  ASSERT_TRUE(client.read_response().has_value());
  EXPECT_EQ(read_file(*kept), "data");
  EXPECT_EQ(files_in(dir_), 1u);
}

// ---- file response bodies -------------------------------------------------------------------

class HttpFileResponseTest : public HttpStreamTest {
 protected:
  // GET /file answers with file_ (unlinked after it is sent when unlink_ is set); other paths
  // echo.
  void start_files() {
    std::string path = dir_ + "/response.bin";
    std::ofstream(path, std::ios::binary) << file_;
    std::string contents = file_;
    UQ_START_OR_RETURN(HttpServerOptions{}, [path](const HttpRequest& request,
                                                   HttpResponder responder) {
      if (request.path != "/file") {
        test::echo_handler(request, responder);
        return;
      }
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      ::fstat(fd, &st);
      HttpResponse response;
      response.headers.emplace_back("Content-Type", "application/x-test");
      response.file = std::make_shared<ResponseFile>(
          fd, static_cast<uint64_t>(st.st_size), request.query == "unlink" ? path : std::string());
      responder.respond(std::move(response));
    });
  }
  std::string file_ = random_bytes(20 * 1024 * 1024 + 5, 9);
};

#define START_FILES_OR_RETURN()             \
  do {                                      \
    start_files();                          \
    if (IsSkipped() || HasFatalFailure()) { \
      return;                               \
    }                                       \
  } while (0)

TEST_P(HttpFileResponseTest, LargeFileBodyArrivesIntactAndPipelinedAnswersFollowInOrder) {
  START_FILES_OR_RETURN();
  TestClient client(port(), 20000);
  ASSERT_TRUE(
      client.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /file?unlink HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = client.read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->header("Content-Type"), "application/x-test");
  EXPECT_EQ(first->header("Content-Length"), std::to_string(file_.size()));
  EXPECT_TRUE(first->body == file_) << "file body differs";
  auto second = client.read_response();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "GET /next q= body=");
  auto third = client.read_response();
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(third->body == file_);
  EXPECT_TRUE(wait_for_files(dir_, 0)) << "the unlink path was not removed";
}

TEST_P(HttpFileResponseTest, HeadGetsTheFileLengthAndNoBody) {
  START_FILES_OR_RETURN();
  TestClient client(port());
  ASSERT_TRUE(
      client.send("HEAD /file HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = client.read_response(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(file_.size()));
  // The next bytes on the connection are the next response, not file bytes.
  auto after = client.read_response();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->body, "GET /after q= body=");
}

TEST_P(HttpFileResponseTest, SlowReaderGetsTheWholeFile) {
  START_FILES_OR_RETURN();
  TestClient client(port(), 20000);
  int small = 64 * 1024;
  setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_TRUE(client.send("GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string wire;
  char buffer[64 * 1024];
  // Bounded: at most 4000 reads (the file needs about 330 of 64 KiB), each after a short pause.
  for (int i = 0; i < 4000; ++i) {
    ssize_t n = ::recv(client.fd(), buffer, sizeof(buffer), 0);
    if (n <= 0) {
      break;
    }
    wire.append(buffer, static_cast<size_t>(n));
    if (i % 8 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  size_t head_end = wire.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(wire.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(wire.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(wire.substr(head_end + 4) == file_)
      << "got " << wire.size() - head_end - 4 << " body bytes of " << file_.size();
}

TEST_P(HttpFileResponseTest, GracefulShutdownFinishesAFileBodyInFlightThenCloses) {
  START_FILES_OR_RETURN();
  TestClient client(port(), 20000);
  ASSERT_TRUE(client.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n"));
  char first[4096];
  ssize_t n = ::recv(client.fd(), first, sizeof(first), 0);
  ASSERT_GT(n, 0);
  auto drained = std::make_shared<std::atomic<bool>>(false);
  harness_.on_reactor([&] {
    harness_.server().shutdown(std::chrono::seconds(15), [drained] { drained->store(true); });
    return 0;
  });
  std::string wire(first, static_cast<size_t>(n));
  wire += client.read_all();  // to EOF: the server closes once the file is out
  size_t head_end = wire.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_TRUE(wire.substr(head_end + 4) == file_)
      << "got " << wire.size() - head_end - 4 << " body bytes of " << file_.size();
  for (int i = 0; i < 500 && !drained->load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(drained->load());
}

TEST_P(HttpFileResponseTest, ClientGoingAwayMidFileClosesTheConnection) {
  START_FILES_OR_RETURN();
  {
    TestClient client(port());
    ASSERT_TRUE(client.send("GET /file?unlink HTTP/1.1\r\nHost: x\r\n\r\n"));
    char buffer[4096];
    ASSERT_GT(::recv(client.fd(), buffer, sizeof(buffer), 0), 0);
  }
  // The connection is released and with it the file (its unlink path).
  EXPECT_TRUE(wait_for_files(dir_, 0));
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = harness_.on_reactor([&] { return harness_.server().connection_count(); }) == 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

INSTANTIATE_TEST_SUITE_P(Receive, HttpStreamTest, ::testing::Bool(), test::path_name);
INSTANTIATE_TEST_SUITE_P(Receive, HttpFileResponseTest, ::testing::Bool(), test::path_name);

}  // namespace
}  // namespace uq::net
