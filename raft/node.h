// raft/node.h — one Raft peer as a pure, deterministic state machine.
//
// Owns: the protocol state of one node (term, vote, role, log, configuration, per-follower
// progress, pending reads). It does no I/O, starts no thread and reads no clock: time is tick(),
// the network is step() in and Ready.messages out, the disk is Ready.entries/hard_state out and
// on_persisted() in. Given the same Config (including seed) and the same sequence of calls it
// produces the same outputs. One thread owns a Node; nothing here is thread-safe.
//
// The driver loop (see docs/raft.md):
//   1. feed inputs: tick(), step(), propose(), read_index(), on_persisted() ...
//   2. if has_ready(): rd = ready();
//        a. send rd.messages now (the leader's appends go out in parallel with its own write,
//           §10.2.1);
//        b. write rd.snapshot, rd.entries (they overwrite any stored suffix from
//           rd.entries[0].index) and rd.hard_state, in order after earlier Readies' writes;
//           fsync if rd.must_sync;
//        c. when that write is durable: send rd.messages_after_persist, then call
//           on_persisted(rd.persist_mark);
//        d. apply rd.committed_entries (they are durable and committed), answer rd.read_states
//           once applied ≥ their index;
//        e. advance(rd). Between ready() and advance() only on_persisted() may be called;
//           rd's spans (entries, committed_entries) stay valid until advance().
//      Steps b–c may complete after later Readies were taken (asynchronous storage), as long
//      as writes complete in order; a synchronous driver does b, c, d, e in sequence.
// Errors: calls return Status for expected refusals (not leader, change pending, transfer in
// progress); a refused call changes nothing. Bugs (a broken invariant) stop the process.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "raft/log.h"
#include "raft/progress.h"
#include "raft/types.h"

namespace uq::raft {

struct Config {
  NodeId id;
  // Ticks without hearing from a leader before campaigning; the actual timeout is drawn
  // uniformly from [election_tick, 2 * election_tick) (§3.4, randomized election timeouts).
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = true;      // §9.6: a would-be candidate first asks whether it could win
  bool check_quorum = true;  // §6.2 / §4.2.3: leader lease and step-down without a quorum
  // Lease reads (§6.4.1): read_index() answers at once while the lease holds. Needs
  // check_quorum. Assumes every node's tick rate is within the drift bound in docs/raft.md.
  bool lease_read = false;
  // Ticks subtracted from the lease for clock drift between nodes (must be < election_tick).
  int lease_drift_ticks = 2;
  size_t max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 64ull << 20;  // 0: no byte bound
  uint64_t max_size_per_msg = 1ull << 20;
  uint64_t seed = 1;  // the only source of randomness
};

// What a node reads back from durable storage at start. A fresh node passes term 0, an empty log
// and a snapshot at index 0 whose conf lists the initial voters (the bootstrap configuration).
struct DurableState {
  HardState hard_state;
  SnapshotMeta snapshot;
  std::vector<Entry> entries;  // contiguous from snapshot.index + 1
};

// The durable state of a founding member of a new cluster: one committed config entry per voter
// (term 1, indexes 1..n), so that every node, including ones that join later with an empty
// DurableState{}, derives the configuration from the log alone.
DurableState bootstrap_state(std::span<const NodeId> voters);
// The same with each voter's ConfChange (kAddVoter) given whole, context included; every
// founding member must pass the same list in the same order.
DurableState bootstrap_state(std::span<const ConfChange> voters);

// What is durable once a Ready's writes (and all earlier ones) are: the log up to index (whose
// entry has log_term) and the hard state of `term`.
struct PersistMark {
  LogIndex index;
  Term log_term;
  Term term;
};

struct Ready {
  PersistMark persist_mark;
  std::optional<SoftState> soft_state;   // set when leader or role changed
  std::optional<HardState> hard_state;   // set when term, vote or commit changed
  EntryView entries;                     // to append durably (may overwrite a stored suffix)
  bool must_sync = false;                // entries or term/vote changed: fsync before step c
  std::optional<SnapshotMeta> snapshot;  // install this snapshot (data arrives outside raft/)
  EntryView committed_entries;           // apply in order
  // May be sent at once: the leader's App/Heartbeat/Snapshot/TimeoutNow, PreVote and its answers.
  std::vector<Message> messages;
  // Claims about durable state (acks, votes, vote requests, heartbeat acks): send only after
  // this Ready's writes are durable, or a crash could make this node deny what it claimed.
  std::vector<Message> messages_after_persist;
  std::vector<ReadState> read_states;
};

class Node {
 public:
  Node(const Config& config, const DurableState& durable);

  // Inputs.
  void tick();
  // Processes one message from the network. Messages for another node, from stale terms or
  // malformed ones are ignored (returns an error status for the caller's logs only).
  Status step(const Message& m);
  Status propose(std::string data);
  Status propose_conf_change(const ConfChange& change);
  Status transfer_leadership(NodeId to);
  // Asks for a linearizable read point; the answer arrives as a ReadState with this context
  // (which must be unique among outstanding requests of this node).
  Status read_index(std::string context);
  // Starts an election now (tests, or an operator forcing one); no-op for non-voters.
  void campaign();
  // The writes of the Ready that carried `mark` (and all before it) are durable.
  void on_persisted(const PersistMark& mark);
  void report_unreachable(NodeId peer);
  void report_snapshot(NodeId peer, bool ok);
  // The application took a snapshot of its state at `index` (≤ applied): drop the log up to it,
  // except the last `trailing` entries at or below it (followers that far behind still catch up
  // from the log).
  void compact(LogIndex index, uint64_t trailing = 0);

