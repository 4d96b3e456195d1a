// server/http_api.h — rqlite's HTTP API on one reactor.
//
// Owns the routing table (spec §2.1), the headers every response carries (§2.2), the mapping of
// errors to rqlite's status codes and bodies (§2.3, §3.9), and the data-API handlers that turn a
// request into sql/ work. One HttpApi per reactor; handle() runs on that reactor's thread. Work
// finishes on the database's threads, whose results are posted back to this reactor, which alone
// writes responses on its connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/reactor.h"
#include "net/http_server.h"
#include "server/query_params.h"
#include "sql/database.h"

namespace uq::server {

class Node;

class HttpApi {
 public:
  HttpApi(Node& node, core::Reactor& reactor);
  // The server this API answers through; set once before the reactor runs.
  void attach(net::HttpServer* http) { http_ = http; }

  void handle(const net::HttpRequest& request, net::HttpResponder responder);

 private:
  struct Call {
    const net::HttpRequest& request;
    const QueryParams& params;
    net::HttpResponder responder;
    int64_t start_ns;
  };

  // Data API (data_api.cc).
  enum class BodyForm { kJson, kJsonOrText, kJsonOrEmpty };
  // The request's statements from q=, a text/plain body or a JSON body; answers the client
  // itself (400, or the disallowed-pragma envelope) and returns nothing when there is none to run.
  std::optional<sql::Request> read_statements(const Call& call, BodyForm form, const char* counter);
  // read_statements() then prepare_statements() with the request's own options; answers the
  // client itself when there is nothing to run.
  struct Prepared {
    sql::Request request;
    sql::ExecOptions options;
  };
  std::optional<Prepared> read_and_prepare(const Call& call, BodyForm form, const char* counter,
                                           bool rewrite);
  void handle_execute(const Call& call);
  void handle_queued_execute(const Call& call);
  // Retries enqueueing while the queue is full, up to the request's timeout (spec §5: a full
  // queue makes new queued requests wait).
  void enqueue_or_wait(net::HttpResponder responder, std::shared_ptr<sql::Request> request,
                       bool wait, bool timings, bool pretty, int64_t start_ns,
                       std::chrono::steady_clock::time_point give_up);
  void handle_query(const Call& call);
  void handle_request(const Call& call);
  void handle_sql(const Call& call);
  // Diagnostics (diagnostics.cc).
  void handle_status(const Call& call);
  void handle_nodes(const Call& call);
  void handle_leader(const Call& call);
  void handle_readyz(const Call& call);
  void handle_debug_vars(const Call& call);
  void handle_licenses(const Call& call);
  void handle_unimplemented(const Call& call, std::string_view what);

  // Response helpers. Every response passes through finish(), which adds the common headers.
  net::HttpResponse response(int status) const;
  void finish(net::HttpResponder responder, net::HttpResponse&& response);
  void reply_text_error(net::HttpResponder responder, int status, std::string_view message);
  void reply_empty(net::HttpResponder responder, int status, bool json);
  void reply_json(net::HttpResponder responder, std::string body, bool served_by);
  // An envelope with no results: {"results":[],"error":"..."} for a request-level failure, or
  // {"results":[]} when error is empty.
  void reply_envelope(const Call& call, std::string_view error);
  // Any thread: runs fn on this reactor. The reactor's queue holds 65536 posts; when it is full
  // the caller backs off briefly rather than drop an answer the client is owed.
  void run_on_reactor(std::function<void()> fn);
  // Completion for sql/ work: runs on a database thread, posts the response to this reactor.
  sql::Database::Done completion(net::HttpResponder responder);
  sql::ExecOptions exec_options(const Call& call) const;
  // The disallowed-PRAGMA check (§3.10; false = reject the whole request), RETURNING detection
  // and non-deterministic rewriting (§7) on the receiving node, in one pass over the statements.
  // `noparse` turns off all but the PRAGMA check unless honour_noparse is false (queued writes
  // always rewrite, §5).
  bool prepare_statements(const QueryParams& params, bool rewrite, bool honour_noparse,
                          sql::Request* request, sql::ExecOptions* options) const;

  Node& node_;
  core::Reactor& reactor_;
  net::HttpServer* http_ = nullptr;
  // Header lines built once (spec §2.2): every response's, and a JSON answer's with and without
  // X-Rqlite-Served-By.
  std::string common_headers_;
  std::string json_headers_;
  std::string json_served_headers_;
};

// Lower-cased `level` parameter resolved as rqlite does: absent or unknown → "weak".
std::string_view read_level(const QueryParams& params);

}  // namespace uq::server
