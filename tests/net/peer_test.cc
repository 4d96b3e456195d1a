// Tests for net/peer.h: the wire format as pure functions, then transports on real loopback
// sockets, each on its own reactor thread, plus raw sockets playing broken or hostile peers.
#include "net/peer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "core/reactor.h"

namespace uq::net {
namespace {

using namespace std::chrono_literals;
using peer_wire::Decoded;
using peer_wire::FrameKind;

// ---- helpers ----------------------------------------------------------------------------------

// One transport on its own reactor thread.
class Node {
 public:
  ~Node() { stop(); }

  bool start(PeerOptions options, const std::string& listen_addr = "127.0.0.1:0") {
    core::ReactorOptions reactor_options;
    reactor_options.ring_entries = 256;
    auto reactor = core::Reactor::create(0, reactor_options);
    if (!reactor.is_ok()) {
      skip_reason = reactor.status().to_string();
      return false;
    }
    reactor_ = std::move(reactor.value());
    transport_ = std::make_unique<PeerTransport>(*reactor_, options);
    if (!listen_addr.empty()) {
      Status status = transport_->listen(listen_addr);
      EXPECT_TRUE(status.is_ok()) << status.to_string();
      if (!status.is_ok()) {
        return false;
      }
    }
    thread_ = std::thread([this] { reactor_->run(); });
    return true;
  }

  template <typename Fn>
  auto on(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    EXPECT_TRUE(reactor_->post([&task] { task(); }));
    return result.get();
  }

  // close() with on_closed, then stop the reactor: no ring operation outlives the transport.
  void stop() {
    if (!thread_.joinable()) {
      return;
    }
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    reactor_->post([this, closed] { transport_->close([closed] { closed->set_value(); }); });
    EXPECT_EQ(done.wait_for(10s), std::future_status::ready) << "close() never finished";
    reactor_->stop();
    thread_.join();
    transport_.reset();
    reactor_.reset();
  }

  PeerTransport& transport() { return *transport_; }
  core::Reactor& reactor() { return *reactor_; }
  uint16_t port() const { return transport_->bound_port(); }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port()); }
  PeerStats stats() {
    return on([this] { return transport_->stats(); });
  }
  std::string skip_reason;

 private:
  std::unique_ptr<core::Reactor> reactor_;
  std::unique_ptr<PeerTransport> transport_;
  std::thread thread_;
};

// Strings handed over from reactor threads to the test thread.
class Inbox {
 public:
  void push(std::string item) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  bool wait_for_count(size_t count, std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return items_.size() >= count; });
  }
  std::vector<std::string> items() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> items_;
};

// Polls cond every 10 ms, at most limit.
template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

PeerOptions fast_options() {
  PeerOptions options;
  options.connect_timeout = 2000ms;
  options.backoff_min = 10ms;
  options.backoff_max = 100ms;
  return options;
}

std::string make_payload(uint64_t index, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>((index * 131 + i * 7) & 0xff);
  }
  return out;
}

// A port where nothing listens (bound once, then closed).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A raw listening socket on 127.0.0.1:port (0 = any); the kernel completes handshakes even if
// nobody calls accept().
int raw_listener(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  EXPECT_EQ(::listen(fd, 16), 0);
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  return fd;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until the other side closes (true) or limit passes (false).
bool wait_for_eof(int fd, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return true;
    }
  }
  return false;
}

std::string frame(FrameKind kind, uint64_t id, std::string_view payload) {
  std::string out;
  peer_wire::append_frame(out, kind, 0, id, payload);
  return out;
}

#define START_OR_SKIP(node, options)      \
  do {                                    \
    if (!(node).start(options)) {         \
      GTEST_SKIP() << (node).skip_reason; \
    }                                     \
  } while (0)

// ---- wire format ------------------------------------------------------------------------------

TEST(PeerWire, FrameRoundTripsWithKindMethodAndId) {
  std::string bytes;
  peer_wire::append_frame(bytes, FrameKind::kRequest, 7, 0x0102030405060708ull, "hello");
  ASSERT_EQ(bytes.size(), peer_wire::kHeaderBytes + 5 + peer_wire::kTrailerBytes);
  EXPECT_EQ(bytes[0], 5);  // little-endian length
  Decoded decoded = peer_wire::decode_frame(bytes, 1024);
  ASSERT_EQ(decoded.result, Decoded::Result::kFrame);
  EXPECT_EQ(decoded.header.kind, FrameKind::kRequest);
  EXPECT_EQ(decoded.header.method, 7);
  EXPECT_EQ(decoded.header.call_id, 0x0102030405060708ull);
  EXPECT_EQ(decoded.payload, "hello");
  EXPECT_EQ(decoded.frame_bytes, bytes.size());
}

