// sql/executor.h — runs one request's statements on one connection, as rqlite does (spec §3.6).
//
// Owns: statement order, `;`-separated statements in one string, parameter binding (positional and
// named, consumed across the statements of a string as the Go driver does), the transaction flag,
// per-statement errors, timeouts, read-only enforcement on the query path, /db/request's per-
// statement classification, and writing the envelope ({"results":[..],"time":..,"raft_index":..}).
// Thread: an Executor belongs to the thread that owns its Connection.
// Errors: SQL errors become result objects; nothing here fails the whole request except a
// non-finite REAL (HTTP 500, §3.5) and, on the write path, SQLite rolling back an enclosing group
// transaction (run_write returns kGroupLost and the caller re-runs the request alone).
#pragma once

#include <string>

#include "core/json_writer.h"
#include "sql/connection.h"
#include "sql/exec_options.h"
#include "sql/request.h"

namespace uq::sql {

class Executor {
 public:
  explicit Executor(Connection* conn) : conn_(conn) {}

  // Read path (/db/query, all-read-only /db/request): writes one result per non-empty statement.
  void run_read(Kind kind, const Request& request, const ExecOptions& options, core::JsonWriter* w);

  // A reader calls these around the jobs it took from the queue at once: their reads then share
  // one read transaction, so SQLite takes and drops its WAL read lock (an fcntl each on the -shm
  // file: 1.9 per request, 12% of a point query's CPU) once per batch, not once per request.
  // Every job still reads a snapshot taken after it was queued. A request that asks for
  // `transaction` or holds a statement needs_autocommit() names (BEGIN, COMMIT, PRAGMA, ATTACH,
  // ...) ends the shared transaction first and runs exactly as it would alone; if SQLite ends it
  // (an interrupted statement), the rest of the batch runs in autocommit mode.
  void begin_shared_read();
  void end_shared_read();

  enum class WriteMode {
    kAlone,    // rqlite's own semantics: autocommit per statement, or BEGIN..COMMIT
    kGrouped,  // inside the caller's open transaction; a `transaction` request gets a SAVEPOINT
  };
  enum class WriteOutcome {
    kDone,
    kGroupLost,     // SQLite rolled back the caller's group transaction: discard, re-run alone
    kCommitFailed,  // alone `transaction` request whose COMMIT failed: nothing of it persisted;
                    // answer error_envelope(commit_error())
  };
  WriteOutcome run_write(Kind kind, const Request& request, const ExecOptions& options,
                         WriteMode mode, core::JsonWriter* w);
  const std::string& commit_error() const { return commit_error_; }

 private:
  struct StatementRun;
  bool run_exec_statement(StatementRun* run);
  bool run_query_statement(StatementRun* run);

  Connection* conn_;
  std::string commit_error_;
  bool shared_read_ = false;  // inside begin_shared_read()'s transaction
};

// Envelope helpers: begin_envelope() opens {"results":[ ; finish_envelope() closes it with "time"
// and "raft_index" as the options ask, and turns an unencodable value into rqlite's 500.
void begin_envelope(core::JsonWriter* w);
Response finish_envelope(core::JsonWriter* w, std::string* body, const ExecOptions& options,
                         int64_t exec_start_ns);

// {"results":[],"error":"<message>"} (e.g. "disallowed pragma"), status 200; with an empty
// message just {"results":[]} (nothing was executed, e.g. GET /db/query without q).
Response error_envelope(std::string_view message, const ExecOptions& options);

}  // namespace uq::sql
