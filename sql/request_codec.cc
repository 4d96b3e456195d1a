// Binary request encoding for the Raft log (layout in docs/sql.md):
//   u8 version (=1) | varint statement_count | statements...
//   statement: varint sql_len | sql | varint param_count | params...
//   param:     varint name_len | name | u8 type | payload
//   payload:   kNull: none | kInteger: zigzag varint | kReal: 8 bytes little-endian IEEE 754 |
//              kText, kBlob: varint len | bytes
#include <bit>
#include <cstring>

#include "sql/request.h"

namespace uq::sql {
namespace {

constexpr uint8_t kVersion = 1;

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void put_bytes(std::string* out, std::string_view s) {
  put_varint(out, s.size());
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        return false;
      }
      auto byte = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && byte > 1) {
        return false;
      }
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool u8(uint8_t* v) {
    if (pos_ >= in_.size()) {
      return false;
    }
    *v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool bytes(std::string* out) {
    uint64_t len = 0;
    if (!varint(&len) || len > in_.size() - pos_) {
      return false;
    }
    out->assign(in_.data() + pos_, len);
    pos_ += len;
    return true;
  }
  bool fixed64(uint64_t* v) {
    if (in_.size() - pos_ < 8) {
      return false;
    }
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) {
      r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    *v = r;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

void encode_value(std::string* out, const Value& v) {
  out->push_back(static_cast<char>(v.type));
  switch (v.type) {
    case Value::Type::kNull:
      break;
    case Value::Type::kInteger:
      put_varint(out, (static_cast<uint64_t>(v.i) << 1) ^ static_cast<uint64_t>(v.i >> 63));
      break;
    case Value::Type::kReal: {
      auto bits = std::bit_cast<uint64_t>(v.d);
      for (int i = 0; i < 8; ++i) {
        out->push_back(static_cast<char>(bits >> (8 * i)));
      }
      break;
    }
    case Value::Type::kText:
    case Value::Type::kBlob:
      put_bytes(out, v.bytes);
      break;
  }
}

bool decode_value(Reader* r, Value* v) {
  uint8_t type = 0;
  if (!r->u8(&type) || type > static_cast<uint8_t>(Value::Type::kBlob)) {
    return false;
  }
  v->type = static_cast<Value::Type>(type);
  switch (v->type) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kInteger: {
      uint64_t z = 0;
      if (!r->varint(&z)) {
        return false;
      }
      v->i = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      return true;
    }
    case Value::Type::kReal: {
      uint64_t bits = 0;
      if (!r->fixed64(&bits)) {
        return false;
      }
      v->d = std::bit_cast<double>(bits);
      return true;
    }
    case Value::Type::kText:
    case Value::Type::kBlob:
      return r->bytes(&v->bytes);
  }
  return false;
}

Status corrupt(const char* what) {
  return error(Code::kCorruption, std::string("request encoding: ") + what);
}

}  // namespace

std::string encode_request(const Request& request) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  put_varint(&out, request.statements.size());
  for (const Statement& stmt : request.statements) {
    put_bytes(&out, stmt.sql);
    put_varint(&out, stmt.params.size());
    for (const Param& p : stmt.params) {
      put_bytes(&out, p.name);
      encode_value(&out, p.value);
    }
  }
  return out;
}

Result<Request> decode_request(std::string_view bytes) {
  Reader r(bytes);
  uint8_t version = 0;
  if (!r.u8(&version) || version != kVersion) {
    return corrupt("unknown version");
  }
  uint64_t count = 0;
  // Every statement takes at least 2 bytes, every parameter at least 2: bound counts by what is
  // left.
  if (!r.varint(&count) || count > r.remaining() / 2) {
    return corrupt("bad statement count");
  }
  Request request;
  request.statements.resize(count);
  for (Statement& stmt : request.statements) {
    uint64_t params = 0;
    if (!r.bytes(&stmt.sql) || !r.varint(&params) || params > r.remaining() / 2) {
      return corrupt("bad statement");
    }
    stmt.params.resize(params);
    for (Param& p : stmt.params) {
      if (!r.bytes(&p.name) || !decode_value(&r, &p.value)) {
        return corrupt("bad parameter");
      }
    }
  }
  if (r.remaining() != 0) {
    return corrupt("trailing bytes");
  }
  return request;
}

}  // namespace uq::sql
