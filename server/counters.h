// server/counters.h — the expvar-style counters of /debug/vars.
//
// Every counter rqlite's tests or tools read exists from start-up at 0 (spec §6.11). Counters are
// relaxed atomics: any thread increments, /debug/vars reads a snapshot that may be slightly torn
// across counters, as expvar's is.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "server/json_tree.h"

namespace uq::server {

class Counters {
 public:
  Counters();
  // `map` is the top-level expvar name ("http", "store", ...), `name` the counter inside it.
  // string_view and transparent maps: a hot-path increment builds no std::string.
  void add(std::string_view map, std::string_view name, int64_t delta = 1);
  int64_t get(std::string_view map, std::string_view name) const;
  // {"http": {...}, "store": {...}, ...} with every counter.
  JsonNode to_json() const;

 private:
  // The set of counters is fixed at construction, so lookups need no lock.
  std::atomic<int64_t>& slot(std::string_view map, std::string_view name) const;

  using Map = std::map<std::string, std::atomic<int64_t>, std::less<>>;
  // mutable: the set of counters never changes after construction; their values are atomics
  // any thread may bump.
  mutable std::map<std::string, Map, std::less<>> maps_;
};

}  // namespace uq::server
