#include "tests/raft/linearizability.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace uq::raft::lin {

namespace {

// A node of the doubly linked event list of Lowe's algorithm: a call or a return of one op.
struct Event {
  size_t op = 0;
  bool is_call = false;
  uint64_t time = 0;
  Event* match = nullptr;  // call → its return
  Event* prev = nullptr;
  Event* next = nullptr;
};

struct Key {
  std::vector<uint64_t> bits;
  int64_t state = 0;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    uint64_t h = static_cast<uint64_t>(k.state) * 0x9e3779b97f4a7c15ull;
    for (uint64_t b : k.bits) {
      h = (h ^ b) * 0x100000001b3ull;
    }
    return h;
  }
};

void lift(Event* call) {
  call->prev->next = call->next;
  call->next->prev = call->prev;
  Event* ret = call->match;
  ret->prev->next = ret->next;
  if (ret->next != nullptr) {
    ret->next->prev = ret->prev;
  }
}

void unlift(Event* call) {
  Event* ret = call->match;
  ret->prev->next = ret;
  if (ret->next != nullptr) {
    ret->next->prev = ret;
  }
  call->prev->next = call;
  call->next->prev = call;
}

Verdict check_key(const std::vector<const Op*>& ops, uint64_t budget) {
  std::vector<Event> events(2 * ops.size() + 1);
  Event* head = &events[0];  // sentinel
  std::vector<Event*> order;
  for (size_t i = 0; i < ops.size(); ++i) {
    Event* c = &events[1 + 2 * i];
    Event* r = &events[2 + 2 * i];
    *c = Event{i, true, ops[i]->call, r};
    *r = Event{i, false, ops[i]->ret};
    order.push_back(c);
    order.push_back(r);
  }
  // By time; at equal times returns first (they did not overlap), calls in op order.
  std::stable_sort(order.begin(), order.end(), [](const Event* a, const Event* b) {
    if (a->time != b->time) {
      return a->time < b->time;
    }
    return !a->is_call && b->is_call;
  });
  Event* prev = head;
  for (Event* e : order) {
    prev->next = e;
    e->prev = prev;
    prev = e;
  }
  prev->next = nullptr;

  std::unordered_set<Key, KeyHash> cache;
  std::vector<std::pair<Event*, int64_t>> stack;
  Key lin{std::vector<uint64_t>((ops.size() + 63) / 64, 0), 0};
  int64_t state = 0;
  Event* entry = head->next;
  uint64_t steps = 0;
  while (head->next != nullptr) {
    if (++steps > budget) {
      return Verdict::kBudgetExceeded;
    }
    if (entry == nullptr) {
      return Verdict::kNotLinearizable;  // cannot happen: the list ends with a return
    }
    if (entry->is_call) {
      const Op& op = *ops[entry->op];
      bool ok = op.is_write || op.value == state;
      int64_t next_state = op.is_write ? op.value : state;
      if (ok) {
        Key k = lin;
        k.bits[entry->op / 64] |= 1ull << (entry->op % 64);
        k.state = next_state;
        if (cache.insert(k).second) {
          stack.push_back({entry, state});
          lin = std::move(k);
          state = next_state;
          lift(entry);
          entry = head->next;
          continue;
        }
      }
      entry = entry->next;
    } else {
      // A return was reached with its op not linearized: undo the last choice.
      if (stack.empty()) {
        return Verdict::kNotLinearizable;
      }
      auto [call, prev_state] = stack.back();
      stack.pop_back();
      state = prev_state;
      lin.bits[call->op / 64] &= ~(1ull << (call->op % 64));
      lin.state = state;
      unlift(call);
      entry = call->next;
    }
  }
  return Verdict::kLinearizable;
}

}  // namespace

Result check(const History& history, uint64_t budget) {
  std::map<std::string, std::vector<const Op*>> by_key;
  for (const Op& op : history) {
    if (!op.is_write && op.ret == kNever) {
      continue;
    }
    by_key[op.key].push_back(&op);
  }
  Result result;
  for (const auto& [key, ops] : by_key) {
    Verdict v = check_key(ops, budget);
    if (v != Verdict::kLinearizable) {
      result.verdict = v;
      result.key = key;
      if (v == Verdict::kNotLinearizable) {
        return result;
      }
    }
  }
  return result;
}

}  // namespace uq::raft::lin
