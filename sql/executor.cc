#include "sql/executor.h"

#include <cstdio>

#include "sql/result_writer.h"
#include "sql/sql_text.h"

namespace uq::sql {
namespace {

constexpr std::string_view kWriteViaQuery = "attempt to change database via query operation";

int bind_value(sqlite3_stmt* s, int index, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      return sqlite3_bind_null(s, index);
    case Value::Type::kInteger:
      return sqlite3_bind_int64(s, index, v.i);
    case Value::Type::kReal:
      return sqlite3_bind_double(s, index, v.d);
    case Value::Type::kText:
      return sqlite3_bind_text64(s, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
    case Value::Type::kBlob:
      // A null pointer would bind NULL, so an empty BLOB needs zeroblob.
      return v.bytes.empty()
                 ? sqlite3_bind_zeroblob(s, index, 0)
                 : sqlite3_bind_blob64(s, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
  }
  return SQLITE_MISUSE;
}

// Binds as the Go driver does for each statement of a string: the statement consumes the next
// sqlite3_bind_parameter_count() arguments (too few is an error); unnamed ones among them bind by
// position, and every named argument binds to :name, @name and $name wherever those exist.
bool bind_params(sqlite3_stmt* s, std::span<const Param> params, size_t* start, std::string* err) {
  size_t want = static_cast<size_t>(sqlite3_bind_parameter_count(s));
  size_t have = params.size() - *start;
  if (have < want) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "not enough args to execute query: want %zu got %zu", want,
                  have);
    *err = buf;
    return false;
  }
  int rc = SQLITE_OK;
  for (size_t k = 0; k < want && rc == SQLITE_OK; ++k) {
    const Param& p = params[*start + k];
    if (p.name.empty()) {
      rc = bind_value(s, static_cast<int>(k + 1), p.value);
    }
  }
  std::string name;
  for (size_t k = 0; k < params.size() && rc == SQLITE_OK; ++k) {
    const Param& p = params[k];
    if (p.name.empty()) {
      continue;
    }
    for (char prefix : {':', '@', '$'}) {
      name.assign(1, prefix).append(p.name);
      int index = sqlite3_bind_parameter_index(s, name.c_str());
      if (index > 0 && rc == SQLITE_OK) {
        rc = bind_value(s, index, p.value);
      }
    }
  }
  if (rc != SQLITE_OK) {
    *err = sqlite3_errmsg(sqlite3_db_handle(s));
    return false;
  }
  *start += want;
  return true;
}

bool statement_reads_only(sqlite3_stmt* s) {
  return sqlite3_stmt_readonly(s) != 0 || sqlite3_stmt_isexplain(s) != 0;
}

}  // namespace

// One statement string being run: iterates its `;`-separated statements.
struct Executor::StatementRun {
  Connection* conn;
  const Statement& stmt;
  const ExecOptions& options;
  bool read_path;
  ErrorStyle prepare_error_style;
  core::JsonWriter* w;
  std::string_view rest;
  sqlite3_stmt* current = nullptr;
  bool current_pending = false;  // prepared for classification, not yet handed out
  size_t param_start = 0;
  int64_t start_ns = monotonic_ns();

  StatementRun(Connection* c, const Statement& s, const ExecOptions& o, bool read, ErrorStyle style,
               core::JsonWriter* writer)
      : conn(c),
        stmt(s),
        options(o),
        read_path(read),
        prepare_error_style(style),
        w(writer),
        rest(s.sql) {}
  ~StatementRun() { conn->release(current); }

  // Next prepared statement of the string (nullptr at the end); SQLite's code on a prepare error.
  int next(sqlite3_stmt** out) {
    if (current_pending) {
      current_pending = false;
      *out = current;
      return SQLITE_OK;
    }
    conn->release(current);
    current = nullptr;
    while (!rest.empty()) {
      std::string_view tail;
      int rc = conn->prepare(rest, &current, &tail);
      rest = tail;
      if (rc != SQLITE_OK) {
        return rc;
      }
      if (current != nullptr) {
        break;
      }
    }
    *out = current;
    return SQLITE_OK;
  }
  bool is_last() const { return only_trivia(rest); }
  double elapsed() const { return seconds_since(start_ns, monotonic_ns()); }

  std::string error_text(int rc, bool query_type) const {
    if ((rc == SQLITE_INTERRUPT || rc == SQLITE_OK) && conn->deadline_passed()) {
      return query_type ? "query timeout" : "execute timeout";
    }
    return sqlite3_errmsg(conn->db());
  }
};

