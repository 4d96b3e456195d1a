#include "raft/codec.h"

#include <cstring>

#include "core/checksum.h"

namespace uq::raft {

namespace {

constexpr uint8_t kFlagReject = 1;
constexpr uint8_t kFlagForce = 2;
constexpr size_t kChecksumSize = 8;

void put_u8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}

void put_u32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) {
    b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  out->append(b, 4);
}

void put_u64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  out->append(b, 8);
}

void put_bytes(std::string* out, std::string_view bytes) {
  put_u32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

void put_entry_fields(std::string* out, const Entry& e) {
  put_u64(out, e.term.value);
  put_u64(out, e.index.value);
  put_u8(out, static_cast<uint8_t>(e.type));
  put_bytes(out, e.data);
}

void seal(std::string* out, size_t start) {
  put_u64(out, checksum(ChecksumDomain::kRaftMessage, out->data() + start, out->size() - start));
}

// A bounds-checked cursor over untrusted bytes: every read fails (and stays failed) rather than
// run past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  uint32_t u32() {
    if (!need(4)) {
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    if (!need(8)) {
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }
  std::string bytes() {
    uint32_t n = u32();
    if (!need(n)) {
      return {};
    }
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items each at least `min_item_size` bytes: reject counts the input cannot hold
  // before allocating for them.
  uint32_t count(size_t min_item_size) {
    uint32_t n = u32();
    if (ok_ && static_cast<uint64_t>(n) * min_item_size > remaining()) {
      ok_ = false;
      return 0;
    }
    return n;
  }
  void fail() { ok_ = false; }

 private:
  bool need(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

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
  e->data = r->bytes();
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
  put_u8(out, kCodecVersion);
  put_u8(out, static_cast<uint8_t>(m.type));
  put_u8(out, static_cast<uint8_t>((m.reject ? kFlagReject : 0) | (m.force ? kFlagForce : 0)));
  put_u8(out, 0);
  for (uint64_t v : {m.from.value, m.to.value, m.term.value, m.log_term.value, m.index.value,
                     m.commit.value, m.reject_hint.value}) {
    put_u64(out, v);
  }
  put_bytes(out, m.context);
  if (m.type == MessageType::kSnapshot) {
    put_u64(out, m.snapshot.index.value);
    put_u64(out, m.snapshot.term.value);
    put_u32(out, static_cast<uint32_t>(m.snapshot.conf.voters.size()));
    for (NodeId id : m.snapshot.conf.voters) {
      put_u64(out, id.value);
    }
    put_u32(out, static_cast<uint32_t>(m.snapshot.conf.learners.size()));
    for (NodeId id : m.snapshot.conf.learners) {
      put_u64(out, id.value);
    }
  }
  put_u32(out, static_cast<uint32_t>(m.entries.size()));
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
  m.context = r.bytes();
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
  put_u8(out, kCodecVersion);
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
