// server/store.h — the raft core: every write goes through Raft and the WAL before SQLite.
//
// Owns: the Raft state machine (raft::Node), the log on disk (wal::Log + the hard-state file),
// the node-to-node transport (net::PeerTransport on -raft-addr), the membership table (each
// member's rqlite id, Raft and HTTP addresses, learned from the log's configuration entries),
// the proposals waiting to commit and the linearizable reads waiting for their read index.
// It feeds committed entries, in log order, to sql::Database (the only SQLite writer).
// Threads: all Raft, WAL and transport work runs on reactor 0 (the raft core). The public methods
// marked "any thread" post to it; their callbacks run on reactor 0 or on the apply thread, and
// must only hand work back to the caller's reactor. open() and attach() run on the main thread
// before reactor 0's run() starts; stop() on the main thread while it still runs.
// Guarantees: a write's `done` runs only after its entry is durable in a majority's WAL (for a
// single node: fdatasync'd locally), committed and applied; entries apply on every node in the
// same order; a proposal that cannot commit under this leader (leadership lost) is answered
// with an error, never silently dropped. A failed WAL write or sync stops the process: the
// kernel may have dropped the data, and only recovery from disk can say what is durable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/reactor.h"
#include "core/status.h"
#include "net/peer.h"
#include "raft/node.h"
#include "server/config.h"
#include "sql/command.h"
#include "sql/database.h"
#include "sql/snapshot.h"
#include "wal/group_commit.h"
#include "wal/hard_state.h"
#include "wal/log.h"

namespace uq::server {

class Counters;

struct Member {
  std::string id;         // rqlite node id (-node-id)
  std::string raft_addr;  // advertised Raft address
  std::string api_addr;   // advertised HTTP address, host:port
  bool voter = true;
};

// What the HTTP handlers need to know about the cluster; an immutable snapshot.
struct ClusterView {
  raft::Role role = raft::Role::kFollower;
  uint64_t term = 0;
  bool has_leader = false;
  Member leader;                // valid when has_leader
  std::vector<Member> members;  // sorted by id
  bool self_member = false;
  bool self_voter = false;
};

// Numbers for /status; read without locks.
struct RaftNumbers {
  uint64_t term = 0;
  uint64_t commit_index = 0;
  uint64_t last_log_index = 0;
  uint64_t last_log_term = 0;
  int64_t last_contact_ms = -1;  // steady ms of the last message from the leader; -1 never
};

// RPC method numbers on the node-to-node port.
enum class PeerMethod : uint8_t {
  kForward = 1,  // an HTTP request for the leader's API (server/forward.h)
  kJoin = 2,
  kNotify = 3,
  kMeta = 4,
  kExecute = 5,        // a sql::Command to run through the leader's log (queued-write batches)
  kSnapshotChunk = 6,  // InstallSnapshot: one zstd-compressed piece of the database file
  kRemoved = 7,        // the leader tells a node its removal committed
};

class Store {
 public:
  using Done = sql::Database::Done;
  using StatusDone = std::function<void(Status)>;
  // Handles a forwarded HTTP request (reactor 0).
  using ForwardHandler =
      std::function<void(std::string_view payload, net::PeerTransport::Reply reply)>;

  Store(const Config& config, sql::Database& db, Counters& counters);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Main thread: opens (and recovers) the log and hard state under raft_dir and decides how this
  // node starts: restart from its log, bootstrap alone, or wait to join / bootstrap-expect.
  Status open(const std::string& raft_dir);
  // Main thread, before reactor 0 runs: binds -raft-addr and arms the raft core on it.
  Status attach(core::Reactor& reactor, ForwardHandler forward_handler);
  // Main thread, while reactor 0 runs: graceful leave (transfer leadership if configured),
  // close the transport. Idempotent.
  void stop();

