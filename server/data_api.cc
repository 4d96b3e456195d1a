// The data API: /db/execute, /db/query, /db/request and /db/sql (spec §3, §4, §7).
#include <random>
#include <thread>

#include "core/json_writer.h"
#include "server/forward.h"
#include "server/http_api.h"
#include "server/node.h"
#include "sql/command.h"
#include "sql/executor.h"
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

// The immediate answer to a queued write: {"results":[],"sequence_number":N} (spec §5).
std::string queued_body(uint64_t sequence, bool timings, bool pretty, int64_t start_ns) {
  std::string body;
  core::JsonWriter writer(&body, pretty);
  writer.begin_object();
  writer.key("results");
  writer.begin_array();
  writer.end_array();
  if (timings) {
    int64_t elapsed = sql::monotonic_ns() - start_ns;
    if (elapsed > 0) {
      writer.key("time");
      writer.value_double(static_cast<double>(elapsed) / 1e9);
    }
  }
  writer.key("sequence_number");
  writer.value_uint(sequence);
  writer.end_object();
  return body;
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
  // Non-zero asks for "raft_index"; the raft core puts the entry's index there.
  options.raft_index = p.has("raft_index") ? 1 : 0;
  return options;
}

bool HttpApi::prepare_statements(const QueryParams& params, bool rewrite, bool honour_noparse,
                                 sql::Request* request, sql::ExecOptions* options) const {
  bool noparse = honour_noparse && params.has("noparse");
  sql::rewrite::Options rewrite_options;
  rewrite_options.random = rewrite && !noparse && !params.has("norwrandom");
  rewrite_options.time = rewrite && !noparse && !params.has("norwtime");
  bool rewriting = rewrite_options.random || rewrite_options.time;
  double now = rewriting ? sql::rewrite::julian_day_now() : 0;
  options->force_query.assign(request->statements().size(), false);
  for (size_t i = 0; i < request->statements().size(); ++i) {
    const sql::Statement& statement = request->statements()[i];
    // The PRAGMA check runs even with noparse: it guards the node, not the statement's meaning.
    sql::rewrite::Inspection inspection = sql::rewrite::inspect(statement.sql);
    if (inspection.disallowed_pragma) {
      return false;
    }
    options->force_query[i] = !noparse && inspection.returning;
    if (rewriting) {
      auto rewritten =
          sql::rewrite::rewrite(statement.sql, rewrite_options, next_random, nullptr, now);
      if (rewritten.changed) {
        request->set_sql(i, rewritten.sql);
      }
    }
  }
  return true;
}

std::optional<sql::Request> HttpApi::read_statements(const Call& call, BodyForm form,
                                                     const char* counter) {
  std::optional<sql::Request> request;
  if (call.request.method == "GET") {
    // GET /db/query?q=: one statement, the first q only (spec §3.1).
    request = sql::request_from_sql(*call.params.get("q"));
  } else if (form == BodyForm::kJsonOrText && is_text_plain(call.request)) {
    request = sql::request_from_sql(call.request.body);
  } else {
    auto parsed = sql::parse_request(call.request.body, form == BodyForm::kJsonOrEmpty);
    if (!parsed.is_ok()) {
      reply_text_error(call.responder, 400, parsed.status().message());
      return std::nullopt;
    }
    request = std::move(*parsed);
  }
  node_.counters().add("http", counter, static_cast<int64_t>(request->statements().size()));
  return request;
}

std::optional<HttpApi::Prepared> HttpApi::read_and_prepare(const Call& call, BodyForm form,
                                                           const char* counter, bool rewrite) {
  auto request = read_statements(call, form, counter);
  if (!request) {
    return std::nullopt;
  }
  Prepared prepared{std::move(*request), exec_options(call)};
  if (!prepare_statements(call.params, rewrite, true, &prepared.request, &prepared.options)) {
    reply_envelope(call, "disallowed pragma");
    return std::nullopt;
  }
  return prepared;
}

void HttpApi::handle_execute(const Call& call) {
  if (call.params.has("queue")) {
    handle_queued_execute(call);
    return;
  }
  node_.counters().add("http", "executions");
  if (!node_.store().is_leader()) {
    forward_to_leader(call);
    return;
  }
  auto prepared = read_and_prepare(call, BodyForm::kJsonOrText, "execute_stmts_rx", true);
  if (!prepared) {
    return;
  }
  sql::Command command =
      sql::make_command(sql::Kind::kExecute, std::move(prepared->request), prepared->options);
  node_.store().execute(std::move(command), std::move(prepared->options),
                        completion(call.responder));
}

