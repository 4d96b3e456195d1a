// The leader: replication with per-follower flow control, commitment, leadership transfer
// (§3.5, §3.6.2, §3.10, §10.2.1 of Ongaro's dissertation).
#include <algorithm>

#include "core/check.h"
#include "raft/node.h"

namespace uq::raft {

Progress* Node::find_progress(NodeId id) {
  for (Progress& pr : progress_) {
    if (pr.id == id) {
      return &pr;
    }
  }
  return nullptr;
}

const Progress* Node::progress(NodeId peer) const {
  return const_cast<Node*>(this)->find_progress(peer);
}

void Node::sync_progress_with_conf() {
  std::erase_if(progress_, [&](const Progress& pr) { return !conf_.is_member(pr.id); });
  auto add = [&](NodeId id) {
    if (id != id_ && find_progress(id) == nullptr) {
      progress_.emplace_back(id, log_.last_index() + 1, config_.max_inflight_msgs,
                             config_.max_inflight_bytes);
      progress_.back().recent_active = true;  // give it one election timeout to answer
      pending_broadcast_ = true;
    }
  };
  for (NodeId id : conf_.voters) {
    add(id);
  }
  for (NodeId id : conf_.learners) {
    add(id);
  }
}

void Node::become_leader() {
  UQ_CHECK(role_ == Role::kCandidate, "only a candidate becomes leader");
  reset(term_);
  role_ = Role::kLeader;
  leader_ = id_;
  sync_progress_with_conf();
  // §3.6.2 / §6.4: a new leader does not know which entries are committed until it commits one
  // of its own term; the no-op makes that happen without waiting for a client.
  append_as_leader(EntryType::kNoop, {});
}

void Node::append_as_leader(EntryType type, std::string data) {
  log_.append_one(Entry{term_, log_.last_index() + 1, type, std::move(data)});
  pending_broadcast_ = true;
  if (type == EntryType::kConfig) {
    refresh_conf();  // §4.1: in effect from the moment it is in the log
  }
}

Status Node::propose(std::string data) {
  if (role_ != Role::kLeader) {
    return error(Code::kNotLeader, "not the leader");
  }
  if (!lead_transferee_.is_zero()) {
    // §3.10: stop accepting client requests during a transfer so the target can catch up.
    return error(Code::kUnavailable, "leadership transfer in progress");
  }
  append_as_leader(EntryType::kNormal, std::move(data));
  return Status::ok();
}

Status Node::propose_conf_change(const ConfChange& change) {
  if (role_ != Role::kLeader) {
    return error(Code::kNotLeader, "not the leader");
  }
  // §4.1: one single-server change at a time — the previous one must be committed. And a new
  // leader must first commit an entry of its term (the fix to the single-server bug described
  // on raft-dev in 2015), which the no-op provides.
  if (latest_conf_index_ > log_.committed() || log_.term_at(log_.committed()) != term_) {
    return error(Code::kUnavailable, "a configuration change is pending");
  }
  if (change.node.is_zero()) {
    return error(Code::kInvalidArgument, "node id 0");
  }
  if (change.type == ConfChangeType::kAddLearner && conf_.is_voter(change.node)) {
    return error(Code::kInvalidArgument, "cannot demote a voter to learner");
  }
  ConfState next = apply_conf_change(conf_, change);
  if (next.voters.empty()) {
    return error(Code::kInvalidArgument, "cannot remove the last voter");
  }
  if (next == conf_) {
    return error(Code::kInvalidArgument, "configuration unchanged");
  }
  if (!lead_transferee_.is_zero()) {
    return error(Code::kUnavailable, "leadership transfer in progress");
  }
  append_as_leader(EntryType::kConfig, encode_conf_change(change));
  return Status::ok();
}

void Node::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      // §6.2: a leader that has not heard from a quorum for an election timeout steps down, so
      // clients stuck on the minority side of a partition learn to look elsewhere.
      size_t active = conf_.is_voter(id_) ? 1 : 0;
      for (Progress& pr : progress_) {
        if (pr.recent_active && conf_.is_voter(pr.id)) {
          ++active;
        }
        pr.recent_active = false;
      }
      if (active < quorum()) {
        become_follower(term_, kNoNode);
        return;
      }
    }
    // §3.10: a transfer that did not finish within an election timeout is abandoned.
    abort_transfer();
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat(0);
  }
}

