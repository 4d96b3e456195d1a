// Linearizable reads: ReadIndex (§6.4) and the optional leader lease (§6.4.1).
#include <algorithm>

#include "raft/node.h"

namespace uq::raft {

Status Node::read_index(std::string context) {
  if (role_ == Role::kLeader) {
    start_read(std::move(context), id_);
    return Status::ok();
  }
  if (leader_.is_zero()) {
    return error(Code::kUnavailable, "no known leader");
  }
  // §6.4: a follower asks the leader for the read index, then waits to apply up to it locally.
  send(Message{.type = MessageType::kReadIndex, .to = leader_, .context = std::move(context)});
  return Status::ok();
}

void Node::start_read(std::string context, NodeId requester) {
  // §6.4 step 1: until the leader has committed an entry of its term it does not know the
  // commit index; the request waits for the no-op.
  if (log_.term_at(log_.committed()) != term_) {
    reads_waiting_commit_.push_back(PendingRead{std::move(context), requester});
    return;
  }
  LogIndex index = log_.committed();
  bool alone = conf_.voters.size() == 1 && conf_.is_voter(id_);
  if (alone || (config_.lease_read && lease_valid())) {
    release_read(PendingRead{std::move(context), requester, index});
    return;
  }
  // §6.4 step 3: confirm we are still leader with a heartbeat round sent after this request.
  PendingRead read{std::move(context), requester, index, read_seq_ + 1, {}};
  if (conf_.is_voter(id_)) {
    read.acks.push_back(id_);
  }
  reads_.push_back(std::move(read));
  pending_read_broadcast_ = true;
}

void Node::release_read(PendingRead&& read) {
  if (read.requester == id_) {
    read_states_.push_back(ReadState{read.index, std::move(read.context)});
  } else {
    send(Message{.type = MessageType::kReadIndexResp,
                 .to = read.requester,
                 .index = read.index,
                 .context = std::move(read.context)});
  }
}

void Node::ack_reads(NodeId from, uint64_t seq) {
  if (!conf_.is_voter(from)) {
    return;
  }
  // Lease bookkeeping: `from` reset its election timer no earlier than when round `seq` left.
  for (const auto& [s, tick] : heartbeat_sent_ticks_) {
    if (s == seq) {
      auto it = std::find_if(acked_tick_.begin(), acked_tick_.end(),
                             [&](const auto& p) { return p.first == from; });
      if (it == acked_tick_.end()) {
        acked_tick_.push_back({from, tick});
      } else {
        it->second = std::max(it->second, tick);
      }
      break;
    }
  }
  // An ack of round `seq` confirms every read registered for that round or an earlier one.
  for (PendingRead& r : reads_) {
    if (r.seq > seq) {
      break;
    }
    if (std::find(r.acks.begin(), r.acks.end(), from) == r.acks.end()) {
      r.acks.push_back(from);
    }
  }
  while (!reads_.empty() && reads_.front().acks.size() >= quorum()) {
    PendingRead r = std::move(reads_.front());
    reads_.pop_front();
    release_read(std::move(r));
  }
}

void Node::release_reads_waiting_commit() {
  std::vector<PendingRead> waiting = std::move(reads_waiting_commit_);
  reads_waiting_commit_.clear();
  for (PendingRead& r : waiting) {
    start_read(std::move(r.context), r.requester);
  }
}

// §6.4.1: each voter that acked a heartbeat sent at tick t will not grant a vote before its own
// tick t + election_tick (check_quorum's vote lease, §4.2.3), so no other leader can exist
// before the quorum-th latest such t plus election_tick, less the drift allowance. A leader that
// sent TimeoutNow this term gave that guarantee away.
bool Node::lease_valid() const {
  if (sent_timeout_now_this_term_ || !config_.check_quorum) {
    return false;
  }
  std::vector<uint64_t> ticks;
  for (NodeId v : conf_.voters) {
    if (v == id_) {
      ticks.push_back(ticks_);
      continue;
    }
    auto it = std::find_if(acked_tick_.begin(), acked_tick_.end(),
                           [&](const auto& p) { return p.first == v; });
    if (it != acked_tick_.end()) {
      ticks.push_back(it->second);
    }
  }
  if (ticks.size() < quorum()) {
    return false;
  }
  std::sort(ticks.begin(), ticks.end(), std::greater<>());
  uint64_t t = ticks[quorum() - 1];
  return ticks_ < t + static_cast<uint64_t>(config_.election_tick - config_.lease_drift_ticks);
}

}  // namespace uq::raft
