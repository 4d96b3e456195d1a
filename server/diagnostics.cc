// Diagnostics: /status, /nodes, /leader, /readyz, /debug/vars, /licenses (spec §6.1–§6.4, §6.10,
// §6.11). A single node is a one-member cluster and its own leader.
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "core/duration.h"
#include "server/http_api.h"
#include "server/json_tree.h"
#include "server/node.h"

namespace uq::server {

namespace {

// Go's time.Time JSON form: RFC 3339 with nanoseconds, trailing zeros trimmed, UTC "Z".
std::string rfc3339(std::chrono::system_clock::time_point when) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  time_t seconds = static_cast<time_t>(ns / 1000000000);
  long fraction = static_cast<long>(ns % 1000000000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  std::string out = buffer;
  if (fraction > 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%09ld", fraction);
    std::string frac = digits;
    while (frac.back() == '0') {
      frac.pop_back();
    }
    out += frac;
  }
  return out + "Z";
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Go's humanize-style "friendly" sizes as rqlite prints them ("4.1 kB").
std::string friendly_bytes(int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
  }
  return buffer;
}

// The node object of /nodes and /leader; key order is the Go struct's (spec §6.2).
JsonNode node_object(const ProbedNode& p) {
  JsonNode node = JsonNode::fields();
  node.add_field("id", p.member.id);
  if (!p.api_url.empty()) {
    node.add_field("api_addr", p.api_url);
  }
  node.add_field("addr", p.member.raft_addr);
  node.add_field("version", p.reachable ? (p.version.empty() ? "unknown" : p.version) : "");
  node.add_field("voter", p.member.voter);
  node.add_field("reachable", p.reachable);
  node.add_field("leader", p.leader);
  if (p.time.count() > 0) {
    node.add_field("time", static_cast<double>(p.time.count()) / 1e9);
    node.add_field("time_s", format_duration(p.time));
  }
  if (!p.error.empty()) {
    node.add_field("error", p.error);
  }
  return node;
}

std::string_view state_name(const ClusterView& view) {
  switch (view.role) {
    case raft::Role::kLeader:
      return "Leader";
    case raft::Role::kCandidate:
    case raft::Role::kPreCandidate:
      // A non-voter never campaigns; rqlite reports it as a Follower.
      return view.self_voter ? "Candidate" : "Follower";
    case raft::Role::kFollower:
      return "Follower";
  }
  return "Follower";
}

std::string executable_path() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

JsonNode store_section(Node& node) {
  const Config& config = node.config();
  Store& st = node.store();
  auto view = st.view();
  RaftNumbers numbers = st.numbers();
  int64_t applied = static_cast<int64_t>(st.applied_index());
  JsonNode store = JsonNode::object();
  std::string raft_addr = config.effective_raft_adv_addr();
  store["node_id"] = config.node_id;
  store["addr"] = raft_addr;
  store["open"] = JsonNode::object();  // rqlite emits {} for an open store (quirk 19)
  store["ready"] = view->has_leader && st.caught_up();
  store["leader"]["addr"] = view->has_leader ? view->leader.raft_addr : "";
  store["leader"]["node_id"] = view->has_leader ? view->leader.id : "";
  store["nodes"] = JsonNode::array();
  for (const Member& m : view->members) {
    JsonNode member = JsonNode::fields();
    member.add_field("id", m.id);
    member.add_field("addr", m.raft_addr);
    member.add_field("suffrage", m.voter ? "voter" : "nonvoter");
    store["nodes"].push_back(std::move(member));
  }
  JsonNode& raft = store["raft"];
  raft["state"] = std::string(state_name(*view));
  raft["voter"] = view->self_voter;
  raft["term"] = static_cast<int64_t>(numbers.term);
  raft["commit_index"] = static_cast<int64_t>(numbers.commit_index);
  raft["applied_index"] = applied;
  raft["last_log_index"] = static_cast<int64_t>(numbers.last_log_index);
  raft["last_log_term"] = static_cast<int64_t>(numbers.last_log_term);
  raft["fsm_pending"] = std::max<int64_t>(0, static_cast<int64_t>(numbers.commit_index) - applied);
  std::vector<sql::SnapshotMeta> snapshots = st.snapshot_list();
  raft["last_snapshot_index"] =
      static_cast<int64_t>(snapshots.empty() ? 0 : snapshots.back().index);
  raft["last_snapshot_term"] = static_cast<int64_t>(snapshots.empty() ? 0 : snapshots.back().term);
  if (view->role == raft::Role::kLeader) {
    raft["last_contact"] = 0;
  } else if (numbers.last_contact_ms < 0) {
    raft["last_contact"] = "never";
  } else {
    auto since = std::chrono::steady_clock::now().time_since_epoch() -
                 std::chrono::milliseconds(numbers.last_contact_ms);
    raft["last_contact"] =
        format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(since));
  }
  raft["num_peers"] = static_cast<int64_t>(view->members.empty() ? 0 : view->members.size() - 1);
  raft["latest_configuration_index"] = 0;
  store["fsm_index"] = applied;
  store["fsm_term"] = static_cast<int64_t>(numbers.term);
  store["db_applied_index"] = applied;
  store["strong_read_term"] = 0;
  store["fsm_update_time"] = rfc3339(std::chrono::system_clock::now());
  store["leader_appended_at_time"] = "0001-01-01T00:00:00Z";
  store["apply_timeout"] = format_duration(config.raft_apply_timeout);
  store["heartbeat_timeout"] = format_duration(config.raft_heartbeat_timeout);
  store["election_timeout"] = format_duration(config.raft_election_timeout);
  store["commit_timeout"] = format_duration(config.raft_commit_timeout);
  store["snapshot_interval"] = format_duration(config.raft_snap_int);
  store["snapshot_threshold"] = config.raft_snap;
  store["trailing_logs"] = Store::kAutoTrailingLogs;
  store["dir"] = config.data_dir;
  store["snapshot_store"]["dir"] = config.data_dir + "/snapshots";
  store["snapshot_store"]["snapshots"] = JsonNode::array();
  for (const sql::SnapshotMeta& meta : snapshots) {
    JsonNode entry = JsonNode::fields();
    entry.add_field("id", std::to_string(meta.term) + "-" + std::to_string(meta.index));
    entry.add_field("index", static_cast<int64_t>(meta.index));
    entry.add_field("term", static_cast<int64_t>(meta.term));
    entry.add_field("size", static_cast<int64_t>(meta.db_bytes));
    store["snapshot_store"]["snapshots"].push_back(std::move(entry));
  }
  store["cdc"]["enabled"] = false;
  store["cdc"]["registered"] = false;

