// server/node.h — one uqlited node: the modules wired together.
//
// Owns the database (sql::Database: apply thread + reader pool), the raft core (Store, on
// reactor 0), the reactor threads with one HTTP server each (SO_REUSEPORT on the same address),
// the counters, and shutdown. Created and
// driven by main() on the main thread; the reactors and the database call back into it from
// their own threads through the thread-safe members only (config, db, counters, clocks).
// Guarantees: a write is acknowledged only after its log entry is committed (durable on a
// majority) and applied; shutdown stops accepting, answers every in-flight request, leaves the
// cluster's leadership if configured, then closes the database.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/cpu_pressure.h"
#include "core/reactor.h"
#include "core/status.h"
#include "net/http_server.h"
#include "server/config.h"
#include "server/counters.h"
#include "server/store.h"
#include "server/write_queue.h"
#include "sql/database.h"

namespace uq::server {

class HttpApi;

class Node {
 public:
  explicit Node(Config config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Creates the data directory, opens the database, binds the HTTP listeners and starts the
  // reactor threads. On error nothing is left running.
  Status start();
  // Blocks until SIGINT/SIGTERM, then shuts down gracefully; a second signal exits at once.
  void run_until_signal();
  void shutdown();

  // Thread-safe accessors used by request handlers on any reactor.
  const Config& config() const { return config_; }
  sql::Database& db() { return *db_; }
  Store& store() { return *store_; }
  WriteQueue& write_queue() { return *write_queue_; }
  Counters& counters() { return counters_; }
  std::chrono::system_clock::time_point start_time() const { return start_time_; }
  // The last successful GET /db/backup (/status last_backup_time); nullopt before the first.
  void note_backup() {
    last_backup_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  }
  std::optional<std::chrono::system_clock::time_point> last_backup_time() const {
    int64_t ns = last_backup_ns_.load();
    if (ns == 0) {
      return std::nullopt;
    }
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(ns)));
  }
  uint16_t http_port() const { return http_port_; }
  const std::string& db_path() const { return db_path_; }
  // <data>/tmp: streamed upload bodies and backups being built (emptied at start-up).
  const std::string& temp_dir() const { return temp_dir_; }
  int reactor_count() const { return static_cast<int>(reactors_.size()); }

 private:
  struct ReactorSlot {
    std::unique_ptr<core::Reactor> reactor;
    std::unique_ptr<net::HttpServer> http;
    std::unique_ptr<HttpApi> api;
    std::thread thread;
  };
  Status prepare_data_dir();
  Status start_reactor(int index);
  // Raft core's reactor, every 100 ms: turns the read hand-off polling off while the CPUs are
  // contended (core/spin.h), on again once they have been calm for a while.
  void watch_cpu_pressure();

  Config config_;
  Counters counters_;
  std::string db_path_;
  std::string temp_dir_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<WriteQueue> write_queue_;
  std::vector<ReactorSlot> reactors_;
  std::chrono::system_clock::time_point start_time_;
  uint16_t http_port_ = 0;
  uint64_t reused_index_ = 0;  // the database kept from a clean shutdown holds this index
  std::atomic<int64_t> last_backup_ns_{0};
  std::atomic<bool> shut_down_{false};
  core::CpuPressure cpu_pressure_;     // raft core's reactor only
  core::ContentionSwitch contention_;  // raft core's reactor only
};

}  // namespace uq::server