TEST(PeerWire, PartialFrameAsksForTheWholeFrame) {
  std::string bytes = frame(FrameKind::kMessage, 0, std::string(100, 'x'));
  Decoded head_only = peer_wire::decode_frame(std::string_view(bytes).substr(0, 10), 1024);
  EXPECT_EQ(head_only.result, Decoded::Result::kNeedMore);
  EXPECT_EQ(head_only.need_bytes, peer_wire::kHeaderBytes);
  Decoded partial = peer_wire::decode_frame(std::string_view(bytes).substr(0, 50), 1024);
  EXPECT_EQ(partial.result, Decoded::Result::kNeedMore);
  EXPECT_EQ(partial.need_bytes, bytes.size());
}

TEST(PeerWire, DamageIsRejected) {
  std::string good = frame(FrameKind::kMessage, 1, "payload");
  std::string flipped = good;
  flipped[peer_wire::kHeaderBytes + 2] ^= 0x01;
  EXPECT_EQ(peer_wire::decode_frame(flipped, 1024).result, Decoded::Result::kBad);
  std::string bad_kind = good;
  bad_kind[4] = 9;
  EXPECT_EQ(peer_wire::decode_frame(bad_kind, 1024).result, Decoded::Result::kBad);
  std::string zero_kind = good;
  zero_kind[4] = 0;
  EXPECT_EQ(peer_wire::decode_frame(zero_kind, 1024).result, Decoded::Result::kBad);
  std::string reserved = good;
  reserved[7] = 1;
  EXPECT_EQ(peer_wire::decode_frame(reserved, 1024).result, Decoded::Result::kBad);
}

TEST(PeerWire, OversizedLengthIsRejectedFromTheHeaderAlone) {
  std::string header = frame(FrameKind::kMessage, 0, "").substr(0, peer_wire::kHeaderBytes);
  header[0] = header[1] = header[2] = header[3] = static_cast<char>(0xff);
  Decoded decoded = peer_wire::decode_frame(header, 1 << 20);
  EXPECT_EQ(decoded.result, Decoded::Result::kBad);
  EXPECT_STREQ(decoded.why, "frame longer than max_frame_bytes");
}

// ---- messages ---------------------------------------------------------------------------------

TEST(PeerTransport, MessagesArriveInOrderAndIntactFromEmptyTo8MiB) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  const std::vector<size_t> sizes = {0, 1, 100, 4096, 65535, 65536, 1 << 20, 8 << 20};
  constexpr uint64_t kMessages = 400;
  auto size_of = [&](uint64_t i) {
    // Mostly small, with every size (8 MiB included) a few times.
    return i % 50 == 49 ? sizes[(i / 50) % sizes.size()] : sizes[i % 4];
  };
  Inbox inbox;
  std::atomic<uint64_t> next{0};
  b.on([&] {
    b.transport().on_message([&](std::string_view payload) {
      uint64_t i = next++;
      bool ok = payload.size() == size_of(i) && payload == make_payload(i, size_of(i));
      inbox.push(ok ? "ok" : "bad " + std::to_string(i));
    });
  });
  std::string to = b.addr();
  for (uint64_t batch = 0; batch < kMessages; batch += 40) {
    a.on([&] {
      for (uint64_t i = batch; i < batch + 40; ++i) {
        a.transport().send(to, make_payload(i, size_of(i)));
      }
    });
  }
  ASSERT_TRUE(inbox.wait_for_count(kMessages, 60s)) << inbox.size();
  for (const std::string& item : inbox.items()) {
    ASSERT_EQ(item, "ok");
  }
  PeerStats stats = a.stats();
  EXPECT_EQ(stats.connects, 1u);
  EXPECT_EQ(stats.dropped_messages, 0u);
  EXPECT_TRUE(a.on([&] { return a.transport().connected(to); }));
  EXPECT_EQ(b.stats().bad_frames, 0u);
}

