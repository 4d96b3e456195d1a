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
#include "net/peer.h"
#include "server/query_params.h"
#include "server/store.h"
#include "sql/database.h"

namespace uq::server {

class Node;

// One member as /nodes reports it, after asking it over the node-to-node port (spec §6.2).
struct ProbedNode {
  Member member;
  bool reachable = false;
  bool leader = false;
  std::string api_url;
  std::string version;
  uint64_t commit_index = 0;
  std::chrono::nanoseconds time{0};
  std::string error;
};

// {"id": "<string>"} (DELETE /remove, POST /leader). With exactly_one, any other key or shape
// is an error; otherwise other keys are ignored. Errors carry the JSON parser's message.
Result<std::string> parse_id_object(std::string_view body, bool exactly_one);

class HttpApi {
 public:
  HttpApi(Node& node, core::Reactor& reactor);
  // The server this API answers through; set once before the reactor runs.
  void attach(net::HttpServer* http) { http_ = http; }

  void handle(const net::HttpRequest& request, net::HttpResponder responder);
  // Reactor 0: a request another node forwarded to this one (the leader); the answer goes back
  // through reply.
  void handle_forwarded(std::string_view payload, net::PeerTransport::Reply reply);

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
  // This node cannot serve the call (it is not the leader): forward it to the leader, or answer
  // 301 with the leader's address under ?redirect, or "leader not found" (spec §3.9).
  void forward_to_leader(const Call& call);
  // Any thread: sends an encoded request (server/forward.h) to the leader and answers the client
  // with the leader's answer.
  void forward_payload(std::string payload, std::chrono::milliseconds timeout, bool pretty,
                       net::HttpResponder responder, bool envelope_errors);
  static std::chrono::milliseconds forward_timeout(const QueryParams& params);
  // Serves a read-only request at `level` on this node, which must be the leader unless level is
  // "none" (linearizable: after a ReadIndex round).
  void serve_read(sql::Kind kind, std::string_view level, sql::Request&& request,
                  sql::ExecOptions&& options, net::HttpResponder responder,
                  std::chrono::milliseconds linearizable_timeout);
  // Level "none" on a follower: the freshness check (spec §4.2); true = too stale to serve.
  bool stale(const QueryParams& params) const;
  void handle_sql(const Call& call);
  // Diagnostics (diagnostics.cc).
  void handle_status(const Call& call);
  void handle_nodes(const Call& call);
  void handle_leader(const Call& call);
  void handle_readyz(const Call& call);
  void handle_remove(const Call& call);
  void handle_snapshot(const Call& call);
  // Backup and restore (backup_api.cc).
  void handle_backup(const Call& call);  // GET /db/backup
  void handle_load(const Call& call);    // POST /db/load
  void handle_boot(const Call& call);    // POST /boot
  void handle_reap(const Call& call);
  // Asks every member at once for its API address and version; done runs on this reactor with
  // the results in the members' order.
  void probe_members(std::vector<Member> members, std::chrono::milliseconds timeout,
                     std::function<void(std::vector<ProbedNode>)> done);
  // /readyz once the leader answered: the optional sync wait, then the db check.
  void readyz_after_leader(net::HttpResponder responder, bool sync, uint64_t leader_commit,
                           std::chrono::steady_clock::time_point give_up);
  void handle_debug_vars(const Call& call);
  void handle_licenses(const Call& call);
  void handle_unimplemented(const Call& call, std::string_view what);

  // Response helpers. Every response passes through finish(), which adds the common headers.
  net::HttpResponse response(int status) const;
  void finish(net::HttpResponder responder, net::HttpResponse&& response);
  void reply_text_error(net::HttpResponder responder, int status, std::string_view message);
  // A text/plain body exactly as given (no newline added).
  void reply_text(net::HttpResponder responder, int status, std::string body);
  void reply_empty(net::HttpResponder responder, int status, bool json);
  void reply_json(net::HttpResponder responder, std::string body, bool served_by);
  // An envelope with no results: {"results":[],"error":"..."} for a request-level failure, or
  // {"results":[]} when error is empty.
  void reply_envelope(const Call& call, std::string_view error);
  // Any thread: runs fn on this reactor (as the reply a Reactor::expect_reply() announced when
  // `reply`). The reactor's queue holds 65536 posts; when it is full the caller backs off briefly
  // rather than drop an answer the client is owed.
  void run_on_reactor(std::function<void()> fn, bool reply = false);
  // Completion for sql/ work: runs on a database thread, posts the response to this reactor.
  // `quick`: the answer is expected within microseconds (a local read), so the reactor polls for
  // it before sleeping; the returned Done must then be called exactly once.
  sql::Database::Done completion(net::HttpResponder responder, bool quick = false);
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

// Go's http.Redirect: the Location header, and for GET/HEAD a short HTML body.
net::HttpResponse redirect_response(int status, std::string_view method,
                                    const std::string& location);

}  // namespace uq::server
