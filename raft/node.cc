#include "raft/node.h"

#include <algorithm>

#include "core/check.h"

namespace uq::raft {

namespace {

// splitmix64: a tiny, fast, well-mixed PRNG. It is the node's only randomness (election jitter).
uint64_t next_random(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Messages that assert something this node wrote (a vote, an ack of entries, a term) must wait
// until that write is durable; a crash before it would let the node contradict itself (§3.8:
// "servers respond to RPCs only after persisting"). Everything else may leave at once — notably
// the leader's appends, which overlap its own fsync (§10.2.1).
bool needs_persist_first(MessageType type) {
  switch (type) {
    case MessageType::kAppResp:
    case MessageType::kVote:
    case MessageType::kVoteResp:
    case MessageType::kHeartbeatResp:
      return true;
    default:
      return false;
  }
}

}  // namespace

DurableState bootstrap_state(std::span<const NodeId> voters) {
  std::vector<ConfChange> changes;
  for (NodeId voter : voters) {
    changes.push_back(ConfChange{ConfChangeType::kAddVoter, voter, {}});
  }
  return bootstrap_state(changes);
}

DurableState bootstrap_state(std::span<const ConfChange> voters) {
  DurableState state;
  for (size_t i = 0; i < voters.size(); ++i) {
    UQ_CHECK(voters[i].type == ConfChangeType::kAddVoter, "a founding member must be a voter");
    state.entries.push_back(
        Entry{Term(1), LogIndex(i + 1), EntryType::kConfig, encode_conf_change(voters[i])});
  }
  state.hard_state = HardState{Term(1), kNoNode, LogIndex(voters.size())};
  return state;
}

Node::Node(const Config& config, const DurableState& durable)
    : config_(config),
      id_(config.id),
      rng_state_(config.seed ^ (config.id.value * 0x2545f4914f6cdd1dull)),
      term_(durable.hard_state.term),
      vote_(durable.hard_state.vote),
      log_(durable.snapshot, durable.entries) {
  UQ_CHECK(!id_.is_zero(), "node id 0 is reserved");
  UQ_CHECK(config_.election_tick > config_.heartbeat_tick && config_.heartbeat_tick > 0,
           "election_tick must exceed heartbeat_tick");
  UQ_CHECK(config_.max_inflight_msgs > 0, "max_inflight_msgs must be positive");
  UQ_CHECK(!config_.lease_read ||
               (config_.check_quorum && config_.lease_drift_ticks < config_.election_tick),
           "lease_read needs check_quorum and a drift below the election timeout");
  LogIndex commit = durable.hard_state.commit;
  log_.commit_to(std::min(commit, log_.last_index()));
  refresh_conf();
  reset_randomized_timeout();
  prev_hard_ = hard_state();
  prev_soft_ = SoftState{leader_, role_};
  durable_term_ = term_;
}

void Node::reset_randomized_timeout() {
  auto span = static_cast<uint64_t>(config_.election_tick);
  randomized_election_timeout_ =
      config_.election_tick + static_cast<int>(next_random(&rng_state_) % span);
}

void Node::reset(Term term) {
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  abort_transfer();
  sent_timeout_now_this_term_ = false;
  votes_.clear();
  progress_.clear();
  reads_.clear();
  reads_waiting_commit_.clear();
  heartbeat_sent_ticks_.clear();
  acked_tick_.clear();
  pending_broadcast_ = false;
  commit_changed_ = false;
  pending_read_broadcast_ = false;
}

void Node::become_follower(Term term, NodeId leader) {
  reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void Node::send(Message m) {
  m.from = id_;
  if (m.term.is_zero()) {
    m.term = term_;
  }
  if (needs_persist_first(m.type)) {
    msgs_after_persist_.push_back(std::move(m));
  } else {
    msgs_.push_back(std::move(m));
  }
}

ConfState Node::conf_at(LogIndex index) const {
  ConfState conf = log_.snapshot().conf;
  for (LogIndex i : log_.conf_indexes()) {
    if (i > index) {
      break;
    }
    ConfChange change;
    if (decode_conf_change(log_.at(i).data, &change)) {
      conf = apply_conf_change(conf, change);
    }
  }
  return conf;
}

// §4.1: a server uses the latest configuration in its log, committed or not; truncating the entry
// reverts to the previous one. Recomputed only when the set of config entries changed.
void Node::refresh_conf() {
  if (log_.conf_version() == conf_version_seen_) {
    return;
  }
  conf_version_seen_ = log_.conf_version();
  conf_ = conf_at(log_.last_index());
  const auto& idx = log_.conf_indexes();
  latest_conf_index_ = idx.empty() ? log_.snapshot().index : idx.back();
  voter_before_latest_conf_ = !idx.empty() && conf_at(latest_conf_index_ - 1).is_voter(id_);
  if (role_ == Role::kLeader) {
    sync_progress_with_conf();
    if (!lead_transferee_.is_zero() && !conf_.is_voter(lead_transferee_)) {
      abort_transfer();
    }
    if (maybe_commit()) {
      after_commit_advanced();
    }
  }
}

bool Node::in_lease() const {
  if (!config_.check_quorum) {
    return false;
  }
  // After a restart we do not remember whom we heard from last; wait one election timeout
  // before voting for anyone so a lease granted before the crash still holds (§6.4.1).
  if (ticks_ < static_cast<uint64_t>(config_.election_tick)) {
    return true;
  }
  return !leader_.is_zero() && election_elapsed_ < config_.election_tick;
}

void Node::tick() {
  ++ticks_;
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Node::tick_election() {
  ++election_elapsed_;
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    campaign_with(config_.pre_vote, /*force=*/false);
  }
}

void Node::campaign() {
  if (role_ != Role::kLeader) {
    campaign_with(config_.pre_vote, /*force=*/false);
  }
}

// Returns false when the message must be dropped because of its term (Figure 2, "All Servers").
bool Node::step_term(const Message& m) {
  if (m.term > term_) {
    bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    // §4.2.3: ignore vote requests while we believe a leader is alive, so a server that was
    // partitioned away cannot depose a healthy leader. A transfer (§3.10) is exempt.
    if (vote_request && !m.force && in_lease()) {
      return false;
    }
    if (m.type == MessageType::kPreVote) {
      return true;  // §9.6: a pre-vote never changes our term
    }
    if (m.type == MessageType::kPreVoteResp && !m.reject) {
      return true;  // a granted pre-vote carries the term we would campaign in
    }
    bool from_leader = m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
                       m.type == MessageType::kSnapshot;
    become_follower(m.term, from_leader ? m.from : kNoNode);
    return true;
  }
  if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat)) {
      // A stale leader cut off by a partition: tell it our term so it steps down; without
      // this it would keep sending while our pre-votes / lease keep us from raising terms.
      send(Message{.type = MessageType::kAppResp, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      send(Message{.type = MessageType::kPreVoteResp, .to = m.from, .reject = true});
    }
    return false;
  }
  return true;
}

Status Node::step(const Message& m) {
  if (m.to != id_ || m.from.is_zero() || m.from == id_) {
    return error(Code::kInvalidArgument, "message not addressed to this node");
  }
  UQ_CHECK(!ready_taken_, "step() between ready() and advance()");
  if (!step_term(m)) {
    return Status::ok();
  }
  return step_by_role(m);
}

Status Node::step_by_role(const Message& m) {
  if (m.type == MessageType::kPreVote || m.type == MessageType::kVote) {
    handle_vote_request(m);
    return Status::ok();
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
  return Status::ok();
}

void Node::on_persisted(const PersistMark& mark) {
  if (mark.term > durable_term_) {
    durable_term_ = mark.term;
    if (role_ == Role::kCandidate) {
      maybe_win_election();
    }
  }
  // The leader's own log counts toward the quorum only once durable (§10.2.1).
  if (log_.stable_to(mark.index, mark.log_term) && role_ == Role::kLeader && maybe_commit()) {
    after_commit_advanced();
  }
}

void Node::compact(LogIndex index, uint64_t trailing) {
  if (index > log_.applied()) {
    index = log_.applied();
  }
  if (index <= log_.snapshot().index) {
    return;
  }
  log_.compact(index, conf_at(index), trailing);
  conf_version_seen_ = log_.conf_version();
}

bool Node::has_ready() const {
  if (SoftState{leader_, role_} != prev_soft_ || hard_state() != prev_hard_) {
    return true;
  }
  if (!msgs_.empty() || !msgs_after_persist_.empty() || !read_states_.empty() ||
      pending_snapshot_.has_value()) {
    return true;
  }
  if (role_ == Role::kLeader &&
      (pending_broadcast_ || commit_changed_ || pending_read_broadcast_)) {
    return true;
  }
  return !log_.unhanded().empty() || !log_.next_to_apply().empty();
}

Ready Node::ready() {
  UQ_CHECK(!ready_taken_, "ready() twice without advance()");
  if (role_ == Role::kLeader) {
    flush_broadcasts();
  }
  Ready rd;
  rd.persist_mark = PersistMark{log_.last_index(), log_.last_term(), term_};
  SoftState soft{leader_, role_};
  if (soft != prev_soft_) {
    rd.soft_state = soft;
    prev_soft_ = soft;
  }
  HardState hard = hard_state();
  if (hard != prev_hard_) {
    rd.hard_state = hard;
    rd.must_sync = hard.term != prev_hard_.term || hard.vote != prev_hard_.vote;
    prev_hard_ = hard;
  }
  rd.snapshot = std::move(pending_snapshot_);
  pending_snapshot_.reset();
  rd.entries = log_.unhanded();
  rd.must_sync = rd.must_sync || !rd.entries.empty() || rd.snapshot.has_value();
  rd.committed_entries = log_.next_to_apply();
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.messages_after_persist = std::move(msgs_after_persist_);
  msgs_after_persist_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  ready_taken_ = true;
  return rd;
}

void Node::advance(const Ready& rd) {
  UQ_CHECK(ready_taken_, "advance() without ready()");
  ready_taken_ = false;
  if (!rd.entries.empty()) {
    log_.handed_to(rd.entries.back().index);
  }
  if (!rd.committed_entries.empty()) {
    log_.applied_to(rd.committed_entries.back().index);
  }
}

}  // namespace uq::raft
