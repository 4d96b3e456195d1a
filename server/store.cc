#include "server/store.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/bytes.h"
#include "core/checksum.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "raft/codec.h"
#include "server/counters.h"
#include "server/forward.h"
#include "sql/executor.h"

namespace uq::server {

namespace {

constexpr uint8_t kMemberVersion = 1;
constexpr const char* kLeadershipLost = "leadership lost while committing log";
constexpr const char* kPowerLossEnv = "UQ_TEST_POWER_LOSS";
constexpr const char* kPowerLossFile = "test-synced-index";
constexpr const char* kSegmentBytesEnv = "UQ_TEST_WAL_SEGMENT_BYTES";
// WAL rounds (write + fdatasync) in flight at once: the disk runs concurrent fdatasyncs side by
// side, so under load a round need not wait for the previous one's sync to end.
// Measured at c=64 inserts on one node (interleaved runs, loaded machine): 1 round ~10k/s,
// 3 rounds ~16.6k/s, 5 rounds ~18.5k/s.
constexpr size_t kWalRoundsInFlight = 4;

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) {
      out.push_back(item);
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

// The join answer: u8 outcome, then the leader's Raft address or an error message.
enum class JoinOutcome : uint8_t { kOk = 0, kNotLeader = 1, kError = 2 };

std::string join_answer(JoinOutcome outcome, std::string_view detail) {
  std::string out;
  core::put_u8(&out, static_cast<uint8_t>(outcome));
  core::put_bytes_varint(&out, detail);
  return out;
}

}  // namespace

sql::Response Store::failed(const Pending& pending, const std::string& why) {
  // A strong read that cannot complete is an error status, so a client never takes it for an
  // empty answer; a write's failure goes in the envelope, as rqlite reports Raft apply errors.
  if (pending.command.kind == sql::Kind::kQuery) {
    return sql::Response{503, why + "\n", false};
  }
  return sql::error_envelope(why, pending.options);
}

std::string encode_member(const Member& m) {
  std::string out;
  core::put_u8(&out, kMemberVersion);
  core::put_bytes_varint(&out, m.id);
  core::put_bytes_varint(&out, m.raft_addr);
  core::put_bytes_varint(&out, m.api_addr);
  core::put_u8(&out, m.voter ? 1 : 0);
  return out;
}

std::optional<Member> decode_member(std::string_view bytes) {
  core::ByteReader r(bytes);
  Member m;
  if (r.u8() != kMemberVersion) {
    return std::nullopt;
  }
  m.id = r.bytes_varint();
  m.raft_addr = r.bytes_varint();
  m.api_addr = r.bytes_varint();
  m.voter = r.u8() != 0;
  if (!r.ok() || r.remaining() != 0 || m.id.empty()) {
    return std::nullopt;
  }
  return m;
}

raft::NodeId raft_id_of(std::string_view id) {
  uint64_t h = checksum(ChecksumDomain::kNodeId, id);
  return raft::NodeId(h == 0 ? 1 : h);
}

// One Ready's durable work: its entries (written by the group committer, possibly together with
// other Readies' in one frame and one fdatasync) and what to do once they are durable.
class Store::PersistJob final : public wal::AppendRequest {
 public:
  explicit PersistJob(Store* store) : store_(store) {}
  void on_durable(const Status& status) override {
    if (!status.is_ok()) {
      store_->fatal("WAL write failed: " + status.to_string());
    }
    durable = true;
    // Not from inside the committer's callback loop: the job is freed when it completes.
    store_->run_on_core([s = store_] { s->finish_persist_jobs(); });
  }

  std::vector<wal::Entry> wal_entries;
  raft::PersistMark mark;
  std::vector<raft::Message> after;
  std::optional<raft::SnapshotMeta> snapshot;  // the log restarts after it
  bool submitted = false;
  bool durable = false;