  sql::DatabaseStats stats = node.db().stats();
  JsonNode& sqlite = store["sqlite3"];
  sqlite["version"] = sqlite3_libversion();
  sqlite["path"] = node.db_path();
  int64_t db_size = file_size(node.db_path());
  int64_t wal_size = file_size(node.db_path() + "-wal");
  sqlite["db_size"] = db_size;
  sqlite["db_size_friendly"] = friendly_bytes(db_size);
  sqlite["size"] = db_size;
  sqlite["wal_size"] = wal_size;
  sqlite["rw_dsn"] = "file:" + node.db_path();
  sqlite["ro_dsn"] = "file:" + node.db_path() + "?mode=ro";
  JsonNode rw = JsonNode::object();
  for (const auto& [name, value] : stats.rw_pragmas) {
    rw[name] = value;
  }
  JsonNode ro = JsonNode::object();
  for (const auto& [name, value] : stats.ro_pragmas) {
    ro[name] = value;
  }
  sqlite["pragmas"]["rw"] = std::move(rw);
  sqlite["pragmas"]["ro"] = std::move(ro);
  sqlite["compile_options"] = JsonNode::array();
  for (int i = 0; const char* option = sqlite3_compileoption_get(i); ++i) {
    sqlite["compile_options"].push_back(option);
  }
  sqlite["extensions"] = JsonNode::array();
  return store;
}

JsonNode status_document(Node& node) {
  const Config& config = node.config();
  JsonNode doc = JsonNode::object();
  doc["build"]["version"] = UQ_VERSION;
  doc["build"]["commit"] = "unknown";
  doc["build"]["build_time"] = "unknown";
  doc["build"]["compiler_toolchain"] = "c++20";
  doc["build"]["compiler_command"] = "unknown";
  doc["cluster"]["addr"] = config.effective_raft_adv_addr();
  doc["cluster"]["api_addr"] = config.effective_http_adv_addr();
  doc["cluster"]["https"] = "false";
  doc["extensions"]["dir"] = config.data_dir + "/extensions";
  doc["extensions"]["names"] = JsonNode::array();
  JsonNode& http = doc["http"];
  http["auth"] = "disabled";
  http["bind_addr"] = config.http_addr;
  if (!config.http_allow_origin.empty()) {
    http["allow_origin"] = config.http_allow_origin;
  }
  http["cluster"]["local_node_addr"] = config.effective_raft_adv_addr();
  http["cluster"]["timeout"] = "30s";
  JsonNode& queue = http["queue"]["_default"];
  queue["max_size"] = config.write_queue_capacity;
  queue["batch_size"] = config.write_queue_batch_size;
  queue["timeout"] = format_duration(config.write_queue_timeout);
  queue["sequence_number"] = node.write_queue().applied_sequence();
  http["tls"]["enabled"] = "false";
  auto now = std::chrono::system_clock::now();
  doc["node"]["start_time"] = rfc3339(node.start_time());
  doc["node"]["current_time"] = rfc3339(now);
  doc["node"]["uptime"] = format_duration(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - node.start_time()));
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  doc["os"]["pid"] = static_cast<int64_t>(::getpid());
  doc["os"]["ppid"] = static_cast<int64_t>(::getppid());
  doc["os"]["page_size"] = static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
  doc["os"]["executable"] = executable_path();
  doc["os"]["hostname"] = std::string(hostname);
  JsonNode& runtime = doc["runtime"];
  runtime["GOARCH"] = "amd64";
  runtime["GOOS"] = "linux";
  runtime["GOMAXPROCS"] = node.reactor_count();
  runtime["num_cpu"] = static_cast<int64_t>(std::thread::hardware_concurrency());
  runtime["num_goroutine"] = 0;
  runtime["version"] = "c++20";
  runtime["kubernetes_hint"] = std::getenv("KUBERNETES_SERVICE_HOST") != nullptr;
  doc["store"] = store_section(node);
  if (auto backup = node.last_backup_time()) {
    doc["last_backup_time"] = rfc3339(*backup);
  }
  return doc;
}

