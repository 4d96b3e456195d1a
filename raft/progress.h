// raft/progress.h — the leader's view of one follower (or learner).
//
// Owns: match/next indexes, the replication state machine (probe → replicate, or snapshot) and the
// in-flight window that bounds pipelining (§10.2.1 of Ongaro's dissertation: the leader sends
// AppendEntries without waiting for acks, but a bounded number of them). Called only by the
// owning Node's thread. Invariant: match < next.
#pragma once

#include <cstdint>
#include <vector>

#include "raft/types.h"

namespace uq::raft {

// A FIFO of in-flight appends: the last index each carried and its data bytes. Bounded by count
// and by bytes; an ack for index i frees every append that ended at or before i.
class Inflights {
 public:
  Inflights(size_t max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}

  bool full() const { return count_ >= max_count_ || (max_bytes_ > 0 && bytes_ >= max_bytes_); }
  size_t count() const { return count_; }
  uint64_t bytes() const { return bytes_; }
  // The last index of the oldest in-flight append (count() > 0).
  LogIndex first() const { return ring_[head_].last; }
  void add(LogIndex last, uint64_t bytes);
  void free_le(LogIndex index);
  void reset();

 private:
  struct Item {
    LogIndex last;
    uint64_t bytes;
  };
  size_t max_count_;
  uint64_t max_bytes_;
  std::vector<Item> ring_;  // grows to max_count_ once, then reused
  size_t head_ = 0;
  size_t count_ = 0;
  uint64_t bytes_ = 0;
};

enum class ProgressState : uint8_t {
  kProbe,      // we do not know where the follower's log matches: one append per round trip
  kReplicate,  // steady state: pipeline appends optimistically, next advances on send
  kSnapshot,   // the follower needs a snapshot; appends pause until report_snapshot()
};

struct Progress {
  Progress(NodeId id, LogIndex next, size_t max_inflight, uint64_t max_inflight_bytes)
      : id(id), next(next), inflights(max_inflight, max_inflight_bytes) {}

  NodeId id;
  LogIndex match;
  LogIndex next;
  ProgressState state = ProgressState::kProbe;
  // Probe: an append is outstanding; wait for its answer or a heartbeat response.
  bool probe_sent = false;
  LogIndex pending_snapshot;
  // Heard from since the last CheckQuorum round (§6.2: the leader steps down without a quorum).
  bool recent_active = false;
  Inflights inflights;

  void become_probe();
  void become_replicate();
  void become_snapshot(LogIndex snapshot_index);
  // Can the leader send this follower another append now?
  bool paused() const;
  // An ack for `index`: returns whether match advanced.
  bool maybe_update(LogIndex index);
  // A rejection of the append at `rejected` with the follower's hint. Returns false for a stale
  // rejection (an older append), which must be ignored.
  bool maybe_decrease_to(LogIndex rejected, LogIndex hint_next);
  // An append ending at `last` was sent (replicate state: optimistic next).
  void sent_entries(LogIndex last, uint64_t bytes);
};

}  // namespace uq::raft
