// tests/raft/linearizability.h — a linearizability checker for a key-value register.
//
// Owns: the history type (operations with invocation and response times) and a checker in the
// style of Wing & Gong with Lowe's memoisation (cache of (linearized set, state) pairs), run
// separately per key (a register history is linearizable iff each key's is: P-compositionality).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace uq::raft::lin {

inline constexpr uint64_t kNever = ~0ull;  // response time of an operation that never returned

struct Op {
  std::string key;
  bool is_write = false;
  int64_t value = 0;  // written value, or the value the read returned (0: never written)
  uint64_t call = 0;
  uint64_t ret = kNever;
};

using History = std::vector<Op>;

enum class Verdict { kLinearizable, kNotLinearizable, kBudgetExceeded };

struct Result {
  Verdict verdict = Verdict::kLinearizable;
  std::string key;  // the first key that was not linearizable
};

// Reads that never returned are dropped (they constrain nothing); writes that never returned may
// take effect at any point after their call. `budget` bounds the search steps per key.
Result check(const History& history, uint64_t budget = 5'000'000);

}  // namespace uq::raft::lin
