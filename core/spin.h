// core/spin.h — bounded busy-waiting for another thread's hand-off, while it is nearly free.
//
// Owns: HandoffPoller, one thread's polling budget and back-off state.
// Thread: each poller belongs to the one thread that calls poll().
// Why: on virtual machines whose idle vCPUs halt, waking a sleeping thread costs tens of
// microseconds, more than a point query takes; a short poll after a hand-off is cheaper when the
// answer is that close. It is not cheaper when the CPUs are busy: the poll then takes CPU from
// threads that have work (the one being waited for among them).
// Guarantees: poll() returns within its budget of wall time. It does not poll at all while the
// process is told the CPUs are contended (set_cpus_contended: the server samples the kernel's CPU
// pressure), and stops for kBackoff when it notices it lost its CPU (the clock jumped between
// two polls by more than a time slice's worth).
#pragma once

#include <atomic>
#include <chrono>

namespace uq::core {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class HandoffPoller {
 public:
  using Clock = std::chrono::steady_clock;
  // A gap this long between two looks at the clock (normally a few microseconds apart) means
  // the thread was descheduled.
  static constexpr std::chrono::microseconds kDescheduled{500};
  static constexpr std::chrono::milliseconds kBackoff{20};

  explicit HandoffPoller(std::chrono::microseconds budget) : budget_(budget) {}

  bool enabled() const { return budget_.count() > 0; }

  // Any thread: while true, every poller in the process returns false at once.
  static void set_cpus_contended(bool contended) {
    cpus_contended_.store(contended, std::memory_order_relaxed);
  }
  static bool cpus_contended() { return cpus_contended_.load(std::memory_order_relaxed); }

  // Polls ready() until it returns true (then true), the budget passes or the thread is seen to
  // lose its CPU (then false). Returns false at once while backing off.
  template <typename Ready>
  bool poll(Ready&& ready) {
    if (cpus_contended()) {
      return false;
    }
    auto last = Clock::now();
    if (last < resume_at_) {
      return false;
    }
    auto deadline = last + budget_;
    for (unsigned turn = 1;; ++turn) {
      if (ready()) {
        return true;
      }
      cpu_relax();
      if (turn % 64 == 0) {
        auto now = Clock::now();
        if (now - last > kDescheduled) {
          resume_at_ = now + kBackoff;
          return false;
        }
        if (now >= deadline) {
          return false;
        }
        last = now;
      }
    }
  }

 private:
  static inline std::atomic<bool> cpus_contended_{false};
  std::chrono::microseconds budget_;
  Clock::time_point resume_at_{};
};

}  // namespace uq::core
