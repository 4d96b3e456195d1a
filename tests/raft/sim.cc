#include "tests/raft/sim.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace uq::raft::sim {

namespace {

uint64_t hash_entry(const Entry& e) {
  uint64_t h = 0xcbf29ce484222325ull ^ static_cast<uint64_t>(e.type);
  for (char c : e.data) {
    h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  }
  return h;
}

std::string fmt(const char* f, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), f, a, b, c, d);
  return buf;
}

// Client write entries: "w <history index> <key> <value>".
std::string encode_write(size_t op, const std::string& key, int64_t value) {
  return "w " + std::to_string(op) + " " + key + " " + std::to_string(value);
}

bool decode_write(const std::string& data, size_t* op, std::string* key, int64_t* value) {
  unsigned long long o = 0;
  long long v = 0;
  char k[32];
  if (std::sscanf(data.c_str(), "w %llu %31s %lld", &o, k, &v) != 3) {
    return false;
  }
  *op = o;
  *key = k;
  *value = v;
  return true;
}

}  // namespace

struct Cluster::PendingWrite {
  uint64_t due = 0;
  std::optional<HardState> hard_state;
  std::optional<SnapshotMeta> snapshot;
  std::vector<Entry> entries;
  std::vector<Message> after;
  PersistMark mark;
};

struct Cluster::SimNode {
  NodeId id;
  std::unique_ptr<Node> node;  // null while crashed
  DurableState durable;
  std::map<std::string, int64_t> durable_kv;  // state machine as of durable.snapshot.index
  std::deque<PendingWrite> writes;
  std::map<std::string, int64_t> kv;
  uint64_t applied = 0;
  std::map<size_t, bool> pending_write_ops;     // history index → waiting here
  std::map<std::string, size_t> pending_reads;  // context → history index
  std::vector<ReadState> reads_waiting_apply;
  Role last_role = Role::kFollower;
  Term last_term;
  uint64_t incarnation = 0;
};

struct Cluster::Client {
  bool busy = false;
  uint64_t started = 0;
  size_t op = 0;  // the outstanding operation's history index
};

void Cluster::client_done(size_t op) {
  for (Client& c : clients_) {
    if (c.busy && c.op == op) {
      c.busy = false;
    }
  }
}

Cluster::Cluster(const Options& options)
    : options_(options), rng_(options.seed), trace_(std::getenv("UQ_RAFT_TRACE") != nullptr) {
  std::vector<NodeId> voters;
  for (int i = 1; i <= options_.nodes; ++i) {
    voters.push_back(NodeId(i));
  }
  DurableState boot = bootstrap_state(voters);
  for (int i = 1; i <= options_.nodes + options_.spare_nodes; ++i) {
    auto n = std::make_unique<SimNode>();
    n->id = NodeId(i);
    n->durable = i <= options_.nodes ? boot : DurableState{};
    nodes_.push_back(std::move(n));
  }
  for (auto& n : nodes_) {
    start_node(*n);
  }
  // The bootstrap entries are committed and identical everywhere.
  for (const Entry& e : boot.entries) {
    entry_hash_[{e.index.value, e.term.value}] = hash_entry(e);
  }
  clients_.resize(static_cast<size_t>(options_.clients));
}

Cluster::~Cluster() = default;

void Cluster::fail(const std::string& what) {
  if (failure_.empty()) {
    failure_ = fmt("seed=%" PRIu64 " nodes=%" PRIu64 " tick=%" PRIu64 ": ", options_.seed,
                   static_cast<uint64_t>(options_.nodes), now_tick()) +
               what;
  }
}

Cluster::SimNode& Cluster::sim_node(NodeId id) {
  return *nodes_[id.value - 1];
}

void Cluster::start_node(SimNode& n) {
  Config c;
  c.id = n.id;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.lease_read = options_.lease_read;
  c.max_inflight_msgs = 4;
  c.max_size_per_msg = 64;
  c.seed = rng_();
  n.node = std::make_unique<Node>(c, n.durable);
  n.kv = n.durable_kv;
  n.applied = n.durable.snapshot.index.value;
  n.last_role = Role::kFollower;
  n.last_term = n.node->term();
  ++n.incarnation;
}

void Cluster::crash_node(SimNode& n) {
  n.node.reset();
  n.writes.clear();  // not yet durable: lost
  n.kv.clear();
  n.pending_write_ops.clear();
  n.pending_reads.clear();
  n.reads_waiting_apply.clear();
  ++stats_.crashes;
}

