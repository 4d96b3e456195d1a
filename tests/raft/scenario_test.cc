// Scripted scenarios: one rule of the Raft paper / dissertation each, with the exact messages and
// state expected after every scripted step. Nodes persist synchronously here (drain()) unless a
// test says otherwise; messages are delivered only when the script says so.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raft/node.h"

namespace uq::raft {
namespace {

Config config(uint64_t id, bool pre_vote = false, bool check_quorum = false) {
  Config c;
  c.id = NodeId(id);
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.pre_vote = pre_vote;
  c.check_quorum = check_quorum;
  c.seed = id;
  return c;
}

std::vector<NodeId> ids(std::initializer_list<uint64_t> list) {
  std::vector<NodeId> out;
  for (uint64_t i : list) {
    out.push_back(NodeId(i));
  }
  return out;
}

// Bootstrap log (entries 1..n, term 1) plus extra entries given as their terms.
DurableState with_log(size_t voters, std::initializer_list<uint64_t> extra_terms, uint64_t term) {
  std::vector<NodeId> v;
  for (uint64_t i = 1; i <= voters; ++i) {
    v.push_back(NodeId(i));
  }
  DurableState d = bootstrap_state(v);
  for (uint64_t t : extra_terms) {
    d.entries.push_back(Entry{Term(t), LogIndex(d.entries.size() + 1), EntryType::kNormal, "x"});
  }
  d.hard_state.term = Term(term);
  return d;
}

std::vector<std::string> strs(const std::vector<Message>& msgs) {
  std::vector<std::string> out;
  for (const Message& m : msgs) {
    out.push_back(to_string(m));
  }
  return out;
}

// Takes every Ready, "persists" it at once, and returns all messages it produced.
std::vector<Message> drain(Node& n, std::vector<Entry>* applied = nullptr,
                           std::vector<ReadState>* reads = nullptr) {
  std::vector<Message> out;
  for (int i = 0; i < 16 && n.has_ready(); ++i) {
    Ready rd = n.ready();
    out.insert(out.end(), rd.messages.begin(), rd.messages.end());
    out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
    if (applied != nullptr) {
      applied->insert(applied->end(), rd.committed_entries.begin(), rd.committed_entries.end());
    }
    if (reads != nullptr) {
      reads->insert(reads->end(), rd.read_states.begin(), rd.read_states.end());
    }
    PersistMark mark = rd.persist_mark;
    n.advance(rd);
    n.on_persisted(mark);
  }
  return out;
}

std::vector<Message> only(const std::vector<Message>& msgs, MessageType type) {
  std::vector<Message> out;
  for (const Message& m : msgs) {
    if (m.type == type) {
      out.push_back(m);
    }
  }
  return out;
}

struct Cluster {
  std::map<uint64_t, std::unique_ptr<Node>> nodes;