// Go expvar's Map.String(): {"a": 1, "b": 2} with sorted keys and ", " / ": " separators.
std::string expvar_map(const JsonNode& map) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : *map.as_object()) {
    if (!first) {
      out += ", ";
    }
    first = false;
    out += JsonNode(name).encode(false) + ": " + value.encode(false);
  }
  return out + "}";
}

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages_total = 0;
  int64_t pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * ::sysconf(_SC_PAGESIZE);
}

// The process's arguments, as Go's expvar "cmdline" reports them.
JsonNode command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  JsonNode args = JsonNode::array();
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = std::min(raw.find('\0', start), raw.size());
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

}  // namespace

void HttpApi::handle_status(const Call& call) {
  node_.counters().add("http", "num_status");
  JsonNode doc = status_document(node_);
  auto key = call.params.get("key");
  // With key the sub-tree is re-encoded compactly; pretty has no effect (spec §6.1).
  std::string body =
      key ? doc.find_path(*key).encode(false) : doc.encode(call.params.has("pretty"));
  reply_json(call.responder, std::move(body), false);
}

void HttpApi::probe_members(std::vector<Member> members, std::chrono::milliseconds timeout,
                            std::function<void(std::vector<ProbedNode>)> done) {
  auto view = node_.store().view();
  std::string leader_addr = view->has_leader ? view->leader.raft_addr : "";
  struct Round {
    std::vector<ProbedNode> results;
    size_t left = 0;
    std::function<void(std::vector<ProbedNode>)> done;
  };
  auto round = std::make_shared<Round>();
  round->left = members.size();
  round->done = std::move(done);
  round->results.resize(members.size());
  if (members.empty()) {
    round->done({});
    return;
  }
  // Every member is asked at once, over the node-to-node port (spec §6.2); answers come back
  // to this reactor, which alone touches the round.
  for (size_t i = 0; i < members.size(); ++i) {
    ProbedNode& slot = round->results[i];
    slot.member = members[i];
    int64_t start = sql::monotonic_ns();
    auto finish_one = [this, round, i, start, leader_addr](Result<Store::NodeMeta> meta) {
      run_on_reactor([round, i, start, leader_addr, meta = std::move(meta)] {
        ProbedNode& p = round->results[i];
        p.time = std::chrono::nanoseconds(std::max<int64_t>(1, sql::monotonic_ns() - start));
        if (meta.is_ok()) {
          p.reachable = true;
          p.api_url = meta->api_url;
          p.version = meta->version;
          p.commit_index = meta->commit_index;
          p.leader = p.member.raft_addr == leader_addr;
        } else {
          p.time = std::chrono::nanoseconds(0);
          p.error = meta.status().code() == Code::kTimeout ? "timeout waiting for node to respond"
                                                           : meta.status().message();
        }
        if (--round->left == 0) {
          round->done(std::move(round->results));
        }
      });
    };
    if (members[i].id == node_.config().node_id) {
      finish_one(Store::NodeMeta{"http://" + node_.config().effective_http_adv_addr(), UQ_VERSION,
                                 node_.store().numbers().commit_index});
    } else {
      node_.store().probe(members[i].raft_addr, timeout, finish_one);
    }
  }
}