bool Cluster::link_up(NodeId from, NodeId to) const {
  return cut_links_.count({from.value, to.value}) == 0;
}

void Cluster::route(const Message& m) {
  if (m.to.value == 0 || m.to.value > nodes_.size()) {
    return;
  }
  std::uniform_real_distribution<double> coin(0, 1);
  if (options_.drop > 0 && coin(rng_) < options_.drop) {
    if (m.type == MessageType::kSnapshot && sim_node(m.from).node) {
      sim_node(m.from).node->report_snapshot(m.to, false);
    }
    return;
  }
  int copies = options_.duplicate > 0 && coin(rng_) < options_.duplicate ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    uint64_t delay = 1 + rng_() % static_cast<uint64_t>(options_.max_delay_units);
    network_.emplace(std::make_pair(now_ + delay, ++msg_seq_), m);
  }
}

void Cluster::deliver_due() {
  while (!network_.empty() && network_.begin()->first.first <= now_) {
    Message m = std::move(network_.begin()->second);
    network_.erase(network_.begin());
    SimNode& to = sim_node(m.to);
    bool ok = to.node && link_up(m.from, m.to);
    if (m.type == MessageType::kSnapshot) {
      ++stats_.snapshots_sent;
      if (sim_node(m.from).node) {
        sim_node(m.from).node->report_snapshot(m.to, ok);
      }
    }
    if (ok) {
      Status s = to.node->step(m);
      (void)s;
    }
  }
}

void Cluster::complete_writes() {
  for (auto& np : nodes_) {
    SimNode& n = *np;
    while (n.node && !n.writes.empty() && n.writes.front().due <= now_) {
      PendingWrite w = std::move(n.writes.front());
      n.writes.pop_front();
      if (w.snapshot) {
        n.durable.snapshot = *w.snapshot;
        n.durable.entries.clear();
        n.durable_kv = snapshots_[w.snapshot->index.value];
      }
      if (!w.entries.empty()) {
        LogIndex first = w.entries.front().index;
        auto& d = n.durable.entries;
        while (!d.empty() && d.back().index >= first) {
          d.pop_back();
        }
        LogIndex expect = d.empty() ? n.durable.snapshot.index + 1 : d.back().index + 1;
        if (first != expect) {
          fail(fmt("node %" PRIu64 " durable log gap: write at %" PRIu64 " expected %" PRIu64,
                   n.id.value, first.value, expect.value));
          return;
        }
        d.insert(d.end(), w.entries.begin(), w.entries.end());
      }
      if (w.hard_state) {
        n.durable.hard_state = *w.hard_state;
      }
      for (const Message& m : w.after) {
        route(m);
      }
      n.node->on_persisted(w.mark);
    }
  }
}

void Cluster::install_snapshot(SimNode& n, const SnapshotMeta& meta) {
  auto it = snapshots_.find(meta.index.value);
  if (it == snapshots_.end()) {
    fail(fmt("node %" PRIu64 " asked to install unknown snapshot %" PRIu64, n.id.value,
             meta.index.value));
    return;
  }
  n.kv = it->second;
  n.applied = meta.index.value;
}

void Cluster::apply_entry(SimNode& n, const Entry& e) {
  if (e.index.value != n.applied + 1) {
    fail(fmt("node %" PRIu64 " applied %" PRIu64 " after %" PRIu64, n.id.value, e.index.value,
             n.applied));
    return;
  }
  uint64_t h = hash_entry(e);
  auto [it, inserted] = applied_.emplace(e.index.value, std::make_pair(e.term.value, h));
  if (!inserted && it->second != std::make_pair(e.term.value, h)) {
    fail(fmt("state machine safety: node %" PRIu64 " applied term %" PRIu64 " at %" PRIu64
             " but another node applied term %" PRIu64,
             n.id.value, e.term.value, e.index.value, it->second.first));
    return;
  }
  stats_.applied_max = std::max(stats_.applied_max, e.index.value);
  n.applied = e.index.value;
  size_t op = 0;
  std::string key;
  int64_t value = 0;
  if (e.type == EntryType::kNormal && decode_write(e.data, &op, &key, &value)) {
    n.kv[key] = value;
    if (n.pending_write_ops.erase(op) > 0 && history_[op].ret == lin::kNever) {
      history_[op].ret = ++event_clock_;
      ++stats_.writes_ok;
      client_done(op);
    }
  }
}