  explicit Cluster(size_t n, bool pre_vote = false, bool check_quorum = false) {
    for (uint64_t i = 1; i <= n; ++i) {
      std::vector<NodeId> v;
      for (uint64_t j = 1; j <= n; ++j) {
        v.push_back(NodeId(j));
      }
      nodes[i] = std::make_unique<Node>(config(i, pre_vote, check_quorum), bootstrap_state(v));
    }
  }
  Node& operator[](uint64_t i) { return *nodes.at(i); }
  // Delivers messages (and everything they cause) until quiet; `cut` nodes receive nothing.
  void settle(std::vector<Message> msgs, std::vector<uint64_t> cut = {}) {
    for (int round = 0; round < 50 && !msgs.empty(); ++round) {
      std::vector<Message> next;
      for (const Message& m : msgs) {
        if (std::find(cut.begin(), cut.end(), m.to.value) != cut.end() ||
            std::find(cut.begin(), cut.end(), m.from.value) != cut.end()) {
          continue;
        }
        (void)nodes.at(m.to.value)->step(m);
      }
      for (auto& [id, n] : nodes) {
        auto out = drain(*n);
        next.insert(next.end(), out.begin(), out.end());
      }
      msgs = std::move(next);
    }
  }
  // Ticks every node through the start-up lease (in_lease() after a restart); campaigns that
  // start meanwhile are pre-votes and go nowhere (their messages are dropped).
  void warm_up() {
    for (int i = 0; i < 10; ++i) {
      for (auto& [id, n] : nodes) {
        n->tick();
        drain(*n);
      }
    }
  }
  void elect(uint64_t id) {
    nodes.at(id)->campaign();
    settle(drain(*nodes.at(id)));
  }
};

TEST(RaftScenario, CandidateRequestsVotesWithItsLastEntryAndWinsWithAMajority) {
  Cluster c(3);
  c[1].campaign();
  EXPECT_EQ(c[1].role(), Role::kCandidate);
  EXPECT_EQ(c[1].term(), Term(2));
  EXPECT_EQ(c[1].vote(), NodeId(1));
  auto out = drain(c[1]);
  EXPECT_EQ(strs(out), (std::vector<std::string>{
                           "1->2 Vote term=2 log_term=1 index=3 commit=0",
                           "1->3 Vote term=2 log_term=1 index=3 commit=0",
                       }));
  ASSERT_TRUE(c[2].step(out[0]).is_ok());
  auto resp = drain(c[2]);
  EXPECT_EQ(strs(resp),
            std::vector<std::string>{"2->1 VoteResp term=2 log_term=0 index=0 commit=0"});
  EXPECT_EQ(c[2].vote(), NodeId(1));
  ASSERT_TRUE(c[1].step(resp[0]).is_ok());
  EXPECT_EQ(c[1].role(), Role::kLeader);
  // §3.6.2 / §6.4: the new leader appends a no-op of its term and sends it to everyone.
  EXPECT_EQ(c[1].log().last_index(), LogIndex(4));
  EXPECT_EQ(c[1].log().at(LogIndex(4)).type, EntryType::kNoop);
  auto apps = only(drain(c[1]), MessageType::kApp);
  EXPECT_EQ(strs(apps), (std::vector<std::string>{
                            "1->2 App term=2 log_term=1 index=3 commit=3 entries=[2/4]",
                            "1->3 App term=2 log_term=1 index=3 commit=3 entries=[2/4]",
                        }));
}

TEST(RaftScenario, VoterGrantsOneVotePerTerm) {
  Cluster c(3);
  c[1].campaign();
  c[3].campaign();  // both at term 2
  auto v1 = only(drain(c[1]), MessageType::kVote);
  auto v3 = only(drain(c[3]), MessageType::kVote);
  ASSERT_TRUE(c[2].step(v1[0]).is_ok());
  ASSERT_TRUE(c[2].step(v3[1]).is_ok());
  auto resp = drain(c[2]);
  ASSERT_EQ(resp.size(), 2u);
  EXPECT_FALSE(resp[0].reject);
  EXPECT_TRUE(resp[1].reject);
  EXPECT_EQ(c[2].vote(), NodeId(1));
}

TEST(RaftScenario, VoterRejectsCandidateWithLessUpToDateLog) {
  // §3.6.1: node 2's last entry has term 3; a candidate whose last term is 2 loses, even with a
  // longer log; a candidate with the same last term but a shorter log loses too.
  Node voter(config(2), with_log(3, {3}, 3));
  Message vote{.type = MessageType::kVote,
               .from = NodeId(1),
               .to = NodeId(2),
               .term = Term(4),
               .log_term = Term(2),
               .index = LogIndex(9)};
  ASSERT_TRUE(voter.step(vote).is_ok());
  auto out = drain(voter);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reject);
  EXPECT_EQ(voter.vote(), kNoNode);
  Message shorter{.type = MessageType::kVote,
                  .from = NodeId(3),
                  .to = NodeId(2),
                  .term = Term(4),
                  .log_term = Term(3),
                  .index = LogIndex(3)};
  ASSERT_TRUE(voter.step(shorter).is_ok());
  out = drain(voter);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reject);
  Message equal = shorter;
  equal.index = LogIndex(4);
  ASSERT_TRUE(voter.step(equal).is_ok());
  out = drain(voter);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reject);
  EXPECT_EQ(voter.vote(), NodeId(3));
}

