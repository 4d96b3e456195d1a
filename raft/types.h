// raft/types.h — the value types of the Raft protocol.
//
// Owns: the strong number types (Term, LogIndex, NodeId), log entries, configurations, hard and
// soft state, snapshot metadata and the Message exchanged between nodes. All are plain values: any
// thread may create, copy and destroy them; none refers to a Node. Terms, indexes and node ids are
// distinct types so that they cannot be swapped by accident (a Term passed where a LogIndex is
// expected does not compile). NodeId 0 means "nobody" (no vote, no leader).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uq::raft {

// A uint64 with a tag, so Term, LogIndex and NodeId are different types. Only the arithmetic Raft
// needs is defined: step forward and back by a count, and compare.
template <typename Tag>
struct Strong {
  uint64_t value = 0;

  constexpr Strong() = default;
  constexpr explicit Strong(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const Strong&) const = default;
  constexpr Strong operator+(uint64_t n) const { return Strong(value + n); }
  constexpr Strong operator-(uint64_t n) const { return Strong(value - n); }
  constexpr bool is_zero() const { return value == 0; }
};

struct TermTag {};
struct LogIndexTag {};
struct NodeIdTag {};
using Term = Strong<TermTag>;
using LogIndex = Strong<LogIndexTag>;
using NodeId = Strong<NodeIdTag>;

inline constexpr NodeId kNoNode{};

enum class EntryType : uint8_t {
  kNormal = 0,  // application data
  kNoop = 1,  // appended by every new leader (§3.6.2, §6.4: lets it commit entries of older terms)
  kConfig = 2,  // a single-server membership change, data = encode_conf_change() (§4.1)
};

struct Entry {
  Term term;
  LogIndex index;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// The membership of the cluster. Voters count toward quorums and may lead; learners (non-voters,
// read replicas) receive the log but never vote or campaign.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;

  bool operator==(const ConfState&) const = default;
  bool is_voter(NodeId id) const;
  bool is_learner(NodeId id) const;
  bool is_member(NodeId id) const { return is_voter(id) || is_learner(id); }
};

enum class ConfChangeType : uint8_t {
  kAddVoter = 0,    // also promotes an existing learner
  kAddLearner = 1,  // a voter cannot be demoted this way; propose remove then add
  kRemoveNode = 2,
};

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddVoter;
  NodeId node;
  // Opaque to raft/: the application's description of the member (its addresses), replicated
  // with the change so every node learns it from the log alone.
  std::string context;

  bool operator==(const ConfChange&) const = default;
};

// Layout: u8 type, u64 node (little-endian), then the context bytes (possibly none).
std::string encode_conf_change(const ConfChange& change);
// False on malformed bytes; a config entry that does not decode is ignored by every node alike.
bool decode_conf_change(std::string_view bytes, ConfChange* out);
// The configuration after `change` is applied to `conf`.
ConfState apply_conf_change(const ConfState& conf, const ConfChange& change);

// What must be durable before a node answers anyone (Figure 2, "Persistent state on all servers").
struct HardState {
  Term term;
  NodeId vote;
  LogIndex commit;

  bool operator==(const HardState&) const = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
std::string_view role_name(Role role);

// Volatile state the application may want to observe (who leads, what we are).
struct SoftState {
  NodeId leader;
  Role role = Role::kFollower;

  bool operator==(const SoftState&) const = default;
};

// The snapshot as Raft sees it: the last index and term it covers and the configuration as of
// that index. The bytes of the state machine move outside raft/ (chunk streaming in server/).
struct SnapshotMeta {
  LogIndex index;
  Term term;
  ConfState conf;

  bool operator==(const SnapshotMeta&) const = default;
};

// A ReadIndex answer (§6.4): once the application has applied `index`, a read for `context`
// is linearizable.
struct ReadState {
  LogIndex index;
  std::string context;

  bool operator==(const ReadState&) const = default;
};

enum class MessageType : uint8_t {
  kPreVote = 0,
  kPreVoteResp = 1,
  kVote = 2,
  kVoteResp = 3,
  kApp = 4,
  kAppResp = 5,
  kHeartbeat = 6,
  kHeartbeatResp = 7,
  kSnapshot = 8,
  kTimeoutNow = 9,
  kReadIndex = 10,      // follower → leader: forward a read_index() request
  kReadIndexResp = 11,  // leader → follower: the read index for that request
};
inline constexpr uint8_t kMessageTypeCount = 12;
std::string_view message_type_name(MessageType type);

// One message between nodes. Fields are shared across types; what each means per type:
//   PreVote/Vote:   term = candidate's (next) term, index/log_term = its last entry,
//                   force = leadership transfer (bypasses the leader lease, §3.10/§4.2.3).
//   *VoteResp:      reject = vote denied.
//   App:            index/log_term = entry preceding `entries`, commit = leader's commit.
//   AppResp:        index = last index now matching the leader (or the rejected index when
//                   reject); reject_hint/log_term = the follower's conflict hint (§5.3 of the
//                   paper: a term and the index where the follower's log has at most that term).
//   Heartbeat:      commit = min(leader commit, follower's match), context = ReadIndex context.
//   HeartbeatResp:  context echoed.
//   Snapshot:       snapshot = metadata of the snapshot to install.
//   ReadIndex:      context; ReadIndexResp: index = read index, context.
struct Message {
  MessageType type = MessageType::kApp;
  NodeId from;
  NodeId to;
  Term term;
  Term log_term;
  LogIndex index;
  LogIndex commit;
  LogIndex reject_hint;
  bool reject = false;
  bool force = false;
  std::vector<Entry> entries;
  SnapshotMeta snapshot;
  std::string context;

  bool operator==(const Message&) const = default;
};

// One-line human-readable form for logs, scenario tests and simulator traces.
std::string to_string(const Message& m);

}  // namespace uq::raft