void HttpApi::forward_to_leader(const Call& call) {
  auto view = node_.store().view();
  if (call.params.has("redirect")) {
    if (!view->has_leader) {
      reply_text_error(call.responder, 500, "leader not found");
      return;
    }
    std::string location = "http://" + view->leader.api_addr + std::string(call.request.path);
    if (call.request.has_query) {
      location += "?" + std::string(call.request.query);
    }
    finish(call.responder, redirect_response(301, call.request.method, location));
    return;
  }
  if (!view->has_leader) {
    reply_text_error(call.responder, 503, "leader not found");
    return;
  }
  if (call.responder.captured()) {
    // Forwarded here by a node that took this one for the leader: one hop only.
    reply_envelope(call, "not leader");
    return;
  }
  // Data-API calls report a failed forward in the envelope; the others (backup, load, remove,
  // stepdown) as 500 with the error text (spec §3.9).
  bool data_api = call.request.path.starts_with("/db/execute") ||
                  call.request.path.starts_with("/db/query") ||
                  call.request.path.starts_with("/db/request");
  forward_payload(encode_forward_request(call.request), forward_timeout(call.params),
                  call.params.has("pretty"), call.responder, data_api);
}

std::chrono::milliseconds HttpApi::forward_timeout(const QueryParams& params) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      params.duration_or("timeout", std::chrono::seconds(30)));
}

void HttpApi::forward_payload(std::string payload, std::chrono::milliseconds timeout, bool pretty,
                              net::HttpResponder responder, bool envelope_errors) {
  node_.counters().add("proxy", "forwarded");
  sql::ExecOptions options;
  options.pretty = pretty;
  node_.store().forward(
      std::move(payload), timeout,
      [this, responder, options, envelope_errors](Result<std::string> answer) {
        std::string leader = node_.store().view()->leader.raft_addr;
        run_on_reactor(
            [this, responder, leader, options, envelope_errors, answer = std::move(answer)] {
              auto decoded = answer.is_ok() ? decode_forward_response(*answer)
                                            : Result<ForwardedResponse>(answer.status());
              if (!decoded.is_ok()) {
                node_.counters().add("proxy", "forward_errors");
                if (!envelope_errors) {
                  reply_text_error(responder, 500, decoded.status().message());
                  return;
                }
                // Network, timeout or remote failure: the envelope carries it (spec §3.9).
                sql::Response envelope = sql::error_envelope(decoded.status().message(), options);
                reply_json(responder, std::move(envelope.body), false);
                return;
              }
              net::HttpResponse out = response(decoded->status);
              if (!decoded->content_type.empty()) {
                out.headers.emplace_back("Content-Type", decoded->content_type);
              }
              if (decoded->served) {
                out.headers.emplace_back("X-Rqlite-Served-By", leader);
              }
              out.body = std::move(decoded->body);
              finish(responder, std::move(out));
            });
      });
}

void HttpApi::handle_forwarded(std::string_view payload, net::PeerTransport::Reply reply) {
  auto forwarded = decode_forward_request(payload);
  if (!forwarded.is_ok()) {
    reply.fail(Code::kCorruption, forwarded.status().message());
    return;
  }
  // The request's views point into *request, which lives until the answer is sent.
  auto request = std::make_shared<ForwardedRequest>(std::move(*forwarded));
  auto shared_reply = std::make_shared<net::PeerTransport::Reply>(std::move(reply));
  net::HttpResponder responder =
      net::HttpResponder::capturing([request, shared_reply](net::HttpResponse&& out) {
        shared_reply->send(encode_forward_response(out));
      });
  handle(request->view(), responder);
}

