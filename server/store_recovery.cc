// Cluster recovery from <data>/raft/peers.json (spec §8.2), for a permanent loss of quorum:
// the operator writes the surviving members, identically, on every survivor and starts them.
// Each survivor treats every entry in its log as committed, applies them, snapshots the result
// with the listed configuration at its last index, and empties its log behind that snapshot;
// the file is then renamed peers.info. Entries that were never committed by the old cluster
// become committed here — that is the price of recovering without a quorum, as in rqlite. Main
// thread, from Store::open, before the Raft node exists.
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "core/log.h"
#include "server/store.h"

namespace uq::server {

namespace {

constexpr const char* kPeersFile = "peers.json";
constexpr const char* kPeersDoneFile = "peers.info";

Result<std::vector<Member>> parse_peers(const std::string& path) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    return error(Code::kIoError, "cannot read " + path);
  }
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(text).get_array().get(list) != simdjson::SUCCESS) {
    return error(Code::kInvalidArgument, path + ": expected a JSON array of members");
  }
  std::vector<Member> members;
  for (simdjson::dom::element item : list) {
    std::string_view id;
    std::string_view address;
    bool non_voter = false;
    if (item["id"].get_string().get(id) != simdjson::SUCCESS || id.empty() ||
        item["address"].get_string().get(address) != simdjson::SUCCESS || address.empty()) {
      return error(Code::kInvalidArgument,
                   path + ": every member needs a non-empty \"id\" and \"address\"");
    }
    auto flag = item["non_voter"];
    if (flag.error() == simdjson::SUCCESS && flag.get_bool().get(non_voter) != simdjson::SUCCESS) {
      return error(Code::kInvalidArgument, path + ": \"non_voter\" must be a boolean");
    }
    members.push_back(Member{std::string(id), std::string(address), "", !non_voter});
  }
  if (std::none_of(members.begin(), members.end(), [](const Member& m) { return m.voter; })) {
    return error(Code::kInvalidArgument, path + ": at least one member must be a voter");
  }
  return members;
}

}  // namespace

Status Store::recover_from_peers_file(raft::DurableState* durable) {
  std::string path = raft_dir_ + "/" + kPeersFile;
  if (!std::filesystem::exists(path)) {
    return Status::ok();
  }
  auto peers = parse_peers(path);
  if (!peers.is_ok()) {
    return peers.status();
  }
  uint64_t last = durable->entries.empty() ? snapshot_index_ : durable->entries.back().index.value;
  uint64_t term = durable->entries.empty() ? snapshot_term_ : durable->entries.back().term.value;
  if (last == 0) {
    return error(Code::kInvalidArgument,
                 path + ": this node has no Raft state to recover; start it without the file");
  }
  UQ_WARN("recovering the cluster from %s: %zu member(s), everything up to index %llu committed",
          path.c_str(), peers->size(), static_cast<unsigned long long>(last));

  // 1. Apply what the log holds beyond the database, in order, and wait for it.
  for (const raft::Entry& e : durable->entries) {
    learn_config(e);  // the old members' HTTP addresses, kept for those listed again
  }
  for (const raft::Entry& e : durable->entries) {
    if (e.index.value > reused_index_) {
      apply_committed(e);
    }
  }
  std::promise<Result<sql::SnapshotResult>> taken;
  std::string db_copy = snapshots_->new_db_path();
  db_.submit_snapshot(db_copy,
                      [&taken](Result<sql::SnapshotResult> r) { taken.set_value(std::move(r)); });
  auto snapshot = taken.get_future().get();
  if (!snapshot.is_ok()) {
    return snapshot.status();
  }
  if (snapshot->index != last) {
    return error(Code::kInternal, "recovery applied up to " + std::to_string(snapshot->index) +
                                      ", not " + std::to_string(last));
  }

  // 2. The listed members become the configuration, their addresses from the file.
  raft::ConfState conf;
  for (Member& m : *peers) {
    raft::NodeId id = raft_id_of(m.id);
    if (auto known = members_.find(id.value); known != members_.end()) {
      m.api_addr = known->second.api_addr;
    }
    (m.voter ? conf.voters : conf.learners).push_back(id);
    members_[id.value] = m;
  }

  // 3. A snapshot at the last index with that configuration, then an empty log behind it.
  sql::SnapshotMeta meta;
  meta.index = last;
  meta.term = term;
  meta.db_bytes = snapshot->bytes;
  meta.db_checksum = snapshot->checksum;
  meta.conf = encode_conf_blob(conf);
  UQ_RETURN_IF_ERROR(snapshots_->commit(db_copy, meta));
  UQ_RETURN_IF_ERROR(log_->compact_prefix(last, term));
  wal::HardState hs{std::max(saved_hard_state_.term, term), 0, last};
  UQ_RETURN_IF_ERROR(hard_state_->save(hs));
  saved_hard_state_ = hs;
  (void)snapshots_->reap(1);
  snapshot_index_ = last;
  snapshot_term_ = term;
  reused_index_ = last;  // the database already holds everything up to here
  publish_snapshots();

  durable->snapshot = raft::SnapshotMeta{raft::LogIndex(last), raft::Term(term), conf};
  durable->entries.clear();
  durable->hard_state = raft::HardState{raft::Term(hs.term), raft::kNoNode, raft::LogIndex(last)};

  std::error_code ec;
  std::filesystem::rename(path, raft_dir_ + "/" + kPeersDoneFile, ec);
  if (ec) {
    return error(Code::kIoError, "renaming " + path + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace uq::server