void HttpApi::handle_nodes(const Call& call) {
  bool v2 = call.params.get("ver") == std::optional<std::string_view>("2");
  bool nonvoters = call.params.has("nonvoters");
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      call.params.duration_or("timeout", std::chrono::seconds(30)));
  std::vector<Member> members;
  for (const Member& m : node_.store().view()->members) {
    if (m.voter || nonvoters) {
      members.push_back(m);
    }
  }
  bool pretty = call.params.has("pretty");
  net::HttpResponder responder = call.responder;
  probe_members(std::move(members), timeout,
                [this, responder, v2, pretty](std::vector<ProbedNode> probed) {
                  JsonNode doc = JsonNode::object();
                  if (v2) {
                    doc["nodes"] = JsonNode::array();
                  }
                  for (const ProbedNode& p : probed) {
                    if (v2) {
                      doc["nodes"].push_back(node_object(p));
                    } else {
                      doc[p.member.id] = node_object(p);
                    }
                  }
                  reply_json(responder, doc.encode(pretty), false);
                });
}

void HttpApi::handle_leader(const Call& call) {
  auto view = node_.store().view();
  if (call.request.method == "GET") {
    if (!view->has_leader) {
      reply_text_error(call.responder, 503, "leader not found");
      return;
    }
    bool pretty = call.params.has("pretty");
    net::HttpResponder responder = call.responder;
    probe_members({view->leader},
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      call.params.duration_or("timeout", std::chrono::seconds(30))),
                  [this, responder, pretty](std::vector<ProbedNode> probed) {
                    reply_json(responder, node_object(probed.at(0)).encode(pretty), false);
                  });
    return;
  }
  // POST: leadership transfer (spec §6.3). The body names the successor only when it is
  // declared as exactly application/json with a positive Content-Length.
  std::string target;
  if (call.request.header("Content-Type") == "application/json" &&
      call.request.has_content_length && !call.request.body.empty()) {
    auto id = parse_id_object(call.request.body, false);
    if (!id.is_ok()) {
      reply_text_error(call.responder, 400, "invalid JSON: " + id.status().message());
      return;
    }
    target = *id;
  }
  if (!node_.store().is_leader()) {
    if (!call.params.has("wait") && !call.responder.captured()) {
      reply_empty(call.responder, 200, false);  // rqlite answers at once without wait
      return;
    }
    forward_to_leader(call);
    return;
  }
  net::HttpResponder responder = call.responder;
  node_.store().transfer_leadership(target, [this, responder](Status s) {
    run_on_reactor([this, responder, s] {
      if (s.is_ok()) {
        reply_empty(responder, 200, false);
      } else {
        reply_text_error(responder, 500, "stepdown: " + s.message());
      }
    });
  });
}

