// The seeded simulator over many seeds and cluster sizes. UQ_RAFT_SEEDS=<n> sets the number of
// seeds per test (soak: see docs/raft.md); UQ_RAFT_SEED=<s> replays one seed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/raft/sim.h"

namespace uq::raft::sim {
namespace {

uint64_t seeds_or(uint64_t fallback) {
  const char* env = std::getenv("UQ_RAFT_SEEDS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

void run(Options base, uint64_t first_seed, uint64_t default_count) {
  if (const char* one = std::getenv("UQ_RAFT_SEED")) {
    first_seed = std::strtoull(one, nullptr, 10);
    default_count = 1;
  } else {
    default_count = seeds_or(default_count);
  }
  std::vector<std::string> failures = run_seeds(base, first_seed, default_count);
  for (const std::string& f : failures) {
    ADD_FAILURE() << f;
  }
}

Options sized(int nodes) {
  Options o;
  o.nodes = nodes;
  return o;
}

TEST(RaftSim, SingleNodeClusterIsSafeAndLive) {
  run(sized(1), 1'000, 100);
}
TEST(RaftSim, ThreeNodeClusterIsSafeLiveAndLinearizable) {
  run(sized(3), 3'000, 600);
}
TEST(RaftSim, FiveNodeClusterIsSafeLiveAndLinearizable) {
  run(sized(5), 5'000, 500);
}
TEST(RaftSim, SevenNodeClusterIsSafeLiveAndLinearizable) {
  run(sized(7), 7'000, 300);
}

TEST(RaftSim, MembershipChangesAndTransfersUnderLoadAreSafe) {
  Options o = sized(3);
  o.spare_nodes = 2;
  o.conf_change_rate = 0.01;
  o.transfer_rate = 0.004;
  run(o, 30'000, 300);
}

TEST(RaftSim, FiveNodesWithMembershipChangesAreSafe) {
  Options o = sized(5);
  o.spare_nodes = 2;
  o.conf_change_rate = 0.01;
  o.transfer_rate = 0.004;
  run(o, 50'000, 200);
}

TEST(RaftSim, WithoutPreVoteOrCheckQuorumStillSafe) {
  Options o = sized(3);
  o.pre_vote = false;
  o.check_quorum = false;
  run(o, 90'000, 100);
}

TEST(RaftSim, SameSeedReplaysIdentically) {
  Options o = sized(5);
  o.seed = 43;
  o.drop = 0.1;
  o.crash_rate = 0.002;
  o.partition_rate = 0.004;
  Cluster a(o);
  Cluster b(o);
  ASSERT_TRUE(a.run()) << a.failure();
  ASSERT_TRUE(b.run()) << b.failure();
  EXPECT_EQ(a.stats().applied_max, b.stats().applied_max);
  EXPECT_EQ(a.stats().elections, b.stats().elections);
  EXPECT_EQ(a.stats().writes_ok, b.stats().writes_ok);
  EXPECT_EQ(a.stats().reads_ok, b.stats().reads_ok);
  EXPECT_GT(a.stats().writes_ok, 0u);
}

}  // namespace
}  // namespace uq::raft::sim
