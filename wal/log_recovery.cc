// Recovery half of wal::Log: open(), segment replay and the torn-tail policy. The cases and
// what each does are the table in docs/wal.md ("Recovery cases").
#include <algorithm>

#include "core/log.h"
#include "wal/log.h"

namespace uq::wal {

namespace {

Status corruption(const std::string& message) {
  return error(Code::kCorruption, message);
}

std::string encode_meta(Index compacted_index, Term compacted_term) {
  std::string out(16, '\0');
  store_u64(reinterpret_cast<uint8_t*>(out.data()), compacted_index);
  store_u64(reinterpret_cast<uint8_t*>(out.data()) + 8, compacted_term);
  return out;
}

}  // namespace

Result<std::unique_ptr<Log>> Log::open(FileSystem* fs, const std::string& dir,
                                       const LogOptions& options) {
  if (options.segment_bytes < 4096 || options.segment_bytes > (1u << 30)) {
    return error(Code::kInvalidArgument, "segment_bytes must be in [4 KiB, 1 GiB]");
  }
  std::unique_ptr<Log> log(new Log(fs, dir, options));
  UQ_RETURN_IF_ERROR(log->recover());
  return log;
}

Status Log::load_meta() {
  auto meta = SlotFile::open(fs_, dir_ + "/" + kMetaFileName, kMetaMagic, ChecksumDomain::kWalFrame,
                             encode_meta(0, 0), options_.read_only);
  if (!meta.is_ok()) {
    return meta.status();
  }
  meta_ = std::move(*meta);
  if (meta_->payload().size() != 16) {
    return corruption(dir_ + "/" + kMetaFileName + ": bad payload length");
  }
  auto* p = reinterpret_cast<const uint8_t*>(meta_->payload().data());
  compacted_index_ = load_u64(p);
  compacted_term_ = load_u64(p + 8);
  return Status::ok();
}

Result<std::vector<uint64_t>> Log::list_segments() {
  auto names = fs_->list(dir_);
  if (!names.is_ok()) {
    return names.status();
  }
  std::vector<uint64_t> sequences;
  for (const std::string& name : *names) {
    uint64_t sequence = 0;
    if (parse_segment_file_name(name, &sequence)) {
      sequences.push_back(sequence);
    } else if (name.size() > 4 && name.ends_with(".seg.tmp")) {
      // A segment that was never renamed into place holds nothing acknowledged.
      if (!options_.read_only) {
        UQ_RETURN_IF_ERROR(fs_->remove(dir_ + "/" + name));
      }
    } else if (name.starts_with("wal-") && name != kMetaFileName &&
               name != std::string(kMetaFileName) + kTempSuffix) {
      return corruption(dir_ + "/" + name + ": unexpected file among the WAL segments");
    }
  }
  std::sort(sequences.begin(), sequences.end());
  for (size_t i = 1; i < sequences.size(); ++i) {
    if (sequences[i] != sequences[i - 1] + 1) {
      return corruption(dir_ + "/" + segment_file_name(sequences[i - 1] + 1) +
                        ": segment missing (found " + segment_file_name(sequences[i - 1]) +
                        " and " + segment_file_name(sequences[i]) + ")");
    }
  }
  return sequences;
}

Status Log::recover() {
  if (options_.read_only) {
    if (!fs_->exists(dir_)) {
      return error(Code::kNotFound, dir_ + ": no such directory");
    }
  } else {
    UQ_RETURN_IF_ERROR(fs_->create_dir(dir_));
  }
  UQ_RETURN_IF_ERROR(load_meta());
  auto sequences = list_segments();
  if (!sequences.is_ok()) {
    return sequences.status();
  }
  // Open every segment and read its header first: deciding which whole segments the
  // compaction point covers needs the next segment's base index.
  for (uint64_t sequence : *sequences) {
    auto segment = std::make_unique<Segment>();
    segment->sequence = sequence;
    segment->path = dir_ + "/" + segment_file_name(sequence);
    auto file =
        fs_->open(segment->path, options_.read_only ? OpenMode::kRead : OpenMode::kReadWrite);
    if (!file.is_ok()) {
      return file.status();
    }
    segment->file = std::move(*file);
    uint8_t header_bytes[kSegmentHeaderSize];
    auto n = segment->file->read(header_bytes, sizeof(header_bytes), 0);
    if (!n.is_ok()) {
      return n.status();
    }
    auto header = decode_segment_header(header_bytes, *n);
    if (!header.is_ok()) {
      return corruption(segment->path + " offset 0: " + header.status().message());
    }
    if (header->sequence != sequence) {
      return corruption(segment->path + " offset 0: header holds sequence " +
                        std::to_string(header->sequence) + ", not the one in its name");
    }
    segment->base_index = header->base_index;
    segment->capacity = header->capacity;
    segments_.push_back(std::move(segment));
    next_sequence_ = sequence + 1;
  }
  // Segments entirely at or below the compaction point: a crash interrupted their deletion.
  while (segments_.size() >= 2 && segments_[1]->base_index - 1 <= compacted_index_) {
    if (!options_.read_only) {
      UQ_RETURN_IF_ERROR(fs_->remove(segments_.front()->path));
    }
    segments_.erase(segments_.begin());
    ++recovery_.segments_deleted;
  }
  if (!segments_.empty()) {
    Index base = segments_.front()->base_index;
    if (base > compacted_index_ + 1) {
      return corruption(segments_.front()->path + " offset 0: log starts at index " +
                        std::to_string(base) + " but entries from " +
                        std::to_string(compacted_index_ + 1) +
                        " are not compacted (missing segment?)");
    }
    last_index_ = base - 1;
  }
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < segments_.size(); ++i) {
    UQ_RETURN_IF_ERROR(replay_segment(segments_[i].get(), i + 1 == segments_.size(), &buffer));
  }
  finish_recovery();
  return Status::ok();
}

