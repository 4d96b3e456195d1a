// wal/log.h — the Raft log on disk: segmented, checksummed, zstd-compressed, crash-safe.
//
// Owns the segment files and `wal-meta` in one directory (the node's raft/ folder; the hard state
// lives beside them, see hard_state.h). Stores opaque entries (index, term, type, payload).
// Thread: one owner thread (the raft core); not thread-safe.
// Invariants: entries first_index()..last_index() are contiguous; terms never decrease; every
// entry at or below durable_index() survives a crash unless truncate_suffix/compact_prefix
// removed it; read() never returns bytes whose checksum did not verify.
// Appending a non-contiguous index or a lower term is a caller bug reported as kInvalidArgument
// (the log is unchanged). A failed write leaves the log unchanged and usable (the bytes that may
// have landed lie past the end and are ignored or overwritten); a failed fdatasync poisons the
// log: every later mutation returns that error, because the kernel may have dropped the dirty
// pages and only a reopen (recovery) knows what is on disk.
#pragma once

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wal/file_system.h"
#include "wal/frame.h"
#include "wal/segment.h"
#include "wal/slot_file.h"

namespace uq::wal {

struct LogOptions {
  uint64_t segment_bytes = 64u << 20;  // preallocated size of each segment, <= 1 GiB
  size_t cache_bytes = 64u << 20;      // recent entries kept in memory for read()
  size_t compress_min_bytes = 512;     // smaller batches are stored raw
  int zstd_level = 1;
  // Recover and read without writing anything (no tail zeroing, no deletions, no syncs): for
  // `uqlite-wal`. A torn tail is reported in recovery() instead of repaired; mutations fail.
  bool read_only = false;
};

// A frame ready to be written by an asynchronous driver (io_uring): write `size` bytes at `data`
// to `fd` at `offset`, then fdatasync, then call Log::end_append and Log::note_synced.
struct PendingWrite {
  File* file = nullptr;
  int fd = -1;
  const uint8_t* data = nullptr;
  size_t size = 0;
  uint64_t offset = 0;
};

// What recovery did, for logs and tests.
struct RecoveryReport {
  size_t segments_scanned = 0;
  size_t segments_deleted = 0;
  size_t frames = 0;
  uint64_t bytes_scanned = 0;
  bool torn_tail_truncated = false;
  std::string torn_tail;  // "file offset N: reason" when truncated
};

class Log {
 public:
  // Opens dir (created if missing) and recovers: see docs/wal.md "Recovery cases".
  static Result<std::unique_ptr<Log>> open(FileSystem* fs, const std::string& dir,
                                           const LogOptions& options);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // first_index() == last_index() + 1 when the log is empty.
  Index first_index() const { return first_index_; }
  Index last_index() const { return last_index_; }
  Index durable_index() const { return durable_index_; }
  // Term of entry i, for first_index()-1 (the compaction point) <= i <= last_index(); index 0 has
  // term 0. kNotFound outside that range.
  Result<Term> term_at(Index index) const;

  // Writes the entries as one frame (not yet durable: call sync()). entries[0].index must be
  // last_index()+1, indexes contiguous, terms non-decreasing.
  Status append(std::span<const Entry> entries);
  Status append_pointers(std::span<const Entry* const> entries);
  // fdatasync of the active segment; afterwards durable_index() == last_index().
  Status sync();

  // Entries with index in [lo, hi), at most max_bytes of payload but at least one entry when
  // lo < hi. Needs first_index() <= lo <= hi <= last_index()+1.
  Result<std::vector<Entry>> read(Index lo, Index hi, size_t max_bytes);

  // Removes entries >= from (first_index() <= from <= last_index()+1). Durable on return. It
  // appends a checksummed truncate marker frame, so a crash leaves either the old or the new
  // suffix. Entries < from are never touched.
  Status truncate_suffix(Index from);
  // Forgets entries <= upto (a snapshot covers them); durable on return (wal-meta). upto may be
  // beyond last_index() (snapshot installed): the log becomes empty at upto+1. term is the term of
  // entry upto; if upto is in the log it must match. Whole segments below are deleted.
  Status compact_prefix(Index upto, Term term);