bool Executor::run_exec_statement(StatementRun* run) {
  for (;;) {
    sqlite3_stmt* s = nullptr;
    int rc = run->next(&s);
    if (rc != SQLITE_OK) {
      write_error_result(run->w, run->error_text(rc, false), ErrorStyle::kPlain, run->options);
      return false;
    }
    if (s == nullptr) {
      break;
    }
    if (conn_->deadline_passed()) {
      write_error_result(run->w, "execute timeout", ErrorStyle::kPlain, run->options);
      return false;
    }
    std::string err;
    if (!bind_params(s, run->stmt.params, &run->param_start, &err)) {
      write_error_result(run->w, err, ErrorStyle::kPlain, run->options);
      return false;
    }
    // One step, as the Go driver's Exec does: all of a write's changes happen in the first step.
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      write_error_result(run->w, run->error_text(rc, false), ErrorStyle::kPlain, run->options);
      return false;
    }
  }
  write_exec_result(run->w, sqlite3_last_insert_rowid(conn_->db()), sqlite3_changes64(conn_->db()),
                    run->elapsed(), run->options);
  return true;
}

bool Executor::run_query_statement(StatementRun* run) {
  bool ran_any = false;
  for (;;) {
    sqlite3_stmt* s = nullptr;
    int rc = run->next(&s);
    if (rc != SQLITE_OK) {
      write_error_result(run->w, run->error_text(rc, true), run->prepare_error_style, run->options);
      return false;
    }
    if (s == nullptr) {
      break;
    }
    ran_any = true;
    if (run->read_path && !statement_reads_only(s)) {
      write_error_result(run->w, kWriteViaQuery, ErrorStyle::kQuery, run->options);
      return false;
    }
    if (conn_->deadline_passed()) {
      write_error_result(run->w, "query timeout", ErrorStyle::kQuery, run->options);
      return false;
    }
    std::string err;
    if (!bind_params(s, run->stmt.params, &run->param_start, &err)) {
      write_error_result(run->w, err, ErrorStyle::kQuery, run->options);
      return false;
    }
    if (run->is_last()) {
      core::JsonWriter::Mark mark = run->w->mark();
      RowsError rows_error;
      if (write_query_result(run->w, s, run->options, run->start_ns, &rows_error)) {
        return true;
      }
      run->w->rewind(mark);
      std::string message = rows_error.code == SQLITE_INTERRUPT && conn_->deadline_passed()
                                ? std::string("query timeout")
                                : rows_error.message;
      write_error_result(run->w, message, ErrorStyle::kQuery, run->options);
      return false;
    }
    // Not the last statement of the string: run it, its rows are not reported.
    do {
      rc = sqlite3_step(s);
    } while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE) {
      write_error_result(run->w, run->error_text(rc, true), ErrorStyle::kQuery, run->options);
      return false;
    }
  }
  (void)ran_any;
  // Nothing but whitespace or comments: an empty query result.
  run->w->begin_object();
  if (run->options.associative) {
    run->w->key("rows");
    run->w->begin_array();
    run->w->end_array();
  }
  run->w->end_object();
  return true;
}

void Executor::begin_shared_read() {
  if (!shared_read_ && sqlite3_get_autocommit(conn_->db()) != 0) {
    shared_read_ = conn_->exec("BEGIN") == SQLITE_OK;
  }
}

void Executor::end_shared_read() {
  if (shared_read_ && sqlite3_get_autocommit(conn_->db()) == 0) {
    conn_->exec("COMMIT");
  }
  shared_read_ = false;
}

void Executor::run_read(Kind kind, const Request& request, const ExecOptions& options,
                        core::JsonWriter* w) {
  if (shared_read_) {
    bool alone = options.transaction;
    for (size_t i = 0; i < request.statements().size() && !alone; ++i) {
      alone = needs_autocommit(request.statements()[i].sql);
    }
    if (alone) {
      end_shared_read();
    }
  }
  int64_t start = monotonic_ns();
  if (options.db_timeout.count() > 0) {
    conn_->set_deadline(start + options.db_timeout.count());
  }
  bool txn = options.transaction && conn_->exec("BEGIN") == SQLITE_OK;
  ErrorStyle prepare_style = kind == Kind::kRequest ? ErrorStyle::kPlain : ErrorStyle::kQuery;
  for (const Statement& stmt : request.statements()) {
    if (stmt.sql.empty()) {
      continue;
    }
    StatementRun run(conn_, stmt, options, /*read=*/true, prepare_style, w);
    run_query_statement(&run);
  }
  if (txn) {
    conn_->exec("COMMIT");
  }
  if (shared_read_) {
    // Still open unless SQLite rolled it back (an interrupted statement); the request itself
    // cannot have touched it (transaction statements end it before they run).
    shared_read_ = sqlite3_get_autocommit(conn_->db()) == 0;
  } else if (sqlite3_get_autocommit(conn_->db()) == 0) {
    // BEGIN / SAVEPOINT count as read-only statements: never let a request leave a read
    // transaction open on a pooled connection (stale snapshots, blocked checkpoints).
    conn_->exec("ROLLBACK");
  }
  if (options.db_timeout.count() > 0) {
    conn_->set_deadline(0);
  }
}

