#include "server/counters.h"

#include "core/check.h"

namespace uq::server {

namespace {

struct Spec {
  const char* map;
  std::initializer_list<const char*> names;
};

// Names from spec §6.11 (those rqlite's tests and tools read, and the http map's full list).
const Spec kCounters[] = {
    {"http",
     {"executions",
      "queries",
      "requests",
      "backups",
      "loads",
      "boot",
      "num_readyz",
      "num_status",
      "leader_not_found",
      "queued_executions",
      "queued_executions_ok",
      "queued_executions_failed",
      "queued_executions_wait",
      "auth_ok",
      "auth_fail",
      "sql_analyze",
      "ui",
      "execute_stmts_rx",
      "query_stmts_rx",
      "request_stmts_rx",
      "tls_cert_fetched",
      "user_snapshots",
      "user_reaps",
      "bad_requests"}},
    {"store",
     {"num_snapshots", "num_restores", "num_restores_start", "num_restores_start_skipped",
      "num_compactions", "num_removed_before_joins", "num_ignored_joins", "num_joins",
      "leader_changes_observed"}},
    {"db",
     {"execute_transactions", "execute_transactions_rollback", "queries", "query_transactions",
      "executions", "execution_errors", "query_errors"}},
    {"cluster", {"num_join_req", "num_client_force_new_conn", "num_get_node_api_req"}},
    // uqlite's own: the node-to-node port.
    {"peers",
     {"num_notify_req", "num_bad_messages", "stale_connections_replaced", "snapshots_sent",
      "snapshots_received", "snapshots_rejected"}},
    {"proxy", {"forwarded", "forward_errors"}},
    {"queue", {"num_batches", "num_statements"}},
    {"uploader",
     {"num_uploads_ok", "num_uploads_fail", "num_uploads_skipped", "num_uploads_skipped_id"}},
    {"snapshot", {"num_created", "num_reaped"}},
};

}  // namespace

Counters::Counters() {
  for (const Spec& spec : kCounters) {
    auto& map = maps_[spec.map];
    for (const char* name : spec.names) {
      map[name].store(0, std::memory_order_relaxed);
    }
  }
}

void Counters::add(std::string_view map, std::string_view name, int64_t delta) {
  slot(map, name).fetch_add(delta, std::memory_order_relaxed);
}

int64_t Counters::get(std::string_view map, std::string_view name) const {
  return slot(map, name).load(std::memory_order_relaxed);
}

std::atomic<int64_t>& Counters::slot(std::string_view map, std::string_view name) const {
  auto outer = maps_.find(map);
  UQ_CHECK(outer != maps_.end(), "unknown counter map %.*s", static_cast<int>(map.size()),
           map.data());
  auto inner = outer->second.find(name);
  UQ_CHECK(inner != outer->second.end(), "unknown counter %.*s.%.*s", static_cast<int>(map.size()),
           map.data(), static_cast<int>(name.size()), name.data());
  return inner->second;
}

JsonNode Counters::to_json() const {
  JsonNode out = JsonNode::object();
  for (const auto& [map, counters] : maps_) {
    JsonNode& node = out[map];
    node = JsonNode::object();
    for (const auto& [name, value] : counters) {
      node[name] = value.load(std::memory_order_relaxed);
    }
  }
  return out;
}

}  // namespace uq::server