TEST(RaftScenario, LeaderNeverCommitsOlderTermEntryByCounting) {
  // Figure 8: node 1 holds an entry of term 2 at index 4 and leads in term 4. A majority
  // acknowledging index 4 must not commit it; only its own no-op (term 4, index 5) does, which
  // then commits index 4 indirectly.
  Node leader(config(1), with_log(3, {2}, 3));
  leader.campaign();
  drain(leader);
  ASSERT_TRUE(
      leader
          .step(
              {.type = MessageType::kVoteResp, .from = NodeId(2), .to = NodeId(1), .term = Term(4)})
          .is_ok());
  ASSERT_EQ(leader.role(), Role::kLeader);
  drain(leader);
  ASSERT_EQ(leader.log().last_index(), LogIndex(5));
  Message ack{.type = MessageType::kAppResp,
              .from = NodeId(2),
              .to = NodeId(1),
              .term = Term(4),
              .index = LogIndex(4)};
  ASSERT_TRUE(leader.step(ack).is_ok());
  drain(leader);
  EXPECT_EQ(leader.log().committed(), LogIndex(3));
  ack.index = LogIndex(5);
  ASSERT_TRUE(leader.step(ack).is_ok());
  drain(leader);
  EXPECT_EQ(leader.log().committed(), LogIndex(5));
}

TEST(RaftScenario, FollowerRejectsAppendWhosePreviousEntryDoesNotMatchAndHintsTheConflict) {
  // Follower log: 1..3 term 1, 4..6 term 2. Leader (term 5) probes at prev index 6 term 4.
  Node f(config(2), with_log(3, {2, 2, 2}, 4));
  Message app{.type = MessageType::kApp,
              .from = NodeId(1),
              .to = NodeId(2),
              .term = Term(5),
              .log_term = Term(4),
              .index = LogIndex(6)};
  ASSERT_TRUE(f.step(app).is_ok());
  auto out = drain(f);
  // §5.3 hint: the largest index whose term is ≤ 4 is 6 (term 2), so the leader can skip to the
  // first index where its own log has term ≤ 2.
  EXPECT_EQ(strs(out), std::vector<std::string>{
                           "2->1 AppResp term=5 log_term=2 index=6 commit=0 reject hint=6"});
  // A probe past the end of the follower's log is answered with its last index as the hint.
  app.index = LogIndex(9);
  ASSERT_TRUE(f.step(app).is_ok());
  out = drain(f);
  EXPECT_EQ(strs(out), std::vector<std::string>{
                           "2->1 AppResp term=5 log_term=2 index=9 commit=0 reject hint=6"});
}

TEST(RaftScenario, LeaderSkipsConflictingTermUsingTheHint) {
  // Leader log: 1..3 term 1, 4..5 term 3, noop 6 term 5. The follower rejects prev 5 with hint
  // (index 5, term 2): the leader has no term-2 entries, so it jumps back to index 4 (after 3).
  Node leader(config(1), with_log(3, {3, 3}, 4));
  leader.campaign();
  drain(leader);
  ASSERT_TRUE(
      leader
          .step(
              {.type = MessageType::kVoteResp, .from = NodeId(2), .to = NodeId(1), .term = Term(5)})
          .is_ok());
  drain(leader);
  ASSERT_EQ(leader.progress(NodeId(2))->next, LogIndex(6));
  Message reject{.type = MessageType::kAppResp,
                 .from = NodeId(2),
                 .to = NodeId(1),
                 .term = Term(5),
                 .log_term = Term(2),
                 .index = LogIndex(5),
                 .reject_hint = LogIndex(5),
                 .reject = true};
  ASSERT_TRUE(leader.step(reject).is_ok());
  auto apps = only(drain(leader), MessageType::kApp);
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(to_string(apps[0]),
            "1->2 App term=5 log_term=1 index=3 commit=3 entries=[3/4 3/5 5/6]");
}

