// wal/group_commit.h — group commit: many appenders, one write + one fdatasync per round.
//
// GroupCommitter is pure, single-threaded bookkeeping: appenders enqueue AppendRequests (caller
// owned, intrusive, so no allocation per request) while a round is in flight; the driver starts
// the next round with every queued request (up to max_batch_bytes, at least one), writes them as
// ONE frame and fdatasyncs once, then finish_round() calls each request's on_durable() in
// enqueue order. A failed round fails its requests and every queued one (their indexes follow
// the failed ones, so they could not be appended anyway).
// Drivers: SyncGroupDriver (blocking write + fdatasync; tools, tests) and UringGroupDriver (a
// linked IORING_OP_WRITE + IORING_OP_FSYNC(DATASYNC) on the caller's ring, completed through
// uq::core::Completion objects it embeds). All on the log's owner thread.
#pragma once

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
  explicit GroupCommitter(size_t max_batch_bytes = 8u << 20) : max_batch_bytes_(max_batch_bytes) {}

  void enqueue(AppendRequest* request);
  bool has_queued() const { return queued_head_ != nullptr; }
  bool in_flight() const { return round_head_ != nullptr; }
  bool can_start_round() const { return has_queued() && !in_flight(); }
  // Moves queued requests into the round, at most min(max_batch_bytes, limit_bytes) of encoded
  // entries but always the first request; *entries receives pointers to all their entries.
  void start_round(std::vector<const Entry*>* entries, size_t limit_bytes = SIZE_MAX);
  // Ends the round: on_durable(status) for each of its requests in order; on failure also for
  // every queued request.
  void finish_round(const Status& status);
  uint64_t rounds() const { return rounds_; }

 private:
  static void fail_list(AppendRequest* head, const Status& status);

  size_t max_batch_bytes_;
  AppendRequest* queued_head_ = nullptr;
  AppendRequest* queued_tail_ = nullptr;
  AppendRequest* round_head_ = nullptr;
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
  // Starts a round if one can start: encodes the frame and submits write + fdatasync. Does not
  // start one while a round is in flight; the round's completion pokes again.
  void poke();

 private:
  class WriteDone final : public core::Completion {
   public:
    explicit WriteDone(UringGroupDriver* d) : driver_(d) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    UringGroupDriver* driver_;
  };
  class SyncDone final : public core::Completion {
   public:
    explicit SyncDone(UringGroupDriver* d) : driver_(d) {}
    void complete(int32_t res, uint32_t flags) override;

   private:
    UringGroupDriver* driver_;
  };

  void maybe_finish();
  void fail_round(const Status& status);

  Log* log_;
  GroupCommitter* committer_;
  io_uring* ring_;
  WriteDone write_done_{this};
  SyncDone sync_done_{this};
  std::vector<const Entry*> entries_;
  PendingWrite pending_;
  int completions_left_ = 0;
  int32_t write_result_ = 0;
  int32_t sync_result_ = 0;
};

}  // namespace uq::wal