  // Asynchronous split of append+sync, for the io_uring driver: begin_append encodes the frame
  // and reserves its place (rotating segments if needed, which does blocking I/O once per
  // segment); the caller writes PendingWrite; end_append(write result) commits or abandons it;
  // after a successful fdatasync, note_synced(); after a failed one, poison().
  // Pipelining: begin_append may be called again before end_append, as long as the batch fits
  // in append_room() (no rotation happens while frames are in flight). end_append and
  // note_synced then apply to the oldest frame in flight, and must be called in begin order.
  // A failed write with later frames in flight poisons the log: they may land behind a hole,
  // which recovery treats as a torn tail (their headers record an older synced offset).
  Result<PendingWrite> begin_append(std::span<const Entry* const> entries);
  void end_append(const Status& write_status);
  void note_synced();
  void poison(const Status& status);
  size_t in_flight() const { return reservations_.size(); }
  // The largest batch (entry headers and payloads) begin_append takes now: max_batch_bytes()
  // when nothing is in flight, else what still fits in the active segment behind the frames in
  // flight.
  size_t append_room() const;

  // The largest batch (sum of entry headers and payloads) one frame can hold.
  size_t max_batch_bytes() const {
    return options_.segment_bytes - kSegmentHeaderSize - kFrameHeaderSize;
  }
  const Status& failure() const { return failure_; }
  const RecoveryReport& recovery() const { return recovery_; }
  size_t segment_count() const { return segments_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t sequence = 0;
    Index base_index = 0;
    std::string path;
    std::unique_ptr<File> file;
    uint64_t capacity = 0;
    uint64_t write_offset = 0;   // next frame goes here
    uint64_t synced_offset = 0;  // bytes before this are durable
    uint64_t dirty_end = 0;      // bytes up to here may hold abandoned writes
    Index next_index = 0;        // first index of the next data frame in this segment
  };
  struct FrameLocation {
    Index first_index;
    uint32_t count;
    uint32_t size;
    uint64_t offset;
    Segment* segment;
  };
  struct TermRun {
    Index start;
    Term term;
  };
  // A frame placed in the active segment and being written. Several may be in flight at once
  // (begin_append order = offset order); end_append retires the oldest.
  struct Reservation {
    FrameHeader header;
    uint64_t offset = 0;
    std::vector<const Entry*> entries;
    std::vector<uint8_t> buffer;  // the encoded frame; stays put until end_append
  };

  Log(FileSystem* fs, std::string dir, const LogOptions& options);

  Status recover();
  Status load_meta();
  Result<std::vector<uint64_t>> list_segments();
  Status replay_segment(Segment* segment, bool is_last, std::vector<uint8_t>* buffer);
  Status replay_frame(Segment* segment, const ScannedFrame& frame, const uint8_t* data);
  Status recover_segment_tail(Segment* segment, const SegmentScan& scan, bool is_last);
  void finish_recovery();

  Status check_appendable(std::span<const Entry* const> entries) const;
  Status reserve(size_t frame_size);
  Status rotate();
  Status write_reserved();
  void delete_compacted_segments();
  // entries: the frame's entries, needed (and cached when cache_entries) unless every entry has
  // the header's first term.
  void add_frame(Segment* segment, uint64_t offset, const FrameHeader& header,
                 std::span<const Entry* const> entries, bool cache_entries);
  void cut_suffix(Index from);
  void cut_prefix();
  Status read_frame_entries(const FrameLocation& frame, Index lo, Index hi,
                            std::vector<Entry>* out);
  Segment* active() const { return segments_.empty() ? nullptr : segments_.back().get(); }

  FileSystem* fs_;
  std::string dir_;
  LogOptions options_;
  FrameEncoder encoder_;
  FrameDecoder decoder_;
  std::unique_ptr<SlotFile> meta_;
  std::vector<std::unique_ptr<Segment>> segments_;  // by sequence; back() is the active one
  uint64_t next_sequence_ = 1;
  std::deque<FrameLocation> frames_;  // live frames in index order
  std::deque<TermRun> term_runs_;     // live entries' terms, run-length encoded
  std::deque<Entry> cache_;           // a suffix of the log, at most options_.cache_bytes
  size_t cache_used_bytes_ = 0;
  Index first_index_ = 1;
  Index last_index_ = 0;
  Index durable_index_ = 0;
  Index compacted_index_ = 0;
  Term compacted_term_ = 0;
  Status failure_;
  std::deque<Reservation> reservations_;
  std::vector<std::vector<uint8_t>> spare_buffers_;  // retired frame buffers, reused
  std::vector<uint8_t> read_buffer_;
  std::vector<const Entry*> pointer_scratch_;
  RecoveryReport recovery_;
};

}  // namespace uq::wal