void Cluster::client_finish_read(SimNode& n, const ReadState& rs) {
  auto it = n.pending_reads.find(rs.context);
  if (it == n.pending_reads.end()) {
    return;
  }
  lin::Op& op = history_[it->second];
  auto kv = n.kv.find(op.key);
  op.value = kv == n.kv.end() ? 0 : kv->second;
  op.ret = ++event_clock_;
  ++stats_.reads_ok;
  client_done(it->second);
  n.pending_reads.erase(it);
}

void Cluster::process_ready(SimNode& n) {
  Node& node = *n.node;
  if (!node.has_ready()) {
    return;
  }
  Ready rd = node.ready();
  if (trace_) {
    if (rd.soft_state) {
      std::fprintf(stderr,
                   "t=%" PRIu64 " node %" PRIu64 " %s term=%" PRIu64 " leader=%" PRIu64 "\n", now_,
                   n.id.value, std::string(role_name(rd.soft_state->role)).c_str(),
                   node.term().value, rd.soft_state->leader.value);
    }
    for (const Entry& e : rd.entries) {
      std::fprintf(stderr,
                   "t=%" PRIu64 " node %" PRIu64 " entry %" PRIu64 "/%" PRIu64 " type=%d %s\n",
                   now_, n.id.value, e.term.value, e.index.value, static_cast<int>(e.type),
                   e.type == EntryType::kConfig ? "" : e.data.c_str());
    }
    for (const Message& m : rd.messages) {
      std::fprintf(stderr, "t=%" PRIu64 " send %s\n", now_, to_string(m).c_str());
    }
    for (const Message& m : rd.messages_after_persist) {
      std::fprintf(stderr, "t=%" PRIu64 " send-after-persist %s\n", now_, to_string(m).c_str());
    }
  }
  for (const Message& m : rd.messages) {
    route(m);
  }
  PendingWrite w;
  uint64_t last_due = n.writes.empty() ? now_ : n.writes.back().due;
  w.due =
      std::max(last_due, now_ + rng_() % static_cast<uint64_t>(options_.max_sync_delay_units + 1));
  w.hard_state = rd.hard_state;
  w.mark = rd.persist_mark;
  w.snapshot = rd.snapshot;
  w.entries.assign(rd.entries.begin(), rd.entries.end());
  w.after = std::move(rd.messages_after_persist);
  for (const Entry& e : rd.entries) {
    uint64_t h = hash_entry(e);
    auto [it, inserted] = entry_hash_.emplace(std::make_pair(e.index.value, e.term.value), h);
    if (!inserted && it->second != h) {
      fail(fmt("log matching: two different entries at index %" PRIu64 " term %" PRIu64,
               e.index.value, e.term.value));
    }
  }
  n.writes.push_back(std::move(w));
  if (rd.snapshot) {
    install_snapshot(n, *rd.snapshot);
  }
  for (const Entry& e : rd.committed_entries) {
    apply_entry(n, e);
  }
  for (ReadState& rs : rd.read_states) {
    n.reads_waiting_apply.push_back(std::move(rs));
  }
  node.advance(rd);
  std::erase_if(n.reads_waiting_apply, [&](const ReadState& rs) {
    if (rs.index.value <= n.applied) {
      client_finish_read(n, rs);
      return true;
    }
    return false;
  });
}

std::optional<NodeId> Cluster::current_leader() const {
  std::optional<NodeId> best;
  Term best_term;
  for (const auto& n : nodes_) {
    if (n->node && n->node->role() == Role::kLeader && n->node->term() >= best_term) {
      best = n->id;
      best_term = n->node->term();
    }
  }
  return best;
}