void HttpApi::handle_queued_execute(const Call& call) {
  node_.counters().add("http", "queued_executions");
  bool wait = call.params.has("wait");
  // Only the JSON forms are queued; unlike rqlite (quirk 9) a body that cannot be parsed, or
  // that holds a disallowed PRAGMA, is refused now rather than queued and retried forever.
  auto parsed =
      read_statements(call, wait ? BodyForm::kJsonOrEmpty : BodyForm::kJson, "execute_stmts_rx");
  if (!parsed) {
    return;
  }
  auto request = std::make_shared<sql::Request>(std::move(*parsed));
  // Rewriting happens at enqueue time; noparse is not consulted for queued writes (spec §5).
  sql::ExecOptions options;
  if (!prepare_statements(call.params, /*rewrite=*/true, /*honour_noparse=*/false, request.get(),
                          &options)) {
    reply_envelope(call, "disallowed pragma");
    return;
  }
  auto give_up = std::chrono::steady_clock::now() +
                 call.params.duration_or("timeout", std::chrono::seconds(30));
  enqueue_or_wait(call.responder, std::move(request), wait, call.params.has("timings"),
                  call.params.has("pretty"), call.start_ns, give_up);
}

void HttpApi::enqueue_or_wait(net::HttpResponder responder, std::shared_ptr<sql::Request> request,
                              bool wait, bool timings, bool pretty, int64_t start_ns,
                              std::chrono::steady_clock::time_point give_up) {
  // Reactor-local: whichever of "applied" and "timed out" comes first answers.
  auto answered = std::make_shared<bool>(false);
  auto timer = std::make_shared<uint64_t>(0);
  auto sequence = std::make_shared<uint64_t>(0);
  WriteQueue::Waiter waiter;
  if (wait) {
    waiter = [this, responder, answered, timer, sequence, timings, pretty, start_ns](bool applied) {
      auto deliver = [=, this] {
        if (*answered) {
          return;
        }
        *answered = true;
        reactor_.cancel_timer(*timer);
        if (applied) {
          reply_json(responder, queued_body(*sequence, timings, pretty, start_ns), true);
        } else {
          reply_text_error(responder, 503, "queue closed");
        }
      };
      run_on_reactor(std::move(deliver));
    };
  }
  *sequence = node_.write_queue().enqueue(sql::Request(*request), waiter);
  if (*sequence == 0) {
    if (std::chrono::steady_clock::now() >= give_up) {
      reply_text_error(responder, 503, "queue full");
      return;
    }
    reactor_.add_timer(std::chrono::milliseconds(1), [=, this] {
      enqueue_or_wait(responder, request, wait, timings, pretty, start_ns, give_up);
    });
    return;
  }
  if (!wait) {
    reply_json(responder, queued_body(*sequence, timings, pretty, start_ns), true);
    return;
  }
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      give_up - std::chrono::steady_clock::now());
  *timer = reactor_.add_timer(std::max(remaining, std::chrono::milliseconds(0)),
                              [this, responder, answered] {
                                if (*answered) {
                                  return;
                                }
                                *answered = true;
                                // The statements stay queued and are still applied later.
                                reply_text_error(responder, 408, "queue wait timeout");
                              });
}

void HttpApi::handle_query(const Call& call) {
  node_.counters().add("http", "queries");
  if (call.request.method == "GET" && !call.params.has("q")) {
    reply_envelope(call, "");  // GET without q executes nothing (spec §3.1)
    return;
  }
  std::string_view level = read_level(call.params);
  if (level == "auto") {
    // Only auto needs the cluster view (a mutex and a shared_ptr copy): not every query.
    level = node_.store().view()->self_voter ? "weak" : "none";
  }
  if (level != "none" && !node_.store().is_leader()) {
    forward_to_leader(call);
    return;
  }
  if (level == "none" && stale(call.params)) {
    reply_envelope(call, "stale read");
    return;
  }
  // Only strong reads pass through the log, so only they are rewritten (spec §7.1, quirk 16).
  auto prepared =
      read_and_prepare(call, BodyForm::kJsonOrText, "query_stmts_rx", level == "strong");
  if (!prepared) {
    return;
  }
  prepared->options.force_query.clear();
  if (level == "strong") {
    sql::Command command =
        sql::make_command(sql::Kind::kQuery, std::move(prepared->request), prepared->options);
    node_.store().execute(std::move(command), std::move(prepared->options),
                          completion(call.responder));
    return;
  }
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      call.params.duration_or("linearizable_timeout", std::chrono::seconds(10)));
  serve_read(sql::Kind::kQuery, level, std::move(prepared->request), std::move(prepared->options),
             call.responder, timeout);
}

