// core/cpu_pressure.h — how contended this machine's CPUs are, from the kernel's pressure stall
// information (PSI, /proc/pressure/cpu).
//
// Owns: CpuPressure, a sampler of the "some" line's cumulative stall time.
// Thread: one thread calls sample() (the raft core's reactor, on a timer); parse_psi_some_total()
// is pure and may be called anywhere.
// Guarantees: sample() only reads procfs (no disk I/O) and returns -1 where the kernel has no PSI
// or the file cannot be parsed, so callers fall back to their own judgement.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace uq::core {

// The total= field (microseconds) of the "some" line of /proc/pressure/cpu's text.
std::optional<uint64_t> parse_psi_some_total(std::string_view text);

class CpuPressure {
 public:
  // The share of the wall time since the previous call (0..1) during which at least one runnable
  // thread waited for a CPU; -1 on the first call and where PSI is not available.
  double sample();

 private:
  std::optional<uint64_t> last_total_us_;
  std::chrono::steady_clock::time_point last_at_;
};

}  // namespace uq::core
