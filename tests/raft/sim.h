// tests/raft/sim.h — a deterministic, seeded simulator for uq::raft::Node clusters.
//
// Owns: N nodes (plus spare ids that may join), a fake network (drop, delay, reorder, duplicate,
// symmetric and asymmetric partitions), fake storage (writes become durable after a delay; a
// crash loses every write not yet durable), a key-value register state machine per node, and
// clients that issue writes and ReadIndex/lease reads and record a history for the
// linearizability checker. One thread; every random choice comes from one PRNG seeded by the
// seed, so a seed replays exactly. After every step it checks the Raft safety properties and
// records the first violation (with the seed) in failure().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "raft/node.h"
#include "tests/raft/linearizability.h"

namespace uq::raft::sim {

struct Options {
  uint64_t seed = 1;
  int nodes = 3;
  int spare_nodes = 1;  // ids nodes+1 .. nodes+spare: non-members that membership changes add
  int ticks = 300;      // length of the faulty phase
  int units_per_tick = 10;
  // Fault rates, per message / per unit of time.
  double drop = 0.05;
  double duplicate = 0.02;
  int max_delay_units = 25;
  double partition_rate = 0.003;
  double heal_rate = 0.01;
  double crash_rate = 0.001;
  double restart_rate = 0.02;
  double conf_change_rate = 0.0;
  double transfer_rate = 0.0;
  double compact_rate = 0.002;
  double client_rate = 0.2;
  bool lease_read = false;
  bool pre_vote = true;
  bool check_quorum = true;
  int max_sync_delay_units = 15;
  int clients = 3;
  int keys = 3;
};

struct Stats {
  uint64_t elections = 0;  // distinct (term, leader) pairs seen
  uint64_t applied_max = 0;
  uint64_t writes_ok = 0;
  uint64_t reads_ok = 0;
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t snapshots_sent = 0;
  uint64_t conf_changes = 0;
  uint64_t transfers = 0;
};

class Cluster {
 public:
  explicit Cluster(const Options& options);
  ~Cluster();

  // Runs the faulty phase, then heals everything and checks liveness; then checks the history.
  // Returns true when no property was violated.
  bool run();
  const std::string& failure() const { return failure_; }
  const Stats& stats() const { return stats_; }

  // Building blocks (also used by targeted tests).
  void step_once(bool faults);
  void heal_all();
  bool liveness_check(int max_ticks);
  bool check_history();

 private:
  struct PendingWrite;
  struct SimNode;
  struct InFlight;
  struct Client;

  void fail(const std::string& what);
  SimNode& sim_node(NodeId id);
  void start_node(SimNode& n);
  void crash_node(SimNode& n);
  void deliver_due();
  void complete_writes();
  void process_ready(SimNode& n);
  void apply_entry(SimNode& n, const Entry& e);
  void install_snapshot(SimNode& n, const SnapshotMeta& meta);
  void route(const Message& m);
  void inject_faults();
  void drive_clients();
  void client_done(size_t op);
  void client_finish_read(SimNode& n, const ReadState& rs);
  void check_safety();
  void check_new_leader(SimNode& n);
  bool link_up(NodeId from, NodeId to) const;
  uint64_t now_tick() const { return now_ / static_cast<uint64_t>(options_.units_per_tick); }
  std::optional<NodeId> current_leader() const;

  Options options_;
  std::mt19937_64 rng_;
  uint64_t now_ = 0;
  uint64_t msg_seq_ = 0;
  std::string failure_;
  Stats stats_;
  bool trace_ = false;  // UQ_RAFT_TRACE=1: print role changes, entries and messages

  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::multimap<std::pair<uint64_t, uint64_t>, Message> network_;  // (due, seq) → message
  std::set<std::pair<uint64_t, uint64_t>> cut_links_;              // (from, to) one-way cuts

  // Safety bookkeeping.
  std::map<uint64_t, uint64_t> leader_of_term_;                   // term → leader
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> entry_hash_;  // (index, term) → hash
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> applied_;     // index → (term, hash)
  std::map<uint64_t, std::map<std::string, int64_t>> snapshots_;  // index → kv state

  std::vector<Client> clients_;
  lin::History history_;
  uint64_t next_write_value_ = 1;
  // Orders every call and return (several may happen within one unit of simulated time).
  uint64_t event_clock_ = 0;
};

// Runs `count` seeds starting at `first_seed` with options derived per seed from `base`; returns
// the failures (each naming its seed). Used by the tests and the soak command.
std::vector<std::string> run_seeds(const Options& base, uint64_t first_seed, uint64_t count);

}  // namespace uq::raft::sim