bool Node::maybe_send_append(Progress* pr, bool send_if_empty) {
  if (pr->paused()) {
    return false;
  }
  LogIndex prev = pr->next - 1;
  std::optional<Term> prev_term = log_.term_at(prev);
  if (!prev_term.has_value()) {
    send_snapshot(pr);  // §5: the entries it needs were compacted away
    return false;
  }
  EntryView entries;
  if (pr->next <= log_.last_index()) {
    entries = log_.slice_bytes(pr->next, log_.last_index() + 1, config_.max_size_per_msg);
  }
  if (entries.empty() && !send_if_empty) {
    return false;
  }
  Message m{.type = MessageType::kApp,
            .to = pr->id,
            .log_term = *prev_term,
            .index = prev,
            .commit = log_.committed()};
  if (!entries.empty()) {
    uint64_t bytes = 0;
    for (const Entry& e : entries) {
      bytes += e.data.size();
    }
    m.entries.assign(entries.begin(), entries.end());
    pr->sent_entries(entries.back().index, bytes);
  } else if (pr->state == ProgressState::kProbe) {
    pr->probe_sent = true;
  }
  send(std::move(m));
  return true;
}

void Node::send_snapshot(Progress* pr) {
  if (!pr->recent_active) {
    return;  // do not ship a snapshot to a node that looks down
  }
  const SnapshotMeta& meta = log_.snapshot();
  pr->become_snapshot(meta.index);
  send(Message{.type = MessageType::kSnapshot, .to = pr->id, .snapshot = meta});
}

// Sends what each follower is missing: one append per follower per Ready cycle carries every
// proposal made since the last (proposal batching), more if the window allows.
void Node::flush_broadcasts() {
  if (pending_broadcast_ || commit_changed_) {
    for (Progress& pr : progress_) {
      bool sent = maybe_send_append(&pr, commit_changed_);
      while (sent && pr.state == ProgressState::kReplicate && pr.next <= log_.last_index()) {
        sent = maybe_send_append(&pr, false);
      }
    }
  }
  pending_broadcast_ = false;
  commit_changed_ = false;
  if (pending_read_broadcast_) {
    broadcast_heartbeat(0);
  }
}

void Node::broadcast_append() {
  pending_broadcast_ = true;
}

