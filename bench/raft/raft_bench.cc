// Fault-free in-memory 3-node cluster driven through step/ready/advance on one core: how many
// entries per second commit (and apply on every node) with proposal batching, and whether the
// per-entry cost stays flat as the log grows. Storage is "instant": on_persisted follows each
// Ready at once, so this measures the protocol code alone (no encoding, no fsync).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "raft/node.h"

namespace uq::raft {
namespace {

class BenchCluster {
 public:
  explicit BenchCluster(bool compact) : compact_(compact) {
    std::vector<NodeId> voters{NodeId(1), NodeId(2), NodeId(3)};
    for (uint64_t i = 1; i <= 3; ++i) {
      Config c;
      c.id = NodeId(i);
      c.pre_vote = false;
      c.check_quorum = false;
      c.max_inflight_msgs = 64;
      c.max_size_per_msg = 4u << 20;
      nodes_.push_back(std::make_unique<Node>(c, bootstrap_state(voters)));
    }
    nodes_[0]->campaign();
    for (int i = 0; i < 10 && nodes_[0]->role() != Role::kLeader; ++i) {
      pump();
    }
    pump();
  }

  Node& leader() { return *nodes_[0]; }
  uint64_t applied() const { return applied_[0]; }

  // One driver turn per node: take the Ready, "persist" it, deliver messages, apply, advance.
  void pump() {
    for (int round = 0; round < 4; ++round) {
      bool any = false;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        Node& n = *nodes_[i];
        if (!n.has_ready()) {
          continue;
        }
        any = true;
        Ready rd = n.ready();
        PersistMark mark = rd.persist_mark;
        applied_[i] += rd.committed_entries.size();
        LogIndex last_applied =
            rd.committed_entries.empty() ? LogIndex(0) : rd.committed_entries.back().index;
        inbox_.insert(inbox_.end(), std::make_move_iterator(rd.messages.begin()),
                      std::make_move_iterator(rd.messages.end()));
        inbox_.insert(inbox_.end(), std::make_move_iterator(rd.messages_after_persist.begin()),
                      std::make_move_iterator(rd.messages_after_persist.end()));
        n.advance(rd);
        n.on_persisted(mark);
        if (compact_ && last_applied.value > n.log().snapshot().index.value + 65536) {
          n.compact(last_applied);  // the application snapshotted: keep memory bounded
        }
      }
      std::vector<Message> batch;
      batch.swap(inbox_);
      for (const Message& m : batch) {
        (void)nodes_[m.to.value - 1]->step(m);
      }
      if (!any && batch.empty()) {
        return;
      }
    }
  }

  // Proposes `count` entries of `payload`, in batches of `batch`, and drives until applied.
  void run(uint64_t count, uint64_t batch, const std::string& payload) {
    uint64_t target = applied_[0] + count;
    for (uint64_t done = 0; done < count;) {
      uint64_t n = std::min(batch, count - done);
      for (uint64_t i = 0; i < n; ++i) {
        (void)leader().propose(payload);
      }
      done += n;
      pump();
    }
    for (int i = 0; i < 100 && applied_[0] < target; ++i) {
      pump();
    }
  }

 private:
  bool compact_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Message> inbox_;
  uint64_t applied_[3] = {0, 0, 0};
};

// Arg 0: batch size; arg 1: payload bytes.
void BM_CommitBatched(benchmark::State& state) {
  BenchCluster c(/*compact=*/true);
  std::string payload(static_cast<size_t>(state.range(1)), 'x');
  uint64_t batch = static_cast<uint64_t>(state.range(0));
  uint64_t start = c.applied();
  for (auto _ : state) {
    c.run(batch * 16, batch, payload);
  }
  state.SetItemsProcessed(static_cast<int64_t>(c.applied() - start));
}
BENCHMARK(BM_CommitBatched)
    ->Args({1, 16})
    ->Args({64, 16})
    ->Args({1024, 16})
    ->Args({1024, 128})
    ->Args({4096, 16})
    ->Unit(benchmark::kMillisecond);

// Per-entry cost after the log already holds arg 0 entries (arg 1: 1 = compacting as a real
// application does, 0 = the whole log kept in memory).
void BM_CommitAtLogLength(benchmark::State& state) {
  bool compact = state.range(1) != 0;
  BenchCluster c(compact);
  std::string payload(16, 'x');
  c.run(static_cast<uint64_t>(state.range(0)), 4096, payload);
  uint64_t start = c.applied();
  for (auto _ : state) {
    c.run(4096 * 16, 1024, payload);
  }
  state.SetItemsProcessed(static_cast<int64_t>(c.applied() - start));
  state.counters["log_index"] = static_cast<double>(c.leader().log().last_index().value);
}
BENCHMARK(BM_CommitAtLogLength)
    ->Args({0, 1})
    ->Args({1'000'000, 1})
    ->Args({10'000'000, 1})
    ->Unit(benchmark::kMillisecond);
// Without compaction the log vector doubles now and then (moving every entry); a fixed number of
// iterations (16 × 65536 entries) spreads that amortized cost over what it buys.
BENCHMARK(BM_CommitAtLogLength)
    ->Args({0, 0})
    ->Args({1'000'000, 0})
    ->Args({4'000'000, 0})
    ->Iterations(16)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace uq::raft
