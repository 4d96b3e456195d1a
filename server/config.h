// server/config.h — uqlited's command line: every rqlited flag, parsed and validated.
//
// Owns the Config value built once on the main thread before any other thread starts; it is
// read-only afterwards, so any thread may read it. parse_config() applies rqlited's start-up
// validation rules (spec §8.1) and returns the exact messages rqlited prints after "fatal: ".
// Flags of features this build does not implement yet are accepted by name but refused with a
// clear message when set, so no one runs without the auth or TLS they asked for.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace uq::server {

struct Config {
  // General
  bool version = false;
  std::string node_id;
  std::string extensions_path;
  std::string data_dir;
  int64_t reactors = 0;  // 0 = one per core
  // How long a reactor or a reader polls for a read hand-off before it sleeps.
  std::chrono::nanoseconds handoff_poll = std::chrono::microseconds(100);

  // HTTP
  std::string http_addr = "localhost:4001";
  std::string http_adv_addr;
  std::string http_allow_origin;
  std::string http_cert, http_key, http_ca_cert, http_verify_common_name;
  bool http_verify_client = false;
  std::string auth;
  int64_t http_max_body_bytes = 64 * 1024 * 1024;
  int64_t http_max_connections = 20000;

  // Node-to-node TLS
  std::string node_cert, node_key, node_ca_cert, node_verify_server_name, node_verify_common_name;
  bool node_no_verify = false, node_verify_client = false;

  // Clustering
  std::string raft_addr = "localhost:4002";
  std::string raft_adv_addr;
  std::string join;
  int64_t join_attempts = 5;
  std::chrono::nanoseconds join_interval = std::chrono::seconds(3);
  std::string join_as;
  int64_t bootstrap_expect = 0;
  std::chrono::nanoseconds bootstrap_expect_timeout = std::chrono::seconds(120);
  std::string disco_mode, disco_key = "rqlite", disco_config;
  bool raft_non_voter = false;
  std::chrono::nanoseconds cluster_connect_timeout = std::chrono::seconds(30);
  bool raft_cluster_remove_shutdown = false;
  bool raft_shutdown_stepdown = true;
  bool raft_remove_shutdown = false;
  std::chrono::nanoseconds raft_reap_node_timeout{0};
  std::chrono::nanoseconds raft_reap_read_only_node_timeout{0};

  // Raft tuning
  std::chrono::nanoseconds raft_heartbeat_timeout = std::chrono::seconds(1);
  std::chrono::nanoseconds raft_election_timeout = std::chrono::seconds(1);
  std::chrono::nanoseconds raft_commit_timeout = std::chrono::milliseconds(50);
  std::chrono::nanoseconds raft_leader_lease_timeout{0};
  std::chrono::nanoseconds raft_apply_timeout = std::chrono::seconds(10);
  int64_t raft_snap = 8192;
  int64_t raft_snap_wal_size = 4194304;
  std::chrono::nanoseconds raft_snap_int = std::chrono::seconds(10);
  std::string raft_log_level = "WARN";
  bool compress_snap_transport = false;

  // SQLite
  bool fk = false;
  int64_t db_max_ro_conns = 256;
  std::chrono::nanoseconds auto_vacuum_int{0};
  std::chrono::nanoseconds auto_optimize_int = std::chrono::hours(24);

  // Queued writes
  int64_t write_queue_capacity = 1024;
  int64_t write_queue_batch_size = 128;
  std::chrono::nanoseconds write_queue_timeout = std::chrono::milliseconds(50);
  bool write_queue_tx = false;

  // Backup, restore, CDC, observability
  std::string auto_backup, auto_restore, cdc_config;
  std::string otlp_endpoint;
  std::chrono::nanoseconds otlp_interval = std::chrono::seconds(30);
  bool otlp_insecure = false, otlp_no_verify = false;
  std::string otlp_ca_cert, otlp_cert, otlp_key;
  std::string cpu_profile, mem_profile, trace_profile;

  // Derived by parse_config.
  std::string effective_http_adv_addr() const {
    return http_adv_addr.empty() ? http_addr : http_adv_addr;
  }
  std::string effective_raft_adv_addr() const {
    return raft_adv_addr.empty() ? raft_addr : raft_adv_addr;
  }
};

// What the caller should do after parsing.
enum class ParseOutcome { kRun, kPrintUsage, kPrintVersion };

struct ParsedConfig {
  ParseOutcome outcome = ParseOutcome::kRun;
  Config config;
  std::string usage;  // filled when outcome is kPrintUsage or on a flag error
};

// On error the Status message is what follows "fatal: " (configuration) or the Go flag error
// (syntax); Code::kInvalidArgument for flag syntax (exit 2, usage printed), kUnavailable for
// validation failures (exit 1).
Result<ParsedConfig> parse_config(int argc, const char* const* argv);

// The -h text: a summary line and every flag with its default.
std::string usage_text();

// "uqlited v0.1.0 linux amd64 g++-12.2.0 sqlite3.40.1 (commit ..., compiler ...)".
std::string version_line();

// Splits "host:port"; false if not of that form or the port is not a number 0..65535.
bool split_host_port(const std::string& addr, std::string* host, uint16_t* port);

}  // namespace uq::server
