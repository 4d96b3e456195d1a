// The follower: AppendEntries, heartbeats, InstallSnapshot and TimeoutNow (§3.5, §3.10, §5).
#include <algorithm>

#include "raft/node.h"

namespace uq::raft {

void Node::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_append(m);
      return;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_heartbeat(m);
      return;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_snapshot(m);
      return;
    case MessageType::kTimeoutNow:
      // §3.10: the leader hands over; start an election at once, skipping the pre-vote and
      // overriding other servers' leader lease.
      campaign_with(false, /*force=*/true);
      return;
    case MessageType::kReadIndexResp:
      read_states_.push_back(ReadState{m.index, m.context});
      return;
    default:
      return;
  }
}

// Figure 2, AppendEntries receiver rules 2–5.
void Node::handle_append(const Message& m) {
  if (m.index < log_.committed()) {
    // Everything up to our commit matches any leader; tell it where we are.
    send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.committed()});
    return;
  }
  std::optional<LogIndex> last_new = log_.maybe_append(m.index, m.log_term, m.entries);
  if (last_new.has_value()) {
    refresh_conf();
    log_.commit_to(std::min(m.commit, *last_new));
    send(Message{.type = MessageType::kAppResp, .to = m.from, .index = *last_new});
    return;
  }
  // §5.3 ("the follower can include the term of the conflicting entry and the first index it
  // stores for that term"): we send the largest index whose term is ≤ the leader's prev term.
  auto [hint_index, hint_term] =
      log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
  send(Message{.type = MessageType::kAppResp,
               .to = m.from,
               .log_term = hint_term,
               .index = m.index,
               .reject_hint = hint_index,
               .reject = true});
}

void Node::handle_heartbeat(const Message& m) {
  log_.commit_to(std::min(m.commit, log_.last_index()));
  send(Message{.type = MessageType::kHeartbeatResp, .to = m.from, .context = m.context});
}

// §5.3 InstallSnapshot: if our log already holds the snapshot's last entry, keep the log and only
// advance commit; otherwise discard the log and install the snapshot.
void Node::handle_snapshot(const Message& m) {
  const SnapshotMeta& meta = m.snapshot;
  if (meta.index <= log_.committed()) {
    send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.committed()});
    return;
  }
  if (log_.match_term(meta.index, meta.term)) {
    log_.commit_to(meta.index);
  } else {
    log_.restore(meta);
    pending_snapshot_ = meta;
    refresh_conf();
  }
  send(Message{.type = MessageType::kAppResp, .to = m.from, .index = log_.committed()});
}

}  // namespace uq::raft
