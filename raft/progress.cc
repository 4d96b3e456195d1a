#include "raft/progress.h"

#include <algorithm>

#include "core/check.h"

namespace uq::raft {

void Inflights::add(LogIndex last, uint64_t bytes) {
  UQ_CHECK(count_ < max_count_, "inflight window overflow");
  if (ring_.size() < max_count_) {
    ring_.resize(max_count_);
  }
  ring_[(head_ + count_) % max_count_] = Item{last, bytes};
  ++count_;
  bytes_ += bytes;
}

void Inflights::free_le(LogIndex index) {
  while (count_ > 0 && ring_[head_].last <= index) {
    bytes_ -= ring_[head_].bytes;
    head_ = (head_ + 1) % max_count_;
    --count_;
  }
  if (count_ == 0) {
    head_ = 0;
  }
}

void Inflights::reset() {
  head_ = 0;
  count_ = 0;
  bytes_ = 0;
}

void Progress::become_probe() {
  // Coming back from a snapshot, resume right after it; otherwise right after what we know.
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  pending_snapshot = LogIndex(0);
  inflights.reset();
}

void Progress::become_replicate() {
  next = match + 1;
  state = ProgressState::kReplicate;
  probe_sent = false;
  pending_snapshot = LogIndex(0);
  inflights.reset();
}

void Progress::become_snapshot(LogIndex snapshot_index) {
  state = ProgressState::kSnapshot;
  probe_sent = false;
  pending_snapshot = snapshot_index;
  inflights.reset();
}

bool Progress::paused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

bool Progress::maybe_update(LogIndex index) {
  bool updated = false;
  if (index > match) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::maybe_decrease_to(LogIndex rejected, LogIndex hint_next) {
  if (state == ProgressState::kReplicate) {
    // Appends are pipelined: a rejection at or below match is for an old one.
    if (rejected <= match) {
      return false;
    }
    next = match + 1;
    return true;
  }
  // Probe: only the answer to the append we sent last (prev index next - 1) counts.
  if (next - 1 != rejected) {
    return false;
  }
  next = std::max(std::min(rejected, hint_next), match + 1);
  probe_sent = false;
  return true;
}

void Progress::sent_entries(LogIndex last, uint64_t bytes) {
  if (state == ProgressState::kReplicate) {
    next = last + 1;
    inflights.add(last, bytes);
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

}  // namespace uq::raft