 private:
  Store* store_;
};

Store::Store(const Config& config, sql::Database& db, Counters& counters)
    : config_(config), db_(db), counters_(counters) {
  self_raft_id_ = raft_id_of(config_.node_id);
  view_ = std::make_shared<ClusterView>();
}

Store::~Store() {
  if (power_loss_fd_ >= 0) {
    ::close(power_loss_fd_);
  }
}

Status Store::open(const std::string& raft_dir) {
  raft_dir_ = raft_dir;
  wal::FileSystem* fs = wal::posix_file_system();
  UQ_RETURN_IF_ERROR(fs->create_dir(raft_dir));
  auto hs = wal::HardStateFile::open(fs, raft_dir);
  if (!hs.is_ok()) {
    return hs.status();
  }
  hard_state_ = std::move(*hs);
  saved_hard_state_ = hard_state_->state();
  wal::LogOptions log_options;
  // Test mode: small segments, so a test sees segments rotate and get deleted behind snapshots
  // without writing hundreds of megabytes.
  if (const char* bytes = std::getenv(kSegmentBytesEnv); bytes != nullptr) {
    log_options.segment_bytes = std::strtoull(bytes, nullptr, 10);
  }
  auto log = wal::Log::open(fs, raft_dir, log_options);
  if (!log.is_ok()) {
    return log.status();
  }
  log_ = std::move(*log);
  if (!log_->recovery().torn_tail.empty()) {
    UQ_WARN("raft log: truncated a torn tail at %s", log_->recovery().torn_tail.c_str());
  }
  corrupt_next_chunk_ = std::getenv("UQ_TEST_CORRUPT_SNAPSHOT_CHUNK") != nullptr;
  if (std::getenv(kPowerLossEnv) != nullptr) {
    // Test mode: drop what was written after the last completed fdatasync, as a power cut would.
    std::string marker = raft_dir + "/" + kPowerLossFile;
    power_loss_fd_ = ::open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    uint64_t synced = 0;
    if (power_loss_fd_ >= 0 && ::pread(power_loss_fd_, &synced, sizeof synced, 0) == 8 &&
        synced < log_->last_index()) {
      UQ_WARN("power-loss test mode: dropping log entries after %llu (last %llu)",
              static_cast<unsigned long long>(synced),
              static_cast<unsigned long long>(log_->last_index()));
      UQ_RETURN_IF_ERROR(log_->truncate_suffix(std::max(synced + 1, log_->first_index())));
    }
  }

  std::string snapshot_dir = (std::filesystem::path(raft_dir).parent_path() / "snapshots").string();
  auto snapshots = sql::SnapshotStore::open(snapshot_dir);
  if (!snapshots.is_ok()) {
    return snapshots.status();
  }
  snapshots_ = std::move(*snapshots);
  raft::DurableState durable;
  reused_index_ = db_.applied_index();
  UQ_RETURN_IF_ERROR(load_snapshot(&durable));
  durable.hard_state =
      raft::HardState{raft::Term(saved_hard_state_.term), raft::NodeId(saved_hard_state_.vote),
                      raft::LogIndex(std::max(saved_hard_state_.commit, snapshot_index_))};
  // Entries the snapshot covers may still be in the log (a crash between the snapshot and the
  // compaction behind it): the log starts after the snapshot.
  uint64_t first = std::max(log_->first_index(), snapshot_index_ + 1);
  if (log_->last_index() >= first) {
    auto entries = log_->read(first, log_->last_index() + 1, SIZE_MAX);
    if (!entries.is_ok()) {
      return entries.status();
    }
    for (wal::Entry& e : *entries) {
      durable.entries.push_back(raft::Entry{raft::Term(e.term), raft::LogIndex(e.index),
                                            static_cast<raft::EntryType>(e.type),
                                            std::move(e.payload)});
    }
  }

  UQ_RETURN_IF_ERROR(recover_from_peers_file(&durable));

  int64_t heartbeat_ms = std::max<int64_t>(10, to_ms(config_.raft_heartbeat_timeout).count());
  tick_ms_ = static_cast<int>(std::max<int64_t>(1, heartbeat_ms / 10));
  raft_config_.id = self_raft_id_;
  raft_config_.heartbeat_tick = 1;
  raft_config_.election_tick = static_cast<int>(std::max<int64_t>(
      3, std::max(heartbeat_ms, to_ms(config_.raft_election_timeout).count()) / tick_ms_));
  raft_config_.pre_vote = true;
  raft_config_.check_quorum = true;
  raft_config_.seed = static_cast<uint64_t>(steady_ms()) ^ self_raft_id_.value;

  bool fresh = durable.entries.empty() && saved_hard_state_.term == 0 && snapshot_index_ == 0;
  join_targets_ = split_list(config_.join);
  if (fresh && join_targets_.empty() && config_.bootstrap_expect == 0 && !config_.raft_non_voter) {
    node_ = std::make_unique<raft::Node>(raft_config_, raft::DurableState{});
    Member self{config_.node_id, config_.effective_raft_adv_addr(),
                config_.effective_http_adv_addr(), true};
    bootstrap({self});
    UQ_INFO("bootstrapped a new single-node cluster as node %s", config_.node_id.c_str());
  } else {
    for (const raft::Entry& e : durable.entries) {
      learn_config(e);
    }
    node_ = std::make_unique<raft::Node>(raft_config_, durable);
  }
  const raft::ConfState& conf = node_->conf();
  joined_ = joined_ || conf.is_member(self_raft_id_);
  if (!fresh && !join_targets_.empty() && config_.bootstrap_expect == 0 &&
      conf.voters.size() == 1 && conf.voters[0] == self_raft_id_ && conf.learners.empty()) {
    return error(Code::kInvalidArgument,
                 "node " + config_.node_id +
                     " is the only member of its own single-node cluster and cannot join "
                     "another one; remove its data directory to join");
  }
  committer_ = std::make_unique<wal::GroupCommitter>(log_->max_batch_bytes(), kWalRoundsInFlight);
  boot_last_index_ = node_->log().last_index().value;
  boot_time_ = std::chrono::steady_clock::now();
  return Status::ok();
}

bool Store::caught_up() const {
  // Entries found at boot may have been uncommitted and then replaced by a new leader's; once
  // the cluster commits past them, or after a bound, the node counts as caught up anyway.
  constexpr auto kGiveUp = std::chrono::seconds(10);
  return db_.applied_index() >= boot_last_index_ ||
         commit_.load(std::memory_order_relaxed) > boot_last_index_ ||
         std::chrono::steady_clock::now() - boot_time_ > kGiveUp;
}

Status Store::attach(core::Reactor& reactor, ForwardHandler forward_handler) {
  net::PeerOptions options;
  options.connect_timeout = to_ms(config_.cluster_connect_timeout);
  auto transport = std::make_unique<net::PeerTransport>(reactor, options);
  Status listened = transport->listen(config_.raft_addr);
  if (!listened.is_ok()) {
    return error(listened.code(), "failed to listen on Raft address " + config_.raft_addr + ": " +
                                      listened.message());
  }
  reactor_ = &reactor;
  transport_ = std::move(transport);
  forward_handler_ = std::move(forward_handler);
  driver_ = std::make_unique<wal::UringGroupDriver>(log_.get(), committer_.get(), reactor.ring());
  transport_->on_message([this](std::string_view payload) { on_peer_message(payload); });
  transport_->on_request(
      [this](uint8_t method, std::string_view payload, net::PeerTransport::Reply reply) {
        on_peer_request(method, payload, std::move(reply));
      });
  db_.set_applied_hook(
      [this](uint64_t applied) { run_on_core([this, applied] { release_reads(applied); }); });
  bootstrap_deadline_ = std::chrono::steady_clock::now() + config_.bootstrap_expect_timeout;
  run_on_core([this] {
    const raft::ConfState& conf = node_->conf();
    // A lone voter need not wait out an election timeout to lead.
    if (conf.voters.size() == 1 && conf.voters[0] == self_raft_id_) {
      node_->campaign();
    }
    if (!join_targets_.empty()) {
      start_joining();
    }
    publish_view();
    schedule_ready();
    reactor_->add_timer(std::chrono::milliseconds(tick_ms_), [this] { tick(); });
  });
  return Status::ok();
}

void Store::stop() {
  if (reactor_ == nullptr) {
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  auto finish = [&] {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  };
  run_on_core([&, this] {
    auto close = [this, finish] {
      stopped_ = true;
      fail_pending("node is shutting down");
      transport_->close(finish);
    };
    auto leave = [this, close] {
      if (!config_.raft_cluster_remove_shutdown) {
        close();
        return;
      }
      remove_self(close);
    };
    bool others = std::any_of(node_->conf().voters.begin(), node_->conf().voters.end(),
                              [this](raft::NodeId v) { return v != self_raft_id_; });
    // A leader that leaves (or is asked to step down on shutdown) hands leadership over first,
    // so the cluster does not wait out an election timeout.
    if (node_->role() == raft::Role::kLeader && others &&
        (config_.raft_shutdown_stepdown || config_.raft_cluster_remove_shutdown)) {
      transfer_leadership("", [leave](Status s) {
        if (!s.is_ok()) {
          UQ_WARN("leadership transfer before shutdown failed: %s", s.message().c_str());
        }
        leave();
      });
      return;
    }
    leave();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(20), [&] { return done; });
}

void Store::remove_self(std::function<void()> then) {
  // -raft-cluster-remove-shutdown: ask the leader to remove this node, as DELETE /remove would.
  auto v = view();
  if (!v->has_leader || v->leader.id == config_.node_id) {
    UQ_WARN("cannot leave the cluster on shutdown: no other leader");
    then();
    return;
  }
  ForwardedRequest request;
  request.method = "DELETE";
  request.target = "/remove";
  request.content_type = "application/json";
  core::JsonWriter body(&request.body);
  body.begin_object();
  body.key("id");
  body.value_string(config_.node_id);
  body.end_object();
  transport_->call(
      v->leader.raft_addr, static_cast<uint8_t>(PeerMethod::kForward),
      encode_forward_request(request.view()), std::chrono::seconds(10),
      [this, then](Result<std::string> answer) {
        auto response = answer.is_ok() ? decode_forward_response(*answer)
                                       : Result<ForwardedResponse>(answer.status());
        if (response.is_ok() && response->status == 200) {
          UQ_INFO("node %s removed itself from the cluster", config_.node_id.c_str());
        } else {
          UQ_WARN("removing this node from the cluster on shutdown failed: %s",
                  response.is_ok() ? response->body.c_str() : response.status().message().c_str());
        }
        then();
      });
}

void Store::run_on_core(std::function<void()> fn) {
  while (!reactor_->post(fn)) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

std::shared_ptr<const ClusterView> Store::view() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  return view_;
}

RaftNumbers Store::numbers() const {
  RaftNumbers n;
  n.term = term_.load(std::memory_order_relaxed);
  n.commit_index = commit_.load(std::memory_order_relaxed);
  n.last_log_index = last_index_.load(std::memory_order_relaxed);
  n.last_log_term = last_term_.load(std::memory_order_relaxed);
  n.last_contact_ms = contact_ms_.load(std::memory_order_relaxed);
  return n;
}

// ---- the Ready loop -------------------------------------------------------------------------

void Store::schedule_ready() {
  if (ready_scheduled_ || stopped_) {
    return;
  }
  ready_scheduled_ = true;
  // Posted behind whatever is already queued, so proposals that arrive together share a Ready
  // (one WAL frame, one AppendEntries per follower).
  run_on_core([this] { process_ready(); });
}

void Store::process_ready() {
  ready_scheduled_ = false;
  if (stopped_) {
    return;
  }
  start_read_round();
  while (node_->has_ready()) {
    raft::Ready rd = node_->ready();
    handle_ready(rd);
    node_->advance(rd);
  }
  publish_numbers();
}

void Store::handle_ready(raft::Ready& rd) {
  if (rd.soft_state) {
    on_soft_state(*rd.soft_state);
  }
  for (const raft::Message& m : rd.messages) {
    send_message(m);
  }
  bool conf_changed = false;
  for (const raft::Entry& e : rd.entries) {
    if (e.type == raft::EntryType::kConfig) {
      learn_config(e);
      conf_changed = true;
    }
  }
  if (rd.snapshot) {
    install_snapshot(*rd.snapshot);
  }
  queue_persist(rd);
  for (const raft::Entry& e : rd.committed_entries) {
    apply_committed(e);
  }
  for (const raft::ReadState& rs : rd.read_states) {
    on_read_state(rs);
  }
  if (conf_changed || node_->conf() != conf_) {
    conf_ = node_->conf();
    publish_view();
  }
}

void Store::queue_persist(raft::Ready& rd) {
  auto job = std::make_unique<PersistJob>(this);
  job->mark = rd.persist_mark;
  job->after = std::move(rd.messages_after_persist);
  job->wal_entries.reserve(rd.entries.size());
  for (const raft::Entry& e : rd.entries) {
    job->wal_entries.push_back(
        wal::Entry{e.index.value, e.term.value, static_cast<uint8_t>(e.type), e.data});
    log_bytes_since_snapshot_ += e.data.size();
  }
  job->entries = job->wal_entries;
  job->snapshot = rd.snapshot;
  if (rd.hard_state) {
    wal::HardState hs{rd.hard_state->term.value, rd.hard_state->vote.value,
                      rd.hard_state->commit.value};
    // Term and vote must be durable before this node acts on them; the commit index need not
    // (it is learned again from the leader), so it is saved only along with them.
    if (hs.term != saved_hard_state_.term || hs.vote != saved_hard_state_.vote) {
      Status saved = hard_state_->save(hs);
      if (!saved.is_ok()) {
        fatal("saving the Raft hard state failed: " + saved.to_string());
      }
      saved_hard_state_ = hs;
    }
  }
  persist_jobs_.push_back(std::move(job));
  pump_persist();
}

void Store::pump_persist() {
  uint64_t next_index = log_->last_index() + 1;
  for (auto& job : persist_jobs_) {
    if (job->submitted) {
      if (!job->wal_entries.empty()) {
        next_index = job->wal_entries.back().index + 1;
      }
      continue;
    }
    if (job->snapshot) {
      // An installed snapshot replaces the log below it; as with a truncation, only once
      // everything written before has landed.
      if (committer_->has_queued() || committer_->in_flight()) {
        break;
      }
      install_snapshot_in_log(*job->snapshot);
      job->snapshot.reset();
      next_index = log_->last_index() + 1;
    }
    if (job->wal_entries.empty()) {
      job->submitted = true;
      job->durable = true;
      continue;
    }
    uint64_t first = job->wal_entries.front().index;
    if (first < next_index) {
      // A new leader's entries replace a suffix (§5.3): cut it from the log once everything
      // written before has landed, so the cut cannot race a frame still in flight.
      if (committer_->has_queued() || committer_->in_flight()) {
        break;
      }
      Status cut = log_->truncate_suffix(first);
      if (!cut.is_ok()) {
        fatal("truncating the Raft log failed: " + cut.to_string());
      }
      next_index = first;
    }
    committer_->enqueue(job.get());
    job->submitted = true;
    next_index = job->wal_entries.back().index + 1;
  }
  driver_->poke();
  finish_persist_jobs();
}

void Store::finish_persist_jobs() {
  bool finished = false;
  while (!persist_jobs_.empty() && persist_jobs_.front()->durable) {
    std::unique_ptr<PersistJob> job = std::move(persist_jobs_.front());
    persist_jobs_.pop_front();
    if (!finished && power_loss_fd_ >= 0) {
      save_power_loss_marker();
    }
    finished = true;
    for (const raft::Message& m : job->after) {
      send_message(m);
    }
    node_->on_persisted(job->mark);
  }
  if (finished) {
    // A truncation may have been waiting for the log to go idle.
    if (!persist_jobs_.empty() && !persist_jobs_.front()->submitted) {
      pump_persist();
      return;
    }
    schedule_ready();
  }
}

void Store::install_snapshot_in_log(const raft::SnapshotMeta& snapshot) {
  uint64_t index = snapshot.index.value;
  uint64_t term = snapshot.term.value;
  auto held = log_->term_at(index);
  Status status;
  if (log_->last_index() >= log_->first_index() && !(held.is_ok() && *held == term)) {
    status = log_->truncate_suffix(log_->first_index());  // nothing here agrees with it
  }
  if (status.is_ok()) {
    status = log_->compact_prefix(index, term);
  }
  if (!status.is_ok()) {
    fatal("replacing the Raft log by a snapshot failed: " + status.to_string());
  }
}

void Store::save_power_loss_marker() {
  uint64_t durable = log_->durable_index();
  if (::pwrite(power_loss_fd_, &durable, sizeof durable, 0) != sizeof durable) {
    UQ_WARN("power-loss test mode: cannot record the synced index");
  }
}

void Store::apply_committed(const raft::Entry& entry) {
  uint64_t index = entry.index.value;
  for (auto it = commit_waiters_.begin(); it != commit_waiters_.end();) {
    if (it->index <= index) {
      bool ok = it->index == index && it->term == entry.term.value;
      StatusDone done = std::move(it->done);
      it = commit_waiters_.erase(it);
      done(ok ? Status::ok() : error(Code::kUnavailable, kLeadershipLost));
    } else {
      ++it;
    }
  }
  Pending pending;
  bool answered_here = false;
  if (auto it = pending_.find(index); it != pending_.end()) {
    pending = std::move(it->second);
    pending_.erase(it);
    answered_here = pending.term == entry.term.value;
    if (!answered_here) {
      pending.done(failed(pending, kLeadershipLost));
    }
  }
  if (index <= reused_index_) {
    return;  // already in the database kept from the clean shutdown
  }
  if (entry.type != raft::EntryType::kNormal) {
    db_.submit_marker(index);
    return;
  }
  if (answered_here) {
    // The proposer's own command, kept since it was encoded into this very entry: no need to
    // decode what it already holds.
    if (!pending.command.load_image.empty()) {
      apply_load(index, pending.command.load_image, std::move(pending.done));
      return;
    }
    if (pending.options.raft_index != 0) {
      pending.options.raft_index = index;
    }
    db_.submit_committed(index, pending.command.kind, std::move(pending.command.request),
                         std::move(pending.options), std::move(pending.done));
    return;
  }
  auto command = sql::decode_command(entry.data);
  if (!command.is_ok()) {
    // Checksums make this a bug or a foreign writer, not disk damage; skip it the same way on
    // every node so replicas stay identical.
    UQ_ERROR("raft: entry %llu does not decode (%s); skipped",
             static_cast<unsigned long long>(index), command.status().to_string().c_str());
    db_.submit_marker(index);
    return;
  }
  if (!command->load_image.empty()) {
    apply_load(index, command->load_image, nullptr);
    return;
  }
  sql::ExecOptions options = sql::replica_options(*command);
  db_.submit_committed(index, command->kind, std::move(command->request), std::move(options),
                       nullptr);
}

void Store::reap_unreachable() {
  // -raft-reap-node-timeout / -raft-reap-read-only-node-timeout: the leader removes members it
  // has not heard from for that long.
  int64_t now = reactor_->now_ms();
  for (const auto* list : {&node_->conf().voters, &node_->conf().learners}) {
    bool voters = list == &node_->conf().voters;
    auto timeout =
        voters ? config_.raft_reap_node_timeout : config_.raft_reap_read_only_node_timeout;
    if (timeout.count() <= 0) {
      continue;
    }
    for (raft::NodeId peer : *list) {
      const raft::Progress* pr = node_->progress(peer);
      if (peer == self_raft_id_ || pr == nullptr) {
        continue;
      }
      int64_t& seen = last_seen_ms_[peer.value];
      if (seen == 0 || pr->recent_active) {
        seen = now;
      } else if (now - seen > to_ms(timeout).count()) {
        auto it = members_.find(peer.value);
        std::string id = it != members_.end() ? it->second.id : "";
        UQ_WARN("removing node %s: unreachable for longer than %lld ms", id.c_str(),
                static_cast<long long>(to_ms(timeout).count()));
        seen = now;  // one attempt per timeout
        if (!id.empty()) {
          remove_member(id, [](Status) {});
        }
      }
    }
  }
}

void Store::on_soft_state(const raft::SoftState& soft) {
  raft::SoftState soft_before = soft_;
  bool was_leader = soft_.role == raft::Role::kLeader;
  soft_ = soft;
  leader_.store(soft.role == raft::Role::kLeader, std::memory_order_release);
  if (was_leader && soft.role != raft::Role::kLeader) {
    fail_pending(kLeadershipLost);
  }
  if (soft.leader != soft_before.leader) {
    counters_.add("store", "leader_changes_observed");
  }
  if (!soft.leader.is_zero() && soft.leader != self_raft_id_) {
    for (StatusDone& done : transfer_waiters_) {
      done(Status::ok());
    }
    transfer_waiters_.clear();
  }
  if (soft.role == raft::Role::kLeader) {
    UQ_INFO("raft: this node (%s) is the leader in term %llu", config_.node_id.c_str(),
            static_cast<unsigned long long>(node_->term().value));
  }
  publish_view();
}

void Store::fail_pending(const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, p] : pending) {
    if (p.done) {
      p.done(failed(p, why));
    }
  }
  auto waiters = std::move(commit_waiters_);
  commit_waiters_.clear();
  for (CommitWaiter& w : waiters) {
    w.done(error(Code::kUnavailable, why));
  }
  auto rounds = std::move(read_rounds_);
  read_rounds_.clear();
  for (auto& [context, round] : rounds) {
    reactor_->cancel_timer(round.timer);
    for (StatusDone& done : round.reads) {
      done(error(Code::kUnavailable, why));
    }
  }
  auto unsent = std::move(reads_unsent_);
  reads_unsent_.clear();
  unsent_timeout_ = std::chrono::milliseconds::max();
  for (StatusDone& done : unsent) {
    done(error(Code::kUnavailable, why));
  }
}

// ---- proposals and reads --------------------------------------------------------------------

void Store::execute(sql::Command command, sql::ExecOptions options, Done done) {
  run_on_core([this, command = std::move(command), options = std::move(options),
               done = std::move(done)]() mutable {
    if (stopped_ || node_->role() != raft::Role::kLeader) {
      done(sql::error_envelope("not leader", options));
      return;
    }
    Status proposed = node_->propose(sql::encode_command(command));
    if (!proposed.is_ok()) {
      done(sql::error_envelope(proposed.message(), options));
      return;
    }
    uint64_t index = node_->log().last_index().value;
    pending_.emplace(index, Pending{node_->term().value, std::move(command), std::move(options),
                                    std::move(done)});
    schedule_ready();
  });
}

void Store::execute_anywhere(sql::Command command, sql::ExecOptions options, Done done) {
  run_on_core([this, command = std::move(command), options = std::move(options),
               done = std::move(done)]() mutable {
    if (node_->role() == raft::Role::kLeader) {
      execute(std::move(command), std::move(options), std::move(done));
      return;
    }
    auto v = view();
    if (stopped_ || !v->has_leader) {
      done(sql::error_envelope("leader not found", options));
      return;
    }
    transport_->call(v->leader.raft_addr, static_cast<uint8_t>(PeerMethod::kExecute),
                     sql::encode_command(command), to_ms(config_.raft_apply_timeout),
                     [options, done = std::move(done)](Result<std::string> answer) {
                       std::string bytes = answer.is_ok() ? std::move(*answer) : std::string();
                       core::ByteReader r(bytes);
                       sql::Response response;
                       response.http_status = static_cast<int>(r.u32());
                       response.envelope_error = r.u8() != 0;
                       response.body = r.bytes_varint();
                       if (!answer.is_ok() || !r.ok()) {
                         done(sql::error_envelope(answer.is_ok() ? "bad answer from the leader"
                                                                 : answer.status().message(),
                                                  options));
                         return;
                       }
                       done(std::move(response));
                     });
  });
}

void Store::read_barrier(std::chrono::milliseconds timeout, StatusDone done) {
  run_on_core([this, timeout, done = std::move(done)]() mutable {
    if (stopped_ || node_->role() != raft::Role::kLeader) {
      done(error(Code::kUnavailable, "not leader"));
      return;
    }
    unsent_timeout_ = std::min(unsent_timeout_, timeout);
    reads_unsent_.push_back(std::move(done));
    schedule_ready();
  });
}

void Store::start_read_round() {
  if (reads_unsent_.empty()) {
    return;
  }
  uint64_t context = next_read_context_++;
  std::string ctx;
  core::put_u64(&ctx, context);
  Status asked = node_->read_index(ctx);
  auto reads = std::move(reads_unsent_);
  reads_unsent_.clear();
  std::chrono::milliseconds timeout = unsent_timeout_;
  unsent_timeout_ = std::chrono::milliseconds::max();
  if (!asked.is_ok()) {
    for (StatusDone& done : reads) {
      done(error(Code::kUnavailable, asked.message()));
    }
    return;
  }
  // One heartbeat round confirms leadership for every read that arrived since the last one. If
  // no quorum answers within two election timeouts this node is not the leader any more.
  ReadBatch batch;
  batch.reads = std::move(reads);
  batch.timer = reactor_->add_timer(
      std::min(timeout, std::chrono::milliseconds(2 * tick_ms_ * raft_config_.election_tick)),
      [this, context] {
        auto it = read_rounds_.find(context);
        if (it == read_rounds_.end()) {
          return;
        }
        auto round = std::move(it->second);
        read_rounds_.erase(it);
        for (StatusDone& done : round.reads) {
          done(error(Code::kTimeout, "leadership not confirmed by a quorum in time"));
        }
      });
  read_rounds_.emplace(context, std::move(batch));
}

void Store::on_read_state(const raft::ReadState& rs) {
  core::ByteReader r(rs.context);
  uint64_t context = r.u64();
  auto it = read_rounds_.find(context);
  if (!r.ok() || it == read_rounds_.end()) {
    return;
  }
  ReadBatch round = std::move(it->second);
  read_rounds_.erase(it);
  reactor_->cancel_timer(round.timer);
  uint64_t index = rs.index.value;
  for (StatusDone& done : round.reads) {
    if (db_.applied_index() >= index) {
      done(Status::ok());
    } else {
      read_waiters_.push_back(Waiter{index, std::move(done)});
    }
  }
}

void Store::release_reads(uint64_t applied) {
  if (read_waiters_.empty()) {
    return;
  }
  auto ready_end = std::stable_partition(read_waiters_.begin(), read_waiters_.end(),
                                         [applied](const Waiter& w) { return w.index <= applied; });
  std::vector<Waiter> ready(std::make_move_iterator(read_waiters_.begin()),
                            std::make_move_iterator(ready_end));
  read_waiters_.erase(read_waiters_.begin(), ready_end);
  for (Waiter& w : ready) {
    w.done(Status::ok());
  }
}

// ---- the network ----------------------------------------------------------------------------

void Store::send_message(const raft::Message& m) {
  auto it = members_.find(m.to.value);
  if (it == members_.end() || it->second.raft_addr.empty()) {
    node_->report_unreachable(m.to);
    return;
  }
  if (m.type == raft::MessageType::kSnapshot) {
    send_snapshot(m, it->second.raft_addr);  // the file goes first, the message after it
    return;
  }
  std::string bytes(1, kTagRaft);
  raft::encode_message(m, &bytes);
  transport_->send(it->second.raft_addr, std::move(bytes));
}

void Store::introduce_members() {
  // A node that has not stored a single entry of ours (new, or wiped) cannot know where the
  // other members are, so it could not even answer the leader: tell it, once a second.
  int64_t now = reactor_->now_ms();
  std::string table;
  for (raft::NodeId peer : node_->conf().voters) {
    maybe_introduce(peer, now, &table);
  }
  for (raft::NodeId peer : node_->conf().learners) {
    maybe_introduce(peer, now, &table);
  }
}

void Store::maybe_introduce(raft::NodeId peer, int64_t now, std::string* table) {
  const raft::Progress* pr = node_->progress(peer);
  auto it = members_.find(peer.value);
  if (peer == self_raft_id_ || pr == nullptr || !pr->match.is_zero() || it == members_.end() ||
      now - introduced_ms_[peer.value] < 1000) {
    return;
  }
  introduced_ms_[peer.value] = now;
  if (table->empty()) {
    table->push_back(kTagMembers);
    std::vector<Member> all;
    for (const auto& [id, m] : members_) {
      all.push_back(m);
    }
    all.push_back(Member{config_.node_id, config_.effective_raft_adv_addr(),
                         config_.effective_http_adv_addr(), true});
    core::put_varint(table, all.size());
    for (const Member& m : all) {
      core::put_bytes_varint(table, encode_member(m));
    }
  }
  transport_->send(it->second.raft_addr, *table);
}

void Store::learn_members(std::string_view table) {
  core::ByteReader r(table);
  uint64_t count = r.varint();
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    auto m = decode_member(r.bytes_varint());
    raft::NodeId id = m ? raft_id_of(m->id) : raft::NodeId();
    if (m && !members_.contains(id.value)) {
      members_[id.value] = *m;
    }
  }
  publish_view();
}

