#include "server/http_api.h"

#include <thread>

#include <simdjson.h>

#include "core/json_writer.h"
#include "core/log.h"
#include "server/node.h"
#include "sql/executor.h"

namespace uq::server {

namespace {

enum class Route {
  kRoot,
  kConsoleRedirect,
  kConsole,
  kExecute,
  kQuery,
  kRequest,
  kSql,
  kBackup,
  kLoad,
  kBoot,
  kSnapshot,
  kReap,
  kRemove,
  kStatus,
  kNodes,
  kLeader,
  kReadyz,
  kLicenses,
  kDebugVars,
  kPprof,
  kNotFound,
};

struct RouteSpec {
  std::string_view path;
  bool prefix;
  Route route;
  // Allowed methods, space separated; empty = any.
  std::string_view methods;
  // Empty 405 answers of JSON endpoints still carry the JSON content type (spec §2.3).
  bool json;
};

// Spec §2.1, in match order.
constexpr RouteSpec kRoutes[] = {
    {"/", false, Route::kRoot, "", false},
    {"/console", false, Route::kConsoleRedirect, "", false},
    {"/console/", true, Route::kConsole, "GET HEAD", false},
    {"/db/execute", true, Route::kExecute, "POST", true},
    {"/db/query", true, Route::kQuery, "GET POST", true},
    {"/db/request", true, Route::kRequest, "POST", true},
    {"/db/sql", true, Route::kSql, "GET POST", true},
    {"/db/backup", true, Route::kBackup, "GET", false},
    {"/db/load", true, Route::kLoad, "POST", false},
    {"/boot", false, Route::kBoot, "POST", false},
    {"/snapshot", false, Route::kSnapshot, "POST", false},
    {"/reap", false, Route::kReap, "POST", true},
    {"/remove", true, Route::kRemove, "DELETE", false},
    {"/status", true, Route::kStatus, "GET", true},
    {"/nodes", true, Route::kNodes, "GET", true},
    {"/leader", false, Route::kLeader, "GET POST", true},
    {"/readyz", true, Route::kReadyz, "GET", false},
    {"/licenses", false, Route::kLicenses, "GET", false},
    {"/debug/vars", false, Route::kDebugVars, "", true},
    {"/debug/pprof", true, Route::kPprof, "", false},
};

const RouteSpec* match_route(std::string_view path) {
  if (path.empty()) {
    return &kRoutes[0];
  }
  for (const RouteSpec& spec : kRoutes) {
    if (spec.prefix ? path.starts_with(spec.path) : path == spec.path) {
      return &spec;
    }
  }
  return nullptr;
}

bool method_allowed(const RouteSpec& spec, std::string_view method) {
  if (spec.methods.empty()) {
    return true;
  }
  std::string_view rest = spec.methods;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    if (rest.substr(0, space) == method) {
      return true;
    }
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  return false;
}

}  // namespace

Result<std::string> parse_id_object(std::string_view body, bool exactly_one) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return error(Code::kInvalidArgument, simdjson::error_message(err));
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return error(Code::kInvalidArgument, "not a JSON object");
  }
  std::string_view id;
  bool found = false;
  size_t keys = 0;
  for (auto field : object) {
    ++keys;
    if (field.key == "id") {
      found = field.value.get_string().get(id) == simdjson::SUCCESS;
    }
  }
  if (!found || (exactly_one && keys != 1)) {
    return error(Code::kInvalidArgument, "expected {\"id\": \"<node id>\"}");
  }
  return std::string(id);
}

net::HttpResponse redirect_response(int status, std::string_view method,
                                    const std::string& location) {
  net::HttpResponse out;
  out.status = status;
  out.headers.emplace_back("Location", location);
  if (method == "GET" || method == "HEAD") {
    out.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    std::string text = status == 301 ? "Moved Permanently" : "Found";
    out.body = "<a href=\"" + location + "\">" + text + "</a>.\n\n";
  }
  return out;
}

std::string_view read_level(const QueryParams& params) {
  auto level = params.get("level");
  if (!level) {
    return "weak";
  }
  std::string lower(*level);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::string_view known : {"none", "weak", "strong", "linearizable", "auto"}) {
    if (lower == known) {
      return known;
    }
  }
  return "weak";
}

HttpApi::HttpApi(Node& node, core::Reactor& reactor) : node_(node), reactor_(reactor) {
  // Spec §2.2: on every response. Go canonicalises header names, so these are the wire spellings.
  common_headers_ = std::string("X-Rqlite-Version: ") + UQ_VERSION +
                    "\r\n"
                    "Access-Control-Allow-Methods: OPTIONS, GET, POST\r\n"
                    "Access-Control-Allow-Headers: Content-Type\r\n";
  if (!node_.config().http_allow_origin.empty()) {
    common_headers_ += "Access-Control-Allow-Origin: " + node_.config().http_allow_origin + "\r\n";
  }
  json_headers_ = "Content-Type: application/json; charset=utf-8\r\n" + common_headers_;
  json_served_headers_ =
      json_headers_ + "X-Rqlite-Served-By: " + node_.config().effective_http_adv_addr() + "\r\n";
}

