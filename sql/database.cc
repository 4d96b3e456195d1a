#include "sql/database.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "core/json_writer.h"
#include "core/log.h"
#include "sql/connection.h"
#include "sql/executor.h"
#include "sql/sql_text.h"

namespace uq::sql {
namespace {

constexpr const char* kReportedPragmas[] = {"busy_timeout", "foreign_keys", "journal_mode",
                                            "synchronous", "wal_autocheckpoint"};

std::vector<std::pair<std::string, std::string>> read_pragmas(Connection* conn) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* name : kReportedPragmas) {
    out.emplace_back(name, conn->pragma_value(name));
  }
  return out;
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Requests that SQLite cannot run inside an enclosing transaction run alone, in autocommit mode.
bool must_run_alone(const Request& request, const ExecOptions& options) {
  // An interrupted write (db_timeout) makes SQLite roll back the enclosing transaction, so timed
  // requests run alone rather than put a whole group at risk.
  if (options.rollback_on_error || options.db_timeout.count() > 0) {
    return true;
  }
  return std::any_of(request.statements.begin(), request.statements.end(),
                     [](const Statement& s) { return needs_autocommit(s.sql); });
}

bool all_read_only(Connection* conn, const Request& request) {
  for (const Statement& stmt : request.statements) {
    std::string_view rest = stmt.sql;
    while (!rest.empty()) {
      sqlite3_stmt* s = nullptr;
      std::string_view tail;
      if (conn->prepare(rest, &s, &tail) != SQLITE_OK) {
        return false;  // fails to prepare: counts as a write (§15 quirk 17)
      }
      rest = tail;
      bool ro = s == nullptr || sqlite3_stmt_readonly(s) != 0 || sqlite3_stmt_isexplain(s) != 0;
      conn->release(s);
      if (!ro) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

struct Database::WriteJob {
  Kind kind;
  Request request;
  ExecOptions options;
  Done done;
  uint64_t index = 0;   // Raft log index, 0 when not from the log
  bool marker = false;  // advances the applied index only
};

struct Database::ReadJob {
  Kind kind;
  Request request;
  ExecOptions options;
  Done done;
  ClassifyDone classify_done;  // set for a classification job
};

// One batch of write jobs on the apply thread: group commit and its recovery.
class Database::ApplyLoop {
 public:
  ApplyLoop(Database* db, std::vector<WriteJob>* jobs)
      : db_(db), conn_(db->writer_.get()), exec_(conn_), jobs_(*jobs), outputs_(jobs->size()) {}

  void run() {
    for (size_t i = 0; i < jobs_.size(); ++i) {
      WriteJob& job = jobs_[i];
      if (job.marker) {
        continue;
      }
      if (must_run_alone(job.request, job.options)) {
        flush_group();
        run_one(i, Executor::WriteMode::kAlone);
        complete(i);
        continue;
      }
      if (!in_group_) {
        if (conn_->exec("BEGIN IMMEDIATE") != SQLITE_OK) {
          run_one(i, Executor::WriteMode::kAlone);
          complete(i);
          continue;
        }
        in_group_ = true;
      }
      if (run_one(i, Executor::WriteMode::kGrouped) == Executor::WriteOutcome::kGroupLost) {
        recover_lost_group(i);
        continue;
      }
      group_.push_back(i);
    }
    flush_group();
  }

 private:
  struct Output {
    std::string body;
    std::optional<core::JsonWriter> writer;
    int64_t start_ns = 0;
    std::string commit_error;  // non-empty: answer with an error envelope instead
  };

  Executor::WriteOutcome run_one(size_t i, Executor::WriteMode mode) {
    WriteJob& job = jobs_[i];
    Output& out = outputs_[i];
    out.body.clear();
    out.writer.emplace(&out.body, job.options.pretty);
    out.start_ns = monotonic_ns();
    out.commit_error.clear();
    begin_envelope(&*out.writer);
    Executor::WriteOutcome outcome =
        exec_.run_write(job.kind, job.request, job.options, mode, &*out.writer);
    if (outcome == Executor::WriteOutcome::kCommitFailed) {
      out.commit_error = exec_.commit_error();
    }
    return outcome;
  }

  void complete(size_t i) {
    Output& out = outputs_[i];
    Response response =
        out.commit_error.empty()
            ? finish_envelope(&*out.writer, &out.body, jobs_[i].options, out.start_ns)
            : error_envelope(out.commit_error, jobs_[i].options);
    db_->writes_applied_.fetch_add(1, std::memory_order_relaxed);
    if (jobs_[i].done) {
      jobs_[i].done(std::move(response));
    }
  }

  // SQLite rolled back the group transaction while running request `lost`: everything grouped
  // so far is gone. Re-run those requests and then `lost` one by one in autocommit mode, exactly
  // as rqlite would have run them.
  void recover_lost_group(size_t lost) {
    UQ_WARN("sql: group transaction rolled back by SQLite; re-running %zu request(s) alone",
            group_.size() + 1);
    db_->group_recoveries_.fetch_add(1, std::memory_order_relaxed);
    in_group_ = false;
    group_.push_back(lost);
    for (size_t i : group_) {
      run_one(i, Executor::WriteMode::kAlone);
      complete(i);
    }
    group_.clear();
  }

  void flush_group() {
    if (!in_group_) {
      return;
    }
    in_group_ = false;
    if (conn_->exec("COMMIT") != SQLITE_OK) {
      UQ_WARN("sql: group COMMIT failed (%s); re-running %zu request(s) alone",
              sqlite3_errmsg(conn_->db()), group_.size());
      if (sqlite3_get_autocommit(conn_->db()) == 0) {
        conn_->exec("ROLLBACK");
      }
      db_->group_recoveries_.fetch_add(1, std::memory_order_relaxed);
      for (size_t i : group_) {
        run_one(i, Executor::WriteMode::kAlone);
      }
    } else {
      db_->group_commits_.fetch_add(1, std::memory_order_relaxed);
    }
    for (size_t i : group_) {
      complete(i);
    }
    group_.clear();
  }

  Database* db_;
  Connection* conn_;
  Executor exec_;
  std::vector<WriteJob>& jobs_;
  std::vector<Output> outputs_;
  std::vector<size_t> group_;
  bool in_group_ = false;
};

Database::Database(const DatabaseOptions& options) : options_(options) {}

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& options) {
  std::unique_ptr<Database> db(new Database(options));
  ConnectionOptions co;
  co.path = options.path;
  co.foreign_keys = options.foreign_keys;
  co.synchronous_full = options.fsync_on_commit;
  co.wal_autocheckpoint = 0;
  auto writer = Connection::open(co);
  if (!writer.is_ok()) {
    return writer.status();
  }
  db->writer_ = std::move(writer.value());
  db->page_size_ =
      std::max<int64_t>(512, std::atoll(db->writer_->pragma_value("page_size").c_str()));
  // Installed after wal_autocheckpoint=0 (which replaces any hook): we checkpoint ourselves.
  sqlite3_wal_hook(db->writer_->db(), &Database::on_wal_commit, db.get());
  db->rw_pragmas_ = read_pragmas(db->writer_.get());

  co.read_only = true;
  co.wal_autocheckpoint = 1000;
  int readers = std::max(1, std::min(options.reader_threads, options.max_readers));
  for (int i = 0; i < readers; ++i) {
    auto reader = Connection::open(co);
    if (!reader.is_ok()) {
      return reader.status();
    }
    db->readers_.push_back(std::move(reader.value()));
  }
  db->ro_pragmas_ = read_pragmas(db->readers_[0].get());

  db->apply_thread_ = std::thread([d = db.get()] { d->apply_main(); });
  for (auto& reader : db->readers_) {
    db->reader_threads_.emplace_back([d = db.get(), c = reader.get()] { d->reader_main(c); });
  }
  return db;
}

Database::~Database() {
  close();
}

void Database::close() {
  std::call_once(close_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      write_closing_ = true;
    }
    write_cv_.notify_all();
    if (apply_thread_.joinable()) {
      apply_thread_.join();
    }
    {
      std::lock_guard<std::mutex> lock(read_mu_);
      read_closing_ = true;
    }
    read_cv_.notify_all();
    for (auto& t : reader_threads_) {
      t.join();
    }
    if (writer_ != nullptr) {
      sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                nullptr);
    }
  });
}

