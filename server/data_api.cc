// The data API: /db/execute, /db/query, /db/request and /db/sql (spec §3, §4, §7).
#include <random>
#include <thread>

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
  options->force_query.assign(request->statements.size(), false);
  for (size_t i = 0; i < request->statements.size(); ++i) {
    sql::Statement& statement = request->statements[i];
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
        statement.sql = std::move(rewritten.sql);
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
  node_.counters().add("http", counter, static_cast<int64_t>(request->statements.size()));
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
  auto prepared = read_and_prepare(call, BodyForm::kJsonOrText, "execute_stmts_rx", true);
  if (!prepared) {
    return;
  }
  if (!node_.db().submit_write(sql::Kind::kExecute, std::move(prepared->request),
                               std::move(prepared->options), completion(call.responder))) {
    reply_text_error(call.responder, 503, "write queue full");
  }
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
  // Only strong reads pass through the log, so only they are rewritten (spec §7.1, quirk 16).
  auto prepared = read_and_prepare(call, BodyForm::kJsonOrText, "query_stmts_rx",
                                   read_level(call.params) == "strong");
  if (!prepared) {
    return;
  }
  prepared->options.force_query.clear();
  // A single node is its own leader: every level reads the local database, which already holds
  // every acknowledged write because writes are acknowledged only once applied.
  if (!node_.db().submit_read(sql::Kind::kQuery, std::move(prepared->request),
                              std::move(prepared->options), completion(call.responder))) {
    reply_text_error(call.responder, 503, "read queue full");
  }
}

void HttpApi::handle_request(const Call& call) {
  node_.counters().add("http", "requests");
  auto prepared = read_and_prepare(call, BodyForm::kJson, "request_stmts_rx", true);
  if (!prepared) {
    return;
  }
  sql::Request request = std::move(prepared->request);
  sql::ExecOptions options = std::move(prepared->options);
  bool strong = read_level(call.params) == "strong";
  sql::Database* db = &node_.db();
  auto done = completion(call.responder);
  auto route = [db, strong, options = std::move(options), done](sql::Request&& classified,
                                                                bool all_read_only) mutable {
    // Runs on a reader thread. Read-only requests below `strong` are served like queries; any
    // write sends the whole request down the write path (spec §4.3).
    bool queued =
        all_read_only && !strong
            ? db->submit_read(sql::Kind::kRequest, std::move(classified), std::move(options), done)
            : db->submit_write(sql::Kind::kRequest, std::move(classified), std::move(options),
                               done);
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
