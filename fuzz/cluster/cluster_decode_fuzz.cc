// libFuzzer target: everything a node decodes from another node or from its snapshot store —
// node-to-node frames (net/peer.h), replicated commands (sql/command.h), snapshot meta files
// (sql/snapshot.h) and forwarded HTTP requests and answers (server/forward.h). Any input must be
// refused with a Status or decode to a value that survives encode → decode unchanged; nothing may
// crash, hang or allocate what the input does not hold.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/peer.h"
#include "server/forward.h"
#include "sql/command.h"
#include "sql/snapshot.h"

namespace {

void check_frame(std::string_view bytes) {
  auto decoded = uq::net::peer_wire::decode_frame(bytes, 1 << 20);
  if (decoded.result == uq::net::peer_wire::Decoded::Result::kFrame &&
      (decoded.frame_bytes > bytes.size() || decoded.payload.size() > decoded.frame_bytes)) {
    std::abort();
  }
}

void check_command(std::string_view bytes) {
  auto command = uq::sql::decode_command(bytes);
  if (command.is_ok()) {
    // Compared by encoding, not by value: a REAL parameter may be a NaN, unequal to itself.
    std::string encoded = uq::sql::encode_command(*command);
    auto again = uq::sql::decode_command(encoded);
    if (!again.is_ok() || uq::sql::encode_command(*again) != encoded) {
      std::abort();
    }
  }
}

void check_snapshot_meta(std::string_view bytes) {
  auto meta = uq::sql::decode_snapshot_meta(bytes);
  if (meta.is_ok()) {
    auto again = uq::sql::decode_snapshot_meta(uq::sql::encode_snapshot_meta(*meta));
    if (!again.is_ok() || again->index != meta->index || again->conf != meta->conf ||
        again->db_checksum != meta->db_checksum) {
      std::abort();
    }
  }
}

void check_forward(std::string_view bytes) {
  auto request = uq::server::decode_forward_request(bytes);
  if (request.is_ok()) {
    uq::net::HttpRequest view = request->view();
    auto again = uq::server::decode_forward_request(uq::server::encode_forward_request(view));
    if (!again.is_ok() || again->target != request->target || again->body != request->body) {
      std::abort();
    }
  }
  (void)uq::server::decode_forward_response(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_frame(bytes);
  check_command(bytes);
  check_snapshot_meta(bytes);
  check_forward(bytes);
  return 0;
}