Executor::WriteOutcome Executor::run_write(Kind kind, const Request& request,
                                           const ExecOptions& options, WriteMode mode,
                                           core::JsonWriter* w) {
  const bool grouped = mode == WriteMode::kGrouped;
  if (options.db_timeout.count() > 0) {
    conn_->set_deadline(monotonic_ns() + options.db_timeout.count());
  }
  if (kind == Kind::kQuery) {
    // A read that goes through the log (level=strong): query semantics on the write connection.
    for (const Statement& stmt : request.statements()) {
      if (!stmt.sql.empty()) {
        StatementRun run(conn_, stmt, options, /*read=*/true, ErrorStyle::kQuery, w);
        run_query_statement(&run);
      }
    }
    if (options.db_timeout.count() > 0) {
      conn_->set_deadline(0);
    }
    return grouped && sqlite3_get_autocommit(conn_->db()) != 0 ? WriteOutcome::kGroupLost
                                                               : WriteOutcome::kDone;
  }
  bool txn =
      options.transaction && conn_->exec(grouped ? "SAVEPOINT uq_request" : "BEGIN") == SQLITE_OK;
  bool failed = false;
  WriteOutcome outcome = WriteOutcome::kDone;
  for (size_t i = 0; i < request.statements().size(); ++i) {
    const Statement& stmt = request.statements()[i];
    if (stmt.sql.empty()) {
      continue;
    }
    bool query_type = i < options.force_query.size() && options.force_query[i];
    StatementRun run(conn_, stmt, options, /*read=*/false, ErrorStyle::kQuery, w);
    bool ok = true;
    bool prepare_failed = false;
    if (kind == Kind::kRequest) {
      // /db/request classifies each statement by its first prepared statement; one that fails to
      // prepare is reported and processing continues even in a transaction (§15 quirk 7).
      int rc = run.next(&run.current);
      if (rc != SQLITE_OK) {
        write_error_result(w, run.error_text(rc, false), ErrorStyle::kPlain, options);
        prepare_failed = true;
      } else {
        run.current_pending = run.current != nullptr;
        query_type = query_type || (run.current != nullptr && statement_reads_only(run.current));
      }
    }
    if (!prepare_failed) {
      ok = query_type ? run_query_statement(&run) : run_exec_statement(&run);
    }
    if (grouped && sqlite3_get_autocommit(conn_->db()) != 0) {
      outcome = WriteOutcome::kGroupLost;  // SQLite rolled back the whole group transaction
      break;
    }
    if (!ok && options.rollback_on_error) {
      conn_->exec("ROLLBACK");
      break;
    }
    if (!ok && txn) {
      failed = true;
      conn_->exec(grouped ? "ROLLBACK TO uq_request; RELEASE uq_request" : "ROLLBACK");
      break;
    }
  }
  if (outcome == WriteOutcome::kDone && txn && !failed) {
    if (grouped) {
      conn_->exec("RELEASE uq_request");
    } else if (conn_->exec("COMMIT") != SQLITE_OK) {
      // rqlite fails the whole request when COMMIT fails: nothing of it persisted.
      commit_error_ = sqlite3_errmsg(conn_->db());
      if (sqlite3_get_autocommit(conn_->db()) == 0) {
        conn_->exec("ROLLBACK");
      }
      outcome = WriteOutcome::kCommitFailed;
    }
  }
  if (!grouped && sqlite3_get_autocommit(conn_->db()) == 0) {
    // The request opened a transaction of its own (explicit BEGIN) and left it open: commit it so
    // the connection is clean for the next request.
    conn_->exec("COMMIT");
  }
  if (options.db_timeout.count() > 0) {
    conn_->set_deadline(0);
  }
  return outcome;
}

void begin_envelope(core::JsonWriter* w) {
  w->begin_object();
  w->key("results");
  w->begin_array();
}

Response finish_envelope(core::JsonWriter* w, std::string* body, const ExecOptions& options,
                         int64_t exec_start_ns) {
  w->end_array();
  if (options.timings) {
    int64_t start = options.start_ns != 0 ? options.start_ns : exec_start_ns;
    double seconds = seconds_since(start, monotonic_ns());
    if (seconds != 0) {
      w->key("time");
      w->value_double(seconds);
    }
  }
  if (options.raft_index != 0) {
    w->key("raft_index");
    w->value_uint(options.raft_index);
  }
  w->end_object();
  if (!w->unsupported_value().empty()) {
    return Response{500, w->unsupported_value() + "\n"};
  }
  return Response{200, std::move(*body)};
}

Response error_envelope(std::string_view message, const ExecOptions& options) {
  std::string body;
  core::JsonWriter w(&body, options.pretty);
  w.begin_object();
  w.key("results");
  w.begin_array();
  w.end_array();
  if (!message.empty()) {
    w.key("error");
    w.value_string(message);
  }
  w.end_object();
  return Response{200, std::move(body), !message.empty()};
}

}  // namespace uq::sql
