// wal/group_commit.h — group commit: many appenders, one write + one fdatasync per round.
//
// GroupCommitter is pure, single-threaded bookkeeping: appenders enqueue AppendRequests (caller
// owned, intrusive, so no allocation per request); the driver starts a round with every queued
// request (up to max_batch_bytes, at least one), writes them as ONE frame and fdatasyncs once,
// then finish_round() calls each request's on_durable() in enqueue order. Up to max_rounds
// rounds may be in flight at once (the disk runs concurrent fdatasyncs side by side, so a round
// need not wait for the one before it to finish); they finish oldest first. A failed round fails
// its requests and every queued one (their indexes follow the failed ones, so they could not be
// appended anyway); younger rounds in flight are finished (failed) by the driver in turn.
// Drivers: SyncGroupDriver (one round at a time, blocking write + fdatasync; tools, tests) and
// UringGroupDriver (per round a linked IORING_OP_WRITE + IORING_OP_FSYNC(DATASYNC) on the
// caller's ring, completed through uq::core::Completion objects it owns). All on the log's
// owner thread.
#pragma once

#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "core/completion.h"
#include "wal/log.h"

struct io_uring;

namespace uq::wal {

// Entries must stay alive and unchanged until on_durable() runs.
class AppendRequest {
 public:
  std::span<const Entry> entries;
  // Called once, on the driver's thread, when the entries are durable (ok) or failed.
  virtual void on_durable(const Status& status) = 0;

 protected:
  ~AppendRequest() = default;

 private:
  friend class GroupCommitter;
  AppendRequest* next_ = nullptr;
};

class GroupCommitter {
 public:
  explicit GroupCommitter(size_t max_batch_bytes = 8u << 20, size_t max_rounds = 1)
      : max_batch_bytes_(max_batch_bytes), max_rounds_(max_rounds) {}

  void enqueue(AppendRequest* request);
  bool has_queued() const { return queued_head_ != nullptr; }
  bool in_flight() const { return !round_heads_.empty(); }
  size_t rounds_in_flight() const { return round_heads_.size(); }
  bool can_start_round() const { return has_queued() && round_heads_.size() < max_rounds_; }
  // Encoded bytes of the first queued request (0 when none): a round takes at least that much.
  size_t front_request_bytes() const;
  // Moves queued requests into the round, at most min(max_batch_bytes, limit_bytes) of encoded
  // entries but always the first request; *entries receives pointers to all their entries.
  void start_round(std::vector<const Entry*>* entries, size_t limit_bytes = SIZE_MAX);
  // Ends the oldest round in flight: on_durable(status) for each of its requests in order; on
  // failure also for every queued request.
  void finish_round(const Status& status);
  uint64_t rounds() const { return rounds_; }

 private:
  static void fail_list(AppendRequest* head, const Status& status);

  size_t max_batch_bytes_;
  size_t max_rounds_;
  AppendRequest* queued_head_ = nullptr;
  AppendRequest* queued_tail_ = nullptr;
  std::deque<AppendRequest*> round_heads_;  // oldest first
  uint64_t rounds_ = 0;
};

// Runs rounds with blocking I/O on the calling thread.
class SyncGroupDriver {
 public:
  SyncGroupDriver(Log* log, GroupCommitter* committer) : log_(log), committer_(committer) {}
  // Runs one round if any request is queued; returns the round's status.
  Status run_round();
  // Runs rounds until nothing is queued.
  void drain();

 private:
  Log* log_;
  GroupCommitter* committer_;
  std::vector<const Entry*> entries_;
};

// Runs rounds on an io_uring owned by the caller, who reaps CQEs and calls
// Completion::complete (user_data is a Completion*). poke() after enqueueing.
class UringGroupDriver {
 public:
  UringGroupDriver(Log* log, GroupCommitter* committer, io_uring* ring);
  // Starts rounds while they can start: encodes each frame and submits its write + fdatasync.
  // A round waits when the committer's max_rounds are in flight, or when its first request does
  // not fit behind the frames in flight (Log::append_room()); a completion pokes again.
  void poke();

 private:
  struct Round;
  class WriteDone final : public core::Completion {
   public:
    WriteDone(UringGroupDriver* d, Round* r) : driver_(d), round_(r) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    UringGroupDriver* driver_;
    Round* round_;
  };
  class SyncDone final : public core::Completion {
   public:
    SyncDone(UringGroupDriver* d, Round* r) : driver_(d), round_(r) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    UringGroupDriver* driver_;
    Round* round_;
  };
  struct Round {
    explicit Round(UringGroupDriver* d) : write_done(d, this), sync_done(d, this) {}
    WriteDone write_done;
    SyncDone sync_done;
    size_t size = 0;
    int completions_left = 0;
    int32_t write_result = 0;
    int32_t sync_result = 0;
    bool reserved = false;  // begin_append placed its frame: end_append must retire it
    Status failure;         // set when the round failed before its I/O was submitted
  };

  bool start_round();
  std::unique_ptr<Round> take_round();
  void on_completion(Round* round);
  void finish_ready();
  static Status write_status(const Round& round);

  Log* log_;
  GroupCommitter* committer_;
  io_uring* ring_;
  std::vector<const Entry*> entries_;
  std::deque<std::unique_ptr<Round>> in_flight_;  // oldest first; addresses stay put
  std::vector<std::unique_ptr<Round>> spare_;
};

}  // namespace uq::wal