TEST(RaftScenario, FollowerTruncatesConflictingSuffixAndCommitsOnlyWhatMatches) {
  Node f(config(2), with_log(3, {2, 2}, 2));
  // New leader in term 3 replaces index 5 (term 2) by an entry of term 3; commit 9 is capped at
  // the last index known to match (Figure 2, receiver rule 5).
  Message app{.type = MessageType::kApp,
              .from = NodeId(1),
              .to = NodeId(2),
              .term = Term(3),
              .log_term = Term(2),
              .index = LogIndex(4),
              .commit = LogIndex(9),
              .entries = {Entry{Term(3), LogIndex(5), EntryType::kNormal, "y"}}};
  ASSERT_TRUE(f.step(app).is_ok());
  std::vector<Entry> applied;
  auto out = drain(f, &applied);
  EXPECT_EQ(strs(out), std::vector<std::string>{"2->1 AppResp term=3 log_term=0 index=5 commit=0"});
  EXPECT_EQ(f.log().last_index(), LogIndex(5));
  EXPECT_EQ(f.log().at(LogIndex(5)).term, Term(3));
  EXPECT_EQ(f.log().committed(), LogIndex(5));
  // 1..5: the application replays the committed bootstrap entries from its snapshot (index 0).
  ASSERT_EQ(applied.size(), 5u);
  // A duplicate of an older, shorter append must not truncate what came after it.
  Message old = app;
  old.entries.clear();
  ASSERT_TRUE(f.step(old).is_ok());
  EXPECT_EQ(f.log().last_index(), LogIndex(5));
}

TEST(RaftScenario, LeaderSendsAppendsBeforeItsOwnWriteIsDurableButCountsItselfOnlyAfter) {
  Cluster c(3);
  c.elect(1);
  ASSERT_EQ(c[1].role(), Role::kLeader);
  ASSERT_TRUE(c[1].propose("a").is_ok());
  ASSERT_TRUE(c[1].propose("b").is_ok());
  Ready rd = c[1].ready();
  // Both proposals travel in one append per follower (batching), in `messages`: they may leave
  // before the leader's own fsync (§10.2.1).
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_TRUE(rd.must_sync);
  auto apps = only(rd.messages, MessageType::kApp);
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].entries.size(), 2u);
  LogIndex last = rd.entries.back().index;
  PersistMark mark = rd.persist_mark;
  c[1].advance(rd);
  // One follower acks: with the leader's own copy not durable, there is no majority yet.
  ASSERT_TRUE(c[2].step(apps[0]).is_ok());
  auto acks = only(drain(c[2]), MessageType::kAppResp);
  ASSERT_TRUE(c[1].step(acks[0]).is_ok());
  EXPECT_EQ(c[1].log().committed(), last - 2);
  c[1].on_persisted(mark);
  EXPECT_EQ(c[1].log().committed(), last);
}

TEST(RaftScenario, FollowerAcksOnlyAfterPersisting) {
  Cluster c(3);
  c.elect(1);
  ASSERT_TRUE(c[1].propose("a").is_ok());
  auto apps = only(drain(c[1]), MessageType::kApp);
  ASSERT_TRUE(c[2].step(apps[0]).is_ok());
  Ready rd = c[2].ready();
  EXPECT_TRUE(rd.messages.empty());
  ASSERT_EQ(rd.messages_after_persist.size(), 1u);
  EXPECT_EQ(rd.messages_after_persist[0].type, MessageType::kAppResp);
  c[2].advance(rd);
}

TEST(RaftScenario, PreCandidateDoesNotRaiseItsTermAndLosesWhileLeaderIsAlive) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  for (int i = 0; i < 12; ++i) {  // pass the start-up lease
    for (auto& [id, n] : c.nodes) {
      n->tick();
    }
  }
  c.settle({});
  c.elect(1);
  ASSERT_EQ(c[1].role(), Role::kLeader);
  Term term = c[1].term();
  // Node 3 is cut off, times out and pre-campaigns: its term stays.
  c[3].campaign();
  EXPECT_EQ(c[3].role(), Role::kPreCandidate);
  EXPECT_EQ(c[3].term(), term);
  auto pre = drain(c[3]);
  EXPECT_EQ(strs(pre), (std::vector<std::string>{
                           "3->1 PreVote term=3 log_term=2 index=4 commit=0",
                           "3->2 PreVote term=3 log_term=2 index=4 commit=0",
                       }));
  // §4.2.3: node 2 heard from the leader within the election timeout, so it ignores the request.
  ASSERT_TRUE(c[2].step(pre[1]).is_ok());
  EXPECT_TRUE(drain(c[2]).empty());
  EXPECT_EQ(c[2].term(), term);
  EXPECT_EQ(c[1].role(), Role::kLeader);
}