bool Database::submit_write(Kind kind, Request&& request, ExecOptions&& options, Done done) {
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (write_closing_ || write_queue_.size() >= options_.apply_queue_capacity) {
      return false;
    }
    write_queue_.push_back(WriteJob{kind, std::move(request), std::move(options), std::move(done)});
  }
  write_cv_.notify_one();
  return true;
}

void Database::submit_committed(uint64_t index, Kind kind, Request&& request, ExecOptions&& options,
                                Done done) {
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (write_closing_) {
      return;  // shutting down: the entry is in the log and is applied again after restart
    }
    write_queue_.push_back(
        WriteJob{kind, std::move(request), std::move(options), std::move(done), index, false});
  }
  write_cv_.notify_one();
}

void Database::submit_marker(uint64_t index) {
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (write_closing_) {
      return;
    }
    write_queue_.push_back(WriteJob{Kind::kExecute, {}, {}, nullptr, index, true});
  }
  write_cv_.notify_one();
}

bool Database::submit_read(Kind kind, Request&& request, ExecOptions&& options, Done done) {
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    if (read_closing_ || read_queue_.size() >= options_.apply_queue_capacity) {
      return false;
    }
    read_queue_.push_back(
        ReadJob{kind, std::move(request), std::move(options), std::move(done), nullptr});
  }
  read_cv_.notify_one();
  return true;
}

