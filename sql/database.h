// sql/database.h — the SQLite state machine: one apply thread (the only writer) and a pool of
// reader threads with read-only connections (WAL mode lets them read while the writer writes).
//
// Owns: the database file's connections and threads, the bounded write and read queues, group
// commit (many write requests in one SQLite transaction, a SAVEPOINT per `transaction` request so
// each keeps its own atomicity; COMMIT once; every `done` runs after COMMIT returns, i.e. once the
// writes are durable), WAL checkpoints (the writer's automatic checkpoint is off, as in rqlite; the
// apply thread checkpoints between batches when the WAL grows past kCheckpointBytes).
// Thread: every public method is thread-safe. `done` callbacks run on the apply thread (writes) or
// a reader thread (reads, classification): they must be quick and must not call back into the
// Database synchronously in a way that waits for it.
// Snapshots and restore (submit_snapshot, submit_restore) are control jobs in the write queue:
// they run on the apply thread between batches, so a copy holds exactly the state at
// applied_index() (a snapshot pins it there and copies on its own thread while writes go on)
// and a restore takes effect before any write queued after it. A restore pauses
// the readers (reads queued meanwhile wait and run against the new data), closes every
// connection, renames the verified file over the database and reopens with the same options.
// Errors: SQL errors are inside the response body; open() fails with kIoError if a connection
// cannot be opened or configured. If SQLite rolls back a group transaction on its own (e.g. ON
// CONFLICT ROLLBACK, I/O error at COMMIT) the affected requests are re-run one by one in
// autocommit mode, so no request's effect is lost and each result is what rqlite gives alone.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "sql/exec_options.h"
#include "sql/request.h"

struct sqlite3;

namespace uq::core {
class HandoffPoller;
}

namespace uq::sql {

class Connection;
class Executor;

// What submit_snapshot wrote: the applied index the copy holds, its size and XXH3 (kSnapshot).
struct SnapshotResult {
  uint64_t index;
  uint64_t bytes;
  uint64_t checksum;
};

struct DatabaseOptions {
  std::string path;
  bool foreign_keys = false;
  int max_readers = 256;
  int reader_threads = 2;
  size_t apply_queue_capacity = 65536;
  // synchronous=FULL on the writer, when the SQLite commit is the durability point (tests of
  // this module alone). false = synchronous=OFF, as rqlite: durability comes from the Raft log,
  // which a node replays into a fresh database when it restarts.
  bool fsync_on_commit = true;
  // Upper bound on write requests grouped into one SQLite transaction.
  size_t group_max_requests = 1024;
  // After a batch of reads, one reader polls this long for the next before it sleeps (0 = never):
  // a wake-up costs tens of microseconds on this kind of VM, more than a point query takes.
  unsigned reader_spin_us = 100;
  // Tests: runs on the snapshot thread after the state is pinned, before the copy starts.
  std::function<void()> before_snapshot_copy;
};

// For /status (spec §6.1): values are strings as rqlite reports them.
struct DatabaseStats {
  std::string sqlite_version;
  std::string path;
  int64_t db_size_bytes = 0;
  int64_t wal_size_bytes = 0;
  // busy_timeout, foreign_keys, journal_mode, synchronous, wal_autocheckpoint
  std::vector<std::pair<std::string, std::string>> rw_pragmas;
  std::vector<std::pair<std::string, std::string>> ro_pragmas;
  uint64_t applied_requests = 0;  // write requests completed
  uint64_t reads_served = 0;      // read requests completed
  uint64_t group_commits = 0;     // SQLite COMMITs of grouped requests
  uint64_t group_recoveries = 0;  // groups re-run request by request
  uint64_t checkpoints = 0;
};

class Database {
 public:
  using Done = std::function<void(Response&&)>;
  using ClassifyDone = std::function<void(Request&&, bool all_read_only)>;

  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Queue a request. Never blocks; returns false (and does not call `done`) when the bounded
  // queue is full or the database is closed. submit_write takes kExecute, kRequest (with writes)
  // and kQuery (a strong read through the log: query semantics, writes refused); submit_read
  // takes kQuery and all-read-only kRequest.
  bool submit_write(Kind kind, Request&& request, ExecOptions&& options, Done done);
  // A committed Raft log entry, in log order: never refused (Raft's own flow control bounds how
  // many wait). `done` may be empty (a replica that does not answer the client). A marker (no
  // statements: a no-op or configuration entry) only advances applied_index().
  void submit_committed(uint64_t index, Kind kind, Request&& request, ExecOptions&& options,
                        Done done);
  void submit_marker(uint64_t index);
  // The highest log index whose entry is applied and committed to SQLite (0 before any).
  uint64_t applied_index() const { return applied_index_.load(std::memory_order_acquire); }
  // Before the first submit: the opened file already holds the log up to `index` (a database
  // kept across a clean shutdown).
  void set_initial_applied_index(uint64_t index) {
    applied_index_.store(index, std::memory_order_release);
  }
  // Called on the apply thread after each batch with the new applied_index(); set before the
  // first submit_committed and not changed afterwards.
  void set_applied_hook(std::function<void(uint64_t)> hook) { applied_hook_ = std::move(hook); }
  bool submit_read(Kind kind, Request&& request, ExecOptions&& options, Done done);
  // Runs on a reader: are all statements read-only (sqlite3_stmt_readonly; EXPLAIN counts as a
  // read; a statement that fails to prepare counts as a write, §15 quirk 17)?
  bool submit_classify(Request&& request, ClassifyDone done);

