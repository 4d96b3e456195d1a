// The data API: /db/execute, /db/query, /db/request and /db/sql (spec §3, §4, §7).
#include <random>

#include "core/json_writer.h"
#include "server/http_api.h"
#include "server/node.h"
#include "sql/request.h"
#include "sql/rewrite/rewrite.h"

namespace uq::server {

namespace {

bool is_text_plain(const net::HttpRequest& request) {
  return request.header("Content-Type").starts_with("text/plain");
}

// RANDOM() values come from a per-thread generator seeded from the OS; they only need to be
// unpredictable, not reproducible (the rewritten literal is what replicas store).
uint64_t next_random(void*) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

}  // namespace

sql::ExecOptions HttpApi::exec_options(const Call& call) const {
  const QueryParams& p = call.params;
  sql::ExecOptions options;
  options.transaction = p.has("transaction");
  options.timings = p.has("timings");
  options.associative = p.has("associative");
  options.blob_array = p.has("blob_array");
  options.qualify_columns = p.has("qualify_columns");
  options.pretty = p.has("pretty");
  options.db_timeout = p.duration_or("db_timeout", std::chrono::nanoseconds(0));
  options.start_ns = call.start_ns;
  return options;
}

void HttpApi::prepare_statements(const QueryParams& params, bool rewrite, sql::Request* request,
                                 sql::ExecOptions* options) const {
  if (params.has("noparse")) {
    return;
  }
  sql::rewrite::Options rewrite_options;
  rewrite_options.random = rewrite && !params.has("norwrandom");
  rewrite_options.time = rewrite && !params.has("norwtime");
  double now = sql::rewrite::julian_day_now();
  options->force_query.assign(request->statements.size(), false);
  for (size_t i = 0; i < request->statements.size(); ++i) {
    sql::Statement& statement = request->statements[i];
    options->force_query[i] = sql::rewrite::inspect(statement.sql).returning;
    if (rewrite_options.random || rewrite_options.time) {
      auto rewritten =
          sql::rewrite::rewrite(statement.sql, rewrite_options, next_random, nullptr, now);
      if (rewritten.changed) {
        statement.sql = std::move(rewritten.sql);
      }
    }
  }
}

void HttpApi::handle_execute(const Call& call) {
  node_.counters().add("http", "executions");
  auto parsed = is_text_plain(call.request) ? sql::Result<sql::Request>(sql::request_from_sql(call.request.body))
                                            : sql::parse_request(call.request.body);
  if (!parsed.is_ok()) {
    reply_text_error(call.responder, 400, parsed.status().message());
    return;
  }
  sql::Request request = std::move(*parsed);
  node_.counters().add("http", "execute_stmts_rx", static_cast<int64_t>(request.statements.size()));
  if (sql::has_disallowed_pragma(request)) {
    reply_envelope_error(call, "disallowed pragma");
    return;
  }
  sql::ExecOptions options = exec_options(call);
  prepare_statements(call.params, true, &request, &options);
  if (!node_.db().submit_write(sql::Kind::kExecute, std::move(request), std::move(options),
                               completion(call.responder))) {
    reply_text_error(call.responder, 503, "write queue full");
  }
}

void HttpApi::handle_query(const Call& call) {
  node_.counters().add("http", "queries");
  sql::Request request;
  if (call.request.method == "GET") {
    auto q = call.params.get("q");
    if (!q) {
      // GET without q executes nothing (spec §3.1).
      sql::Response empty;
      std::string body;
      core::JsonWriter writer(&body, call.params.has("pretty"));
      writer.begin_object();
      writer.key("results");
      writer.begin_array();
      writer.end_array();
      writer.end_object();
      reply_json(call.responder, std::move(body), true);
      return;
    }
    request = sql::request_from_sql(*q);
  } else {
    auto parsed = is_text_plain(call.request) ? sql::Result<sql::Request>(sql::request_from_sql(call.request.body))
                                              : sql::parse_request(call.request.body);
    if (!parsed.is_ok()) {
      reply_text_error(call.responder, 400, parsed.status().message());
      return;
    }
    request = std::move(*parsed);
  }
  node_.counters().add("http", "query_stmts_rx", static_cast<int64_t>(request.statements.size()));
  if (sql::has_disallowed_pragma(request)) {
    reply_envelope_error(call, "disallowed pragma");
    return;
  }
  sql::ExecOptions options = exec_options(call);
  // Only strong reads pass through the log, so only they are rewritten (spec §7.1, quirk 16).
  prepare_statements(call.params, read_level(call.params) == "strong", &request, &options);
  options.force_query.clear();
  // A single node is its own leader: every level reads the local database, which already holds
  // every acknowledged write because writes are acknowledged only once applied.
  if (!node_.db().submit_read(sql::Kind::kQuery, std::move(request), std::move(options),
                              completion(call.responder))) {
    reply_text_error(call.responder, 503, "read queue full");
  }
}

void HttpApi::handle_request(const Call& call) {
  node_.counters().add("http", "requests");
  auto parsed = sql::parse_request(call.request.body);
  if (!parsed.is_ok()) {
    reply_text_error(call.responder, 400, parsed.status().message());
    return;
  }
  sql::Request request = std::move(*parsed);
  node_.counters().add("http", "request_stmts_rx", static_cast<int64_t>(request.statements.size()));
  if (sql::has_disallowed_pragma(request)) {
    reply_envelope_error(call, "disallowed pragma");
    return;
  }
  sql::ExecOptions options = exec_options(call);
  prepare_statements(call.params, true, &request, &options);
  bool strong = read_level(call.params) == "strong";
  sql::Database* db = &node_.db();
  auto done = completion(call.responder);
  auto route = [db, strong, options = std::move(options), done](sql::Request&& classified,
                                                                  bool all_read_only) mutable {
    // Runs on a reader thread. Read-only requests below `strong` are served like queries; any
    // write sends the whole request down the write path (spec §4.3).
    bool queued = all_read_only && !strong
                      ? db->submit_read(sql::Kind::kRequest, std::move(classified),
                                        std::move(options), done)
                      : db->submit_write(sql::Kind::kRequest, std::move(classified),
                                         std::move(options), done);
    if (!queued) {
      done(sql::Response{503, "queue full\n", false});
    }
  };
  if (!db->submit_classify(std::move(request), std::move(route))) {
    reply_text_error(call.responder, 503, "read queue full");
  }
}

void HttpApi::handle_sql(const Call& call) {
  std::vector<std::string> statements;
  if (call.request.method == "GET") {
    auto q = call.params.get("q");
    if (!q) {
      reply_text_error(call.responder, 400, "query not specified");
      return;
    }
    statements.emplace_back(*q);
  } else {
    auto parsed = sql::parse_request(call.request.body);
    if (!parsed.is_ok()) {
      reply_text_error(call.responder, 400, parsed.status().message());
      return;
    }
    for (sql::Statement& statement : parsed->statements) {
      statements.push_back(std::move(statement.sql));
    }
  }
  sql::rewrite::Options options;
  options.random = !call.params.has("norwrandom");
  options.time = !call.params.has("norwtime");
  double now = sql::rewrite::julian_day_now();
  std::string body;
  core::JsonWriter writer(&body, call.params.has("pretty"));
  writer.begin_object();
  writer.key("results");
  writer.begin_array();
  for (const std::string& original : statements) {
    auto rewritten = sql::rewrite::rewrite(original, options, next_random, nullptr, now);
    writer.begin_object();
    writer.key("original");
    writer.value_string(original);
    if (!rewritten.error.empty()) {
      writer.key("error");
      writer.value_string(rewritten.error);
    } else {
      writer.key("rewritten");
      writer.value_string(rewritten.changed ? rewritten.sql : original);
    }
    writer.end_object();
  }
  writer.end_array();
  if (call.params.has("timings")) {
    timespec now_ts{};
    clock_gettime(CLOCK_MONOTONIC, &now_ts);
    int64_t elapsed = static_cast<int64_t>(now_ts.tv_sec) * 1000000000 + now_ts.tv_nsec -
                      call.start_ns;
    if (elapsed > 0) {
      writer.key("time");
      writer.value_double(static_cast<double>(elapsed) / 1e9);
    }
  }
  writer.end_object();
  reply_json(call.responder, std::move(body), false);
}

}  // namespace uq::server
