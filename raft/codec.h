// raft/codec.h — the binary wire form of Message and Entry.
//
// Owns: encoding and decoding only (pure functions, any thread). The layout is in docs/raft.md:
// little-endian fixed-width fields, a version byte first and an XXH3 checksum
// (ChecksumDomain::kRaftMessage) last. Decoding never trusts a length: every bad input (short,
// long, unknown version/type/flags, bad checksum, counts that do not fit) returns a
// kCorruption Status and builds nothing.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "raft/types.h"

namespace uq::raft {

inline constexpr uint8_t kCodecVersion = 1;

// Appends the encoding of `m` to `out`.
void encode_message(const Message& m, std::string* out);
Result<Message> decode_message(std::string_view bytes);

// A single entry in the same style (version, fields, checksum); for storage layers that want it.
void encode_entry(const Entry& e, std::string* out);
Result<Entry> decode_entry(std::string_view bytes);

}  // namespace uq::raft
