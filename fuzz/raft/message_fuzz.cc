// libFuzzer target: raft message decoding. Any input must either fail with a Status or decode to
// a message that re-encodes to exactly the same bytes (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "raft/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  uq::Result<uq::raft::Message> m = uq::raft::decode_message(bytes);
  if (m.is_ok()) {
    std::string again;
    uq::raft::encode_message(*m, &again);
    if (again != bytes) {
      std::abort();
    }
  }
  uq::Result<uq::raft::Entry> e = uq::raft::decode_entry(bytes);
  if (e.is_ok()) {
    std::string again;
    uq::raft::encode_entry(*e, &again);
    if (again != bytes) {
      std::abort();
    }
  }
  return 0;
}