  // Output.
  bool has_ready() const;
  Ready ready();
  void advance(const Ready& rd);

  // Observers (tests, status pages).
  NodeId id() const { return id_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  const RaftLog& log() const { return log_; }
  const ConfState& conf() const { return conf_; }
  const Progress* progress(NodeId peer) const;
  NodeId lead_transferee() const { return lead_transferee_; }

 private:
  struct PendingRead {
    std::string context;
    NodeId requester;  // id_ for local reads, else the follower that forwarded it
    LogIndex index;
    uint64_t seq = 0;
    std::vector<NodeId> acks;
  };

  // node.cc: common machinery.
  void become_follower(Term term, NodeId leader);
  void reset(Term term);
  void reset_randomized_timeout();
  void send(Message m);
  // §4.2.2: voters campaign; so does a server removed by a config entry that is not yet
  // committed, since the cluster may still need it to commit that very entry.
  bool promotable() const {
    return conf_.is_voter(id_) ||
           (voter_before_latest_conf_ && latest_conf_index_ > log_.committed());
  }
  // Grants and rejections among the current voters.
  std::pair<size_t, size_t> tally_votes() const;
  size_t quorum() const { return conf_.voters.size() / 2 + 1; }
  void refresh_conf();
  ConfState conf_at(LogIndex index) const;
  bool in_lease() const;
  void flush_broadcasts();
  void tick_election();
  Status step_by_role(const Message& m);
  bool step_term(const Message& m);

  // node_election.cc
  void campaign_with(bool pre_vote, bool force);
  void maybe_win_election();
  void handle_vote_request(const Message& m);
  void step_candidate(const Message& m);
  bool log_up_to_date(LogIndex index, Term term) const;

  // node_leader.cc
  void become_leader();
  void tick_heartbeat();
  void step_leader(const Message& m);
  void handle_append_response(const Message& m, Progress* pr);
  void handle_heartbeat_response(const Message& m, Progress* pr);
  bool maybe_send_append(Progress* pr, bool send_if_empty);
  void send_snapshot(Progress* pr);
  void broadcast_append();
  void broadcast_heartbeat(uint64_t read_seq);
  bool maybe_commit();
  void after_commit_advanced();
  void append_as_leader(EntryType type, std::string data);
  Progress* find_progress(NodeId id);
  void sync_progress_with_conf();
  void send_timeout_now(NodeId to);
  void abort_transfer() { lead_transferee_ = kNoNode; }

  // node_read.cc
  void start_read(std::string context, NodeId requester);
  void release_read(PendingRead&& read);
  void ack_reads(NodeId from, uint64_t seq);
  void release_reads_waiting_commit();
  bool lease_valid() const;

  // node_follower.cc
  void step_follower(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);

  Config config_;
  NodeId id_;
  uint64_t rng_state_;

  Term term_;
  NodeId vote_;
  Role role_ = Role::kFollower;
  NodeId leader_;
  RaftLog log_;
  ConfState conf_;
  uint64_t conf_version_seen_ = ~0ull;
  LogIndex latest_conf_index_;  // the last config entry in the log (or the snapshot's index)
  bool voter_before_latest_conf_ = false;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;

  std::vector<Progress> progress_;              // leader only; excludes self
  std::vector<std::pair<NodeId, bool>> votes_;  // candidate only
  NodeId lead_transferee_;
  bool sent_timeout_now_this_term_ = false;
  bool pending_broadcast_ = false;       // new entries to send at the next ready()
  bool commit_changed_ = false;          // followers must learn the new commit (send even if empty)
  bool pending_read_broadcast_ = false;  // a read waits for the next heartbeat round

  uint64_t read_seq_ = 0;
  std::deque<PendingRead> reads_;                  // waiting for a heartbeat quorum
  std::vector<PendingRead> reads_waiting_commit_;  // new leader: until its no-op commits
  // Lease bookkeeping: tick count, and per heartbeat round (seq) the tick it was sent at.
  uint64_t ticks_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> heartbeat_sent_ticks_;  // (seq, tick)
  std::vector<std::pair<NodeId, uint64_t>> acked_tick_;  // per peer: latest acked send tick

  std::vector<Message> msgs_;
  std::vector<Message> msgs_after_persist_;
  std::vector<ReadState> read_states_;
  std::optional<SnapshotMeta> pending_snapshot_;
  SoftState prev_soft_;
  HardState prev_hard_;
  bool ready_taken_ = false;
  // The latest term whose hard state (term and vote) is durable. A candidate counts its own vote
  // only once it is (§3.8: persist before acting on it), so that a crash cannot make it
  // vote twice in one term — and lead twice in one term, as a lone voter could otherwise.
  Term durable_term_;
};

}  // namespace uq::raft
