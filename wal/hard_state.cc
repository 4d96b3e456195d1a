#include "wal/hard_state.h"

#include "wal/layout.h"

namespace uq::wal {

std::string encode_hard_state(const HardState& state) {
  std::string out(24, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  store_u64(p, state.term);
  store_u64(p + 8, state.vote);
  store_u64(p + 16, state.commit);
  return out;
}

Result<HardState> decode_hard_state(const std::string& payload) {
  if (payload.size() != 24) {
    return error(Code::kCorruption,
                 "hard state payload of " + std::to_string(payload.size()) + " bytes, expected 24");
  }
  auto* p = reinterpret_cast<const uint8_t*>(payload.data());
  return HardState{load_u64(p), load_u64(p + 8), load_u64(p + 16)};
}

Result<std::unique_ptr<HardStateFile>> HardStateFile::open(FileSystem* fs, const std::string& dir) {
  UQ_RETURN_IF_ERROR(fs->create_dir(dir));
  auto slots = SlotFile::open(fs, dir + "/" + kHardStateFileName, kHardStateMagic,
                              ChecksumDomain::kHardState, encode_hard_state(HardState{}));
  if (!slots.is_ok()) {
    return slots.status();
  }
  auto state = decode_hard_state((*slots)->payload());
  if (!state.is_ok()) {
    return error(Code::kCorruption,
                 dir + "/" + kHardStateFileName + ": " + state.status().message());
  }
  std::unique_ptr<HardStateFile> file(new HardStateFile(std::move(*slots)));
  file->state_ = *state;
  return file;
}

Status HardStateFile::save(const HardState& state) {
  UQ_RETURN_IF_ERROR(slots_->save(encode_hard_state(state)));
  state_ = state;
  return Status::ok();
}

}  // namespace uq::wal
