// raft/log.h — the in-memory Raft log a Node owns.
//
// Owns: the entries from first_index() on (the entries after the last snapshot, and up to
// `trailing` entries before it that compact() was asked to keep so a follower slightly behind
// catches up from the log instead of a snapshot), the snapshot's index/term, and four cursors:
//   applied   ≤ committed        (what has been handed to the application to apply)
//   stable    ≤ last             (what the application reported durable)
//   handed    ≤ last             (what has been handed to the application to persist)
//   committed ≤ last
// The application keeps its own durable copy (the WAL); this copy lets the node serve followers
// and answer term lookups without I/O. Called only by the Node's thread. Invariants (checked):
// committed entries are never truncated; indexes are contiguous from first_index(), which is at
// most snapshot index + 1.
#pragma once

#include <deque>
#include <optional>
#include <ranges>
#include <span>
#include <vector>

#include "raft/types.h"

namespace uq::raft {

// A run of consecutive entries inside the log (random access; valid until the log changes).
using EntryView = std::ranges::subrange<std::deque<Entry>::const_iterator>;

class RaftLog {
 public:
  // A log that starts after `snapshot` (index 0, term 0 for a fresh node) with `entries`
  // (already durable, contiguous from snapshot.index + 1).
  RaftLog(const SnapshotMeta& snapshot, std::vector<Entry> entries);

  LogIndex first_index() const { return offset_ + 1; }
  LogIndex last_index() const { return offset_ + live_count(); }
  Term last_term() const { return *term_at(last_index()); }
  // The term of the entry at `index`; nullopt if compacted away or beyond the end (the entry
  // just before first_index() is known: the snapshot's, or the last one compact() dropped).
  std::optional<Term> term_at(LogIndex index) const;
  bool match_term(LogIndex index, Term term) const;
  const Entry& at(LogIndex index) const;
  // Entries in [lo, hi), lo ≥ first_index(); a view valid until the next mutation.
  EntryView slice(LogIndex lo, LogIndex hi) const;
  // Like slice, but stops after max_bytes of data (always returns at least one entry if any).
  EntryView slice_bytes(LogIndex lo, LogIndex hi, uint64_t max_bytes) const;

  // §5.3 fast backtracking: the largest index ≤ `index` whose term is ≤ `term`, and its term.
  // Entries between that index and `index` cannot match a log whose entry at `index` has `term`.
  std::pair<LogIndex, Term> find_conflict_by_term(LogIndex index, Term term) const;

  // Appends entries whose first index is ≤ last_index() + 1, truncating any suffix they
  // overwrite. The caller has checked that the overwrite never touches committed entries.
  void append(std::span<const Entry> entries);
  void append_one(Entry entry);
  // §5.3 AppendEntries receiver: if the entry at prev_index has prev_term, append `entries`
  // (skipping those already present, truncating at the first conflict) and return the index of
  // the last new entry; nullopt when the consistency check fails.
  std::optional<LogIndex> maybe_append(LogIndex prev_index, Term prev_term,
                                       std::span<const Entry> entries);

  LogIndex committed() const { return committed_; }
  void commit_to(LogIndex index);
  LogIndex applied() const { return applied_; }
  void applied_to(LogIndex index);
  LogIndex stable() const { return stable_; }
  // The application reports entries up to `index` at `term` durable; stale reports (the entry
  // was overwritten since) are ignored. Returns whether stable() advanced.
  bool stable_to(LogIndex index, Term term);
  LogIndex handed() const { return handed_; }
  void handed_to(LogIndex index) { handed_ = index; }
  // Entries to hand to the application for persistence.
  EntryView unhanded() const { return slice(handed_ + 1, last_index() + 1); }
  // Committed, durable entries not yet handed for applying.
  EntryView next_to_apply() const;

  const SnapshotMeta& snapshot() const { return snapshot_; }
  // The application took a snapshot at `index` (≤ applied); `conf` is the configuration as of
  // index. Drops the entries ≤ index − trailing.
  void compact(LogIndex index, const ConfState& conf, uint64_t trailing);
  // Replaces the whole log by a snapshot received from the leader (§5.3 InstallSnapshot).
  void restore(const SnapshotMeta& snapshot);

  // Indexes of config entries held (ascending) and a counter bumped whenever that list changes,
  // so the Node recomputes its configuration only when needed (§4.1: a configuration takes effect
  // as soon as its entry is in the log, and reverts if the entry is truncated).
  const std::vector<LogIndex>& conf_indexes() const { return conf_indexes_; }
  uint64_t conf_version() const { return conf_version_; }

  // Number of entries held (from first_index()).
  uint64_t live_count() const { return entries_.size(); }

 private:
  const Entry& entry(LogIndex index) const { return entries_[index.value - offset_.value - 1]; }
  void truncate_after(LogIndex index);
  void note_conf_entries(size_t from_position);

  SnapshotMeta snapshot_;
  LogIndex offset_;  // the index before entries_.front(): snapshot_.index or below
  Term offset_term_;
  // A deque, not a vector: appending never moves existing entries (no latency spike when a large
  // log grows) and compaction pops from the front in O(entries dropped).
  std::deque<Entry> entries_;
  LogIndex committed_;
  LogIndex applied_;
  LogIndex stable_;
  LogIndex handed_;
  std::vector<LogIndex> conf_indexes_;
  uint64_t conf_version_ = 0;
};

}  // namespace uq::raft