void Cluster::drive_clients() {
  std::uniform_real_distribution<double> coin(0, 1);
  for (Client& c : clients_) {
    if (c.busy && now_ - c.started > 40ull * static_cast<uint64_t>(options_.units_per_tick)) {
      c.busy = false;  // gave up: the op stays open-ended in the history
    }
    if (c.busy || coin(rng_) >= options_.client_rate) {
      continue;
    }
    std::optional<NodeId> leader = current_leader();
    NodeId target = leader && coin(rng_) < 0.7 ? *leader : NodeId(1 + rng_() % nodes_.size());
    SimNode& n = sim_node(target);
    if (!n.node) {
      continue;
    }
    std::string key = "k" + std::to_string(rng_() % static_cast<uint64_t>(options_.keys));
    size_t op = history_.size();
    if (coin(rng_) < 0.5) {
      int64_t value = static_cast<int64_t>(next_write_value_++);
      if (n.node->propose(encode_write(op, key, value)).is_ok()) {
        history_.push_back(lin::Op{key, true, value, ++event_clock_});
        n.pending_write_ops[op] = true;
        c.busy = true;
        c.started = now_;
        c.op = op;
      }
    } else {
      std::string ctx = "r" + std::to_string(op);
      if (n.node->read_index(ctx).is_ok()) {
        history_.push_back(lin::Op{key, false, 0, ++event_clock_});
        n.pending_reads[ctx] = op;
        c.busy = true;
        c.started = now_;
        c.op = op;
      }
    }
  }
}

void Cluster::inject_faults() {
  std::uniform_real_distribution<double> unit_coin(0, 1);
  const double scale = options_.units_per_tick;
  auto coin = [&](std::mt19937_64&) { return unit_coin(rng_) / scale; };
  uint64_t universe = nodes_.size();
  if (coin(rng_) < options_.partition_rate) {
    ++stats_.partitions;
    int kind = static_cast<int>(rng_() % 3);
    if (kind == 0) {  // isolate one node both ways
      uint64_t a = 1 + rng_() % universe;
      for (uint64_t b = 1; b <= universe; ++b) {
        cut_links_.insert({a, b});
        cut_links_.insert({b, a});
      }
    } else if (kind == 1) {  // asymmetric: a can send to b but b cannot reach a
      uint64_t a = 1 + rng_() % universe;
      uint64_t b = 1 + rng_() % universe;
      cut_links_.insert({b, a});
    } else {  // split into two random groups
      std::vector<int> side(universe + 1);
      for (uint64_t i = 1; i <= universe; ++i) {
        side[i] = static_cast<int>(rng_() % 2);
      }
      for (uint64_t a = 1; a <= universe; ++a) {
        for (uint64_t b = 1; b <= universe; ++b) {
          if (side[a] != side[b]) {
            cut_links_.insert({a, b});
          }
        }
      }
    }
  }
  if (coin(rng_) < options_.heal_rate) {
    cut_links_.clear();
  }
  for (auto& np : nodes_) {
    SimNode& n = *np;
    if (n.node && coin(rng_) < options_.crash_rate) {
      if (trace_) {
        std::fprintf(stderr, "t=%" PRIu64 " crash %" PRIu64 "\n", now_, n.id.value);
      }
      crash_node(n);
    } else if (!n.node && coin(rng_) < options_.restart_rate) {
      start_node(n);
    }
    if (n.node && coin(rng_) < options_.compact_rate &&
        n.applied > n.node->log().snapshot().index.value + 3) {
      uint64_t at = n.applied;
      auto [it, inserted] = snapshots_.emplace(at, n.kv);
      if (!inserted && it->second != n.kv) {
        fail(fmt("state machine safety: node %" PRIu64 " state at %" PRIu64 " differs", n.id.value,
                 at));
      }
      // Some compactions keep a few entries below the snapshot (trailing logs): followers just
      // behind then catch up from the log; restarts drop them with the rest of the prefix.
      n.node->compact(LogIndex(at), rng_() % 4);
      n.durable.snapshot = n.node->log().snapshot();
      n.durable_kv = n.kv;
      std::erase_if(n.durable.entries, [&](const Entry& e) { return e.index.value <= at; });
    }
  }
  std::optional<NodeId> leader = current_leader();
  if (!leader) {
    return;
  }
  Node& ln = *sim_node(*leader).node;
  if (coin(rng_) < options_.conf_change_rate) {
    const ConfState& conf = ln.conf();
    std::vector<NodeId> outside;
    for (uint64_t i = 1; i <= universe; ++i) {
      if (!conf.is_member(NodeId(i))) {
        outside.push_back(NodeId(i));
      }
    }
    ConfChange cc;
    uint64_t pick = rng_() % 3;
    if (pick == 0 && !conf.learners.empty()) {
      cc = {ConfChangeType::kAddVoter, conf.learners[rng_() % conf.learners.size()]};
    } else if (pick == 1 && !outside.empty()) {
      cc = {rng_() % 2 ? ConfChangeType::kAddVoter : ConfChangeType::kAddLearner,
            outside[rng_() % outside.size()]};
    } else {
      std::vector<NodeId> members = conf.voters;
      members.insert(members.end(), conf.learners.begin(), conf.learners.end());
      cc = {ConfChangeType::kRemoveNode, members[rng_() % members.size()]};
    }
    if (ln.propose_conf_change(cc).is_ok()) {
      if (trace_) {
        std::fprintf(stderr, "t=%" PRIu64 " conf change type=%d node=%" PRIu64 " on %" PRIu64 "\n",
                     now_, static_cast<int>(cc.type), cc.node.value, leader->value);
      }
      ++stats_.conf_changes;
    }
  }
  if (coin(rng_) < options_.transfer_rate) {
    const auto& voters = ln.conf().voters;
    if (ln.transfer_leadership(voters[rng_() % voters.size()]).is_ok()) {
      ++stats_.transfers;
    }
  }
}

