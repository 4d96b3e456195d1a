#include "raft/log.h"

#include "core/check.h"

namespace uq::raft {

RaftLog::RaftLog(const SnapshotMeta& snapshot, std::vector<Entry> entries)
    : snapshot_(snapshot),
      offset_(snapshot.index),
      offset_term_(snapshot.term),
      entries_(std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end())) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    UQ_CHECK(entries_[i].index == snapshot_.index + (i + 1), "entries not contiguous at %zu", i);
  }
  note_conf_entries(0);
  // Everything given at construction came from durable storage.
  committed_ = snapshot_.index;
  applied_ = snapshot_.index;
  stable_ = last_index();
  handed_ = last_index();
}

std::optional<Term> RaftLog::term_at(LogIndex index) const {
  if (index == offset_) {
    return offset_term_;
  }
  if (index < offset_ || index > last_index()) {
    return std::nullopt;
  }
  return entry(index).term;
}

bool RaftLog::match_term(LogIndex index, Term term) const {
  auto t = term_at(index);
  return t.has_value() && *t == term;
}

const Entry& RaftLog::at(LogIndex index) const {
  UQ_CHECK(index >= first_index() && index <= last_index(), "index %llu outside [%llu, %llu]",
           static_cast<unsigned long long>(index.value),
           static_cast<unsigned long long>(first_index().value),
           static_cast<unsigned long long>(last_index().value));
  return entry(index);
}

EntryView RaftLog::slice(LogIndex lo, LogIndex hi) const {
  if (hi <= lo) {
    return EntryView(entries_.end(), entries_.end());
  }
  UQ_CHECK(lo >= first_index() && hi <= last_index() + 1, "slice [%llu, %llu) out of range",
           static_cast<unsigned long long>(lo.value), static_cast<unsigned long long>(hi.value));
  auto first = entries_.begin() + static_cast<ptrdiff_t>(lo.value - offset_.value - 1);
  return EntryView(first, first + static_cast<ptrdiff_t>(hi.value - lo.value));
}

EntryView RaftLog::slice_bytes(LogIndex lo, LogIndex hi, uint64_t max_bytes) const {
  EntryView all = slice(lo, hi);
  uint64_t bytes = 0;
  size_t n = 0;
  for (; n < all.size(); ++n) {
    bytes += all[n].data.size();
    if (n > 0 && bytes > max_bytes) {
      break;
    }
  }
  return EntryView(all.begin(), all.begin() + static_cast<ptrdiff_t>(n));
}

std::pair<LogIndex, Term> RaftLog::find_conflict_by_term(LogIndex index, Term term) const {
  if (index > last_index()) {
    index = last_index();
  }
  while (true) {
    auto t = term_at(index);
    // Below the first entry held we know nothing more; the entry before it is committed and so
    // matches every leader.
    if (!t.has_value() || *t <= term) {
      return {index, t.value_or(Term(0))};
    }
    index = index - 1;
  }
}

void RaftLog::truncate_after(LogIndex index) {
  UQ_CHECK(index >= committed_, "truncating committed entry %llu (commit %llu)",
           static_cast<unsigned long long>(index.value + 1),
           static_cast<unsigned long long>(committed_.value));
  entries_.resize(index.value - offset_.value);
  while (!conf_indexes_.empty() && conf_indexes_.back() > index) {
    conf_indexes_.pop_back();
    ++conf_version_;
  }
  if (stable_ > index) {
    stable_ = index;
  }
  if (handed_ > index) {
    handed_ = index;
  }
}

void RaftLog::append(std::span<const Entry> entries) {
  if (entries.empty()) {
    return;
  }
  LogIndex after = entries.front().index - 1;
  UQ_CHECK(after <= last_index(), "append leaves a gap after %llu",
           static_cast<unsigned long long>(last_index().value));
  if (after < last_index()) {
    truncate_after(after);
  }
  size_t from = entries_.size();
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  note_conf_entries(from);
}

void RaftLog::note_conf_entries(size_t from_position) {
  for (size_t i = from_position; i < entries_.size(); ++i) {
    if (entries_[i].type == EntryType::kConfig) {
      conf_indexes_.push_back(entries_[i].index);
      ++conf_version_;
    }
  }
}

void RaftLog::append_one(Entry entry) {
  UQ_CHECK(entry.index == last_index() + 1, "append_one at wrong index");
  entries_.push_back(std::move(entry));
  note_conf_entries(entries_.size() - 1);
}

std::optional<LogIndex> RaftLog::maybe_append(LogIndex prev_index, Term prev_term,
                                              std::span<const Entry> entries) {
  if (!match_term(prev_index, prev_term)) {
    return std::nullopt;
  }
  LogIndex last_new = prev_index + entries.size();
  // Skip entries we already hold with the same term (a duplicate or reordered App); truncate
  // only at the first real conflict (Figure 2, receiver rule 3).
  size_t i = 0;
  for (; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.index <= snapshot_.index) {
      continue;  // covered by our snapshot, hence committed and matching
    }
    if (!match_term(e.index, e.term)) {
      break;
    }
  }
  if (i < entries.size()) {
    append(entries.subspan(i));
  }
  return last_new;
}

void RaftLog::commit_to(LogIndex index) {
  if (index > committed_) {
    UQ_CHECK(index <= last_index(), "commit %llu beyond last %llu",
             static_cast<unsigned long long>(index.value),
             static_cast<unsigned long long>(last_index().value));
    committed_ = index;
  }
}

void RaftLog::applied_to(LogIndex index) {
  UQ_CHECK(index <= committed_ && index >= applied_, "bad applied %llu",
           static_cast<unsigned long long>(index.value));
  applied_ = index;
}

bool RaftLog::stable_to(LogIndex index, Term term) {
  if (index <= stable_ || index > handed_ || !match_term(index, term)) {
    return false;
  }
  stable_ = index;
  return true;
}

EntryView RaftLog::next_to_apply() const {
  LogIndex hi = committed_ < stable_ ? committed_ : stable_;
  if (hi <= applied_) {
    return EntryView(entries_.end(), entries_.end());
  }
  return slice(applied_ + 1, hi + 1);
}

void RaftLog::compact(LogIndex index, const ConfState& conf, uint64_t trailing) {
  if (index <= snapshot_.index) {
    return;
  }
  UQ_CHECK(index <= applied_, "compacting past applied");
  snapshot_ = SnapshotMeta{index, *term_at(index), conf};
  // Configuration entries up to the snapshot are folded into its conf, even those kept below.
  while (!conf_indexes_.empty() && conf_indexes_.front() <= index) {
    conf_indexes_.erase(conf_indexes_.begin());
    ++conf_version_;
  }
  LogIndex keep_after(index.value > trailing ? index.value - trailing : 0);
  if (keep_after <= offset_) {
    return;
  }
  offset_term_ = *term_at(keep_after);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<ptrdiff_t>(keep_after.value - offset_.value));
  offset_ = keep_after;
}

void RaftLog::restore(const SnapshotMeta& snapshot) {
  entries_.clear();
  snapshot_ = snapshot;
  offset_ = snapshot.index;
  offset_term_ = snapshot.term;
  conf_indexes_.clear();
  ++conf_version_;
  committed_ = snapshot.index;
  // The snapshot replaces the application's state; applied and handed move with it once the
  // Ready carrying it is taken. Until then nothing at or below it is offered for apply.
  applied_ = snapshot.index;
  stable_ = snapshot.index;
  handed_ = snapshot.index;
}

}  // namespace uq::raft
