// net/transport.h — the seam between socket bytes and HTTP bytes.
//
// Owns: nothing shared; one Transport object per connection, used only on that connection's
// reactor thread. Plain TCP is a passthrough (the connection then receives straight into the
// codec's buffer and sends serialized responses as they are, with no copy); TLS later wraps an
// OpenSSL SSL object over memory BIOs behind the same three calls, so the HTTP code never
// changes. An error Status from either call closes the connection.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_codec.h"

namespace uq::net {

class Transport {
 public:
  virtual ~Transport() = default;

  // True when wire bytes are HTTP bytes (plain TCP): the two calls below are then never made.
  virtual bool passthrough() const = 0;

  // Bytes received from the socket: append the plaintext they yield to codec, and any bytes the
  // transport must send on its own (handshake, alerts) to wire_out.
  virtual Status on_wire_bytes(std::string_view wire, HttpCodec& codec, std::string& wire_out) = 0;

  // Plaintext to send: append its wire form to wire_out.
  virtual Status on_plain_bytes(std::string_view plain, std::string& wire_out) = 0;
};

class PlainTransport final : public Transport {
 public:
  bool passthrough() const override { return true; }
  Status on_wire_bytes(std::string_view wire, HttpCodec& codec, std::string&) override {
    codec.append(wire);
    return Status::ok();
  }
  Status on_plain_bytes(std::string_view plain, std::string& wire_out) override {
    wire_out.append(plain);
    return Status::ok();
  }
};

// Makes the transport for each accepted connection (the server's default makes PlainTransport).
using TransportFactory = std::function<std::unique_ptr<Transport>()>;

}  // namespace uq::net
