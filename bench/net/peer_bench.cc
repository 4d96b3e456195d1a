// Google Benchmark for net/peer.h on loopback: one-way message throughput (100 B and 16 KiB
// payloads) and serial RPC round-trip latency. Two transports, each on its own reactor thread.
//   build-peer-release/bench/net/peer_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/reactor.h"
#include "net/peer.h"

namespace uq::net {
namespace {

class BenchNode {
 public:
  bool start() {
    auto reactor = core::Reactor::create(0, core::ReactorOptions{});
    if (!reactor.is_ok()) {
      error = reactor.status().to_string();
      return false;
    }
    reactor_ = std::move(reactor.value());
    transport_ = std::make_unique<PeerTransport>(*reactor_, PeerOptions{});
    Status status = transport_->listen("127.0.0.1:0");
    if (!status.is_ok()) {
      error = status.to_string();
      return false;
    }
    thread_ = std::thread([this] { reactor_->run(); });
    return true;
  }
  ~BenchNode() {
    if (thread_.joinable()) {
      auto closed = std::make_shared<std::promise<void>>();
      auto done = closed->get_future();
      reactor_->post([this, closed] { transport_->close([closed] { closed->set_value(); }); });
      done.wait();
      reactor_->stop();
      thread_.join();
    }
    transport_.reset();
  }
  template <typename Fn>
  void on(Fn fn) {
    while (!reactor_->post(fn)) {
      std::this_thread::yield();
    }
  }
  PeerTransport& transport() { return *transport_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(transport_->bound_port()); }
  std::string error;

 private:
  std::unique_ptr<core::Reactor> reactor_;
  std::unique_ptr<PeerTransport> transport_;
  std::thread thread_;
};

// Each iteration sends kBatch messages from one posted task (so they coalesce as Raft's
// AppendEntries would) and waits until the receiver has taken all of them.
void BM_OneWayThroughput(benchmark::State& state) {
  constexpr int64_t kBatch = 256;
  const size_t payload_bytes = static_cast<size_t>(state.range(0));
  BenchNode a;
  BenchNode b;
  if (!a.start() || !b.start()) {
    state.SkipWithError((a.error + b.error).c_str());
    return;
  }
  std::atomic<int64_t> received{0};
  std::promise<void> ready;
  b.on([&] {
    b.transport().on_message(
        [&](std::string_view) { received.fetch_add(1, std::memory_order_release); });
    ready.set_value();
  });
  ready.get_future().wait();
  const std::string to = b.addr();
  const std::string payload(payload_bytes, 'x');
  int64_t sent = 0;
  for (auto _ : state) {
    a.on([&a, &to, &payload] {
      for (int64_t i = 0; i < kBatch; ++i) {
        a.transport().send(to, payload);
      }
    });
    sent += kBatch;
    while (received.load(std::memory_order_acquire) < sent) {
      std::this_thread::yield();
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * static_cast<int64_t>(payload_bytes));
}
BENCHMARK(BM_OneWayThroughput)->Arg(100)->Arg(16 * 1024)->UseRealTime();

// Serial round trips: each call is made from the previous call's done on the caller's reactor,
// so the figure is the transport's round trip without cross-thread hand-offs.
void BM_RpcRoundTripSerial(benchmark::State& state) {
  constexpr int64_t kChain = 100;
  BenchNode a;
  BenchNode b;
  if (!a.start() || !b.start()) {
    state.SkipWithError((a.error + b.error).c_str());
    return;
  }
  std::promise<void> ready;
  b.on([&] {
    b.transport().on_request([](uint8_t, std::string_view payload, PeerTransport::Reply reply) {
      reply.send(std::string(payload));
    });
    ready.set_value();
  });
  ready.get_future().wait();
  const std::string to = b.addr();
  for (auto _ : state) {
    std::promise<void> done;
    auto remaining = std::make_shared<int64_t>(kChain);
    auto step = std::make_shared<std::function<void()>>();
    *step = [&a, &to, &done, remaining, step_weak = std::weak_ptr<std::function<void()>>(step)] {
      a.transport().call(to, 1, std::string(64, 'r'), std::chrono::seconds(10),
                         [&done, remaining, step_weak](Result<std::string>) {
                           if (--*remaining == 0) {
                             done.set_value();
                           } else if (auto next = step_weak.lock()) {
                             (*next)();
                           }
                         });
    };
    a.on([step] { (*step)(); });
    done.get_future().wait();
  }
  state.SetItemsProcessed(state.iterations() * kChain);
  // Seconds per round trip (printed with an SI suffix, e.g. 40u = 40 µs).
  state.counters["rtt"] = benchmark::Counter(
      static_cast<double>(kChain),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RpcRoundTripSerial)->UseRealTime();

}  // namespace
}  // namespace uq::net