TEST(RaftScenario, PreVoteGrantedWhenNoLeaderThenRealElection) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/false);
  c[2].campaign();
  auto pre = drain(c[2]);
  ASSERT_EQ(pre.size(), 2u);
  ASSERT_TRUE(c[1].step(pre[0]).is_ok());
  auto resp = drain(c[1]);
  EXPECT_EQ(strs(resp),
            std::vector<std::string>{"1->2 PreVoteResp term=2 log_term=0 index=0 commit=0"});
  EXPECT_EQ(c[1].term(), Term(1));  // granting a pre-vote changes nothing
  EXPECT_EQ(c[1].vote(), kNoNode);
  ASSERT_TRUE(c[2].step(resp[0]).is_ok());
  EXPECT_EQ(c[2].role(), Role::kCandidate);
  EXPECT_EQ(c[2].term(), Term(2));
}

TEST(RaftScenario, LeaderWithoutQuorumContactStepsDownAfterElectionTimeout) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  c.warm_up();
  c.elect(1);
  ASSERT_EQ(c[1].role(), Role::kLeader);
  // Nobody answers: after two election timeouts (the first round counts the initial grace).
  for (int i = 0; i < 20 && c[1].role() == Role::kLeader; ++i) {
    c[1].tick();
    drain(c[1]);
  }
  EXPECT_EQ(c[1].role(), Role::kFollower);
  EXPECT_EQ(c[1].leader(), kNoNode);
}

TEST(RaftScenario, StaleLeaderLearnsNewTermFromFollowerAnswer) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  Node& f = c[2];
  Message old_app{.type = MessageType::kApp,
                  .from = NodeId(1),
                  .to = NodeId(2),
                  .term = Term(1),
                  .log_term = Term(1),
                  .index = LogIndex(3)};
  ASSERT_TRUE(
      f.step({.type = MessageType::kHeartbeat, .from = NodeId(3), .to = NodeId(2), .term = Term(5)})
          .is_ok());
  drain(f);
  ASSERT_TRUE(f.step(old_app).is_ok());
  auto out = drain(f);
  EXPECT_EQ(strs(out), std::vector<std::string>{"2->1 AppResp term=5 log_term=0 index=0 commit=0"});
}

TEST(RaftScenario, LeadershipTransferSendsTimeoutNowAndTargetWinsDespiteLease) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  c.warm_up();
  c.elect(1);
  ASSERT_EQ(c[1].role(), Role::kLeader);
  Term term = c[1].term();
  ASSERT_TRUE(c[1].transfer_leadership(NodeId(3)).is_ok());
  // During the transfer proposals are refused (§3.10).
  EXPECT_EQ(c[1].propose("x").code(), Code::kUnavailable);
  auto out = drain(c[1]);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(to_string(out[0]),
            "1->3 TimeoutNow term=" + std::to_string(term.value) + " log_term=0 index=0 commit=0");
  ASSERT_TRUE(c[3].step(out[0]).is_ok());
  EXPECT_EQ(c[3].role(), Role::kCandidate);
  auto votes = drain(c[3]);
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_TRUE(votes[0].force);
  c.settle(votes);
  EXPECT_EQ(c[3].role(), Role::kLeader);
  EXPECT_EQ(c[3].term(), term + 1);
  EXPECT_EQ(c[1].role(), Role::kFollower);
}

