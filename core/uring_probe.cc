#include "core/uring_probe.h"

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uq::core {
namespace {

// Kernel version as major * 1000 + minor, or 0 when uname() fails (then nothing is assumed).
int kernel_version() {
  utsname name{};
  if (uname(&name) != 0) {
    return 0;
  }
  int major = 0;
  int minor = 0;
  if (std::sscanf(name.release, "%d.%d", &major, &minor) != 2) {
    return 0;
  }
  return major * 1000 + minor;
}

}  // namespace

bool env_forces_no_multishot() {
  const char* value = std::getenv("UQ_URING_NO_MULTISHOT");
  return value != nullptr && value[0] != '\0' && std::strcmp(value, "0") != 0;
}

RingFeatures probe_ring_features(io_uring* ring, bool submit_all, bool force_no_multishot) {
  RingFeatures features;
  features.submit_all = submit_all;
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) {
    return features;
  }
  int version = kernel_version();
  bool has_accept = io_uring_opcode_supported(probe, IORING_OP_ACCEPT) != 0;
  bool has_recv = io_uring_opcode_supported(probe, IORING_OP_RECV) != 0;
  features.msg_ring = io_uring_opcode_supported(probe, IORING_OP_MSG_RING) != 0;
  io_uring_free_probe(probe);
  if (!force_no_multishot) {
    features.multishot_accept = has_accept && version >= 5019;
    features.buf_ring = version >= 5019;
    features.multishot_recv = has_recv && features.buf_ring && version >= 6000;
  }
  return features;
}

std::string describe(const RingFeatures& f) {
  char text[160];
  std::snprintf(text, sizeof(text),
                "multishot_accept=%d multishot_recv=%d buf_ring=%d msg_ring=%d submit_all=%d",
                f.multishot_accept, f.multishot_recv, f.buf_ring, f.msg_ring, f.submit_all);
  return text;
}

}  // namespace uq::core