net::HttpResponse HttpApi::response(int status) const {
  net::HttpResponse out;
  out.status = status;
  return out;
}

void HttpApi::finish(net::HttpResponder responder, net::HttpResponse&& response) {
  if (response.header_block.empty()) {
    response.header_block = common_headers_;
  }
  http_->respond(responder, std::move(response));
}

void HttpApi::reply_text_error(net::HttpResponder responder, int status, std::string_view message) {
  net::HttpResponse out = response(status);
  out.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.body.assign(message);
  out.body += '\n';
  finish(responder, std::move(out));
}

void HttpApi::reply_empty(net::HttpResponder responder, int status, bool json) {
  net::HttpResponse out = response(status);
  if (json) {
    out.header_block = json_headers_;
  }
  finish(responder, std::move(out));
}

void HttpApi::reply_json(net::HttpResponder responder, std::string body, bool served_by) {
  net::HttpResponse out = response(200);
  out.header_block = served_by ? json_served_headers_ : json_headers_;
  out.body = std::move(body);
  finish(responder, std::move(out));
}

void HttpApi::reply_envelope(const Call& call, std::string_view error) {
  sql::ExecOptions options;
  options.pretty = call.params.has("pretty");
  sql::Response envelope = sql::error_envelope(error, options);
  reply_json(call.responder, std::move(envelope.body), !envelope.envelope_error);
}

void HttpApi::run_on_reactor(std::function<void()> fn, bool reply) {
  while (!(reply ? reactor_.post_reply(fn) : reactor_.post(fn))) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

sql::Database::Done HttpApi::completion(net::HttpResponder responder, bool quick) {
  if (quick) {
    reactor_.expect_reply();
  }
  return [this, responder, quick](sql::Response&& result) {
    // Runs on a database thread: hand the finished bytes to the reactor that owns the connection.
    run_on_reactor(
        [this, responder, quick, result = std::move(result)]() mutable {
          if (quick) {
            // A client that reads in a loop sends its next request within microseconds.
            reactor_.expect_soon();
          }
          if (result.http_status != 200) {
            std::string text = std::move(result.body);
            if (!text.empty() && text.back() == '\n') {
              text.pop_back();
            }
            reply_text_error(responder, result.http_status, text);
            return;
          }
          reply_json(responder, std::move(result.body), !result.envelope_error);
        },
        quick);
  };
}

void HttpApi::handle(const net::HttpRequest& request, net::HttpResponder responder) {
  int64_t start_ns = sql::monotonic_ns();
  // OPTIONS is answered before any parsing (spec §2.2).
  if (request.method == "OPTIONS") {
    finish(responder, response(200));
    return;
  }
  // Query-string parsing and validation run before routing (spec §2.4).
  auto params = QueryParams::parse(request.query);
  if (!params.is_ok()) {
    node_.counters().add("http", "bad_requests");
    reply_text_error(responder, 400, params.status().message());
    return;
  }
  const RouteSpec* spec = match_route(request.path);
  if (spec == nullptr) {
    reply_empty(responder, 404, false);
    return;
  }
  if (!method_allowed(*spec, request.method)) {
    reply_empty(responder, 405, spec->json);
    return;
  }
  Call call{request, *params, responder, start_ns};
  switch (spec->route) {
    case Route::kRoot:
      finish(responder, redirect_response(302, request.method, "/console/"));
      return;
    case Route::kConsoleRedirect:
      finish(responder, redirect_response(301, request.method, "/console/"));
      return;
    case Route::kExecute:
      handle_execute(call);
      return;
    case Route::kQuery:
      handle_query(call);
      return;
    case Route::kRequest:
      handle_request(call);
      return;
    case Route::kSql:
      handle_sql(call);
      return;
    case Route::kStatus:
      handle_status(call);
      return;
    case Route::kNodes:
      handle_nodes(call);
      return;
    case Route::kLeader:
      handle_leader(call);
      return;
    case Route::kReadyz:
      handle_readyz(call);
      return;
    case Route::kDebugVars:
      handle_debug_vars(call);
      return;
    case Route::kLicenses:
      handle_licenses(call);
      return;
    case Route::kConsole:
      handle_unimplemented(call, "the web console");
      return;
    case Route::kBackup:
      handle_backup(call);
      return;
    case Route::kLoad:
      handle_load(call);
      return;
    case Route::kBoot:
      handle_boot(call);
      return;
    case Route::kSnapshot:
      handle_snapshot(call);
      return;
    case Route::kReap:
      handle_reap(call);
      return;
    case Route::kRemove:
      handle_remove(call);
      return;
    case Route::kPprof:
    case Route::kNotFound:
      reply_empty(responder, 404, false);
      return;
  }
}

void HttpApi::handle_unimplemented(const Call& call, std::string_view what) {
  reply_text_error(call.responder, 501,
                   std::string(what) + " is not implemented by this version of uqlited");
}

}  // namespace uq::server