TEST(RaftScenario, NewLeaderAnswersReadIndexOnlyAfterItsNoopCommitsAndAQuorumConfirms) {
  Cluster c(3);
  c[1].campaign();
  c.settle(drain(c[1]), /*cut=*/{});
  ASSERT_EQ(c[1].role(), Role::kLeader);
  // Fresh leader in a fresh term: cut both followers off before the no-op commits.
  Cluster d(3);
  d[1].campaign();
  auto votes = drain(d[1]);
  ASSERT_TRUE(d[2].step(votes[0]).is_ok());
  ASSERT_TRUE(d[1].step(drain(d[2])[0]).is_ok());
  ASSERT_EQ(d[1].role(), Role::kLeader);
  ASSERT_TRUE(d[1].read_index("r1").is_ok());
  std::vector<ReadState> reads;
  auto out = drain(d[1], nullptr, &reads);
  EXPECT_TRUE(reads.empty());
  EXPECT_TRUE(only(out, MessageType::kHeartbeat).empty());  // waiting for the no-op first
  // Replicate the no-op to node 2; the commit releases the read into a heartbeat round.
  auto app = only(out, MessageType::kApp);
  ASSERT_TRUE(d[2].step(app[0]).is_ok());
  ASSERT_TRUE(d[1].step(only(drain(d[2]), MessageType::kAppResp)[0]).is_ok());
  out = drain(d[1], nullptr, &reads);
  EXPECT_TRUE(reads.empty());
  auto hb = only(out, MessageType::kHeartbeat);
  ASSERT_EQ(hb.size(), 2u);
  ASSERT_TRUE(d[2].step(hb[0]).is_ok());
  auto hbr = only(drain(d[2]), MessageType::kHeartbeatResp);
  ASSERT_EQ(hbr.size(), 1u);
  ASSERT_TRUE(d[1].step(hbr[0]).is_ok());
  drain(d[1], nullptr, &reads);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].context, "r1");
  EXPECT_EQ(reads[0].index, LogIndex(4));
}

TEST(RaftScenario, FollowerBehindCompactedPrefixReceivesSnapshot) {
  Cluster c(3);
  c.elect(1);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c[1].propose("v").is_ok());
  }
  c.settle(drain(c[1]), /*cut=*/{3});
  ASSERT_EQ(c[1].log().applied(), LogIndex(9));
  c[1].compact(LogIndex(8));
  EXPECT_EQ(c[1].log().first_index(), LogIndex(9));
  // The transport reports node 3 unreachable (its appends were lost); it comes back and answers
  // a heartbeat. Its next entry was compacted away: the leader must send a snapshot.
  c[1].report_unreachable(NodeId(3));
  EXPECT_EQ(c[1].progress(NodeId(3))->state, ProgressState::kProbe);
  ASSERT_TRUE(c[1].step({.type = MessageType::kHeartbeatResp,
                         .from = NodeId(3),
                         .to = NodeId(1),
                         .term = c[1].term()})
                  .is_ok());
  auto out = drain(c[1]);
  auto snaps = only(out, MessageType::kSnapshot);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].snapshot.index, LogIndex(8));
  EXPECT_EQ(snaps[0].snapshot.conf.voters.size(), 3u);
  ASSERT_TRUE(c[3].step(snaps[0]).is_ok());
  Ready rd = c[3].ready();
  ASSERT_TRUE(rd.snapshot.has_value());
  EXPECT_EQ(rd.snapshot->index, LogIndex(8));
  c[3].advance(rd);
  EXPECT_EQ(c[3].log().committed(), LogIndex(8));
}

TEST(RaftScenario, FollowerWithinTrailingEntriesCatchesUpFromTheLog) {
  Cluster c(3);
  c.elect(1);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c[1].propose("v").is_ok());
  }
  c.settle(drain(c[1]), /*cut=*/{3});
  ASSERT_EQ(c[1].log().applied(), LogIndex(9));
  // Node 3 holds only the no-op (index 4 after the three founding conf entries); keeping 5
  // entries at or below the snapshot keeps index 4 itself, the one node 3 must match.
  c[1].compact(LogIndex(8), /*trailing=*/5);
  EXPECT_EQ(c[1].log().snapshot().index, LogIndex(8));
  EXPECT_EQ(c[1].log().first_index(), LogIndex(4));
  EXPECT_TRUE(c[1].log().term_at(LogIndex(3)).has_value());  // the entry before the first
  EXPECT_EQ(c[1].log().term_at(LogIndex(2)), std::nullopt);
  // Configuration entries kept below the snapshot are folded into its configuration.
  EXPECT_TRUE(c[1].log().conf_indexes().empty());
  EXPECT_EQ(c[1].conf().voters.size(), 3u);
  c[1].report_unreachable(NodeId(3));
  ASSERT_TRUE(c[1].step({.type = MessageType::kHeartbeatResp,
                         .from = NodeId(3),
                         .to = NodeId(1),
                         .term = c[1].term()})
                  .is_ok());
  auto out = drain(c[1]);
  EXPECT_TRUE(only(out, MessageType::kSnapshot).empty());
  ASSERT_FALSE(only(out, MessageType::kApp).empty());
  c.settle(out);
  EXPECT_EQ(c[3].log().last_index(), LogIndex(9));
  EXPECT_EQ(c[3].log().committed(), LogIndex(9));
  EXPECT_FALSE(c[3].ready().snapshot.has_value());
}

