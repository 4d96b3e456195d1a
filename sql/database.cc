#include "sql/database.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/json_writer.h"
#include "core/log.h"
#include "core/spin.h"
#include "sql/connection.h"
#include "sql/executor.h"
#include "sql/snapshot.h"
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
  return std::any_of(request.statements().begin(), request.statements().end(),
                     [](const Statement& s) { return needs_autocommit(s.sql); });
}

bool all_read_only(Connection* conn, const Request& request) {
  for (const Statement& stmt : request.statements()) {
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

// The file behind a database path: options.path may be a URI ("file:/dir/db.sqlite?vfs=x").
std::string file_of(const std::string& path) {
  if (path.compare(0, 5, "file:") != 0) {
    return path;
  }
  return path.substr(5, path.find_first_of("?#") - 5);
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A read-only URI for `path` with immutable=1: SQLite takes no locks and creates no -wal or -shm
// beside a file that is about to be renamed into place.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// The checks a candidate file passes before it may replace the database: the SQLite header, its
// XXH3 when the caller knows it, and PRAGMA integrity_check.
Status verify_database_file(const std::string& path, uint64_t expected_checksum) {
  static constexpr char kHeader[] = "SQLite format 3";  // 16 bytes with its NUL
  char header[sizeof(kHeader)] = {};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return error(Code::kIoError, "open " + path + ": " + std::strerror(errno));
  }
  ssize_t n = ::pread(fd, header, sizeof(header), 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(header)) || std::memcmp(header, kHeader, sizeof(header))) {
    return error(Code::kCorruption, path + ": not a SQLite database (bad header)");
  }
  if (expected_checksum != 0) {
    auto digest = digest_file(path, /*fsync_file=*/false);
    if (!digest.is_ok()) {
      return digest.status();
    }
    if (digest->checksum != expected_checksum) {
      return error(Code::kCorruption, path + ": checksum mismatch");
    }
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(immutable_uri(path).c_str(), &db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  std::string verdict;
  if (rc == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    // The first row is "ok" or the first problem found.
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      verdict = text != nullptr ? reinterpret_cast<const char*>(text) : "";
      rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
  }
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  sqlite3_close_v2(db);
  if (rc != SQLITE_OK) {
    return error(Code::kCorruption, path + ": integrity_check failed: " + message);
  }
  if (verdict != "ok") {
    return error(Code::kCorruption, path + ": integrity_check: " + verdict);
  }
  return Status::ok();
}

}  // namespace

struct Database::WriteJob {
  Kind kind;
  Request request;
  ExecOptions options;
  Done done;
  uint64_t index = 0;   // Raft log index, 0 when not from the log
  bool marker = false;  // advances the applied index only
  // Set for a control job (snapshot, restore): runs alone on the apply thread between batches.
  std::function<void()> control;
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
    // Committed: the applied index covers it before anyone hears the answer, so a request sent
    // after this answer (a snapshot, a read waiting for its index) counts this write as applied.
    uint64_t index = jobs_[i].index;
    if (index > db_->applied_index_.load(std::memory_order_relaxed)) {
      db_->applied_index_.store(index, std::memory_order_release);
    }
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
  UQ_RETURN_IF_ERROR(db->open_connections());
  db->rw_pragmas_ = read_pragmas(db->writer_.get());
  db->ro_pragmas_ = read_pragmas(db->readers_[0].get());

  db->apply_thread_ = std::thread([d = db.get()] { d->apply_main(); });
  for (size_t i = 0; i < db->readers_.size(); ++i) {
    db->reader_threads_.emplace_back([d = db.get(), i] { d->reader_main(i); });
  }
  return db;
}

// Opens the writer and the readers. At open(), and on the apply thread during a restore while
// the readers are paused (readers_ keeps its size: slot i belongs to reader thread i).
Status Database::open_connections() {
  ConnectionOptions co;
  co.path = options_.path;
  co.foreign_keys = options_.foreign_keys;
  co.synchronous_full = options_.fsync_on_commit;
  co.wal_autocheckpoint = 0;
  auto writer = Connection::open(co);
  if (!writer.is_ok()) {
    return writer.status();
  }
  writer_ = std::move(writer.value());
  page_size_ = std::max<int64_t>(512, std::atoll(writer_->pragma_value("page_size").c_str()));
  // Installed after wal_autocheckpoint=0 (which replaces any hook): we checkpoint ourselves.
  sqlite3_wal_hook(writer_->db(), &Database::on_wal_commit, this);

  co.read_only = true;
  co.wal_autocheckpoint = 1000;
  size_t readers =
      static_cast<size_t>(std::max(1, std::min(options_.reader_threads, options_.max_readers)));
  readers_.resize(readers);
  for (size_t i = 0; i < readers; ++i) {
    auto reader = Connection::open(co);
    if (!reader.is_ok()) {
      return reader.status();
    }
    readers_[i] = std::move(reader.value());
  }
  return Status::ok();
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
    if (snapshot_thread_.joinable()) {
      snapshot_thread_.join();  // its read transaction would hold the final checkpoint back
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
  return enqueue_read(
      ReadJob{kind, std::move(request), std::move(options), std::move(done), nullptr});
}

bool Database::submit_classify(Request&& request, ClassifyDone done) {
  return enqueue_read(
      ReadJob{Kind::kRequest, std::move(request), ExecOptions{}, nullptr, std::move(done)});
}

bool Database::enqueue_read(ReadJob&& job) {
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    if (read_closing_ || read_queue_.size() >= options_.apply_queue_capacity) {
      return false;
    }
    read_queue_.push_back(std::move(job));
  }
  // Counted after the unlock, so a polling reader that sees it finds read_mu_ free instead of
  // sleeping on it (a futex wait and wake, the very cost the poll avoids).
  reads_queued_.fetch_add(1, std::memory_order_seq_cst);
  // A reader that polls for work (poll_for_reads) finds it without a futex wake-up. If it stops
  // polling meanwhile it takes read_mu_ before it waits, so it sees this job or, having stored
  // false before that, makes us see false here and notify.
  if (!reader_polling_.load(std::memory_order_seq_cst)) {
    read_cv_.notify_one();
  }
  return true;
}

void Database::poll_for_reads(core::HandoffPoller* poller) {
  if (!poller->enabled() || reads_queued_.load(std::memory_order_relaxed) > 0 ||
      reader_polling_.exchange(true, std::memory_order_seq_cst)) {
    return;  // work is waiting, polling is off, or another reader polls already
  }
  poller->poll([this] { return reads_queued_.load(std::memory_order_relaxed) > 0; });
  reader_polling_.store(false, std::memory_order_seq_cst);
}

void Database::apply_main() {
  std::vector<WriteJob> batch;
  std::function<void()> control;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(write_mu_);
      write_cv_.wait(lock, [this] { return !write_queue_.empty() || write_closing_; });
      if (write_queue_.empty()) {
        return;  // closing and drained
      }
      if (write_queue_.front().control) {
        control = std::move(write_queue_.front().control);
        write_queue_.pop_front();
      } else {
        // A batch ends before a control job, so the job sees exactly the writes queued before it.
        size_t n = std::min(write_queue_.size(), options_.group_max_requests);
        for (size_t i = 0; i < n && !write_queue_.front().control; ++i) {
          batch.push_back(std::move(write_queue_.front()));
          write_queue_.pop_front();
        }
      }
    }
    if (control) {
      control();
      control = nullptr;
      continue;
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

void Database::reader_main(size_t reader) {
  std::vector<ReadJob> batch;
  core::HandoffPoller poller(std::chrono::microseconds(options_.reader_spin_us));
  for (;;) {
    // A read that arrives within reader_spin_us of the last one (a client reading in a loop) is
    // picked up without a sleep and a wake-up, which on this kind of VM cost more than the read.
    poll_for_reads(&poller);
    Connection* conn = nullptr;
    {
      std::unique_lock<std::mutex> lock(read_mu_);
      read_cv_.wait(lock,
                    [this] { return !readers_paused_ && (!read_queue_.empty() || read_closing_); });
      if (read_queue_.empty()) {
        return;
      }
      // Taken under read_mu_: a restore replaces the connection only while readers are paused.
      conn = readers_[reader].get();
      ++readers_busy_;
      // Take this reader's share of what is waiting in one go: one lock and at most one wake-up
      // per batch instead of per request, while the other readers still get work.
      size_t share = std::max<size_t>(1, read_queue_.size() / readers_.size());
      for (size_t i = 0; i < share; ++i) {
        batch.push_back(std::move(read_queue_.front()));
        read_queue_.pop_front();
      }
      reads_queued_.fetch_sub(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
      if (!read_queue_.empty()) {
        // The rest is another reader's, and enqueue_read may not have woken one.
        read_cv_.notify_one();
      }
    }
    Executor exec(conn);
    // The jobs taken together share one read transaction (one WAL read lock instead of one per
    // request); each still sees everything committed before it was queued.
    if (batch.size() > 1) {
      exec.begin_shared_read();
    }
    for (ReadJob& job : batch) {
      run_read_job(&exec, conn, &job);
    }
    exec.end_shared_read();
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(read_mu_);
      if (--readers_busy_ == 0 && readers_paused_) {
        readers_idle_cv_.notify_all();
      }
    }
  }
}

void Database::run_read_job(Executor* exec, Connection* conn, ReadJob* job) {
  if (job->classify_done) {
    // Classification borrows the thread for other work too (a backup copy runs for seconds):
    // no read transaction may stay open meanwhile, or the WAL could not be checkpointed.
    exec->end_shared_read();
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
  // A snapshot copy pins its read transaction for as long as it runs: TRUNCATE would wait for it
  // on every batch, so the WAL is left to grow until the copy ends.
  bool truncate =
      wal_bytes >= kTruncateCheckpointBytes && !snapshot_copying_.load(std::memory_order_acquire);
  int mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE;
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

bool Database::submit_control(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (write_closing_) {
      return false;
    }
    WriteJob w{Kind::kExecute, {}, {}, nullptr, 0, false};
    w.control = std::move(job);
    write_queue_.push_back(std::move(w));
  }
  write_cv_.notify_one();
  return true;
}

void Database::submit_snapshot(std::string path, std::function<void(Result<SnapshotResult>)> done) {
  auto shared_done = std::make_shared<SnapshotDone>(std::move(done));
  bool queued = submit_control([this, path, shared_done] { start_snapshot(path, *shared_done); });
  if (!queued) {
    (*shared_done)(error(Code::kUnavailable, "database is closed"));
  }
}

void Database::submit_restore(std::string path, uint64_t index, uint64_t expected_checksum,
                              std::function<void(Status)> done) {
  auto shared_done = std::make_shared<std::function<void(Status)>>(std::move(done));
  bool queued = submit_control([this, path, index, expected_checksum, shared_done] {
    (*shared_done)(restore_from(path, index, expected_checksum));
  });
  if (!queued) {
    (*shared_done)(error(Code::kUnavailable, "database is closed"));
  }
}

namespace {

// On the snapshot thread: the pinned read transaction's pages go to `path` with the online backup
// API in one step, so the copy is exactly that transaction's view.
Result<SnapshotResult> copy_pinned(sqlite3* source, const std::string& path, uint64_t index) {
  sqlite3* dest = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &dest,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
    if (backup == nullptr) {
      rc = sqlite3_errcode(dest);
    } else {
      rc = sqlite3_backup_step(backup, -1);
      int finished = sqlite3_backup_finish(backup);
      rc = rc == SQLITE_DONE ? finished : rc;
    }
  }
  if (rc == SQLITE_OK) {
    // The copied header says WAL; a snapshot is one self-contained file in rollback-journal mode.
    rc = sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  }
  std::string message = dest != nullptr ? sqlite3_errmsg(dest) : sqlite3_errstr(rc);
  int closed = sqlite3_close_v2(dest);
  Status status;
  if (rc != SQLITE_OK || closed != SQLITE_OK) {
    status = error(Code::kIoError, "snapshot " + path + ": backup: " + message);
  }
  Result<FileDigest> digest = FileDigest{};
  if (status.is_ok()) {
    digest = digest_file(path, /*fsync_file=*/true);
    status = digest.is_ok() ? fsync_dir(dir_of(path)) : digest.status();
  }
  if (!status.is_ok()) {
    ::unlink(path.c_str());
    for (const char* suffix : {"-journal", "-wal", "-shm"}) {
      ::unlink((path + suffix).c_str());
    }
    return status;
  }
  return SnapshotResult{index, digest->bytes, digest->checksum};
}

}  // namespace

// On the apply thread between batches: no transaction is open, so a read transaction begun now
// sees exactly the state at applied_index(). The copy itself runs on the snapshot thread inside
// that read transaction (WAL mode keeps it stable while the apply thread goes on writing).
void Database::start_snapshot(const std::string& path, SnapshotDone done) {
  if (snapshot_thread_.joinable()) {
    snapshot_thread_.join();  // the store takes one at a time: the last one has finished
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    done(error(Code::kInvalidArgument, "snapshot " + path + ": file exists"));
    return;
  }
  ConnectionOptions co;
  co.path = options_.path;
  co.read_only = true;
  auto source = Connection::open(co);
  if (!source.is_ok()) {
    done(source.status());
    return;
  }
  // BEGIN is deferred: the read transaction (and the WAL position it sees) starts at the first
  // read.
  std::shared_ptr<Connection> pinned = std::move(source.value());
  int rc = pinned->exec("BEGIN");
  if (rc == SQLITE_OK) {
    rc = pinned->exec("SELECT count(*) FROM sqlite_schema");
  }
  if (rc != SQLITE_OK) {
    done(error(Code::kIoError,
               "snapshot: begin read: " + std::string(sqlite3_errmsg(pinned->db()))));
    return;
  }
  uint64_t index = applied_index_.load(std::memory_order_acquire);
  snapshot_copying_.store(true, std::memory_order_release);
  snapshot_thread_ = std::thread([this, pinned, path, index, done = std::move(done)]() mutable {
    if (options_.before_snapshot_copy) {
      options_.before_snapshot_copy();
    }
    Result<SnapshotResult> taken = copy_pinned(pinned->db(), path, index);
    pinned.reset();  // ends the read transaction
    snapshot_copying_.store(false, std::memory_order_release);
    done(std::move(taken));
  });
}

Status Database::restore_from(const std::string& path, uint64_t index, uint64_t expected_checksum) {
  std::string db_file = file_of(options_.path);
  if (path == db_file) {
    return error(Code::kInvalidArgument, "restore from the database file itself");
  }
  UQ_RETURN_IF_ERROR(verify_database_file(path, expected_checksum));
  if (snapshot_thread_.joinable()) {
    snapshot_thread_.join();  // its connection must not outlive the file it copies
  }
  pause_readers();
  Status swapped = swap_in_file(path);
  Status reopened = open_connections();
  // After a successful rename the old database is gone: there is nothing left to serve.
  UQ_CHECK(reopened.is_ok(), "reopen %s after restore: %s", options_.path.c_str(),
           reopened.to_string().c_str());
  if (swapped.is_ok()) {
    wal_pages_.store(0, std::memory_order_relaxed);
    applied_index_.store(index, std::memory_order_release);
  }
  resume_readers();
  if (!swapped.is_ok()) {
    return swapped;
  }
  UQ_INFO("sql: restored %s from %s at index %llu", options_.path.c_str(), path.c_str(),
          static_cast<unsigned long long>(index));
  if (applied_hook_) {
    applied_hook_(index);
  }
  return Status::ok();
}

// Closes every connection and renames `path` over the database file. On failure the old file
// is still in place (the rename is the last step that can fail), ready to be reopened.
Status Database::swap_in_file(const std::string& path) {
  for (auto& reader : readers_) {
    reader.reset();
  }
  // The last connection to close checkpoints the WAL into the old file and deletes it.
  writer_.reset();
  std::string db_file = file_of(options_.path);
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string side = db_file + suffix;
    if (::unlink(side.c_str()) != 0 && errno != ENOENT) {
      return error(Code::kIoError, "unlink " + side + ": " + std::strerror(errno));
    }
  }
  if (::rename(path.c_str(), db_file.c_str()) != 0) {
    return error(Code::kIoError, "rename " + path + " to " + db_file + ": " + std::strerror(errno));
  }
  // From here the new file is the database, whatever else fails.
  Status synced = fsync_dir(dir_of(db_file));
  if (!synced.is_ok()) {
    UQ_WARN("sql: restore: %s (the rename may not survive a crash)", synced.to_string().c_str());
  }
  return Status::ok();
}

void Database::pause_readers() {
  std::unique_lock<std::mutex> lock(read_mu_);
  readers_paused_ = true;
  readers_idle_cv_.wait(lock, [this] { return readers_busy_ == 0; });
}

void Database::resume_readers() {
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    readers_paused_ = false;
  }
  read_cv_.notify_all();
}

}  // namespace uq::sql
