// core/spin.h — bounded busy-waiting for another thread's hand-off.
//
// Owns: nothing; spin_until() is a free function any thread may call.
// Guarantees: returns within `budget` (plus any time the scheduler gives to others); between polls
// it pauses the CPU. For the first half of the budget it never yields (a thread woken meanwhile
// preempts the poller anyway, and a yield to a busy neighbour costs a whole time slice); in the
// second half it yields every few microseconds, so a long wait leaves the CPU to threads that are
// ready to run on it (on two cores, often the very thread being waited for).
// Why: on virtual machines whose idle vCPUs halt, waking a sleeping thread costs tens of
// microseconds; a short poll after a hand-off is cheaper when the answer is that close.
#pragma once

#include <sched.h>

#include <chrono>

namespace uq::core {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls ready() until it returns true (then true) or `budget` has passed (then false).
template <typename Ready>
bool spin_until(Ready&& ready, std::chrono::microseconds budget) {
  auto start = std::chrono::steady_clock::now();
  auto halfway = start + budget / 2;
  auto deadline = start + budget;
  for (unsigned turn = 1;; ++turn) {
    if (ready()) {
      return true;
    }
    cpu_relax();
    if (turn % 64 == 0) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return false;
      }
      if (now >= halfway) {
        sched_yield();
      }
    }
  }
}

}  // namespace uq::core