void Store::on_peer_message(std::string_view tagged) {
  if (tagged.empty()) {
    counters_.add("peers", "num_bad_messages");
    return;
  }
  std::string_view payload = tagged.substr(1);
  if (tagged[0] == kTagMembers) {
    learn_members(payload);
    return;
  }
  auto m = raft::decode_message(payload);
  if (tagged[0] != kTagRaft || !m.is_ok()) {
    counters_.add("peers", "num_bad_messages");
    return;
  }
  if ((m->type == raft::MessageType::kApp || m->type == raft::MessageType::kHeartbeat) &&
      m->term >= node_->term()) {
    last_contact_ms_ = reactor_->now_ms();
    contact_ms_.store(last_contact_ms_, std::memory_order_relaxed);
  }
  (void)node_->step(*m);
  schedule_ready();
}

void Store::forward(std::string payload, std::chrono::milliseconds timeout,
                    std::function<void(Result<std::string>)> done) {
  run_on_core([this, payload = std::move(payload), timeout, done = std::move(done)]() mutable {
    auto v = view();
    if (stopped_ || !v->has_leader) {
      done(error(Code::kUnavailable, "leader not found"));
      return;
    }
    transport_->call(v->leader.raft_addr, static_cast<uint8_t>(PeerMethod::kForward),
                     std::move(payload), timeout, std::move(done));
  });
}

