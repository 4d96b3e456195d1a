// wal/slot_file.h — a small record updated atomically: two checksummed 4 KiB slots written
// alternately, each with a sequence number.
//
// Owns one file. A save writes the slot that does not hold the newest record, then fdatasyncs,
// so a torn save leaves the other slot (the previous record) intact; load picks the valid slot
// with the higher sequence. The file is born complete (both slots valid, sequence 0, via a temp
// file + rename + directory sync), so "both slots damaged" always means real damage and refuses
// to load. Used for the Raft hard state and for the log's compaction point. One thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/checksum.h"
#include "wal/file_system.h"

namespace uq::wal {

class SlotFile {
 public:
  // Opens path, creating it holding `initial` if absent. payload must fit kSlotPayloadMax.
  // read_only: never writes or syncs (tools); an absent file reads as `initial`, save() is a bug.
  static Result<std::unique_ptr<SlotFile>> open(FileSystem* fs, const std::string& path,
                                                uint32_t magic, ChecksumDomain domain,
                                                std::string_view initial, bool read_only = false);

  const std::string& payload() const { return payload_; }
  uint64_t sequence() const { return sequence_; }
  // Durable on return. On error the previous payload stays the loaded one.
  Status save(std::string_view payload);

 private:
  SlotFile(std::unique_ptr<File> file, std::string path, uint32_t magic, ChecksumDomain domain)
      : file_(std::move(file)), path_(std::move(path)), magic_(magic), domain_(domain) {}
  Status load();

  std::unique_ptr<File> file_;
  std::string path_;
  uint32_t magic_;
  ChecksumDomain domain_;
  std::string payload_;
  uint64_t sequence_ = 0;
  int newest_slot_ = 0;
  bool read_only_ = false;
};

// Encodes one slot (exposed for tests and the fuzz corpus).
std::string encode_slot(uint32_t magic, ChecksumDomain domain, uint64_t sequence,
                        std::string_view payload);
// Decodes one slot; error says what is wrong with it.
Result<std::pair<uint64_t, std::string>> decode_slot(const uint8_t* bytes, size_t size,
                                                     uint32_t magic, ChecksumDomain domain);

}  // namespace uq::wal