TEST(RaftScenario, RemovedLeaderStepsDownOnceRemovalCommitsAndStopsCampaigning) {
  Cluster c(3);
  c.elect(1);
  ASSERT_TRUE(c[1].propose_conf_change({ConfChangeType::kRemoveNode, NodeId(1)}).is_ok());
  // Effective on append (§4.1): node 1 no longer counts itself.
  EXPECT_FALSE(c[1].conf().is_voter(NodeId(1)));
  EXPECT_EQ(c[1].propose_conf_change({ConfChangeType::kAddLearner, NodeId(4)}).code(),
            Code::kUnavailable);  // one change at a time
  c.settle(drain(c[1]));
  EXPECT_EQ(c[1].role(), Role::kFollower);
  for (int i = 0; i < 40; ++i) {
    c[1].tick();
  }
  EXPECT_EQ(c[1].role(), Role::kFollower);  // not in its configuration: never campaigns
  EXPECT_TRUE(drain(c[1]).empty());
}

TEST(RaftScenario, LearnerReceivesEntriesButNeverVotesOrCampaigns) {
  std::vector<NodeId> v = ids({1, 2});
  Node n1(config(1), bootstrap_state(v));
  Node n2(config(2), bootstrap_state(v));
  Node learner(config(3), DurableState{});
  std::map<uint64_t, Node*> all{{1, &n1}, {2, &n2}, {3, &learner}};
  auto settle = [&](std::vector<Message> msgs) {
    for (int r = 0; r < 50 && !msgs.empty(); ++r) {
      std::vector<Message> next;
      for (const Message& m : msgs) {
        (void)all.at(m.to.value)->step(m);
      }
      for (auto& [id, n] : all) {
        auto out = drain(*n);
        next.insert(next.end(), out.begin(), out.end());
      }
      msgs = std::move(next);
    }
  };
  n1.campaign();
  settle(drain(n1));
  ASSERT_EQ(n1.role(), Role::kLeader);
  ASSERT_TRUE(n1.propose_conf_change({ConfChangeType::kAddLearner, NodeId(3)}).is_ok());
  settle(drain(n1));
  EXPECT_TRUE(learner.conf().is_learner(NodeId(3)));
  EXPECT_EQ(learner.log().last_index(), n1.log().last_index());
  for (int i = 0; i < 40; ++i) {
    learner.tick();
  }
  EXPECT_TRUE(drain(learner).empty());
  EXPECT_EQ(learner.role(), Role::kFollower);
  // Promotion makes it a voter that counts toward the quorum.
  ASSERT_TRUE(n1.propose_conf_change({ConfChangeType::kAddVoter, NodeId(3)}).is_ok());
  settle(drain(n1));
  EXPECT_TRUE(learner.conf().is_voter(NodeId(3)));
  EXPECT_EQ(n1.conf().voters.size(), 3u);
}

TEST(RaftScenario, LoneVoterLeadsOnlyOnceItsVoteIsDurable) {
  Node n(config(1), with_log(1, {}, 1));
  n.campaign();
  EXPECT_EQ(n.role(), Role::kCandidate);  // its own vote is not durable yet
  Ready rd = n.ready();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term, Term(2));
  EXPECT_EQ(rd.hard_state->vote, NodeId(1));
  EXPECT_TRUE(rd.must_sync);
  PersistMark mark = rd.persist_mark;
  n.advance(rd);
  EXPECT_EQ(n.role(), Role::kCandidate);
  n.on_persisted(mark);
  EXPECT_EQ(n.role(), Role::kLeader);
}

