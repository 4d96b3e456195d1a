// core/uring_probe.h — which io_uring features this kernel offers, decided once per ring.
//
// Owns: RingFeatures (plain flags) and the probe that fills them from the opcode probe and the
// kernel version (multishot variants share opcodes with their single-shot forms, so only the
// version tells them apart). Threads: probe_ring_features() on the thread that owns the ring.
// Guarantees: a feature is reported only when this kernel has it; UQ_URING_NO_MULTISHOT=1 in the
// environment (or force_no_multishot) clears the multishot and buffer-ring flags so callers take
// the single-shot fallback path, which the tests use to cover both paths.
#pragma once

#include <liburing.h>

#include <string>

namespace uq::core {

struct RingFeatures {
  bool multishot_accept = false;  // IORING_ACCEPT_MULTISHOT (5.19)
  bool multishot_recv = false;    // IORING_RECV_MULTISHOT with provided buffers (6.0)
  bool buf_ring = false;          // registered provided-buffer rings (5.19)
  bool msg_ring = false;          // IORING_OP_MSG_RING (5.18)
  bool submit_all = false;        // IORING_SETUP_SUBMIT_ALL was accepted at setup
};

// Fills features for ring. submit_all is passed in because only io_uring_queue_init knows it.
RingFeatures probe_ring_features(io_uring* ring, bool submit_all, bool force_no_multishot);

// "multishot_accept=1 multishot_recv=1 ..." for the start-up log line.
std::string describe(const RingFeatures& features);

// True when UQ_URING_NO_MULTISHOT is set to a non-empty value other than "0".
bool env_forces_no_multishot();

}  // namespace uq::core