void Cluster::check_new_leader(SimNode& n) {
  Node& node = *n.node;
  auto [it, inserted] = leader_of_term_.emplace(node.term().value, n.id.value);
  if (!inserted && it->second != n.id.value) {
    fail(fmt("two leaders in term %" PRIu64 ": %" PRIu64 " and %" PRIu64, node.term().value,
             it->second, n.id.value));
    return;
  }
  if (inserted) {
    ++stats_.elections;
  }
  // Leader completeness (§3.6): the new leader's log holds every committed entry.
  const RaftLog& log = node.log();
  for (auto a = applied_.upper_bound(log.snapshot().index.value); a != applied_.end(); ++a) {
    std::optional<Term> t = log.term_at(LogIndex(a->first));
    if (!t || t->value != a->second.first) {
      fail(fmt("leader completeness: leader %" PRIu64 " of term %" PRIu64
               " lacks committed index %" PRIu64,
               n.id.value, node.term().value, a->first));
      return;
    }
  }
}

void Cluster::check_safety() {
  for (auto& np : nodes_) {
    SimNode& n = *np;
    if (!n.node) {
      continue;
    }
    Role role = n.node->role();
    if (role == Role::kLeader && (n.last_role != Role::kLeader || n.last_term != n.node->term())) {
      check_new_leader(n);
    }
    n.last_role = role;
    n.last_term = n.node->term();
  }
  if (now_ % 50 != 0) {
    return;
  }
  // Log matching (§3.5): if two logs hold an entry with the same index and term, they are
  // identical up to it.
  for (size_t a = 0; a < nodes_.size(); ++a) {
    for (size_t b = a + 1; b < nodes_.size(); ++b) {
      if (!nodes_[a]->node || !nodes_[b]->node) {
        continue;
      }
      const RaftLog& la = nodes_[a]->node->log();
      const RaftLog& lb = nodes_[b]->node->log();
      LogIndex lo = std::max(la.first_index(), lb.first_index());
      LogIndex hi = std::min(la.last_index(), lb.last_index());
      bool matched = false;
      for (LogIndex i = hi; i >= lo && i.value > 0; i = i - 1) {
        bool same = la.at(i).term == lb.at(i).term;
        if (matched && (!same || la.at(i) != lb.at(i))) {
          fail(fmt("log matching: nodes %" PRIu64 " and %" PRIu64 " differ at %" PRIu64,
                   nodes_[a]->id.value, nodes_[b]->id.value, i.value));
          return;
        }
        matched = matched || (same && la.at(i) == lb.at(i));
      }
    }
  }
}

void Cluster::step_once(bool faults) {
  ++now_;
  // Faults are drawn once per tick (rates are per unit of time, scaled accordingly).
  if (faults && now_ % static_cast<uint64_t>(options_.units_per_tick) == 0) {
    inject_faults();
  }
  if (now_ % static_cast<uint64_t>(options_.units_per_tick) == 0) {
    for (auto& n : nodes_) {
      if (n->node) {
        n->node->tick();
      }
    }
  }
  deliver_due();
  complete_writes();
  drive_clients();
  for (auto& n : nodes_) {
    if (n->node) {
      process_ready(*n);
    }
  }
  check_safety();
}

void Cluster::heal_all() {
  cut_links_.clear();
  options_.drop = 0;
  options_.duplicate = 0;
  for (auto& n : nodes_) {
    if (!n->node) {
      start_node(*n);
    }
  }
}