void Store::on_peer_request(uint8_t method, std::string_view payload,
                            net::PeerTransport::Reply reply) {
  switch (static_cast<PeerMethod>(method)) {
    case PeerMethod::kForward:
      forward_handler_(payload, std::move(reply));
      return;
    case PeerMethod::kJoin:
      counters_.add("cluster", "num_join_req");
      handle_join(payload, std::move(reply));
      return;
    case PeerMethod::kNotify:
      counters_.add("peers", "num_notify_req");
      handle_notify(payload);
      reply.send("");
      return;
    case PeerMethod::kExecute: {
      auto command = sql::decode_command(payload);
      if (!command.is_ok()) {
        reply.fail(Code::kCorruption, command.status().message());
        return;
      }
      auto shared = std::make_shared<net::PeerTransport::Reply>(std::move(reply));
      sql::ExecOptions options = sql::replica_options(*command);
      execute(std::move(*command), std::move(options), [this, shared](sql::Response&& r) {
        std::string out;
        core::put_u32(&out, static_cast<uint32_t>(r.http_status));
        core::put_u8(&out, r.envelope_error ? 1 : 0);
        core::put_bytes_varint(&out, r.body);
        run_on_core([shared, out = std::move(out)]() mutable { shared->send(std::move(out)); });
      });
      return;
    }
    case PeerMethod::kSnapshotChunk:
      handle_snapshot_chunk(payload, std::move(reply));
      return;
    case PeerMethod::kRemoved:
      reply.send("");
      if (config_.raft_remove_shutdown && !stopped_) {
        UQ_WARN("this node was removed from the cluster: shutting down (-raft-remove-shutdown)");
        ::kill(::getpid(), SIGTERM);
      }
      return;
    case PeerMethod::kMeta: {
      counters_.add("cluster", "num_get_node_api_req");
      std::string out;
      core::put_bytes_varint(&out, "http://" + config_.effective_http_adv_addr());
      core::put_bytes_varint(&out, UQ_VERSION);
      core::put_u64(&out, node_->log().committed().value);
      reply.send(std::move(out));
      return;
    }
  }
  reply.fail(Code::kInvalidArgument, "unknown method");
}

