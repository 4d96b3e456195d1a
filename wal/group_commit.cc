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
  UQ_CHECK(can_start_round(), "start_round with nothing queued or a round in flight");
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
  round_head_ = queued_head_;
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

void GroupCommitter::finish_round(const Status& status) {
  UQ_CHECK(in_flight(), "finish_round without a round");
  AppendRequest* head = round_head_;
  round_head_ = nullptr;
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
  if (!committer_->can_start_round()) {
    return;
  }
  committer_->start_round(&entries_, log_->max_batch_bytes());
  auto pending = log_->begin_append(entries_);
  if (!pending.is_ok()) {
    committer_->finish_round(pending.status());
    return;
  }
  pending_ = *pending;
  UQ_CHECK(pending_.fd >= 0, "the io_uring driver needs a kernel file");
  if (io_uring_sq_space_left(ring_) < 2) {
    io_uring_submit(ring_);
  }
  io_uring_sqe* write = io_uring_get_sqe(ring_);
  io_uring_sqe* sync = io_uring_get_sqe(ring_);
  UQ_CHECK(write != nullptr && sync != nullptr, "io_uring submission queue full");
  io_uring_prep_write(write, pending_.fd, pending_.data, static_cast<unsigned>(pending_.size),
                      pending_.offset);
  write->flags |= IOSQE_IO_LINK;  // the fsync runs only after the whole write succeeded
  io_uring_sqe_set_data(write, static_cast<core::Completion*>(&write_done_));
  io_uring_prep_fsync(sync, pending_.fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data(sync, static_cast<core::Completion*>(&sync_done_));
  completions_left_ = 2;
  int submitted = io_uring_submit(ring_);
  if (submitted < 0) {
    completions_left_ = 0;
    log_->end_append(
        error(Code::kIoError, std::string("io_uring_submit: ") + strerror(-submitted)));
    committer_->finish_round(error(Code::kIoError, "io_uring_submit failed"));
  }
}

void UringGroupDriver::WriteDone::complete(int32_t res, uint32_t) {
  driver_->write_result_ = res;
  driver_->maybe_finish();
}

void UringGroupDriver::SyncDone::complete(int32_t res, uint32_t) {
  driver_->sync_result_ = res;
  driver_->maybe_finish();
}

void UringGroupDriver::maybe_finish() {
  UQ_CHECK(completions_left_ > 0, "unexpected WAL completion");
  if (--completions_left_ > 0) {
    return;
  }
  Status status;
  if (write_result_ < 0) {
    status = error(write_result_ == -ENOSPC ? Code::kNoSpace : Code::kIoError,
                   std::string("wal write: ") + strerror(-write_result_));
  } else if (static_cast<size_t>(write_result_) != pending_.size) {
    status = error(Code::kIoError, "wal write: short write");
  }
  log_->end_append(status);
  if (status.is_ok()) {
    if (sync_result_ < 0) {
      status = error(Code::kIoError, std::string("wal fdatasync: ") + strerror(-sync_result_));
      log_->poison(status);
    } else {
      log_->note_synced();
    }
  }
  committer_->finish_round(status);
  poke();  // requests queued while this round was in flight
}

}  // namespace uq::wal