  // Queued behind the writes already submitted. On the apply thread between batches it begins a
  // read transaction on a fresh read-only connection, which pins the state at applied_index();
  // the snapshot thread then copies that state to `path` (online backup API, one step; the file
  // is left in rollback-journal mode and must not exist yet), fdatasyncs it and its directory,
  // computes its XXH3 (kSnapshot) and calls done with that index — or an error (the file is
  // removed). Writes go on meanwhile; only TRUNCATE checkpoints wait until the copy ends. One
  // copy at a time: a second submit waits on the apply thread for the first to finish. Once the
  // database is closed, done(kUnavailable) runs at once on the calling thread; otherwise done
  // runs on the snapshot thread (errors found before the copy starts: on the apply thread).
  using SnapshotDone = std::function<void(Result<SnapshotResult>)>;
  void submit_snapshot(std::string path, SnapshotDone done);
  // Queued behind the writes already submitted. Replaces the database with the file at `path`
  // and sets applied_index() to `index`. The file is verified first (SQLite header, PRAGMA
  // integrity_check == "ok" on a read-only immutable open, and its XXH3 when
  // expected_checksum != 0); then the readers finish what they run and wait, every connection is
  // closed, the -wal and -shm files are deleted, `path` is renamed over the database file (so it
  // is consumed: pass a copy of a file you keep; it must be on the same filesystem) and the
  // connections reopen. The applied hook then runs with `index`. done(error) leaves the old
  // database in service with its applied index; a failure to reopen after the rename stops the
  // process (UQ_CHECK), since the node then has no database to serve and must restore at start.
  // done runs on the apply thread.
  void submit_restore(std::string path, uint64_t index, uint64_t expected_checksum,
                      std::function<void(Status)> done);

  // Drains the queues (every accepted request gets its `done`), then joins the threads.
  // Idempotent.
  void close();

  DatabaseStats stats() const;

  static constexpr int64_t kCheckpointBytes = 4 << 20;
  static constexpr int64_t kTruncateCheckpointBytes = 64 << 20;

 private:
  struct WriteJob;
  struct ReadJob;
  class ApplyLoop;

  explicit Database(const DatabaseOptions& options);
  Status open_connections();
  // Queues a control job (snapshot, restore) for the apply thread; false when closing.
  bool submit_control(std::function<void()> job);
  void start_snapshot(const std::string& path, SnapshotDone done);
  Status restore_from(const std::string& path, uint64_t index, uint64_t expected_checksum);
  Status swap_in_file(const std::string& path);
  void pause_readers();
  void resume_readers();
  bool enqueue_read(ReadJob&& job);
  // Reader thread: polls up to reader_spin_us for a queued read, one reader at a time.
  void poll_for_reads(core::HandoffPoller* poller);
  void reader_main(size_t reader);
  void run_read_job(Executor* exec, Connection* conn, ReadJob* job);
  void apply_main();
  void maybe_checkpoint();
  static int on_wal_commit(void* self, ::sqlite3* db, const char* name, int pages);

  DatabaseOptions options_;
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::deque<WriteJob> write_queue_;  // guarded by write_mu_
  bool write_closing_ = false;        // guarded by write_mu_

  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::deque<ReadJob> read_queue_;  // guarded by read_mu_
  // About read_queue_.size() for a polling reader, read without read_mu_: enqueue_read adds after
  // it unlocks, a reader subtracts under the lock, so it may lag (even dip below zero) briefly.
  std::atomic<int64_t> reads_queued_{0};
  std::atomic<bool> reader_polling_{false};  // one reader at a time polls (poll_for_reads)
  bool read_closing_ = false;                // guarded by read_mu_
  // A restore sets readers_paused_ and waits on readers_idle_cv_ until no reader runs a batch
  // (readers_busy_ == 0) before it closes their connections.
  bool readers_paused_ = false;  // guarded by read_mu_
  int readers_busy_ = 0;         // guarded by read_mu_
  std::condition_variable readers_idle_cv_;

  std::thread apply_thread_;
  std::vector<std::thread> reader_threads_;
  // Started by the apply thread, joined by the apply thread (next snapshot, restore) or close().
  std::thread snapshot_thread_;
  std::atomic<bool> snapshot_copying_{false};
  std::once_flag close_once_;

  std::vector<std::pair<std::string, std::string>> rw_pragmas_;
  std::vector<std::pair<std::string, std::string>> ro_pragmas_;
  int64_t page_size_ = 4096;
  std::atomic<int64_t> wal_pages_{0};
  std::atomic<uint64_t> writes_applied_{0};
  std::atomic<uint64_t> reads_served_{0};
  std::atomic<uint64_t> group_commits_{0};
  std::atomic<uint64_t> group_recoveries_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> applied_index_{0};
  std::function<void(uint64_t)> applied_hook_;
};

}  // namespace uq::sql
