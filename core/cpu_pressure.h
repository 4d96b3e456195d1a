// core/cpu_pressure.h — how contended this machine's CPUs are, from the kernel's pressure stall
// information (PSI, /proc/pressure/cpu).
//
// Owns: CpuPressure, a sampler of the "some" line's cumulative stall time, and ContentionSwitch,
// which turns its samples into "contended or not" without flapping.
// Thread: one thread calls sample() and update() (the raft core's reactor, on a timer);
// parse_psi_some_total() is pure and may be called anywhere.
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

// Contended at once when a sample reaches kContended; calm again only after kHoldMs without such
// a sample and on one below kCalm. Why the hold: what the switch controls (polling) adds to the
// pressure itself, and beside two busy loops a switch without it flapped every sample.
class ContentionSwitch {
 public:
  static constexpr double kContended = 0.50;
  static constexpr double kCalm = 0.35;
  static constexpr int64_t kHoldMs = 5000;

  // share: a CpuPressure::sample() result (-1, unknown, leaves the decision as it was); now_ms:
  // any monotonic milliseconds. Returns whether the CPUs count as contended.
  bool update(double share, int64_t now_ms);

 private:
  bool contended_ = false;
  int64_t hold_until_ms_ = 0;
};

}  // namespace uq::core