TEST(PeerTransport, NamesResolveForListenAndDial) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  if (!b.start(fast_options(), "localhost:0")) {
    GTEST_SKIP() << b.skip_reason;
  }
  Inbox inbox;
  b.on([&] { b.transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  std::string to = "localhost:" + std::to_string(b.port());
  a.on([&] { a.transport().send(to, "by name"); });
  ASSERT_TRUE(inbox.wait_for_count(1));
  EXPECT_EQ(inbox.items()[0], "by name");
}

TEST(PeerTransport, BadAddressesAreRejected) {
  Node a;
  if (!a.start(fast_options(), /*listen_addr=*/"")) {
    GTEST_SKIP() << a.skip_reason;
  }
  EXPECT_FALSE(a.on([&] { return a.transport().listen("no-port-here").is_ok(); }));
  std::promise<Result<std::string>> got;
  a.on([&] {
    a.transport().call("no-port-here", 1, "", 5s, [&](Result<std::string> r) { got.set_value(r); });
  });
  Result<std::string> r = got.get_future().get();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST(PeerTransport, QueueOverLimitDropsOneWayMessages) {
  Node a;
  PeerOptions options = fast_options();
  options.max_queued_bytes = 1000;
  START_OR_SKIP(a, options);
  std::string to = "127.0.0.1:" + std::to_string(free_port());
  a.on([&] {
    for (int i = 0; i < 10; ++i) {
      a.transport().send(to, std::string(300, 'x'));
    }
  });
  EXPECT_GE(a.stats().dropped_messages, 7u);
}

// ---- RPC --------------------------------------------------------------------------------------

TEST(PeerTransport, ManyOutstandingCallsAnsweredOutOfOrder) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  constexpr int kCalls = 200;
  std::vector<std::pair<std::string, PeerTransport::Reply>> held;  // reactor b only
  b.on([&] {
    b.transport().on_request(
        [&](uint8_t method, std::string_view payload, PeerTransport::Reply reply) {
          held.emplace_back(std::to_string(method) + ":" + std::string(payload), std::move(reply));
          if (held.size() == kCalls) {
            for (auto it = held.rbegin(); it != held.rend(); ++it) {
              it->second.send("re " + it->first);
            }
            held.clear();
          }
        });
  });
  Inbox inbox;
  std::string to = b.addr();
  a.on([&] {
    for (int i = 0; i < kCalls; ++i) {
      std::string request = "q" + std::to_string(i);
      a.transport().call(
          to, static_cast<uint8_t>(i % 7), request, 10s,
          [&inbox, i, request](Result<std::string> response) {
            std::string expect = "re " + std::to_string(i % 7) + ":" + request;
            inbox.push(response.is_ok() && *response == expect ? "ok" : "bad " + std::to_string(i));
          });
    }
  });
  ASSERT_TRUE(inbox.wait_for_count(kCalls));
  for (const std::string& item : inbox.items()) {
    ASSERT_EQ(item, "ok");
  }
  PeerStats stats = a.stats();
  EXPECT_EQ(stats.calls, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(stats.call_failures, 0u);
  EXPECT_EQ(stats.call_timeouts, 0u);
}

TEST(PeerTransport, ReplyAnsweredLaterFromATimer) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  b.on([&] {
    b.transport().on_request([&](uint8_t, std::string_view payload, PeerTransport::Reply reply) {
      auto later = std::make_shared<PeerTransport::Reply>(std::move(reply));
      std::string answer = "later " + std::string(payload);
      b.reactor().add_timer(30ms, [later, answer] { later->send(answer); });
    });
  });
  std::promise<Result<std::string>> got;
  std::string to = b.addr();
  a.on([&] {
    a.transport().call(to, 1, "x", 10s,
                       [&got](Result<std::string> response) { got.set_value(response); });
  });
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  Result<std::string> response = future.get();
  ASSERT_TRUE(response.is_ok()) << response.status().to_string();
  EXPECT_EQ(*response, "later x");
}

TEST(PeerTransport, FailedAndUnansweredRepliesCarryTheirCode) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  b.on([&] {
    b.transport().on_request([](uint8_t method, std::string_view, PeerTransport::Reply reply) {
      if (method == 1) {
        reply.fail(Code::kNotLeader, "not leader");
      }  // method 2: dropped unanswered
    });
  });
  std::promise<Result<std::string>> first;
  std::promise<Result<std::string>> second;
  std::string to = b.addr();
  a.on([&] {
    a.transport().call(to, 1, "", 10s, [&](Result<std::string> r) { first.set_value(r); });
    a.transport().call(to, 2, "", 10s, [&](Result<std::string> r) { second.set_value(r); });
  });
  Result<std::string> r1 = first.get_future().get();
  Result<std::string> r2 = second.get_future().get();
  ASSERT_FALSE(r1.is_ok());
  EXPECT_EQ(r1.status().code(), Code::kNotLeader);
  EXPECT_EQ(r1.status().message(), "not leader");
  ASSERT_FALSE(r2.is_ok());
  EXPECT_EQ(r2.status().message(), "no response");
}