void HttpApi::handle_remove(const Call& call) {
  auto id = parse_id_object(call.request.body, true);
  if (!id.is_ok()) {
    reply_empty(call.responder, 400, false);
    return;
  }
  if (!node_.store().is_leader()) {
    forward_to_leader(call);
    return;
  }
  net::HttpResponder responder = call.responder;
  node_.store().remove_member(*id, [this, responder](Status s) {
    run_on_reactor([this, responder, s] {
      if (s.is_ok()) {
        reply_empty(responder, 200, false);
      } else {
        reply_text_error(responder, 500, s.message());
      }
    });
  });
}

void HttpApi::handle_snapshot(const Call& call) {
  node_.counters().add("http", "user_snapshots");
  net::HttpResponder responder = call.responder;
  // Spec §6.9: POST /snapshot keeps no trailing entries unless asked (negative counts as none).
  uint64_t trailing =
      static_cast<uint64_t>(std::max<int64_t>(0, call.params.int_or("trailing_logs", 0)));
  node_.store().request_snapshot(trailing, [this, responder](const Status& s) {
    run_on_reactor([this, responder, s] {
      if (s.is_ok()) {
        reply_empty(responder, 200, false);
      } else if (s.code() == Code::kNotFound) {
        reply_empty(responder, 204, false);  // nothing new to snapshot (spec §6.9)
      } else {
        reply_text_error(responder, 500, s.message());
      }
    });
  });
}

void HttpApi::handle_reap(const Call& call) {
  node_.counters().add("http", "user_reaps");
  net::HttpResponder responder = call.responder;
  node_.store().reap_snapshots([this, responder](Result<size_t> reaped) {
    run_on_reactor([this, responder, reaped = std::move(reaped)] {
      if (!reaped.is_ok()) {
        reply_text_error(responder, 500, reaped.status().message());
        return;
      }
      JsonNode body = JsonNode::fields();
      body.add_field("snapshots_reaped", static_cast<int64_t>(*reaped));
      body.add_field("wals_checkpointed", static_cast<int64_t>(0));
      reply_json(responder, body.encode(false) + "\n", false);
    });
  });
}

void HttpApi::handle_readyz(const Call& call) {
  node_.counters().add("http", "num_readyz");
  if (call.params.has("noleader")) {
    reply_text(call.responder, 200, "[+]node ok");
    return;
  }
  auto view = node_.store().view();
  if (!view->has_leader) {
    reply_text(call.responder, 503, "[+]node ok\n[+]leader does not exist");
    return;
  }
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      call.params.duration_or("timeout", std::chrono::seconds(30)));
  bool sync = call.params.has("sync");
  net::HttpResponder responder = call.responder;
  probe_members(
      {view->leader}, timeout, [this, responder, timeout, sync](std::vector<ProbedNode> probed) {
        const ProbedNode& leader = probed.at(0);
        if (!leader.reachable) {
          reply_text(responder, 503, "[+]node ok\n[+]leader not contactable: " + leader.error);
          return;
        }
        if (!node_.store().caught_up()) {
          reply_text(responder, 503, "[+]node ok\n[+]leader ok\n[+]store not ready");
          return;
        }
        readyz_after_leader(responder, sync, sync ? leader.commit_index : 0,
                            std::chrono::steady_clock::now() + timeout);
      });
}

