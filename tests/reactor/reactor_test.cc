#include "core/reactor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "core/mpsc_queue.h"

namespace uq::core {
namespace {

std::unique_ptr<Reactor> make_reactor(ReactorOptions options = {}) {
  options.ring_entries = 64;
  auto reactor = Reactor::create(0, options);
  if (!reactor.is_ok()) {
    return nullptr;
  }
  return std::move(reactor.value());
}

#define MAKE_REACTOR_OR_SKIP(var, ...)                                         \
  auto var = make_reactor(__VA_ARGS__);                                        \
  if (var == nullptr) {                                                        \
    GTEST_SKIP() << Reactor::create(0, ReactorOptions{}).status().to_string(); \
  }

TEST(MpscQueue, PopsInFifoOrderAndReportsFull) {
  MpscQueue<int> queue(4);
  EXPECT_EQ(queue.capacity(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(queue.try_push(int{i}));
  }
  EXPECT_FALSE(queue.try_push(99));
  for (int i = 0; i < 4; ++i) {
    auto value = queue.try_pop();
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, i);
  }
  EXPECT_FALSE(queue.try_pop().has_value());
  EXPECT_TRUE(queue.empty());
}

TEST(MpscQueue, ManyProducersLoseNothing) {
  MpscQueue<uint64_t> queue(1024);
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 20000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&queue, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        uint64_t value = (uint64_t(t) << 32) | i;
        while (!queue.try_push(uint64_t{value})) {
          std::this_thread::yield();
        }
      }
    });
  }
  std::vector<uint64_t> next(kThreads, 0);
  uint64_t received = 0;
  while (received < kThreads * kPerThread) {
    auto value = queue.try_pop();
    if (!value) {
      std::this_thread::yield();
      continue;
    }
    int t = static_cast<int>(*value >> 32);
    EXPECT_EQ(*value & 0xffffffff, next[t]) << "producer " << t << " out of order";
    next[t] = (*value & 0xffffffff) + 1;
    ++received;
  }
  for (auto& p : producers) {
    p.join();
  }
}

TEST(Reactor, PostFromManyThreadsRunsEveryFunctionOnTheReactorThread) {
  MAKE_REACTOR_OR_SKIP(reactor);
  std::thread loop([&] { reactor->run(); });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  int count = 0;  // touched only on the reactor thread
  std::atomic<int> wrong_thread{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        while (!reactor->post([&] {
          if (Reactor::current() != reactor.get()) {
            wrong_thread.fetch_add(1);
          }
          ++count;
        })) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& p : posters) {
    p.join();
  }
  std::promise<int> total;
  ASSERT_TRUE(reactor->post([&] { total.set_value(count); }));
  auto future = total.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(future.get(), kThreads * kPerThread);
  EXPECT_EQ(wrong_thread.load(), 0);
  reactor->stop();
  loop.join();
}

// A reply posted while the loop polls for it skips the eventfd write; one posted after the poll
// gave up must still wake the sleeping loop. Replies come back after delays on both sides of the
// poll budget; a lost wake-up would leave the chain stuck and the wait below would time out.
TEST(Reactor, AwaitedRepliesRunWhetherTheyLandDuringThePollOrAfterTheLoopSleeps) {
  ReactorOptions options;
  options.reply_spin_us = 50;
  MAKE_REACTOR_OR_SKIP(reactor, options);
  std::thread loop([&] { reactor->run(); });
  constexpr int kRounds = 600;
  const std::chrono::microseconds kDelays[] = {
      std::chrono::microseconds(0), std::chrono::microseconds(3), std::chrono::microseconds(30),
      std::chrono::microseconds(120), std::chrono::microseconds(1000)};
  std::atomic<int> handed{0};
  std::atomic<int> wrong_thread{0};
  std::atomic<bool> give_up{false};
  int replied = 0;  // touched only on the reactor thread
  std::promise<void> all_replied;
  std::function<void()> hand_off = [&] {
    reactor->expect_reply();
    handed.fetch_add(1, std::memory_order_release);
  };
  std::thread worker([&] {
    for (int round = 0; round < kRounds && !give_up.load(); ++round) {
      while (handed.load(std::memory_order_acquire) <= round && !give_up.load()) {
        std::this_thread::yield();
      }
      std::this_thread::sleep_for(kDelays[round % 5]);
      while (!reactor->post_reply([&] {
        if (Reactor::current() != reactor.get()) {
          wrong_thread.fetch_add(1);
        }
        if (++replied == kRounds) {
          all_replied.set_value();
        } else {
          hand_off();
        }
      })) {
        std::this_thread::yield();
      }
    }
  });
  ASSERT_TRUE(reactor->post(hand_off));
  auto status = all_replied.get_future().wait_for(std::chrono::seconds(60));
  give_up = true;
  worker.join();
  reactor->stop();
  loop.join();
  ASSERT_EQ(status, std::future_status::ready) << "stuck after " << handed.load() << " hand-offs";
  EXPECT_EQ(wrong_thread.load(), 0);
}

TEST(Reactor, PostReturnsFalseWhenTheQueueIsFull) {
  ReactorOptions options;
  options.post_queue_capacity = 2;
  MAKE_REACTOR_OR_SKIP(reactor, options);
  EXPECT_TRUE(reactor->post([] {}));
  EXPECT_TRUE(reactor->post([] {}));
  EXPECT_FALSE(reactor->post([] {}));
}

TEST(Reactor, TimersFireInDeadlineOrderAndCancelledOnesDoNot) {
  MAKE_REACTOR_OR_SKIP(reactor);
  std::vector<int> fired;
  std::promise<void> done;
  reactor->add_timer(std::chrono::milliseconds(30), [&] { fired.push_back(3); });
  reactor->add_timer(std::chrono::milliseconds(10), [&] { fired.push_back(1); });
  uint64_t cancelled =
      reactor->add_timer(std::chrono::milliseconds(20), [&] { fired.push_back(2); });
  reactor->add_timer(std::chrono::milliseconds(40), [&] { done.set_value(); });
  reactor->cancel_timer(cancelled);
  std::thread loop([&] { reactor->run(); });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  reactor->stop();
  loop.join();
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(Reactor, StopFromAnotherThreadEndsRunAndRunCanBeCalledAgain) {
  MAKE_REACTOR_OR_SKIP(reactor);
  for (int round = 0; round < 2; ++round) {
    std::atomic<bool> started{false};
    ASSERT_TRUE(reactor->post([&] { started = true; }));
    std::thread loop([&] { reactor->run(); });
    for (int i = 0; i < 3000 && !started; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(started.load());
    reactor->stop();
    loop.join();
  }
  EXPECT_EQ(Reactor::current(), nullptr);
}

TEST(Reactor, ForcedFallbackClearsMultishotFeatures) {
  ReactorOptions options;
  options.force_no_multishot = true;
  MAKE_REACTOR_OR_SKIP(reactor, options);
  EXPECT_FALSE(reactor->features().multishot_accept);
  EXPECT_FALSE(reactor->features().multishot_recv);
}

}  // namespace
}  // namespace uq::core