Status Log::replay_segment(Segment* segment, bool is_last, std::vector<uint8_t>* buffer) {
  if (segment->base_index != last_index_ + 1) {
    if (segment->base_index <= last_index_) {
      return corruption(segment->path + " offset 0: segment starts at index " +
                        std::to_string(segment->base_index) +
                        ", overlapping the previous segment which ends at " +
                        std::to_string(last_index_) + " (duplicate segment?)");
    }
    if (segment->base_index - 1 > compacted_index_) {
      return corruption(segment->path + " offset 0: segment starts at index " +
                        std::to_string(segment->base_index) + " but the log before it ends at " +
                        std::to_string(last_index_));
    }
    // The gap is covered by the compaction point: a snapshot was installed past the log's end.
    frames_.clear();
    term_runs_.clear();
    last_index_ = segment->base_index - 1;
  }
  auto scan = scan_segment(segment->file.get(), segment->path, buffer);
  if (!scan.is_ok()) {
    return scan.status();
  }
  ++recovery_.segments_scanned;
  recovery_.bytes_scanned += scan->end_offset;
  for (const ScannedFrame& frame : scan->frames) {
    UQ_RETURN_IF_ERROR(replay_frame(segment, frame, buffer->data()));
  }
  recovery_.frames += scan->frames.size();
  segment->write_offset = scan->end_offset;
  segment->synced_offset = scan->end_offset;
  segment->dirty_end = scan->end_offset;
  segment->next_index = last_index_ + 1;
  return recover_segment_tail(segment, *scan, is_last);
}

Status Log::replay_frame(Segment* segment, const ScannedFrame& frame, const uint8_t* data) {
  const FrameHeader& h = frame.header;
  if (h.is_truncate()) {
    if (h.first_index > last_index_ + 1) {
      return corruption(segment->path + " offset " + std::to_string(frame.offset) +
                        ": truncate marker from index " + std::to_string(h.first_index) +
                        " past the log's end " + std::to_string(last_index_));
    }
    cut_suffix(h.first_index);
    return Status::ok();
  }
  if (h.first_index != last_index_ + 1) {
    return corruption(segment->path + " offset " + std::to_string(frame.offset) +
                      ": frame starts at index " + std::to_string(h.first_index) + ", expected " +
                      std::to_string(last_index_ + 1));
  }
  if (!term_runs_.empty() && h.first_term < term_runs_.back().term) {
    return corruption(segment->path + " offset " + std::to_string(frame.offset) +
                      ": frame term lower than the entry before it");
  }
  if (h.first_term == h.last_term) {
    add_frame(segment, frame.offset, h, {}, false);
    return Status::ok();
  }
  // Terms change inside this frame (rare): decode it for the exact boundaries. A frame whose
  // checksum holds but whose payload does not decode was written wrong: refuse it.
  std::vector<Entry> decoded;
  Status status =
      decoder_.decode(h, data + frame.offset + kFrameHeaderSize, 0, UINT64_MAX, &decoded);
  if (!status.is_ok()) {
    return corruption(segment->path + " offset " + std::to_string(frame.offset) + ": " +
                      status.message());
  }
  std::vector<const Entry*> pointers;
  for (const Entry& e : decoded) {
    pointers.push_back(&e);
  }
  add_frame(segment, frame.offset, h, pointers, false);
  return Status::ok();
}

