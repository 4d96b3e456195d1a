#include "raft/codec.h"

#include <cstring>

#include "core/bytes.h"
#include "core/checksum.h"

namespace uq::raft {

namespace {

using Reader = core::ByteReader;

constexpr uint8_t kFlagReject = 1;
constexpr uint8_t kFlagForce = 2;
constexpr size_t kChecksumSize = 8;

void put_entry_fields(std::string* out, const Entry& e) {
  core::put_u64(out, e.term.value);
  core::put_u64(out, e.index.value);
  core::put_u8(out, static_cast<uint8_t>(e.type));
  core::put_bytes32(out, e.data);
}

void seal(std::string* out, size_t start) {
  core::put_u64(out,
                checksum(ChecksumDomain::kRaftMessage, out->data() + start, out->size() - start));
}

Status corruption(const char* what) {
  return error(Code::kCorruption, std::string("raft codec: ") + what);
}

// Checks version and checksum; returns the body between them.
Result<std::string_view> open_sealed(std::string_view bytes) {
  if (bytes.size() < 1 + kChecksumSize) {
    return corruption("too short");
  }
  if (static_cast<uint8_t>(bytes[0]) != kCodecVersion) {
    return corruption("unknown version");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kChecksumSize);
  Reader tail(bytes.substr(body.size()));
  uint64_t stored = tail.u64();
  if (stored != checksum(ChecksumDomain::kRaftMessage, body)) {
    return corruption("checksum mismatch");
  }
  return body.substr(1);
}

bool read_entry_fields(Reader* r, Entry* e) {
  e->term = Term(r->u64());
  e->index = LogIndex(r->u64());
  uint8_t type = r->u8();
  if (type > static_cast<uint8_t>(EntryType::kConfig)) {
    r->fail();
    return false;
  }
  e->type = static_cast<EntryType>(type);
  e->data = std::string(r->bytes32());
  return r->ok();
}

void read_ids(Reader* r, std::vector<NodeId>* out) {
  uint32_t n = r->count(8);
  for (uint32_t i = 0; i < n && r->ok(); ++i) {
    out->push_back(NodeId(r->u64()));
  }
}

}  // namespace

void encode_message(const Message& m, std::string* out) {
  size_t start = out->size();
  core::put_u8(out, kCodecVersion);
  core::put_u8(out, static_cast<uint8_t>(m.type));
  core::put_u8(out,
               static_cast<uint8_t>((m.reject ? kFlagReject : 0) | (m.force ? kFlagForce : 0)));
  core::put_u8(out, 0);
  for (uint64_t v : {m.from.value, m.to.value, m.term.value, m.log_term.value, m.index.value,
                     m.commit.value, m.reject_hint.value}) {
    core::put_u64(out, v);
  }
  core::put_bytes32(out, m.context);
  if (m.type == MessageType::kSnapshot) {
    core::put_u64(out, m.snapshot.index.value);
    core::put_u64(out, m.snapshot.term.value);
    core::put_u32(out, static_cast<uint32_t>(m.snapshot.conf.voters.size()));
    for (NodeId id : m.snapshot.conf.voters) {
      core::put_u64(out, id.value);
    }
    core::put_u32(out, static_cast<uint32_t>(m.snapshot.conf.learners.size()));
    for (NodeId id : m.snapshot.conf.learners) {
      core::put_u64(out, id.value);
    }
  }
  core::put_u32(out, static_cast<uint32_t>(m.entries.size()));
  for (const Entry& e : m.entries) {
    put_entry_fields(out, e);
  }
  seal(out, start);
}

Result<Message> decode_message(std::string_view bytes) {
  Result<std::string_view> body = open_sealed(bytes);
  if (!body.is_ok()) {
    return body.status();
  }
  Reader r(*body);
  Message m;
  uint8_t type = r.u8();
  uint8_t flags = r.u8();
  uint8_t reserved = r.u8();
  if (type >= kMessageTypeCount || (flags & ~(kFlagReject | kFlagForce)) != 0 || reserved != 0) {
    return corruption("bad type or flags");
  }
  m.type = static_cast<MessageType>(type);
  m.reject = (flags & kFlagReject) != 0;
  m.force = (flags & kFlagForce) != 0;
  m.from = NodeId(r.u64());
  m.to = NodeId(r.u64());
  m.term = Term(r.u64());
  m.log_term = Term(r.u64());
  m.index = LogIndex(r.u64());
  m.commit = LogIndex(r.u64());
  m.reject_hint = LogIndex(r.u64());
  m.context = std::string(r.bytes32());
  if (m.type == MessageType::kSnapshot) {
    m.snapshot.index = LogIndex(r.u64());
    m.snapshot.term = Term(r.u64());
    read_ids(&r, &m.snapshot.conf.voters);
    read_ids(&r, &m.snapshot.conf.learners);
  }
  uint32_t n = r.count(21);  // term + index + type + length
  m.entries.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Entry e;
    if (read_entry_fields(&r, &e)) {
      m.entries.push_back(std::move(e));
    }
  }
  if (!r.ok()) {
    return corruption("truncated or inconsistent lengths");
  }
  if (r.remaining() != 0) {
    return corruption("trailing bytes");
  }
  return m;
}

void encode_entry(const Entry& e, std::string* out) {
  size_t start = out->size();
  core::put_u8(out, kCodecVersion);
  put_entry_fields(out, e);
  seal(out, start);
}

Result<Entry> decode_entry(std::string_view bytes) {
  Result<std::string_view> body = open_sealed(bytes);
  if (!body.is_ok()) {
    return body.status();
  }
  Reader r(*body);
  Entry e;
  if (!read_entry_fields(&r, &e)) {
    return corruption("truncated entry");
  }
  if (r.remaining() != 0) {
    return corruption("trailing bytes");
  }
  return e;
}

}  // namespace uq::raft