TEST(PeerTransport, CallTimesOutAndALateAnswerIsIgnored) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  std::vector<PeerTransport::Reply> held;  // reactor b only
  b.on([&] {
    b.transport().on_request([&](uint8_t, std::string_view, PeerTransport::Reply reply) {
      held.push_back(std::move(reply));
    });
  });
  Inbox inbox;
  std::string to = b.addr();
  a.on([&] {
    a.transport().call(to, 1, "slow", 50ms, [&](Result<std::string> r) {
      inbox.push(r.is_ok() ? "ok" : std::string(code_name(r.status().code())));
    });
  });
  ASSERT_TRUE(inbox.wait_for_count(1));
  EXPECT_EQ(inbox.items()[0], code_name(Code::kTimeout));
  ASSERT_TRUE(eventually([&] { return b.on([&] { return held.size(); }) == 1; }));
  b.on([&] { held[0].send("too late"); });
  // A ping round trip on a second call proves the late answer has been read by a.
  std::promise<void> pong;
  a.on([&] { a.transport().call(to, 2, "", 10s, [&](Result<std::string>) { pong.set_value(); }); });
  ASSERT_TRUE(eventually([&] { return b.on([&] { return held.size(); }) == 2; }));
  b.on([&] { held[1].send("second"); });
  pong.get_future().wait_for(10s);
  EXPECT_EQ(inbox.size(), 1u);
  EXPECT_EQ(a.stats().call_timeouts, 1u);
  b.on([&] { held.clear(); });
}

TEST(PeerTransport, CloseFailsPendingCallsOnceWithUnavailable) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  std::vector<PeerTransport::Reply> held;  // reactor b only
  b.on([&] {
    b.transport().on_request([&](uint8_t, std::string_view, PeerTransport::Reply reply) {
      held.push_back(std::move(reply));
    });
  });
  Inbox inbox;
  std::string to = b.addr();
  a.on([&] {
    for (int i = 0; i < 10; ++i) {
      a.transport().call(to, 1, "", 10s, [&](Result<std::string> r) {
        inbox.push(r.is_ok() ? "ok" : std::string(code_name(r.status().code())));
      });
    }
  });
  ASSERT_TRUE(eventually([&] { return b.on([&] { return held.size(); }) == 10; }));
  a.stop();
  ASSERT_EQ(inbox.size(), 10u);
  for (const std::string& item : inbox.items()) {
    EXPECT_EQ(item, code_name(Code::kUnavailable));
  }
  b.on([&] {
    for (auto& reply : held) {
      reply.send("after close");  // the connection is gone: a no-op
    }
    held.clear();
  });
  EXPECT_EQ(inbox.size(), 10u);
}

// ---- connection management --------------------------------------------------------------------

TEST(PeerTransport, CallToNothingListeningIsUnavailableThenRecovers) {
  Node a;
  START_OR_SKIP(a, fast_options());
  uint16_t port = free_port();
  std::string to = "127.0.0.1:" + std::to_string(port);
  std::promise<Result<std::string>> first;
  a.on([&] {
    a.transport().call(to, 1, "", 10s, [&](Result<std::string> r) { first.set_value(r); });
  });
  Result<std::string> r = first.get_future().get();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_GE(a.stats().connect_failures, 1u);
  EXPECT_FALSE(a.on([&] { return a.transport().connected(to); }));

  Node b;
  PeerOptions options = fast_options();
  if (!b.start(options, to)) {
    GTEST_SKIP() << b.skip_reason;
  }
  b.on([&] {
    b.transport().on_request(
        [](uint8_t, std::string_view, PeerTransport::Reply reply) { reply.send("up"); });
  });
  bool recovered = eventually(
      [&] {
        auto done = std::make_shared<std::promise<bool>>();
        auto future = done->get_future();
        a.on([&] {
          a.transport().call(to, 1, "", 2s,
                             [done](Result<std::string> r) { done->set_value(r.is_ok()); });
        });
        return future.get();
      },
      10s);
  EXPECT_TRUE(recovered);
  EXPECT_TRUE(a.on([&] { return a.transport().connected(to); }));
}

