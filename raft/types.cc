#include "raft/types.h"

#include <algorithm>
#include <cstdio>

namespace uq::raft {

namespace {

bool contains(const std::vector<NodeId>& ids, NodeId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void erase(std::vector<NodeId>* ids, NodeId id) {
  ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
}

}  // namespace

bool ConfState::is_voter(NodeId id) const {
  return contains(voters, id);
}
bool ConfState::is_learner(NodeId id) const {
  return contains(learners, id);
}

// Layout: 1 byte type, 8 bytes node id little-endian. Fixed size so that decode is trivial.
std::string encode_conf_change(const ConfChange& change) {
  std::string out(9, '\0');
  out[0] = static_cast<char>(change.type);
  for (int i = 0; i < 8; ++i) {
    out[1 + i] = static_cast<char>((change.node.value >> (8 * i)) & 0xff);
  }
  out += change.context;
  return out;
}

bool decode_conf_change(std::string_view bytes, ConfChange* out) {
  if (bytes.size() < 9 || static_cast<uint8_t>(bytes[0]) > 2) {
    return false;
  }
  uint64_t node = 0;
  for (int i = 0; i < 8; ++i) {
    node |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[1 + i])) << (8 * i);
  }
  if (node == 0) {
    return false;
  }
  out->type = static_cast<ConfChangeType>(bytes[0]);
  out->node = NodeId(node);
  out->context.assign(bytes.substr(9));
  return true;
}

ConfState apply_conf_change(const ConfState& conf, const ConfChange& change) {
  ConfState next = conf;
  switch (change.type) {
    case ConfChangeType::kAddVoter:
      erase(&next.learners, change.node);
      if (!next.is_voter(change.node)) {
        next.voters.push_back(change.node);
      }
      break;
    case ConfChangeType::kAddLearner:
      if (!next.is_member(change.node)) {
        next.learners.push_back(change.node);
      }
      break;
    case ConfChangeType::kRemoveNode:
      erase(&next.voters, change.node);
      erase(&next.learners, change.node);
      break;
  }
  return next;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

std::string_view message_type_name(MessageType type) {
  static constexpr std::string_view kNames[kMessageTypeCount] = {
      "PreVote",   "PreVoteResp",   "Vote",     "VoteResp",   "App",       "AppResp",
      "Heartbeat", "HeartbeatResp", "Snapshot", "TimeoutNow", "ReadIndex", "ReadIndexResp"};
  auto i = static_cast<size_t>(type);
  return i < kMessageTypeCount ? kNames[i] : "?";
}

std::string to_string(const Message& m) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%llu->%llu %.*s term=%llu log_term=%llu index=%llu commit=%llu",
                static_cast<unsigned long long>(m.from.value),
                static_cast<unsigned long long>(m.to.value),
                static_cast<int>(message_type_name(m.type).size()),
                message_type_name(m.type).data(), static_cast<unsigned long long>(m.term.value),
                static_cast<unsigned long long>(m.log_term.value),
                static_cast<unsigned long long>(m.index.value),
                static_cast<unsigned long long>(m.commit.value));
  std::string out(buf);
  if (m.reject) {
    out += " reject hint=" + std::to_string(m.reject_hint.value);
  }
  if (m.force) {
    out += " force";
  }
  if (!m.entries.empty()) {
    out += " entries=[";
    for (size_t i = 0; i < m.entries.size(); ++i) {
      out += (i ? " " : "") + std::to_string(m.entries[i].term.value) + "/" +
             std::to_string(m.entries[i].index.value);
    }
    out += "]";
  }
  if (m.type == MessageType::kSnapshot) {
    out += " snap=" + std::to_string(m.snapshot.index.value) + "/" +
           std::to_string(m.snapshot.term.value);
  }
  if (!m.context.empty()) {
    out += " ctx=" + m.context;
  }
  return out;
}

}  // namespace uq::raft
