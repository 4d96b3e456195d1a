#include "server/config.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include "core/flags.h"

namespace uq::server {

namespace {

void register_flags(FlagSet* f, Config* c, bool* version) {
  f->add_bool("version", version, "Show version information and exit");
  f->add_string("node-id", &c->node_id,
                "Unique ID for node. If not set, set to advertised Raft address");
  f->add_string("extensions-path", &c->extensions_path,
                "Comma-delimited list of paths to directories, zipfiles, or tar.gz files "
                "containing SQLite extensions");
  f->add_int("reactors", &c->reactors,
             "Number of HTTP reactor threads, each with its own io_uring (0 = one per core)");
  f->add_duration("handoff-poll", &c->handoff_poll,
                  "How long a reactor or reader thread polls for a local read's hand-off before "
                  "it sleeps (0 = never; at most 10ms)");

  f->add_string("http-addr", &c->http_addr,
                "HTTP server bind address. To enable HTTPS, set X.509 certificate and key");
  f->add_string("http-adv-addr", &c->http_adv_addr,
                "Advertised HTTP address. If not set, same as HTTP server bind address");
  f->add_string("http-allow-origin", &c->http_allow_origin,
                "Value to set for Access-Control-Allow-Origin HTTP header");
  f->add_string("http-cert", &c->http_cert, "Path to HTTPS X.509 certificate");
  f->add_string("http-key", &c->http_key, "Path to HTTPS X.509 private key");
  f->add_string("http-ca-cert", &c->http_ca_cert, "Path to X.509 CA certificate for HTTPS");
  f->add_bool("http-verify-client", &c->http_verify_client, "Enable mutual TLS for HTTPS");
  f->add_string("http-verify-common-name", &c->http_verify_common_name,
                "Required Common Name of client certificates");
  f->add_string("auth", &c->auth,
                "Path to authentication and authorization file. If not set, not enabled");
  f->add_int("http-max-body-bytes", &c->http_max_body_bytes,
             "Largest HTTP request body accepted (413 above)");
  f->add_int("http-max-conns", &c->http_max_connections, "Most open HTTP connections per reactor");

  f->add_string("node-cert", &c->node_cert,
                "Path to X.509 certificate for node-to-node mutual authentication and encryption");
  f->add_string("node-key", &c->node_key,
                "Path to X.509 private key for node-to-node mutual authentication and encryption");
  f->add_string("node-ca-cert", &c->node_ca_cert,
                "Path to X.509 CA certificate for node-to-node encryption");
  f->add_bool("node-no-verify", &c->node_no_verify,
              "Skip verification of any node-node certificate");
  f->add_bool("node-verify-client", &c->node_verify_client,
              "Enable mutual TLS for node-to-node communication");
  f->add_string("node-verify-server-name", &c->node_verify_server_name,
                "Hostname to verify on certificate returned by a node");
  f->add_string("node-verify-common-name", &c->node_verify_common_name,
                "Required Common Name of node certificates");

  f->add_string("raft-addr", &c->raft_addr, "Raft communication bind address");
  f->add_string("raft-adv-addr", &c->raft_adv_addr,
                "Advertised Raft communication address. If not set, same as Raft bind address");
  f->add_string(
      "join", &c->join,
      "Comma-delimited list of nodes, in host:port form, through which a cluster can be joined");
  f->add_int("join-attempts", &c->join_attempts, "Number of join attempts to make");
  f->add_duration("join-interval", &c->join_interval, "Period between join attempts");
  f->add_string("join-as", &c->join_as,
                "Username in authentication file to join as. If not set, joins anonymously");
  f->add_int("bootstrap-expect", &c->bootstrap_expect,
             "Minimum number of nodes required for a bootstrap");
  f->add_duration("bootstrap-expect-timeout", &c->bootstrap_expect_timeout,
                  "Maximum time for bootstrap process");
  f->add_string("disco-mode", &c->disco_mode,
                "Choose clustering discovery mode. If not set, no node discovery is performed");
  f->add_string("disco-key", &c->disco_key, "Key prefix for cluster discovery service");
  f->add_string("disco-config", &c->disco_config,
                "Set discovery config, or path to cluster discovery config file");
  f->add_bool("raft-non-voter", &c->raft_non_voter, "Configure as non-voting node");
  f->add_duration("cluster-connect-timeout", &c->cluster_connect_timeout,
                  "Timeout for initial connection to other nodes");
  f->add_bool("raft-cluster-remove-shutdown", &c->raft_cluster_remove_shutdown,
              "Node removes itself from cluster on graceful shutdown");
  f->add_bool("raft-shutdown-stepdown", &c->raft_shutdown_stepdown,
              "If leader, stepdown before shutting down. Enabled by default");
  f->add_bool("raft-remove-shutdown", &c->raft_remove_shutdown,
              "Shutdown Raft if node removed from cluster");
  f->add_duration("raft-reap-node-timeout", &c->raft_reap_node_timeout,
                  "Time after which a non-reachable voting node will be reaped. If not set, no "
                  "reaping takes place");
  f->add_duration("raft-reap-read-only-node-timeout", &c->raft_reap_read_only_node_timeout,
                  "Time after which a non-reachable non-voting node will be reaped. If not set, no "
                  "reaping takes place");

  f->add_duration("raft-heartbeat-timeout", &c->raft_heartbeat_timeout, "Raft heartbeat timeout");
  f->add_duration("raft-election-timeout", &c->raft_election_timeout, "Raft election timeout");
  f->add_duration("raft-commit-timeout", &c->raft_commit_timeout, "Raft commit timeout");
  f->add_duration("raft-leader-lease-timeout", &c->raft_leader_lease_timeout,
                  "Raft leader lease timeout. Use 0s for Raft default");
  f->add_duration("raft-apply-timeout", &c->raft_apply_timeout, "Raft apply timeout");
  f->add_int("raft-snap", &c->raft_snap,
             "Number of outstanding log entries which triggers Raft snapshot");
  f->add_int("raft-snap-wal-size", &c->raft_snap_wal_size,
             "SQLite WAL file size in bytes which triggers Raft snapshot. Set to 0 to disable");
  f->add_duration("raft-snap-int", &c->raft_snap_int, "Snapshot threshold check interval");
  f->add_string("raft-log-level", &c->raft_log_level, "Minimum log level for Raft module");
  f->add_bool("compress-snap-transport", &c->compress_snap_transport,
              "Compress snapshots sent to other nodes");

  f->add_bool("fk", &c->fk, "Enable SQLite foreign key constraints");
  f->add_int("db-max-ro-conns", &c->db_max_ro_conns,
             "Maximum number of concurrent read-only database connections. 0 means no limit");
  f->add_duration("auto-vacuum-int", &c->auto_vacuum_int,
                  "Period between automatic VACUUMs. It not set, not enabled");
  f->add_duration("auto-optimize-int", &c->auto_optimize_int,
                  "Period between automatic 'PRAGMA optimize'. Set to 0h to disable");

  f->add_int("write-queue-capacity", &c->write_queue_capacity, "QueuedWrites queue capacity");
  f->add_int("write-queue-batch-size", &c->write_queue_batch_size, "QueuedWrites queue batch size");
  f->add_duration("write-queue-timeout", &c->write_queue_timeout, "QueuedWrites queue timeout");
  f->add_bool("write-queue-tx", &c->write_queue_tx,
              "Use a transaction when processing a queued write");

  f->add_string("auto-backup", &c->auto_backup,
                "Path to automatic backup configuration file. If not set, not enabled");
  f->add_string("auto-restore", &c->auto_restore,
                "Path to automatic restore configuration file. If not set, not enabled");
  f->add_string("cdc-config", &c->cdc_config,
                "CDC config. Can be a URL, 'stdout', or path to a JSON config file. If not set, "
                "CDC is disabled");
  f->add_string(
      "otlp-endpoint", &c->otlp_endpoint,
      "OpenTelemetry collector endpoint (host:port). If not set, OTLP export is disabled");
  f->add_duration("otlp-interval", &c->otlp_interval, "OTLP metrics export interval");
  f->add_bool("otlp-insecure", &c->otlp_insecure, "Use plaintext gRPC to the OTLP collector");
  f->add_bool("otlp-no-verify", &c->otlp_no_verify,
              "Skip verification of the OTLP collector certificate");
  f->add_string("otlp-ca-cert", &c->otlp_ca_cert, "Path to CA certificate for the OTLP collector");
  f->add_string("otlp-cert", &c->otlp_cert, "Path to client certificate for the OTLP collector");
  f->add_string("otlp-key", &c->otlp_key, "Path to client key for the OTLP collector");
  f->add_string("cpu-profile", &c->cpu_profile,
                "Path to file for CPU profiling information (accepted, ignored)");
  f->add_string("mem-profile", &c->mem_profile,
                "Path to file for memory profiling information (accepted, ignored)");
  f->add_string("trace-profile", &c->trace_profile,
                "Path to file for trace profiling information (accepted, ignored)");
}

Status fatal(std::string message) {
  return error(Code::kUnavailable, std::move(message));
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_unspecified_host(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

Status validate_address(const std::string& what, const std::string& addr, bool advertised) {
  if (addr.starts_with("http://") || addr.starts_with("https://")) {
    return fatal(what + " options should not include protocol (http:// or https://)");
  }
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(addr, &host, &port)) {
    return fatal("failed to parse " + what + " address " + addr + ": missing port in address");
  }
  if (advertised && is_unspecified_host(host)) {
    return fatal("advertised " + what + " address " + addr + " is not routable: set -" +
                 (what == "HTTP" ? "http" : "raft") + "-adv-addr");
  }
  return Status::ok();
}

Status validate_pairs(const Config& c) {
  if (c.http_cert.empty() != c.http_key.empty()) {
    return fatal("both -http-cert and -http-key must be set, or neither");
  }
  if (c.node_cert.empty() != c.node_key.empty()) {
    return fatal("both -node-cert and -node-key must be set, or neither");
  }
  if (c.otlp_cert.empty() != c.otlp_key.empty()) {
    return fatal("both -otlp-cert and -otlp-key must be set, or neither");
  }
  for (const std::string* path : {&c.http_cert, &c.http_key, &c.http_ca_cert, &c.node_cert,
                                  &c.node_key, &c.node_ca_cert, &c.auth}) {
    if (!path->empty() && !file_exists(*path)) {
      return fatal("file " + *path + " does not exist");
    }
  }
  if (!c.http_verify_common_name.empty() && !c.http_verify_client) {
    return fatal("-http-verify-common-name requires -http-verify-client");
  }
  if (!c.node_verify_common_name.empty() && !c.node_verify_client) {
    return fatal("-node-verify-common-name requires -node-verify-client");
  }
  return Status::ok();
}

Status validate_cluster(const Config& c) {
  if (c.bootstrap_expect < 0) {
    return fatal("bootstrap-expect value must be greater than or equal to 0");
  }
  if (c.bootstrap_expect > 0 && c.raft_non_voter) {
    return fatal("bootstrapping only applicable to voting nodes");
  }
  if (!c.join.empty() && !c.disco_mode.empty()) {
    return fatal("-join and -disco-mode are mutually exclusive");
  }
  if (!c.join.empty() && !c.auto_restore.empty()) {
    return fatal("auto-restore cannot be used when joining a cluster");
  }
  if (!c.cdc_config.empty() && c.raft_non_voter) {
    return fatal("CDC cannot be enabled on non-voting nodes");
  }
  size_t start = 0;
  while (!c.join.empty() && start <= c.join.size()) {
    size_t comma = c.join.find(',', start);
    std::string addr = c.join.substr(start, comma == std::string::npos ? comma : comma - start);
    std::string host;
    uint16_t port = 0;
    if (!split_host_port(addr, &host, &port)) {
      return fatal("join address " + addr + " is not in host:port form");
    }
    if (c.bootstrap_expect == 0 && addr == c.effective_raft_adv_addr()) {
      return fatal("node cannot join with itself unless bootstrapping");
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  if (!c.disco_mode.empty() && c.disco_mode != "dns" && c.disco_mode != "dns-srv" &&
      c.disco_mode != "consul-kv" && c.disco_mode != "etcd-kv") {
    return fatal("invalid disco mode: " + c.disco_mode);
  }
  return Status::ok();
}

// Features whose flags exist in rqlited but which this build does not implement yet. Refusing to
// start is safer than silently running without authentication or encryption.
Status refuse_unimplemented(const Config& c) {
  struct Unimplemented {
    const char* flag;
    bool set;
  };
  const Unimplemented list[] = {
      {"-auth", !c.auth.empty()},
      {"-http-cert", !c.http_cert.empty()},
      {"-node-cert", !c.node_cert.empty()},
      {"-disco-mode", !c.disco_mode.empty()},
      {"-extensions-path", !c.extensions_path.empty()},
      {"-auto-backup", !c.auto_backup.empty()},
      {"-auto-restore", !c.auto_restore.empty()},
      {"-cdc-config", !c.cdc_config.empty()},
      {"-otlp-endpoint", !c.otlp_endpoint.empty()},
  };
  for (const Unimplemented& u : list) {
    if (u.set) {
      return fatal(std::string(u.flag) + " is not supported by this build of uqlited yet");
    }
  }
  return Status::ok();
}

}  // namespace

bool split_host_port(const std::string& addr, std::string* host, uint16_t* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) {
    return false;
  }
  std::string h = addr.substr(0, colon);
  std::string p = addr.substr(colon + 1);
  if (h.find(':') != std::string::npos) {
    // IPv6 literals must be bracketed, as in Go's net.SplitHostPort.
    if (h.size() < 2 || h.front() != '[' || h.back() != ']') {
      return false;
    }
  }
  if (p.empty() || p.size() > 5) {
    return false;
  }
  uint32_t value = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') {
      return false;
    }
    value = value * 10 + static_cast<uint32_t>(ch - '0');
  }
  if (value > 65535) {
    return false;
  }
  *host = h;
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string version_line() {
  return std::string("uqlited ") + UQ_VERSION + " linux amd64 " +
#if defined(__clang__)
         "clang-" + __clang_version__ +
#else
         "g++-" + __VERSION__ +
#endif
         " sqlite" + sqlite3_libversion() + " (commit unknown, compiler c++20)";
}

std::string usage_text() {
  Config defaults;
  bool version = false;
  FlagSet flags("uqlited");
  register_flags(&flags, &defaults, &version);
  return "uqlited is a distributed relational database that speaks rqlite's API.\n\n"
         "Usage: uqlited [flags] <data directory>\n" +
         flags.usage();
}

Result<ParsedConfig> parse_config(int argc, const char* const* argv) {
  ParsedConfig parsed;
  Config& c = parsed.config;
  bool version = false;
  FlagSet flags("uqlited");
  register_flags(&flags, &c, &version);
  Status status = flags.parse(argc, argv);
  if (!status.is_ok()) {
    return status;
  }
  if (flags.help_requested()) {
    parsed.outcome = ParseOutcome::kPrintUsage;
    parsed.usage = usage_text();
    return parsed;
  }
  if (version) {
    parsed.outcome = ParseOutcome::kPrintVersion;
    return parsed;
  }
  const auto& args = flags.positional();
  if (args.empty()) {
    return fatal("no data directory set");
  }
  if (args.size() > 1) {
    std::string rest;
    for (size_t i = 1; i < args.size(); ++i) {
      rest += (i > 1 ? " " : "") + args[i];
    }
    return fatal("arguments after data directory (" + args[0] + ") are not accepted (" + rest +
                 ")");
  }
  c.data_dir = args[0];
  UQ_RETURN_IF_ERROR(validate_address("HTTP", c.http_addr, false));
  UQ_RETURN_IF_ERROR(validate_address("HTTP", c.effective_http_adv_addr(), true));
  UQ_RETURN_IF_ERROR(validate_address("Raft", c.raft_addr, false));
  UQ_RETURN_IF_ERROR(validate_address("Raft", c.effective_raft_adv_addr(), true));
  if (c.http_addr == c.raft_addr) {
    return fatal("HTTP and Raft bind addresses must differ");
  }
  if (c.effective_http_adv_addr() == c.effective_raft_adv_addr()) {
    return fatal("advertised HTTP and Raft addresses must differ");
  }
  if (c.node_id.empty()) {
    c.node_id = c.effective_raft_adv_addr();
  }
  if (c.reactors < 0 || c.reactors > 256) {
    return fatal("-reactors must be between 0 and 256");
  }
  if (c.handoff_poll.count() < 0 || c.handoff_poll > std::chrono::milliseconds(10)) {
    return fatal("-handoff-poll must be between 0 and 10ms");
  }
  if (c.http_max_body_bytes <= 0 || c.http_max_connections <= 0) {
    return fatal("-http-max-body-bytes and -http-max-conns must be positive");
  }
  if (c.write_queue_capacity <= 0 || c.write_queue_batch_size <= 0) {
    return fatal("write queue capacity and batch size must be positive");
  }
  if (c.raft_reap_node_timeout.count() < 0 || c.raft_reap_read_only_node_timeout.count() < 0) {
    return fatal("reap timeouts must be greater than 0");
  }
  UQ_RETURN_IF_ERROR(validate_pairs(c));
  UQ_RETURN_IF_ERROR(validate_cluster(c));
  UQ_RETURN_IF_ERROR(refuse_unimplemented(c));
  return parsed;
}

}  // namespace uq::server