void HttpApi::serve_read(sql::Kind kind, std::string_view level, sql::Request&& request,
                         sql::ExecOptions&& options, net::HttpResponder responder,
                         std::chrono::milliseconds linearizable_timeout) {
  sql::Database* db = &node_.db();
  if (level != "linearizable") {
    auto done = completion(responder, true);
    if (!db->submit_read(kind, std::move(request), std::move(options), done)) {
      done(sql::Response{503, "read queue full\n", false});
    }
    return;
  }
  // ReadIndex: the leader confirms it still leads, then reads once it has applied that index.
  auto done = completion(responder);
  auto held = std::make_shared<std::pair<sql::Request, sql::ExecOptions>>(std::move(request),
                                                                          std::move(options));
  node_.store().read_barrier(linearizable_timeout, [db, kind, held, done](Status confirmed) {
    if (!confirmed.is_ok()) {
      done(sql::Response{503, confirmed.message() + "\n", false});
      return;
    }
    if (!db->submit_read(kind, std::move(held->first), std::move(held->second), done)) {
      done(sql::Response{503, "read queue full\n", false});
    }
  });
}

bool HttpApi::stale(const QueryParams& params) const {
  auto freshness = params.duration_or("freshness", std::chrono::nanoseconds(0));
  if (freshness.count() <= 0 || node_.store().is_leader()) {
    return false;  // freshness is ignored on the leader and when zero (spec §4.1)
  }
  RaftNumbers n = node_.store().numbers();
  auto since_contact = std::chrono::milliseconds(
      n.last_contact_ms < 0 ? INT64_MAX / 2
                            : std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                      .count() -
                                  n.last_contact_ms);
  if (since_contact > freshness) {
    return true;
  }
  // freshness_strict: this node must also have applied everything it knows to be committed.
  return params.has("freshness_strict") && node_.store().applied_index() < n.commit_index;
}

void HttpApi::handle_request(const Call& call) {
  node_.counters().add("http", "requests");
  std::string_view level = read_level(call.params);
  if (level == "auto") {
    level = node_.store().view()->self_voter ? "weak" : "none";
  }
  bool leader = node_.store().is_leader();
  if (level != "none" && !leader) {
    forward_to_leader(call);
    return;
  }
  if (level == "none" && stale(call.params)) {
    reply_envelope(call, "stale read");
    return;
  }
  auto prepared = read_and_prepare(call, BodyForm::kJson, "request_stmts_rx", true);
  if (!prepared) {
    return;
  }
  sql::Request request = std::move(prepared->request);
  sql::ExecOptions options = std::move(prepared->options);
  bool strong = level == "strong";
  // A follower reading at level none may find writes in the request: those go to the leader.
  std::string for_leader = leader ? std::string() : encode_forward_request(call.request);
  auto done = completion(call.responder);
  // /db/request has no linearizable_timeout parameter; rqlite waits 1 s (spec §4.1).
  auto route = [this, level = std::string(level), strong, leader, options = std::move(options),
                done, for_leader = std::move(for_leader), responder = call.responder,
                timeout = forward_timeout(call.params)](sql::Request&& classified,
                                                        bool all_read_only) mutable {
    // Runs on a reader thread. Read-only requests below `strong` are served like queries; any
    // write sends the whole request through the log (spec §4.3).
    if (all_read_only && !strong) {
      serve_read(sql::Kind::kRequest, level, std::move(classified), std::move(options), responder,
                 std::chrono::seconds(1));
      return;
    }
    if (!leader) {
      forward_payload(std::move(for_leader), timeout, options.pretty, responder, true);
      return;
    }
    sql::Command command = sql::make_command(sql::Kind::kRequest, std::move(classified), options);
    node_.store().execute(std::move(command), std::move(options), done);
  };
  if (!node_.db().submit_classify(std::move(request), std::move(route))) {
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
    for (const sql::Statement& statement : parsed->statements()) {
      statements.emplace_back(statement.sql);
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
    auto rewritten = sql::rewrite::preview(original, options, next_random, nullptr, now);
    writer.begin_object();
    writer.key("original");
    writer.value_string(original);
    if (!rewritten.error.empty()) {
      writer.key("error");
      writer.value_string(rewritten.error);
    } else {
      writer.key("rewritten");
      writer.value_string(rewritten.sql);
    }
    writer.end_object();
  }
  writer.end_array();
  if (call.params.has("timings")) {
    int64_t elapsed = sql::monotonic_ns() - call.start_ns;
    if (elapsed > 0) {
      writer.key("time");
      writer.value_double(static_cast<double>(elapsed) / 1e9);
    }
  }
  writer.end_object();
  reply_json(call.responder, std::move(body), false);
}

}  // namespace uq::server