TEST(PeerTransport, ConnectTimeoutBoundsADialThatNeverCompletes) {
  Node a;
  PeerOptions options = fast_options();
  options.connect_timeout = 200ms;
  START_OR_SKIP(a, options);
  // A listener with a full accept queue: the kernel drops further SYNs, so a dial hangs.
  int listener = raw_listener(0);
  ::listen(listener, 0);
  uint16_t port = local_port(listener);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(50ms);
  std::string to = "127.0.0.1:" + std::to_string(port);
  std::promise<Result<std::string>> got;
  a.on(
      [&] { a.transport().call(to, 1, "", 5s, [&](Result<std::string> r) { got.set_value(r); }); });
  auto future = got.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  Result<std::string> r = future.get();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().to_string();
  EXPECT_NE(r.status().message().find("connect timeout"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(a.stats().connect_failures, 1u);
  for (int fd : fillers) {
    ::close(fd);
  }
  ::close(listener);
}

TEST(PeerTransport, CloseTwiceRunsEveryOnClosed) {
  Node a;
  START_OR_SKIP(a, fast_options());
  std::promise<void> first;
  std::promise<void> second;
  a.on([&] {
    a.transport().close([&] { first.set_value(); });
    a.transport().close([&] { second.set_value(); });
  });
  EXPECT_EQ(first.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(second.get_future().wait_for(10s), std::future_status::ready);
}

// Sends a numbered message every few ms until the inbox sees one (bounded).
bool messages_flow(Node& from, const std::string& to, Inbox& inbox, size_t already) {
  for (int i = 0; i < 500; ++i) {
    from.on([&] { from.transport().send(to, "m" + std::to_string(i)); });
    if (inbox.wait_for_count(already + 1, 20ms)) {
      return true;
    }
  }
  return false;
}

TEST(PeerTransport, PeerRestartOnTheSamePortIsReconnected) {
  Node a;
  START_OR_SKIP(a, fast_options());
  Inbox inbox;
  auto b = std::make_unique<Node>();
  START_OR_SKIP(*b, fast_options());
  std::string to = b->addr();
  b->on(
      [&] { b->transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  ASSERT_TRUE(messages_flow(a, to, inbox, 0));
  b->stop();
  b = std::make_unique<Node>();
  if (!b->start(fast_options(), to)) {
    GTEST_SKIP() << b->skip_reason;
  }
  b->on(
      [&] { b->transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  size_t before = inbox.size();
  ASSERT_TRUE(messages_flow(a, to, inbox, before));
  PeerStats stats = a.stats();
  EXPECT_GE(stats.disconnects, 1u);
  EXPECT_GE(stats.connects, 2u);
}

TEST(PeerTransport, ConnectionResetByPeerIsReplaced) {
  Node a;
  START_OR_SKIP(a, fast_options());
  int listener = raw_listener(0);
  uint16_t port = local_port(listener);
  std::string to = "127.0.0.1:" + std::to_string(port);
  a.on([&] { a.transport().send(to, "first"); });
  int accepted = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  ASSERT_TRUE(eventually([&] { return a.on([&] { return a.transport().connected(to); }); }));
  linger hard{1, 0};  // close with RST: the dialer sees ECONNRESET
  setsockopt(accepted, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  ::close(accepted);
  ::close(listener);
  ASSERT_TRUE(eventually([&] { return a.stats().disconnects >= 1; }));

  Node b;
  if (!b.start(fast_options(), to)) {
    GTEST_SKIP() << b.skip_reason;
  }
  Inbox inbox;
  b.on([&] { b.transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  EXPECT_TRUE(messages_flow(a, to, inbox, 0));
}

TEST(PeerTransport, StaleConnectionIsReplaced) {
  Node a;
  PeerOptions options = fast_options();
  options.idle_ping = 30ms;
  options.stale_after = 200ms;
  START_OR_SKIP(a, options);
  int listener = raw_listener(0);  // accepts (in the kernel) and never answers
  uint16_t port = local_port(listener);
  std::string to = "127.0.0.1:" + std::to_string(port);
  a.on([&] { a.transport().send(to, "into the void"); });
  ASSERT_TRUE(eventually([&] { return a.stats().stale_replaced >= 1; }));
  EXPECT_FALSE(a.on([&] { return a.transport().connected(to); }));
  ::close(listener);

  Node b;
  if (!b.start(fast_options(), to)) {
    GTEST_SKIP() << b.skip_reason;
  }
  Inbox inbox;
  b.on([&] { b.transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  EXPECT_TRUE(messages_flow(a, to, inbox, 0));
  // Pongs keep the live connection from going stale while it idles.
  uint64_t stale = a.stats().stale_replaced;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(a.stats().stale_replaced, stale);
  EXPECT_TRUE(a.on([&] { return a.transport().connected(to); }));
}

TEST(PeerTransport, ResetDropsTheConnectionAndFailsItsCalls) {
  Node a;
  Node b;
  START_OR_SKIP(a, fast_options());
  START_OR_SKIP(b, fast_options());
  std::vector<PeerTransport::Reply> held;
  b.on([&] {
    b.transport().on_request([&](uint8_t, std::string_view, PeerTransport::Reply reply) {
      held.push_back(std::move(reply));
    });
  });
  std::string to = b.addr();
  std::promise<Result<std::string>> got;
  a.on([&] {
    a.transport().call(to, 1, "", 10s, [&](Result<std::string> r) { got.set_value(r); });
  });
  ASSERT_TRUE(eventually([&] { return b.on([&] { return held.size(); }) == 1; }));
  a.on([&] { a.transport().reset(to); });
  Result<std::string> r = got.get_future().get();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  b.on([&] { held.clear(); });
}

// ---- hostile input ----------------------------------------------------------------------------

TEST(PeerTransport, CorruptedFrameClosesTheConnection) {
  Node b;
  START_OR_SKIP(b, fast_options());
  Inbox inbox;
  b.on([&] { b.transport().on_message([&](std::string_view p) { inbox.push(std::string(p)); }); });
  int fd = raw_connect(b.port());
  std::string bad = frame(FrameKind::kMessage, 0, "damaged");
  bad[peer_wire::kHeaderBytes] ^= 0x20;
  write_all(fd, std::string(peer_wire::preamble()) + frame(FrameKind::kMessage, 0, "good") + bad);
  EXPECT_TRUE(wait_for_eof(fd));
  ::close(fd);
  ASSERT_TRUE(inbox.wait_for_count(1));
  EXPECT_EQ(inbox.items(), std::vector<std::string>{"good"});
  EXPECT_EQ(b.stats().bad_frames, 1u);
}

TEST(PeerTransport, HttpRequestOnThePortIsClosed) {
  Node b;
  START_OR_SKIP(b, fast_options());
  int fd = raw_connect(b.port());
  write_all(fd, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(wait_for_eof(fd));
  ::close(fd);
  EXPECT_EQ(b.stats().bad_frames, 1u);
}

TEST(PeerTransport, OversizedLengthClosesBeforeThePayloadArrives) {
  Node b;
  PeerOptions options = fast_options();
  options.max_frame_bytes = 1 << 20;
  START_OR_SKIP(b, options);
  int fd = raw_connect(b.port());
  std::string header = frame(FrameKind::kMessage, 0, "").substr(0, peer_wire::kHeaderBytes);
  header[0] = header[1] = header[2] = header[3] = static_cast<char>(0xff);  // 4 GiB
  write_all(fd, std::string(peer_wire::preamble()) + header);
  // Only the 16-byte header was sent: the close proves the length was judged from it alone.
  EXPECT_TRUE(wait_for_eof(fd));
  ::close(fd);
  EXPECT_EQ(b.stats().bad_frames, 1u);
}

TEST(PeerTransport, InboundConnectionsOverTheLimitAreClosed) {
  Node b;
  PeerOptions options = fast_options();
  options.max_inbound_connections = 1;
  START_OR_SKIP(b, options);
  int first = raw_connect(b.port());
  write_all(first, peer_wire::preamble());
  int second = raw_connect(b.port());
  EXPECT_TRUE(wait_for_eof(second));
  // The first is still served: a ping is answered.
  write_all(first, frame(FrameKind::kPing, 0, ""));
  pollfd p{first, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1);
  ::close(first);
  ::close(second);
}

TEST(PeerTransport, InboundPingIsAnsweredWithPong) {
  Node b;
  START_OR_SKIP(b, fast_options());
  int fd = raw_connect(b.port());
  write_all(fd, std::string(peer_wire::preamble()) + frame(FrameKind::kPing, 0, ""));
  std::string got;
  char buffer[64];
  for (int i = 0; i < 100 && got.size() < peer_wire::kHeaderBytes + peer_wire::kTrailerBytes; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        break;
      }
      got.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  Decoded decoded = peer_wire::decode_frame(got, 1024);
  ASSERT_EQ(decoded.result, Decoded::Result::kFrame);
  EXPECT_EQ(decoded.header.kind, FrameKind::kPong);
}

}  // namespace
}  // namespace uq::net