TEST(RaftScenario, FollowerReadIndexIsForwardedToTheLeaderAndAnswered) {
  Cluster c(3);
  c.elect(1);
  ASSERT_TRUE(c[2].read_index("f1").is_ok());
  auto fwd = drain(c[2]);
  ASSERT_EQ(strs(fwd),
            std::vector<std::string>{"2->1 ReadIndex term=2 log_term=0 index=0 commit=0 ctx=f1"});
  ASSERT_TRUE(c[1].step(fwd[0]).is_ok());
  auto hb = only(drain(c[1]), MessageType::kHeartbeat);
  ASSERT_EQ(hb.size(), 2u);
  ASSERT_TRUE(c[3].step(hb[1]).is_ok());
  ASSERT_TRUE(c[1].step(only(drain(c[3]), MessageType::kHeartbeatResp)[0]).is_ok());
  auto resp = only(drain(c[1]), MessageType::kReadIndexResp);
  ASSERT_EQ(strs(resp), std::vector<std::string>{
                            "1->2 ReadIndexResp term=2 log_term=0 index=4 commit=0 ctx=f1"});
  ASSERT_TRUE(c[2].step(resp[0]).is_ok());
  std::vector<ReadState> reads;
  drain(c[2], nullptr, &reads);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0], (ReadState{LogIndex(4), "f1"}));
}

TEST(RaftScenario, LeaseReadAnswersAtOnceOnlyWhileAQuorumAckedRecently) {
  Cluster c(3, /*pre_vote=*/true, /*check_quorum=*/true);
  for (auto& [id, n] : c.nodes) {
    Config cfg = config(id, true, true);
    cfg.lease_read = true;
    n = std::make_unique<Node>(cfg, bootstrap_state(ids({1, 2, 3})));
  }
  c.warm_up();
  c.elect(1);
  ASSERT_EQ(c[1].role(), Role::kLeader);
  // No heartbeat round acked yet: the read goes through a round trip.
  ASSERT_TRUE(c[1].read_index("a").is_ok());
  std::vector<ReadState> reads;
  auto out = drain(c[1], nullptr, &reads);
  EXPECT_TRUE(reads.empty());
  auto hb = only(out, MessageType::kHeartbeat);
  ASSERT_EQ(hb.size(), 2u);
  ASSERT_TRUE(c[2].step(hb[0]).is_ok());
  ASSERT_TRUE(c[1].step(only(drain(c[2]), MessageType::kHeartbeatResp)[0]).is_ok());
  drain(c[1], nullptr, &reads);
  ASSERT_EQ(reads.size(), 1u);
  // Now the lease holds: answered at once.
  ASSERT_TRUE(c[1].read_index("b").is_ok());
  drain(c[1], nullptr, &reads);
  ASSERT_EQ(reads.size(), 2u);
  // Cut off for election_tick - drift ticks: the lease has expired.
  for (int i = 0; i < 8; ++i) {
    c[1].tick();
    drain(c[1]);
  }
  ASSERT_TRUE(c[1].read_index("c").is_ok());
  drain(c[1], nullptr, &reads);
  EXPECT_EQ(reads.size(), 2u);
}

TEST(RaftScenario, ProposalsAreRefusedByFollowers) {
  Cluster c(3);
  EXPECT_EQ(c[2].propose("x").code(), Code::kNotLeader);
  EXPECT_EQ(c[2].transfer_leadership(NodeId(1)).code(), Code::kNotLeader);
  EXPECT_EQ(c[2].read_index("r").code(), Code::kUnavailable);  // no leader known
}

TEST(RaftScenario, SameSeedGivesSameElectionTimeout) {
  auto ticks_to_campaign = [](uint64_t seed) {
    Config cfg = config(1);
    cfg.seed = seed;
    Node n(cfg, with_log(3, {}, 1));
    for (int i = 1; i <= 40; ++i) {
      n.tick();
      if (n.role() != Role::kFollower) {
        return i;
      }
    }
    return 0;
  };
  int a = ticks_to_campaign(7);
  EXPECT_EQ(a, ticks_to_campaign(7));
  EXPECT_GE(a, 10);
  EXPECT_LT(a, 20);
}

}  // namespace
}  // namespace uq::raft