void Node::broadcast_heartbeat(uint64_t /*unused*/) {
  pending_read_broadcast_ = false;
  uint64_t seq = ++read_seq_;
  heartbeat_sent_ticks_.push_back({seq, ticks_});
  while (heartbeat_sent_ticks_.size() > 64) {
    heartbeat_sent_ticks_.pop_front();
  }
  std::string context(8, '\0');
  for (int i = 0; i < 8; ++i) {
    context[i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  }
  for (Progress& pr : progress_) {
    // The follower may not hold our commit index yet; never tell it to commit past its match.
    LogIndex commit = std::min(pr.match, log_.committed());
    send(Message{
        .type = MessageType::kHeartbeat, .to = pr.id, .commit = commit, .context = context});
  }
}

// §3.6.2 (Figure 8): an entry is committed by counting replicas only if it is of the current
// term; earlier entries are then committed indirectly. The leader's own log counts only up to
// what is durable (§10.2.1).
bool Node::maybe_commit() {
  size_t n = conf_.voters.size();
  LogIndex matches[16];
  std::vector<LogIndex> big;
  LogIndex* m = matches;
  if (n > 16) {
    big.resize(n);
    m = big.data();
  }
  for (size_t i = 0; i < n; ++i) {
    NodeId v = conf_.voters[i];
    if (v == id_) {
      m[i] = log_.stable();
    } else {
      const Progress* pr = find_progress(v);
      m[i] = pr != nullptr ? pr->match : LogIndex(0);
    }
  }
  std::sort(m, m + n, [](LogIndex a, LogIndex b) { return a > b; });
  LogIndex q = m[quorum() - 1];
  if (q <= log_.committed() || log_.term_at(q) != term_) {
    return false;
  }
  log_.commit_to(q);
  return true;
}

void Node::after_commit_advanced() {
  commit_changed_ = true;
  if (log_.term_at(log_.committed()) == term_) {
    release_reads_waiting_commit();
  }
  // §4.2.2: a leader removed from the configuration steps down once the removal commits.
  if (!conf_.is_voter(id_) && log_.committed() >= latest_conf_index_) {
    become_follower(term_, kNoNode);
  }
}

void Node::step_leader(const Message& m) {
  Progress* pr = find_progress(m.from);
  switch (m.type) {
    case MessageType::kAppResp:
      if (pr != nullptr) {
        pr->recent_active = true;
        handle_append_response(m, pr);
      }
      return;
    case MessageType::kHeartbeatResp:
      if (pr != nullptr) {
        handle_heartbeat_response(m, pr);
      }
      return;
    case MessageType::kReadIndex:
      if (pr != nullptr) {
        start_read(m.context, m.from);
      }
      return;
    default:
      return;
  }
}

void Node::handle_append_response(const Message& m, Progress* pr) {
  if (m.reject) {
    // §5.3 optimisation: the follower's hint lets us skip a whole conflicting term at once.
    LogIndex hint_next = m.reject_hint + 1;
    if (!m.log_term.is_zero()) {
      hint_next = log_.find_conflict_by_term(m.reject_hint, m.log_term).first + 1;
    }
    if (pr->maybe_decrease_to(m.index, hint_next)) {
      if (pr->state == ProgressState::kReplicate) {
        pr->become_probe();
      }
      maybe_send_append(pr, true);
    }
    return;
  }
  bool updated = pr->maybe_update(m.index);
  if (!updated && !(pr->match == m.index && pr->state == ProgressState::kProbe)) {
    return;
  }
  if (pr->state == ProgressState::kProbe) {
    pr->become_replicate();
  } else if (pr->state == ProgressState::kSnapshot && pr->match >= pr->pending_snapshot) {
    pr->become_probe();
    pr->become_replicate();
  } else if (pr->state == ProgressState::kReplicate) {
    pr->inflights.free_le(m.index);
  }
  if (updated && maybe_commit()) {
    after_commit_advanced();
    if (role_ != Role::kLeader) {
      return;
    }
  }
  while (maybe_send_append(pr, false)) {
  }
  if (m.from == lead_transferee_ && pr->match == log_.last_index()) {
    send_timeout_now(m.from);
  }
}

void Node::handle_heartbeat_response(const Message& m, Progress* pr) {
  pr->recent_active = true;
  pr->probe_sent = false;
  // With every append of a full window lost, only a heartbeat tells us the follower lives:
  // free one slot so replication can resume (it will be rejected and fall back to probing).
  if (pr->state == ProgressState::kReplicate && pr->inflights.full()) {
    pr->inflights.free_le(pr->inflights.first());
  }
  // Behind: send what it lacks, or (in replicate state, with everything already sent once) an
  // empty append probing at our last index. If earlier appends were lost it is rejected and
  // replication falls back to probing from the follower's match; otherwise it is a no-op.
  if (pr->match < log_.last_index()) {
    maybe_send_append(pr, true);
  }
  uint64_t seq = 0;
  if (m.context.size() == 8) {
    for (int i = 0; i < 8; ++i) {
      seq |= static_cast<uint64_t>(static_cast<uint8_t>(m.context[i])) << (8 * i);
    }
  }
  ack_reads(m.from, seq);
}

Status Node::transfer_leadership(NodeId to) {
  if (role_ != Role::kLeader) {
    return error(Code::kNotLeader, "not the leader");
  }
  if (to == id_) {
    return Status::ok();
  }
  if (!conf_.is_voter(to)) {
    return error(Code::kInvalidArgument, "transfer target is not a voter");
  }
  if (lead_transferee_ == to) {
    return Status::ok();
  }
  // §3.10: bring the target up to date, then tell it to start an election at once.
  lead_transferee_ = to;
  election_elapsed_ = 0;
  Progress* pr = find_progress(to);
  if (pr->match == log_.last_index()) {
    send_timeout_now(to);
  } else {
    maybe_send_append(pr, true);
  }
  return Status::ok();
}

void Node::send_timeout_now(NodeId to) {
  sent_timeout_now_this_term_ = true;  // the lease no longer holds: `to` may win at any time
  send(Message{.type = MessageType::kTimeoutNow, .to = to});
}

void Node::report_unreachable(NodeId peer) {
  if (role_ != Role::kLeader) {
    return;
  }
  Progress* pr = find_progress(peer);
  if (pr != nullptr && pr->state == ProgressState::kReplicate) {
    pr->become_probe();
  }
}

void Node::report_snapshot(NodeId peer, bool ok) {
  if (role_ != Role::kLeader) {
    return;
  }
  Progress* pr = find_progress(peer);
  if (pr == nullptr || pr->state != ProgressState::kSnapshot) {
    return;
  }
  if (!ok) {
    pr->pending_snapshot = LogIndex(0);
  }
  pr->become_probe();
  pr->probe_sent = true;  // wait for a heartbeat response before probing again
}

}  // namespace uq::raft
