#include "wal/slot_file.h"

#include "wal/layout.h"

namespace uq::wal {

std::string encode_slot(uint32_t magic, ChecksumDomain domain, uint64_t sequence,
                        std::string_view payload) {
  UQ_CHECK(payload.size() <= kSlotPayloadMax, "slot payload of %zu bytes", payload.size());
  std::string slot(kSlotSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(slot.data());
  store_u32(p + slot_offset::kMagic, magic);
  store_u16(p + slot_offset::kVersion, kSlotVersion);
  store_u16(p + slot_offset::kPayloadLength, static_cast<uint16_t>(payload.size()));
  store_u64(p + slot_offset::kSequence, sequence);
  std::memcpy(p + slot_offset::kPayload, payload.data(), payload.size());
  store_u64(p + slot_offset::kChecksum, checksum(domain, p + 8, kSlotSize - 8));
  return slot;
}

Result<std::pair<uint64_t, std::string>> decode_slot(const uint8_t* p, size_t size, uint32_t magic,
                                                     ChecksumDomain domain) {
  if (size < kSlotSize) {
    return error(Code::kCorruption, "slot cut short at " + std::to_string(size) + " bytes");
  }
  if (load_u32(p + slot_offset::kMagic) != magic ||
      load_u16(p + slot_offset::kVersion) != kSlotVersion) {
    return error(Code::kCorruption, "bad slot magic or version");
  }
  size_t length = load_u16(p + slot_offset::kPayloadLength);
  if (length > kSlotPayloadMax) {
    return error(Code::kCorruption, "bad slot payload length");
  }
  if (checksum(domain, p + 8, kSlotSize - 8) != load_u64(p + slot_offset::kChecksum)) {
    return error(Code::kCorruption, "slot checksum mismatch");
  }
  return std::pair<uint64_t, std::string>(
      load_u64(p + slot_offset::kSequence),
      std::string(reinterpret_cast<const char*>(p + slot_offset::kPayload), length));
}

Result<std::unique_ptr<SlotFile>> SlotFile::open(FileSystem* fs, const std::string& path,
                                                 uint32_t magic, ChecksumDomain domain,
                                                 std::string_view initial, bool read_only) {
  if (read_only && !fs->exists(path)) {
    std::unique_ptr<SlotFile> slots(new SlotFile(nullptr, path, magic, domain));
    slots->read_only_ = true;
    slots->payload_ = std::string(initial);
    return slots;
  }
  if (!fs->exists(path)) {
    std::string tmp = path + ".tmp";
    if (fs->exists(tmp)) {
      UQ_RETURN_IF_ERROR(fs->remove(tmp));
    }
    auto created = fs->open(tmp, OpenMode::kCreateNew);
    if (!created.is_ok()) {
      return created.status();
    }
    std::string slot = encode_slot(magic, domain, 0, initial);
    std::string both = slot + slot;
    UQ_RETURN_IF_ERROR((*created)->write(both.data(), both.size(), 0));
    UQ_RETURN_IF_ERROR((*created)->sync());
    UQ_RETURN_IF_ERROR(fs->rename(tmp, path));
    std::string dir = path.substr(0, path.find_last_of('/'));
    UQ_RETURN_IF_ERROR(fs->sync_dir(dir.empty() ? "." : dir));
  }
  auto file = fs->open(path, read_only ? OpenMode::kRead : OpenMode::kReadWrite);
  if (!file.is_ok()) {
    return file.status();
  }
  std::unique_ptr<SlotFile> slots(new SlotFile(std::move(*file), path, magic, domain));
  slots->read_only_ = read_only;
  UQ_RETURN_IF_ERROR(slots->load());
  return slots;
}

Status SlotFile::load() {
  std::string bytes(2 * kSlotSize, '\0');
  auto n = file_->read(bytes.data(), bytes.size(), 0);
  if (!n.is_ok()) {
    return n.status();
  }
  std::string problems[2];
  bool found = false;
  for (int slot = 0; slot < 2; ++slot) {
    size_t start = slot * kSlotSize;
    size_t available = *n > start ? *n - start : 0;
    auto decoded = decode_slot(reinterpret_cast<const uint8_t*>(bytes.data()) + start,
                               std::min(available, kSlotSize), magic_, domain_);
    if (!decoded.is_ok()) {
      problems[slot] = decoded.status().message();
      continue;
    }
    if (!found || decoded->first > sequence_) {
      found = true;
      sequence_ = decoded->first;
      payload_ = std::move(decoded->second);
      newest_slot_ = slot;
    }
  }
  if (!found) {
    return error(Code::kCorruption, path_ +
                                        ": both slots damaged (slot 0 at offset 0: " + problems[0] +
                                        "; slot 1 at offset 4096: " + problems[1] + ")");
  }
  // What we just read may be a save whose fdatasync failed before a process crash, still only in
  // the page cache: make it durable before anything is decided from it.
  return read_only_ ? Status::ok() : file_->sync();
}

Status SlotFile::save(std::string_view payload) {
  UQ_CHECK(!read_only_, "save() on a read-only slot file");
  int target = 1 - newest_slot_;
  std::string slot = encode_slot(magic_, domain_, sequence_ + 1, payload);
  UQ_RETURN_IF_ERROR(file_->write(slot.data(), slot.size(), target * kSlotSize));
  UQ_RETURN_IF_ERROR(file_->sync());
  ++sequence_;
  newest_slot_ = target;
  payload_ = std::string(payload);
  return Status::ok();
}

}  // namespace uq::wal
