#include "core/spin.h"

#include <gtest/gtest.h>

#include <thread>

namespace uq::core {
namespace {

TEST(HandoffPoller, ReturnsTrueOnceReadyAndFalseWhenTheBudgetPasses) {
  HandoffPoller poller(std::chrono::microseconds(200));
  int calls = 0;
  EXPECT_TRUE(poller.poll([&] { return ++calls == 3; }));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(poller.poll([] { return false; }));
}

TEST(HandoffPoller, ZeroBudgetIsDisabled) {
  EXPECT_FALSE(HandoffPoller(std::chrono::microseconds(0)).enabled());
  EXPECT_TRUE(HandoffPoller(std::chrono::microseconds(1)).enabled());
}

// Losing the CPU mid-poll (here: a 2 ms sleep inside ready(), well past kDescheduled) means the
// CPUs are contended: the poll gives up, and the next ones return false without polling at all.
TEST(HandoffPoller, BacksOffAfterLosingTheCpu) {
  HandoffPoller poller(std::chrono::milliseconds(5));
  bool slept = false;
  EXPECT_FALSE(poller.poll([&] {
    if (!slept) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      slept = true;
    }
    return false;
  }));
  int calls = 0;
  EXPECT_FALSE(poller.poll([&] {
    ++calls;
    return true;
  }));
  EXPECT_EQ(calls, 0);
  std::this_thread::sleep_for(HandoffPoller::kBackoff + std::chrono::milliseconds(5));
  EXPECT_TRUE(poller.poll([&] {
    ++calls;
    return true;
  }));
  EXPECT_EQ(calls, 1);
}

TEST(HandoffPoller, DoesNotPollWhileTheCpusAreContended) {
  HandoffPoller poller(std::chrono::milliseconds(5));
  HandoffPoller::set_cpus_contended(true);
  int calls = 0;
  EXPECT_FALSE(poller.poll([&] {
    ++calls;
    return true;
  }));
  HandoffPoller::set_cpus_contended(false);
  EXPECT_TRUE(poller.poll([&] {
    ++calls;
    return true;
  }));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace uq::core