void HttpApi::reply_text(net::HttpResponder responder, int status, std::string body) {
  net::HttpResponse out = response(status);
  out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out.body = std::move(body);
  finish(responder, std::move(out));
}

void HttpApi::readyz_after_leader(net::HttpResponder responder, bool sync, uint64_t leader_commit,
                                  std::chrono::steady_clock::time_point give_up) {
  std::string prefix = "[+]node ok\n[+]leader ok\n[+]store ok";
  if (sync) {
    // Caught up: this node has applied what the leader had committed when asked (spec §6.4).
    if (node_.store().applied_index() < std::max<uint64_t>(1, leader_commit)) {
      if (std::chrono::steady_clock::now() >= give_up) {
        reply_text(responder, 503, prefix + "\n[+]sync timeout waiting for commit index");
        return;
      }
      reactor_.add_timer(std::chrono::milliseconds(20), [=, this] {
        readyz_after_leader(responder, sync, leader_commit, give_up);
      });
      return;
    }
    prefix += "\n[+]sync ok";
  }
  // The db check is a level-none `SELECT 1` that must return exactly one row holding 1.
  sql::ExecOptions options;
  options.db_timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::max(give_up - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(1)));
  auto done = [this, responder, prefix](sql::Response&& result) {
    bool ok =
        result.http_status == 200 &&
        result.body == R"({"results":[{"columns":["1"],"types":["integer"],"values":[[1]]}]})";
    std::string body =
        ok ? prefix + "\n[+]db ok" : prefix + "\n[+]db not ok: (" + result.body + ")";
    int status = ok ? 200 : 503;
    run_on_reactor([this, responder, status, body] { reply_text(responder, status, body); });
  };
  if (!node_.db().submit_read(sql::Kind::kQuery, sql::request_from_sql("SELECT 1"),
                              std::move(options), std::move(done))) {
    reply_text(responder, 503, prefix + "\n[+]db not ok: (read queue full)");
  }
}

void HttpApi::handle_debug_vars(const Call& call) {
  // One line per expvar entry, sorted by name (spec §6.11): rqlite's counter maps, plus Go's
  // standard cmdline and memstats.
  std::map<std::string, std::string> lines;
  JsonNode counters = node_.counters().to_json();
  for (const auto& [name, map] : *counters.as_object()) {
    lines[name] = expvar_map(map);
  }
  lines["cmdline"] = command_line().encode(false);
  JsonNode memstats = JsonNode::object();
  int64_t rss = resident_bytes();
  memstats["Sys"] = rss;
  memstats["HeapInuse"] = rss;
  lines["memstats"] = memstats.encode(false);
  auto key = call.params.get("key");
  std::string body = "{\n";
  bool first = true;
  for (const auto& [name, json] : lines) {
    if (key && *key != name) {
      continue;
    }
    body += first ? "" : ",\n";
    first = false;
    body += JsonNode(name).encode(false) + ": " + json;
  }
  body += "\n}\n";
  reply_json(call.responder, std::move(body), false);
}

void HttpApi::handle_licenses(const Call& call) {
  net::HttpResponse out = response(200);
  out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out.body =
      "uqlite is built on these third-party components; their licenses apply to them:\n"
      "SQLite: public domain (https://sqlite.org/copyright.html)\n"
      "liburing: MIT or LGPL-2.1\n"
      "llhttp: MIT\n"
      "simdjson: Apache-2.0\n"
      "OpenSSL: Apache-2.0\n"
      "zstd: BSD-3-Clause\n"
      "xxHash: BSD-2-Clause\n";
  finish(call.responder, std::move(out));
}

}  // namespace uq::server
