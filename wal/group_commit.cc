#include "wal/group_commit.h"

#include <liburing.h>

#include <algorithm>
#include <cstring>

namespace uq::wal {

void GroupCommitter::enqueue(AppendRequest* request) {
  UQ_CHECK(request->next_ == nullptr && request != queued_tail_, "request enqueued twice");
  if (queued_tail_ == nullptr) {
    queued_head_ = request;
  } else {
    queued_tail_->next_ = request;
  }
  queued_tail_ = request;
}

void GroupCommitter::start_round(std::vector<const Entry*>* entries, size_t limit_bytes) {
  size_t max_bytes = std::min(max_batch_bytes_, limit_bytes);
  UQ_CHECK(can_start_round(), "start_round with nothing queued or max_rounds in flight");
  entries->clear();
  size_t bytes = 0;
  AppendRequest* last = nullptr;
  AppendRequest* r = queued_head_;
  // Take whole requests up to the byte limit, but always the first one.
  while (r != nullptr) {
    size_t request_bytes = 0;
    for (const Entry& e : r->entries) {
      request_bytes += kEntryHeaderSize + e.payload.size();
    }
    if (last != nullptr && bytes + request_bytes > max_bytes) {
      break;
    }
    bytes += request_bytes;
    for (const Entry& e : r->entries) {
      entries->push_back(&e);
    }
    last = r;
    r = r->next_;
  }
  round_heads_.push_back(queued_head_);
  last->next_ = nullptr;
  queued_head_ = r;
  if (r == nullptr) {
    queued_tail_ = nullptr;
  }
  ++rounds_;
}

void GroupCommitter::fail_list(AppendRequest* head, const Status& status) {
  while (head != nullptr) {
    AppendRequest* next = head->next_;
    head->next_ = nullptr;
    head->on_durable(status);
    head = next;
  }
}

size_t GroupCommitter::front_request_bytes() const {
  size_t bytes = 0;
  if (queued_head_ != nullptr) {
    for (const Entry& e : queued_head_->entries) {
      bytes += kEntryHeaderSize + e.payload.size();
    }
  }
  return bytes;
}

void GroupCommitter::finish_round(const Status& status) {
  UQ_CHECK(in_flight(), "finish_round without a round");
  AppendRequest* head = round_heads_.front();
  round_heads_.pop_front();
  if (!status.is_ok()) {
    AppendRequest* queued = queued_head_;
    queued_head_ = queued_tail_ = nullptr;
    fail_list(head, status);
    fail_list(queued, status);
    return;
  }
  fail_list(head, status);  // "fail" with OK: durable
}

Status SyncGroupDriver::run_round() {
  if (!committer_->can_start_round()) {
    return Status::ok();
  }
  committer_->start_round(&entries_, log_->max_batch_bytes());
  Status status = log_->append_pointers(entries_);
  if (status.is_ok()) {
    status = log_->sync();
  }
  committer_->finish_round(status);
  return status;
}

void SyncGroupDriver::drain() {
  // Each round consumes at least one request, so this ends.
  while (committer_->can_start_round()) {
    (void)run_round();
  }
}

UringGroupDriver::UringGroupDriver(Log* log, GroupCommitter* committer, io_uring* ring)
    : log_(log), committer_(committer), ring_(ring) {}

void UringGroupDriver::poke() {
  while (start_round()) {
  }
}

bool UringGroupDriver::start_round() {
  if (!committer_->can_start_round()) {
    return false;
  }
  size_t room = log_->append_room();
  if (!in_flight_.empty() && committer_->front_request_bytes() > room) {
    return false;  // it needs a new segment: rotation waits until the frames in flight land
  }
  committer_->start_round(&entries_, room);
  auto pending = log_->begin_append(entries_);
  if (!pending.is_ok()) {
    // Nothing was submitted for it; younger rounds cannot exist (this one is the newest), but
    // older ones may still be in flight, so it is finished in its turn.
    std::unique_ptr<Round> failed = take_round();
    failed->failure = pending.status();
    in_flight_.push_back(std::move(failed));
    finish_ready();
    return false;
  }
  std::unique_ptr<Round> round = take_round();
  round->reserved = true;
  round->size = pending->size;
  if (io_uring_sq_space_left(ring_) < 2) {
    io_uring_submit(ring_);
  }
  io_uring_sqe* write = io_uring_get_sqe(ring_);
  io_uring_sqe* sync = io_uring_get_sqe(ring_);
  UQ_CHECK(pending->fd >= 0, "the io_uring driver needs a kernel file");
  UQ_CHECK(write != nullptr && sync != nullptr, "io_uring submission queue full");
  io_uring_prep_write(write, pending->fd, pending->data, static_cast<unsigned>(pending->size),
                      pending->offset);
  write->flags |= IOSQE_IO_LINK;  // the fsync runs only after the whole write succeeded
  io_uring_sqe_set_data(write, static_cast<core::Completion*>(&round->write_done));
  io_uring_prep_fsync(sync, pending->fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data(sync, static_cast<core::Completion*>(&round->sync_done));
  round->completions_left = 2;
  int submitted = io_uring_submit(ring_);
  if (submitted < 0) {
    round->completions_left = 0;
    round->failure = error(Code::kIoError, std::string("io_uring_submit: ") + strerror(-submitted));
    in_flight_.push_back(std::move(round));
    finish_ready();
    return false;
  }
  in_flight_.push_back(std::move(round));
  return true;
}

std::unique_ptr<UringGroupDriver::Round> UringGroupDriver::take_round() {
  std::unique_ptr<Round> round;
  if (spare_.empty()) {
    round = std::make_unique<Round>(this);
  } else {
    round = std::move(spare_.back());
    spare_.pop_back();
  }
  round->size = 0;
  round->completions_left = 0;
  round->write_result = 0;
  round->sync_result = 0;
  round->failure = Status::ok();
  round->reserved = false;
  return round;
}

void UringGroupDriver::WriteDone::complete(int32_t res, uint32_t) {
  round_->write_result = res;
  driver_->on_completion(round_);
}

void UringGroupDriver::SyncDone::complete(int32_t res, uint32_t) {
  round_->sync_result = res;
  driver_->on_completion(round_);
}

void UringGroupDriver::on_completion(Round* round) {
  UQ_CHECK(round->completions_left > 0, "unexpected WAL completion");
  --round->completions_left;
  finish_ready();
  poke();  // requests queued while rounds were in flight
}

Status UringGroupDriver::write_status(const Round& round) {
  if (!round.failure.is_ok()) {
    return round.failure;
  }
  if (round.write_result < 0) {
    return error(round.write_result == -ENOSPC ? Code::kNoSpace : Code::kIoError,
                 std::string("wal write: ") + strerror(-round.write_result));
  }
  if (static_cast<size_t>(round.write_result) != round.size) {
    return error(Code::kIoError, "wal write: short write");
  }
  return Status::ok();
}

// Retires finished rounds oldest first, so the log and the appenders learn of durability in
// log order even when a younger round's fdatasync completes first.
void UringGroupDriver::finish_ready() {
  while (!in_flight_.empty() && in_flight_.front()->completions_left == 0) {
    std::unique_ptr<Round> round = std::move(in_flight_.front());
    in_flight_.pop_front();
    Status status = round->failure;
    if (round->reserved) {
      status = write_status(*round);
      log_->end_append(status);
      if (status.is_ok()) {
        if (round->sync_result < 0) {
          status =
              error(Code::kIoError, std::string("wal fdatasync: ") + strerror(-round->sync_result));
          log_->poison(status);
        } else if (!log_->failure().is_ok()) {
          status = log_->failure();  // an older round failed: nothing after it counts
        } else {
          log_->note_synced();
        }
      }
    }
    committer_->finish_round(status);
    spare_.push_back(std::move(round));
  }
}

}  // namespace uq::wal
