// Elections: campaigning, pre-votes and vote requests (§3.4, §3.6.1, §9.6 of Ongaro's
// dissertation).
#include <algorithm>

#include "raft/node.h"

namespace uq::raft {

// §3.6.1: a voter grants its vote only to a candidate whose log is at least as up-to-date as its
// own: a later last term, or the same last term and at least as long.
bool Node::log_up_to_date(LogIndex index, Term term) const {
  Term last_term = log_.last_term();
  return term > last_term || (term == last_term && index >= log_.last_index());
}

void Node::campaign_with(bool pre_vote, bool force) {
  if (!promotable()) {
    return;  // learners and removed servers never campaign (§4.2.2)
  }
  Term campaign_term = term_ + 1;
  if (pre_vote) {
    // §9.6: ask first whether we could win, without raising our term; a partitioned node that
    // cannot win therefore never disrupts the cluster when it comes back.
    NodeId keep_vote = vote_;
    reset(term_);
    vote_ = keep_vote;
    role_ = Role::kPreCandidate;
  } else {
    reset(campaign_term);
    vote_ = id_;
    role_ = Role::kCandidate;
  }
  votes_.push_back({id_, true});
  if (pre_vote && tally_votes().first >= quorum()) {  // a lone voter needs no pre-vote
    campaign_with(false, force);
    return;
  }
  if (!pre_vote) {
    maybe_win_election();  // a lone voter wins once its vote is durable
    if (role_ != Role::kCandidate) {
      return;
    }
  }
  MessageType type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
  for (NodeId voter : conf_.voters) {
    if (voter == id_) {
      continue;
    }
    send(Message{.type = type,
                 .to = voter,
                 .term = campaign_term,
                 .log_term = log_.last_term(),
                 .index = log_.last_index(),
                 .force = force});
  }
}

void Node::maybe_win_election() {
  if (role_ == Role::kCandidate && durable_term_ == term_ && tally_votes().first >= quorum()) {
    become_leader();
  }
}

std::pair<size_t, size_t> Node::tally_votes() const {
  size_t granted = 0;
  size_t rejected = 0;
  for (const auto& [who, yes] : votes_) {
    if (conf_.is_voter(who)) {
      (yes ? granted : rejected)++;
    }
  }
  return {granted, rejected};
}

void Node::handle_vote_request(const Message& m) {
  bool pre = m.type == MessageType::kPreVote;
  // One vote per term (§3.4), remembered durably; a pre-vote for a later term binds nothing.
  bool can_vote =
      vote_ == m.from || (vote_.is_zero() && leader_.is_zero()) || (pre && m.term > term_);
  MessageType resp = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  if (can_vote && log_up_to_date(m.index, m.log_term)) {
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
    send(Message{.type = resp, .to = m.from, .term = m.term});
  } else {
    send(Message{.type = resp, .to = m.from, .term = term_, .reject = true});
  }
}

void Node::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // Another server won this term (§3.4): recognise it.
      become_follower(term_, m.from);
      step_follower(m);
      return;
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp: {
      bool mine = (m.type == MessageType::kPreVoteResp) == (role_ == Role::kPreCandidate);
      if (!mine || !conf_.is_voter(m.from)) {
        return;
      }
      auto it = std::find_if(votes_.begin(), votes_.end(),
                             [&](const auto& v) { return v.first == m.from; });
      if (it == votes_.end()) {
        votes_.push_back({m.from, !m.reject});
      }
      auto [granted, rejected] = tally_votes();
      if (granted >= quorum()) {
        if (role_ == Role::kPreCandidate) {
          campaign_with(false, false);
        } else {
          maybe_win_election();
        }
      } else if (rejected > conf_.voters.size() - quorum()) {
        become_follower(term_, kNoNode);
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace uq::raft
