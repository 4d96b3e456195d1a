// parse_request() on arbitrary bytes (copied into a padded buffer, as the server's receive buffer
// is), then the Raft-log codec: whatever parses must encode and decode back to the same request,
// and decode_request() on the raw bytes must never crash.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/check.h"
#include "sql/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string padded(reinterpret_cast<const char*>(data), size);
  padded.append(64, '\0');
  std::string_view body(padded.data(), size);
  for (bool allow_empty : {false, true}) {
    auto parsed = uq::sql::parse_request(body, allow_empty);
    if (parsed.is_ok()) {
      std::string encoded = uq::sql::encode_request(*parsed);
      auto decoded = uq::sql::decode_request(encoded);
      UQ_CHECK(decoded.is_ok() && *decoded == *parsed, "codec round trip failed");
    } else {
      const std::string& m = parsed.status().message();
      UQ_CHECK(m == "invalid JSON body" || m == "invalid request" || m == "no statements" ||
                   m.rfind("unsupported type ", 0) == 0,
               "unexpected parse error: %s", m.c_str());
    }
  }
  (void)uq::sql::decode_request(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