void Store::probe(std::string raft_addr, std::chrono::milliseconds timeout,
                  std::function<void(Result<NodeMeta>)> done) {
  run_on_core([this, raft_addr = std::move(raft_addr), timeout, done = std::move(done)]() mutable {
    if (stopped_) {
      done(error(Code::kUnavailable, "node is shutting down"));
      return;
    }
    transport_->call(raft_addr, static_cast<uint8_t>(PeerMethod::kMeta), "", timeout,
                     [done = std::move(done)](Result<std::string> answer) {
                       if (!answer.is_ok()) {
                         done(answer.status());
                         return;
                       }
                       core::ByteReader r(*answer);
                       NodeMeta meta;
                       meta.api_url = r.bytes_varint();
                       meta.version = r.bytes_varint();
                       meta.commit_index = r.u64();
                       if (!r.ok()) {
                         done(error(Code::kCorruption, "bad node metadata"));
                         return;
                       }
                       done(std::move(meta));
                     });
  });
}

void Store::tick() {
  if (stopped_) {
    return;
  }
  node_->tick();
  if (node_->role() == raft::Role::kLeader) {
    introduce_members();
    reap_unreachable();
  }
  maybe_auto_snapshot();
  schedule_ready();
  uint64_t replaced = transport_->stats().stale_replaced;
  counters_.add("peers", "stale_connections_replaced",
                static_cast<int64_t>(replaced - stale_replaced_counted_));
  stale_replaced_counted_ = replaced;
  if (!join_targets_.empty() && !joined_ && config_.bootstrap_expect > 0) {
    maybe_bootstrap_expected();
  }
  reactor_->add_timer(std::chrono::milliseconds(tick_ms_), [this] { tick(); });
}