Status Log::recover_segment_tail(Segment* segment, const SegmentScan& scan, bool is_last) {
  if (scan.clean_end()) {
    return Status::ok();
  }
  std::string where = segment->path + " offset " + std::to_string(scan.end_offset);
  if (scan.later_frame_offset.has_value()) {
    return corruption(where + ": " + scan.tail_problem + "; the frame at offset " +
                      std::to_string(*scan.later_frame_offset) +
                      " was written after these bytes were durable");
  }
  if (!is_last) {
    // Segments are synced and their abandoned bytes zeroed before the next one is created, so
    // nothing but zeros may follow their last frame.
    return corruption(where + ": " + scan.tail_problem + " before the end of a closed segment");
  }
  recovery_.torn_tail_truncated = true;
  recovery_.torn_tail = where + ": " + scan.tail_problem;
  if (options_.read_only) {
    return Status::ok();
  }
  UQ_WARN("wal: torn tail in %s: %s; zeroing %llu bytes", where.c_str(), scan.tail_problem.c_str(),
          static_cast<unsigned long long>(scan.tail_end - scan.end_offset));
  std::vector<uint8_t> zeros(scan.tail_end - scan.end_offset, 0);
  UQ_RETURN_IF_ERROR(segment->file->write(zeros.data(), zeros.size(), scan.end_offset));
  return Status::ok();
}

void Log::finish_recovery() {
  if (options_.read_only) {
    failure_ = error(Code::kInvalidArgument, dir_ + ": opened read-only");
  } else if (Segment* segment = active()) {
    // What recovery read may still be only in the page cache (the process crashed, the machine
    // did not): make it durable before frames claim it as their synced prefix.
    Status synced = segment->file->sync();
    if (!synced.is_ok()) {
      failure_ = synced;
    }
  }
  // Likewise a segment renamed into place just before a crash: make its directory entry durable.
  if (!options_.read_only) {
    Status dir_synced = fs_->sync_dir(dir_);
    if (!dir_synced.is_ok()) {
      failure_ = dir_synced;
    }
  }
  if (last_index_ < compacted_index_) {
    frames_.clear();
    term_runs_.clear();
    last_index_ = compacted_index_;
  }
  first_index_ = compacted_index_ + 1;
  cut_prefix();
  durable_index_ = last_index_;
  UQ_INFO("wal: opened %s: entries %llu..%llu, %zu segments, %zu frames", dir_.c_str(),
          static_cast<unsigned long long>(first_index_),
          static_cast<unsigned long long>(last_index_), segments_.size(), recovery_.frames);
}

Status Log::compact_prefix(Index upto, Term term) {
  if (!failure_.is_ok()) {
    return failure_;
  }
  if (upto <= compacted_index_) {
    return Status::ok();
  }
  if (upto <= last_index_) {
    auto actual = term_at(upto);
    if (!actual.is_ok() || *actual != term) {
      return error(Code::kInvalidArgument, "compact_prefix: term of entry " + std::to_string(upto) +
                                               " is not " + std::to_string(term));
    }
  }
  UQ_RETURN_IF_ERROR(meta_->save(encode_meta(upto, term)));
  compacted_index_ = upto;
  compacted_term_ = term;
  if (last_index_ < upto) {
    frames_.clear();
    term_runs_.clear();
    cache_.clear();
    cache_used_bytes_ = 0;
    last_index_ = upto;
    durable_index_ = upto;
  }
  // Entries up to the compaction point are durable through the snapshot, whatever the segments
  // hold: recovery never reports a last index below it.
  durable_index_ = std::max(durable_index_, upto);
  first_index_ = upto + 1;
  cut_prefix();
  delete_compacted_segments();
  return Status::ok();
}

void Log::delete_compacted_segments() {
  cut_prefix();  // frames wholly below the compaction point may linger after a truncation
  bool removed = false;
  while (segments_.size() >= 2 && segments_[1]->base_index - 1 <= compacted_index_) {
    UQ_CHECK(frames_.empty() || frames_.front().segment != segments_.front().get(),
             "deleting a segment that still holds live frames");
    Status status = fs_->remove(segments_.front()->path);
    if (!status.is_ok()) {
      // Harmless: recovery deletes segments below the compaction point it finds.
      UQ_WARN("wal: %s", status.to_string().c_str());
      break;
    }
    segments_.erase(segments_.begin());
    removed = true;
  }
  if (removed) {
    Status status = fs_->sync_dir(dir_);
    if (!status.is_ok()) {
      UQ_WARN("wal: %s", status.to_string().c_str());
    }
  }
}

}  // namespace uq::wal
