// Append, read, truncate and segment rotation half of wal::Log (recovery: log_recovery.cc).
#include "wal/log.h"

#include <algorithm>

#include "core/log.h"

namespace uq::wal {

Log::Log(FileSystem* fs, std::string dir, const LogOptions& options)
    : fs_(fs),
      dir_(std::move(dir)),
      options_(options),
      encoder_(options.compress_min_bytes, options.zstd_level) {}

Log::~Log() = default;

Result<Term> Log::term_at(Index index) const {
  if (index == compacted_index_) {
    return compacted_term_;
  }
  if (index < first_index_ || index > last_index_) {
    return error(Code::kNotFound, "no entry " + std::to_string(index) + " in the log (" +
                                      std::to_string(first_index_) + ".." +
                                      std::to_string(last_index_) + ")");
  }
  auto it = std::upper_bound(term_runs_.begin(), term_runs_.end(), index,
                             [](Index i, const TermRun& run) { return i < run.start; });
  UQ_CHECK(it != term_runs_.begin(), "no term run covers index %llu",
           static_cast<unsigned long long>(index));
  return std::prev(it)->term;
}

Status Log::append(std::span<const Entry> entries) {
  pointer_scratch_.clear();
  for (const Entry& e : entries) {
    pointer_scratch_.push_back(&e);
  }
  return append_pointers(pointer_scratch_);
}

Status Log::append_pointers(std::span<const Entry* const> entries) {
  auto pending = begin_append(entries);
  if (!pending.is_ok()) {
    return pending.status();
  }
  return write_reserved();
}

Status Log::write_reserved() {
  const Reservation& r = reservations_.back();
  Status status = active()->file->write(r.buffer.data(), r.buffer.size(), r.offset);
  end_append(status);
  return status;
}

Status Log::sync() {
  if (!failure_.is_ok()) {
    return failure_;
  }
  Segment* segment = active();
  // Compare bytes, not indexes: a truncate marker leaves durable_index() == last_index() while
  // the marker itself is not yet durable.
  if (segment == nullptr || segment->synced_offset == segment->write_offset) {
    durable_index_ = last_index_;
    return Status::ok();
  }
  Status status = segment->file->sync();
  if (!status.is_ok()) {
    poison(status);
    return status;
  }
  note_synced();
  return Status::ok();
}

void Log::note_synced() {
  if (Segment* segment = active()) {
    segment->synced_offset = segment->write_offset;
  }
  durable_index_ = last_index_;
}

void Log::poison(const Status& status) {
  UQ_ERROR("wal: %s: %s; the log refuses writes until reopened", dir_.c_str(),
           status.to_string().c_str());
  failure_ = status;
}

Status Log::check_appendable(std::span<const Entry* const> entries) const {
  if (entries.empty()) {
    return error(Code::kInvalidArgument, "append of no entries");
  }
  // Behind the frames in flight, if any.
  Term previous_term = last_index_ == 0 ? 0 : *term_at(last_index_);
  Index expected = last_index_ + 1;
  if (!reservations_.empty()) {
    const FrameHeader& h = reservations_.back().header;
    previous_term = h.last_term;
    expected = h.first_index + h.count;
  }
  size_t raw_bytes = 0;
  for (const Entry* e : entries) {
    if (e->index != expected) {
      return error(Code::kInvalidArgument, "append of index " + std::to_string(e->index) +
                                               ", expected " + std::to_string(expected));
    }
    if (e->term < previous_term) {
      return error(Code::kInvalidArgument, "append of entry " + std::to_string(e->index) +
                                               " with a term lower than the entry before it");
    }
    previous_term = e->term;
    ++expected;
    raw_bytes += kEntryHeaderSize + e->payload.size();
  }
  if (raw_bytes > max_batch_bytes() || raw_bytes > kMaxFrameRawBytes) {
    return error(Code::kTooLarge,
                 "batch of " + std::to_string(raw_bytes) + " bytes does not fit in one segment");
  }
  return Status::ok();
}

size_t Log::append_room() const {
  if (reservations_.empty()) {
    return max_batch_bytes();
  }
  const Reservation& last = reservations_.back();
  uint64_t end = last.offset + last.header.frame_size();
  uint64_t capacity = active()->capacity;
  // A stored frame is at most its header plus the raw batch (the encoder keeps the smaller).
  return end + kFrameHeaderSize < capacity ? capacity - end - kFrameHeaderSize : 0;
}

Result<PendingWrite> Log::begin_append(std::span<const Entry* const> entries) {
  if (!failure_.is_ok()) {
    return failure_;
  }
  UQ_RETURN_IF_ERROR(check_appendable(entries));
  Reservation r;
  if (!spare_buffers_.empty()) {
    r.buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
  }
  r.header = encoder_.encode(entries, &r.buffer);
  if (reservations_.empty()) {
    UQ_RETURN_IF_ERROR(reserve(r.header.frame_size()));
    r.offset = active()->write_offset;
  } else {
    const Reservation& last = reservations_.back();
    r.offset = last.offset + last.header.frame_size();
    UQ_CHECK(r.offset + r.header.frame_size() <= active()->capacity,
             "a pipelined append beyond append_room()");
  }
  Segment* segment = active();
  r.header.synced_offset = static_cast<uint32_t>(segment->synced_offset);
  encode_frame_header(r.header, r.buffer.data());
  UQ_DCHECK(decode_frame(r.buffer.data(), r.buffer.size()).is_ok(),
            "frame does not verify before it is written");
  r.entries.assign(entries.begin(), entries.end());
  reservations_.push_back(std::move(r));
  const Reservation& placed = reservations_.back();
  return PendingWrite{segment->file.get(), segment->file->fd(), placed.buffer.data(),
                      placed.buffer.size(), placed.offset};
}

void Log::end_append(const Status& write_status) {
  UQ_CHECK(!reservations_.empty(), "end_append without begin_append");
  Reservation r = std::move(reservations_.front());
  reservations_.pop_front();
  Segment* segment = active();
  const FrameHeader& h = r.header;
  if (!write_status.is_ok()) {
    // Some or all of the frame may have landed past the end. Zero its header so a reopen cannot
    // resurrect an append that reported failure; the next frame overwrites the rest (or
    // rotation zeroes it). The log itself is unchanged and stays usable — unless later frames
    // are in flight behind this one: they must not be acknowledged after a hole.
    segment->dirty_end = std::max(segment->dirty_end, r.offset + h.frame_size());
    uint8_t zeros[kFrameHeaderSize] = {};
    Status cleared = segment->file->write(zeros, sizeof(zeros), r.offset);
    if (!cleared.is_ok()) {
      poison(cleared);
    } else if (!reservations_.empty()) {
      poison(write_status);
    }
  } else {
    if (h.is_truncate()) {
      cut_suffix(h.first_index);
    } else {
      add_frame(segment, r.offset, h, r.entries, true);
    }
    segment->write_offset = r.offset + h.frame_size();
    segment->dirty_end = std::max(segment->dirty_end, segment->write_offset);
    segment->next_index = last_index_ + 1;
  }
  r.buffer.clear();
  spare_buffers_.push_back(std::move(r.buffer));
}

Status Log::reserve(size_t frame_size) {
  Segment* segment = active();
  if (segment == nullptr || segment->next_index != last_index_ + 1 ||
      segment->write_offset + frame_size > segment->capacity) {
    UQ_RETURN_IF_ERROR(rotate());
  }
  return Status::ok();
}

Status Log::rotate() {
  if (Segment* old = active()) {
    if (old->dirty_end > old->write_offset) {
      std::vector<uint8_t> zeros(old->dirty_end - old->write_offset, 0);
      UQ_RETURN_IF_ERROR(old->file->write(zeros.data(), zeros.size(), old->write_offset));
      old->dirty_end = old->write_offset;
    }
    // A closed segment must be durable before any later one holds data: recovery treats only
    // the last segment's tail as possibly torn.
    Status status = old->file->sync();
    if (!status.is_ok()) {
      poison(status);
      return status;
    }
    note_synced();
  }
  auto segment = std::make_unique<Segment>();
  segment->sequence = next_sequence_;
  segment->path = dir_ + "/" + segment_file_name(segment->sequence);
  segment->base_index = last_index_ + 1;
  segment->capacity = options_.segment_bytes;
  std::string tmp = segment->path + kTempSuffix;
  if (fs_->exists(tmp)) {
    UQ_RETURN_IF_ERROR(fs_->remove(tmp));
  }
  auto file = fs_->open(tmp, OpenMode::kCreateNew);
  if (!file.is_ok()) {
    return file.status();
  }
  uint8_t header[kSegmentHeaderSize];
  encode_segment_header({segment->sequence, segment->base_index, segment->capacity}, header);
  Status status = (*file)->allocate(segment->capacity);
  if (status.is_ok()) {
    status = (*file)->write(header, sizeof(header), 0);
  }
  if (status.is_ok()) {
    status = (*file)->sync();
  }
  if (status.is_ok()) {
    status = fs_->rename(tmp, segment->path);
  }
  if (status.is_ok()) {
    status = fs_->sync_dir(dir_);
  }
  if (!status.is_ok()) {
    file->reset();
    (void)fs_->remove(tmp);  // best effort: recovery also removes leftover temp segments
    return status;
  }
  // Reopen under the final name so error messages name the file operators will find.
  file->reset();
  auto reopened = fs_->open(segment->path, OpenMode::kReadWrite);
  if (!reopened.is_ok()) {
    return reopened.status();
  }
  segment->file = std::move(*reopened);
  segment->write_offset = segment->synced_offset = segment->dirty_end = kSegmentHeaderSize;
  segment->next_index = segment->base_index;
  segments_.push_back(std::move(segment));
  ++next_sequence_;
  delete_compacted_segments();
  return Status::ok();
}

void Log::add_frame(Segment* segment, uint64_t offset, const FrameHeader& h,
                    std::span<const Entry* const> entries, bool cache_entries) {
  frames_.push_back(
      {h.first_index, h.count, static_cast<uint32_t>(h.frame_size()), offset, segment});
  auto add_term = [this](Index index, Term term) {
    if (term_runs_.empty() || term_runs_.back().term != term) {
      term_runs_.push_back({index, term});
    }
  };
  if (h.first_term == h.last_term) {
    add_term(h.first_index, h.first_term);
  } else {
    UQ_CHECK(entries.size() == h.count, "a frame whose terms change needs its entries");
    for (const Entry* e : entries) {
      add_term(e->index, e->term);
    }
  }
  last_index_ = h.first_index + h.count - 1;
  if (!cache_entries) {
    return;
  }
  for (const Entry* e : entries) {
    cache_.push_back(*e);
    cache_used_bytes_ += sizeof(Entry) + e->payload.size();
  }
  while (!cache_.empty() && cache_used_bytes_ > options_.cache_bytes) {
    cache_used_bytes_ -= sizeof(Entry) + cache_.front().payload.size();
    cache_.pop_front();
  }
}

void Log::cut_suffix(Index from) {
  while (!frames_.empty() && frames_.back().first_index >= from) {
    frames_.pop_back();
  }
  if (!frames_.empty() && frames_.back().first_index + frames_.back().count > from) {
    frames_.back().count = static_cast<uint32_t>(from - frames_.back().first_index);
  }
  while (!term_runs_.empty() && term_runs_.back().start >= from) {
    term_runs_.pop_back();
  }
  while (!cache_.empty() && cache_.back().index >= from) {
    cache_used_bytes_ -= sizeof(Entry) + cache_.back().payload.size();
    cache_.pop_back();
  }
  last_index_ = from - 1;
  durable_index_ = std::min(durable_index_, last_index_);
}

void Log::cut_prefix() {
  while (!frames_.empty() && frames_.front().first_index + frames_.front().count <= first_index_) {
    frames_.pop_front();
  }
  while (term_runs_.size() >= 2 && term_runs_[1].start <= first_index_) {
    term_runs_.pop_front();
  }
  if (last_index_ < first_index_) {
    term_runs_.clear();
  }
  while (!cache_.empty() && cache_.front().index < first_index_) {
    cache_used_bytes_ -= sizeof(Entry) + cache_.front().payload.size();
    cache_.pop_front();
  }
}

Status Log::truncate_suffix(Index from) {
  if (!failure_.is_ok()) {
    return failure_;
  }
  if (from < first_index_ || from > last_index_ + 1) {
    return error(Code::kInvalidArgument, "truncate_suffix(" + std::to_string(from) + ") outside " +
                                             std::to_string(first_index_) + ".." +
                                             std::to_string(last_index_ + 1));
  }
  if (from == last_index_ + 1) {
    return Status::ok();
  }
  UQ_CHECK(reservations_.empty(), "truncate_suffix while an append is in flight");
  FrameHeader marker;
  marker.flags = kFrameTruncate;
  marker.first_index = from;
  UQ_RETURN_IF_ERROR(reserve(kFrameHeaderSize));
  Segment* segment = active();
  marker.synced_offset = static_cast<uint32_t>(segment->synced_offset);
  Reservation r;
  r.header = marker;
  r.offset = segment->write_offset;
  r.buffer.assign(kFrameHeaderSize, 0);
  encode_frame_header(marker, r.buffer.data());
  reservations_.push_back(std::move(r));
  UQ_RETURN_IF_ERROR(write_reserved());
  return sync();
}

Result<std::vector<Entry>> Log::read(Index lo, Index hi, size_t max_bytes) {
  if (lo < first_index_) {
    return error(Code::kNotFound,
                 "entries before " + std::to_string(first_index_) + " are compacted");
  }
  if (lo > hi || hi > last_index_ + 1) {
    return error(Code::kInvalidArgument, "read of [" + std::to_string(lo) + ", " +
                                             std::to_string(hi) + ") outside the log");
  }
  std::vector<Entry> out;
  size_t bytes = 0;
  Index next = lo;
  std::vector<Entry> decoded;
  while (next < hi) {
    if (!cache_.empty() && next >= cache_.front().index) {
      for (size_t i = next - cache_.front().index; i < cache_.size() && next < hi; ++i, ++next) {
        if (!out.empty() && bytes + cache_[i].payload.size() > max_bytes) {
          return out;
        }
        bytes += cache_[i].payload.size();
        out.push_back(cache_[i]);
      }
      break;
    }
    auto it = std::upper_bound(frames_.begin(), frames_.end(), next,
                               [](Index i, const FrameLocation& f) { return i < f.first_index; });
    UQ_CHECK(it != frames_.begin(), "no frame holds entry %llu",
             static_cast<unsigned long long>(next));
    const FrameLocation& frame = *std::prev(it);
    Index frame_end = frame.first_index + frame.count;
    Index stop = std::min(hi, frame_end);
    if (!cache_.empty()) {
      stop = std::min(stop, cache_.front().index);
    }
    decoded.clear();
    UQ_RETURN_IF_ERROR(read_frame_entries(frame, next, stop, &decoded));
    for (Entry& e : decoded) {
      if (!out.empty() && bytes + e.payload.size() > max_bytes) {
        return out;
      }
      bytes += e.payload.size();
      out.push_back(std::move(e));
    }
    next = stop;
  }
  return out;
}

Status Log::read_frame_entries(const FrameLocation& frame, Index lo, Index hi,
                               std::vector<Entry>* out) {
  read_buffer_.resize(frame.size);
  auto n = frame.segment->file->read(read_buffer_.data(), frame.size, frame.offset);
  if (!n.is_ok()) {
    return n.status();
  }
  std::string where = frame.segment->path + " offset " + std::to_string(frame.offset);
  auto header = decode_frame(read_buffer_.data(), *n);
  if (!header.is_ok()) {
    return error(Code::kCorruption, where + ": " + header.status().message() + " (on read)");
  }
  if (header->first_index != frame.first_index || header->frame_size() != frame.size) {
    return error(Code::kCorruption, where + ": frame changed on disk since recovery");
  }
  size_t before = out->size();
  Status status = decoder_.decode(*header, read_buffer_.data() + kFrameHeaderSize, lo, hi, out);
  if (!status.is_ok()) {
    return error(Code::kCorruption, where + ": " + status.message());
  }
  if (out->size() - before != hi - lo) {
    return error(Code::kCorruption, where + ": frame lacks entries it should hold");
  }
  return Status::ok();
}

}  // namespace uq::wal