bool Database::submit_classify(Request&& request, ClassifyDone done) {
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    if (read_closing_ || read_queue_.size() >= options_.apply_queue_capacity) {
      return false;
    }
    read_queue_.push_back(
        ReadJob{Kind::kRequest, std::move(request), ExecOptions{}, nullptr, std::move(done)});
  }
  read_cv_.notify_one();
  return true;
}

void Database::apply_main() {
  std::vector<WriteJob> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(write_mu_);
      write_cv_.wait(lock, [this] { return !write_queue_.empty() || write_closing_; });
      if (write_queue_.empty()) {
        return;  // closing and drained
      }
      size_t n = std::min(write_queue_.size(), options_.group_max_requests);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(write_queue_.front()));
        write_queue_.pop_front();
      }
    }
    ApplyLoop(this, &batch).run();
    uint64_t applied = 0;
    for (const WriteJob& job : batch) {
      applied = std::max(applied, job.index);
    }
    batch.clear();
    if (applied > 0) {
      applied_index_.store(applied, std::memory_order_release);
      if (applied_hook_) {
        applied_hook_(applied);
      }
    }
    maybe_checkpoint();
  }
}

void Database::reader_main(Connection* conn) {
  Executor exec(conn);
  std::vector<ReadJob> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(read_mu_);
      read_cv_.wait(lock, [this] { return !read_queue_.empty() || read_closing_; });
      if (read_queue_.empty()) {
        return;
      }
      // Take this reader's share of what is waiting in one go: one lock and at most one wake-up
      // per batch instead of per request, while the other readers still get work.
      size_t share = std::max<size_t>(1, read_queue_.size() / readers_.size());
      for (size_t i = 0; i < share; ++i) {
        batch.push_back(std::move(read_queue_.front()));
        read_queue_.pop_front();
      }
    }
    for (ReadJob& job : batch) {
      run_read_job(&exec, conn, &job);
    }
    batch.clear();
  }
}

void Database::run_read_job(Executor* exec, Connection* conn, ReadJob* job) {
  if (job->classify_done) {
    bool ro = all_read_only(conn, job->request);
    job->classify_done(std::move(job->request), ro);
    return;
  }
  std::string body;
  core::JsonWriter w(&body, job->options.pretty);
  int64_t start = monotonic_ns();
  begin_envelope(&w);
  exec->run_read(job->kind, job->request, job->options, &w);
  Response response = finish_envelope(&w, &body, job->options, start);
  reads_served_.fetch_add(1, std::memory_order_relaxed);
  job->done(std::move(response));
}

int Database::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  static_cast<Database*>(self)->wal_pages_.store(pages, std::memory_order_relaxed);
  return SQLITE_OK;
}

void Database::maybe_checkpoint() {
  int64_t wal_bytes = wal_pages_.load(std::memory_order_relaxed) * page_size_;
  if (wal_bytes < kCheckpointBytes) {
    return;
  }
  // PASSIVE never waits for readers; once everything is backfilled the next write restarts the
  // WAL from its beginning. If readers keep it from ever finishing, TRUNCATE (which waits up to
  // busy_timeout for them) bounds the file.
  int mode = wal_bytes >= kTruncateCheckpointBytes ? SQLITE_CHECKPOINT_TRUNCATE
                                                   : SQLITE_CHECKPOINT_PASSIVE;
  int log_frames = 0;
  int done_frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, mode, &log_frames, &done_frames);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    UQ_WARN("sql: checkpoint failed: %s", sqlite3_errmsg(writer_->db()));
  }
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  if (mode == SQLITE_CHECKPOINT_TRUNCATE && rc == SQLITE_OK) {
    wal_pages_.store(0, std::memory_order_relaxed);
  }
}

DatabaseStats Database::stats() const {
  DatabaseStats s;
  s.sqlite_version = sqlite3_libversion();
  s.path = options_.path;
  s.db_size_bytes = file_size(options_.path);
  s.wal_size_bytes = file_size(options_.path + "-wal");
  s.rw_pragmas = rw_pragmas_;
  s.ro_pragmas = ro_pragmas_;
  s.applied_requests = writes_applied_.load(std::memory_order_relaxed);
  s.reads_served = reads_served_.load(std::memory_order_relaxed);
  s.group_commits = group_commits_.load(std::memory_order_relaxed);
  s.group_recoveries = group_recoveries_.load(std::memory_order_relaxed);
  s.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace uq::sql