// ---- membership -----------------------------------------------------------------------------

void Store::learn_config(const raft::Entry& entry) {
  raft::ConfChange change;
  if (!raft::decode_conf_change(entry.data, &change)) {
    return;
  }
  if (auto member = decode_member(change.context);
      member && change.type != raft::ConfChangeType::kRemoveNode) {
    member->voter = change.type == raft::ConfChangeType::kAddVoter;
    members_[change.node.value] = std::move(*member);
  }
  if (change.node == self_raft_id_ && change.type != raft::ConfChangeType::kRemoveNode) {
    joined_ = true;
  }
}

void Store::publish_view() {
  auto v = std::make_shared<ClusterView>();
  v->role = soft_.role;
  v->term = node_->term().value;
  const raft::ConfState& conf = node_->conf();
  auto add = [&](raft::NodeId id, bool voter) {
    auto it = members_.find(id.value);
    Member m = it != members_.end() ? it->second : Member{};
    m.voter = voter;
    if (id == self_raft_id_) {
      v->self_member = true;
      v->self_voter = voter;
      m.id = config_.node_id;
      m.raft_addr = config_.effective_raft_adv_addr();
      m.api_addr = config_.effective_http_adv_addr();
    }
    if (!m.id.empty()) {
      v->members.push_back(std::move(m));
    }
  };
  for (raft::NodeId id : conf.voters) {
    add(id, true);
  }
  for (raft::NodeId id : conf.learners) {
    add(id, false);
  }
  std::sort(v->members.begin(), v->members.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  if (!soft_.leader.is_zero()) {
    auto it = members_.find(soft_.leader.value);
    if (soft_.leader == self_raft_id_) {
      v->has_leader = true;
      v->leader = Member{config_.node_id, config_.effective_raft_adv_addr(),
                         config_.effective_http_adv_addr(), true};
    } else if (it != members_.end()) {
      v->has_leader = true;
      v->leader = it->second;
    }
  }
  std::lock_guard<std::mutex> lock(view_mu_);
  view_ = std::move(v);
}

void Store::publish_numbers() {
  term_.store(node_->term().value, std::memory_order_relaxed);
  commit_.store(node_->log().committed().value, std::memory_order_relaxed);
  last_index_.store(node_->log().last_index().value, std::memory_order_relaxed);
  last_term_.store(node_->log().last_term().value, std::memory_order_relaxed);
}

void Store::propose_change(raft::ConfChange change, std::chrono::steady_clock::time_point give_up,
                           StatusDone done) {
  if (stopped_ || node_->role() != raft::Role::kLeader) {
    done(error(Code::kUnavailable, "not leader"));
    return;
  }
  Status proposed = node_->propose_conf_change(change);
  if (!proposed.is_ok()) {
    // One change at a time (§4.1): retry while an earlier one is still committing.
    if (std::chrono::steady_clock::now() < give_up) {
      reactor_->add_timer(std::chrono::milliseconds(20),
                          [this, change = std::move(change), give_up, done = std::move(done)] {
                            propose_change(change, give_up, done);
                          });
      return;
    }
    done(proposed);
    return;
  }
  commit_waiters_.push_back(
      CommitWaiter{node_->log().last_index().value, node_->term().value, std::move(done)});
  schedule_ready();
}

void Store::remove_member(std::string id, StatusDone done) {
  run_on_core([this, id = std::move(id), done = std::move(done)]() mutable {
    raft::NodeId target = raft_id_of(id);
    if (!node_->conf().is_member(target)) {
      done(Status::ok());  // removing a non-member is not an error (spec §6.5)
      return;
    }
    raft::ConfChange change{raft::ConfChangeType::kRemoveNode, target,
                            encode_member(Member{id, "", "", false})};
    // A removed node never learns that its removal committed (the leader stops replicating to
    // it), so it is told directly, for -raft-remove-shutdown.
    auto member = members_.find(target.value);
    std::string addr = member != members_.end() ? member->second.raft_addr : "";
    propose_change(std::move(change), std::chrono::steady_clock::now() + std::chrono::seconds(10),
                   [this, addr, done = std::move(done)](Status s) {
                     if (s.is_ok() && !addr.empty() && !stopped_) {
                       transport_->call(addr, static_cast<uint8_t>(PeerMethod::kRemoved), "",
                                        std::chrono::seconds(2), [](Result<std::string>) {});
                     }
                     done(s);
                   });
  });
}

void Store::transfer_leadership(std::string id, StatusDone done) {
  auto start = [this, id = std::move(id), done = std::move(done)]() mutable {
    if (node_->role() != raft::Role::kLeader) {
      done(error(Code::kUnavailable, "not leader"));
      return;
    }
    raft::NodeId to;
    if (id.empty()) {
      uint64_t best = 0;
      for (raft::NodeId v : node_->conf().voters) {
        const raft::Progress* pr = node_->progress(v);
        if (v != self_raft_id_ && pr != nullptr && (to.is_zero() || pr->match.value > best)) {
          to = v;
          best = pr->match.value;
        }
      }
      if (to.is_zero()) {
        done(error(Code::kInvalidArgument, "cannot step down: no other voter in cluster"));
        return;
      }
    } else {
      to = raft_id_of(id);
      if (to == self_raft_id_) {
        done(error(Code::kInvalidArgument, "cannot step down to the current Leader"));
        return;
      }
      if (!node_->conf().is_voter(to)) {
        done(error(Code::kNotFound, "node not found in cluster"));
        return;
      }
    }
    Status started = node_->transfer_leadership(to);
    if (!started.is_ok()) {
      done(started);
      return;
    }
    transfer_waiters_.push_back(std::move(done));
    reactor_->add_timer(std::chrono::milliseconds(4 * tick_ms_ * raft_config_.election_tick),
                        [this] {
                          auto waiters = std::move(transfer_waiters_);
                          transfer_waiters_.clear();
                          for (StatusDone& d : waiters) {
                            d(error(Code::kTimeout, "leadership transfer timed out"));
                          }
                        });
    schedule_ready();
  };
  if (core::Reactor::current() == reactor_) {
    start();
  } else {
    run_on_core(std::move(start));
  }
}

void Store::handle_join(std::string_view payload, net::PeerTransport::Reply reply) {
  auto joiner = decode_member(payload);
  if (!joiner) {
    reply.send(join_answer(JoinOutcome::kError, "bad join request"));
    return;
  }
  if (node_->role() != raft::Role::kLeader) {
    auto v = view();
    reply.send(join_answer(JoinOutcome::kNotLeader, v->has_leader ? v->leader.raft_addr : ""));
    return;
  }
  raft::NodeId id = raft_id_of(joiner->id);
  const raft::ConfState& conf = node_->conf();
  auto same = members_.find(id.value);
  if (conf.is_member(id) && same != members_.end() && same->second.raft_addr == joiner->raft_addr &&
      conf.is_voter(id) == joiner->voter) {
    counters_.add("store", "num_ignored_joins");
    reply.send(join_answer(JoinOutcome::kOk, ""));  // already a member as asked: nothing to do
    return;
  }
  // A member with the same address under another id is replaced (spec §8.4).
  raft::NodeId stale;
  for (const auto& [raw, m] : members_) {
    raft::NodeId other(raw);
    if (other != id && conf.is_member(other) && m.raft_addr == joiner->raft_addr) {
      stale = other;
    }
  }
  auto reply_ptr = std::make_shared<net::PeerTransport::Reply>(std::move(reply));
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto add = [this, joiner = *joiner, id, give_up, reply_ptr] {
    raft::ConfChange change{
        joiner.voter ? raft::ConfChangeType::kAddVoter : raft::ConfChangeType::kAddLearner, id,
        encode_member(joiner)};
    propose_change(std::move(change), give_up, [this, reply_ptr, joiner](Status s) {
      if (s.is_ok()) {
        counters_.add("store", "num_joins");
        UQ_INFO("node %s at %s joined the cluster", joiner.id.c_str(), joiner.raft_addr.c_str());
      }
      reply_ptr->send(s.is_ok() ? join_answer(JoinOutcome::kOk, "")
                                : join_answer(JoinOutcome::kError, s.message()));
    });
  };
  // A voter cannot become a learner in one step, and a member at a new address must be removed
  // before it is added back there.
  bool readd = conf.is_member(id);
  if (stale.is_zero() && !readd) {
    add();
    return;
  }
  raft::NodeId remove = stale.is_zero() ? id : stale;
  propose_change(raft::ConfChange{raft::ConfChangeType::kRemoveNode, remove, ""}, give_up,
                 [add, reply_ptr](Status s) {
                   if (!s.is_ok()) {
                     reply_ptr->send(join_answer(JoinOutcome::kError, s.message()));
                     return;
                   }
                   add();
                 });
}

void Store::start_joining() {
  if (config_.bootstrap_expect > 0) {
    return;  // tick() drives bootstrap-expect: join attempts, then notifications
  }
  join_round(0, 0, 0);
}

void Store::join_round(size_t target, int attempt, int redirects) {
  if (stopped_) {
    return;
  }
  if (target >= join_targets_.size()) {
    if (attempt + 1 >= config_.join_attempts) {
      fatal("failed to join cluster at " + config_.join + " after " +
            std::to_string(config_.join_attempts) + " attempts");
      return;
    }
    reactor_->add_timer(to_ms(config_.join_interval),
                        [this, attempt] { join_round(0, attempt + 1, 0); });
    return;
  }
  Member self{config_.node_id, config_.effective_raft_adv_addr(), config_.effective_http_adv_addr(),
              !config_.raft_non_voter};
  std::string addr = join_targets_[target];
  transport_->call(
      addr, static_cast<uint8_t>(PeerMethod::kJoin), encode_member(self), std::chrono::seconds(5),
      [this, target, attempt, redirects, addr](Result<std::string> answer) {
        if (stopped_) {
          return;
        }
        if (answer.is_ok()) {
          core::ByteReader r(*answer);
          auto outcome = static_cast<JoinOutcome>(r.u8());
          std::string detail(r.bytes_varint());
          if (r.ok() && outcome == JoinOutcome::kOk) {
            joined_ = true;
            UQ_INFO("joined the cluster through %s", addr.c_str());
            return;
          }
          if (r.ok() && outcome == JoinOutcome::kNotLeader && !detail.empty() && redirects < 10) {
            join_targets_.push_back(detail);  // try the leader next, within this round
            join_round(join_targets_.size() - 1, attempt, redirects + 1);
            join_targets_.pop_back();
            return;
          }
          UQ_WARN("join through %s failed: %s", addr.c_str(),
                  outcome == JoinOutcome::kNotLeader ? "no leader" : detail.c_str());
        } else {
          UQ_WARN("join through %s failed: %s", addr.c_str(), answer.status().message().c_str());
        }
        join_round(target + 1, attempt, redirects);
      });
}

void Store::handle_notify(std::string_view payload) {
  auto member = decode_member(payload);
  if (member && member->voter) {
    notified_[member->id] = *member;
  }
}

void Store::maybe_bootstrap_expected() {
  // Once a second: ask to join (an existing cluster always wins), announce this node to every
  // target, and bootstrap when the expected number of voters have announced themselves.
  constexpr int64_t kEveryMs = 1000;
  if (reactor_->now_ms() < next_notify_ms_) {
    return;
  }
  next_notify_ms_ = reactor_->now_ms() + kEveryMs;
  if (std::chrono::steady_clock::now() > bootstrap_deadline_) {
    fatal("bootstrap-expect: the cluster did not form within " +
          std::to_string(to_ms(config_.bootstrap_expect_timeout).count()) + "ms");
    return;
  }
  Member self{config_.node_id, config_.effective_raft_adv_addr(), config_.effective_http_adv_addr(),
              true};
  notified_[self.id] = self;
  for (const std::string& addr : join_targets_) {
    transport_->call(
        addr, static_cast<uint8_t>(PeerMethod::kJoin), encode_member(self), std::chrono::seconds(1),
        [this](Result<std::string> answer) {
          std::string bytes = answer.is_ok() ? std::move(*answer) : std::string();
          core::ByteReader r(bytes);
          if (answer.is_ok() && static_cast<JoinOutcome>(r.u8()) == JoinOutcome::kOk && r.ok()) {
            joined_ = true;
          }
        });
    transport_->call(addr, static_cast<uint8_t>(PeerMethod::kNotify), encode_member(self),
                     std::chrono::seconds(5), [](Result<std::string>) {});
  }
  bool fresh =
      node_->log().last_index().is_zero() && node_->term().is_zero() && persist_jobs_.empty();
  if (fresh && static_cast<int64_t>(notified_.size()) >= config_.bootstrap_expect) {
    std::vector<Member> voters;
    for (const auto& [id, m] : notified_) {
      voters.push_back(m);
    }
    bootstrap(std::move(voters));
    UQ_INFO("bootstrap-expect: bootstrapped a %zu-voter cluster", notified_.size());
    schedule_ready();
  }
}

void Store::bootstrap(std::vector<Member> voters) {
  std::sort(voters.begin(), voters.end(),
            [](const Member& a, const Member& b) { return a.id < b.id; });
  std::vector<raft::ConfChange> changes;
  for (const Member& m : voters) {
    changes.push_back(raft::ConfChange{raft::ConfChangeType::kAddVoter, raft_id_of(m.id),
                                       encode_member(Member{m.id, m.raft_addr, m.api_addr, true})});
  }
  raft::DurableState state = raft::bootstrap_state(changes);
  std::vector<wal::Entry> entries;
  for (const raft::Entry& e : state.entries) {
    entries.push_back(
        wal::Entry{e.index.value, e.term.value, static_cast<uint8_t>(e.type), e.data});
    learn_config(e);
  }
  // Synchronous: this happens once in a node's life, before it has anything else to write.
  Status written = log_->append(entries);
  if (written.is_ok()) {
    written = log_->sync();
  }
  wal::HardState hs{state.hard_state.term.value, 0, state.hard_state.commit.value};
  if (written.is_ok()) {
    written = hard_state_->save(hs);
  }
  if (!written.is_ok()) {
    fatal("writing the bootstrap configuration failed: " + written.to_string());
    return;
  }
  saved_hard_state_ = hs;
  node_ = std::make_unique<raft::Node>(raft_config_, state);
  conf_ = node_->conf();
  if (reactor_ != nullptr) {
    publish_view();
    if (voters.size() == 1) {
      node_->campaign();
    }
  }
}

void Store::fatal(const std::string& message) {
  UQ_ERROR("fatal: %s", message.c_str());
  // Exit without running the graceful path: nothing acknowledged depends on this node's
  // in-memory state, and what is durable is recovered at the next start.
  std::_Exit(1);
}

}  // namespace uq::server