bool Cluster::liveness_check(int max_ticks) {
  uint64_t deadline = now_ + static_cast<uint64_t>(max_ticks) * options_.units_per_tick;
  std::optional<std::pair<NodeId, LogIndex>> marker;
  options_.client_rate = 0;
  while (now_ < deadline && failure_.empty()) {
    step_once(false);
    std::optional<NodeId> leader = current_leader();
    if (!marker && leader) {
      Node& ln = *sim_node(*leader).node;
      if (ln.propose("marker").is_ok()) {
        marker = {*leader, ln.log().last_index()};
      }
    }
    if (marker) {
      // Done once every member of the leader's configuration applied the marker.
      SimNode& ln = sim_node(marker->first);
      if (!ln.node || ln.node->role() != Role::kLeader) {
        marker.reset();
        continue;
      }
      const ConfState& conf = ln.node->conf();
      bool all = true;
      for (auto& n : nodes_) {
        if (conf.is_member(n->id) && n->applied < marker->second.value) {
          all = false;
        }
      }
      if (all) {
        return true;
      }
    }
  }
  std::string states;
  for (auto& n : nodes_) {
    const Node& x = *n->node;
    states += fmt(" [%" PRIu64 " term=%" PRIu64 " leader=%" PRIu64 " last=%" PRIu64, n->id.value,
                  x.term().value, x.leader().value, x.log().last_index().value) +
              fmt(" commit=%" PRIu64 " applied=%" PRIu64 " voters=%" PRIu64 " ",
                  x.log().committed().value, n->applied, x.conf().voters.size()) +
              std::string(role_name(x.role())) + "]";
  }
  fail(fmt("liveness: no leader committed a new entry within %" PRIu64 " ticks of healing:",
           static_cast<uint64_t>(max_ticks)) +
       states);
  return false;
}

bool Cluster::check_history() {
  lin::Result r = lin::check(history_);
  if (r.verdict == lin::Verdict::kNotLinearizable) {
    fail("history not linearizable for key " + r.key);
    return false;
  }
  if (r.verdict == lin::Verdict::kBudgetExceeded) {
    fail("linearizability check exceeded its budget for key " + r.key);
    return false;
  }
  return true;
}

bool Cluster::run() {
  uint64_t units = static_cast<uint64_t>(options_.ticks) * options_.units_per_tick;
  for (uint64_t i = 0; i < units && failure_.empty(); ++i) {
    step_once(true);
  }
  if (failure_.empty()) {
    heal_all();
    liveness_check(300);
  }
  if (failure_.empty()) {
    check_history();
  }
  return failure_.empty();
}

std::vector<std::string> run_seeds(const Options& base, uint64_t first_seed, uint64_t count) {
  std::vector<std::string> failures;
  for (uint64_t s = first_seed; s < first_seed + count; ++s) {
    Options o = base;
    o.seed = s;
    // Vary the fault profile by seed so every run covers calm and hostile networks.
    std::mt19937_64 pick(s * 0x9e3779b97f4a7c15ull);
    static constexpr double kDrops[] = {0.0, 0.02, 0.1, 0.3};
    o.drop = kDrops[pick() % 4];
    o.duplicate = pick() % 2 ? 0.05 : 0.0;
    o.crash_rate = pick() % 2 ? 0.002 : 0.0;
    o.partition_rate = pick() % 2 ? 0.004 : 0.0;
    o.lease_read = o.check_quorum && (base.lease_read || pick() % 4 == 0);
    Cluster c(o);
    if (!c.run()) {
      failures.push_back(c.failure());
    }
    if (std::getenv("UQ_RAFT_VERBOSE") != nullptr) {
      const Stats& st = c.stats();
      std::fprintf(stderr,
                   "seed=%" PRIu64 " drop=%.2f elections=%" PRIu64 " applied=%" PRIu64
                   " writes=%" PRIu64 " reads=%" PRIu64 " crashes=%" PRIu64 " partitions=%" PRIu64
                   " snapshots=%" PRIu64 " conf=%" PRIu64 " transfers=%" PRIu64 "\n",
                   s, o.drop, st.elections, st.applied_max, st.writes_ok, st.reads_ok, st.crashes,
                   st.partitions, st.snapshots_sent, st.conf_changes, st.transfers);
    }
  }
  return failures;
}

}  // namespace uq::raft::sim