  // Any thread.
  bool is_leader() const { return leader_.load(std::memory_order_acquire); }
  std::shared_ptr<const ClusterView> view() const;
  RaftNumbers numbers() const;
  uint64_t applied_index() const { return db_.applied_index(); }
  // False while this node is still re-applying the log it found at start-up (its database is
  // rebuilt from the log), so /readyz does not call it ready with half its data.
  bool caught_up() const;
  const std::string& self_id() const { return config_.node_id; }
  // Through the log: commits the command and answers with the leader's result. Not the leader:
  // answers the "not leader" envelope (the caller forwards before calling this).
  void execute(sql::Command command, sql::ExecOptions options, Done done);
  // The same from any node: a follower sends the command to the leader (kExecute) and answers
  // with its result, or with a request-level error when there is no leader to send it to.
  void execute_anywhere(sql::Command command, sql::ExecOptions options, Done done);
  // Linearizable read point (ReadIndex, no log write): done(ok) once this node, the leader, has
  // applied everything committed before the call; an error if leadership is not confirmed in
  // time.
  void read_barrier(std::chrono::milliseconds timeout, StatusDone done);
  // Sends a forwarded HTTP request to the leader; done runs on reactor 0.
  void forward(std::string payload, std::chrono::milliseconds timeout,
               std::function<void(Result<std::string>)> done);
  // Leader only (the HTTP layer forwards): membership changes, returning once committed.
  void remove_member(std::string id, StatusDone done);
  // Leader only: hand leadership to `id` (empty: the most up-to-date voter); done once another
  // node leads, or with the reason it could not.
  void transfer_leadership(std::string id, StatusDone done);
  // Leader only: replaces every node's database with this SQLite image, through the log (an
  // entry carrying the whole image). done: 200 {"results":[]} or an error response.
  void load_database(std::string image, Done done);
  // Single-node leader only: adopts the SQLite file at `path` (consumed) without the log, then
  // snapshots, so the log and restarts agree. kUnavailable "not leader" / "not single-node".
  void boot_database(std::string path, StatusDone done);
  // Takes a snapshot now (POST /snapshot?trailing_logs=N): done once it is durable and the log
  // is compacted behind it, keeping the last `trailing` entries it covers; kNotFound when
  // nothing was applied since the last one.
  void request_snapshot(uint64_t trailing, StatusDone done);
  // Entries automatic snapshots leave in the log below them (rqlite's, shown in /status): a
  // follower that far behind catches up from the log rather than with a whole database copy.
  static constexpr uint64_t kAutoTrailingLogs = 10240;
  // Deletes all snapshots but the newest (POST /reap); done with how many were removed.
  void reap_snapshots(std::function<void(Result<size_t>)> done);
  // The snapshots on disk, oldest first (for /status).
  std::vector<sql::SnapshotMeta> snapshot_list() const;
  // Asks the node at raft_addr for its HTTP API URL and version (/nodes, /leader).
  struct NodeMeta {
    std::string api_url;
    std::string version;
    uint64_t commit_index = 0;
  };
  void probe(std::string raft_addr, std::chrono::milliseconds timeout,
             std::function<void(Result<NodeMeta>)> done);

 private:
  struct Pending {
    uint64_t term = 0;
    sql::Command command;  // what the entry holds, encoded
    sql::ExecOptions options;
    Done done;
  };
  struct Waiter {  // a linearizable read waiting for applied >= index
    uint64_t index;
    StatusDone done;
  };
  struct CommitWaiter {  // a membership change waiting to commit
    uint64_t index;
    uint64_t term;
    StatusDone done;
  };
  struct ReadBatch {
    std::vector<StatusDone> reads;
    uint64_t timer = 0;
  };
  class PersistJob;
  struct Transfer;
  struct Incoming {  // a snapshot arriving in chunks
    std::string path;
    int fd = -1;
    uint64_t next_offset = 0;
    sql::SnapshotMeta meta;
    ~Incoming();
  };
  // One-way payloads on the node-to-node port start with a tag.
  static constexpr char kTagRaft = 'R';
  static constexpr char kTagMembers = 'M';

  static sql::Response failed(const Pending& pending, const std::string& why);
  // Raft core (reactor 0) only.
  void run_on_core(std::function<void()> fn);
  void schedule_ready();
  void process_ready();
  void handle_ready(raft::Ready& rd);
  void queue_persist(raft::Ready& rd);
  void pump_persist();
  void finish_persist_jobs();
  void apply_committed(const raft::Entry& entry);
  void on_soft_state(const raft::SoftState& soft);
  void reap_unreachable();
  void fail_pending(const std::string& why);
  void send_message(const raft::Message& m);
  void on_peer_message(std::string_view tagged);
  void introduce_members();
  void maybe_introduce(raft::NodeId peer, int64_t now, std::string* table);
  void learn_members(std::string_view table);
  void on_peer_request(uint8_t method, std::string_view payload, net::PeerTransport::Reply reply);
  void tick();
  void start_read_round();
  void on_read_state(const raft::ReadState& rs);
  void release_reads(uint64_t applied);
  void learn_config(const raft::Entry& entry);
  void publish_view();
  void publish_numbers();
  void propose_change(raft::ConfChange change, std::chrono::steady_clock::time_point give_up,
                      StatusDone done);
  void handle_join(std::string_view payload, net::PeerTransport::Reply reply);
  void handle_notify(std::string_view payload);
  void start_joining();
  void join_round(size_t target, int attempt, int redirects);
  void notify_round();
  void maybe_bootstrap_expected();
  void bootstrap(std::vector<Member> voters);
  void remove_self(std::function<void()> then);
  // store_snapshot.cc
  std::string encode_conf_blob(const raft::ConfState& conf) const;
  bool decode_conf_blob(std::string_view blob, raft::ConfState* conf);
  Status load_snapshot(raft::DurableState* durable);
  void take_snapshot(bool force, uint64_t trailing, StatusDone done);
  Status finish_snapshot(const sql::SnapshotResult& taken, const std::string& path, bool force,
                         uint64_t trailing);
  void apply_load(uint64_t index, const std::string& image, Done done);
  void maybe_auto_snapshot();
  uint64_t auto_trailing(uint64_t index) const;
  void send_snapshot(const raft::Message& m, const std::string& addr);
  void send_next_chunk(std::shared_ptr<Transfer> transfer);
  void handle_snapshot_chunk(std::string_view payload, net::PeerTransport::Reply reply);
  void install_snapshot(const raft::SnapshotMeta& meta);
  void install_snapshot_in_log(const raft::SnapshotMeta& snapshot);
  void publish_snapshots();
  // store_recovery.cc
  Status recover_from_peers_file(raft::DurableState* durable);
  void fatal(const std::string& message);
  void save_power_loss_marker();

