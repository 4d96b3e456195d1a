// wal/hard_state.h — the Raft hard state (term, vote, commit) in `<dir>/hardstate`.
//
// Owns that file (a SlotFile: two checksummed 4 KiB slots written alternately). save() is durable
// on return; a crash during save leaves the previous state; both slots damaged refuses to open
// with kCorruption naming the file. One thread (the raft core).
#pragma once

#include <memory>
#include <string>

#include "wal/slot_file.h"

namespace uq::wal {

struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;  // node id voted for in `term`, 0 = none
  uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
};

inline constexpr uint32_t kHardStateMagic = 0x53485155;  // "UQHS"
inline constexpr const char* kHardStateFileName = "hardstate";

class HardStateFile {
 public:
  // Opens (creating if absent, holding the zero state) dir/hardstate.
  static Result<std::unique_ptr<HardStateFile>> open(FileSystem* fs, const std::string& dir);
  const HardState& state() const { return state_; }
  Status save(const HardState& state);

 private:
  explicit HardStateFile(std::unique_ptr<SlotFile> slots) : slots_(std::move(slots)) {}
  std::unique_ptr<SlotFile> slots_;
  HardState state_;
};

std::string encode_hard_state(const HardState& state);
Result<HardState> decode_hard_state(const std::string& payload);

}  // namespace uq::wal
