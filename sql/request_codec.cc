// Binary request encoding for the Raft log (layout in docs/sql.md):
//   u8 version (=1) | varint statement_count | statements...
//   statement: varint sql_len | sql | varint param_count | params...
//   param:     varint name_len | name | u8 type | payload
//   payload:   kNull: none | kInteger: zigzag varint | kReal: 8 bytes little-endian IEEE 754 |
//              kText, kBlob: varint len | bytes
#include <bit>
#include <cstring>

#include "core/bytes.h"
#include "sql/command.h"
#include "sql/request.h"

namespace uq::sql {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kCommandVersion = 1;
constexpr uint8_t kTransactionFlag = 1;
constexpr uint8_t kRollbackOnErrorFlag = 2;
constexpr uint8_t kLoadImageFlag = 4;

void encode_value(std::string* out, const Value& v) {
  out->push_back(static_cast<char>(v.type));
  switch (v.type) {
    case Value::Type::kNull:
      break;
    case Value::Type::kInteger:
      core::put_varint(out, (static_cast<uint64_t>(v.i) << 1) ^ static_cast<uint64_t>(v.i >> 63));
      break;
    case Value::Type::kReal:
      core::put_u64(out, std::bit_cast<uint64_t>(v.d));
      break;
    case Value::Type::kText:
    case Value::Type::kBlob:
      core::put_bytes_varint(out, v.bytes);
      break;
  }
}

using Reader = core::ByteReader;

bool decode_value(Reader* r, Value* v) {
  uint8_t type = r->u8();
  if (!r->ok() || type > static_cast<uint8_t>(Value::Type::kBlob)) {
    return false;
  }
  v->type = static_cast<Value::Type>(type);
  switch (v->type) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kInteger: {
      uint64_t z = r->varint();
      v->i = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      return r->ok();
    }
    case Value::Type::kReal:
      v->d = std::bit_cast<double>(r->u64());
      return r->ok();
    case Value::Type::kText:
    case Value::Type::kBlob:
      v->bytes = r->bytes_varint();
      return r->ok();
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
  core::put_varint(&out, request.statements().size());
  for (const Statement& stmt : request.statements()) {
    core::put_bytes_varint(&out, stmt.sql);
    core::put_varint(&out, stmt.params.size());
    for (const Param& p : stmt.params) {
      core::put_bytes_varint(&out, p.name);
      encode_value(&out, p.value);
    }
  }
  return out;
}

Result<Request> decode_request(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion || !r.ok()) {
    return corrupt("unknown version");
  }
  // Every statement takes at least 2 bytes, every parameter at least 2: bound counts by what is
  // left.
  uint64_t count = r.varint();
  if (!r.ok() || count > r.remaining() / 2) {
    return corrupt("bad statement count");
  }
  // The statements view a copy of the encoding the request keeps.
  Request request;
  char* copy = request.own(r.remaining());
  std::memcpy(copy, r.rest().data(), r.remaining());
  r = Reader(std::string_view(copy, r.remaining()));
  request.reserve_statements(count);
  for (uint64_t s = 0; s < count; ++s) {
    std::string_view sql = r.bytes_varint();
    uint64_t params = r.varint();
    if (!r.ok() || params > r.remaining() / 2) {
      return corrupt("bad statement");
    }
    // The byte after the text starts the parameter count, read just now: it becomes the NUL
    // Statement::sql guarantees.
    copy[sql.data() + sql.size() - copy] = '\0';
    for (uint64_t k = 0; k < params; ++k) {
      Param& p = request.add_param();
      p.name = r.bytes_varint();
      if (!r.ok() || !decode_value(&r, &p.value)) {
        return corrupt("bad parameter");
      }
    }
    request.end_statement(sql);
  }
  if (r.remaining() != 0) {
    return corrupt("trailing bytes");
  }
  return request;
}

Command make_command(Kind kind, Request request, const ExecOptions& options) {
  return Command{kind, options.transaction, options.rollback_on_error, options.db_timeout.count(),
                 std::move(request)};
}

ExecOptions replica_options(const Command& command) {
  ExecOptions options;
  options.transaction = command.transaction;
  options.rollback_on_error = command.rollback_on_error;
  options.db_timeout = std::chrono::nanoseconds(command.db_timeout_ns);
  return options;
}

//   u8 version (=1) | u8 kind | u8 flags | varint db_timeout_ns |
//   [varint image_len | image, when flags has kLoadImageFlag] | encode_request(request)
std::string encode_command(const Command& command) {
  std::string out;
  out.push_back(static_cast<char>(kCommandVersion));
  out.push_back(static_cast<char>(command.kind));
  out.push_back(static_cast<char>((command.transaction ? kTransactionFlag : 0) |
                                  (command.rollback_on_error ? kRollbackOnErrorFlag : 0) |
                                  (command.load_image.empty() ? 0 : kLoadImageFlag)));
  core::put_varint(&out, static_cast<uint64_t>(command.db_timeout_ns));
  if (!command.load_image.empty()) {
    core::put_bytes_varint(&out, command.load_image);
  }
  out += encode_request(command.request);
  return out;
}

Result<Command> decode_command(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kCommandVersion || !r.ok()) {
    return corrupt("unknown command version");
  }
  uint8_t kind = r.u8();
  if (!r.ok() || kind > static_cast<uint8_t>(Kind::kRequest)) {
    return corrupt("bad command kind");
  }
  uint8_t flags = r.u8();
  if (!r.ok() || (flags & ~(kTransactionFlag | kRollbackOnErrorFlag | kLoadImageFlag)) != 0) {
    return corrupt("bad command flags");
  }
  uint64_t timeout = r.varint();
  if (!r.ok() || timeout > static_cast<uint64_t>(INT64_MAX)) {
    return corrupt("bad command timeout");
  }
  std::string_view image;
  if ((flags & kLoadImageFlag) != 0) {
    image = r.bytes_varint();
    if (!r.ok() || image.empty()) {
      return corrupt("bad load image");
    }
  }
  auto request = decode_request(r.rest());
  if (!request.is_ok()) {
    return request.status();
  }
  return Command{static_cast<Kind>(kind),
                 (flags & kTransactionFlag) != 0,
                 (flags & kRollbackOnErrorFlag) != 0,
                 static_cast<int64_t>(timeout),
                 std::move(*request),
                 std::string(image)};
}

}  // namespace uq::sql