  const Config& config_;
  sql::Database& db_;
  Counters& counters_;
  core::Reactor* reactor_ = nullptr;
  std::string raft_dir_;
  raft::NodeId self_raft_id_;
  std::unique_ptr<wal::Log> log_;
  std::unique_ptr<wal::HardStateFile> hard_state_;
  std::unique_ptr<wal::GroupCommitter> committer_;
  std::unique_ptr<wal::UringGroupDriver> driver_;
  std::unique_ptr<net::PeerTransport> transport_;
  std::unique_ptr<raft::Node> node_;
  raft::Config raft_config_;
  ForwardHandler forward_handler_;
  int tick_ms_ = 100;

  bool ready_scheduled_ = false;
  bool stopped_ = false;
  std::deque<std::unique_ptr<PersistJob>> persist_jobs_;  // in Ready order
  size_t persist_blocked_from_ = SIZE_MAX;         // first job that must wait for a truncation
  std::unordered_map<uint64_t, Pending> pending_;  // by log index, this leader's
  std::vector<CommitWaiter> commit_waiters_;
  std::vector<StatusDone> transfer_waiters_;
  std::vector<StatusDone> reads_unsent_;  // linearizable reads not yet in a ReadIndex round
  // The shortest linearizable_timeout among them: the round that confirms leadership for all
  // of them gives up after it (or after two election timeouts, whichever is first).
  std::chrono::milliseconds unsent_timeout_ = std::chrono::milliseconds::max();
  std::unordered_map<uint64_t, ReadBatch> read_rounds_;  // by context
  uint64_t next_read_context_ = 1;
  std::vector<Waiter> read_waiters_;              // sorted by index
  std::unordered_map<uint64_t, Member> members_;  // by raft id; all ever configured
  raft::ConfState conf_;
  wal::HardState saved_hard_state_;
  raft::SoftState soft_;
  int64_t last_contact_ms_ = -1;
  std::unordered_map<uint64_t, int64_t> introduced_ms_;
  std::unordered_map<uint64_t, int64_t>
      last_seen_ms_;  // leader: per peer, for reaping  // by raft id: last member table sent
  int power_loss_fd_ = -1;

  // Snapshots (store_snapshot.cc).
  std::unique_ptr<sql::SnapshotStore> snapshots_;
  uint64_t snapshot_index_ = 0;
  uint64_t snapshot_term_ = 0;
  bool snapshot_running_ = false;
  int64_t next_snapshot_check_ms_ = 0;     // -raft-snap-int
  int64_t snapshot_allowed_ms_ = 0;        // no automatic snapshot before (10x the last one's cost)
  uint64_t log_bytes_since_snapshot_ = 0;  // entry payload bytes persisted (-raft-snap-wal-size)
  std::unordered_map<uint64_t, std::shared_ptr<Transfer>> transfers_;  // by follower raft id
  std::unique_ptr<Incoming> incoming_;
  bool corrupt_next_chunk_ = false;  // test hook, see handle_snapshot_chunk

  // Joining and bootstrap-expect.
  std::vector<std::string> join_targets_;
  bool joined_ = false;
  std::chrono::steady_clock::time_point bootstrap_deadline_;
  std::unordered_map<std::string, Member> notified_;  // bootstrap-expect, by id
  int64_t next_notify_ms_ = 0;

  // Published for other threads.
  std::atomic<bool> leader_{false};
  mutable std::mutex view_mu_;
  std::shared_ptr<const ClusterView> view_;       // guarded by view_mu_
  std::vector<sql::SnapshotMeta> snapshot_list_;  // guarded by view_mu_
  std::atomic<uint64_t> term_{0}, commit_{0}, last_index_{0}, last_term_{0};
  std::atomic<int64_t> contact_ms_{-1};
  uint64_t boot_last_index_ = 0;
  uint64_t reused_index_ = 0;  // entries up to here are in the database found at start-up
  std::chrono::steady_clock::time_point boot_time_;
  uint64_t stale_replaced_counted_ = 0;  // transport's count already added to /debug/vars
};

// raft ids are derived from rqlite's string ids (a 64-bit hash, never 0).
raft::NodeId raft_id_of(std::string_view id);

// A member as configuration entries, join requests and snapshots carry it (versioned bytes).
std::string encode_member(const Member& member);
std::optional<Member> decode_member(std::string_view bytes);

}  // namespace uq::server
